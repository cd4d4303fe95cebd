package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/subnet"
	"ipband/watchdog"
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

// warnAccumulate says once, at start, that -A (or accumulate yes) does
// nothing without preloaded subnets.
func warnAccumulate(cfg *conf.Config, logf func(string, ...any)) {
	if cfg.Accumulate && len(cfg.Subnets) == 0 {
		logf("%s: accumulate has no effect without subnet lines (dynamic mode): reports show no total time", cfg.Origin("accumulate"))
	}
}

// checkFilter compiles the filter for the link type of src, so that a bad
// filter stops ipband at start in replay as in live capture, naming where
// the filter came from.
func checkFilter(cfg *conf.Config, src source) error {
	if cfg.Filter == "" {
		return nil
	}
	if _, err := watchdog.CompileBPF(cfg.Filter, src.LinkType(), 0); err != nil {
		return fmt.Errorf("%s: %w", cfg.Origin("filter"), err)
	}
	return nil
}

// liveFilterError tells, when the live capture failed to open with a
// filter, whether the filter is at fault: if the interface opens without
// it and the filter does not compile for its link type, it returns that
// error naming where the filter came from; else nil.
func liveFilterError(cfg *conf.Config) error {
	if cfg.Filter == "" {
		return nil
	}
	bare := *cfg
	bare.Filter = ""
	src, err := openSource("", &bare, nil)
	if err != nil {
		return nil
	}
	defer src.Close()
	return checkFilter(cfg, src)
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
