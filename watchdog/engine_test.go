package watchdog_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// recorder is an Output that keeps everything the engine emits.
type recorder struct {
	periods []report.Period
	reports []report.Report
}

func (r *recorder) Period(p *report.Period) { r.periods = append(r.periods, *p) }
func (r *recorder) Report(x report.Report)  { r.reports = append(r.reports, x) }

var t0 = time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano()

const minute = int64(time.Minute)

func cfg(preload ...subnet.Preload) watchdog.Config {
	return watchdog.Config{
		Average:  time.Minute,
		Report:   5 * time.Minute,
		MaxConns: 1000,
		Subnets: subnet.Options{
			MaskBits: 24, MaskBits6: 64, Threshold: 10,
			Preload: preload, MaxDynamic: 1000,
		},
	}
}

func newEngine(t testing.TB, c watchdog.Config) (*watchdog.Engine, *recorder) {
	t.Helper()
	rec := &recorder{}
	e, err := watchdog.New(c, rec)
	if err != nil {
		t.Fatal(err)
	}
	return e, rec
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func tcp(at int64, src string, sport uint16, dst string, dport uint16, n uint32) *watchdog.Packet {
	return &watchdog.Packet{Time: at, Len: n, Kind: watchdog.KindIP, Proto: 6,
		Src: ip(src), Dst: ip(dst), SrcPort: sport, DstPort: dport}
}

// feed sends kbps kBytes/s from src to dst during minute m, in 1 kB packets
// spread over the minute.
func feed(e *watchdog.Engine, m int64, kbps int, src, dst string) {
	n := kbps * 60
	for i := 0; i < n; i++ {
		e.Packet(tcp(t0+m*minute+int64(i)*minute/int64(n), src, 4000, dst, 143, 1024))
	}
}

// TestEpisodeTiming checks SPEC §3: logging starts at the end of period 0,
// reports come at the end of periods 5 and 10 with 5 and 10 minutes, and
// the drop frees the detail.
func TestEpisodeTiming(t *testing.T) {
	e, rec := newEngine(t, cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22}))
	for m := int64(0); m < 12; m++ {
		feed(e, m, 30, "10.10.123.173", "10.100.11.13")
	}
	// Minute 12 is quiet; a packet in minute 14 closes 12 and 13.
	e.Packet(tcp(t0+14*minute, "10.1.1.1", 1, "10.1.1.2", 2, 60))
	if len(rec.reports) != 2 {
		t.Fatalf("got %d reports, want 2", len(rec.reports))
	}
	for i, want := range []struct {
		end      int64
		exceeded time.Duration
	}{{6, 5 * time.Minute}, {11, 10 * time.Minute}} {
		r := rec.reports[i]
		if got := r.Time.UnixNano(); got != t0+want.end*minute {
			t.Errorf("report %d at %v, want end of period %d", i, r.Time.UTC(), want.end-1)
		}
		if r.Exceeded != want.exceeded {
			t.Errorf("report %d exceeded %v, want %v", i, r.Exceeded, want.exceeded)
		}
		// Both reports are of one episode, which began at the end of period 0.
		if got := r.Start.UnixNano(); got != t0+minute {
			t.Errorf("report %d episode start %v, want end of period 0", i, r.Start.UTC())
		}
		if len(r.Rows) != 1 || r.Rows[0].SrcPort != 4000 || r.Rows[0].DstPort != 143 {
			t.Fatalf("report %d rows %+v", i, r.Rows)
		}
	}
	// The detail covers the whole episode: 10 minutes of 30 kBps, then 5 more.
	if got, want := rec.reports[0].Rows[0].Bytes, uint64(5*30*60*1024); got != want {
		t.Errorf("first report bytes %d, want %d", got, want)
	}
	if got, want := rec.reports[1].Rows[0].Bytes, uint64(10*30*60*1024); got != want {
		t.Errorf("second report bytes %d, want %d", got, want)
	}
	// Star column: logging from period 0 to 11, not in 12 (the drop).
	for i, p := range rec.periods {
		logging := len(p.Lines) == 1 && p.Lines[0].Logging
		if want := i <= 11; logging != want {
			t.Errorf("period %d logging=%v, want %v", i, logging, want)
		}
	}
	// A new episode starts from zero: exceeded time was reset by the drop.
	for m := int64(15); m < 21; m++ {
		feed(e, m, 30, "10.10.123.173", "10.100.11.13")
	}
	e.Advance(t0 + 22*minute)
	if len(rec.reports) != 3 || rec.reports[2].Exceeded != 5*time.Minute {
		t.Fatalf("after a drop, want a third report with 5 min, got %d reports", len(rec.reports))
	}
	if got, want := rec.reports[2].Rows[0].Bytes, uint64(5*30*60*1024); got != want {
		t.Errorf("third report bytes %d, want %d: detail of the first episode was not freed", got, want)
	}
}

func TestSameSubnetCountsOnce(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Packet(tcp(t0, "10.1.1.1", 1, "10.1.1.2", 2, 1000))
	e.Packet(tcp(t0+1, "10.1.1.1", 1, "10.2.2.2", 2, 500))
	e.Advance(t0 + minute)
	got := map[netip.Prefix]uint64{}
	for _, l := range rec.periods[0].Lines {
		got[l.Subnet] = l.Bytes
	}
	want := map[netip.Prefix]uint64{pfx("10.1.1.0/24"): 1500, pfx("10.2.2.0/24"): 500}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bytes %v, want %v", got, want)
	}
}

func TestDynamicEntriesDropAndOrder(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Packet(tcp(t0, "10.9.0.1", 1, "10.2.0.1", 2, 100))
	e.Advance(t0 + minute)
	if e.Tracked() != 0 {
		t.Errorf("tracked %d subnets after a quiet period, want 0", e.Tracked())
	}
	lines := rec.periods[0].Lines
	if len(lines) != 2 || lines[0].Subnet != pfx("10.2.0.0/24") || lines[1].Subnet != pfx("10.9.0.0/24") {
		t.Errorf("lines not in address order: %+v", lines)
	}
	// A logging subnet with no traffic still shows, without the star.
	feed(e, 1, 20, "10.3.0.1", "192.0.2.1")
	e.Advance(t0 + 3*minute)
	last := rec.periods[len(rec.periods)-1]
	if len(last.Lines) != 2 || last.Lines[0].Logging || last.Lines[0].Bytes != 0 {
		t.Errorf("dropping subnets should show unstarred with 0 bytes: %+v", last.Lines)
	}
}

func TestPreloadedShowsAllAndIgnoresOthers(t *testing.T) {
	e, rec := newEngine(t, cfg(
		subnet.Preload{Prefix: pfx("10.10.2.0/24"), Threshold: 10},
		subnet.Preload{Prefix: pfx("10.10.1.0/24"), Threshold: 22},
		subnet.Preload{Prefix: pfx("10.20.0.0/16"), Threshold: 100},
	))
	e.Packet(tcp(t0, "10.20.5.1", 1, "172.16.0.1", 2, 1024))
	e.Packet(tcp(t0, "172.16.0.1", 1, "172.16.0.2", 2, 1024))
	e.Advance(t0 + minute)
	lines := rec.periods[0].Lines
	if len(lines) != 3 || lines[0].Subnet != pfx("10.10.2.0/24") || lines[2].Bytes != 1024 {
		t.Fatalf("preloaded lines %+v", lines)
	}
	if lines[1].Threshold != 22 {
		t.Errorf("threshold %v, want 22", lines[1].Threshold)
	}
}

func TestGapClosedInOneStep(t *testing.T) {
	e, rec := newEngine(t, cfg())
	feed(e, 0, 20, "10.3.0.1", "192.0.2.1")
	// Ten years later.
	later := t0 + 10*365*24*60*minute
	e.Packet(tcp(later, "10.3.0.1", 1, "192.0.2.1", 2, 60))
	if len(rec.periods) > 4 {
		t.Fatalf("%d period summaries for one gap; want it closed in a few steps", len(rec.periods))
	}
	var total int64
	for _, p := range rec.periods {
		total += 1 + p.Repeat
	}
	if want := (later - t0) / minute; total != want {
		t.Errorf("periods closed %d, want %d", total, want)
	}
	// The open period now contains the late packet.
	e.Advance(later + minute)
	last := rec.periods[len(rec.periods)-1]
	if last.Stats.Packets != 1 {
		t.Errorf("late packet not in its period: %+v", last.Stats)
	}
}

func TestOutOfOrderCountsInOpenPeriod(t *testing.T) {
	e, rec := newEngine(t, cfg())
	e.Packet(tcp(t0+2*minute, "10.1.1.1", 1, "10.1.1.2", 2, 100)) // starts t0 here
	e.Packet(tcp(t0, "10.1.1.1", 1, "10.1.1.2", 2, 200))          // older: open period
	e.Advance(t0 + 3*minute)
	if len(rec.periods) != 1 || rec.periods[0].Lines[0].Bytes != 300 {
		t.Fatalf("periods %+v", rec.periods)
	}
}

func TestPartialPeriodNotEvaluated(t *testing.T) {
	e, rec := newEngine(t, cfg())
	feed(e, 0, 50, "10.3.0.1", "192.0.2.1")
	if len(rec.periods) != 0 {
		t.Fatalf("a period closed before its end: %+v", rec.periods)
	}
}

func TestAccumulate(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22})
	c.Accumulate = true
	c.Report = 2 * time.Minute
	e, rec := newEngine(t, c)
	for m := int64(0); m < 3; m++ { // logs from 1, reports at 3
		feed(e, m, 30, "10.10.123.1", "10.100.0.1")
	}
	e.Advance(t0 + 5*minute) // drops at 4
	for m := int64(5); m < 8; m++ {
		feed(e, m, 30, "10.10.123.1", "10.100.0.1")
	}
	e.Advance(t0 + 9*minute)
	if len(rec.reports) != 2 {
		t.Fatalf("got %d reports", len(rec.reports))
	}
	a := rec.reports[1].Accum
	if a == nil || a.Total != 4*time.Minute || a.Elapsed != 8*time.Minute || a.Since.UnixNano() != t0 {
		t.Fatalf("accumulated %+v", a)
	}
	if rec.reports[1].Exceeded != 2*time.Minute {
		t.Errorf("episode exceeded %v, want 2m", rec.reports[1].Exceeded)
	}
	// Without preloaded subnets -A has no effect.
	c = cfg()
	c.Accumulate = true
	c.Report = time.Minute
	e, rec = newEngine(t, c)
	feed(e, 0, 30, "10.10.123.1", "10.100.0.1")
	feed(e, 1, 30, "10.10.123.1", "10.100.0.1")
	e.Advance(t0 + 2*minute)
	if len(rec.reports) == 0 || rec.reports[0].Accum != nil {
		t.Errorf("dynamic mode report with accumulated time: %+v", rec.reports)
	}
}

func TestRowsOrderTopAndKeys(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.0.0.0/24"), Threshold: 0.01}) // 614 bytes a minute
	c.Top = 3
	c.Report = time.Minute
	e, rec := newEngine(t, c)
	feed(e, 0, 2, "10.0.0.5", "192.0.2.1") // crosses
	at := t0 + minute
	pk := func(p *watchdog.Packet) { e.Packet(p); at++ }
	// Ties in first-seen order; the lower address goes first whichever way
	// the packet went; ICMP echo shows as port 2048.
	pk(tcp(at, "192.0.2.9", 80, "10.0.0.1", 5000, 500))
	pk(tcp(at, "10.0.0.2", 5001, "192.0.2.9", 443, 500))
	pk(&watchdog.Packet{Time: at, Len: 700, Kind: watchdog.KindIP, Proto: 1, Src: ip("10.0.0.3"), Dst: ip("192.0.2.9"), DstPort: 2048})
	pk(tcp(at, "10.0.0.4", 1, "192.0.2.9", 2, 100))
	e.Advance(t0 + 2*minute)
	if len(rec.reports) != 1 {
		t.Fatalf("got %d reports", len(rec.reports))
	}
	rows := rec.reports[0].Rows
	want := []report.Row{
		{Src: ip("10.0.0.3"), Dst: ip("192.0.2.9"), DstPort: 2048, Proto: 1, Bytes: 700},
		{Src: ip("10.0.0.1"), SrcPort: 5000, Dst: ip("192.0.2.9"), DstPort: 80, Proto: 6, Bytes: 500},
		{Src: ip("10.0.0.2"), SrcPort: 5001, Dst: ip("192.0.2.9"), DstPort: 443, Proto: 6, Bytes: 500},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows\n got %v\nwant %v", rows, want)
	}
}

func TestDetailCapHidesEvicted(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.0.0.0/24"), Threshold: 0.01}) // 614 bytes a minute
	c.MaxConns = 4
	c.Report = time.Minute
	e, rec := newEngine(t, c)
	feed(e, 0, 2, "10.0.0.5", "192.0.2.1")
	for i := 0; i < 10; i++ {
		e.Packet(tcp(t0+minute+int64(i), "10.0.0.1", uint16(1000+i), "192.0.2.1", 80, 100))
	}
	e.Advance(t0 + 2*minute)
	r := rec.reports[0]
	if len(r.Rows) != 4 || r.Hidden.Conns != 6 || r.Hidden.Bytes != 600 {
		t.Errorf("rows %d hidden %+v, want 4 rows and 6 hidden (600 bytes)", len(r.Rows), r.Hidden)
	}
	if got := rec.periods[1].Stats.EvictedConns; got != 6 {
		t.Errorf("period evicted connections %d, want 6", got)
	}
}

func TestLenAdjAndKinds(t *testing.T) {
	c := cfg()
	c.LenAdj = -14
	e, rec := newEngine(t, c)
	e.Packet(tcp(t0, "10.1.1.1", 1, "10.2.1.1", 2, 100))
	e.Packet(tcp(t0, "10.1.1.1", 1, "10.2.1.1", 2, 10)) // never below 0
	e.Packet(&watchdog.Packet{Time: t0, Len: 60, Kind: watchdog.KindMalformed})
	e.Packet(&watchdog.Packet{Time: t0, Len: 60, Kind: watchdog.KindOther})
	e.Advance(t0 + minute)
	p := rec.periods[0]
	if p.Lines[0].Bytes != 86 {
		t.Errorf("bytes %d, want 86", p.Lines[0].Bytes)
	}
	if p.Stats.Packets != 4 || p.Stats.Malformed != 1 || p.Stats.Other != 1 || p.Stats.IP != 2 {
		t.Errorf("stats %+v", p.Stats)
	}
	if s := e.Stats(); s.Packets != 4 {
		t.Errorf("total stats %+v", s)
	}
}

func TestLocalRanges(t *testing.T) {
	c := cfg()
	r, err := subnet.ParseRanges("10.10.:192.168.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	c.Subnets.Local = r
	e, rec := newEngine(t, c)
	e.Packet(tcp(t0, "10.10.5.1", 1, "8.8.8.8", 2, 100))
	e.Packet(tcp(t0, "192.168.1.7", 1, "192.168.2.7", 2, 100))
	e.Advance(t0 + minute)
	var got []string
	for _, l := range rec.periods[0].Lines {
		got = append(got, l.Subnet.String())
	}
	if fmt.Sprint(got) != "[10.10.5.0/24 192.168.1.0/24]" {
		t.Errorf("subnets %v", got)
	}
}

func TestIPv6Subnets(t *testing.T) {
	e, rec := newEngine(t, cfg(
		subnet.Preload{Prefix: pfx("2001:db8:1::/48"), Threshold: 50},
		subnet.Preload{Prefix: pfx("2001:db8:1:5::/64"), Threshold: 5},
	))
	e.Packet(tcp(t0, "2001:db8:1:5::1", 1, "2001:db8:ffff::1", 2, 1000))
	e.Packet(tcp(t0, "2001:db8:1:6::1", 1, "2001:db8:ffff::1", 2, 500))
	e.Advance(t0 + minute)
	lines := rec.periods[0].Lines
	if lines[0].Bytes != 500 || lines[1].Bytes != 1000 {
		t.Errorf("longest prefix first: %+v", lines)
	}
}

// TestPacketDoesNotAllocate pins the hot path: a packet of a known subnet,
// known connection, in detail logging or not, allocates nothing.
func TestPacketDoesNotAllocate(t *testing.T) {
	for _, mode := range []string{"dynamic", "preloaded"} {
		t.Run(mode, func(t *testing.T) {
			c := cfg()
			if mode == "preloaded" {
				c = cfg(subnet.Preload{Prefix: pfx("10.10.7.0/24"), Threshold: 1})
			}
			e, _ := newEngine(t, c)
			feed(e, 0, 5, "10.10.7.1", "192.0.2.1")
			e.Advance(t0 + minute) // now logging
			p := tcp(t0+minute, "10.10.7.1", 4000, "192.0.2.1", 143, 1500)
			e.Packet(p)
			allocs := testing.AllocsPerRun(1000, func() {
				p.Time++
				e.Packet(p)
			})
			if allocs != 0 {
				t.Errorf("%v allocs per packet, want 0", allocs)
			}
		})
	}
}

// TestFloodStaysBounded feeds a million random addresses in dynamic mode
// and checks the table cap and the heap.
func TestFloodStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test in -short mode")
	}
	c := cfg()
	c.Subnets.MaxDynamic = 16384
	c.Subnets.MaskBits = 32
	e, rec := newEngine(t, c)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rnd := rand.New(rand.NewPCG(1, 2))
	dst := ip("10.0.0.1")
	p := &watchdog.Packet{Kind: watchdog.KindIP, Proto: 17, Len: 60, Dst: dst}
	peak := uint64(0)
	for i := 0; i < 1_000_000; i++ {
		p.Time = t0 + int64(i)*int64(time.Microsecond)*50 // 50 s in all
		p.Src = netip.AddrFrom4([4]byte{byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32())})
		e.Packet(p)
		if n := uint64(e.Tracked()); n > peak {
			peak = n
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if peak > 16384 {
		t.Errorf("tracked %d subnets, cap 16384", peak)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("heap grew %d MiB", grown>>20)
	}
	e.Advance(t0 + minute)
	if ev := rec.periods[0].Stats.EvictedSubnets; ev < 1_000_000-16384-1000 {
		t.Errorf("evicted %d subnets, want nearly a million counted", ev)
	}
}

// TestEvictionKeepsLoggingSubnets: a flood in dynamic mode does not make a
// subnet in detail logging lose its state.
func TestEvictionKeepsLoggingSubnets(t *testing.T) {
	c := cfg()
	c.Subnets.MaxDynamic = 8
	c.Report = 2 * time.Minute
	e, rec := newEngine(t, c)
	feed(e, 0, 20, "10.3.0.1", "10.4.0.1")
	for m := int64(1); m < 3; m++ {
		feed(e, m, 20, "10.3.0.1", "10.4.0.1")
		for i := 0; i < 100; i++ { // more new subnets than the cap
			e.Packet(tcp(t0+m*minute+int64(i), fmt.Sprintf("172.16.%d.1", i), 1, "172.31.0.1", 2, 60))
		}
		feed(e, m, 1, "10.3.0.1", "10.4.0.1")
	}
	e.Advance(t0 + 3*minute)
	if len(rec.reports) != 2 {
		t.Fatalf("got %d reports, want 2 (10.3.0.0 and 10.4.0.0) despite evictions", len(rec.reports))
	}
	if rec.periods[1].Stats.EvictedSubnets == 0 {
		t.Errorf("no evictions counted")
	}
}

// TestSameAddressBothDirections: a host talking to itself (loopback) has
// one row per connection, not one per direction.
func TestSameAddressBothDirections(t *testing.T) {
	c := cfg()
	c.Report = time.Minute
	c.Subnets.Threshold = 0.01
	e, rec := newEngine(t, c)
	feed(e, 0, 1, "127.0.0.1", "127.0.0.1")
	e.Packet(tcp(t0+minute, "127.0.0.1", 18765, "127.0.0.1", 39020, 1000))
	e.Packet(tcp(t0+minute+1, "127.0.0.1", 39020, "127.0.0.1", 18765, 100))
	e.Advance(t0 + 2*minute)
	if len(rec.reports) != 1 {
		t.Fatalf("got %d reports", len(rec.reports))
	}
	rows := rec.reports[0].Rows
	if len(rows) != 1 || rows[0].Bytes != 1100 || rows[0].SrcPort != 18765 || rows[0].DstPort != 39020 {
		t.Errorf("rows %+v, want one row of 1100 bytes, lower port first", rows)
	}
}

// TestFloodKeepsHeavySubnet floods a dynamic table with a million
// one-packet random sources, at rates from 20,000 to 1,000,000 packets a
// second, with 1000 subnets (--max-subnets 1000) and with the default
// 16384, while a subnet sends 14600 bytes a second, twice its 7 kBps
// threshold: every period counts its bytes exactly, it is in detail logging
// from the end of the first period on, reported every 2 s on time, and no
// flood source ever goes into detail logging or makes a report.
func TestFloodKeepsHeavySubnet(t *testing.T) {
	n := int64(1_000_000)
	if testing.Short() {
		n = 100_000
	}
	for _, tableMax := range []int{1000, 16384} {
		for _, rate := range []int64{20_000, 200_000, 1_000_000} {
			secs := max(n/rate, 3) // whole periods of flood
			t.Run(fmt.Sprintf("max-%d/%dpps", tableMax, rate), func(t *testing.T) {
				var out heavyCounter
				e, err := watchdog.New(floodConfig(tableMax), &out)
				if err != nil {
					t.Fatal(err)
				}
				l := newHeavyFlood(uint64(rate), rate)
				for l.i < secs*rate {
					e.Packet(l.next())
				}
				e.Advance(t0 + secs*int64(time.Second))
				if out.periods != int(secs) {
					t.Fatalf("%d periods closed, want %d", out.periods, secs)
				}
				if out.exact != out.periods {
					t.Errorf("heavy subnet counted exactly in %d of %d periods", out.exact, out.periods)
				}
				if out.logging != out.periods {
					t.Errorf("heavy subnet logging after %d of %d periods, want all", out.logging, out.periods)
				}
				if want := int(secs-1) / 2; len(out.reports) != want {
					t.Errorf("%d reports of the heavy subnet, want %d", len(out.reports), want)
				}
				for j, r := range out.reports {
					if at := t0 + int64(3+2*j)*int64(time.Second); r.Time.UnixNano() != at || r.Exceeded != time.Duration(2+2*j)*time.Second {
						t.Errorf("report %d at %v exceeded %v, want at %v after %ds", j, r.Time, r.Exceeded, time.Unix(0, at), 2+2*j)
					}
				}
				if len(out.others) > 0 || out.floodLogging > 0 {
					t.Errorf("flood sources: %d reports, %d lines in detail logging, want none", len(out.others), out.floodLogging)
				}
				if s := e.Stats(); s.EvictedSubnets == 0 {
					t.Errorf("%d subnets evicted: the flood did not churn the table", s.EvictedSubnets)
				}
			})
		}
	}
}

// TestMaxConnsTotal: with a cap on all detail tables together, a churn of
// one-packet connections in one logging subnet evicts them, not another
// subnet's heavy connection; what is evicted is counted in the report of
// the subnet it left, so that rows and hidden add up to all its traffic,
// and the tables never hold more than the cap together.
func TestMaxConnsTotal(t *testing.T) {
	a, b := pfx("10.1.0.0/16"), pfx("10.2.0.0/16")
	c := cfg(subnet.Preload{Prefix: a, Threshold: 1e-6}, subnet.Preload{Prefix: b, Threshold: 1e-6})
	c.Report = time.Minute
	c.MaxConns, c.MaxConnsTotal = 1000, 100
	e, rec := newEngine(t, c)
	e.Packet(tcp(t0, "10.1.0.1", 1, "192.0.2.1", 2, 60)) // both log from t0+1m
	e.Packet(tcp(t0, "10.2.0.1", 1, "192.0.2.1", 2, 60))
	var bytesA, bytesB uint64
	for i := range 5000 {
		at := t0 + minute + int64(i)*minute/5000
		if i%10 == 0 {
			e.Packet(tcp(at, "10.1.0.1", 443, "192.0.2.9", 50000, 1500)) // A's heavy connection
			bytesA += 1500
		}
		e.Packet(tcp(at, "10.2.0.1", 80, fmt.Sprintf("198.51.%d.%d", i/250, i%250), uint16(1000+i), 60))
		bytesB += 60
	}
	e.Advance(t0 + 2*minute)
	if len(rec.reports) != 2 {
		t.Fatalf("%d reports, want 2", len(rec.reports))
	}
	rows := 0
	for _, r := range rec.reports {
		rows += len(r.Rows)
		var sum uint64
		for _, x := range r.Rows {
			sum += x.Bytes
		}
		switch r.Subnet {
		case a:
			if len(r.Rows) != 1 || r.Rows[0].Bytes != bytesA || r.Hidden != (report.Hidden{}) {
				t.Errorf("%v: rows %v hidden %+v, want its heavy connection alone with %d bytes", a, r.Rows, r.Hidden, bytesA)
			}
		case b:
			if n := uint64(len(r.Rows)) + r.Hidden.Conns; n != 5000 || sum+r.Hidden.Bytes != bytesB {
				t.Errorf("%v: %d rows + %d hidden, %d + %d bytes, want 5000 connections, %d bytes", b, len(r.Rows), r.Hidden.Conns, sum, r.Hidden.Bytes, bytesB)
			}
		}
	}
	if rows > 100 {
		t.Errorf("%d connections in the tables, cap 100", rows)
	}
	if got := rec.periods[1].Stats.EvictedConns; got != 5000-99 {
		t.Errorf("%d connections evicted, want %d", got, 5000-99)
	}
}

// memoryWorstCase builds the worst case of the table caps: every one of
// maxSubnets dynamic subnets in detail logging and the connections of all
// detail tables at maxTotal, spread over spread of those subnets, and
// returns the heap it holds, in bytes.
func memoryWorstCase(t *testing.T, maxSubnets, maxConns, maxTotal, spread int) uint64 {
	c := cfg()
	c.Subnets.MaxDynamic, c.MaxConns, c.MaxConnsTotal = maxSubnets, maxConns, maxTotal
	c.Subnets.Threshold = 1e-9 // every subnet logs
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	e, _ := newEngine(t, c)
	host := func(s, h int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(s >> 8), byte(s), byte(h)}) }
	p := &watchdog.Packet{Time: t0, Kind: watchdog.KindIP, Proto: 6, Len: 60}
	for s := range maxSubnets {
		p.Src, p.Dst = host(s, 1), host(s, 2)
		e.Packet(p)
	}
	p.Time = t0 + minute // all log from here on
	for i := range maxTotal + maxTotal/4 {
		s := i % spread * (maxSubnets / spread)
		p.Src, p.Dst = host(s, 1), host(s, 2)
		p.SrcPort, p.DstPort = uint16(i), uint16(i>>16)
		e.Packet(p)
	}
	if got := e.Tracked(); got != maxSubnets {
		t.Fatalf("tracking %d subnets, want %d", got, maxSubnets)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(e)
	return after.HeapAlloc - before.HeapAlloc
}

// TestMemoryWorstCase measures the heap of the worst case of the default
// caps (--max-subnets 16384, --max-conns 10000, --max-conns-total
// 1500000) with the connections spread over all subnets, over as many as
// leave every table just past a doubling (the most slack), and over the
// fewest that can hold them, and checks it stays near 256 MiB.
func TestMemoryWorstCase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worst case of the default caps")
	}
	const subnets, conns, total = 16384, 10000, 1_500_000
	subnetsOnly := memoryWorstCase(t, subnets, conns, subnets, subnets) // one connection each
	t.Logf("%d subnets logging, one connection each: %.1f MiB, %d bytes a subnet", subnets, float64(subnetsOnly)/(1<<20), subnetsOnly/subnets)
	// 129 connections a table: arenas and indexes that just doubled.
	for _, spread := range []int{subnets, total / 129, total / conns} {
		heap := memoryWorstCase(t, subnets, conns, total, spread)
		t.Logf("%d connections over %d subnets: %.1f MiB, %d bytes a connection beyond the subnets", total, spread, float64(heap)/(1<<20), (heap-subnetsOnly)/total)
		if heap > 272<<20 {
			t.Errorf("%d connections over %d subnets: %d MiB, want near 256 MiB", total, spread, heap>>20)
		}
	}
}

// TestReportCountsEpisodeLosses: a report carries the subnets evicted and
// the frames dropped from the start of its episode to its time, not those
// before the episode.
func TestReportCountsEpisodeLosses(t *testing.T) {
	c := cfg()
	c.Subnets.MaxDynamic = 4
	c.Report = 2 * time.Minute
	e, rec := newEngine(t, c)
	flood := func(m int64, n int) { // n one-packet subnets in minute m
		for i := range n {
			e.Packet(tcp(t0+m*minute+int64(i), fmt.Sprintf("172.16.%d.1", i), 1, fmt.Sprintf("172.17.%d.1", i), 2, 60))
		}
	}
	flood(0, 10) // before the episode: not counted
	e.AddDropped(5)
	for m := int64(0); m < 5; m++ {
		feed(e, m, 20, "10.3.0.1", "10.4.0.1")
		if m > 0 {
			flood(m, 10*int(m))
			e.AddDropped(uint64(m))
		}
	}
	e.Advance(t0 + 5*minute)
	var got []report.Report
	for _, r := range rec.reports {
		if r.Subnet == pfx("10.3.0.0/24") {
			got = append(got, r)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d reports of 10.3.0.0/24, want 2 (minutes 3 and 5)", len(got))
	}
	// Logging starts at the end of minute 0; the reports cover minutes
	// 1-2 and 1-4. Each flood of 10m one-packet packets makes 20m
	// subnets in a table of 4.
	// The flood of a period leaves up to 4 subnets in the table.
	for i, want := range []struct{ evicted, dropped, periods uint64 }{{2 * (10 + 20), 1 + 2, 2}, {2 * (10 + 20 + 30 + 40), 1 + 2 + 3 + 4, 4}} {
		if r := got[i]; r.EvictedSubnets < want.evicted-4*want.periods || r.EvictedSubnets > want.evicted || r.Dropped != want.dropped {
			t.Errorf("report %d: %d subnets evicted, %d dropped; want about %d and exactly %d", i, r.EvictedSubnets, r.Dropped, want.evicted, want.dropped)
		}
	}
	var sum uint64
	for _, p := range rec.periods[1:5] {
		sum += p.Stats.EvictedSubnets
	}
	if got[1].EvictedSubnets != sum {
		t.Errorf("second report: %d subnets evicted, the periods of its episode say %d", got[1].EvictedSubnets, sum)
	}
}
