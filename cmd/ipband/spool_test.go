//go:build cgo && linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpoolPlantedLinks replays the branch capture with mail through a
// spool in which another user planted symbolic links, or that another
// user may write: ipband, run as root, follows none of them. A planted
// probe or lock link leaves its target untouched, a failed directory
// that is a link is refused at start, and so are a spool and an evidence
// directory that others may write or that belong to another user, with
// the path and the fix in the message.
func TestSpoolPlantedLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the spool's checks of owners and planted links are root's; run the tests as root")
	}
	uid, _ := nobody(t)
	dir := commandDir(t)
	mta := filepath.Join(dir, "sendmail")
	if err := os.WriteFile(mta, []byte("#!/bin/sh\ncat >/dev/null\nexit 1\n"), 0o755); err != nil { // fails for good
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, spool, victim string) // before the run; victim holds "secret"
		code  int
		msg   string // in stderr
	}{
		{"probe", func(t *testing.T, spool, victim string) { symlink(t, victim, filepath.Join(spool, ".tmp-probe")) },
			exitFail, "2 messages failed for good"}, // the stand-in MTA refuses both: the run goes on
		{"lock", func(t *testing.T, spool, victim string) {
			symlink(t, victim+".new", filepath.Join(spool, ".lock"))
		}, exitUsage, ".lock: too many levels of symbolic links"},
		{"failed", func(t *testing.T, spool, victim string) {
			if err := os.Mkdir(victim+".dir", 0o700); err != nil {
				t.Fatal(err)
			}
			symlink(t, victim+".dir", filepath.Join(spool, "failed"))
		}, exitUsage, "/failed: unsafe directory: not a directory (a symbolic link is refused): remove it"},
		{"world-writable", func(t *testing.T, spool, _ string) {
			if err := os.Chmod(spool, 0o777); err != nil {
				t.Fatal(err)
			}
		}, exitUsage, ": unsafe directory: writable by other users (mode 0777): chmod go-w "},
		{"other owner", func(t *testing.T, spool, _ string) {
			if err := os.Chown(spool, uid, -1); err != nil {
				t.Fatal(err)
			}
		}, exitUsage, ": unsafe directory: owned by nobody, not by root, who writes it: chown root "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			top := t.TempDir()
			spool, victim := filepath.Join(top, "spool"), filepath.Join(top, "victim")
			if err := os.Mkdir(spool, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(victim, []byte("secret"), 0o600); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, spool, victim)
			r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT",
				"-M", "noc@example.com", "-T", mta, "--spool-dir", spool)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tt.code, tt.msg)
			}
			if tt.code == exitUsage && !strings.Contains(r.stderr, "flag --spool-dir or spooldir: mail: spool "+spool) {
				t.Errorf("the error does not name the flag and the spool:\n%s", r.stderr)
			}
			if b, err := os.ReadFile(victim); err != nil || string(b) != "secret" {
				t.Errorf("the planted link's target now holds %q (%v), want \"secret\"", b, err)
			}
			for _, p := range []string{victim + ".new", victim + ".dir"} {
				if ents, _ := os.ReadDir(p); len(ents) > 0 {
					t.Errorf("%s got %d file(s) through a planted link", p, len(ents))
				}
				if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
					t.Errorf("%s was created through a planted link", p)
				}
			}
		})
	}
	t.Run("evidence", func(t *testing.T) {
		ev := t.TempDir()
		if err := os.Chmod(ev, 0o777); err != nil {
			t.Fatal(err)
		}
		r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT", "--evidence-dir", ev)
		want := "flag --evidence-dir or evidencedir " + ev + ": evidence: " + ev +
			": unsafe directory: writable by other users (mode 0777): chmod go-w " + ev
		if r.code != exitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, want)
		}
		if err := os.Chmod(ev, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(ev, uid, -1); err != nil {
			t.Fatal(err)
		}
		r = ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT", "--evidence-dir", ev)
		if want := ": unsafe directory: owned by nobody, not by root, who writes it: chown root " + ev; r.code != exitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, want)
		}
	})
}

// symlink plants a symbolic link at link pointing to target.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
