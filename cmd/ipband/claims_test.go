//go:build cgo && linux

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
)

// What the manual says, checked through the command.

// TestSecondSignalAbandonsFlush checks that SIGINT during the flush at
// exit cuts it short and says so, where it used to kill ipband without a
// word: the mail command hangs, the mail timeout is a minute.
func TestSecondSignalAbandonsFlush(t *testing.T) {
	dir := commandDir(t)
	out, mta, started := filepath.Join(t.TempDir(), "out.txt"), filepath.Join(dir, "sendmail"), filepath.Join(dir, "started")
	if err := os.WriteFile(mta, []byte("#!/bin/sh\ntouch "+started+"\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := startIpband(t, "-c", filepath.Join(td, "classic.conf"), "--read", filepath.Join(td, "classic.pcap"),
		"-o", out, "-M", "noc@example.com", "-T", mta, "--spool-dir", filepath.Join(dir, "spool"), "--mail-timeout", "60s")
	d.until("the mail command", func() bool { _, err := os.Stat(started); return err == nil })
	d.signal(syscall.SIGINT)
	code := d.wait(20 * time.Second) // not the minute of the mail timeout
	stderr := d.stderr.String()
	if code != exitOK && code != exitFail {
		t.Errorf("exit %d, want 0 (the message cut off stays spooled) or 1 (it is counted lost)", code)
	}
	if !strings.Contains(stderr, "ipband: SIGINT during the flush: abandoning it, what is not yet written is lost (mail stays spooled)") {
		t.Errorf("no word of the abandoned flush:\n%s", stderr)
	}
	if !strings.Contains(stderr, "ipband: mail: ") {
		t.Errorf("the mail queue does not say what became of the message:\n%s", stderr)
	}
}

// TestOverlappingSubnets checks that an address counts in the most
// specific of two overlapping subnet lines only: 10.10.0.0/16 gets the
// branch offices' traffic but not 10.10.123.0/24's, which is larger.
func TestOverlappingSubnets(t *testing.T) {
	cfg := writeConf(t, t.TempDir(), "overlap.conf", "subnet 10.10.0.0/16\nsubnet 10.10.123.0/24\n")
	r := hostileRun(t, "-c", cfg, "--read", filepath.Join(td, "classic.pcap"), "-d", "2", "-o", "OUT")
	row := regexp.MustCompile(`(?m)^[ *](10\.10\.(?:0\.0/16|123\.0))\s+([0-9.]+) kB`)
	first := map[string]float64{}
	for _, m := range row.FindAllStringSubmatch(r.stdout, -1) {
		if _, ok := first[m[1]]; !ok {
			first[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	wide, narrow := first["10.10.0.0/16"], first["10.10.123.0"]
	if wide == 0 || narrow == 0 || wide >= narrow {
		t.Errorf("first period: /16 %.2f kB, /24 %.2f kB: want both, the /16 without the /24's traffic\n%s", wide, narrow, tail(r.stdout, 2000))
	}
}

// TestReportRoundedUp checks that a reporting period that is not a
// multiple of the averaging period is said to be rounded up, and that the
// first report comes when the manual says: one period to start logging,
// then the rounded reporting period.
func TestReportRoundedUp(t *testing.T) {
	r := hostileRun(t, "-c", filepath.Join(td, "classic.conf"), "--read", filepath.Join(td, "classic.pcap"), "-a", "60", "-r", "90", "-o", "OUT")
	if !strings.Contains(r.stderr, "ipband: report 90 (flag -r/--report) is not a multiple of average 60 (") ||
		!strings.Contains(r.stderr, "reports come every 120 s of logging") {
		t.Errorf("no warning of the rounding:\n%s", r.stderr)
	}
	if !strings.Contains(r.outfile, "exceeded for: 2.00 min") || strings.Contains(r.outfile, "exceeded for: 1.50 min") {
		t.Errorf("reports are not 120 s apart:\n%s", tail(r.outfile, 1500))
	}
	r = hostileRun(t, "-c", filepath.Join(td, "classic.conf"), "--read", filepath.Join(td, "classic.pcap"), "-a", "60", "-r", "120", "-o", "OUT")
	if strings.Contains(r.stderr, "multiple") {
		t.Errorf("a multiple is warned about:\n%s", r.stderr)
	}
}

// TestOneRuleForOutputDirs checks that, as root, every file output and the
// evidence directory refuse a directory others can write (a sticky one
// like /tmp included), as -o and -w always did.
func TestOneRuleForOutputDirs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the rule is root's")
	}
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	classic := filepath.Join(td, "classic.pcap")
	for _, tt := range []struct{ flag, arg string }{
		{"-o", filepath.Join(shared, "r.txt")},
		{"-w", filepath.Join(shared, "p.html")},
		{"--json-file", filepath.Join(shared, "r.json")},
		{"--stats-file", filepath.Join(shared, "s.json")},
		{"--evidence-dir", shared},
	} {
		args := []string{"-C", "--read", classic, tt.flag, tt.arg}
		if tt.flag != "-o" {
			args = append(args, "-o", "OUT")
		}
		r := hostileRun(t, args...)
		want := "directory " + shared + ": writable by other users, unsafe for root"
		if tt.flag == "--evidence-dir" { // the spool's rule, with the fix
			want = shared + ": unsafe directory: writable by other users (mode 0777): chmod go-w " + shared
		}
		checkRefused(t, r, want)
		if ents, _ := os.ReadDir(shared); len(ents) != 0 {
			t.Errorf("%s: left %d files in the directory", tt.flag, len(ents))
		}
	}
}

// TestEvidenceSnaplen checks that a live capture keeps the first 512
// bytes of each frame in evidence files, as the manual says, and the
// bytes evidencesnaplen asks for when set.
func TestEvidenceSnaplen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 512},
		{[]string{"--evidence-snaplen", "2000"}, 1200 + 8 + 20 + 14},
	} {
		dir := t.TempDir()
		ev := filepath.Join(dir, "evidence")
		if err := os.Mkdir(ev, 0o700); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out.txt")
		port, tx := loopbackUDP(t)
		d := startIpband(t, append([]string{"-C", "-i", "lo", "-f", "udp and dst port " + port, "-a", "1", "-r", "1", "-b", "1",
			"-o", out, "--evidence-dir", ev}, tt.args...)...)
		payload := make([]byte, 1200)
		d.until("a report", func() bool {
			tx.Write(payload) //nolint:errcheck // a lost datagram changes nothing here
			time.Sleep(10 * time.Millisecond)
			return strings.Contains(readFile(out), "Evidence: ")
		})
		d.signal(syscall.SIGTERM)
		d.wait(20 * time.Second)
		files, _ := filepath.Glob(filepath.Join(ev, "ipband-*.pcapng"))
		if len(files) == 0 {
			t.Fatalf("%q: no evidence file; stderr:\n%s", tt.args, d.stderr.String())
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		_, ci, err := r.ReadPacketData()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != tt.want || ci.Length != 1200+8+20+14 {
			t.Errorf("%q: frame of %d bytes kept %d, want %d", tt.args, ci.Length, ci.CaptureLength, tt.want)
		}
	}
}

// TestDocsSayEvictionByBytes checks that no manual says subnets are
// evicted by recency: the table evicts the one with the fewest bytes this
// period (TestFloodKeepsHeavySubnet runs it through the command).
func TestDocsSayEvictionByBytes(t *testing.T) {
	for _, f := range []string{"../../docs/ipband.8", "../../docs/ipband.conf.5", "../../ipband.conf.example", "../../README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ")
		if regexp.MustCompile(`(?i)least[ #]+recently[ #]+seen`).MatchString(text) {
			t.Errorf("%s says subnets are evicted least recently seen", f)
		}
		if f != "../../README.md" && !strings.Contains(text, "fewest bytes this period") {
			t.Errorf("%s does not say the subnet with the fewest bytes this period is evicted", f)
		}
	}
}
