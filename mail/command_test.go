package mail_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	ipmail "ipband/mail"
	"ipband/watchdog/service/privilege"
)

// countingMTA is a fake sendmail that numbers its runs in $D/runs and then
// runs body.
func countingMTA(t *testing.T, body string) (*ipmail.Command, string) {
	t.Helper()
	path, dir := fakeMTA(t, `n=$(cat "$D/runs" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$D/runs"`+"\n"+body)
	return &ipmail.Command{Args: []string{path, "-t", "-oi"}}, dir
}

// TestQueueCommandTempFail: the command exits 75 (EX_TEMPFAIL) the first
// time; the message is tried again and delivered.
func TestQueueCommandTempFail(t *testing.T) {
	c, dir := countingMTA(t, `if [ $n -eq 1 ]; then echo 'queue full, try later' >&2; exit 75; fi; cat > "$D/out"`)
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: c, To: []string{"root"}, SpoolDir: spool})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return q.Counts().Sent == 1 })
	if runs := strings.TrimSpace(readFile(t, filepath.Join(dir, "runs"))); runs != "2" {
		t.Errorf("command ran %s times, want 2", runs)
	}
	if out := readFile(t, filepath.Join(dir, "out")); !strings.Contains(out, "To: root\n") || !strings.Contains(out, reportText(t, sampleReport())) {
		t.Errorf("command read %q", out)
	}
	if log.count("exit status 75: queue full, try later") != 1 || len(spoolFiles(t, spool)) != 0 {
		t.Errorf("log %q, spool %q", log.get(), spoolFiles(t, spool))
	}
}

// TestQueueCommandFails: exit 1 is permanent: the message goes to failed/
// with the command's exit and stderr, after one run.
func TestQueueCommandFails(t *testing.T) {
	c, dir := countingMTA(t, `cat > /dev/null; echo 'root... User unknown' >&2; exit 1`)
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: c, To: []string{"root"}, SpoolDir: spool})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure", func() bool { return q.Counts().Failed == 1 })
	if runs := strings.TrimSpace(readFile(t, filepath.Join(dir, "runs"))); runs != "1" {
		t.Errorf("command ran %s times, want 1", runs)
	}
	failed, _ := filepath.Glob(filepath.Join(spool, ipmail.FailedDir, "*.eml.error"))
	if len(failed) != 1 || !strings.Contains(readFile(t, failed[0]), "exit status 1: root... User unknown") {
		t.Errorf("failed/ holds %q", failed)
	}
}

// TestQueueCommandShortWrite: a command that exits 0 without reading the
// whole message has not taken it: the attempt failed and is retried.
func TestQueueCommandShortWrite(t *testing.T) {
	c, dir := countingMTA(t, `if [ $n -eq 1 ]; then head -c 10 > /dev/null; exit 0; fi; cat > "$D/out"`)
	var log logRecorder
	q := testQueue(t, &log, ipmail.Options{Sender: c, To: []string{"root"}})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return q.Counts().Sent == 1 })
	if runs := strings.TrimSpace(readFile(t, filepath.Join(dir, "runs"))); runs != "2" {
		t.Errorf("command ran %s times, want 2", runs)
	}
	if log.count("short write: exited 0 having read 10 of") != 1 {
		t.Errorf("log %q", log.get())
	}
}

// TestCommandShortWrite checks short writes of small and large messages,
// and of a command that closes its input at once.
func TestCommandShortWrite(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20) // more than a pipe holds
	tests := []struct {
		name, script string
		msg          []byte
	}{
		{"reads part", "head -c 10 > /dev/null", []byte("Subject: s\n\n" + strings.Repeat("line\n", 100))},
		{"closes stdin", "exec 0<&-", []byte("Subject: s\n\nbody\n")},
		{"reads part of a large message", "head -c 100 > /dev/null", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := fakeMTA(t, tt.script+"\nexit 0")
			c := &ipmail.Command{Args: []string{path}}
			err := c.Send(context.Background(), ipmail.Envelope{To: []string{"root"}}, tt.msg)
			ce, ok := asCommandError(err)
			if !errors.Is(err, ipmail.ErrShortWrite) || !ok || !ce.Temporary() {
				t.Errorf("Send = %v, want a temporary short write", err)
			}
		})
	}
	path, _ := fakeMTA(t, "cat > /dev/null")
	if err := (&ipmail.Command{Args: []string{path}}).Send(context.Background(), ipmail.Envelope{To: []string{"root"}}, big); err != nil {
		t.Errorf("a command reading everything: %v", err)
	}
}

// TestCommandCredential runs the command as an unprivileged user.
func TestCommandCredential(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // the user must reach the script
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "sendmail")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nid -u > "+dir+"/uid\ncat > /dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	uid, err1 := strconv.ParseUint(nobody.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(nobody.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		t.Skip("user nobody has no numeric ids")
	}
	c := &ipmail.Command{Args: []string{script}, Credential: &privilege.Credential{UID: uint32(uid), GID: uint32(gid)}}
	if err := c.Send(context.Background(), ipmail.Envelope{To: []string{"root"}}, []byte("\nbody\n")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(dir, "uid"))); got != nobody.Uid {
		t.Errorf("command ran as uid %s, want %s", got, nobody.Uid)
	}
}
