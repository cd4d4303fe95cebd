package watchdog

import (
	"math/bits"
	"net/netip"

	"ipband/report"
)

// Record is one flow record from a router: a connection's addresses,
// ports and protocol, the IP-layer bytes it carried (after sampling) and
// the time span they were carried over. The flow sources (package
// watchdog/flow) fill a caller-owned Record in place.
type Record struct {
	// Start and End bound the flow in Unix ns, Start <= End. A record
	// with no duration (an sFlow sample) has Start == End.
	Start, End int64
	// Bytes is the IP-layer byte count, multiplied by the sampling rate.
	Bytes uint64
	// Src and Dst are the addresses, both IPv4 or both IPv6.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the ports, as Packet's.
	SrcPort, DstPort uint16
	// Proto is the IP protocol number.
	Proto uint8
	// Step, when Start < Step < End, is where the flow's rate changed
	// inside the record: Before of its Bytes were carried over [Start,
	// Step] and the rest over [Step, End], each part evenly. 0 for one
	// even rate over the whole span.
	Step   int64
	Before uint64
}

// Annotator adds what the flow source knows to what the engine hands its
// Output: its exporters' health to each period, the sampling in force to
// each report. The engine calls it on its own goroutine.
type Annotator interface {
	Period(p *report.Period)
	Report(r *report.Report)
}

// SetAnnotator makes e call a on every period summary and report (nil for
// none). Call it before the first packet or record.
func (e *Engine) SetAnnotator(a Annotator) {
	e.annot = a
}

// maxPending bounds the pro-rated portions kept for periods after the open
// one (48 bytes each): past it, a portion counts in the open period.
const maxPending = 1 << 20

// portion is the part of a record's bytes that falls in a period after
// the open one, kept until that period opens.
type portion struct {
	p Packet
	n uint64
}

type pendingBucket struct{ portions []portion }

// Record counts a flow record: its bytes are spread evenly over [Start,
// End] (or over each side of its Step) across the averaging periods it
// spans (pro-rating). The part that
// falls in the open period counts at once; parts in later periods count
// when those periods open; parts in periods already closed are late: they
// are added to the late-bytes counter and returned, never to a closed
// period. Record does not move the clock: the flow source calls Advance
// with its own clock, less its grace. An engine not yet started starts at
// the record's Start. Once its working buffers are grown, Record does not
// allocate.
func (e *Engine) Record(r *Record) (late uint64) {
	if !e.started {
		e.Start(r.Start)
	}
	e.stats.Records++
	start, end := r.Start, r.End
	if end < start {
		start, end = end, start
	}
	p := Packet{Kind: KindIP, Proto: r.Proto, Src: r.Src, Dst: r.Dst, SrcPort: r.SrcPort, DstPort: r.DstPort}
	if r.Step > start && r.Step < end && r.Before <= r.Bytes {
		if r.Before > 0 {
			late = e.spread(&p, start, r.Step, r.Before)
		}
		if rest := r.Bytes - r.Before; rest > 0 {
			late += e.spread(&p, r.Step, end, rest)
		}
		return late
	}
	return e.spread(&p, start, end, r.Bytes)
}

// spread counts bytes of p carried evenly over [start, end] in the
// periods that span holds, as Record describes, and returns the late ones.
func (e *Engine) spread(p *Packet, start, end int64, bytes uint64) (late uint64) {
	p.Time = end
	if end < e.end && start >= e.start || end == start {
		// Within one period (or an instant): no spreading.
		switch {
		case end < e.start:
			return e.late(bytes)
		case end < e.end:
			e.count(p, bytes)
		default:
			e.defer1(p, e.periodOf(end), bytes)
		}
		return 0
	}
	dur := uint64(end - start)
	var done uint64 // bytes given to the periods before k
	for k := e.periodOf(start); ; k++ {
		ps := e.pbase + k*e.avg
		pe := ps + e.avg
		upto := min(pe, end)
		var n uint64
		if upto >= end {
			n = bytes - done
		} else {
			// bytes*(upto-start)/dur, without overflow
			hi, lo := bits.Mul64(bytes, uint64(upto-start))
			q, _ := bits.Div64(hi, lo, dur)
			n = q - done
		}
		done += n
		if n > 0 {
			switch {
			case pe <= e.start:
				late += e.late(n)
			case ps < e.end:
				p.Time = max(ps, start)
				e.count(p, n)
			default:
				p.Time = ps
				e.defer1(p, k, n)
			}
		}
		if upto >= end {
			return late
		}
	}
}

// periodOf returns the index of the period holding t, counted from
// pbase (the start of period 0, or of the first period after a reload
// changed the averaging period).
func (e *Engine) periodOf(t int64) int64 {
	d := t - e.pbase
	k := d / e.avg
	if d < 0 && d%e.avg != 0 {
		k--
	}
	return k
}

func (e *Engine) late(n uint64) uint64 {
	e.stats.LateBytes += n
	return n
}

// defer1 keeps n bytes of p for period k, after the open one.
func (e *Engine) defer1(p *Packet, k int64, n uint64) {
	if e.nPending >= maxPending {
		e.count(p, n)
		return
	}
	if e.pending == nil {
		e.pending = make(map[int64]*pendingBucket)
	}
	b := e.pending[k]
	if b == nil {
		if len(e.spare) > 0 {
			b = e.spare[len(e.spare)-1]
			e.spare = e.spare[:len(e.spare)-1]
		} else {
			b = new(pendingBucket)
		}
		e.pending[k] = b
	}
	b.portions = append(b.portions, portion{*p, n})
	e.nPending++
}

// applyPending counts the portions kept for the period just opened.
func (e *Engine) applyPending() {
	if len(e.pending) == 0 {
		return
	}
	k := e.periodOf(e.start)
	b := e.pending[k]
	if b == nil {
		return
	}
	e.applyBucket(k, b)
}

// applyBucket counts the portions of b, kept for period k, in the open
// period, and keeps b for reuse.
func (e *Engine) applyBucket(k int64, b *pendingBucket) {
	delete(e.pending, k)
	e.applied = true
	for i := range b.portions {
		x := &b.portions[i]
		e.count(&x.p, x.n)
	}
	e.nPending -= len(b.portions)
	clear(b.portions)
	b.portions = b.portions[:0]
	e.spare = append(e.spare, b)
}

// Pending returns the flow bytes kept for periods not yet open.
func (e *Engine) Pending() (bytes uint64) {
	for _, b := range e.pending {
		for _, x := range b.portions {
			bytes += x.n
		}
	}
	return bytes
}

// Started reports whether the engine has opened its first period.
func (e *Engine) Started() bool { return e.started }

// rebase counts every pending portion in the open period and numbers
// periods from it: a reload changed the averaging period, so the periods
// the portions were kept for are gone.
func (e *Engine) rebase() {
	for k, b := range e.pending {
		e.applyBucket(k, b)
	}
	e.pbase = e.start
}

// PeriodEnd returns the end of the averaging period holding t, Unix ns:
// the time from which a flow source may no longer count bytes of t in it
// once it advances the engine past it.
func (e *Engine) PeriodEnd(t int64) int64 {
	return e.pbase + (e.periodOf(t)+1)*e.avg
}
