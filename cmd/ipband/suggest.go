package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog/suggest"
)

// errSuggestFlag is a --suggest-* or --from-stats flag given without
// --suggest.
var errSuggestFlag = errors.New("needs --suggest")

// checkSuggestFlags refuses the flags of --suggest without it, and
// --from-stats with --read.
func checkSuggestFlags(c *cli, fs *pflag.FlagSet) error {
	if !bool(c.suggest) {
		for _, name := range []string{"suggest-for", "from-stats", "suggest-capacity", "suggest-top"} {
			if fs.Changed(name) {
				return fmt.Errorf("flag --%s: %w", name, errSuggestFlag)
			}
		}
		return nil
	}
	if c.fromStats.s != "" && c.read.s != "" {
		return errors.New("flag --from-stats: give --read or --from-stats, not both")
	}
	return nil
}

// suggestOptions builds the options of the suggestion from the flags and
// the config.
func suggestOptions(c *cli, cfg *conf.Config) (suggest.Options, error) {
	opt := suggest.Options{Engine: engineConfig(cfg, nil), Capacity: map[netip.Prefix]float64{}}
	for _, p := range cfg.Preloaded() {
		if p.Capacity > 0 {
			opt.Capacity[p.Prefix] = p.Capacity
		}
	}
	if v := c.suggestCapacity.s; v != "" {
		x, err := conf.ParseRate(v)
		if err == nil && !(x > 0) {
			err = fmt.Errorf("%q: %w: want more than 0", v, conf.ErrOutOfRange)
		}
		if err != nil {
			return opt, fmt.Errorf("flag --suggest-capacity: %w", err)
		}
		opt.Default = x
	}
	if v := c.suggestTop.s; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return opt, fmt.Errorf("flag --suggest-top: %q: want a whole number, 1 or more", v)
		}
		opt.Top = n
	}
	return opt, nil
}

// suggestOnly turns off every output of cfg: a suggestion makes no
// report, page, mail, evidence or metrics, and stays in the foreground.
func suggestOnly(cfg *conf.Config) {
	cfg.OutFile, cfg.HTMLFile, cfg.JSONFile, cfg.StatsFile = "", "", "", ""
	cfg.Metrics, cfg.Notify, cfg.EvidenceDir = "", "", ""
	cfg.MailTo = nil
	cfg.Fork = false
	cfg.Debug = min(cfg.Debug, 1)
}

// runSuggest runs --suggest: over a stats stream, or over the capture
// (--read, or live until a signal or --suggest-for), then prints the
// suggestion on standard output.
func runSuggest(ctx context.Context, c *cli, fs *pflag.FlagSet, cfg *conf.Config, env environment, logf func(string, ...any)) int {
	if _, err := suggestOptions(c, cfg); err != nil {
		logf("%v", err)
		return exitUsage
	}
	if c.fromStats.s != "" {
		return suggestFromStats(c, cfg, env, logf)
	}
	if v := c.suggestFor.s; v != "" {
		if c.read.s != "" {
			logf("flag --suggest-for: a capture file (--read) is read to its end")
			return exitUsage
		}
		d, err := conf.ParseDuration(v)
		if err != nil || d <= 0 {
			logf("flag --suggest-for: %q: want a duration such as 90s, 1h, 7d", v)
			return exitUsage
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	suggestOnly(cfg)
	return watch(ctx, c, fs, cfg, env, nil)
}

// suggestFromStats suggests from the periods of a stats stream.
func suggestFromStats(c *cli, cfg *conf.Config, env environment, logf func(string, ...any)) int {
	opt, _ := suggestOptions(c, cfg)
	f, err := os.Open(c.fromStats.s)
	if err != nil {
		logf("flag --from-stats: %v", err)
		return exitUsage
	}
	defer f.Close()
	periods, err := report.ReadStats(f)
	if err != nil {
		logf("flag --from-stats: %s: %v", c.fromStats.s, err)
	}
	col := suggest.NewCollector(opt)
	for _, p := range periods {
		col.Period(p) //nolint:errcheck // never fails
	}
	if err := col.Write(env.stdout); err != nil {
		logf("%v", err)
		return exitFail
	}
	return exitOK
}
