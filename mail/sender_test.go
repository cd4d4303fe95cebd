package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ipband/mail"
)

// The tests in this package do not call t.Parallel: a script written while
// another test forks could be held open by the child and fail to run with
// "text file busy".

// fakeMTA writes an executable shell script with the given body to a new
// temporary directory and returns its path and the directory. The body may
// use $D, the script's directory.
func fakeMTA(t *testing.T, body string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\nD=$(dirname \"$0\")\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// waitFor polls cond until it holds, failing the test if it does not within
// a generous deadline. The deadline only bounds a hang; no result depends on
// timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendMessage sends m through s with the envelope of its headers.
func sendMessage(s mail.Sender, ctx context.Context, m mail.Message) error {
	return s.Send(ctx, mail.Envelope{From: m.From, To: m.To}, m.Bytes())
}

// asCommandError returns the *mail.CommandError in err's chain.
func asCommandError(err error) (*mail.CommandError, bool) {
	var ce *mail.CommandError
	ok := errors.As(err, &ce)
	return ce, ok
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewCommand(t *testing.T) {
	tests := []struct {
		mta  string
		want []string
	}{
		{"/usr/sbin/sendmail -t -oi", []string{"/usr/sbin/sendmail", "-t", "-oi"}},
		{"  sendmail\t-t  -oi\n", []string{"sendmail", "-t", "-oi"}},
		{"/usr/bin/msmtp -t", []string{"/usr/bin/msmtp", "-t"}},
		{`sendmail "-f ipband" ; rm -rf / $(id)`, []string{"sendmail", `"-f`, `ipband"`, ";", "rm", "-rf", "/", "$(id)"}},
		{"", nil},
		{" \t\n", nil},
	}
	for _, tt := range tests {
		c, err := mail.NewCommand(tt.mta)
		if tt.want == nil {
			if !errors.Is(err, mail.ErrNoCommand) {
				t.Errorf("NewCommand(%q) error = %v, want ErrNoCommand", tt.mta, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewCommand(%q): %v", tt.mta, err)
			continue
		}
		if strings.Join(c.Args, "|") != strings.Join(tt.want, "|") {
			t.Errorf("NewCommand(%q).Args = %q, want %q", tt.mta, c.Args, tt.want)
		}
	}
}

func TestCommandSend(t *testing.T) {
	path, dir := fakeMTA(t, `printf '%s\n' "$@" > "$D/args"; cat > "$D/out"`)
	c, err := mail.NewCommand(path + " -t -oi")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.Compose(sampleReport(), []string{"noc@example.com", "root"}, []byte("-- \nNOC\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendMessage(c, context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "args")); got != "-t\n-oi\n" {
		t.Errorf("MTA arguments = %q, want %q", got, "-t\n-oi\n")
	}
	want := "To: noc@example.com, root\n" +
		"Subject: Bandwidth report for 10.10.123.0 <halifax>\n" +
		"Auto-Submitted: auto-generated\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n" +
		"\n" +
		reportText(t, sampleReport()) + "-- \nNOC\n"
	if got := readFile(t, filepath.Join(dir, "out")); got != want {
		t.Errorf("MTA read\n%s\nwant\n%s", got, want)
	}
}

func TestCommandNoShell(t *testing.T) {
	path, dir := fakeMTA(t, `printf '%s\n' "$@" > "$D/args"; cat > /dev/null`)
	pwned := filepath.Join(dir, "pwned")
	mta := path + " '$(touch " + pwned + ")' ; touch " + pwned + " | `touch " + pwned + "`"
	c, err := mail.NewCommand(mta)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendMessage(c, context.Background(), mail.Message{To: []string{"root"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if exists(pwned) {
		t.Errorf("a shell ran the command line %q", mta)
	}
	want := strings.Join(strings.Fields(mta)[1:], "\n") + "\n"
	if got := readFile(t, filepath.Join(dir, "args")); got != want {
		t.Errorf("MTA arguments = %q, want %q", got, want)
	}
}

func TestCommandFailure(t *testing.T) {
	tests := []struct {
		name, script string
		code         int
		stderr       string
	}{
		{"tempfail without reading", "echo 'sendmail: queue full, try later' >&2; echo second line >&2; exit 75", 75, "sendmail: queue full, try later"},
		{"reads then fails", "cat > /dev/null; printf '\\n  \\n\\tno such user\\r\\n' >&2; exit 67", 67, "no such user"},
		{"silent", "exit 1", 1, ""},
		{"floods stderr", "yes 'disk full' | head -c 1000000 >&2; exit 74", 74, "disk full"},
		{"control characters", "printf 'bad\\033[2Jterm\\n' >&2; exit 1", 1, "bad [2Jterm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := fakeMTA(t, tt.script)
			c := &mail.Command{Args: []string{path, "-t"}}
			err := sendMessage(c, context.Background(), mail.Message{To: []string{"root"}, Subject: "s"})
			ce, ok := asCommandError(err)
			if !ok {
				t.Fatalf("Send error = %v (%T), want a *CommandError", err, err)
			}
			if ce.Path != path || ce.ExitCode != tt.code || ce.Stderr != tt.stderr {
				t.Errorf("CommandError{Path: %q, ExitCode: %d, Stderr: %q}, want {%q, %d, %q}",
					ce.Path, ce.ExitCode, ce.Stderr, path, tt.code, tt.stderr)
			}
			msg := err.Error()
			for _, part := range []string{"mail: command " + path, "exit status " + strconv.Itoa(tt.code), tt.stderr} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q does not contain %q", msg, part)
				}
			}
			if strings.Contains(msg, "second line") || strings.ContainsAny(msg, "\n\r\x1b") {
				t.Errorf("error %q holds more than stderr's first line", msg)
			}
		})
	}
}

func TestCommandMissing(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, program string
		want          error
	}{
		{"absolute path", filepath.Join(dir, "no-such-sendmail"), fs.ErrNotExist},
		{"not in PATH", "ipband-no-such-mta", exec.ErrNotFound},
		{"not executable", notExec, fs.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &mail.Command{Args: []string{tt.program, "-t", "-oi"}}
			err := sendMessage(c, context.Background(), mail.Message{To: []string{"root"}})
			if !errors.Is(err, tt.want) {
				t.Errorf("Send error = %v, want %v", err, tt.want)
			}
			ce, ok := asCommandError(err)
			if !ok || ce.ExitCode != -1 || !strings.Contains(err.Error(), "mail: command "+tt.program+": ") {
				t.Errorf("Send error = %#v, want a *CommandError naming %s with ExitCode -1", err, tt.program)
			}
		})
	}
}

func TestCommandRefusesBadMessage(t *testing.T) {
	path, dir := fakeMTA(t, `touch "$D/ran"`)
	c := &mail.Command{Args: []string{path}}
	tests := []struct {
		m    mail.Message
		want error
	}{
		{mail.Message{}, mail.ErrNoRecipients},
		{mail.Message{To: []string{"root", "a@b\nBcc: c@d"}}, mail.ErrBadAddress},
	}
	for _, tt := range tests {
		if err := sendMessage(c, context.Background(), tt.m); !errors.Is(err, tt.want) {
			t.Errorf("Send(%q) = %v, want %v", tt.m.To, err, tt.want)
		}
	}
	if exists(filepath.Join(dir, "ran")) {
		t.Error("the MTA ran for a message that cannot be sent")
	}
	if err := sendMessage(&mail.Command{}, context.Background(), mail.Message{To: []string{"root"}}); !errors.Is(err, mail.ErrNoCommand) {
		t.Errorf("zero Command: Send = %v, want ErrNoCommand", err)
	}
}

func TestCommandContextKillsMTA(t *testing.T) {
	path, dir := fakeMTA(t, `sleep 60 & echo $! > "$D/child.tmp"; mv "$D/child.tmp" "$D/child"; wait`)
	c := &mail.Command{Args: []string{path}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- sendMessage(c, ctx, mail.Message{To: []string{"root"}}) }()
	childFile := filepath.Join(dir, "child")
	waitFor(t, "the MTA to start", func() bool { return exists(childFile) })
	cancel()
	var err error
	select {
	case err = <-errc:
	case <-time.After(30 * time.Second):
		t.Fatal("Send did not return after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send error = %v, want context.Canceled", err)
	}
	if ce, ok := asCommandError(err); !ok || ce.ExitCode != -1 {
		t.Errorf("Send error = %#v, want a *CommandError with ExitCode -1", err)
	}
	pid := strings.TrimSpace(readFile(t, childFile))
	stat := filepath.Join("/proc", pid, "stat")
	if !exists("/proc/self/stat") {
		t.Skip("no /proc to check the MTA's child")
	}
	waitFor(t, "the MTA's child "+pid+" to die", func() bool {
		b, err := os.ReadFile(stat)
		if err != nil {
			return true // gone
		}
		// A zombie that nobody has reaped yet is dead too.
		_, after, _ := bytes.Cut(b, []byte(") "))
		return len(after) > 0 && after[0] == 'Z'
	})
}
