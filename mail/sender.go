package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode"
)

// ErrNoCommand is returned for an empty MTA command line.
var ErrNoCommand = errors.New("mail: empty mta command")

const (
	// waitDelay bounds how long Send waits for the command's output pipes
	// once it has exited or its context has ended: a daemonising MTA child
	// that keeps stderr open cannot hold Send.
	waitDelay = 5 * time.Second
	// stderrLimit is how much of the command's standard error is kept.
	stderrLimit = 4 << 10
	// stderrLineLimit bounds the stderr line quoted in a CommandError.
	stderrLineLimit = 200
)

// Sender delivers one message. Send returns when the message has been
// handed over, or with an error saying why not; it stops when ctx ends.
// Command is the sendmail sender; an SMTP sender will be another.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Command is a Sender that runs a sendmail-compatible MTA and writes the
// message to its standard input. The command is run directly, never through
// a shell. The zero Command has no program and fails to send.
type Command struct {
	// Args is the program and its arguments. A program without a slash is
	// looked up in PATH.
	Args []string
}

var _ Sender = (*Command)(nil)

// NewCommand returns the Command for the classic MTA command line, such as
// "/usr/sbin/sendmail -t -oi": the line is split at white space and nothing
// else. No shell sees it, so quotes, $, ;, | and the like reach the program
// as they are and cannot run anything; an argument cannot hold a space. An
// empty or blank line is an error wrapping ErrNoCommand.
func NewCommand(mta string) (*Command, error) {
	args := strings.Fields(mta)
	if len(args) == 0 {
		return nil, ErrNoCommand
	}
	return &Command{Args: args}, nil
}

// Send runs the command with m.Bytes() on its standard input and waits for
// it. It returns an error wrapping the m.Validate error, without running
// anything, when m cannot be sent. The command is killed when ctx ends (on
// Unix with the processes it started, as one process group). Any other
// failure — the program is missing or cannot run, exits with a non-zero
// status or is killed — is a *CommandError naming the program, how it ended
// and the first line of its standard error. Its standard output is
// discarded.
func (c *Command) Send(ctx context.Context, m Message) error {
	if len(c.Args) == 0 {
		return ErrNoCommand
	}
	if err := m.Validate(); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Stdin = bytes.NewReader(m.Bytes())
	var stderr headBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	err := cmd.Run()
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		// ErrWaitDelay comes only after a successful exit: the message
		// was accepted and a child the MTA left behind holds a pipe.
		return nil
	}
	return newCommandError(ctx, c.Args[0], err, stderr.b)
}

// CommandError is a failed run of an MTA command.
type CommandError struct {
	// Path is the program, as given in Command.Args[0].
	Path string
	// ExitCode is the command's exit status, or -1 when it did not exit
	// on its own: it could not be started or was killed by a signal.
	ExitCode int
	// Stderr is the first line of the command's standard error, with
	// control characters replaced; "" when it wrote nothing.
	Stderr string
	// Err is the underlying error: an *exec.ExitError, the error from
	// starting the program (wrapping fs.ErrNotExist or exec.ErrNotFound
	// when it is missing), or the context's error joined with the
	// *exec.ExitError when the context ended the command.
	Err error
}

func newCommandError(ctx context.Context, path string, err error, stderr []byte) *CommandError {
	e := &CommandError{Path: path, ExitCode: -1, Stderr: firstLine(stderr), Err: err}
	if xe := (*exec.ExitError)(nil); errors.As(err, &xe) {
		e.ExitCode = xe.ExitCode()
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		e.Err = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return e
}

// Error returns "mail: command PATH: HOW IT ENDED[: STDERR LINE]".
func (e *CommandError) Error() string {
	s := "mail: command " + e.Path + ": " + e.Err.Error()
	if e.Stderr != "" {
		s += ": " + e.Stderr
	}
	return s
}

// Unwrap returns e.Err.
func (e *CommandError) Unwrap() error { return e.Err }

// firstLine returns the first non-blank line of b, trimmed, valid UTF-8, with
// control characters replaced by spaces and cut at stderrLineLimit bytes.
func firstLine(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, line))
		if line == "" {
			continue
		}
		if len(line) > stderrLineLimit {
			line = strings.ToValidUTF8(line[:stderrLineLimit], "") + "..."
		}
		return line
	}
	return ""
}

// headBuffer keeps the first stderrLimit bytes written to it and discards
// the rest, never failing, so that a chatty command is not blocked.
type headBuffer struct {
	b []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := stderrLimit - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
