package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// TestTUIRefused checks that --tui refuses, with one line, a standard
// output that is not a terminal, and that --replay-speed wants --read.
func TestTUIRefused(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap")
	checkRefused(t, hostileRun(t, "-C", "--read", classic, "--tui", "-o", "OUT"), "ipband: flag --tui: standard output is not a terminal")
	checkRefused(t, hostileRun(t, "-C", "--replay-speed", "1", "-o", "OUT"), "flag --replay-speed paces a replay: it needs --read")
	checkRefused(t, hostileRun(t, "-C", "--read", classic, "--replay-speed", "-1", "-o", "OUT"), "flag --replay-speed: \"-1\"")
}

// TestReplaySpeed checks that --replay-speed 1 replays at the pace of
// the capture (three records over 600 ms take at least that), and 2 twice
// as fast, with the same reports.
func TestReplaySpeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paced.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(t, 1000)
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for i := range 61 { // 10 kB/s over 600 ms, in periods of 1 s: no period closes
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	for _, tt := range []struct {
		speed string
		least time.Duration
	}{{"1", 600 * time.Millisecond}, {"2", 300 * time.Millisecond}} {
		began := time.Now()
		r := hostileRun(t, "-C", "--read", path, "--replay-speed", tt.speed, "-a", "1", "-o", "OUT")
		if took := time.Since(began); took < tt.least || r.code != exitOK {
			t.Errorf("--replay-speed %s: exit %d after %v, want 0 after %v or more; stderr:\n%s", tt.speed, r.code, took, tt.least, r.stderr)
		}
		if !strings.Contains(r.stderr, ": 61 packets: 61 IP") {
			t.Errorf("--replay-speed %s: stderr:\n%s", tt.speed, r.stderr)
		}
	}
}

// tmux runs tmux on a server of the test's own.
func tmux(t *testing.T, socket string, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestTUIInTmux runs the binary with --tui in a real terminal, tmux, on a
// replay at 120 times the capture's pace: the view shows the subnets
// sorted by load, filters, shows a subnet's connections and last report
// on Enter, and q stops the replay and flushes the outputs as SIGTERM
// does, the reports made so far in the report file.
func TestTUIInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (make deps installs it): --tui not run in a terminal")
	}
	if testing.Short() {
		t.Skip("-short: --tui not run in a terminal")
	}
	bin := ipbandBinary(t)
	dir := t.TempDir()
	out, errs, rc := filepath.Join(dir, "out.txt"), filepath.Join(dir, "stderr"), filepath.Join(dir, "rc")
	socket := fmt.Sprintf("ipband-test-%d", os.Getpid())
	cmd := fmt.Sprintf("%s -c %s --networks %s --read %s --replay-speed 120 --tui -o %s 2>%s; echo $? >%s; sleep 30",
		bin, filepath.Join(td, "classic.conf"), filepath.Join(td, "networks"), filepath.Join(td, "classic.pcap"), out, errs, rc)
	tmux(t, socket, "new-session", "-d", "-x", "132", "-y", "32", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() }) //nolint:errcheck // it may be gone
	screen := func() string { return tmux(t, socket, "capture-pane", "-p") }
	until := func(what string, cond func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := screen()
			if cond(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the terminal:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	has := func(want ...string) func(string) bool {
		return func(s string) bool {
			for _, w := range want {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		}
	}
	until("the table with a report", has("ipband: file "+filepath.Join(td, "classic.pcap")+", period 60 s", "SUBNET", "LOAD", "STATE",
		"10.10.123.0", "halifax", "logging", "1 report", "last period: "))
	tmux(t, socket, "send-keys", "/", "hali", "Enter")
	s := until("the filtered table", has(`filter "hali"`))
	if strings.Contains(s, "toronto") {
		t.Errorf("the filter left toronto:\n%s", s)
	}
	tmux(t, socket, "send-keys", "Enter")
	until("the detail", has("10.10.123.0 halifax, threshold 22.00 kB/s", "Last report, ", "Top connections of this episode so far"))
	tmux(t, socket, "send-keys", "q")
	until("the exit", func(string) bool { _, err := os.Stat(rc); return err == nil })
	if code := strings.TrimSpace(fileText(rc)); code != "0" {
		t.Errorf("exit %s after q, want 0; stderr:\n%s", code, fileText(errs))
	}
	stderr := fileText(errs)
	if !strings.Contains(stderr, "ipband: stopping on q: flushing outputs") || !strings.Contains(stderr, "classic.pcap: ") {
		t.Errorf("stderr after q:\n%s", stderr)
	}
	if n := strings.Count(fileText(out), "Network: 10.10.123.0"); n == 0 {
		t.Errorf("no report in the report file after q:\n%s", stderr)
	}
	if s := screen(); strings.Contains(s, "SUBNET") {
		t.Errorf("the terminal was not given back:\n%s", s)
	}
}

// fileText is the content of path, "" when it cannot be read.
func fileText(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
