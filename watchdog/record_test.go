package watchdog_test

import (
	"slices"
	"testing"
	"time"

	"ipband/report"
	"ipband/watchdog"
)

func flowRec(start, end int64, src, dst string, n uint64) *watchdog.Record {
	return &watchdog.Record{Start: start, End: end, Bytes: n, Proto: 6,
		Src: ip(src), Dst: ip(dst), SrcPort: 4000, DstPort: 443}
}

// bytesOf returns the bytes of sub in each period rec holds.
func bytesOf(rec *recorder, sub string) []uint64 {
	var out []uint64
	for _, p := range rec.periods {
		var n uint64
		for _, l := range p.Lines {
			if l.Subnet == pfx(sub) {
				n = l.Bytes
			}
		}
		out = append(out, n)
	}
	return out
}

// TestRecordProRates checks that a flow's bytes are spread over the
// periods it spans in proportion to the time it spent in each, that the
// parts in later periods count when those periods open, and that no byte
// is lost to rounding.
func TestRecordProRates(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Start(t0)
	// 30 s in period 0, 60 s in period 1, 30 s in period 2.
	if late := e.Record(flowRec(t0+30e9, t0+150e9, "10.1.1.1", "10.2.2.2", 120001)); late != 0 {
		t.Fatalf("late %d, want 0", late)
	}
	if got := e.Pending(); got != 60000+30001 {
		t.Errorf("pending %d, want 90001", got)
	}
	e.Advance(t0 + 3*minute)
	got := bytesOf(rec, "10.1.1.0/24")
	want := []uint64{30000, 60000, 30001}
	if !slices.Equal(got, want) {
		t.Fatalf("bytes per period %v, want %v", got, want)
	}
	if e.Pending() != 0 {
		t.Errorf("pending %d after the periods opened", e.Pending())
	}
	if s := e.Stats(); s.Records != 1 || s.LateBytes != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestRecordStep checks that a record with a change of rate inside it
// spreads each side of the change over its own span: 30 s at 1 kB/s then
// 90 s at 10 kB/s, across periods 0 to 2, and that it counts as one record.
func TestRecordStep(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Start(t0)
	r := flowRec(t0+30e9, t0+150e9, "10.1.1.1", "10.2.2.2", 30000+900000)
	r.Step, r.Before = t0+60e9, 30000
	if late := e.Record(r); late != 0 {
		t.Fatalf("late %d, want 0", late)
	}
	e.Advance(t0 + 3*minute)
	got := bytesOf(rec, "10.1.1.0/24")
	want := []uint64{30000, 600000, 300000}
	if !slices.Equal(got, want) {
		t.Fatalf("bytes per period %v, want %v", got, want)
	}
	if s := e.Stats(); s.Records != 1 {
		t.Errorf("records %d, want 1", s.Records)
	}
	// A step outside the span, or claiming more bytes than the record,
	// is ignored: the bytes are spread evenly.
	e2, rec2 := newEngine(t, cfg())
	e2.Start(t0)
	for _, bad := range []struct {
		step   int64
		before uint64
	}{{t0 + 10e9, 10}, {t0 + 200e9, 10}, {t0 + 60e9, 2000}} {
		r := flowRec(t0+30e9, t0+90e9, "10.1.1.1", "10.2.2.2", 1000)
		r.Step, r.Before = bad.step, bad.before
		e2.Record(r)
	}
	e2.Advance(t0 + 2*minute)
	if got := bytesOf(rec2, "10.1.1.0/24"); len(got) != 2 || got[0] != 1500 || got[1] != 1500 {
		t.Errorf("bad steps: bytes per period %v, want [1500 1500]", got)
	}
}

// TestRecordLate checks that bytes of a period already closed are counted
// as late and returned, not added to the open period.
func TestRecordLate(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Start(t0)
	e.Advance(t0 + 2*minute) // periods 0 and 1 judged
	// Half in period 1 (closed), half in period 2 (open).
	late := e.Record(flowRec(t0+90e9, t0+150e9, "10.1.1.1", "10.2.2.2", 1000))
	if late != 500 {
		t.Fatalf("late %d, want 500", late)
	}
	e.Record(flowRec(t0+10e9, t0+10e9, "10.1.1.1", "10.2.2.2", 7)) // an instant, long closed
	e.Advance(t0 + 3*minute)
	got := bytesOf(rec, "10.1.1.0/24")
	if n := got[len(got)-1]; n != 500 {
		t.Errorf("open period got %d, want 500", n)
	}
	var total report.Stats
	for _, p := range rec.periods {
		total.Add(p.Stats)
	}
	if total.LateBytes != 507 || total.Records != 2 {
		t.Errorf("late %d records %d, want 507 and 2", total.LateBytes, total.Records)
	}
}

// TestRecordInstantFuture checks that a record of a later period, with no
// duration, waits for its period.
func TestRecordInstantFuture(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Start(t0)
	e.Record(flowRec(t0+61e9, t0+61e9, "10.1.1.1", "10.2.2.2", 99))
	e.Advance(t0 + minute)
	if got := bytesOf(rec, "10.1.1.0/24"); got[0] != 0 {
		t.Fatalf("period 0 got %d bytes of period 1", got[0])
	}
	e.Advance(t0 + 2*minute)
	if got := bytesOf(rec, "10.1.1.0/24"); got[len(got)-1] != 99 {
		t.Fatalf("period 1 got %v, want 99", got)
	}
}

// TestRecordZeroAlloc checks that counting records spread over periods
// does not allocate once the buffers are grown.
func TestRecordZeroAlloc(t *testing.T) {
	e, _ := newEngine(t, cfg())
	e.Start(t0)
	r := flowRec(t0, t0+90e9, "10.1.1.1", "10.2.2.2", 1000)
	for range 100 {
		e.Record(r)
	}
	e.Advance(t0 + 2*minute)
	now := t0 + 2*minute
	allocs := testing.AllocsPerRun(1000, func() {
		r.Start, r.End = now-30e9, now+30e9
		e.Record(r)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per record, want 0", allocs)
	}
}

// TestRecordReloadAverage checks that a reload changing the averaging
// period loses no pending flow bytes: they count in the first period of
// the new length.
func TestRecordReloadAverage(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Start(t0)
	e.Record(flowRec(t0, t0+180e9, "10.1.1.1", "10.2.2.2", 1800)) // 600 a minute
	c := cfg()
	c.Average = 2 * time.Minute
	if err := e.Reconfigure(c); err != nil {
		t.Fatal(err)
	}
	e.Advance(t0 + 10*minute)
	var total uint64
	for _, n := range bytesOf(rec, "10.1.1.0/24") {
		total += n
	}
	if total != 1800 || e.Pending() != 0 {
		t.Errorf("%d bytes counted, %d pending; want 1800 and 0", total, e.Pending())
	}
}
