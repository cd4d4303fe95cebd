//go:build cgo && linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// daemonRun is the real ipband binary running in a test, with its output.
type daemonRun struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan error
}

// startIpband starts the built binary with args.
func startIpband(t *testing.T, args ...string) *daemonRun {
	t.Helper()
	d := &daemonRun{t: t, done: make(chan error, 1)}
	d.cmd = exec.Command(ipbandBinary(t), args...)
	d.cmd.Stdout, d.cmd.Stderr = &d.stdout, &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		d.cmd.Process.Kill() //nolint:errcheck // it may have exited
	})
	return d
}

// signal sends sig to the process, as kill(1) does.
func (d *daemonRun) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := syscall.Kill(d.cmd.Process.Pid, sig); err != nil {
		d.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its status.
func (d *daemonRun) wait(within time.Duration) int {
	d.t.Helper()
	select {
	case err := <-d.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			d.t.Fatal(err)
		}
		return 0
	case <-time.After(within):
		d.t.Fatalf("ipband still running after %v; stderr:\n%s", within, d.stderr.String())
		return -1
	}
}

// until polls cond until it holds, failing the test after 30 s.
func (d *daemonRun) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s; stderr:\n%s\nstdout (end):\n%s", what, d.stderr.String(), tail(d.stdout.String(), 1500))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestReplaySIGINT replays from a FIFO that stays open, as from tcpdump -w -:
// SIGINT must stop the replay that waits for more data, flush the
// reports made so far and exit 0, like SIGTERM in live capture.
func TestReplaySIGINT(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(signalName(sig), func(t *testing.T) { replayStop(t, sig) })
	}
}

func signalName(sig syscall.Signal) string {
	if sig == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

func replayStop(t *testing.T, sig syscall.Signal) {
	dir := t.TempDir()
	fifo, out := filepath.Join(dir, "capture"), filepath.Join(dir, "out.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	d := startIpband(t, "-C", "--read", fifo, "-a", "1", "-r", "1", "-b", "1", "-o", out)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(t, 1000)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 40; i++ { // 10 kB/s for 4 s: reports at the ends of periods 1 and 2
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond), CaptureLength: len(frame), Length: len(frame)}
		if err := pw.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	d.until("two reports", func() bool { return strings.Count(readFile(out), "Network: 10.0.0.0") == 2 })
	d.signal(sig)
	if code := d.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit %d after %s, want 0; stderr:\n%s", code, signalName(sig), d.stderr.String())
	}
	stderr := d.stderr.String()
	if !strings.Contains(stderr, "stopping on "+signalName(sig)) || !strings.Contains(stderr, fifo+": 40 packets: 40 IP, 0 not IP, 0 malformed") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\S+ ipband: stopping on `).MatchString(stderr) {
		t.Errorf("log lines have no timestamp:\n%s", stderr)
	}
}

// TestLiveSignals runs the binary on the loopback interface with a
// preloaded subnet while this test sends traffic, and drives it as an
// admin would with kill: the pid file, SIGUSR1, SIGHUP with a good config
// (state kept, new threshold from the next period), a bad config (kept
// out, logged with its file and line), rotation of the report file by
// rename and by copytruncate, and SIGTERM.
func TestLiveSignals(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	dir := t.TempDir()
	cfgFile, out, pid := filepath.Join(dir, "ipband.conf"), filepath.Join(dir, "out.txt"), filepath.Join(dir, "ipband.pid")
	writeConf := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port, tx := loopbackUDP(t)
	writeConf("subnet 127.0.0.0 bandwidth 1\n")
	d := startIpband(t, "-c", cfgFile, "-i", "lo", "-f", "udp and dst port "+port, "-a", "1", "-r", "2",
		"-o", out, "-d", "2", "--pidfile", pid)

	// Traffic, about 40 kB/s, until the test ends.
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		payload := make([]byte, 1000)
		for {
			select {
			case <-stop:
				return
			case <-time.After(25 * time.Millisecond):
				tx.Write(payload) //nolint:errcheck // a lost datagram changes nothing here
			}
		}
	}()
	defer func() { close(stop); <-sent }()

	tableLine := regexp.MustCompile(`(?m)^([ *])127\.0\.0\.0 +[0-9.]+ kB +[0-9.]+/ *([0-9.]+) kBps in .* kBps$`)
	lines := func() [][]string { return tableLine.FindAllStringSubmatch(d.stdout.String(), -1) }
	lastLine := func() []string {
		l := lines()
		if len(l) == 0 {
			return nil
		}
		return l[len(l)-1]
	}
	d.until("detail logging under threshold 1", func() bool { l := lastLine(); return l != nil && l[1] == "*" && l[2] == "1.00" })
	d.until("a first report", func() bool { return strings.Contains(readFile(out), "Network: 127.0.0.0") })

	// The pid file holds the pid and is locked; a second ipband refuses it.
	if b, err := os.ReadFile(pid); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(d.cmd.Process.Pid) {
		t.Errorf("pid file %q (%v), want %d", b, err, d.cmd.Process.Pid)
	}
	if f, err := os.Open(pid); err == nil {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Errorf("flock of the pid file: %v, want EWOULDBLOCK", err)
		}
		f.Close()
	}
	second, err := exec.Command(ipbandBinary(t), "-C", "-i", "lo", "--pidfile", pid, "-o", filepath.Join(dir, "x")).CombinedOutput()
	if code := exitCode(err); code != exitUsage || !strings.Contains(string(second), "locked by another ipband (process "+strconv.Itoa(d.cmd.Process.Pid)+")") {
		t.Errorf("second ipband with the same pid file: exit %d, %s", code, second)
	}

	// SIGUSR1: the table of the open period, in the log.
	d.signal(syscall.SIGUSR1)
	d.until("the SIGUSR1 table", func() bool {
		s := d.stderr.String()
		i := strings.Index(s, "table of the open period")
		return i >= 0 && regexp.MustCompile(`ipband: \*127\.0\.0\.0 +[0-9.]+ kB`).MatchString(s[i:])
	})

	// SIGHUP with threshold 2: still over, so logging goes on without a
	// break, the episode with it: its next report has more exceeded time
	// than the last one under threshold 1.
	lastExceeded := func(threshold string) float64 {
		re := regexp.MustCompile(`Bandwidth threshold: ` + regexp.QuoteMeta(threshold) + ` kBps, exceeded for: ([0-9.]+) min`)
		m := re.FindAllStringSubmatch(readFile(out), -1)
		if len(m) == 0 {
			return -1
		}
		f, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
		return f
	}
	before := len(lines())
	writeConf("# reloaded\nsubnet 127.0.0.0 bandwidth 2\n")
	d.signal(syscall.SIGHUP)
	d.until("threshold 2 in the table", func() bool { l := lastLine(); return l != nil && l[2] == "2.00" })
	exceeded1 := lastExceeded("1.00")
	d.until("a report under threshold 2", func() bool { return lastExceeded("2.00") > 0 })
	if e2 := lastExceeded("2.00"); e2 <= exceeded1 {
		t.Errorf("exceeded %.2f min after the reload, %.2f before: the episode was not kept", e2, exceeded1)
	}
	for _, l := range lines()[before:] {
		if l[1] != "*" {
			t.Errorf("logging broke off across the reload: %q", l[0])
		}
	}
	if !strings.Contains(d.stderr.String(), "config reloaded") {
		t.Errorf("no reload message:\n%s", d.stderr.String())
	}

	// A bad config is logged with its file and line and kept out.
	writeConf("subnet 127.0.0.0 bandwidth 3\nbandwidth abc\n")
	d.signal(syscall.SIGHUP)
	d.until("the bad config's message", func() bool {
		return strings.Contains(d.stderr.String(), "reload failed, keeping the running config: "+cfgFile+":2: bandwidth")
	})
	n := len(lines())
	d.until("two more periods", func() bool { return len(lines()) >= n+2 })
	if l := lastLine(); l[2] != "2.00" {
		t.Errorf("after a bad reload the threshold is %s, want 2.00 kept", l[2])
	}

	// Rotation by rename: the next report goes to a new file.
	if err := os.Rename(out, out+".1"); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	d.until("a report in the new file", func() bool { return strings.Contains(readFile(out), "Network: 127.0.0.0") })
	// Rotation by copytruncate: the next report starts at the beginning.
	if err := os.Truncate(out, 0); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	d.until("a report after truncation", func() bool { return strings.Contains(readFile(out), "Network: 127.0.0.0") })
	if b := readFile(out); !strings.HasPrefix(b, "Date:") || strings.ContainsRune(b, 0) {
		t.Errorf("after copytruncate the file starts %q", tail(b[:min(len(b), 40)], 40))
	}

	// Threshold 1000: logging stops from the next period. A changed output
	// directive is said to need a restart.
	writeConf("subnet 127.0.0.0 bandwidth 1000\nhtmltitle Elsewhere\n")
	d.signal(syscall.SIGHUP)
	d.until("no logging under threshold 1000", func() bool { l := lastLine(); return l != nil && l[1] == " " && l[2] == "1000.00" })

	if !strings.Contains(d.stderr.String(), "changed, in force only after a restart: htmltitle subsystem=config") {
		t.Errorf("no restart note for htmltitle:\n%s", d.stderr.String())
	}

	// SIGTERM: flush, exit 0, pid file removed.
	d.signal(syscall.SIGTERM)
	if code := d.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr:\n%s", code, d.stderr.String())
	}
	if !strings.Contains(d.stderr.String(), "stopping on SIGTERM") {
		t.Errorf("stderr:\n%s", d.stderr.String())
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pid file left at exit: %v", err)
	}
	if bytes.Contains([]byte(d.stderr.String()), []byte("lost")) {
		t.Errorf("losses at exit:\n%s", d.stderr.String())
	}
}

// TestLiveStopFlushesMail stops a live capture with SIGINT while the mail
// command is slow and reports wait in the mail queue: every report in the
// file must also have been handed to the mail command before the exit,
// which is 0.
func TestLiveStopFlushesMail(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	dir := commandDir(t)
	out, mta := filepath.Join(t.TempDir(), "out.txt"), filepath.Join(dir, "sendmail")
	// One message a second at most: reports queue up behind it.
	script := "#!/bin/sh\nsleep 1\ncat > $(mktemp " + dir + "/msg.XXXXXX)\n"
	if err := os.WriteFile(mta, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	port, tx := loopbackUDP(t)
	d := startIpband(t, "-C", "-i", "lo", "-f", "udp and dst port "+port, "-a", "1", "-r", "1", "-b", "1",
		"-o", out, "-M", "noc@example.com", "-T", mta, "--spool-dir", filepath.Join(dir, "spool"))
	payload := make([]byte, 1000)
	d.until("three reports", func() bool {
		tx.Write(payload) //nolint:errcheck // a lost datagram changes nothing here
		time.Sleep(10 * time.Millisecond)
		return strings.Count(readFile(out), "Network: 127.0.0.0") >= 3
	})
	d.signal(syscall.SIGINT)
	if code := d.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, d.stderr.String())
	}
	reports := strings.Count(readFile(out), "Network: 127.0.0.0")
	msgs, _ := filepath.Glob(filepath.Join(dir, "msg.*"))
	if len(msgs) != reports {
		t.Errorf("%d reports in the file, %d handed to the mail command: the queue was not flushed; stderr:\n%s", reports, len(msgs), d.stderr.String())
	}
}

// exitCode is the exit status in err from exec, 0 for nil.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
