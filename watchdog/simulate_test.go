package watchdog_test

import (
	"testing"
	"time"

	"ipband/subnet"
	"ipband/watchdog"
)

// TestSimulateMatchesPackets checks that Simulate, given the volumes of
// each period, decides as the engine fed the packets did: for thresholds
// on the sum and on a direction, the same reports and time over.
func TestSimulateMatchesPackets(t *testing.T) {
	rates := []int{30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 0, 5, 30, 30, 30, 30, 30, 30, 0}
	for _, pl := range []subnet.Preload{
		{Prefix: pfx("10.10.123.0/24"), Threshold: 22},
		{Prefix: pfx("10.10.123.0/24"), Threshold: 100, In: 25},
		{Prefix: pfx("10.10.123.0/24"), Threshold: 100, Out: 25},
	} {
		e, rec := newEngine(t, cfg(pl))
		var vols []watchdog.Volume
		for m, r := range rates {
			feed(e, int64(m), r, "10.100.11.13", "10.10.123.173")
			b := uint64(r * 1024 * 60)
			vols = append(vols, watchdog.Volume{Bytes: b, In: b})
		}
		e.Advance(t0 + int64(len(rates))*minute)
		over := time.Duration(0)
		for _, p := range rec.periods {
			for _, l := range p.Lines {
				if l.Over != 0 {
					over += time.Minute
				}
			}
		}
		got, err := watchdog.Simulate(cfg(), pl, time.Unix(0, t0), vols)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reports != len(rec.reports) || got.Over != over {
			t.Errorf("%+v: simulated %+v, engine %d reports and %v over", pl, got, len(rec.reports), over)
		}
		if pl.Out == 0 && got.Reports != 3 {
			t.Errorf("%+v: %d reports, want 3", pl, got.Reports)
		}
	}
}
