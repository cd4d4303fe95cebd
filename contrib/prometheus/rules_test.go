package prometheus_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	rulesFile     = "ipband-rules.yml"
	rulesTestFile = "ipband-rules.test.yml"
)

// program returns the path of a program a test needs. When it is not
// installed the test skips, or fails when CI is set: CI installs it with
// make deps.
func program(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not installed (Debian package %s; make deps installs it): %v", name, pkg, err)
	}
	t.Skipf("%s not installed: install Debian's %s (make deps does) to run this test", name, pkg)
	return ""
}

// promtool runs promtool with args and fails the test on its error.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(program(t, "promtool", "prometheus"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRulesCheck: promtool accepts the rules file.
func TestRulesCheck(t *testing.T) {
	out := promtool(t, "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
}

// TestRulesUnit runs the rules' unit tests with promtool.
func TestRulesUnit(t *testing.T) {
	out := promtool(t, "test", "rules", rulesTestFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
}

// alertNames returns the alerts of the rules file.
func alertNames(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: (\w+)\s*$`).FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatalf("no alert in %s", rulesFile)
	}
	return names
}

// TestRulesCoverEveryAlert: the unit tests have, for every alert, a case
// where it fires and one where it does not, and no case names an alert
// the rules do not have.
func TestRulesCoverEveryAlert(t *testing.T) {
	b, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	alerts := alertNames(t)
	fires, quiet := map[string]bool{}, map[string]bool{}
	cases := regexp.MustCompile(`(?m)^\s*alertname: (\w+)\n\s*exp_alerts:(.*)$`).FindAllStringSubmatch(string(b), -1)
	for _, m := range cases {
		if !slices.Contains(alerts, m[1]) {
			t.Errorf("%s tests %s, which %s does not have", rulesTestFile, m[1], rulesFile)
		}
		switch strings.TrimSpace(m[2]) {
		case "[]":
			quiet[m[1]] = true
		case "":
			fires[m[1]] = true
		default:
			t.Errorf("%s: exp_alerts of %s: write [] or a list on the next lines", rulesTestFile, m[1])
		}
	}
	for _, a := range alerts {
		if !fires[a] {
			t.Errorf("no unit test where %s fires", a)
		}
		if !quiet[a] {
			t.Errorf("no unit test where %s does not fire", a)
		}
	}
}

// TestRulesAnnotate: every alert has a summary, a description and the
// status page link.
func TestRulesAnnotate(t *testing.T) {
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "- alert: ")[1:]
	if len(blocks) != len(alertNames(t)) {
		t.Fatalf("%d alert blocks", len(blocks))
	}
	for _, blk := range blocks {
		name, _, _ := strings.Cut(blk, "\n")
		for _, want := range []string{"summary: ", "description: ", "status_page: '{{ $labels.status_url }}'", "severity: "} {
			if !strings.Contains(blk, want) {
				t.Errorf("%s has no %q", name, want)
			}
		}
	}
}
