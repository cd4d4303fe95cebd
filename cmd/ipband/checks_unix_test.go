//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOutputModesAndLinks replays classic.pcap with a report file and a
// status page under several umasks: the report file is created 0640 less
// the umask, the page 0644 whatever the umask (it is there to be served).
// Then a symbolic link is planted at the page's path: the page replaces
// the link and the link's target is untouched.
func TestOutputModesAndLinks(t *testing.T) {
	conf, classic := filepath.Join(td, "classic.conf"), filepath.Join(td, "classic.pcap")
	for _, mask := range []int{0o022, 0o027, 0o077} {
		dir := t.TempDir()
		out, page := filepath.Join(dir, "ipband.txt"), filepath.Join(dir, "status.html")
		old := syscall.Umask(mask)
		r := hostileRun(t, "-c", conf, "--read", classic, "-o", out, "-w", page)
		syscall.Umask(old)
		if r.code != exitOK {
			t.Fatalf("umask %03o: exit %d:\n%s", mask, r.code, r.stderr)
		}
		for _, p := range []string{out, page} {
			fi, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			want := os.FileMode(0o640 &^ mask)
			if p == page {
				want = 0o644
			}
			if fi.Mode() != want {
				t.Errorf("umask %03o: %s mode %v, want %v", mask, filepath.Base(p), fi.Mode(), want)
			}
		}
	}

	dir := t.TempDir()
	victim, page := filepath.Join(dir, "victim"), filepath.Join(dir, "status.html")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, page); err != nil {
		t.Fatal(err)
	}
	r := hostileRun(t, "-c", conf, "--read", classic, "-o", "OUT", "-w", page)
	if r.code != exitOK {
		t.Fatalf("planted page link: exit %d:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Lstat(page); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the page is not a regular file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}
