package watchdog_test

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// TestStartEpisodeReproducesTiming: an engine started on an episode at
// the end of period 0 of TestEpisodeTiming, fed only from then on, makes
// the same reports: same times, same start, same exceeded time, same
// rows and bytes.
func TestStartEpisodeReproducesTiming(t *testing.T) {
	for _, mode := range []struct {
		name string
		c    watchdog.Config
	}{
		{"preloaded", cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22})},
		{"dynamic", cfg()},
	} {
		t.Run(mode.name, func(t *testing.T) {
			full, want := newEngine(t, mode.c)
			for m := int64(0); m < 12; m++ {
				feed(full, m, 30, "10.10.123.173", "10.100.11.13")
			}
			full.Advance(t0 + 12*minute)

			e, got := newEngine(t, mode.c)
			if err := e.StartEpisode(pfx("10.10.123.0/24"), t0+minute); err != nil {
				t.Fatal(err)
			}
			for m := int64(1); m < 12; m++ {
				feed(e, m, 30, "10.10.123.173", "10.100.11.13")
			}
			e.Advance(t0 + 12*minute)
			w, g := reportsOf(want, "10.10.123.0/24"), reportsOf(got, "10.10.123.0/24")
			if len(w) != 2 {
				t.Fatalf("the full run made %d reports, want 2", len(w))
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("reports differ:\n got %+v\nwant %+v", g, w)
			}
			if p := got.periods[0]; p.Start.UnixNano() != t0+minute || len(p.Lines) == 0 || p.Lines[0].Subnet != pfx("10.10.123.0/24") || !p.Lines[0].Logging ||
				p.Lines[0].Since.UnixNano() != t0+minute {
				t.Errorf("first period %+v: want it from the episode's start, the subnet logging since then", p)
			}
		})
	}
}

// reportsOf returns the reports rec holds of subnet sub.
func reportsOf(rec *recorder, sub string) []report.Report {
	var out []report.Report
	for _, r := range rec.reports {
		if r.Subnet == pfx(sub) {
			out = append(out, r)
		}
	}
	return out
}

// TestStartEpisodeErrors: an episode needs an engine not yet started and
// a subnet the table tracks.
func TestStartEpisodeErrors(t *testing.T) {
	pre := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22})
	local := cfg()
	local.Subnets.Local, _ = subnet.ParseRanges("10.0.0.0/8")
	for _, c := range []struct {
		name    string
		c       watchdog.Config
		started bool
		p       netip.Prefix
		msg     string
	}{
		{"started", cfg(), true, pfx("10.10.123.0/24"), "10.10.123.0/24: the engine has started"},
		{"not preloaded", pre, false, pfx("10.10.81.0/24"), "10.10.81.0/24 is not a preloaded subnet"},
		{"other length", cfg(), false, pfx("10.10.0.0/16"), "10.10.0.0/16 is not a subnet of /24 or /64 in the local ranges"},
		{"not masked", cfg(), false, netip.PrefixFrom(ip("10.10.123.7"), 24), "is not a subnet of /24"},
		{"outside local", local, false, pfx("192.0.2.0/24"), "192.0.2.0/24 is not a subnet of /24 or /64 in the local ranges"},
	} {
		e, rec := newEngine(t, c.c)
		if c.started {
			e.Packet(tcp(t0, "10.1.1.1", 1, "10.1.1.2", 2, 60))
		}
		err := e.StartEpisode(c.p, t0+minute)
		if !errors.Is(err, watchdog.ErrEpisode) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want ErrEpisode saying %q", c.name, err, c.msg)
		}
		e.Advance(t0 + 10*minute)
		for _, p := range rec.periods {
			for _, l := range p.Lines {
				if l.Logging {
					t.Errorf("%s: %s logging after a failed StartEpisode", c.name, l.Subnet)
				}
			}
		}
	}
	e, _ := newEngine(t, pre)
	if err := e.StartEpisode(pfx("10.10.123.0/24"), t0); err != nil {
		t.Fatal(err)
	}
	if err := e.StartEpisode(pfx("10.10.123.0/24"), t0); err == nil {
		t.Error("a second StartEpisode: no error")
	}
}
