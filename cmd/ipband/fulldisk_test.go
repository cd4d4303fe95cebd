//go:build cgo && linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFullDiskWholeRecords replays the branch capture into each line and
// report file on a real 64 KiB tmpfs that fills up in the middle of the
// first record: the file keeps what it held and no fragment of the record
// (a fragment would have the next line appended to it, and jq would fail
// on every later line). Once there is room again, the next run appends
// every record whole after the old content.
func TestFullDiskWholeRecords(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; run the tests as root to check a full disk")
	}
	bin := ipbandBinary(t)
	conf, pcap := filepath.Join(td, "classic.conf"), filepath.Join(td, "classic.pcap")
	for _, tt := range []struct {
		flag, name, old string
	}{
		{"-o", "r.txt", "an old report\n\n"},
		{"--json-file", "r.json", `{"old":"line"}` + "\n"},
		{"--stats-file", "s.json", `{"old":"line"}` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			replay := func(dir string) string {
				t.Helper()
				args := []string{"-c", conf, "--read", pcap, "-o", os.DevNull, tt.flag, filepath.Join(dir, tt.name)}
				out, _ := exec.Command(bin, args...).CombinedOutput()
				return string(out)
			}
			refDir := t.TempDir()
			replay(refDir)
			ref := readFile(filepath.Join(refDir, tt.name))
			if ref == "" {
				t.Fatalf("the reference run wrote no %s", tt.name)
			}

			mnt := t.TempDir()
			if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0755"); err != nil {
				t.Skipf("cannot mount a tmpfs: %v", err)
			}
			t.Cleanup(func() { syscall.Unmount(mnt, 0) }) //nolint:errcheck // the temporary directory goes too
			// The old content fills the file's first page but for 100
			// bytes, the filler every other page: the first record is cut
			// at the page boundary.
			old := strings.Repeat(tt.old, (4096-100)/len(tt.old))
			path := filepath.Join(mnt, tt.name)
			if err := os.WriteFile(path, []byte(old), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, 15*4096), 0o600); err != nil {
				t.Fatal(err)
			}
			out := replay(mnt)
			if !strings.Contains(out, "no space left on device") {
				t.Errorf("the disk did not fill up; ipband said:\n%s", out)
			}
			if got := readFile(path); got != old {
				t.Errorf("on a full disk %s grew from %d to %d bytes, ending %q: a fragment of a record", tt.name, len(old), len(got), tail(got, 120))
			}

			if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
				t.Fatal(err)
			}
			replay(mnt)
			if got := readFile(path); got != old+ref {
				t.Errorf("with room again %s is not the old content and every record whole:\n%s", tt.name, diff(old+ref, got))
			}
		})
	}
}
