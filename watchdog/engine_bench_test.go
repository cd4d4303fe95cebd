package watchdog_test

import (
	"cmp"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// engineWindow is how many packets of the bench capture the Engine
// benchmarks decode and then feed over and over: its first three minutes
// (100,000 packets a minute at the default count).
const (
	engineWindow = 300_000
	engineSpan   = 3 * time.Minute
)

// benchWindow decodes the first engineWindow packets of the bench capture.
func benchWindow(b *testing.B) []watchdog.Packet {
	b.Helper()
	f, err := pcapfile.Open(benchCapture(b, "bench", benchPackets))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	dec := decNew(b, int(f.LinkType()))
	pkts := make([]watchdog.Packet, engineWindow)
	var rec pcapfile.Record
	for i := range pkts {
		if err := f.Next(&rec); err != nil {
			b.Fatal(err)
		}
		pkts[i].Time, pkts[i].Len = rec.Time, rec.Len
		dec.Decode(rec.Data, &pkts[i])
	}
	if span := pkts[len(pkts)-1].Time - pkts[0].Time; span >= int64(engineSpan) {
		b.Fatalf("window spans %v, want under %v", time.Duration(span), engineSpan)
	}
	return pkts
}

// BenchmarkEnginePacket measures Engine.Packet alone, one packet per
// operation, in each benchConfig mode, on decoded packets of the bench
// capture. The window is fed once before timing, so the tables are full
// and the hot subnet is in detail logging; each pass over the window moves
// its times on by engineSpan, so periods keep closing (their cost, and
// their summaries' allocations, are included) and every pass looks like
// new traffic. allocs/pkt is the exact mean, which allocs/op rounds down.
func BenchmarkEnginePacket(b *testing.B) {
	pkts := benchWindow(b)
	for _, mode := range []string{"dynamic", "preloaded", "logging"} {
		b.Run(mode, func(b *testing.B) {
			var out discard
			e, err := watchdog.New(benchConfig(mode, 1000), &out)
			if err != nil {
				b.Fatal(err)
			}
			var p watchdog.Packet
			for i := range pkts {
				e.Packet(&pkts[i])
			}
			b.ReportAllocs()
			i, shift := 0, int64(engineSpan)
			before := mallocs()
			for b.Loop() {
				p = pkts[i]
				p.Time += shift
				e.Packet(&p)
				if i++; i == len(pkts) {
					i, shift = 0, shift+int64(engineSpan)
				}
			}
			allocs := mallocs() - before
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/pkt")
			b.ReportMetric(float64(allocs)/float64(b.N), "allocs/pkt")
			if s := e.Stats(); s.IP != s.Packets {
				b.Fatalf("stats %+v: not all packets counted as IP", s)
			}
		})
	}
}

// floodLoad is a bench-like load made in process: a new random remote
// /24 on almost every packet, and a hot subnet 10.10.7.0/24 whose every
// packet is a new connection, so the subnet table and the hot subnet's
// detail table evict all the time.
type floodLoad struct {
	rnd *rand.Rand
	p   watchdog.Packet
}

func newFloodLoad(seed uint64) *floodLoad {
	return &floodLoad{rnd: rand.New(rand.NewPCG(seed, 1)), p: watchdog.Packet{Kind: watchdog.KindIP, Proto: 6}}
}

// next returns the next packet, dt nanoseconds after the last.
func (l *floodLoad) next(dt int64) *watchdog.Packet {
	r := l.rnd.Uint64()
	l.p.Time += dt
	l.p.Len = 60 + uint32(r%1455)
	remote := netip.AddrFrom4([4]byte{byte(r >> 8), byte(r >> 16), byte(r >> 24), byte(r >> 32)})
	local := netip.AddrFrom4([4]byte{10, 10, byte(r >> 40), 1 + byte(r>>48)%254})
	if r&1 == 0 {
		local = netip.AddrFrom4([4]byte{10, 10, 7, 1 + byte(r>>48)%254})
	}
	l.p.Src, l.p.Dst = remote, local
	l.p.SrcPort, l.p.DstPort = 443, uint16(1024+(r>>2)%64512)
	return &l.p
}

// TestPacketSteadyStateAllocs pins the hot path under churn: once the
// tables are full, a packet allocates nothing even when it creates a
// dynamic subnet or a connection (each one takes the place of an evicted
// one), in every mode, the hot subnet logging.
func TestPacketSteadyStateAllocs(t *testing.T) {
	for _, mode := range []string{"dynamic", "preloaded", "logging"} {
		t.Run(mode, func(t *testing.T) {
			c := benchConfig(mode, 20)
			if mode == "dynamic" {
				c.Subnets.Threshold = 20 // the hot subnet logs here too
			}
			c.Subnets.MaxDynamic, c.MaxConns = 2000, 1000
			if mode == "logging" {
				c.MaxConnsTotal = 500 // the cap on all tables evicts, not the table's
			}
			e, err := watchdog.New(c, &discard{})
			if err != nil {
				t.Fatal(err)
			}
			l := newFloodLoad(1)
			const dt = int64(time.Minute) / 50_000
			for range 60_000 { // past the first period: the hot subnet logs
				e.Packet(l.next(dt))
			}
			if got := e.Tracked(); mode == "dynamic" && got < 2000 {
				t.Fatalf("tracking %d subnets, want the table full", got)
			}
			// 60,000 to 80,001 packets: 72 s to 96 s, inside period 1, so
			// no period closes (a close allocates its summary).
			allocs := testing.AllocsPerRun(20_000, func() { e.Packet(l.next(dt)) })
			if allocs != 0 {
				t.Errorf("%v allocs per packet, want 0", allocs)
			}
			if s := e.Stats(); mode != "preloaded" && s.EvictedConns == 0 {
				t.Errorf("no connection evicted: the detail table was not under churn (%+v)", s)
			}
		})
	}
}

// lruModel is the reference for the engine's bounded tables: a plain
// least-recently-used list, least recent first.
type lruModel[K comparable] struct {
	order []K
	cap   int
}

// use marks k as the most recent; a new k beyond the cap evicts the least
// recent, which use returns.
func (l *lruModel[K]) use(k K) (evicted K, did bool) {
	if i := slices.Index(l.order, k); i >= 0 {
		l.order = append(slices.Delete(l.order, i, i+1), k)
		return evicted, false
	}
	l.order = append(l.order, k)
	if len(l.order) > l.cap {
		evicted = l.order[0]
		l.order = slices.Delete(l.order, 0, 1)
		return evicted, true
	}
	return evicted, false
}

// gradeModel is the reference for the dynamic subnet table: a full table
// evicts the subnet of the lowest byte grade (four grades a power of two),
// among those the one that entered its grade first, and never, for a
// packet's destination, the subnet of its source (unless it is alone).
type gradeModel struct {
	subnets []*gradeEntry
	cap     int
	seq     int
	last    *gradeEntry
}

type gradeEntry struct {
	p          netip.Prefix
	bytes      uint64
	grade, seq int
}

// modelGrade is the grade of n bytes: n below 4, else 4 grades for each
// power of two, by the two bits under the top one.
func modelGrade(n uint64) int {
	if n < 4 {
		return int(n)
	}
	top := 63 - bits.LeadingZeros64(n)
	return 4*(top-1) + int(n>>(top-2))&3
}

// lookup returns p's entry, creating it; did says whether that evicted one.
func (m *gradeModel) lookup(p netip.Prefix) (e *gradeEntry, did bool) {
	for _, e := range m.subnets {
		if e.p == p {
			m.last = e
			return e, false
		}
	}
	if len(m.subnets) >= m.cap {
		v := -1
		for i, e := range m.subnets {
			if e == m.last && len(m.subnets) > 1 {
				continue
			}
			if v < 0 || e.grade < m.subnets[v].grade || e.grade == m.subnets[v].grade && e.seq < m.subnets[v].seq {
				v = i
			}
		}
		if m.subnets[v] == m.last {
			m.last = nil // the packet's other address took its place
		}
		m.subnets = slices.Delete(m.subnets, v, v+1)
		did = true
	}
	m.seq++
	e = &gradeEntry{p: p, seq: m.seq}
	m.subnets = append(m.subnets, e)
	m.last = e
	return e, did
}

// add adds n bytes to e; a new grade puts it last in that grade.
func (m *gradeModel) add(e *gradeEntry, n uint64) {
	e.bytes += n
	if g := modelGrade(e.bytes); g != e.grade {
		m.seq++
		e.grade, e.seq = g, m.seq
	}
}

// modelPacket is a random packet between two hosts of small pools, so that
// subnets and connections repeat: IPv4 /24s of 10.0.0.0/16, IPv6 /64s of
// 2001:db8::/48, a few ports, sometimes a host talking to itself.
func modelPacket(r *rand.Rand, at int64, v4 func() netip.Addr) *watchdog.Packet {
	host := func() netip.Addr {
		if r.IntN(4) == 0 {
			return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, byte(r.IntN(30)), 15: byte(1 + r.IntN(3))})
		}
		return v4()
	}
	// Few frame sizes, so that many connections tie on bytes.
	p := &watchdog.Packet{Time: at, Len: [...]uint32{60, 60, 576, 1500}[r.IntN(4)], Kind: watchdog.KindIP, Proto: 6}
	p.Src, p.Dst = host(), host()
	if p.Src.Is4() != p.Dst.Is4() {
		p.Dst = p.Src
	}
	p.SrcPort, p.DstPort = uint16(1+r.IntN(4)), uint16(1+r.IntN(4))
	return p
}

// TestDynamicTableModel checks the dynamic subnet table under churn
// against gradeModel: each period's lines (subnets, bytes, display order)
// and its evicted count, with IPv4 and IPv6 subnets mixed and a cap far
// below the number of subnets.
func TestDynamicTableModel(t *testing.T) { checkDynamicTable(t, 7, 40) }

// FuzzDynamicTableModel runs the same check with other random streams and
// caps.
func FuzzDynamicTableModel(f *testing.F) {
	f.Add(uint64(7), uint8(40))
	f.Add(uint64(1), uint8(1))
	f.Add(uint64(99), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, max uint8) {
		checkDynamicTable(t, seed, 1+int(max%64))
	})
}

func checkDynamicTable(t *testing.T, seed uint64, max int) {
	c := cfg()
	c.Subnets.Threshold = 1e9 // nothing logs: every subnet goes at the end of a period
	c.Subnets.MaxDynamic = max
	e, rec := newEngine(t, c)
	r := rand.New(rand.NewPCG(seed, seed))
	v4 := func() netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(90)), byte(1 + r.IntN(3))}) }
	type want struct {
		lines   []report.Line
		evicted uint64
	}
	var (
		wants   []want
		model   = gradeModel{cap: c.Subnets.MaxDynamic}
		evicted uint64
	)
	closeModel := func() {
		var w want
		for _, m := range model.subnets {
			if m.bytes > 0 {
				w.lines = append(w.lines, report.Line{Subnet: m.p, Bytes: m.bytes})
			}
		}
		slices.SortFunc(w.lines, func(a, b report.Line) int {
			if c := a.Subnet.Addr().Compare(b.Subnet.Addr()); c != 0 {
				return c
			}
			return a.Subnet.Bits() - b.Subnet.Bits()
		})
		w.evicted = evicted
		wants = append(wants, w)
		model.subnets, evicted = nil, 0
	}
	lookup := func(a netip.Addr) *gradeEntry {
		m, did := model.lookup(subnet.Mask(a, 24, 64))
		if did {
			evicted++
		}
		return m
	}
	const perPeriod = 700
	for i := range 12 * perPeriod {
		at := t0 + int64(i)*minute/perPeriod
		if i > 0 && i%perPeriod == 0 {
			closeModel()
		}
		p := modelPacket(r, at, v4)
		e.Packet(p)
		model.last = nil // a packet's source may evict any subnet
		src := lookup(p.Src)
		model.add(src, uint64(p.Len)) // lost if dst's lookup evicts it
		dst := lookup(p.Dst)
		if dst != src {
			model.add(dst, uint64(p.Len))
		}
	}
	if len(rec.periods) != len(wants) {
		t.Fatalf("%d periods, want %d", len(rec.periods), len(wants))
	}
	for i, w := range wants {
		got := rec.periods[i]
		if got.Stats.EvictedSubnets != w.evicted {
			t.Errorf("period %d: evicted %d subnets, want %d", i, got.Stats.EvictedSubnets, w.evicted)
		}
		if w.evicted == 0 && max < 30 {
			t.Errorf("period %d: no eviction: the test does not churn the table", i)
		}
		var lines []report.Line
		for _, l := range got.Lines {
			lines = append(lines, report.Line{Subnet: l.Subnet, Bytes: l.Bytes})
		}
		if !slices.Equal(lines, w.lines) {
			t.Errorf("period %d lines:\n got %v\nwant %v", i, lines, w.lines)
		}
	}
}

// detailModel is the reference for one logging subnet's detail table.
type detailModel struct {
	lru    lruModel[report.Row] // rows without bytes
	conns  map[report.Row]*modelConn
	seq    uint64
	hidden report.Hidden
}

type modelConn struct{ bytes, seq uint64 }

func (m *detailModel) add(p *watchdog.Packet) {
	k := report.Row{Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto}
	if c := p.Dst.Compare(p.Src); c < 0 || c == 0 && p.DstPort < p.SrcPort {
		k = report.Row{Src: p.Dst, Dst: p.Src, SrcPort: p.DstPort, DstPort: p.SrcPort, Proto: p.Proto}
	}
	if old, did := m.lru.use(k); did {
		m.hidden.Conns++
		m.hidden.Bytes += m.conns[old].bytes
		delete(m.conns, old)
	}
	if m.conns[k] == nil {
		m.seq++
		m.conns[k] = &modelConn{seq: m.seq}
	}
	m.conns[k].bytes += uint64(p.Len)
}

// report returns the rows and hidden counts a report would show now.
func (m *detailModel) report() report.Report {
	var w report.Report
	for k, x := range m.conns {
		k.Bytes = x.bytes
		w.Rows = append(w.Rows, k)
	}
	slices.SortFunc(w.Rows, func(a, b report.Row) int {
		if a.Bytes != b.Bytes {
			return cmp.Compare(b.Bytes, a.Bytes)
		}
		return cmp.Compare(m.conns[rowKey(a)].seq, m.conns[rowKey(b)].seq)
	})
	w.Hidden = m.hidden
	return w
}

// TestDetailTableModel checks the detail tables of two logging subnets,
// IPv4 and IPv6, under churn against detailModel: every report's rows
// (connections, bytes, order by bytes then first seen) and what was
// hidden by evictions. Some packets mix the families, which the decoder
// never makes but the engine takes.
func TestDetailTableModel(t *testing.T) { checkDetailTable(t, 8, 25, true) }

// FuzzDetailTableModel runs the same check with other random streams and
// caps.
func FuzzDetailTableModel(f *testing.F) {
	f.Add(uint64(8), uint8(25))
	f.Add(uint64(2), uint8(0))
	f.Add(uint64(3), uint8(200))
	f.Fuzz(func(t *testing.T, seed uint64, max uint8) {
		checkDetailTable(t, seed, 1+int(max), false)
	})
}

// checkDetailTable compares the engine's detail tables with detailModel;
// strict also requires the stream to evict and to tie.
func checkDetailTable(t *testing.T, seed uint64, max int, strict bool) {
	subnets := []netip.Prefix{pfx("10.0.0.0/16"), pfx("2001:db8::/48")}
	c := cfg(subnet.Preload{Prefix: subnets[0], Threshold: 1e-6}, subnet.Preload{Prefix: subnets[1], Threshold: 1e-6})
	c.Report = time.Minute // a report at the end of every period from 1 on
	c.MaxConns = max
	e, rec := newEngine(t, c)
	r := rand.New(rand.NewPCG(seed, seed))
	v4 := func() netip.Addr {
		if r.IntN(2) == 0 {
			return netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(3)), byte(1 + r.IntN(3))})
		}
		return netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + r.IntN(4))})
	}
	models := make([]detailModel, len(subnets))
	for i := range models {
		models[i] = detailModel{lru: lruModel[report.Row]{cap: c.MaxConns}, conns: map[report.Row]*modelConn{}}
	}
	var wants []report.Report
	const perPeriod = 600
	for i := range 10 * perPeriod {
		at := t0 + int64(i)*minute/perPeriod
		if i >= 2*perPeriod && i%perPeriod == 0 { // reports at the end of the period
			for j := range models {
				wants = append(wants, models[j].report())
			}
		}
		p := modelPacket(r, at, v4)
		if r.IntN(10) == 0 {
			p.Dst = [...]netip.Addr{v4(), pfx("2001:db8::1/128").Addr()}[r.IntN(2)]
		}
		e.Packet(p)
		if i < perPeriod {
			continue // logging starts at the end of period 0
		}
		for j, sn := range subnets {
			if sn.Contains(p.Src) || sn.Contains(p.Dst) {
				models[j].add(p)
			}
		}
	}
	if len(rec.reports) != len(wants) {
		t.Fatalf("%d reports, want %d", len(rec.reports), len(wants))
	}
	ties := 0
	for i, w := range wants {
		got := rec.reports[i]
		if got.Hidden != w.Hidden {
			t.Errorf("report %d (%v): hidden %+v, want %+v", i, got.Subnet, got.Hidden, w.Hidden)
		}
		if !slices.Equal(got.Rows, w.Rows) {
			t.Errorf("report %d (%v) rows:\n got %v\nwant %v", i, got.Subnet, got.Rows, w.Rows)
		}
		for j := 1; j < len(w.Rows); j++ {
			if w.Rows[j].Bytes == w.Rows[j-1].Bytes {
				ties++
			}
		}
	}
	if !strict {
		return
	}
	for j := range models {
		if models[j].hidden.Conns == 0 {
			t.Errorf("%v: no connection evicted: the test does not churn the table", subnets[j])
		}
	}
	if ties == 0 {
		t.Error("no tie on bytes: the test does not check first-seen order")
	}
}

// rowKey is a row without its bytes.
func rowKey(r report.Row) report.Row {
	r.Bytes = 0
	return r
}

// heavyFlood is the load of the flood tests and benchmarks: a flood of
// 60-byte SYNs to 10.10.123.10, each from a new random IPv4 source, at
// rate packets a second, and through it a heavy subnet, 10.20.30.0/24,
// sending 1460-byte frames to 198.51.100.80 ten times a second (14600
// bytes a second, twice a 7 kBps threshold), the first at t0.
type heavyFlood struct {
	rnd        *rand.Rand
	rate       int64 // flood packets a second
	i, h       int64 // flood and heavy packets made
	flood, hvy watchdog.Packet
}

// Addresses of heavyFlood.
var (
	floodTarget = netip.MustParseAddr("10.10.123.10")
	heavySrc    = netip.MustParseAddr("10.20.30.40")
	heavyPeer   = netip.MustParseAddr("198.51.100.80")
)

// heavyBytes is what the heavy subnet sends in a second.
const heavyBytes = 14600

func newHeavyFlood(seed uint64, rate int64) *heavyFlood {
	return &heavyFlood{
		rnd: rand.New(rand.NewPCG(seed, 2)), rate: rate,
		flood: watchdog.Packet{Kind: watchdog.KindIP, Proto: 6, Len: 60, Dst: floodTarget, DstPort: 80},
		hvy: watchdog.Packet{Kind: watchdog.KindIP, Proto: 6, Len: heavyBytes / 10,
			Src: heavySrc, SrcPort: 443, Dst: heavyPeer, DstPort: 50000},
	}
}

// next returns the next packet in time order, times from t0.
func (l *heavyFlood) next() *watchdog.Packet {
	ft := t0 + l.i*int64(time.Second)/l.rate
	if ht := t0 + l.h*int64(time.Second)/10; ht <= ft {
		l.h++
		l.hvy.Time = ht
		return &l.hvy
	}
	l.i++
	r := l.rnd.Uint64()
	l.flood.Time = ft
	l.flood.Src = netip.AddrFrom4([4]byte{byte(r), byte(r >> 8), byte(r >> 16), byte(r >> 24)})
	l.flood.SrcPort = uint16(1024 + (r>>32)%64512)
	return &l.flood
}

// floodConfig is the engine configuration of the flood tests: dynamic
// mode, one-second periods, a 7 kBps threshold, reports after two seconds
// over it, max dynamic subnets.
func floodConfig(max int) watchdog.Config {
	c := benchConfig("dynamic", 0)
	c.Average, c.Report = time.Second, 2*time.Second
	c.Subnets.Threshold = 7
	c.Subnets.MaxDynamic = max
	return c
}

// heavyCounter is an Output that checks, period by period, that the heavy
// subnet of heavyFlood is counted exactly and keeps what the flood tests
// look at.
type heavyCounter struct {
	periods, exact int
	logging        int // periods closed with the heavy subnet logging
	reports        []report.Report
	others         []report.Report // reports of any other subnet
	floodLogging   int             // lines of flood sources in detail logging
}

var heavySubnet, peerSubnet, targetSubnet = subnet.Mask(heavySrc, 24, 64), subnet.Mask(heavyPeer, 24, 64), subnet.Mask(floodTarget, 24, 64)

func (h *heavyCounter) Period(p *report.Period) {
	h.periods++
	for _, l := range p.Lines {
		switch l.Subnet {
		case heavySubnet:
			if l.Bytes == heavyBytes {
				h.exact++
			}
			if l.Logging {
				h.logging++
			}
		case peerSubnet, targetSubnet:
		default:
			if l.Logging {
				h.floodLogging++
			}
		}
	}
}

func (h *heavyCounter) Report(r report.Report) {
	switch r.Subnet {
	case heavySubnet:
		h.reports = append(h.reports, r)
	case peerSubnet, targetSubnet:
	default:
		h.others = append(h.others, r)
	}
}

// BenchmarkEngineFlood measures Engine.Packet under heavyFlood at 200,000
// packets a second with 1000 dynamic subnets (--max-subnets 1000) and with
// the default 16384, one packet per operation. exact is the share of
// closed periods in which the heavy subnet's line had its exact bytes, and
// reports the heavy subnet's reports per 100 closed periods (50 when it is
// reported on time, every 2 s of 1 s periods).
func BenchmarkEngineFlood(b *testing.B) {
	for _, max := range []int{1000, 16384} {
		b.Run("max-subnets-"+strconv.Itoa(max), func(b *testing.B) {
			var out heavyCounter
			e, err := watchdog.New(floodConfig(max), &out)
			if err != nil {
				b.Fatal(err)
			}
			l := newHeavyFlood(1, 200_000)
			for range 400_000 { // two seconds: the tables are full
				e.Packet(l.next())
			}
			out = heavyCounter{}
			b.ReportAllocs()
			before := mallocs()
			for b.Loop() {
				e.Packet(l.next())
			}
			allocs := mallocs() - before
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/pkt")
			b.ReportMetric(float64(allocs)/float64(b.N), "allocs/pkt")
			if out.periods > 0 {
				b.ReportMetric(float64(out.exact)/float64(out.periods), "exact")
				b.ReportMetric(100*float64(len(out.reports))/float64(out.periods), "reports")
			}
			if len(out.others) > 0 {
				b.Fatalf("%d reports of flood sources", len(out.others))
			}
		})
	}
}

// FuzzMaxConnsTotal checks the cap on all detail tables together under
// churn, with per-subnet and total caps the fuzzer picks: in every report
// the rows and the hidden connections add up to every byte the subnet
// carried since it started logging, no table holds more rows than its cap,
// and all tables together no more than the total.
func FuzzMaxConnsTotal(f *testing.F) {
	f.Add(uint64(1), uint8(10), uint8(5))
	f.Add(uint64(2), uint8(0), uint8(0))
	f.Add(uint64(3), uint8(200), uint8(30))
	f.Fuzz(func(t *testing.T, seed uint64, perTable, total uint8) {
		subnets := []netip.Prefix{pfx("10.1.0.0/16"), pfx("10.2.0.0/16"), pfx("10.3.0.0/16")}
		var pre []subnet.Preload
		for _, p := range subnets {
			pre = append(pre, subnet.Preload{Prefix: p, Threshold: 1e-6})
		}
		c := cfg(pre...)
		c.Report = time.Minute
		c.MaxConns, c.MaxConnsTotal = 1+int(perTable), 1+int(total)
		e, rec := newEngine(t, c)
		r := rand.New(rand.NewPCG(seed, seed))
		host := func() netip.Addr {
			if n := r.IntN(4); n < 3 {
				return netip.AddrFrom4([4]byte{10, byte(1 + n), 0, byte(1 + r.IntN(8))})
			}
			return netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + r.IntN(8))})
		}
		for _, p := range subnets { // all log from the end of minute 0
			e.Packet(tcp(t0, p.Addr().Next().String(), 1, "192.0.2.1", 1, 60))
		}
		const perPeriod = 500
		bytes := make([]uint64, len(subnets))
		var wants [][]uint64
		for i := range 6 * perPeriod {
			at := t0 + minute + int64(i)*minute/perPeriod
			if i > 0 && i%perPeriod == 0 {
				wants = append(wants, slices.Clone(bytes))
			}
			p := &watchdog.Packet{Time: at, Len: uint32(40 + r.IntN(1500)), Kind: watchdog.KindIP, Proto: 6,
				Src: host(), Dst: host(), SrcPort: uint16(1 + r.IntN(6)), DstPort: uint16(1 + r.IntN(6))}
			e.Packet(p)
			for j, sn := range subnets {
				if sn.Contains(p.Src) || sn.Contains(p.Dst) {
					bytes[j] += uint64(p.Len)
				}
			}
		}
		e.Advance(t0 + 7*minute)
		wants = append(wants, slices.Clone(bytes))
		if len(rec.reports) != len(subnets)*len(wants) {
			t.Fatalf("%d reports, want %d", len(rec.reports), len(subnets)*len(wants))
		}
		for i := range wants {
			rows := 0
			for j := range subnets {
				rp := rec.reports[i*len(subnets)+j]
				var sum uint64
				for _, row := range rp.Rows {
					sum += row.Bytes
				}
				if rp.Subnet != subnets[j] || sum+rp.Hidden.Bytes != wants[i][j] {
					t.Errorf("report %d of %v: %d bytes in rows + %d hidden, want %d", i, rp.Subnet, sum, rp.Hidden.Bytes, wants[i][j])
				}
				if len(rp.Rows) > c.MaxConns {
					t.Errorf("report %d of %v: %d rows, cap %d", i, rp.Subnet, len(rp.Rows), c.MaxConns)
				}
				rows += len(rp.Rows)
			}
			if rows > c.MaxConnsTotal {
				t.Errorf("period %d: %d rows in all, cap %d", i, rows, c.MaxConnsTotal)
			}
		}
	})
}
