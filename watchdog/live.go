//go:build cgo

package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// LiveOptions configure a live capture.
type LiveOptions struct {
	Interface string // "" means libpcap's default device
	Promisc   bool
	Filter    string // BPF expression, compiled by libpcap
	Snaplen   int    // bytes kept per frame; 0 means DefaultSnaplen
	// Tick is how often an idle link closes periods from the clock; 0
	// means 250ms.
	Tick time.Duration
}

// DefaultSnaplen keeps enough of each frame for the deepest headers the
// decoder reads (stacked VLAN tags and a chain of IPv6 extension headers).
const DefaultSnaplen = 512

// Live is a live capture on one interface through libpcap. It is the only
// part of ipband that talks to libpcap for capture.
type Live struct {
	h *pcap.Handle
}

// OpenLive opens and activates a capture. Errors name the interface.
func OpenLive(o LiveOptions) (*Live, error) {
	dev := o.Interface
	if dev == "" {
		devs, err := pcap.FindAllDevs()
		if err != nil || len(devs) == 0 {
			return nil, fmt.Errorf("no capture interface found: %v", err)
		}
		dev = devs[0].Name
	}
	in, err := pcap.NewInactiveHandle(dev)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	defer in.CleanUp()
	snap := o.Snaplen
	if snap <= 0 {
		snap = DefaultSnaplen
	}
	tick := o.Tick
	if tick <= 0 {
		tick = 250 * time.Millisecond
	}
	for _, err := range []error{in.SetSnapLen(snap), in.SetPromisc(o.Promisc), in.SetTimeout(tick), in.SetBufferSize(8 << 20)} {
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", dev, err)
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	if o.Filter != "" {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("filter %q: %w", o.Filter, err)
		}
	}
	return &Live{h: h}, nil
}

// LinkType returns the interface's link type. gopacket's LinkType is a
// uint8, which turns LINUX_SLL2 (276) into 20, a value no interface uses:
// map it back.
func (l *Live) LinkType() int {
	lt := int(l.h.LinkType())
	if lt == int(LinkTypeLinuxSLL2)&0xff {
		return int(LinkTypeLinuxSLL2)
	}
	return lt
}

// Close ends the capture.
func (l *Live) Close() { l.h.Close() }

// Run captures until ctx is done, feeding e. Every read timeout (an idle
// link) it advances e to the clock's time, so periods close on time with
// no traffic; kernel drops are added to the open period's counters.
func (l *Live) Run(ctx context.Context, e *Engine, clock Clock, opt RunOptions) error {
	dec, err := NewDecoder(l.LinkType())
	if err != nil {
		return err
	}
	e.Start(clock.Now().UnixNano())
	var (
		p       Packet
		tr      tracer
		dropped uint64
		n       int
	)
	for {
		data, ci, err := l.h.ZeroCopyReadPacketData()
		switch {
		case err == nil:
		case errors.Is(err, pcap.NextErrorTimeoutExpired):
		case errors.Is(err, io.EOF), errors.Is(err, pcap.NextErrorNoMorePackets):
			return nil
		default:
			return fmt.Errorf("capture: %w", err)
		}
		// Packets move the clock themselves; the wall clock is read only on
		// an idle read timeout and every ctxEvery frames.
		if err != nil || n%ctxEvery == 0 {
			if ctx.Err() != nil {
				return nil
			}
			dropped = l.addDrops(e, dropped)
			e.Advance(clock.Now().UnixNano())
		}
		if err != nil {
			continue
		}
		n++
		p.Time, p.Len = ci.Timestamp.UnixNano(), uint32(ci.Length)
		dec.Decode(data, &p)
		if opt.Trace != nil {
			tr.trace(opt.Trace, &p)
		}
		e.PacketFrame(&p, data)
	}
}

// addDrops adds the drops libpcap reports since the last look.
func (l *Live) addDrops(e *Engine, seen uint64) uint64 {
	st, err := l.h.Stats()
	if err != nil {
		return seen
	}
	total := uint64(st.PacketsDropped) + uint64(st.PacketsIfDropped)
	if total > seen {
		e.AddDropped(total - seen)
	}
	return total
}

// BPF is a compiled filter for offline replay, run by libpcap.
type BPF struct {
	bpf *pcap.BPF
	ci  gopacket.CaptureInfo
}

// CompileBPF compiles expr for frames of linkType with snaplen.
func CompileBPF(expr string, linkType, snaplen int) (*BPF, error) {
	if snaplen <= 0 {
		snaplen = MaxRecord
	}
	b, err := pcap.NewBPF(layers.LinkType(linkType), snaplen, expr)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	return &BPF{bpf: b}, nil
}

// Match reports whether the filter accepts the frame.
func (b *BPF) Match(data []byte, length uint32) bool {
	b.ci.CaptureLength, b.ci.Length = len(data), int(length)
	return b.bpf.Matches(b.ci, data)
}

var _ Filter = (*BPF)(nil)
