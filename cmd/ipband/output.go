package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/report"
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
// the status page (-w), the JSON and stats files can be written there,
// and the evidence directory used, by one rule (for root, no directory
// that other users can write, /tmp included); an error names the flag,
// or the directive and its config file, that set the path.
func checkOutputs(fs *pflag.FlagSet, cfg *conf.Config) error {
	optional := func(check func(string) error) func(string) error {
		return func(path string) error {
			if path == "" {
				return nil
			}
			return check(path)
		}
	}
	for _, c := range []struct {
		directive, path string
		check           func(string) error
	}{
		{"outfile", cfg.OutFile, report.CheckFile},
		{"htmlfile", cfg.HTMLFile, report.CheckPage},
		{"jsonfile", cfg.JSONFile, optional(report.CheckFile)},
		{"statsfile", cfg.StatsFile, optional(report.CheckFile)},
		{"evidencedir", cfg.EvidenceDir, report.CheckDir},
	} {
		if err := c.check(c.path); err != nil {
			return fmt.Errorf("%s: %w", settingName(fs, cfg, c.directive), err)
		}
	}
	return nil
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
