package main

import (
	"context"
	"fmt"
	"net/netip"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/report/metrics"
	"ipband/report/notify"
)

// newMachineOutputs builds the outputs for programs the config asks for:
// the JSON report file, the stats stream, the metrics and the notify
// command, and binds the metrics server's address (served by
// serveMetrics). A file that cannot be opened, an address that cannot be
// bound or an empty command is an error naming its directive, before
// capture starts.
//
// mailCounts, when not nil, gives the metrics the mail queue's counters.
func newMachineOutputs(cfg *conf.Config, names *report.Names, logf report.Logf, mailCounts func() metrics.MailCounts) (outs []report.Output, srv *metrics.Server, err error) {
	defer func() {
		if err != nil {
			closeOutputs(outs)
			outs = nil
		}
	}()
	if cfg.JSONFile != "" {
		j, err := report.NewJSONFile(cfg.JSONFile, names, logf)
		if err != nil {
			return outs, nil, fmt.Errorf("jsonfile (--json-file): %w", err)
		}
		outs = append(outs, j)
	}
	if cfg.StatsFile != "" {
		s, err := report.NewStatsFile(cfg.StatsFile, logf)
		if err != nil {
			return outs, nil, fmt.Errorf("statsfile (--stats-file): %w", err)
		}
		outs = append(outs, s)
	}
	if cfg.Notify != "" {
		cmd, err := mail.NewCommand(cfg.Notify) // split as mtastring is
		if err != nil {
			return outs, nil, fmt.Errorf("notify (--notify): %w", err)
		}
		n, err := notify.New(notify.Options{Args: cmd.Args, Timeout: cfg.NotifyTimeout, Logf: logf, Names: names})
		if err != nil {
			return outs, nil, fmt.Errorf("notify (--notify): %w", err)
		}
		outs = append(outs, n)
	}
	if cfg.Metrics != "" {
		var preloaded []netip.Prefix
		for _, p := range cfg.Preloaded() {
			preloaded = append(preloaded, p.Prefix)
		}
		m := metrics.New(metrics.Options{Preloaded: preloaded, Mail: mailCounts})
		srv, err = metrics.Listen(cfg.Metrics, m.Handler())
		if err != nil {
			return outs, nil, fmt.Errorf("metrics (--metrics-listen): %w", err)
		}
		outs = append(outs, m)
	}
	return outs, srv, nil
}

// closeOutputs closes outputs that were built before a later one failed.
func closeOutputs(outs []report.Output) {
	for _, o := range outs {
		if c, ok := o.(report.Closer); ok {
			c.Close(context.Background()) //nolint:errcheck // nothing was written yet
		}
	}
}

// serveMetrics serves the metrics, if any, until ctx ends or the returned
// stop is called; stop waits for the server to shut down.
func (o *output) serveMetrics(ctx context.Context) (stop func()) {
	srv := o.metrics
	if srv == nil {
		return func() {}
	}
	o.metrics = nil // Close need not close the listener now
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			o.logf("%v", err)
		}
	}
}
