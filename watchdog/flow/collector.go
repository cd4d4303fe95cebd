package flow

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"ipband/report"
	"ipband/watchdog"
)

// Exporter is a flowexporter: an address whose datagrams are accepted,
// with its optional name, sampling rate and interfaces.
type Exporter struct {
	Addr netip.Addr
	// Name labels it in reports, the page and metrics; "" for its address.
	Name string
	// Sampling is the rate (1 in N) used when the exporter sends none; 0
	// for none given.
	Sampling uint64
	// Interfaces, when not empty, are the interface indexes whose records
	// count: a record counts when its input or output interface is one.
	Interfaces []uint32
}

// String renders the exporter as its directive's arguments.
func (x Exporter) String() string {
	s := x.Addr.String()
	if x.Name != "" {
		s += " name " + x.Name
	}
	if x.Sampling > 0 {
		s += " sampling " + strconv.FormatUint(x.Sampling, 10)
	}
	if len(x.Interfaces) > 0 {
		var l []string
		for _, i := range x.Interfaces {
			l = append(l, strconv.FormatUint(uint64(i), 10))
		}
		s += " interfaces " + strings.Join(l, ",")
	}
	return s
}

// Options configure a Collector.
type Options struct {
	// Exporters, when not empty, are the only addresses whose datagrams
	// are decoded; others are dropped and counted.
	Exporters []Exporter
	// Grace is how long after its end a period is judged (flowgrace).
	Grace time.Duration
	// Skew is how far an exporter's clock may be off before its flow
	// times are shifted (flowskew).
	Skew time.Duration
	// Logf logs an exporter's clock offset and flows longer than Grace,
	// once each; nil discards.
	Logf report.Logf
}

// Collector decodes flow datagrams (NetFlow v5, v9, IPFIX, sFlow v5, told
// apart by their version field) into records for an Engine, and keeps
// each exporter's templates, sampling rates, clock offset and health. It
// runs on the engine's goroutine: it is not safe for concurrent use.
type Collector struct {
	opt       Options
	known     map[netip.Addr]*Exporter
	exporters map[netip.Addr]*exporter
	order     []*exporter
	unknown   uint64
	templates map[tmplKey]*template
	rawSets   map[tmplKey][]byte // the last template set of each id, as sent
	tmplCount map[netip.AddrPort]int
	sampling  map[samplerKey]uint64
	sysInit   map[tmplKey]int64
	seqs      map[tmplKey]uint32
	recs      []rec
	clock     int64     // the latest datagram time
	latest    int64     // the latest flow end counted
	longest   int64     // the longest flow counted, ns
	trace     io.Writer // -d 3: a line per record, or nil
	traceBuf  []byte
	placer    placer
}

// exporter is the state of one exporter address.
type exporter struct {
	report.Exporter
	conf      *Exporter
	offset    int64
	logged    bool // the offset was logged
	longFlows bool // flows longer than the grace were logged
}

type samplerKey struct {
	addr   netip.Addr
	domain uint32
	id     uint64
}

// rec is a decoded record with what only the collector needs.
type rec struct {
	watchdog.Record
	in, out  uint32
	sampling uint64
	relInit  bool // times relative to a systemInitTimeMilliseconds not yet seen
}

// dgram is the datagram being decoded.
type dgram struct {
	from   netip.AddrPort
	now    int64
	export int64 // the exporter's clock when it sent it, Unix ns; 0 unknown
	x      *exporter
}

// versionSFlow keys sFlow sequence numbers apart from NetFlow v5's.
const versionSFlow = 0x5f

// NewCollector returns a collector for o.
func NewCollector(o Options) *Collector {
	c := &Collector{
		opt:       o,
		exporters: make(map[netip.Addr]*exporter),
		templates: make(map[tmplKey]*template),
		rawSets:   make(map[tmplKey][]byte),
		tmplCount: make(map[netip.AddrPort]int),
		sampling:  make(map[samplerKey]uint64),
		sysInit:   make(map[tmplKey]int64),
		seqs:      make(map[tmplKey]uint32),
	}
	if len(o.Exporters) > 0 {
		c.known = make(map[netip.Addr]*Exporter)
		for i := range o.Exporters {
			x := &o.Exporters[i]
			c.known[x.Addr.Unmap()] = x
			c.exporter(x.Addr.Unmap())
		}
	}
	return c
}

func (c *Collector) logf(format string, a ...any) {
	if c.opt.Logf != nil {
		c.opt.Logf(format, a...)
	}
}

// exporter returns the state of addr, creating it.
func (c *Collector) exporter(addr netip.Addr) *exporter {
	x := c.exporters[addr]
	if x == nil {
		x = &exporter{Exporter: report.Exporter{Addr: addr, Sampling: 1}}
		if k := c.known[addr]; k != nil {
			x.conf = k
			x.Name = k.Name
		}
		c.exporters[addr] = x
		c.order = append(c.order, x)
	}
	return x
}

// Datagram decodes one datagram received from from at now (Unix ns) and
// counts its records in e; then it judges the periods that ended a grace
// before now. A malformed datagram is counted, never an error.
func (c *Collector) Datagram(e *watchdog.Engine, from netip.AddrPort, now int64, b []byte) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if c.known != nil && c.known[from.Addr()] == nil {
		c.unknown++
		c.Advance(e, now)
		return
	}
	d := dgram{from: from, now: now, x: c.exporter(from.Addr())}
	d.x.Datagrams++
	c.recs = c.recs[:0]
	c.decode(&d, b)
	c.count(e, &d)
	c.Advance(e, now)
}

// decode decodes b by its version field.
func (c *Collector) decode(d *dgram, b []byte) {
	if len(b) < 4 {
		d.x.Malformed++
		return
	}
	switch v := binary.BigEndian.Uint16(b); {
	case v == 5:
		c.decodeV5(d, b)
	case v == 9 || v == 10:
		c.decodeV9(d, b, v)
	case v == 0 && binary.BigEndian.Uint32(b) == 5:
		c.decodeSFlow(d, b)
	default:
		d.x.Malformed++
	}
}

// next returns a new record of the datagram.
func (c *Collector) next(d *dgram) *rec {
	c.recs = append(c.recs, rec{})
	return &c.recs[len(c.recs)-1]
}

// rate returns the sampling rate in force: the exporter's own, else the
// configured one, else 1.
func (c *Collector) rate(d *dgram, sent uint64) uint64 {
	if sent == 0 && d.x.conf != nil {
		sent = d.x.conf.Sampling
	}
	return max(sent, 1)
}

// sequence checks a sequence number against the one expected from the
// last (its number plus step), per exporter address and port, version and
// domain, and counts a gap when it differs.
func (c *Collector) sequence(d *dgram, version uint16, domain, seq, step uint32) {
	k := tmplKey{from: d.from, version: version, domain: domain}
	if want, ok := c.seqs[k]; ok && want != seq {
		d.x.SeqGaps++
	} else if !ok && len(c.seqs) >= maxTemplates {
		return
	}
	c.seqs[k] = seq + step
}

// count corrects the records' times, filters them by interface and counts
// them in e.
func (c *Collector) count(e *watchdog.Engine, d *dgram) {
	if len(c.recs) == 0 {
		return
	}
	x := d.x
	// The exporter's clock: the latest flow end of the datagram against
	// the receive time. Flows end before they are exported, within the
	// active timeout and the export delay; one further off than the skew
	// (a clock wrong by years, an uptime wrapped at 2^32 ms, an exporter
	// dating flows and headers by different clocks) means the exporter's
	// flow times are shifted by the offset seen.
	skew := int64(c.opt.Skew)
	if d.export != 0 {
		latest := c.recs[0].End
		for i := range c.recs {
			latest = max(latest, c.recs[i].End, c.recs[i].Start)
		}
		if resid := d.now - (latest + x.offset); resid > skew || resid < -skew {
			x.offset = d.now - latest
			x.Offset = time.Duration(x.offset)
			if !x.logged {
				x.logged = true
				c.logf("exporter %s: its flow times are off the clock by %v: they are shifted by that (flowskew %v)",
					x.Label(), time.Duration(x.offset).Round(time.Millisecond), c.opt.Skew)
			}
		}
	}
	start := int64(0)
	for i := range c.recs {
		r := &c.recs[i]
		if d.export != 0 {
			r.Start += x.offset
			r.End += x.offset
		}
		if r.End < r.Start {
			r.Start, r.End = r.End, r.Start
		}
		if i == 0 || r.Start < start {
			start = r.Start
		}
	}
	if !e.Started() {
		e.Start(start)
	}
	var ifs []uint32
	if x.conf != nil {
		ifs = x.conf.Interfaces
	}
	grace := int64(c.opt.Grace)
	for i := range c.recs {
		r := &c.recs[i]
		if len(ifs) > 0 && !slices.Contains(ifs, r.in) && !slices.Contains(ifs, r.out) {
			continue
		}
		if r.End-r.Start > grace && !x.longFlows {
			x.longFlows = true
			c.logf("exporter %s: a flow lasted %v, longer than flowgrace %v: part of its bytes will come late; set the exporter's active timeout to 60 s or raise flowgrace",
				x.Label(), time.Duration(r.End-r.Start).Round(time.Second), c.opt.Grace)
		}
		c.longest = max(c.longest, r.End-r.Start)
		x.Records++
		x.Bytes += r.Bytes
		x.Sampling = r.sampling
		c.place(e, x, &r.Record)
		c.latest = max(c.latest, r.End)
	}
}

// SetTrace makes the collector write a line per record counted to w (-d
// 3), when it is counted (see place.go); nil for none.
func (c *Collector) SetTrace(w io.Writer) { c.trace = w }

// traceRecord writes the -d 3 line of a record: its span, exporter,
// protocol, addresses and ports, bytes (and late bytes).
func (c *Collector) traceRecord(x *exporter, r *watchdog.Record, late uint64) {
	b := c.traceBuf[:0]
	b = time.Unix(0, r.Start).AppendFormat(b, "15:04:05.000000")
	b = append(b, '-')
	b = time.Unix(0, r.End).AppendFormat(b, "15:04:05.000000")
	b = append(b, " flow "...)
	b = append(b, x.Label()...)
	b = append(b, " proto "...)
	b = strconv.AppendUint(b, uint64(r.Proto), 10)
	b = append(b, ' ')
	b = netip.AddrPortFrom(r.Src, r.SrcPort).AppendTo(b)
	b = append(b, " > "...)
	b = netip.AddrPortFrom(r.Dst, r.DstPort).AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, r.Bytes, 10)
	b = append(b, " bytes"...)
	if late > 0 {
		b = append(b, ", "...)
		b = strconv.AppendUint(b, late, 10)
		b = append(b, " late"...)
	}
	b = append(b, '\n')
	c.traceBuf = b
	c.trace.Write(b) //nolint:errcheck // a debug trace must not stop collection
}

// Advance moves the collector's clock to now and judges the periods that
// ended a grace before it. A live source calls it on an idle listener.
func (c *Collector) Advance(e *watchdog.Engine, now int64) {
	c.clock = max(c.clock, now)
	t := c.judged()
	c.releaseDue(e, t)
	e.Advance(t)
}

// Finish closes every period that ends by the latest time seen (the
// latest datagram or flow end): the end of a replay.
func (c *Collector) Finish(e *watchdog.Engine) {
	c.flush(e)
	e.Advance(max(c.clock, c.latest))
}

// Stop closes every period that ended by now, without waiting for the
// grace: a live source that stops. Flow times ahead of the clock (an
// exporter whose clock runs ahead by less than the skew) stay unjudged.
func (c *Collector) Stop(e *watchdog.Engine, now int64) {
	c.flush(e)
	e.Advance(max(c.clock, now))
}

// Exporters returns the health of every exporter, in the order they were
// first heard from (those configured first).
func (c *Collector) Exporters() []report.Exporter {
	out := make([]report.Exporter, len(c.order))
	for i, x := range c.order {
		out[i] = x.Exporter
	}
	return out
}

// LatestSeen returns the latest time seen: the latest datagram or flow
// end, Unix ns.
func (c *Collector) LatestSeen() int64 { return max(c.clock, c.latest) }

// Longest returns the duration of the longest flow counted.
func (c *Collector) Longest() time.Duration { return time.Duration(c.longest) }

// Unknown returns the datagrams dropped as from no configured exporter.
func (c *Collector) Unknown() uint64 { return c.unknown }

// Period adds the exporters' health to p (watchdog.Annotator).
func (c *Collector) Period(p *report.Period) {
	p.Exporters = c.Exporters()
	p.UnknownDatagrams = c.unknown
}

// Report adds a line per sampled exporter to r (watchdog.Annotator).
func (c *Collector) Report(r *report.Report) {
	for _, x := range c.order {
		if x.Sampling > 1 {
			r.Sampled = append(r.Sampled, fmt.Sprintf("1 in %d (exporter %s)", x.Sampling, x.Label()))
		}
	}
}

// SummaryLines returns the exit summary: one line per exporter with its
// address and "N records, B bytes", and its faults when it had some.
func (c *Collector) SummaryLines() []string {
	var out []string
	for _, x := range c.order {
		l := "exporter " + x.Addr.String()
		if x.Name != "" {
			l += " (" + x.Name + ")"
		}
		l += fmt.Sprintf(": %d datagrams, %d records, %d bytes", x.Datagrams, x.Records, x.Bytes)
		for _, f := range []struct {
			n    uint64
			what string
		}{
			{x.Malformed, "malformed"},
			{x.SeqGaps, "sequence gaps"},
			{x.TemplateMisses, "template misses"},
			{x.LateBytes, "late bytes"},
		} {
			if f.n > 0 {
				l += fmt.Sprintf(", %d %s", f.n, f.what)
			}
		}
		if x.Sampling > 1 {
			l += fmt.Sprintf(", sampled 1 in %d", x.Sampling)
		}
		if x.Offset != 0 {
			l += fmt.Sprintf(", clock offset %v", x.Offset.Round(time.Millisecond))
		}
		out = append(out, l)
	}
	if c.unknown > 0 {
		out = append(out, fmt.Sprintf("%d datagrams from unknown exporters dropped", c.unknown))
	}
	return out
}

var _ watchdog.Annotator = (*Collector)(nil)
