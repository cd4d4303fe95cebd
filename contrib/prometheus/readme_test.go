package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlocks returns the indented code blocks of the README's "Many
// sensors" section.
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Many sensors\n")
	if !ok {
		t.Fatal(`README.md has no section "Many sensors"`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var blocks []string
	var cur []string
	for _, line := range strings.Split(sec, "\n") {
		switch {
		case strings.HasPrefix(line, "    "):
			cur = append(cur, strings.TrimPrefix(line, "    "))
		case line == "" && len(cur) > 0:
			cur = append(cur, "")
		default:
			if len(cur) > 0 {
				blocks = append(blocks, strings.TrimSpace(strings.Join(cur, "\n"))+"\n")
				cur = nil
			}
		}
	}
	return blocks
}

// TestReadmeConfigs checks the configurations of the README's "Many
// sensors" section with the programs that will read them: the Prometheus
// config (with the rules file it names, taken from this directory) and the
// federation one with promtool, the Alertmanager one with amtool.
func TestReadmeConfigs(t *testing.T) {
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var prom, fed, am bool
	for i, b := range readmeBlocks(t) {
		path := filepath.Join(dir, "block"+string(rune('a'+i))+".yml")
		var args []string
		switch {
		case strings.Contains(b, "rule_files:"):
			prom = true
			if !strings.Contains(b, "/usr/local/share/ipband/prometheus/ipband-rules.yml") || !strings.Contains(b, "job_name: ipband") ||
				!strings.Contains(b, "sensor:") || !strings.Contains(b, "status_url:") {
				t.Errorf("the scrape config lacks the installed rules, the ipband job, or the sensor and status_url labels:\n%s", b)
			}
			b = strings.ReplaceAll(b, "/usr/local/share/ipband/prometheus/ipband-rules.yml", rules)
			args = []string{program(t, "promtool", "prometheus"), "check", "config", path}
		case strings.Contains(b, "/federate"):
			fed = true
			args = []string{program(t, "promtool", "prometheus"), "check", "config", path}
		case strings.Contains(b, "route:"):
			am = true
			if !strings.Contains(b, "group_by: [alertname, subnet]") {
				t.Errorf("the Alertmanager route does not group by subnet:\n%s", b)
			}
			args = []string{program(t, "amtool", "prometheus-alertmanager"), "check-config", path}
		default:
			continue
		}
		if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s\n%s", strings.Join(args[:3], " "), err, out, b)
		}
	}
	if !prom || !fed || !am {
		t.Errorf("README's Many sensors: scrape config %v, federation %v, Alertmanager route %v; want all three", prom, fed, am)
	}
}

// TestMakeInstall: make install puts the rules, their unit tests and the
// dashboard under share/ipband, and the installed unit tests pass there.
func TestMakeInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	dest, bin := t.TempDir(), t.TempDir()
	out, err := exec.Command("make", "-s", "-C", "../..", "install", "DESTDIR="+dest, "PREFIX=/usr", "BIN="+bin).CombinedOutput()
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	share := filepath.Join(dest, "usr", "share", "ipband")
	for src, dst := range map[string]string{
		rulesFile:     "prometheus/ipband-rules.yml",
		rulesTestFile: "prometheus/ipband-rules.test.yml",
		dashboardFile: "grafana/ipband.json",
	} {
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(share, dst))
		if err != nil {
			t.Errorf("make install: %v", err)
		} else if string(got) != string(want) {
			t.Errorf("share/ipband/%s differs from %s", dst, src)
		}
	}
	cmd := exec.Command(program(t, "promtool", "prometheus"), "test", "rules", "ipband-rules.test.yml")
	cmd.Dir = filepath.Join(share, "prometheus")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules in share/ipband/prometheus: %v\n%s", err, out)
	}
}
