//go:build cgo

package watchdog

import (
	"context"
	"errors"

	"ipband/watchdog/afpacket"
)

// ringCapture is an AF_PACKET ring (package afpacket), with the filter
// libpcap compiled for it.
type ringCapture struct {
	r *afpacket.Ring
}

// openRing opens the interface of o through an AF_PACKET ring of RingSize
// bytes. The filter is compiled by libpcap on a handle of the same
// interface, so that it means what it means to libpcap there (on Linux
// the kernel takes VLAN tags out before a socket filter sees the frame,
// and libpcap compiles "vlan" for that).
func openRing(o *LiveOptions) (*ringCapture, error) {
	var prog []afpacket.Instruction
	if o.Filter != "" {
		var err error
		if prog, err = compileFor(o); err != nil {
			return nil, err
		}
	}
	r, err := afpacket.Open(afpacket.Config{
		Interface: o.Interface, RingSize: o.RingSize, Snaplen: o.Snaplen,
		Promisc: o.Promisc, Filter: prog, Timeout: o.Tick,
	})
	if err != nil {
		return nil, err
	}
	return &ringCapture{r: r}, nil
}

// compileFor compiles the filter of o as libpcap would for a capture of
// its interface, on a libpcap handle opened for that alone.
func compileFor(o *LiveOptions) ([]afpacket.Instruction, error) {
	// An interface the ring cannot read gets libpcap's own capture: do
	// not open libpcap twice for it.
	probe, err := afpacket.Open(afpacket.Config{Interface: o.Interface, RingSize: afpacket.MinRingSize, Filter: []afpacket.Instruction{{Code: 0x06}}})
	if err != nil {
		return nil, err
	}
	probe.Close() //nolint:errcheck // it never read
	h, err := activate(o, 1<<20)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	insns, err := h.CompileBPFFilter(o.Filter)
	if err != nil {
		return nil, &FilterError{Expr: o.Filter, Err: err}
	}
	prog := make([]afpacket.Instruction, len(insns))
	for i, in := range insns {
		prog[i] = afpacket.Instruction{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return prog, nil
}

func (c *ringCapture) linkType() LinkType            { return LinkTypeEthernet }
func (c *ringCapture) stop()                         { c.r.Stop() }
func (c *ringCapture) close()                        { c.r.Close() } //nolint:errcheck // it returns nil
func (c *ringCapture) lostReason(cause error) string { return cause.Error() }

func (c *ringCapture) drops() (uint64, uint64) {
	st, _ := c.r.Stats() // the last counts on an error
	return st.Drops, st.Freezes
}

// String says "AF_PACKET TPACKET_V3 ring, 64 MiB".
func (c *ringCapture) String() string { return "AF_PACKET TPACKET_V3 ring, " + mib(c.r.Size()) }

// readRing reads frames from the ring into e until ctx is done or l
// closed (returning nil), or the interface goes away (returning the
// error).
func (l *Live) readRing(ctx context.Context, e *Engine, clock Clock, opt RunOptions, c *ringCapture, dec *Decoder) error {
	var (
		f       afpacket.Frame
		p       Packet
		tr      tracer
		dropped uint64
		n       int
		state   = l.newLinkWatch()
	)
	for {
		err := c.r.Next(&f)
		switch {
		case err == nil:
		case errors.Is(err, afpacket.ErrTimeout):
		case errors.Is(err, afpacket.ErrStopped):
			return nil // closed
		default:
			if ctx.Err() != nil || l.isClosed() {
				return nil
			}
			return err
		}
		// As in readPcap: the wall clock only when idle and every
		// ctxEvery frames.
		if err != nil || n%ctxEvery == 0 || l.stop.Load() {
			if ctx.Err() != nil {
				return nil
			}
			dropped = l.addDrops(c, e, dropped)
			now := clock.Now()
			e.Advance(now.UnixNano())
			if err != nil {
				state.check(now)
			}
		}
		if err != nil {
			continue
		}
		n++
		p.Time, p.Len = f.Time, f.Len
		dec.Decode(f.Data, &p)
		if opt.Trace != nil {
			tr.trace(opt.Trace, &p)
		}
		e.PacketFrame(&p, f.Data)
	}
}
