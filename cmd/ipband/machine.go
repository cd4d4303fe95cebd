package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/report/metrics"
	"ipband/report/notify"
	"ipband/watchdog/service"
	"ipband/watchdog/service/privilege"
)

// newMachineOutputs builds the outputs for programs the config asks for:
// the JSON report file, the stats stream, the metrics and the notify
// command, and binds the metrics server's address; the server is the task
// returned. A file that cannot be opened, an address that cannot be bound
// or an empty command is an error naming its directive, before capture
// starts.
//
// mailCounts, when not nil, gives the metrics the mail queue's counters.
// dry, for the parent of -F, leaves the JSON and stats files to its child
// (checkOutputs has checked them): a child that does not start then leaves
// no empty file behind.
func newMachineOutputs(cfg *conf.Config, names *report.Names, log *slog.Logger, mailCounts func() metrics.MailCounts, dry bool) (outs []report.Output, tasks []service.Task, err error) {
	defer func() {
		if err != nil {
			closeOutputs(outs)
			outs = nil
		}
	}()
	// The files are opened, and created, as the user that writes them
	// after the drop, so that a reopen on SIGHUP can open them again.
	if cfg.JSONFile != "" && !dry {
		var j *report.JSONFile
		err := privilege.AsUser(cfg.User, func() (err error) {
			j, err = report.NewJSONFile(cfg.JSONFile, names, service.Logf(log, "json-file"))
			return err
		})
		if err != nil {
			return outs, nil, fmt.Errorf("jsonfile (--json-file): %w", err)
		}
		outs = append(outs, j)
	}
	if cfg.StatsFile != "" && !dry {
		var s *report.StatsFile
		err := privilege.AsUser(cfg.User, func() (err error) {
			s, err = report.NewStatsFile(cfg.StatsFile, service.Logf(log, "stats-file"))
			return err
		})
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
		cred, err := privilege.CommandCredential(cfg.User)
		if err != nil {
			return outs, nil, fmt.Errorf("notify (--notify): %w", err)
		}
		n, err := notify.New(notify.Options{Args: cmd.Args, Timeout: cfg.NotifyTimeout, Logf: service.Logf(log, "notify"),
			Names: names, Credential: cred})
		if err != nil {
			return outs, nil, fmt.Errorf("notify (--notify): %w", err)
		}
		outs = append(outs, n)
	}
	if cfg.Metrics != "" {
		m := metrics.New(metrics.Options{Preloaded: preloadedPrefixes(cfg), Mail: mailCounts,
			Average: cfg.Average, Report: cfg.Report, Version: version})
		srv, err := metrics.Listen(cfg.Metrics, m.Handler())
		if err != nil {
			return outs, nil, fmt.Errorf("metrics (--metrics-listen): %w", err)
		}
		outs = append(outs, m)
		tasks = append(tasks, srv)
	}
	return outs, tasks, nil
}

// preloadedPrefixes returns the preloaded subnets of cfg.
func preloadedPrefixes(cfg *conf.Config) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range cfg.Preloaded() {
		out = append(out, p.Prefix)
	}
	return out
}

// closeOutputs closes outputs that were built before a later one failed.
func closeOutputs(outs []report.Output) {
	for _, o := range outs {
		if c, ok := o.(report.Closer); ok {
			c.Close(context.Background()) //nolint:errcheck // nothing was written yet
		}
	}
}
