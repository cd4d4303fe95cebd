package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The errors a new admin meets first: each names the flag or directive at
// fault once, and says what would be right.

// TestUnknownInterface checks that a mistyped interface is named once and
// the interfaces that exist are listed.
func TestUnknownInterface(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("opening an interface needs root (CAP_NET_RAW): without it libpcap refuses before it looks")
	}
	r := hostileRun(t, "-C", "ipb-nosuch9", "-o", "OUT")
	checkRefused(t, r, "interface ipb-nosuch9: no such interface; interfaces: ", "lo")
	if n := strings.Count(r.stderr, "ipb-nosuch9"); n != 1 {
		t.Errorf("the interface is named %d times, want once:\n%s", n, r.stderr)
	}
}

// TestLongFlagWithOneDash checks that -read, which pflag would take as -r
// with the value "ead", is refused with the flag it spells.
func TestLongFlagWithOneDash(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap")
	for _, args := range [][]string{
		{"-C", "-read", classic, "-o", "OUT"},
		{"-C", "-read=" + classic, "-o", "OUT"},
		{"-C", "--read", classic, "-average", "60", "-o", "OUT"},
	} {
		r := hostileRun(t, args...)
		name := "--read"
		if strings.Contains(strings.Join(args, " "), "-average") {
			name = "--average"
		}
		checkRefused(t, r, "did you mean "+name+"?")
		if strings.Contains(r.stderr, "ead") && !strings.Contains(r.stderr, "read") {
			t.Errorf("the error speaks of -r: %s", r.stderr)
		}
	}
	// A shorthand with its value attached, and a value after --, still work.
	if r := hostileRun(t, "-C", "-R"+classic, "-a60", "-o", "OUT"); r.code != exitOK {
		t.Errorf("-R%s -a60: exit %d:\n%s", classic, r.code, r.stderr)
	}
}

// TestErrorsNameTheirFlag checks that the pid file, mail footer and
// evidence directory errors name their flag and directive, and not an
// internal file.
func TestErrorsNameTheirFlag(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"pidfile", []string{"--pidfile", filepath.Join(missing, "ipband.pid")}, []string{"flag --pidfile: ", "no such file or directory"}},
		{"mailfoot", []string{"-M", "root@localhost", "-T", "/bin/cat", "-l", filepath.Join(missing, "footer")}, []string{"flag -l/--mailfoot or mailfoot: ", "no such file or directory"}},
		{"evidence-missing", []string{"--evidence-dir", missing}, []string{"flag --evidence-dir or evidencedir " + missing + ": ", "no such file or directory"}},
	}
	if os.Geteuid() == 0 { // root writes anywhere but in sysfs
		tests = append(tests, struct {
			name string
			args []string
			want []string
		}{"evidence-unwritable", []string{"--evidence-dir", "/sys/kernel"}, []string{"flag --evidence-dir or evidencedir /sys/kernel: evidence: cannot create files in the directory: permission denied"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hostileRun(t, append([]string{"-C", "--read", classic, "-o", "OUT", "--spool-dir", filepath.Join(dir, "spool")}, tt.args...)...)
			checkRefused(t, r, tt.want...)
			if strings.Contains(r.stderr, "probe") {
				t.Errorf("the error names an internal file: %s", r.stderr)
			}
		})
	}
}
