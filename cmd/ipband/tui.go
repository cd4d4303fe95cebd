package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gdamore/tcell/v2"
	"golang.org/x/term"

	"ipband/conf"
	"ipband/report/tui"
	"ipband/watchdog"
)

// checkTUI refuses --tui where it cannot draw: standard output is not a
// terminal, or something else writes there (-o -, -d, ...), or ipband
// would go to the background; and --replay-speed without --read.
func checkTUI(c *cli, cfg *conf.Config, stdout io.Writer) error {
	if c.replaySpeed.s != "" {
		v, err := strconv.ParseFloat(c.replaySpeed.s, 64)
		if err != nil || v < 0 || v > 1e6 {
			return fmt.Errorf("flag --replay-speed: %q: want a number from 0 (as fast as it reads) to 1000000, 1 for the pace of the capture", c.replaySpeed.s)
		}
		if c.read.s == "" {
			return errors.New("flag --replay-speed paces a replay: it needs --read")
		}
	}
	if !c.tui {
		return nil
	}
	if c.suggest {
		return errors.New("flag --tui shows a capture's subnets, --suggest prints suggestions: drop one")
	}
	if f, ok := stdout.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return errors.New("flag --tui: standard output is not a terminal")
	}
	for _, x := range []struct {
		on   bool
		what string
	}{
		{cfg.OutFile == "-", "-o -"},
		{cfg.JSONFile == "-", "--json-file -"},
		{cfg.StatsFile == "-", "--stats-file -"},
		{cfg.HTMLFile == "-", "-w -"},
		{cfg.Debug > 0, "-d " + strconv.Itoa(cfg.Debug)},
	} {
		if x.on {
			return fmt.Errorf("flag --tui draws on standard output: drop %s", x.what)
		}
	}
	if cfg.Fork && !bool(c.foreground) && c.read.s == "" {
		return errors.New("flag --tui stays in the foreground: drop -F (fork) or add --foreground")
	}
	return nil
}

// replaySpeed is the --replay-speed value, 0 when not given (checked by
// checkTUI).
func replaySpeed(c *cli) float64 {
	v, _ := strconv.ParseFloat(c.replaySpeed.s, 64)
	return v
}

// logTap holds the log lines while the view owns the terminal: each is
// shown on the view's bottom line, and all are written to w once the
// terminal is given back. Otherwise lines go straight to w.
type logTap struct {
	mu   sync.Mutex // guards the fields below
	w    io.Writer
	view *tui.View // while the view is up
	held bytes.Buffer
}

func (l *logTap) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.view == nil {
		return l.w.Write(p)
	}
	l.held.Write(p)
	l.view.Status(strings.TrimSpace(string(p)))
	return len(p), nil
}

// hold starts holding lines for v.
func (l *logTap) hold(v *tui.View) {
	l.mu.Lock()
	l.view = v
	l.mu.Unlock()
}

// release writes the lines held and lets the next ones through.
func (l *logTap) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.view = nil
	l.w.Write(l.held.Bytes()) //nolint:errcheck // nowhere else to say it
	l.held.Reset()
}

// tuiRun is the view running on the terminal.
type tuiRun struct {
	view   *tui.View
	screen tcell.Screen
	tap    *logTap
	done   chan error
}

// startTUI takes the terminal and runs view on it, fed by e; q stops the
// run through stop.
func startTUI(view *tui.View, e *watchdog.Engine, tap *logTap, stop func()) (*tuiRun, error) {
	s, err := tcell.NewScreen()
	if err == nil {
		err = s.Init()
	}
	if err != nil {
		return nil, fmt.Errorf("flag --tui: %w", err)
	}
	tap.hold(view)
	r := &tuiRun{view: view, screen: s, tap: tap, done: make(chan error, 1)}
	go func() { r.done <- view.Run(s, e, stop) }()
	return r, nil
}

// waitQuit keeps the view of an ended replay up until q, Ctrl-C, SIGTERM
// or SIGINT.
func (r *tuiRun) waitQuit(ctx context.Context, msg string) {
	r.view.Ended(msg)
	ctx, cancel := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	select {
	case <-r.view.Quit():
	case <-ctx.Done():
	}
}

// close gives the terminal back and writes the log lines held.
func (r *tuiRun) close() {
	r.view.Close()
	<-r.done
	r.screen.Fini()
	r.tap.release()
}
