package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog/service/privilege"
)

// The outputs of ipband as report.Output values, each a small adapter over
// the package that does the work. The fan-out calls each from a goroutine
// of its own (see package service).

// console is standard output: the -d 2 table every period, and the
// reports when -o is "-", in one output so that they stay in order.
type console struct {
	table io.Writer        // -d 2, or nil
	sink  *report.FileSink // -o -, or nil
	buf   []byte
}

func (c *console) Name() string { return "standard output" }

// Period prints the table; a debug table never counts as lost. It retries
// the reports standard output could not take before.
func (c *console) Period(p *report.Period) error {
	if c.table != nil {
		c.buf = report.AppendTable(c.buf[:0], p)
		c.table.Write(c.buf) //nolint:errcheck // a debug table must not stop anything
	}
	if c.sink != nil && c.sink.Pending() > 0 {
		c.sink.Retry() //nolint:errcheck // logged and kept by the sink
	}
	return nil
}

func (c *console) Report(r report.Report) error {
	if c.sink == nil {
		return nil
	}
	return kept(c.sink.Deliver(r))
}

func (c *console) Close(context.Context) error {
	if c.sink == nil {
		return nil
	}
	return flushSink(c.sink)
}

// reportFile is the -o report file.
type reportFile struct {
	path string
	sink *report.FileSink
}

func (f *reportFile) Name() string { return "report file " + f.path }

// Period retries the reports the file could not take before.
func (f *reportFile) Period(*report.Period) error {
	if f.sink.Pending() > 0 {
		f.sink.Retry() //nolint:errcheck // logged and kept by the sink
	}
	return nil
}

func (f *reportFile) Report(r report.Report) error { return kept(f.sink.Deliver(r)) }

// Reopen reopens the file after log rotation. The sink opens the file for
// every delivery, so a rotated file (logrotate create or copytruncate) is
// written from the next report on; reopening writes what is pending.
func (f *reportFile) Reopen() error {
	if f.sink.Pending() > 0 {
		return f.sink.Retry()
	}
	return nil
}

func (f *reportFile) Close(context.Context) error { return flushSink(f.sink) }

// kept is nil for a delivery the sink kept in memory to write later: not
// lost yet. Other errors are.
func kept(err error) error {
	if errors.Is(err, report.ErrPending) {
		return nil
	}
	return err
}

// flushSink writes what a sink still holds, and says how much it could not.
func flushSink(s *report.FileSink) error {
	if s.Pending() == 0 || s.Retry() == nil {
		return nil
	}
	return fmt.Errorf("%d report(s) could not be written", s.Pending())
}

// statusPage is the -w HTML page, rewritten every period, and its reports
// page, rewritten with every report. A page that could not be written is
// logged by HTMLFile and replaced the next period: nothing is lost.
type statusPage struct {
	path string
	page *report.HTMLFile
	live bool // a live capture: at its stop the page says so
}

// Close marks the page of a live capture as the last one: it stops
// refreshing and says it is stale. A replay's page is its result, left as
// it is.
func (s *statusPage) Close(context.Context) error {
	if s.live {
		s.page.Stopped() //nolint:errcheck // logged by the page writer
	}
	return nil
}

func (s *statusPage) Name() string { return "status page " + s.path }

func (s *statusPage) Period(p *report.Period) error {
	s.page.Period(p) //nolint:errcheck // logged by the page writer, rewritten next period
	return nil
}

func (s *statusPage) Report(r report.Report) error {
	s.page.Report(r) //nolint:errcheck // logged by the page writer; the report file keeps the report
	return nil
}

var (
	_ report.Output   = (*console)(nil)
	_ report.Closer   = (*console)(nil)
	_ report.Output   = (*reportFile)(nil)
	_ report.Reopener = (*reportFile)(nil)
	_ report.Closer   = (*reportFile)(nil)
	_ report.Output   = (*statusPage)(nil)
	_ report.Closer   = (*statusPage)(nil)
)

// checkOutputs checks, before anything starts, that the report file (-o),
// the status page (-w), the JSON and stats files and the pid file can be
// written there, by the user that will write them: the user ipband drops
// to (--user), else the one it runs as. An error names the flag, or the
// directive and its config file, that set the path.
func checkOutputs(fs *pflag.FlagSet, cfg *conf.Config) error {
	if err := privilege.Check(cfg.User); err != nil {
		return fmt.Errorf("flag --user or user: %w", err)
	}
	for _, c := range []struct {
		directive, path string
		check           func(string) error
	}{
		{"outfile", cfg.OutFile, report.CheckFile},
		{"htmlfile", cfg.HTMLFile, report.CheckPage},
		{"jsonfile", cfg.JSONFile, optionalFile},
		{"statsfile", cfg.StatsFile, optionalFile},
		{"pidfile", cfg.PidFile, optionalFile},
	} {
		err := privilege.AsUser(cfg.User, func() error { return c.check(c.path) })
		if cfg.User != "" && errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w (as user %s, who writes it after the drop)", err, cfg.User)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", settingName(fs, cfg, c.directive), err)
		}
	}
	return nil
}

// optionalFile checks a file appended to, as the report file is; "" is
// none.
func optionalFile(path string) error {
	if path == "" {
		return nil
	}
	return report.CheckFile(path)
}

// settingName names where the value of directive came from: its flag,
// the config file, or the default.
func settingName(fs *pflag.FlagSet, cfg *conf.Config, directive string) string {
	for _, o := range options {
		if o.directive == directive && fs.Changed(o.long) {
			return flagName(o)
		}
	}
	if cfg.Source != "" {
		return directive + " in " + cfg.Source
	}
	return directive + " (default)"
}
