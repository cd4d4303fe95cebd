package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStartLine checks the one line ipband logs at start without -d: what
// it watches and where its reports go; -d 1 shows the option summary
// instead.
func TestStartLine(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-c", filepath.Join(td, "classic.conf"), "-o", "OUT"},
			"ipband: replaying " + classic + ": 6 preloaded subnets (default threshold 10.00 kB/s), averaging 60 s, reporting after 300 s; reports to OUT\n"},
		{[]string{"-C", "-m", "16", "-b", "2.5", "-L", "10.10.", "-o", "-", "--json-file", "-", "-r", "600"},
			"ipband: replaying " + classic + ": dynamic subnets (IPv4 /16, IPv6 /64) over 2.50 kB/s in 10.10.0.0/16, averaging 60 s, reporting after 600 s; reports to standard output, JSON -\n"},
	}
	for _, tt := range tests {
		r := hostileRun(t, append(tt.args, "--read", classic)...)
		if r.code != exitOK || !strings.HasPrefix(r.stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant it to start with:\n%s", tt.args, r.code, r.stderr, tt.want)
		}
	}
	r := hostileRun(t, "-C", "--read", classic, "-o", "OUT", "-d", "1")
	if strings.Contains(r.stderr, "replaying") || !strings.Contains(r.stdout, "Option values:") {
		t.Errorf("-d 1: stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	}
}

// TestShortReplaySaysSo checks that a replay that ends before its first
// period closes says so, with the capture's length against -a, and that
// one that closes a period does not.
func TestShortReplaySaysSo(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap") // 14m59.971s of traffic
	r := hostileRun(t, "-C", "--read", classic, "-a", "1800", "-r", "1800", "-o", "OUT")
	want := "ipband: " + classic + ": the capture lasts 14m59.971s, less than one averaging period (-a 1800 s): no period closed, so nothing was evaluated and no report made (try a shorter -a)\n"
	if r.code != exitOK || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to end with:\n%s", r.code, r.stderr, want)
	}
	r = hostileRun(t, "-C", "--read", classic, "-a", "899", "-r", "899", "-o", "OUT")
	if strings.Contains(r.stderr, "no period closed") {
		t.Errorf("a replay that closed a period:\n%s", r.stderr)
	}
}

// isShortReplay reports whether l is the line of a replay of file that
// ended before its first period closed.
func isShortReplay(l, file string) bool {
	return strings.HasPrefix(l, "ipband: "+file+": the capture ") && strings.HasSuffix(l, "(try a shorter -a)")
}

// dropStartLine removes the start line from stderr, for tests that look
// for a word it may hold (an output's name).
func dropStartLine(stderr string) string {
	var keep []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !regexp.MustCompile(`^(\S+ )?ipband: (replaying|watching) .*; reports to `).MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}
