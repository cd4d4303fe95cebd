// Package notify runs an administrator's command for each watchdog event,
// the way fastnetmon's notify script and bwmon's notification command let
// admins hook in their own actions.
//
// Notifier is a report.Output. From consecutive periods it derives when a
// subnet starts detail logging (it crossed its threshold) and when it stops
// (it fell back under, or is no longer shown), and each report is an event
// too. For each event it runs the command, without a shell, with the event
// as one JSON object on standard input and its key fields in the
// environment:
//
//	IPBAND_EVENT           logging_start, report or logging_end
//	IPBAND_SUBNET          the subnet in CIDR form
//	IPBAND_NAME            its network name, or empty
//	IPBAND_TIME            end of the period of the event (RFC 3339)
//	IPBAND_START           start of the episode (RFC 3339)
//	IPBAND_RATE_KBPS       the subnet's rate in that period, kBytes/s
//	IPBAND_THRESHOLD_KBPS  its threshold, kBytes/s
//	IPBAND_IN_KBPS         its rate in (to the subnet), kBytes/s
//	IPBAND_OUT_KBPS        its rate out (from the subnet), kBytes/s
//	IPBAND_OVER            what was over its threshold: total, in, out
//	                       joined by + ("total+in"), or none
//	IPBAND_BYTES           its bytes in that period (logging events)
//	IPBAND_EXCEEDED_SECONDS  time over the threshold (report events)
//
// # Limits
//
// Events never wait: they queue (up to QueueSize) for Workers goroutines,
// so at most Workers commands run at once; an event that finds the queue
// full is dropped, counted and logged. A command still running after
// Timeout is killed with every process it started (its process group). A
// command that fails is logged with how it ended and the first line of
// its standard error; its standard output is discarded.
//
//	n, err := notify.New(notify.Options{Args: []string{"/usr/local/bin/hook"}, Logf: logf})
//	// give n every Period and Report; at exit:
//	n.Close(ctx)
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"ipband/report"
	"ipband/watchdog/service/privilege"
)

// Defaults of Options.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultWorkers   = 4
	DefaultQueueSize = 64
)

// The events.
const (
	LoggingStart = "logging_start"
	Report       = "report"
	LoggingEnd   = "logging_end"
)

const (
	// waitDelay bounds the wait for a command's pipes after it exited or
	// was killed: a child it left behind holding stderr cannot hold a
	// worker.
	waitDelay = 2 * time.Second
)

// ErrNoCommand is returned by New for an empty command.
var ErrNoCommand = errors.New("notify: empty command")

// Options configures a Notifier.
type Options struct {
	// Args is the program and its arguments, as mail.NewCommand splits an
	// mtastring: a program without a slash is looked up in PATH.
	Args []string
	// Timeout bounds each run; 0 means DefaultTimeout.
	Timeout time.Duration
	// Workers is the most commands run at once; 0 means DefaultWorkers.
	Workers int
	// QueueSize is the most events waiting for a worker; 0 means
	// DefaultQueueSize.
	QueueSize int
	// Logf logs failures and dropped events; nil discards them.
	Logf report.Logf
	// Names names the protocols and services of a report event's
	// connections; nil means report.EmbeddedNames().
	Names *report.Names
	// Credential, when not nil, runs the command as that user and group
	// (never as root: see ipband(8)).
	Credential *privilege.Credential
	// Env is the environment the IPBAND_ variables are added to; nil
	// means os.Environ(). Variables in it that start with IPBAND_ are left
	// out, so that the command sees only the event's.
	Env []string
}

// Counts are a Notifier's counters.
type Counts struct {
	Run     uint64 // commands that ran and exited with status 0
	Failed  uint64 // commands that could not start, failed or were killed
	Dropped uint64 // events dropped: queue full, or not run before Close
}

// event is one event to run the command for.
type event struct {
	name  string
	env   []string // IPBAND_ variables
	stdin []byte   // the event as JSON, with a newline
	what  string   // "logging_start 10.10.81.0/24", for logs
}

// episode is what the notifier remembers of a logging subnet.
type episode struct {
	start time.Time
	last  report.Line // the subnet's line in the last period shown
}

// Notifier is the notify output. Period and Report are called from one
// goroutine at a time; they never wait for a command.
type Notifier struct {
	args    []string
	timeout time.Duration
	env     []string
	cred    *privilege.Credential
	logf    report.Logf
	names   *report.Names
	workers int

	queue  chan event
	ctx    context.Context // ends when Close gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup // the workers

	mu      sync.Mutex // guards all following fields
	logging map[netip.Prefix]episode
	closed  bool

	run, failed, dropped atomic.Uint64
	abandoned            atomic.Uint64 // events Close gave up on: dropped or killed
}

var (
	_ report.Output = (*Notifier)(nil)
	_ report.Closer = (*Notifier)(nil)
)

// New starts the workers of a Notifier. An empty Args is ErrNoCommand; a
// program that cannot be found or is not executable is an error too, so
// that a mistyped command is caught at start.
func New(opts Options) (*Notifier, error) {
	if len(opts.Args) == 0 || opts.Args[0] == "" {
		return nil, ErrNoCommand
	}
	if _, err := exec.LookPath(opts.Args[0]); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	n := &Notifier{
		args:    opts.Args,
		cred:    opts.Credential,
		timeout: cmpOr(opts.Timeout, DefaultTimeout),
		env:     opts.Env,
		logf:    opts.Logf,
		names:   opts.Names,
		queue:   make(chan event, cmpOr(opts.QueueSize, DefaultQueueSize)),
		logging: make(map[netip.Prefix]episode),
	}
	if n.env == nil {
		n.env = os.Environ()
	}
	n.env = slices.DeleteFunc(slices.Clone(n.env), func(kv string) bool { return strings.HasPrefix(kv, "IPBAND_") })
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.workers = cmpOr(opts.Workers, DefaultWorkers)
	for range n.workers {
		n.wg.Go(n.work)
	}
	return n, nil
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Name returns "notify PROGRAM".
func (n *Notifier) Name() string { return "notify " + n.args[0] }

// Counts returns the counters so far.
func (n *Notifier) Counts() Counts {
	return Counts{Run: n.run.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load()}
}

// Period emits logging_start for each subnet shown logging that was not,
// and logging_end for each that was logging and is shown not logging, in
// the order of the period's lines; then logging_end for each subnet that
// was logging and is no longer shown (with no traffic, its name and
// threshold as last shown).
func (n *Notifier) Period(p *report.Period) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	seen := make(map[netip.Prefix]bool, len(n.logging))
	for _, l := range p.Lines {
		ep, was := n.logging[l.Subnet]
		seen[l.Subnet] = true
		switch {
		case l.Logging && !was:
			n.logging[l.Subnet] = episode{start: p.End, last: l}
			n.emit(lineEvent(LoggingStart, p, l, p.End))
		case l.Logging:
			n.logging[l.Subnet] = episode{start: ep.start, last: l}
		case was:
			delete(n.logging, l.Subnet)
			n.emit(lineEvent(LoggingEnd, p, l, ep.start))
		}
	}
	var gone []netip.Prefix
	for s := range n.logging {
		if !seen[s] {
			gone = append(gone, s)
		}
	}
	slices.SortFunc(gone, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	for _, s := range gone {
		ep := n.logging[s]
		delete(n.logging, s)
		l := report.Line{Subnet: s, Name: ep.last.Name, Threshold: ep.last.Threshold}
		n.emit(lineEvent(LoggingEnd, p, l, ep.start))
	}
	return nil
}

// Report emits a report event.
func (n *Notifier) Report(r report.Report) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.emit(reportEvent(r, n.names))
	return nil
}

// emit queues ev, or drops it when the queue is full.
func (n *Notifier) emit(ev event) {
	if n.closed {
		n.dropped.Add(1)
		return
	}
	select {
	case n.queue <- ev:
	default:
		n.dropped.Add(1)
		n.log("notify %s: dropped: %d events already waiting for %d running commands", ev.what, len(n.queue), n.workers)
	}
}

// work runs queued events until the queue is closed.
func (n *Notifier) work() {
	for ev := range n.queue {
		if n.ctx.Err() != nil {
			n.dropped.Add(1)
			n.abandoned.Add(1)
			continue
		}
		if err := n.exec(ev); err != nil {
			if n.ctx.Err() != nil {
				n.abandoned.Add(1)
			}
			n.failed.Add(1)
			n.log("notify %s: %v", ev.what, err)
			continue
		}
		n.run.Add(1)
	}
}

// exec runs the command for ev and waits for it, at most the timeout.
func (n *Notifier) exec(ev event) error {
	ctx, cancel := context.WithTimeout(n.ctx, n.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.args[0], n.args[1:]...)
	cmd.Env = append(append(make([]string, 0, len(n.env)+len(ev.env)), n.env...), ev.env...)
	cmd.Stdin = bytes.NewReader(ev.stdin)
	var stderr privilege.HeadBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = waitDelay
	privilege.Isolate(cmd, n.cred)
	err := cmd.Run()
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return nil // exited 0; a child it left behind holds a pipe
	}
	msg := "command " + n.args[0] + ": "
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		msg += "killed after " + n.timeout.String()
	case n.ctx.Err() != nil:
		msg += "killed at exit"
	default:
		msg += err.Error()
	}
	if line := privilege.FirstLine(stderr.B); line != "" {
		msg += ": " + line
	}
	return errors.New(msg)
}

// Close stops taking events and waits, until ctx ends, for the queued
// ones to run; then it kills the commands still running and drops the
// events still waiting, and returns an error saying how many it gave up
// on. Events dropped earlier (queue full) were logged when they were and
// are not an error of Close. Close is idempotent; events after it are
// dropped.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		n.cancel()
		<-done
	}
	n.cancel()
	if a := n.abandoned.Load(); a > 0 {
		return fmt.Errorf("notify: gave up on %d event(s) at exit", a)
	}
	return nil
}

func (n *Notifier) log(format string, args ...any) {
	if n.logf != nil {
		n.logf(format, args...)
	}
}

// lineEvent is a logging_start or logging_end event of line l in period p.
func lineEvent(name string, p *report.Period, l report.Line, start time.Time) event {
	ev := jsonEvent{
		Version:       report.JSONVersion,
		Event:         name,
		Time:          p.End.Format(report.TimeLayout),
		Start:         start.Format(report.TimeLayout),
		Subnet:        l.Subnet.String(),
		Name:          l.Name,
		KBps:          l.KBps,
		ThresholdKBps: l.Threshold,
		InKBps:        l.InKBps,
		OutKBps:       l.OutKBps,
		ThresholdIn:   l.ThresholdIn,
		ThresholdOut:  l.ThresholdOut,
		Over:          l.Over.String(),
		Bytes:         &l.Bytes,
		PeriodStart:   p.Start.Format(report.TimeLayout),
	}
	return newEvent(ev, nil)
}

// reportEvent is the report event of r.
func reportEvent(r report.Report, names *report.Names) event {
	ev := jsonEvent{
		Version:       report.JSONVersion,
		Event:         Report,
		Time:          r.Time.Format(report.TimeLayout),
		Start:         r.Start.Format(report.TimeLayout),
		Subnet:        r.Subnet.String(),
		Name:          r.Name,
		KBps:          r.KBps,
		ThresholdKBps: r.Threshold,
		InKBps:        r.InKBps,
		OutKBps:       r.OutKBps,
		ThresholdIn:   r.ThresholdIn,
		ThresholdOut:  r.ThresholdOut,
		Over:          r.Over.String(),
		Report:        report.AppendJSON(nil, r, names),
	}
	secs := r.Exceeded.Seconds()
	ev.ExceededSecs = &secs
	return newEvent(ev, []string{"IPBAND_EXCEEDED_SECONDS=" + formatFloat(secs)})
}

// jsonEvent is an event as JSON on the command's standard input.
type jsonEvent struct {
	Version       int             `json:"version"`
	Event         string          `json:"event"`
	Time          string          `json:"time"`
	Start         string          `json:"start"`
	Subnet        string          `json:"subnet"`
	Name          string          `json:"name"`
	KBps          float64         `json:"kbps"`
	ThresholdKBps float64         `json:"threshold_kbps"`
	InKBps        float64         `json:"in_kbps"`
	OutKBps       float64         `json:"out_kbps"`
	ThresholdIn   float64         `json:"threshold_in_kbps,omitempty"`
	ThresholdOut  float64         `json:"threshold_out_kbps,omitempty"`
	Over          string          `json:"over"`
	Bytes         *uint64         `json:"bytes,omitempty"`
	PeriodStart   string          `json:"period_start,omitempty"`
	ExceededSecs  *float64        `json:"exceeded_seconds,omitempty"`
	Report        json.RawMessage `json:"report,omitempty"`
}

func newEvent(ev jsonEvent, more []string) event {
	env := []string{
		"IPBAND_EVENT=" + ev.Event,
		"IPBAND_SUBNET=" + ev.Subnet,
		"IPBAND_NAME=" + envSafe(ev.Name),
		"IPBAND_TIME=" + ev.Time,
		"IPBAND_START=" + ev.Start,
		"IPBAND_RATE_KBPS=" + formatFloat(ev.KBps),
		"IPBAND_THRESHOLD_KBPS=" + formatFloat(ev.ThresholdKBps),
		"IPBAND_IN_KBPS=" + formatFloat(ev.InKBps),
		"IPBAND_OUT_KBPS=" + formatFloat(ev.OutKBps),
		"IPBAND_OVER=" + ev.Over,
	}
	if ev.Event != Report {
		env = append(env, "IPBAND_BYTES="+strconv.FormatUint(*ev.Bytes, 10))
	}
	return event{
		name:  ev.Event,
		env:   append(env, more...),
		stdin: append(marshal(ev), '\n'),
		what:  ev.Event + " " + ev.Subnet,
	}
}

// marshal returns v as JSON, without HTML escaping.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // cannot happen: strings and finite numbers only
		panic("notify: json: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// formatFloat formats f with two decimals, as reports print rates.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// envSafe replaces control characters and NUL, which an environment
// variable cannot hold or a shell script would trip on, with '?'.
func envSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
