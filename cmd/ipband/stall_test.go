//go:build linux

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
