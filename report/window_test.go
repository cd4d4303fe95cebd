package report_test

import (
	"math"
	"os"
	"testing"
	"time"

	"ipband/report"
)

// windowPeriod is a one-minute period at minute m after t, with one line
// of subnet carrying kbps kB/s, two thirds in and one third out.
func windowPeriod(t time.Time, m int, subnet string, kbps, threshold float64) *report.Period {
	start := t.Add(time.Duration(m) * time.Minute)
	b := uint64(kbps * 1024 * 60)
	return &report.Period{Start: start, End: start.Add(time.Minute), Lines: []report.Line{{
		Subnet: prefix(subnet), Bytes: b, InBytes: b * 2 / 3, OutBytes: b / 3, Threshold: threshold, ThresholdIn: threshold / 2,
	}}}
}

// TestRateWindowPercentile feeds 2 hours of one-minute periods whose
// 5-minute intervals carry 1, 2, ... 24 kB/s and checks the 95th
// percentile (23 by nearest rank), its split by direction, and the
// intervals over the thresholds.
func TestRateWindowPercentile(t *testing.T) {
	w := report.NewRateWindow(0, 0, 0)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var last *report.Period
	for m := range 120 {
		last = windowPeriod(t0, m, "10.0.0.0/24", float64(m/5+1), 20)
		w.Add(last)
		if m < 4 && last.Lines[0].P95.Intervals != 0 {
			t.Fatalf("minute %d: percentiles %+v before an interval closed", m, last.Lines[0].P95)
		}
	}
	got := last.Lines[0].P95
	if got.Intervals != 24 || got.Total != 23 || got.Over != 5 {
		t.Errorf("percentiles %+v; want 24 intervals, p95 23, 5 over 20", got)
	}
	if math.Abs(got.In-23*2/3.0) > 0.01 || math.Abs(got.Out-23/3.0) > 0.01 {
		t.Errorf("p95 in %v out %v, want %v and %v", got.In, got.Out, 23*2/3.0, 23/3.0)
	}
	if got.OverIn != 10 || got.OverOut != 0 { // in >= 10: 15..24 kB/s total
		t.Errorf("over in %d, out %d; want 10 and 0", got.OverIn, got.OverOut)
	}
}

// TestRateWindowSpan checks that only the last 24 hours count, that
// periods straddling intervals share their bytes by time, that an idle
// run counts as zero rates, and that a subnet idle a whole day goes.
func TestRateWindowSpan(t *testing.T) {
	w := report.NewRateWindow(0, 0, 0)
	t0 := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC) // periods straddle the intervals
	// 2 hours at 100 kB/s, then 24 hours at 10 kB/s: the first no longer count.
	var last *report.Period
	for m := range 26 * 60 {
		kbps := 10.0
		if m < 120 {
			kbps = 100
		}
		last = windowPeriod(t0, m, "10.0.0.0/24", kbps, 50)
		w.Add(last)
	}
	if got := last.Lines[0].P95; got.Intervals != 288 || math.Abs(got.Total-10) > 1e-9 || got.Over != 0 {
		t.Errorf("percentiles %+v; want 288 intervals at 10 kB/s, none over", got)
	}
	// A day and more of nothing in one idle summary: the subnet goes.
	idle := &report.Period{Start: last.End, End: last.End.Add(time.Minute), Repeat: 25 * 60}
	w.Add(idle)
	p := windowPeriod(idle.End.Add(time.Duration(idle.Repeat)*time.Minute), 0, "10.0.0.0/24", 0, 50)
	w.Add(p)
	if got := p.Lines[0].P95; got != (report.Percentiles{}) {
		t.Errorf("after a day idle: %+v, want none", got)
	}
}

// TestRateWindowBounded checks the bound on subnets.
func TestRateWindowBounded(t *testing.T) {
	w := report.NewRateWindow(0, 0, 1)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for m := range 10 {
		p := windowPeriod(t0, m, "10.0.0.0/24", 1, 10)
		p.Lines = append(p.Lines, windowPeriod(t0, m, "10.0.1.0/24", 1, 10).Lines...)
		w.Add(p)
		if m == 9 && (p.Lines[0].P95.Intervals == 0 || p.Lines[1].P95.Intervals != 0) {
			t.Errorf("the first subnet kept, the second not: %+v", p.Lines)
		}
	}
}

func TestPercentile(t *testing.T) {
	for _, tt := range []struct {
		v    []float64
		p    float64
		want float64
	}{
		{nil, 95, 0},
		{[]float64{5}, 95, 5},
		{[]float64{3, 1, 2}, 50, 2},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 95, 19},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 100, 20},
	} {
		if got := report.Percentile(tt.v, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.v, tt.p, got, tt.want)
		}
	}
}

// TestRestoreWindow writes a stats stream of 3 hours and restores a new
// window from it: the next period's percentiles are those of a window that
// saw it all.
func TestRestoreWindow(t *testing.T) {
	path := t.TempDir() + "/stats.jsonl"
	var stream []byte
	whole := report.NewRateWindow(0, 0, 0)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for m := range 180 {
		p := windowPeriod(t0, m, "10.0.0.0/24", float64(m%37), 20)
		whole.Add(p)
		stream = append(report.AppendPeriodJSON(stream, p), '\n')
	}
	if err := os.WriteFile(path, stream, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := report.NewRateWindow(0, 0, 0)
	if n, err := report.RestoreWindow(restored, path); err != nil || n != 180 {
		t.Fatalf("restored %d periods, %v; want 180", n, err)
	}
	a, b := windowPeriod(t0, 180, "10.0.0.0/24", 3, 20), windowPeriod(t0, 180, "10.0.0.0/24", 3, 20)
	whole.Add(a)
	restored.Add(b)
	if a.Lines[0].P95 != b.Lines[0].P95 || a.Lines[0].P95.Intervals != 36 {
		t.Errorf("restored %+v, want %+v with 36 intervals", b.Lines[0].P95, a.Lines[0].P95)
	}
}
