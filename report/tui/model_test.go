package tui

import (
	"net/netip"
	"testing"
	"time"

	"ipband/report"
)

// TestModelBounded checks that the view keeps the subnets of the last
// period and at most keepQuiet reported ones gone quiet: a flood of
// one-period subnets, each reported, does not grow it.
func TestModelBounded(t *testing.T) {
	m := newModel(Options{Average: time.Minute})
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for k := range 500 {
		sub := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(k >> 8), byte(k), 0}), 24)
		end := t0.Add(time.Duration(k+1) * time.Minute)
		m.period(&report.Period{Start: end.Add(-time.Minute), End: end, MaskBits: 24,
			Lines: []report.Line{{Subnet: sub, KBps: 50, Threshold: 7, Logging: true, Since: end}}})
		m.report(report.Report{Time: end, Subnet: sub, Threshold: 7, MaskBits: 24})
	}
	if n := len(m.subs); n > keepQuiet+1 {
		t.Errorf("%d subnets kept after 500 one-period subnets, want at most %d", n, keepQuiet+1)
	}
	last := netip.MustParsePrefix("10.1.243.0/24") // subnet 499, the latest
	if m.subs[last] == nil {
		t.Error("the latest subnet is gone")
	}
	if m.subs[netip.MustParsePrefix("10.0.0.0/24")] != nil {
		t.Error("the oldest quiet subnet is kept")
	}
}
