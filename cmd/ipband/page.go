package main

import (
	"io"
	"net/netip"

	"ipband/conf"
	"ipband/report"
)

// pageOptions configures the -w status page: reports named as in the
// report file, history kept for every preloaded subnet and restored from
// the stats stream, "-w -" on stdout.
func pageOptions(cfg *conf.Config, names *report.Names, stdout io.Writer) report.PageOptions {
	var pinned []netip.Prefix
	for _, p := range cfg.Preloaded() {
		pinned = append(pinned, p.Prefix)
	}
	return report.PageOptions{Names: names, Pinned: pinned, StatsFile: cfg.StatsFile, Stdout: stdout, Mode: cfg.PageMode}
}
