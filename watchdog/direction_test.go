package watchdog_test

import (
	"testing"

	"ipband/report"
	"ipband/subnet"
)

// TestDirections checks bytes in and out per subnet and the decision on a
// direction's own threshold: 16 kB/s in and 2 kB/s out stays under a
// 22 kB/s sum, yet is over a threshold of 12 kB/s in, and the report says
// so; the sum decides alone for a subnet without direction thresholds.
func TestDirections(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in, out float64
		reports int
		over    report.Over
	}{
		{"sum only", 0, 0, 0, 0},
		{"in over", 12, 0, 1, report.OverIn},
		{"out under", 0, 3.5, 0, 0},
		{"both", 12, 1, 1, report.OverIn | report.OverOut},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22, In: tt.in, Out: tt.out}))
			for m := int64(0); m < 6; m++ {
				feed(e, m, 16, "10.100.11.13", "10.10.123.173") // in
				feed(e, m, 2, "10.10.123.173", "10.100.11.13")  // out
				feed(e, m, 1, "10.10.123.1", "10.10.123.2")     // within: both directions, once in the sum
			}
			e.Advance(t0 + 6*minute)
			if len(rec.reports) != tt.reports {
				t.Fatalf("%d reports, want %d", len(rec.reports), tt.reports)
			}
			l := rec.periods[0].Lines[0]
			const kB = 1024 * 60
			if l.Bytes != 19*kB || l.InBytes != 17*kB || l.OutBytes != 3*kB {
				t.Errorf("bytes %d in %d out %d; want %d, %d, %d", l.Bytes, l.InBytes, l.OutBytes, 19*kB, 17*kB, 3*kB)
			}
			if l.KBps != 19 || l.InKBps != 17 || l.OutKBps != 3 || l.ThresholdIn != tt.in || l.ThresholdOut != tt.out {
				t.Errorf("line %+v", l)
			}
			if l.Over != tt.over || l.Logging != (tt.over != 0) {
				t.Errorf("over %v logging %v, want %v", l.Over, l.Logging, tt.over)
			}
			if tt.reports == 0 {
				return
			}
			r := rec.reports[0]
			if r.Over != tt.over || r.InKBps != 17 || r.OutKBps != 3 || r.KBps != 19 || r.ThresholdIn != tt.in || r.ThresholdOut != tt.out {
				t.Errorf("report over %v, rates %v/%v/%v, thresholds %v/%v", r.Over, r.KBps, r.InKBps, r.OutKBps, r.ThresholdIn, r.ThresholdOut)
			}
		})
	}
}

// TestDirectionsDynamic checks in and out in dynamic mode, where both
// ends of a packet may be new subnets.
func TestDirectionsDynamic(t *testing.T) {
	e, rec := newEngine(t, cfg())
	feed(e, 0, 5, "10.1.1.1", "10.2.2.2")
	feed(e, 0, 3, "10.2.2.2", "10.1.1.1")
	feed(e, 0, 1, "10.2.2.2", "10.2.2.3")
	e.Advance(t0 + minute)
	want := map[string][2]float64{"10.1.1.0/24": {3, 5}, "10.2.2.0/24": {6, 4}}
	for _, l := range rec.periods[0].Lines {
		w := want[l.Subnet.String()]
		if l.InKBps != w[0] || l.OutKBps != w[1] {
			t.Errorf("%v: in %v out %v, want %v", l.Subnet, l.InKBps, l.OutKBps, w)
		}
		delete(want, l.Subnet.String())
	}
	if len(want) != 0 {
		t.Errorf("missing %v", want)
	}
}

// TestEngineWindow checks that the engine hands its closed periods to its
// rate window, which sets the lines' 95th percentiles once a 5-minute
// interval has closed: 20 minutes at 4 kB/s in then 10 at 8 kB/s.
func TestEngineWindow(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22})
	c.Window = report.NewRateWindow(0, 0, 0)
	e, rec := newEngine(t, c)
	for m := int64(0); m < 30; m++ {
		kbps := 4
		if m >= 20 {
			kbps = 8
		}
		feed(e, m, kbps, "10.100.11.13", "10.10.123.173")
	}
	e.Advance(t0 + 30*minute)
	if got := rec.periods[3].Lines[0].P95; got.Intervals != 0 {
		t.Errorf("minute 4: %+v before the first interval closed", got)
	}
	got := rec.periods[29].Lines[0].P95
	if got.Intervals != 6 || got.Total != 8 || got.In != 8 || got.Out != 0 {
		t.Errorf("percentiles %+v; want 6 intervals, p95 8 kB/s in", got)
	}
}
