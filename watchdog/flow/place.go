package flow

import (
	"math"
	"net/netip"

	"ipband/watchdog"
)

// Placing a change of rate inside a record.
//
// An exporter cuts a long connection into records at its active timeout,
// and the engine spreads each record's bytes evenly over its span. When
// the connection's rate changed inside a record (a download starting on
// a kept-alive connection), spreading evenly moves part of the change into
// the neighbouring period: up to a quarter of a period's bytes for a
// change half-way through a 60 s record. The records of the same
// connection just before and just after it tell the rates on either
// side. A record whose rate lies between theirs, more than noise from
// each, is taken as the one rate up to a step and the other after it,
// with the step where the record's own bytes put it (exact when the rate
// changed once). A record faster or slower than both neighbours (a burst
// inside it), or with a neighbour missing, is spread evenly.
//
// To see the record after, each record is held until the next of its
// connection comes, and no longer than until the first period it spans is
// judged; sFlow samples (instants) are counted at once. With a 60 s
// active timeout the next record comes about 60 s (and the export delay)
// later: a flowgrace of 180 s waits long enough for the next of every
// record the timeout cut, the default 120 s for most.

// maxPlaced bounds the connections whose last record is remembered
// (about 210 bytes each, 52 MiB at the bound, measured: BENCHMARKS.md).
// Past it, records of new connections are spread evenly, at once.
var maxPlaced = 1 << 18

// noise is how far apart, as a share of the neighbour's, a record's rate
// and a neighbour's must be for a step between them to be placed: the
// records of a steady connection differ by a few per cent (measured: 2%
// between the 60 s records of a steady 100 kB/s UDP stream from
// softflowd), and a step placed from that difference would move the
// bytes of a second or more into the neighbouring period.
const noise = 0.05

// connKey is a connection as one exporter sees it.
type connKey struct {
	x            *exporter
	src, dst     netip.Addr
	sport, dport uint16
	proto        uint8
}

// connPlace is what is remembered of a connection's records: the one held
// until the next comes, and the rate and end of the last one counted.
type connPlace struct {
	start, end int64 // the held record's span
	bytes      uint64
	held       bool
	rate       float64 // the last record counted, bytes/ns; 0 none
	rateEnd    int64   // its end
}

// placer holds each connection's latest record until its successor comes.
type placer struct {
	conns   map[connKey]*connPlace
	free    []*connPlace
	held    int
	minHeld int64 // the earliest start of a held record
	full    bool  // the table was found full (logged once)
	swept   int64 // the engine time of the last sweep of the table
}

// adjacent reports whether a record starting at start follows one ending
// at end of duration dur closely enough that its rate is the rate at
// that end: a gap (or overlap, exporters date the two directions of a
// connection together) of at most a second or a twentieth of dur.
func adjacent(end, start, dur int64) bool {
	gap := start - end
	if gap < 0 {
		gap = -gap
	}
	return gap <= max(1e9, dur/20)
}

// place counts r, a record of exporter x, in e: sFlow samples at once, a
// record with a span after the one held for its connection (which is then
// counted, with r as its successor).
func (c *Collector) place(e *watchdog.Engine, x *exporter, r *watchdog.Record) {
	if r.End <= r.Start {
		c.countRecord(e, x, r)
		return
	}
	p := &c.placer
	if p.conns == nil {
		p.conns = make(map[connKey]*connPlace)
		p.minHeld = math.MaxInt64
	}
	k := connKey{x: x, src: r.Src, dst: r.Dst, sport: r.SrcPort, dport: r.DstPort, proto: r.Proto}
	cp := p.conns[k]
	judged := c.judged()
	if cp == nil {
		// Full: make room, at most once a grace (a sweep reads the whole
		// table).
		if len(p.conns) >= maxPlaced && judged-p.swept >= int64(c.opt.Grace) {
			c.sweep(e, judged, false)
		}
		if len(p.conns) >= maxPlaced {
			if !p.full {
				p.full = true
				c.logf("flow records of %d connections are held at once: records of further connections are spread evenly over their spans", maxPlaced)
			}
			c.countRecord(e, x, r)
			return
		}
		if n := len(p.free); n > 0 {
			cp = p.free[n-1]
			p.free = p.free[:n-1]
			*cp = connPlace{}
		} else {
			cp = new(connPlace)
		}
		p.conns[k] = cp
	}
	if cp.held {
		c.release(e, &k, cp, r.Start, float64(r.Bytes)/float64(r.End-r.Start), true)
	}
	cp.start, cp.end, cp.bytes, cp.held = r.Start, r.End, r.Bytes, true
	p.held++
	if judged >= e.PeriodEnd(r.Start) {
		// Its first period is judged already (a record come late): held,
		// it would make every datagram sweep the table.
		c.release(e, &k, cp, 0, 0, false)
		return
	}
	p.minHeld = min(p.minHeld, r.Start)
}

// release counts the record held for k, placing a change of rate against
// the last record counted and, when known, the next (starting at
// nextStart, at nextRate bytes/ns).
func (c *Collector) release(e *watchdog.Engine, k *connKey, cp *connPlace, nextStart int64, nextRate float64, hasNext bool) {
	r := watchdog.Record{Start: cp.start, End: cp.end, Bytes: cp.bytes,
		Src: k.src, Dst: k.dst, SrcPort: k.sport, DstPort: k.dport, Proto: k.proto}
	dur := cp.end - cp.start
	rate := float64(cp.bytes) / float64(dur)
	a, b := rate, rate // the rates before and after
	if cp.rate > 0 && adjacent(cp.rateEnd, cp.start, dur) {
		a = cp.rate
	}
	if hasNext && adjacent(cp.end, nextStart, dur) {
		b = nextRate
	}
	// A rate within noise of a neighbour's is that rate, not a step: a
	// step placed from it would move bytes by the noise times the span.
	distinct := math.Abs(rate-a) > noise*a && math.Abs(rate-b) > noise*b
	if distinct && (a < rate && rate < b || a > rate && rate > b) {
		// a over [start, start+x], b over the rest: a*x + b*(dur-x) = bytes.
		x := float64(dur) * (b - rate) / (b - a)
		if before := uint64(a * x); before <= r.Bytes {
			r.Step, r.Before = r.Start+int64(x), before
		}
	}
	c.countRecord(e, k.x, &r)
	cp.held = false
	cp.rate, cp.rateEnd = rate, cp.end
	c.placer.held--
}

// countRecord counts r in e, with its late bytes and trace line.
func (c *Collector) countRecord(e *watchdog.Engine, x *exporter, r *watchdog.Record) {
	late := e.Record(r)
	x.LateBytes += late
	if c.trace != nil {
		c.traceRecord(x, r, late)
	}
}

// judged is the engine's time once the collector advances it: periods
// that end by it are judged.
func (c *Collector) judged() int64 { return c.clock - int64(c.opt.Grace) }

// releaseDue counts the held records whose first period is judged at t
// (the engine's next time), with no successor, before the engine moves.
func (c *Collector) releaseDue(e *watchdog.Engine, t int64) {
	if c.placer.held > 0 && t >= e.PeriodEnd(c.placer.minHeld) {
		c.sweep(e, t, false)
	}
}

// sweep releases, with no successor, the held records whose first period
// ends by t (every one when all), and forgets the connections whose last
// record ended more than a grace before t (every one when all).
func (c *Collector) sweep(e *watchdog.Engine, t int64, all bool) {
	p := &c.placer
	p.swept = t
	p.minHeld = math.MaxInt64
	for k, cp := range p.conns {
		if cp.held && (all || t >= e.PeriodEnd(cp.start)) {
			c.release(e, &k, cp, 0, 0, false)
		}
		switch {
		case cp.held:
			p.minHeld = min(p.minHeld, cp.start)
		case all || cp.rateEnd < t-int64(c.opt.Grace):
			delete(p.conns, k)
			p.free = append(p.free, cp)
		}
	}
}

// flush counts every held record: the end of a replay or of listening.
func (c *Collector) flush(e *watchdog.Engine) {
	if c.placer.held > 0 {
		c.sweep(e, c.judged(), true)
	}
}
