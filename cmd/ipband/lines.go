package main

import (
	"fmt"
	"strings"
	"time"

	"ipband/conf"
)

// startLine is the line logged at start without -d: what ipband watches
// and where its reports go, so that an admin sees at once what it does.
//
//	watching interface eth0: dynamic subnets (IPv4 /24, IPv6 /64) over 7.00 kB/s,
//	averaging 60 s, reporting after 300 s; reports to ipband.txt, mail noc@example.com
func startLine(what string, cfg *conf.Config) string {
	var subnets string
	if n := len(cfg.Preloaded()); n > 0 {
		plural := "s"
		if n == 1 {
			plural = ""
		}
		subnets = fmt.Sprintf("%d preloaded subnet%s (default threshold %.2f kB/s)", n, plural, cfg.Bandwidth)
	} else {
		subnets = fmt.Sprintf("dynamic subnets (IPv4 /%d, IPv6 /%d) over %.2f kB/s", cfg.MaskBits, cfg.MaskBits6, cfg.Bandwidth)
	}
	if len(cfg.LocalRange) > 0 {
		subnets += " in " + cfg.LocalRange.String()
	}
	return fmt.Sprintf("%s: %s, averaging %d s, reporting after %d s; %s",
		what, subnets, int(cfg.Average.Seconds()), int(cfg.Report.Seconds()), strings.Join(destinations(cfg), ", "))
}

// destinations names where the outputs of cfg write, the report file
// first.
func destinations(cfg *conf.Config) []string {
	out := "reports to " + cfg.OutFile
	if cfg.OutFile == "-" {
		out = "reports to standard output"
	}
	d := []string{out}
	for _, x := range []struct{ what, value string }{
		{"page", cfg.HTMLFile},
		{"mail", strings.Join(cfg.MailTo, " ")},
		{"JSON", cfg.JSONFile},
		{"stats", cfg.StatsFile},
		{"metrics on", cfg.Metrics},
		{"notify", cfg.Notify},
		{"evidence in", cfg.EvidenceDir},
	} {
		if x.value != "" {
			d = append(d, x.what+" "+x.value)
		}
	}
	return d
}

// shortReplayLine is the line logged when a replay ended before its first
// period closed, or "" when one did: nothing was evaluated, and the
// capture's length against -a says why.
func shortReplayLine(file string, start, last time.Time, closed bool, avg time.Duration) string {
	if closed || start.IsZero() {
		return ""
	}
	span := "has no packet time"
	if !last.IsZero() {
		span = "lasts " + last.Sub(start).Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%s: the capture %s, less than one averaging period (-a %d s): no period closed, so nothing was evaluated and no report made (try a shorter -a)",
		file, span, int(avg.Seconds()))
}
