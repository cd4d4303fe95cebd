package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"ipband/watchdog/pcapfile"
)

// Filter decides whether a captured frame is seen at all, like a BPF
// filter in the kernel: a frame it rejects neither counts nor moves the
// clock.
type Filter interface {
	Match(data []byte, length uint32) bool
}

// Clock tells the time to a live engine with an idle link.
type Clock interface {
	Now() time.Time
}

// RunOptions are the optional parts of a capture loop.
type RunOptions struct {
	// Filter, when not nil, drops the frames it does not match (offline
	// replay; live capture filters in the kernel).
	Filter Filter
	// Trace, when not nil, gets one line per frame (-d 3).
	Trace io.Writer
	// Speed paces a replay: 1 is the pace of the capture, 2 twice as
	// fast; 0 is as fast as the file reads. While it waits for a record
	// the engine's clock moves, so that periods close and snapshots are
	// served on time, as in live capture.
	Speed float64
	// Clock is the wall clock a paced replay follows; nil means
	// SystemClock.
	Clock Clock

	// shard of shards: a worker of a group that replays the whole file
	// counts only the frames the fanout program would hand it
	// (PairShard); shards 0 or 1 counts every frame.
	shard, shards int
}

// ctxEvery is how many frames a loop handles between looks at its context.
const ctxEvery = 1 << 14

// Replay feeds every record of f to e through a decoder for f's link type,
// until the end of the file, an error, or ctx is done. At the end of the
// file the open, partial period is left open: it is not evaluated. An
// error from the file comes back as a *pcapfile.Error after every record before
// it was counted, so every report it fired has been delivered.
func Replay(ctx context.Context, f *pcapfile.Reader, e *Engine, opt RunOptions) error {
	if f.LinkType() < 0 { // a pcapng file with no interface has no packets
		return f.Drain()
	}
	dec, err := NewDecoder(f.LinkType())
	if err != nil {
		return err
	}
	var (
		rec  pcapfile.Record
		p    Packet
		tr   tracer
		pace *pacer
	)
	if opt.Speed > 0 {
		pace = newPacer(opt.Speed, opt.Clock)
	}
	for n := 0; ; n++ {
		if n%ctxEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := f.Next(&rec); err != nil {
			if errors.Is(err, io.EOF) {
				if n > 0 {
					e.last = p.Time
				}
				return nil
			}
			return err
		}
		// A record with no captured byte is malformed: counted, never
		// filtered.
		if len(rec.Data) == 0 {
			rec.Malformed = true
		} else if opt.Filter != nil && !opt.Filter.Match(rec.Data, rec.Len) {
			continue
		}
		p.Time, p.Len = rec.Time, rec.Len
		dec.Decode(rec.Data, &p)
		if rec.Malformed {
			p.Kind = KindMalformed
		}
		if opt.shards > 1 && PairShard(&p, opt.shards) != opt.shard {
			continue
		}
		if opt.Trace != nil {
			tr.trace(opt.Trace, &p)
		}
		if pace != nil {
			if err := pace.wait(ctx, e, p.Time); err != nil {
				return err
			}
		}
		e.PacketFrame(&p, rec.Data)
	}
}

// paceStep is the longest a paced replay sleeps before it moves the
// engine's clock: snapshots are served within it.
const paceStep = 250 * time.Millisecond

// pacer holds a replay to the pace of its capture, times a speed.
type pacer struct {
	speed  float64
	clock  Clock
	wall0  time.Time // the wall time of the first record
	t0     int64     // the first record's time, Unix ns
	timer  *time.Timer
	primed bool
}

func newPacer(speed float64, clock Clock) *pacer {
	if clock == nil {
		clock = SystemClock{}
	}
	return &pacer{speed: speed, clock: clock}
}

// wait returns when the record of time t is due, moving e's clock on the
// way, or with ctx's error when ctx ends first.
func (pc *pacer) wait(ctx context.Context, e *Engine, t int64) error {
	if !pc.primed {
		pc.primed, pc.wall0, pc.t0 = true, pc.clock.Now(), t
		return nil
	}
	due := pc.wall0.Add(time.Duration(float64(t-pc.t0) / pc.speed))
	for {
		now := pc.clock.Now()
		left := due.Sub(now)
		if left <= 0 {
			return nil
		}
		if pc.timer == nil {
			pc.timer = time.NewTimer(min(left, paceStep))
		} else {
			pc.timer.Reset(min(left, paceStep))
		}
		select {
		case <-ctx.Done():
			pc.timer.Stop()
			return ctx.Err()
		case <-pc.timer.C:
		}
		virtual := pc.t0 + int64(float64(pc.clock.Now().Sub(pc.wall0))*pc.speed)
		e.Advance(min(virtual, t-1)) // periods ending before t close on time
	}
}

// tracer writes -d 3 lines with a reused buffer.
type tracer struct{ buf []byte }

// trace writes one line for p: time, length, protocol, addresses and
// ports, or the kind of a frame that is not counted.
func (t *tracer) trace(w io.Writer, p *Packet) {
	b := t.buf[:0]
	b = time.Unix(0, p.Time).AppendFormat(b, "15:04:05.000000")
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(p.Len), 10)
	switch p.Kind {
	case KindIP:
		b = append(b, " proto "...)
		b = strconv.AppendUint(b, uint64(p.Proto), 10)
		b = append(b, ' ')
		b = appendAddrPort(b, p.Src, p.SrcPort)
		b = append(b, " > "...)
		b = appendAddrPort(b, p.Dst, p.DstPort)
		if p.Flags&FlagFragment != 0 {
			b = append(b, " fragment"...)
		}
		if p.Flags&FlagTruncated != 0 {
			b = append(b, " truncated"...)
		}
	case KindMalformed:
		b = append(b, " malformed"...)
	default:
		b = append(b, " not IP"...)
	}
	b = append(b, '\n')
	t.buf = b
	w.Write(b) //nolint:errcheck // a debug trace must not stop capture
}

// appendAddrPort appends addr:port, with IPv6 addresses in brackets.
func appendAddrPort(b []byte, a netip.Addr, port uint16) []byte {
	return netip.AddrPortFrom(a, port).AppendTo(b)
}

// LenAdjError reports a -J adjustment that would take away more than the
// link-layer header.
type LenAdjError struct {
	LenAdj, HeaderLen int
	LinkType          LinkType
}

func (e *LenAdjError) Error() string {
	return fmt.Sprintf("length adjustment %d exceeds the %d-byte link header of link type %d (%s)",
		e.LenAdj, e.HeaderLen, int(e.LinkType), e.LinkType.Name())
}

// CheckLenAdj returns an error when linkType is not supported, or when a
// negative length adjustment is larger than its link-layer header (a
// *LenAdjError). A negative linkType (a capture file with no interface)
// passes.
func CheckLenAdj(lenAdj int, linkType LinkType) error {
	if linkType < 0 {
		return nil
	}
	dec, err := NewDecoder(linkType)
	if err != nil {
		return err
	}
	if lenAdj < 0 && -lenAdj > dec.HeaderLen() {
		return &LenAdjError{LenAdj: lenAdj, HeaderLen: dec.HeaderLen(), LinkType: linkType}
	}
	return nil
}
