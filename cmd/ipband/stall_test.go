//go:build cgo && linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMailStalledAtExit replays the branch capture with mail to a server
// that stalls in the middle of the first message, and a short
// mailtimeout: the reports are spooled, the flush time runs out with the
// server still stalled, and that loses nothing: ipband exits 0 and says
// how many messages wait in the spool for the next start.
func TestMailStalledAtExit(t *testing.T) {
	srv := startMailServer(t, true)
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	args := append([]string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-o", filepath.Join(dir, "out.txt"),
		"-M", "noc@example.com", "--mail-timeout", "1s"}, smtpFlags(t, dir, srv.Addr)...)
	var stderr bytes.Buffer
	cmd := exec.Command(ipbandBinary(t), args...)
	cmd.Stderr = &stderr
	code := exitCode(cmd.Run())
	want := "mail: 2 messages left in the spool " + spool + ", to be sent at the next start"
	if code != exitOK || !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "still busy") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 0 and %q", code, stderr.String(), want)
	}
	if m, _ := filepath.Glob(filepath.Join(spool, "[0-9]*.eml")); len(m) != 2 {
		t.Errorf("%d messages in the spool, want 2", len(m))
	}
}

// TestMailStalledAtSIGTERM captures live on lo with mail to a server that
// stalls mid-message, and stops ipband with SIGTERM, as systemctl stop
// does: the reports are spooled, so ipband exits 0 and says how many
// messages wait in the spool for the next start.
func TestMailStalledAtSIGTERM(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	srv := startMailServer(t, true)
	dir := t.TempDir()
	spool, out := filepath.Join(dir, "spool"), filepath.Join(dir, "out.txt")
	port, tx := loopbackUDP(t)
	d := startIpband(t, append([]string{"-C", "-i", "lo", "-f", "udp and dst port " + port, "-a", "1", "-r", "1", "-b", "1",
		"-o", out, "-M", "noc@example.com", "--mail-timeout", "1s"}, smtpFlags(t, dir, srv.Addr)...)...)
	payload := make([]byte, 1000)
	d.until("a report and a stalled mail", func() bool {
		tx.Write(payload) //nolint:errcheck // a lost datagram changes nothing here
		time.Sleep(10 * time.Millisecond)
		select {
		case <-srv.Stalled():
			return strings.Contains(readFile(out), "Network: 127.0.0.0")
		default:
			return false
		}
	})
	d.signal(syscall.SIGTERM)
	code := d.wait(30 * time.Second)
	if want := "left in the spool " + spool + ", to be sent at the next start"; code != exitOK || !strings.Contains(d.stderr.String(), want) {
		t.Errorf("exit %d after SIGTERM, stderr:\n%s\nwant exit 0 and %q", code, d.stderr.String(), want)
	}
}
