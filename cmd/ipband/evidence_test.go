package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEvidenceDir: --evidence-dir keeps the reported episode's frames in
// a pcap that the report names and ipband can replay; a directory that
// cannot be written stops ipband at start with exit status 2.
func TestEvidenceDir(t *testing.T) {
	dir := t.TempDir()
	r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "--evidence-dir", dir, "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	file := filepath.Join(dir, "ipband-10.10.123.0_24-20010806T100100Z.pcap")
	if n := strings.Count(r.outfile, "\nEvidence: "+file+"\n"); n != 2 {
		t.Errorf("%d reports name %s, want 2:\n%s", n, file, r.outfile)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the evidence directory, want 1", len(ents))
	}
	replay := ipband(t, "-C", "--read", file, "-b", "22", "-o", "-")
	if m := regexp.MustCompile(`: ([1-9][0-9]*) packets: ([0-9]+) IP, 0 not IP, 0 malformed`).FindStringSubmatch(replay.stderr); replay.code != 0 || m == nil || m[1] != m[2] {
		t.Errorf("replaying the evidence: exit %d: %s", replay.code, replay.stderr)
	}

	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	bad := ipband(t, "-C", "--read", td+"/classic.pcap", "--evidence-dir", notDir, "-o", "OUT")
	if bad.code != exitUsage || !strings.Contains(bad.stderr, "evidencedir "+notDir+": evidence: ") {
		t.Errorf("not a directory: exit %d: %s", bad.code, bad.stderr)
	}
}
