package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/report/metrics"
	"ipband/watchdog"
)

// output fans the engine's periods and reports out to the -d 2 table, the
// HTML page, the report file and mail. It runs on the capture goroutine,
// once per period: file writes are small appends, and mail only queues.
type output struct {
	table io.Writer        // -d 2, or nil
	html  *report.HTMLFile // -w, or nil
	file  *report.FileSink // -o
	mail  *mail.Queue      // -M, or nil
	logf  report.Logf
	path  string // -o, for messages
	buf   []byte
	extra []report.Output // --json-file, --stats-file, --notify, --metrics-listen
	// metrics is the metrics server until serveMetrics starts it, or nil.
	metrics *metrics.Server
	// maskBits is the IPv4 mask in force, so that subnets of another
	// length are shown with it.
	maskBits int
}

var _ watchdog.Output = (*output)(nil)

// Period prints the table, rewrites the page, and retries reports the
// file could not take before.
func (o *output) Period(p *report.Period) {
	p.MaskBits = o.maskBits
	if o.table != nil {
		o.buf = report.AppendTable(o.buf[:0], p)
		o.table.Write(o.buf) //nolint:errcheck // a debug table must not stop capture
	}
	if o.html != nil {
		o.html.Write(p) //nolint:errcheck // logged by the page writer, retried next period
	}
	if o.file.Pending() > 0 {
		o.file.Retry() //nolint:errcheck // logged by the sink
	}
	for _, x := range o.extra {
		x.Period(p) //nolint:errcheck // each output logs its own faults
	}
}

// Report appends r to the file and queues it for mail. Failures are logged
// by the sinks, which keep what they could not deliver.
func (o *output) Report(r report.Report) {
	r.MaskBits = o.maskBits
	o.file.Deliver(r) //nolint:errcheck // logged and kept by the sink
	if o.mail != nil {
		if err := o.mail.Deliver(r); err != nil {
			o.logf("mail %s: %v", report.Subject(r), err)
		}
	}
	for _, x := range o.extra {
		x.Report(r) //nolint:errcheck // each output logs its own faults
	}
}

// Close flushes what is pending, waiting at most d for the mail queue and
// the notify commands.
func (o *output) Close(d time.Duration) error {
	var err error
	if o.file.Pending() > 0 {
		if o.file.Retry() != nil {
			err = fmt.Errorf("%s: %d report(s) could not be written", o.path, o.file.Pending())
		}
	}
	if o.metrics != nil {
		o.metrics.Close() //nolint:errcheck // never served
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if o.mail != nil {
		if merr := o.mail.Close(ctx); merr != nil && err == nil {
			err = merr
		}
	}
	for _, x := range o.extra {
		if c, ok := x.(report.Closer); ok {
			if cerr := c.Close(ctx); cerr != nil && err == nil {
				err = cerr
			}
		}
	}
	return err
}

// checkOutputs checks, before anything starts, that the report file (-o)
// and the status page (-w) can be written there; an error names the flag,
// or the directive and its config file, that set the path.
func checkOutputs(fs *pflag.FlagSet, cfg *conf.Config) error {
	for _, c := range []struct {
		directive, path string
		check           func(string) error
	}{
		{"outfile", cfg.OutFile, report.CheckFile},
		{"htmlfile", cfg.HTMLFile, report.CheckPage},
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
