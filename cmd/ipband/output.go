package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"ipband/mail"
	"ipband/report"
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
}

var _ watchdog.Output = (*output)(nil)

// Period prints the table, rewrites the page, and retries reports the
// file could not take before.
func (o *output) Period(p *report.Period) {
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
}

// Report appends r to the file and queues it for mail. Failures are logged
// by the sinks, which keep what they could not deliver.
func (o *output) Report(r report.Report) {
	o.file.Deliver(r) //nolint:errcheck // logged and kept by the sink
	if o.html != nil {
		o.html.Report(r) //nolint:errcheck // logged by the page writer
	}
	if o.mail != nil {
		if err := o.mail.Deliver(r); err != nil {
			o.logf("mail %s: %v", report.Subject(r), err)
		}
	}
}

// Close flushes what is pending, waiting at most d for the mail queue.
func (o *output) Close(d time.Duration) error {
	var err error
	if o.file.Pending() > 0 {
		if o.file.Retry() != nil {
			err = fmt.Errorf("%s: %d report(s) could not be written", o.path, o.file.Pending())
		}
	}
	if o.mail != nil {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		if merr := o.mail.Close(ctx); merr != nil && err == nil {
			err = merr
		}
	}
	return err
}
