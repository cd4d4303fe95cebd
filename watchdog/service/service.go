package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"ipband/report"
	"ipband/watchdog"
)

// DefaultFlush bounds the flush of the outputs and the mail queue at the
// end of a run when Config.Flush is 0.
const DefaultFlush = 10 * time.Second

// Task is long-running work that Run owns beside the capture: it runs
// until ctx is done and returns nil, or fails and stops the whole run with
// its error (a metrics server whose port is taken).
type Task interface {
	Run(ctx context.Context) error
}

// TaskFunc is a function that is a Task.
type TaskFunc func(ctx context.Context) error

// Run calls f(ctx).
func (f TaskFunc) Run(ctx context.Context) error { return f(ctx) }

// Config is what a Service runs. Source, Engine and Log are required.
type Config struct {
	// Source is the capture, opened and checked; Run closes it.
	Source watchdog.Source
	// Engine configures the engine, whose Output is the fan-out.
	Engine watchdog.Config
	// Outputs get every period and report, each from its own goroutine
	// (see FanOut); wrap one in Inline to call it on the engine's
	// goroutine. Adding an output is adding it to this list.
	Outputs []report.Output
	// Queue is each output's queue length; 0 means DefaultQueue.
	Queue int
	// Block makes a full queue wait instead of dropping: for replay, where
	// waiting costs only time and dropping would make runs differ.
	Block bool
	// Trace gets one line per frame (-d 3), on the capture goroutine.
	Trace io.Writer
	// Flush bounds the flush of the outputs at the end; 0 means
	// DefaultFlush.
	Flush time.Duration
	// Log gets the service's own messages; outputs log through the
	// report.Logf they were made with (see Logf).
	Log *slog.Logger
	// Signals makes Run handle SIGHUP (Reload), SIGUSR1 (Dump), SIGTERM
	// and SIGINT (stop, flush and return). Tests that run several services
	// in one process leave it false and cancel the context instead.
	Signals bool
	// Reload builds the engine config from the config file again, for
	// SIGHUP; its error should name the FILE:LINE at fault. Nil means
	// SIGHUP only reopens the outputs.
	Reload func() (watchdog.Config, error)
	// Tasks run beside the capture under the same owner; the first to
	// fail stops the run.
	Tasks []Task
	// Started, when not nil, is called once, when the capture starts
	// running (the detached daemon tells its parent it is up).
	Started func()
}

// Service is the lifecycle of ipband: it owns the capture, the engine, the
// output fan-out, the signal handler and any other tasks, and stops them
// all together. Make it with New and call Run once.
type Service struct {
	cfg    Config
	engine *watchdog.Engine
	fan    *FanOut
	log    *slog.Logger

	mu     sync.Mutex // guards the following fields
	losses []Loss
	ran    bool
}

// New builds the engine and the fan-out of c, checking the engine config.
func New(c Config) (*Service, error) {
	if c.Source == nil || c.Log == nil {
		return nil, errors.New("service: a source and a logger are required")
	}
	if c.Flush <= 0 {
		c.Flush = DefaultFlush
	}
	fan := newFanOut(c.Outputs, c.Queue, c.Block, c.Log)
	e, err := watchdog.New(c.Engine, fan)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: c, engine: e, fan: fan, log: c.Log}, nil
}

// Engine returns the engine, for its counters once Run has returned.
func (s *Service) Engine() *watchdog.Engine { return s.engine }

// Losses returns what each output lost, once Run has returned; outputs
// that lost nothing are left out.
func (s *Service) Losses() []Loss {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.losses
}

// Run runs the capture into the engine, the outputs, the signal handler
// and the tasks, until the capture ends (the end of a replayed file),
// fails, a task fails, SIGTERM or SIGINT arrive, or ctx is done. Then it
// stops them all, flushes the outputs within Config.Flush, closes the
// source and returns: nil, the capture's or a task's error, or an error
// wrapping ErrLost when an output lost something (see Losses).
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return errors.New("service: Run called twice")
	}
	s.ran = true
	s.mu.Unlock()
	defer s.cfg.Source.Close() //nolint:errcheck // a capture being closed has nothing left to say
	if s.cfg.Signals {
		// Until Run returns, SIGHUP and SIGUSR1 must not take their
		// default action (exit) while the outputs flush: a logrotate
		// postrotate then would lose what is queued. A SIGTERM or SIGINT
		// during the flush cuts it short, saying so (see abandonFlush).
		late := make(chan os.Signal, 1)
		signal.Notify(late, syscall.SIGHUP, syscall.SIGUSR1)
		defer signal.Stop(late)
	}

	var workers sync.WaitGroup
	s.fan.start(&workers)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	defer context.AfterFunc(gctx, s.fan.unblock)()
	g.Go(func() error {
		defer stop() // the end of the capture ends the run
		if s.cfg.Started != nil {
			s.cfg.Started()
		}
		return s.cfg.Source.Run(gctx, s.engine, watchdog.RunOptions{Trace: s.cfg.Trace})
	})
	if s.cfg.Signals {
		g.Go(func() error { return s.signals(gctx, stop) })
	}
	for _, t := range s.cfg.Tasks {
		g.Go(func() error { return t.Run(gctx) })
	}
	err := g.Wait()

	fctx, cancel := context.WithTimeout(context.Background(), s.cfg.Flush)
	defer cancel()
	if s.cfg.Signals {
		defer s.abandonFlush(fctx, cancel)()
	}
	losses := s.fan.close(fctx)
	s.mu.Lock()
	s.losses = losses
	s.mu.Unlock()
	if err == nil && len(losses) > 0 {
		err = fmt.Errorf("%w: %d output(s)", ErrLost, len(losses))
	}
	return err
}

// signals handles the process's signals until ctx is done.
func (s *Service) signals(ctx context.Context, stop context.CancelFunc) error {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(ch)
	dumps := make(chan *report.Period, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-dumps:
			s.logTable(p)
		case sig := <-ch:
			switch sig {
			case syscall.SIGHUP:
				s.Reload()
			case syscall.SIGUSR1:
				s.engine.Snapshot(func(p *report.Period) {
					select {
					case dumps <- p:
					default:
					}
				})
			default:
				s.log.Info("stopping on " + signalName(sig) + ": flushing outputs")
				stop()
				return nil
			}
		}
	}
}

// abandonFlush has a SIGTERM or SIGINT during the flush of ctx cut it
// short, with a line saying so: the outputs then give up what they hold
// (counted as lost, mail left in its spool). It returns the function that
// stops watching.
func (s *Service) abandonFlush(ctx context.Context, cancel context.CancelFunc) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			s.log.Warn(signalName(sig) + " during the flush: abandoning it, what is not yet written is lost (mail stays spooled)")
			cancel()
		case <-ctx.Done():
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// Reload reads the config again through Config.Reload and has the engine
// take it at the next period boundary; a bad config is logged and the old
// one kept. Either way the outputs reopen their files (log rotation).
func (s *Service) Reload() {
	if s.cfg.Reload != nil {
		c, err := s.cfg.Reload()
		if err == nil {
			err = s.engine.Reconfigure(c)
		}
		if err != nil {
			s.log.Error("reload failed, keeping the running config: "+err.Error(), "subsystem", "config")
		} else {
			s.log.Info("config reloaded, in force from the next period: " + c.String())
		}
	}
	s.fan.Reopen()
}

// logTable logs the -d 2 table of a snapshot, one record per line.
func (s *Service) logTable(p *report.Period) {
	b := report.AppendTable(nil, p)
	s.log.Info(fmt.Sprintf("table of the open period, %s to %s", p.Start.Format(time.DateTime), p.End.Format(time.DateTime)))
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		s.log.Info(string(line))
	}
}

func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		switch s {
		case syscall.SIGTERM:
			return "SIGTERM"
		case syscall.SIGINT:
			return "SIGINT"
		}
	}
	return sig.String()
}
