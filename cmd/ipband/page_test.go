package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageClassic replays testdata/classic.pcap with -w and compares the
// status page and its reports page with their goldens (which the report
// package checks as HTML5, and `make screenshot` renders).
func TestPageClassic(t *testing.T) {
	page := filepath.Join(t.TempDir(), "ipband.html")
	r := ipband(t, "-c", td+"/classic.conf", "--networks", td+"/networks", "--read", td+"/classic.pcap", "-w", page, "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for name, path := range map[string]string{
		"page-classic.html":         page,
		"page-classic-reports.html": strings.TrimSuffix(page, ".html") + "-reports.html",
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, string(b))
	}
	// Both reports of the report file are on the reports page.
	reports, _ := os.ReadFile(strings.TrimSuffix(page, ".html") + "-reports.html")
	for _, block := range strings.Split(strings.TrimSpace(r.outfile), "\n\n") {
		first := strings.SplitN(block, "\n", 2)[0]
		if !strings.Contains(string(reports), first) {
			t.Errorf("reports page lacks the report of %q", first)
		}
	}
}

// TestPageStdout: -w - writes each period's page to standard output, as
// the classic tool did.
func TestPageStdout(t *testing.T) {
	r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-w", "-", "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "<!DOCTYPE html>"); n != 14 {
		t.Errorf("%d pages on stdout, want one per period (14)", n)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`-w - created a file named "-"`)
	}
}

// TestPageMode replays the branch capture with -w: the status page and its
// reports page are 0644, for a web server to read, whatever the umask;
// with pagemode 0640 in the config file they are 0640.
func TestPageMode(t *testing.T) {
	for _, tt := range []struct {
		conf string
		want os.FileMode
	}{
		{"", 0o644},
		{"pagemode 0640\n", 0o640},
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "ipband.conf")
		classic, err := os.ReadFile(filepath.Join(td, "classic.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, append(classic, tt.conf...), 0o644); err != nil {
			t.Fatal(err)
		}
		page := filepath.Join(dir, "ipband.html")
		r := ipband(t, "-c", cfg, "--read", td+"/classic.pcap", "-w", page, "-o", "OUT")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, p := range []string{page, strings.TrimSuffix(page, ".html") + "-reports.html"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.want {
				t.Errorf("config %q: %s mode %v, want %v", tt.conf, filepath.Base(p), fi.Mode().Perm(), tt.want)
			}
		}
	}
}
