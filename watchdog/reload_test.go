package watchdog_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// TestReconfigureKeepsState swaps a config in while a preloaded subnet is
// in detail logging: the subnet keeps its episode (its next report covers
// the whole episode, before and after the swap), the new threshold applies
// from the period after the swap, a subnet only in the new config starts
// from nothing, and a removed one is gone.
func TestReconfigureKeepsState(t *testing.T) {
	halifax, gone, added := pfx("10.10.123.0/24"), pfx("10.10.81.0/24"), pfx("10.10.7.0/24")
	e, rec := newEngine(t, cfg(subnet.Preload{Prefix: halifax, Threshold: 22}, subnet.Preload{Prefix: gone, Threshold: 1}))
	for m := int64(0); m < 3; m++ { // logging from the end of period 0
		feed(e, m, 30, "10.10.123.173", "10.100.11.13")
		feed(e, m, 2, "10.10.81.5", "10.100.11.13")
	}
	// Swap asked during period 2 (open until the first packet of minute
	// 3): threshold 22 -> 25 for halifax (still over at 30), the other
	// subnet dropped, a new one added.
	next := cfg(subnet.Preload{Prefix: halifax, Threshold: 25}, subnet.Preload{Prefix: added, Threshold: 1})
	if err := e.Reconfigure(next); err != nil {
		t.Fatal(err)
	}
	feed(e, 3, 30, "10.10.123.173", "10.100.11.13")
	feed(e, 3, 2, "10.10.81.5", "10.100.11.13")
	for m := int64(4); m < 6; m++ {
		feed(e, m, 30, "10.10.123.173", "10.100.11.13")
		feed(e, m, 2, "10.10.81.5", "10.100.11.13")
	}
	e.Advance(t0 + 6*minute)
	// Period 2 was decided under the old config, period 3 under the new.
	if got := lineOf(t, rec.periods[2], halifax).Threshold; got != 22 {
		t.Errorf("period 2 threshold %v, want the old 22", got)
	}
	if _, ok := findLine(rec.periods[2], gone); !ok {
		t.Error("the removed subnet is missing from the period before the swap")
	}
	p4 := rec.periods[3]
	if got := lineOf(t, p4, halifax); got.Threshold != 25 || !got.Logging {
		t.Errorf("period 3 line %+v, want threshold 25 and still logging", got)
	}
	if _, ok := findLine(p4, gone); ok {
		t.Error("the removed subnet is still shown after the swap")
	}
	if got := lineOf(t, p4, added); got.Bytes != 0 || got.Logging {
		t.Errorf("added subnet %+v, want an empty line", got)
	}
	// One report at the end of period 5, covering the whole episode since
	// the end of period 0: 5 minutes of 30 kBps.
	if len(rec.reports) != 1 {
		t.Fatalf("%d reports, want 1", len(rec.reports))
	}
	r := rec.reports[0]
	if r.Exceeded != 5*time.Minute || r.Threshold != 25 || r.Start.UnixNano() != t0+minute {
		t.Errorf("report exceeded %v threshold %v start %v, want 5m, 25, end of period 0", r.Exceeded, r.Threshold, r.Start.UTC())
	}
	if got, want := r.Rows[0].Bytes, uint64(5*30*60*1024); got != want {
		t.Errorf("report bytes %d, want %d: the detail was not carried over", got, want)
	}
}

// TestReconfigureThresholdStopsLogging raises a threshold above the
// traffic: the subnet stops logging at the first period decided under the
// new config, not before.
func TestReconfigureThresholdStopsLogging(t *testing.T) {
	e, rec := newEngine(t, cfg())
	feed(e, 0, 30, "10.1.1.1", "192.0.2.1")
	feed(e, 1, 30, "10.1.1.1", "192.0.2.1") // closes period 0: logging
	high := cfg()
	high.Subnets.Threshold = 100
	if err := e.Reconfigure(high); err != nil {
		t.Fatal(err)
	}
	feed(e, 2, 30, "10.1.1.1", "192.0.2.1") // closes 1 (old threshold), swap
	e.Advance(t0 + 3*minute)                // closes 2 (new threshold)
	if l := lineOf(t, rec.periods[1], pfx("10.1.1.0/24")); !l.Logging || l.Threshold != 10 {
		t.Errorf("period 1 %+v, want logging under threshold 10", l)
	}
	if l := lineOf(t, rec.periods[2], pfx("10.1.1.0/24")); l.Logging || l.Threshold != 100 {
		t.Errorf("period 2 %+v, want not logging under threshold 100", l)
	}
}

// TestReconfigureBad keeps the old config when the new one is bad.
func TestReconfigureBad(t *testing.T) {
	e, rec := newEngine(t, cfg())
	bad := cfg()
	bad.Average = 0
	if err := e.Reconfigure(bad); !errors.Is(err, watchdog.ErrConfig) {
		t.Fatalf("Reconfigure(bad) = %v, want ErrConfig", err)
	}
	feed(e, 0, 1, "10.1.1.1", "192.0.2.1")
	feed(e, 1, 1, "10.1.1.1", "192.0.2.1")
	e.Advance(t0 + 2*minute)
	if len(rec.periods) != 2 || rec.periods[1].End.Sub(rec.periods[1].Start) != time.Minute {
		t.Errorf("periods %d, want 2 of one minute", len(rec.periods))
	}
}

// TestSnapshot takes the table of the open period at the next clock step.
func TestSnapshot(t *testing.T) {
	e, _ := newEngine(t, cfg())
	e.Start(t0)
	e.Packet(tcp(t0+10*int64(time.Second), "10.1.1.1", 1, "192.0.2.1", 2, 2048))
	got := make(chan *report.Period, 1)
	e.Snapshot(func(p *report.Period) { got <- p })
	select {
	case <-got:
		t.Fatal("snapshot taken before the clock moved")
	default:
	}
	e.Advance(t0 + 20*int64(time.Second))
	p := <-got
	if p.Start.UnixNano() != t0 || p.End.UnixNano() != t0+20*int64(time.Second) {
		t.Errorf("snapshot period %v-%v", p.Start.UTC(), p.End.UTC())
	}
	l := lineOf(t, *p, pfx("10.1.1.0/24"))
	if l.Bytes != 2048 || l.KBps != 0.1 {
		t.Errorf("line %+v, want 2048 bytes at 0.1 kBps (2 kB in 20 s)", l)
	}
	if p.Stats.Packets != 1 {
		t.Errorf("stats %+v", p.Stats)
	}
	e.Advance(t0 + 30*int64(time.Second))
	select {
	case <-got:
		t.Error("a second snapshot without a request")
	default:
	}
}

func findLine(p report.Period, s interface{ String() string }) (report.Line, bool) {
	for _, l := range p.Lines {
		if l.Subnet.String() == s.String() {
			return l, true
		}
	}
	return report.Line{}, false
}

func lineOf(t *testing.T, p report.Period, s interface{ String() string }) report.Line {
	t.Helper()
	l, ok := findLine(p, s)
	if !ok {
		t.Fatalf("no line for %s in period %v: %+v", s, p.Start.UTC(), p.Lines)
	}
	return l
}

// TestReconfigurePreloadedToDynamic drops the subnet lines while a
// preloaded subnet is logging: in dynamic mode with the same mask the
// subnet still exists, and its episode goes on.
func TestReconfigurePreloadedToDynamic(t *testing.T) {
	e, rec := newEngine(t, cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22}))
	feed(e, 0, 30, "10.10.123.173", "10.100.11.13")
	feed(e, 1, 30, "10.10.123.173", "10.100.11.13") // closes 0: logging
	dyn := cfg()
	dyn.Subnets.Threshold = 22
	dyn.Subnets.Local = mustRanges(t, "10.10.0.0/16")
	if err := e.Reconfigure(dyn); err != nil {
		t.Fatal(err)
	}
	for m := int64(2); m < 7; m++ { // the swap at the end of period 1
		feed(e, m, 30, "10.10.123.173", "10.100.11.13")
	}
	e.Advance(t0 + 7*minute)
	if len(rec.reports) == 0 {
		t.Fatal("no report after the swap")
	}
	if r := rec.reports[0]; r.Start.UnixNano() != t0+minute || r.Exceeded != 5*time.Minute {
		t.Errorf("report start %v exceeded %v, want the episode from the end of period 0, 5 min", r.Start.UTC(), r.Exceeded)
	}
}

func mustRanges(t *testing.T, s string) subnet.Ranges {
	t.Helper()
	r, err := subnet.ParseRanges(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSnapshotWhilePacketsCome checks that packets alone, with no clock
// step (a live link that is never idle), serve a snapshot within a quarter
// of a second of packet time, mid-period.
func TestSnapshotWhilePacketsCome(t *testing.T) {
	e, _ := newEngine(t, cfg())
	e.Packet(tcp(t0, "10.1.1.1", 1, "192.0.2.1", 2, 1024))
	got := make(chan *report.Period, 1)
	e.Snapshot(func(p *report.Period) { got <- p })
	at := t0
	for i := 0; len(got) == 0 && i < 100; i++ {
		at += int64(10 * time.Millisecond)
		e.Packet(tcp(at, "10.1.1.1", 1, "192.0.2.1", 2, 1024))
	}
	if len(got) == 0 {
		t.Fatal("no snapshot after a second of packets")
	}
	if p := <-got; at-t0 > int64(260*time.Millisecond) || p.End.UnixNano() != at {
		t.Errorf("snapshot at %v into the period, ending %v: want within 250 ms, at the packet", time.Duration(at-t0), p.End.Sub(time.Unix(0, t0)))
	}
}

// TestSnapshotConns copies the connections of a subnet in detail logging,
// and gives nil for one that is not.
func TestSnapshotConns(t *testing.T) {
	e, _ := newEngine(t, cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22}, subnet.Preload{Prefix: pfx("10.10.81.0/24"), Threshold: 22}))
	feed(e, 0, 30, "10.10.123.173", "192.0.2.1") // logging from the end of minute 0
	feed(e, 1, 30, "10.10.123.173", "192.0.2.1")
	e.Packet(tcp(t0+minute+minute/2, "10.10.123.9", 5000, "192.0.2.2", 80, 100))
	type answer struct {
		sub  netip.Prefix
		rows []report.Row
	}
	got := make(chan answer, 2)
	for _, sub := range []netip.Prefix{pfx("10.10.123.0/24"), pfx("10.10.81.0/24")} {
		e.SnapshotConns(sub, 1, func(rows []report.Row) { got <- answer{sub, rows} })
		e.Advance(t0 + minute + minute/2 + 1)
	}
	a := <-got
	if len(a.rows) != 1 || a.rows[0].Src != ip("10.10.123.173") || a.rows[0].Bytes == 0 {
		t.Errorf("%v: rows %+v, want its top connection", a.sub, a.rows)
	}
	if a = <-got; a.rows != nil {
		t.Errorf("%v, not logging: rows %+v, want nil", a.sub, a.rows)
	}
}
