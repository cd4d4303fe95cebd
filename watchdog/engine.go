package watchdog

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog/names"
)

// Config configures an Engine. Every field must be set; New rejects
// values the cycle cannot run with.
type Config struct {
	// Average is the averaging period: at the end of each one every
	// tracked subnet's kBytes/s is computed and compared with its
	// threshold. Whole seconds, at least one.
	Average time.Duration
	// Report is the reporting period: how long a subnet must stay over its
	// threshold before a report is made.
	Report time.Duration
	// Top limits each report to its top connections; 0 means all.
	Top int
	// Accumulate adds the exceeded time since start to reports (-A). It
	// takes effect only with preloaded subnets.
	Accumulate bool
	// LenAdj is added to every frame length (-J); a frame never counts
	// less than 0 bytes.
	LenAdj int
	// MaxConns caps the connections kept per logging subnet; the least
	// recently seen one is evicted, and reports say how many were.
	MaxConns int
	// MaxConnsTotal caps the connections of all logging subnets together:
	// past it, the connection with the fewest bytes among a few drawn at
	// random from all of them is evicted, and the report of the subnet it
	// leaves says so. 0 means no cap but MaxConns.
	MaxConnsTotal int
	// Subnets configures the subnet table.
	Subnets subnet.Options
	// Window, when not nil, keeps each subnet's 5-minute rates of the
	// last 24 hours and sets the 95th percentiles of every period's lines
	// (report.Line.P95). The engine takes it at New and keeps it across
	// Reconfigure, so that a reload keeps the window; nil keeps none.
	Window *report.RateWindow
	// NameCache bounds the names learned from the traffic (namecache):
	// passive DNS entries (a client and an address) and TLS/HTTP claims,
	// each at most NameCache. 0 turns naming off. The engine's book is
	// made by New: a reload does not change it.
	NameCache int
}

// Output receives what the engine produces at the end of each period: the
// period summary, then the reports that period fired, in display order.
// The engine calls it from the goroutine that feeds it packets, once per
// period, never per packet; Output must not keep p after returning.
type Output interface {
	Period(p *report.Period)
	Report(r report.Report)
}

// ErrConfig is returned by New for a configuration the engine cannot run.
var ErrConfig = errors.New("watchdog: bad configuration")

// state is the engine's per-subnet state, held in the subnet table. It is
// small, so that a slot is too: what only an episode needs is in its
// detail.
type state struct {
	accum  int64   // exceeded time reported since start, ns
	detail *detail // in detail logging: the episode, else nil
}

// logging reports whether the subnet is in detail logging.
func (st *state) logging() bool { return st.detail != nil }

type slot = subnet.Slot[state]

// Engine runs the watchdog cycle on packet time. It is not safe for
// concurrent use: one goroutine feeds it packets and clock ticks.
// The zero Engine is not usable: make one with New.
type Engine struct {
	cfg        Config
	out        Output
	table      *subnet.Table[state]
	avg, rep   int64 // periods in ns
	lenAdj     int64
	accumulate bool

	started    bool
	t0         int64     // start of period 0
	last       int64     // time of a replay's last record, set at its end
	start, end int64     // the open period [start, end)
	wake       int64     // packet time of the next Advance: end, or sooner to serve a snapshot
	logging    int       // subnets in detail logging
	pool       *connPool // MaxConnsTotal, or nil

	stats  report.Stats // the open period
	total  report.Stats // closed periods
	slots  []*slot      // scratch, reused every period
	keys   []slotKey    // scratch of sortSlots
	v4     []uint64     // scratch of sortSlots
	sorted []*slot      // scratch of sortSlots, swapped with slots

	window    *report.RateWindow // Config.Window, or nil
	ctl       control            // requests from other goroutines (reload.go)
	ev        Evidence           // frames of logging subnets, or nil (evidence.go)
	frameData []byte             // the frame of the packet being counted (PacketFrame)

	pending  map[int64]*pendingBucket // flow bytes of periods after the open one (record.go)
	spare    []*pendingBucket         // emptied buckets, reused
	nPending int                      // portions in pending
	applied  bool                     // pending portions counted in the open period
	pbase    int64                    // start of the period that record.go numbers 0
	annot    Annotator                // the flow source's additions, or nil (record.go)

	names  *names.Book // names learned from the traffic, or nil
	group  *Group      // the group whose workers count for this engine, or nil (workers.go)
	worker *worker     // this engine counts for a group's engine: its clock stops at boundaries
}

// New returns an engine for cfg that sends its summaries and reports to
// out.
func New(cfg Config, out Output) (*Engine, error) {
	if cfg.Average < time.Second || cfg.Report < time.Second {
		return nil, fmt.Errorf("%w: periods %v/%v", ErrConfig, cfg.Average, cfg.Report)
	}
	if cfg.NameCache < 0 {
		return nil, fmt.Errorf("%w: name cache %d", ErrConfig, cfg.NameCache)
	}
	if cfg.Top < 0 || cfg.MaxConns < 1 || cfg.MaxConnsTotal < 0 {
		return nil, fmt.Errorf("%w: top %d, max connections %d/%d", ErrConfig, cfg.Top, cfg.MaxConns, cfg.MaxConnsTotal)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: no output", ErrConfig)
	}
	e := &Engine{
		cfg:    cfg,
		out:    out,
		avg:    int64(cfg.Average),
		rep:    int64(cfg.Report),
		lenAdj: int64(cfg.LenAdj),
		window: cfg.Window,
	}
	t, err := subnet.NewTable(cfg.Subnets, func(s *slot) bool { return s.State.logging() })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	e.table = t
	if cfg.MaxConnsTotal > 0 {
		e.pool = &connPool{max: cfg.MaxConnsTotal}
	}
	e.accumulate = cfg.Accumulate && t.Preloaded()
	if cfg.NameCache > 0 {
		e.names = names.NewBook(cfg.NameCache)
	}
	return e, nil
}

// Start opens period 0 at t (Unix ns). Replay need not call it: the first
// packet starts the engine at its own time. Live capture calls it with the
// clock's time so that an idle link still closes periods. Start does
// nothing once the engine has started.
func (e *Engine) Start(t int64) {
	if e.started {
		return
	}
	e.started = true
	e.t0, e.start, e.end = t, t, t+e.avg
	e.pbase = t
	e.wake = min(e.end, t+int64(lookEvery))
}

// Packet counts one decoded frame. Its time first closes every period that
// ended at or before it; a packet older than the open period counts in the
// open period. Packet allocates only while the subnet table or a detail
// table grows; once they are at their working size a new subnet or
// connection takes the place of one evicted or removed, without
// allocating (closing a period allocates its summary). With NameCache, the
// payload of a packet to or from port 53, and of a logging subnet's TCP
// packet, goes to the names book (through PacketFrame, which has the
// frame); it allocates only a name it has not kept yet, and the map of
// its bounded tables as they grow.
func (e *Engine) Packet(p *Packet) {
	if !e.started {
		e.Start(p.Time)
	}
	if p.Time >= e.wake { // the period's end, or a look at snapshot requests
		e.Advance(p.Time)
	}
	e.stats.Packets++
	switch p.Kind {
	case KindIP:
	case KindOther:
		e.stats.Other++
		return
	default:
		e.stats.Malformed++
		return
	}
	e.stats.IP++
	n := int64(p.Len) + e.lenAdj
	if n < 0 {
		n = 0
	}
	logging := e.count(p, uint64(n))
	if (p.SrcPort == 53 || p.DstPort == 53 || logging) && p.PayloadEnd != 0 {
		e.inspect(p, logging)
	}
}

// count adds n bytes of p to the subnets of both its addresses and, for
// those in detail logging, to their connection tables, and reports whether
// one of them was. Packets and flow records (Record) are counted by it
// alike.
func (e *Engine) count(p *Packet, n uint64) (logging bool) {
	src, dst := e.table.Count(p.Src, p.Dst, n)
	if src != nil && src.State.detail != nil {
		e.detailAdd(src, p, n)
		logging = true
	}
	if dst != nil && dst.State.detail != nil {
		e.detailAdd(dst, p, n)
		logging = true
	}
	return logging
}

// inspect hands the payload of p, a packet to or from port 53 or of a
// logging subnet, to the names book: DNS messages, and the TLS and HTTP
// names of logging subnets' TCP connections.
func (e *Engine) inspect(p *Packet, logging bool) {
	if e.names == nil || int(p.PayloadEnd) > len(e.frameData) || p.PayloadOff > p.PayloadEnd {
		return
	}
	pl := e.frameData[p.PayloadOff:p.PayloadEnd]
	if p.SrcPort == 53 || p.DstPort == 53 {
		e.names.DNS(p.Time, p.Proto, p.Src, p.Dst, p.SrcPort, p.DstPort, pl)
		return
	}
	if logging && p.Proto == 6 && len(pl) > 5 {
		e.names.Claim(p.Time, p.Src, p.Dst, pl)
	}
}

// detailAdd counts n bytes of p in the detail table of s, a subnet in
// detail logging, and hands the frame to the evidence writer.
func (e *Engine) detailAdd(s *slot, p *Packet, n uint64) {
	s.State.detail.add(p, n)
	e.frame(s, p)
}

// Advance closes every period that ends at or before now (Unix ns). A run
// of empty periods with nothing in detail logging is closed in one step,
// whatever its length, and summarised as one Period with Repeat set.
func (e *Engine) Advance(now int64) {
	if !e.started {
		return
	}
	if e.worker != nil {
		e.worker.wait(now)
		e.wake = min(e.end, now+int64(lookEvery))
		return
	}
	if e.ctl.snap.Load() != nil {
		e.serveSnapshot(now)
	}
	if e.ctl.conn.Load() != nil {
		e.serveConns()
	}
	for now >= e.end {
		if e.quiet() {
			if n := (now-e.end)/e.avg + 1; n > 1 {
				e.closeIdle(n)
				continue
			}
		}
		e.closePeriod()
	}
	e.wake = min(e.end, now+int64(lookEvery))
}

// lookEvery is how often, in packet time, the engine looks for snapshot
// requests while packets come (live capture reads the clock only when the
// link is idle): at most one comparison a packet, the one it makes
// anyway for the period's end.
const lookEvery = 250 * time.Millisecond

// quiet reports whether the open period is empty and nothing is logging,
// so that closing it changes nothing but the clock.
func (e *Engine) quiet() bool {
	return e.stats.Packets == 0 && e.stats.Records == 0 && !e.applied && e.logging == 0 && len(e.pending) == 0 &&
		(e.table.Preloaded() || e.table.Len() == 0)
}

// closeIdle closes n > 1 quiet periods at once.
func (e *Engine) closeIdle(n int64) {
	p := e.summary()
	secs := float64(e.avg) / float64(time.Second)
	for _, s := range e.slots {
		p.Lines = append(p.Lines, e.line(s, secs, 0))
	}
	p.Repeat = n - 1
	e.emit(p)
	e.start += n * e.avg
	e.end = e.start + e.avg
	e.serveConfig()
}

// summary starts the Period of the open period, with the slots to show
// in e.slots in display order.
func (e *Engine) summary() *report.Period {
	p := &report.Period{Start: toTime(e.start), End: toTime(e.end), Stats: e.stats, MaskBits: e.cfg.Subnets.MaskBits}
	if e.annot != nil {
		e.annot.Period(p)
	}
	p.Stats.EvictedSubnets += e.table.TakeEvicted() // and the workers' (Group.merge)
	for _, b := range e.books() {
		ns := b.TakeStats()
		p.Stats.DNSAnswers += ns.Answers
		p.Stats.DNSIgnored += ns.Ignored
		p.Stats.DNSMalformed += ns.Malformed
		p.Stats.NamesEvicted += ns.Evicted
	}
	e.total.Add(p.Stats)
	e.stats = report.Stats{}
	e.applied = false
	e.slots = e.table.Slots(e.slots[:0])
	if !e.table.Preloaded() {
		e.sortSlots()
	}
	if len(e.slots) > 0 {
		p.Lines = make([]report.Line, 0, len(e.slots))
	}
	return p
}

// slotKey is a slot's place in the display order of dynamic subnets, by
// address in the order of netip.Addr.Compare (family, then the 128-bit
// address; a prefix has no zone), then by prefix length. Sorting keys
// rather than slots does not follow a pointer per comparison.
type slotKey struct {
	hi, lo    uint64
	fam, bits int32
	s         *slot
}

func compareSlotKeys(a, b slotKey) int {
	if c := cmp.Compare(a.fam, b.fam); c != 0 {
		return c
	}
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	if c := cmp.Compare(a.lo, b.lo); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

// sortSlots sorts e.slots in slotKey order. IPv4 subnets, nearly all of
// them in most tables and all with the same prefix length in dynamic mode,
// are sorted as packed integers (address << 32 | index), which takes a
// fraction of the time of a sort with a comparison function; the others
// (IPv6, and IPv4 of mixed lengths) with compareSlotKeys. Families do not
// mix in the order: an invalid prefix first, then IPv4, then IPv6.
func (e *Engine) sortSlots() {
	keys, v4 := e.keys[:0], e.v4[:0]
	bits4 := -1
	mixed := uint64(len(e.slots)) > math.MaxUint32
	for i, s := range e.slots {
		a := s.Prefix.Addr()
		if a.Is4() && !mixed {
			if bits4 < 0 {
				bits4 = s.Prefix.Bits()
			}
			if s.Prefix.Bits() == bits4 {
				b := a.As4()
				v4 = append(v4, uint64(binary.BigEndian.Uint32(b[:]))<<32|uint64(i))
				continue
			}
			mixed = true
		}
		b := a.As16()
		keys = append(keys, slotKey{
			hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]),
			fam: int32(a.BitLen()), bits: int32(s.Prefix.Bits()), s: s,
		})
	}
	if mixed { // every IPv4 subnet goes through the general sort
		for _, x := range v4 {
			s := e.slots[uint32(x)]
			b := s.Prefix.Addr().As16()
			keys = append(keys, slotKey{
				hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]),
				fam: 32, bits: int32(s.Prefix.Bits()), s: s,
			})
		}
		v4 = v4[:0]
	}
	slices.Sort(v4)
	slices.SortFunc(keys, compareSlotKeys)
	// v4 indexes e.slots: take its slots out before overwriting it.
	sorted := e.sorted[:0]
	n := 0
	for n < len(keys) && keys[n].fam < 32 {
		sorted = append(sorted, keys[n].s)
		n++
	}
	for _, x := range v4 {
		sorted = append(sorted, e.slots[uint32(x)])
	}
	for _, k := range keys[n:] {
		sorted = append(sorted, k.s)
	}
	clear(keys)
	e.keys, e.v4 = keys, v4
	e.sorted, e.slots = e.slots, sorted
}

// line is the summary line of s, whose bytes were counted over secs
// seconds, with what was over its threshold.
func (e *Engine) line(s *slot, secs float64, over report.Over) report.Line {
	return report.Line{
		Subnet:       s.Prefix,
		Name:         s.Name,
		Bytes:        s.Bytes,
		KBps:         rate(s.Bytes, secs),
		Threshold:    s.Threshold,
		InBytes:      s.In,
		OutBytes:     s.Out,
		InKBps:       rate(s.In, secs),
		OutKBps:      rate(s.Out, secs),
		ThresholdIn:  s.ThresholdIn,
		ThresholdOut: s.ThresholdOut,
		Over:         over,
		Logging:      s.State.logging(),
		Since:        s.State.episodeStart(),
	}
}

// rate is n bytes over secs seconds in kBytes/s.
func rate(n uint64, secs float64) float64 { return float64(n) / 1024 / secs }

// overOf returns what of s was over its thresholds in a period of secs
// seconds: the sum at or above Threshold, a direction at or above its own
// threshold when it has one. A subnet is over when any is.
func overOf(s *slot, secs float64) report.Over {
	var o report.Over
	if rate(s.Bytes, secs) >= s.Threshold {
		o |= report.OverTotal
	}
	if s.ThresholdIn > 0 && rate(s.In, secs) >= s.ThresholdIn {
		o |= report.OverIn
	}
	if s.ThresholdOut > 0 && rate(s.Out, secs) >= s.ThresholdOut {
		o |= report.OverOut
	}
	return o
}

// closePeriod runs the decisions of SPEC §3 for every tracked subnet at
// the end of the open period and opens the next one.
func (e *Engine) closePeriod() {
	p := e.summary()
	secs := float64(e.avg) / float64(time.Second)
	var reports []report.Report
	for _, s := range e.slots {
		st := &s.State
		was := st.logging()
		o := overOf(s, secs)
		over := o != 0
		switch {
		case over && !was:
			st.detail = newDetail(e.cfg.MaxConns, &e.stats.EvictedConns, e.pool)
			st.detail.since, st.detail.episode = e.end, e.end
			st.detail.evicted0, st.detail.dropped0 = e.total.EvictedSubnets, e.total.Dropped
			e.logging++
			e.evidenceStart(s)
		case over && e.end-st.detail.since >= e.rep:
			reports = append(reports, e.report(s, o))
		case !over && was:
			e.evidenceEnd(s)
			if e.pool != nil {
				e.pool.leave(st.detail)
			}
			st.detail = nil
			e.logging--
		}
		if e.table.Preloaded() || s.Bytes > 0 || was {
			p.Lines = append(p.Lines, e.line(s, secs, o))
		}
	}
	e.table.RemoveIf(notLogging) // dynamic subnets not logging
	e.table.ResetBytes()
	if len(p.Lines) == 0 {
		p.Lines = nil // as when nothing was appended
	}
	e.emit(p)
	for _, r := range reports {
		e.out.Report(r)
	}
	e.start = e.end
	e.end += e.avg
	e.serveConfig()
	e.applyPending()
}

func notLogging(s *slot) bool { return !s.State.logging() }

// emit adds the closed period p to the rate window, which sets its lines'
// percentiles, and hands it to the output.
func (e *Engine) emit(p *report.Period) {
	if e.window != nil {
		e.window.Add(p)
	}
	e.out.Period(p)
}

// report makes the report of a subnet that has been logging for at least
// the reporting period, and restarts its logging clock; over is what was
// over its threshold in the period that fired it.
func (e *Engine) report(s *slot, over report.Over) report.Report {
	st := &s.State
	ep := st.detail
	d := e.end - ep.since
	window := ep.since
	ep.exceeded += d
	st.accum += d
	ep.since = e.end
	secs := float64(e.avg) / float64(time.Second)
	r := report.Report{
		Time:      toTime(e.end),
		Subnet:    s.Prefix,
		Name:      s.Name,
		Threshold: s.Threshold,
		Exceeded:  time.Duration(ep.exceeded),
		Top:       e.cfg.Top,
		Rows:      st.detail.rows(e.cfg.Top),
		Hidden:    st.detail.hidden,
		Start:     toTime(ep.episode),
		MaskBits:  e.cfg.Subnets.MaskBits,
		KBps:      rate(s.Bytes, secs),
		InKBps:    rate(s.In, secs),
		OutKBps:   rate(s.Out, secs),
		Over:      over,

		ThresholdIn:  s.ThresholdIn,
		ThresholdOut: s.ThresholdOut,

		EvictedSubnets: e.total.EvictedSubnets - st.detail.evicted0,
		Dropped:        e.total.Dropped - st.detail.dropped0,
	}
	if e.group != nil { // the connections are in the workers' tables
		r.Rows, r.Hidden = e.group.rows(s.Prefix, e.cfg.Top)
	}
	r.Evidence, r.EvidenceDropped = e.evidenceReport(s)
	if e.group != nil && r.Evidence != "" {
		r.EvidenceDropped += e.group.evDrop[s.Prefix] // left out by the workers
	}
	e.nameRows(s.Prefix, r.Rows, ep.episode, window)
	if e.annot != nil {
		e.annot.Report(&r)
	}
	if e.accumulate {
		r.Accum = &report.Accumulated{
			Since:   toTime(e.t0),
			Total:   time.Duration(st.accum),
			Elapsed: time.Duration(e.end - e.t0),
		}
	}
	return r
}

// Stats returns the counters of all closed periods plus the open one.
func (e *Engine) Stats() report.Stats {
	s := e.total
	s.Add(e.stats)
	return s
}

// Span tells how far the engine got: the start of period 0 (the first
// record's time in replay), the time of the last record of a replay that
// reached the end of its file (else the zero Time), and whether any period
// closed. Before any record or Start, start is the zero Time. Call it once
// the capture has stopped.
func (e *Engine) Span() (start, last time.Time, closed bool) {
	if !e.started {
		return time.Time{}, time.Time{}, false
	}
	if e.last != 0 {
		last = toTime(e.last)
	}
	return toTime(e.t0), last, e.start > e.t0
}

// Tracked returns the number of subnets tracked now.
func (e *Engine) Tracked() int { return e.table.Len() }

// toTime converts Unix ns to a time in the local zone.
func toTime(ns int64) time.Time { return time.Unix(0, ns) }

// AddDropped adds n frames dropped by the kernel or the interface to the
// open period's counters.
func (e *Engine) AddDropped(n uint64) { e.stats.Dropped += n }

// nameRows sets the name of the remote side of each row (report.Sides)
// as the local side knows it: a name learned during the episode (since
// episode), or from DNS still valid at the start of the report's window.
func (e *Engine) nameRows(sub netip.Prefix, rows []report.Row, episode, window int64) {
	books := e.books()
	for i := range rows {
		r := &rows[i]
		client, remote := report.Sides(sub, *r)
		var name, claim string
		src, claimSrc := names.None, names.None
		for _, b := range books {
			// With workers, the client's DNS and its connection may have
			// been seen by different workers: the surest source wins.
			n, s := b.Name(client, remote, episode, window)
			if s == names.SNIClaimed || s == names.HostClaimed {
				claim, claimSrc = n, s
			}
			if s != names.None && (src == names.None || sourceRank[s] < sourceRank[src]) {
				name, src = n, s
			}
		}
		// A claim one worker saw, confirmed by the DNS another saw.
		if src == names.DNS && claimSrc != names.None && strings.EqualFold(claim, name) {
			name, src = claim, names.SNIConfirmed
			if claimSrc == names.HostClaimed {
				src = names.HostConfirmed
			}
		}
		r.Name, r.NameSource = name, src.String()
	}
}

// sourceRank orders the sources of a name, surest first, for a name that
// more than one book knows (with workers).
var sourceRank = [...]int{names.SNIConfirmed: 0, names.HostConfirmed: 1, names.DNS: 2, names.PTR: 3,
	names.SNIClaimed: 4, names.HostClaimed: 5, names.None: 6}

// books returns the names books that saw the traffic: the engine's, or
// with workers each worker's (all stopped at a boundary when read).
func (e *Engine) books() []*names.Book {
	if e.group == nil {
		if e.names == nil {
			return nil
		}
		return []*names.Book{e.names}
	}
	var bs []*names.Book
	for _, w := range e.group.ws {
		if w.e.names != nil {
			bs = append(bs, w.e.names)
		}
	}
	return bs
}
