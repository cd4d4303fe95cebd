package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"ipband/watchdog/service/privilege"
)

// ErrNoCommand is returned for an empty MTA command line.
var ErrNoCommand = errors.New("mail: empty mta command")

const (
	// waitDelay bounds how long Send waits for the command's output pipes
	// once it has exited or its context has ended: a daemonising MTA child
	// that keeps stderr open cannot hold Send.
	waitDelay = 5 * time.Second
)

// Envelope is who a message is from and to, as the SMTP envelope carries
// it (MAIL FROM, RCPT TO).
type Envelope struct {
	From string   // the sender; "" for the null sender
	To   []string // the recipients, at least one
}

// Sender delivers one rendered message (Message.Bytes, LF line endings).
// Send returns nil only once the message has been accepted (250 to the end
// of DATA, or the command exited 0), or an error saying why not; it stops
// when ctx ends. An error whose Temporary method reports false is
// permanent: retrying cannot help. Any other error is temporary. Command
// and SMTP are the two Senders; a Queue drives either.
type Sender interface {
	Send(ctx context.Context, env Envelope, msg []byte) error
}

// Command is a Sender that runs a sendmail-compatible MTA and writes the
// message to its standard input. The command is run directly, never through
// a shell. It reads the recipients from the message's headers ("-t"): the
// Envelope is only checked. The zero Command has no program and fails to
// send.
type Command struct {
	// Args is the program and its arguments. A program without a slash is
	// looked up in PATH.
	Args []string
	// Credential, when not nil, runs the command as that user and group
	// (Unix only; ipband must be able to switch to them, as root can):
	// ipband may keep its capture privileges while the MTA runs
	// unprivileged. nil runs it as ipband's own user.
	Credential *privilege.Credential
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

// Check reports whether the program can be run by ipband: it exists (in
// PATH when it has no slash), is a file and is executable. The error names
// the program.
func (c *Command) Check() error {
	if len(c.Args) == 0 {
		return ErrNoCommand
	}
	if _, err := exec.LookPath(c.Args[0]); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return fmt.Errorf("mail: command %s: %w", c.Args[0], err)
	}
	return nil
}

// Send runs the command with msg on its standard input and waits for it.
// It returns an error wrapping ErrNoRecipients or ErrBadAddress, without
// running anything, when env has no recipient or a bad one. The command is
// killed when ctx ends (on Unix with the processes it started, as one
// process group). Any other failure is a *CommandError naming the program,
// how it ended and the first line of its standard error: the program is
// missing or cannot run, exits with a non-zero status, is killed, or exits
// 0 without reading the whole message (a short write: the message may have
// been cut, so the attempt failed). Its standard output is discarded.
func (c *Command) Send(ctx context.Context, env Envelope, msg []byte) error {
	if len(c.Args) == 0 {
		return ErrNoCommand
	}
	if err := CheckAddresses(env.To); err != nil {
		return err
	}
	// The read end stays open here too, so that what the command left
	// unread can be counted once it has exited; writes then never fail
	// with EPIPE, which os/exec would hide after a successful exit.
	r, w, err := os.Pipe()
	if err != nil {
		return &CommandError{Path: c.Args[0], ExitCode: -1, Err: err}
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Stdin = r
	var stderr privilege.HeadBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = waitDelay
	privilege.Isolate(cmd, c.Credential)
	if err := cmd.Start(); err != nil {
		w.Close()
		return newCommandError(ctx, c.Args[0], err, nil)
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		w.Write(msg) //nolint:errcheck // what the command did not read is counted below
		w.Close()
	}()
	err = cmd.Wait()
	// The command has exited: whatever is still in the pipe it never read.
	// Reading it also frees the writer if the pipe was full.
	unread, _ := io.Copy(io.Discard, r)
	<-written
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return newCommandError(ctx, c.Args[0], err, stderr.B)
	}
	// ErrWaitDelay comes only after a successful exit: a child the MTA
	// left behind holds a pipe.
	if unread > 0 {
		return &CommandError{Path: c.Args[0], ExitCode: 0, Stderr: privilege.FirstLine(stderr.B),
			Err: fmt.Errorf("%w: exited 0 having read %d of %d bytes", ErrShortWrite, int64(len(msg))-unread, len(msg))}
	}
	return nil
}

// ErrShortWrite is wrapped by the CommandError of a mail command that
// exited without reading the whole message.
var ErrShortWrite = errors.New("short write")

// exTempFail is the sysexits.h status (EX_TEMPFAIL) of an MTA that asks to
// be tried again later.
const exTempFail = 75

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
	e := &CommandError{Path: path, ExitCode: -1, Stderr: privilege.FirstLine(stderr), Err: err}
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

// Temporary reports whether trying again later may succeed: the command
// exited 75 (EX_TEMPFAIL), was killed, could not be started, or did not
// read the whole message. Any other exit status is permanent.
func (e *CommandError) Temporary() bool {
	return e.ExitCode == -1 || e.ExitCode == exTempFail || errors.Is(e.Err, ErrShortWrite)
}
