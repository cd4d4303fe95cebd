//go:build cgo

package watchdog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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
//
// In a group (g not nil), e is a worker's: the kernel's counters are
// the whole group's (for the freezes), the drops its ring's. Only with
// watch does it look at the interface when idle (a group's is watched
// by readGroup).
func (l *Live) readRing(ctx context.Context, e *Engine, clock Clock, opt RunOptions, c *ringCapture, dec *Decoder, g *groupCapture, watch bool) error {
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
			if g == nil {
				dropped = l.addDrops(c, e, dropped)
			} else {
				dropped = l.addGroupDrops(c, g, e, dropped)
			}
			now := clock.Now()
			e.Advance(now.UnixNano())
			if err != nil && watch {
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

// groupCapture is a fanout group of AF_PACKET rings (afpacket.OpenGroup),
// one per worker of a Group.
type groupCapture struct {
	rings []*ringCapture
}

// openGroup opens the interface of o through a group of o.Workers rings,
// each of RingSize bytes, with the filter compiled as for one ring.
func openGroup(o *LiveOptions) (*groupCapture, error) {
	var prog []afpacket.Instruction
	if o.Filter != "" {
		var err error
		if prog, err = compileFor(o); err != nil {
			return nil, err
		}
	}
	rs, err := afpacket.OpenGroup(afpacket.Config{
		Interface: o.Interface, RingSize: o.RingSize, Snaplen: o.Snaplen,
		Promisc: o.Promisc, Filter: prog, Timeout: o.Tick,
	}, o.Workers)
	if err != nil {
		return nil, err
	}
	c := &groupCapture{}
	for _, r := range rs {
		c.rings = append(c.rings, &ringCapture{r: r})
	}
	return c, nil
}

func (c *groupCapture) linkType() LinkType            { return LinkTypeEthernet }
func (c *groupCapture) lostReason(cause error) string { return cause.Error() }

// stop stops every ring's reader.
func (c *groupCapture) stop() {
	for _, r := range c.rings {
		r.stop()
	}
}

// close closes every ring: their readers have returned.
func (c *groupCapture) close() {
	for _, r := range c.rings {
		r.close()
	}
}

// drops sums the rings' counters.
func (c *groupCapture) drops() (dropped, freezes uint64) {
	for _, r := range c.rings {
		d, f := r.drops()
		dropped += d
		freezes += f
	}
	return dropped, freezes
}

// String says "AF_PACKET TPACKET_V3 ring, 64 MiB, 2 workers" (a ring of
// 64 MiB each).
func (c *groupCapture) String() string {
	return fmt.Sprintf("%s, %d workers", c.rings[0].String(), len(c.rings))
}

// readGroup reads each ring of c into its worker of g, on a goroutine of
// its own, until ctx is done or l closed (returning nil), or a ring
// fails, the interface gone (returning its error, with every worker
// stopped: the group is rebuilt).
func (l *Live) readGroup(ctx context.Context, g *Group, clock Clock, opt RunOptions, c *groupCapture) error {
	opt.Trace = lockTrace(opt.Trace)
	errs := make([]error, len(c.rings))
	var wg sync.WaitGroup
	for i, r := range c.rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.Done(i)
			dec, err := NewDecoder(LinkTypeEthernet)
			if err == nil {
				err = l.readRing(ctx, g.Worker(i), clock, opt, r, dec, c, false)
			}
			if err != nil {
				errs[i] = err
				c.stop() // the others stop too: the group is rebuilt
			}
		}()
	}
	// The interface is watched from here, Run's goroutine (in the
	// network namespace Run was called in), while the workers read.
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	state := l.newLinkWatch()
	tick := time.NewTicker(l.opt.Tick)
	defer tick.Stop()
	for watching := true; watching; {
		select {
		case <-tick.C:
			state.check(clock.Now())
		case <-done:
			watching = false
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
