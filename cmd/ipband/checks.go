package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/subnet"
)

// checkRead refuses --read with an interface named on the command line:
// a replay opens no interface, so one of the two is a mistake. An
// interface line in the config file is allowed and ignored in replay: the
// same file often serves live capture too.
func checkRead(fs *pflag.FlagSet, read string) error {
	const msg = "flag -R/--read replays a file and opens no interface: drop %s or --read"
	switch {
	case read == "":
		return nil
	case fs.Changed("interface"):
		return fmt.Errorf(msg, "flag -i/--interface")
	case fs.NArg() > 0:
		return fmt.Errorf(msg, fmt.Sprintf("the interface argument %q", fs.Arg(0)))
	}
	return nil
}

// checkFlow refuses an interface named on the command line together with
// flow listeners: with flowlisten the source is the listeners, and no
// interface is opened.
func checkFlow(fs *pflag.FlagSet, cfg *conf.Config) error {
	const msg = "%s: flow listeners replace the capture and open no interface: drop %s or the listeners"
	switch {
	case len(cfg.FlowListen) == 0:
		return nil
	case fs.Changed("interface"):
		return fmt.Errorf(msg, cfg.Origin("flowlisten"), "flag -i/--interface")
	case fs.NArg() > 0:
		return fmt.Errorf(msg, cfg.Origin("flowlisten"), fmt.Sprintf("the interface argument %q", fs.Arg(0)))
	}
	return nil
}

// warnAccumulate says once, at start, that -A (or accumulate yes) does
// nothing without preloaded subnets.
func warnAccumulate(cfg *conf.Config, logf func(string, ...any)) {
	if cfg.Accumulate && len(cfg.Subnets) == 0 {
		logf("%s: accumulate has no effect without subnet lines (dynamic mode): reports show no total time", cfg.Origin("accumulate"))
	}
}

// warnReport says once, at start, that a reporting period that is not a
// multiple of the averaging period is rounded up: reports are decided at
// period ends, so -r 90 with -a 60 reports every 120 s of logging.
func warnReport(cfg *conf.Config, logf func(string, ...any)) {
	avg, rep := cfg.Average, cfg.Report
	if avg <= 0 || rep%avg == 0 {
		return
	}
	every := (rep + avg - 1) / avg * avg
	logf("report %d (%s) is not a multiple of average %d (%s): reports come every %d s of logging",
		int(rep.Seconds()), cfg.Origin("report"), int(avg.Seconds()), cfg.Origin("average"), int(every.Seconds()))
}

// loadNetworks reads the network names file. The default file may be
// missing; a file named with --networks must be there and readable.
func loadNetworks(path string, named bool) (*subnet.Networks, error) {
	if !named {
		return subnet.LoadNetworks(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flag --networks: %w", err)
	}
	defer f.Close()
	n, err := subnet.ParseNetworks(f)
	if err != nil {
		return nil, fmt.Errorf("flag --networks: %w", err)
	}
	return n, nil
}
