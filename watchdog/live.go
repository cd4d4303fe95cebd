//go:build cgo

package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/pcap"

	"ipband/watchdog/afpacket"
)

// LiveOptions configure a live capture.
type LiveOptions struct {
	Interface string // "" means libpcap's default device
	Promisc   bool
	Filter    string // BPF expression, compiled by libpcap
	Snaplen   int    // bytes kept per frame; 0 means DefaultSnaplen
	// Reader chooses how frames are read: ReaderAuto (""), ReaderAFPacket
	// or ReaderLibpcap (see OpenLive).
	Reader string
	// RingSize is the size in bytes of the AF_PACKET ring (of each, with
	// workers), or of libpcap's buffer; 0 means DefaultRingSize.
	RingSize int
	// Workers, above 1, reads through that many AF_PACKET rings in one
	// fanout group, each counted by a worker of a Group (see Group); it
	// needs the ring.
	Workers int
	// Tick is how often an idle link closes periods from the clock; 0
	// means 250ms.
	Tick time.Duration
	// ReopenMin is the first wait before reopening a capture whose
	// interface went away, doubling after each failed try up to
	// ReopenMax; 0 means 1 s and 30 s.
	ReopenMin, ReopenMax time.Duration
	// Logf, when not nil, gets one line when the capture is lost, one
	// when it is back, and one when the interface goes down and up
	// again.
	Logf func(format string, args ...any)
}

// Live is a live capture on one interface, through an AF_PACKET ring
// (package afpacket) or libpcap; it is the only part of ipband that
// captures. When the interface disappears (a PPP or VPN link that goes
// away), Run reopens it by name and goes on; Close may be called at any
// time, from any goroutine.
type Live struct {
	opt  LiveOptions // Interface resolved, zero values replaced by defaults
	done chan struct{}

	mu       sync.Mutex // guards the following fields
	h        capture    // nil while the interface is gone
	linkType LinkType
	reader   string
	closed   bool
	running  bool // Run reads h: Close stops it, and Run closes h

	// Owned by Run: when the capture last came back, and the wait before
	// the try that brought it back, so that a link that keeps failing
	// right after it is reopened goes on with a growing wait.
	backAt   time.Time
	lastWait time.Duration

	stop atomic.Bool // set when Run's context ends (LiveSource): look at it now

	freezes       atomic.Uint64 // ring freezes, in all the openings so far
	freezesBefore uint64        // those of the openings before the current one (Run's)
}

// Readers of a live capture (LiveOptions.Reader).
const (
	// ReaderAuto reads through an AF_PACKET ring where one can be made
	// (an Ethernet-framed interface on Linux), else through libpcap.
	ReaderAuto = "auto"
	// ReaderAFPacket reads through an AF_PACKET ring, or fails.
	ReaderAFPacket = "afpacket"
	// ReaderLibpcap reads through libpcap.
	ReaderLibpcap = "libpcap"
)

// DefaultRingSize is the default size of the kernel's capture buffer:
// the AF_PACKET ring, or libpcap's buffer.
const DefaultRingSize = afpacket.DefaultRingSize

// OpenLive opens and activates a capture, through the reader o names.
// Errors name the interface; a capture refused for lack of privilege says
// what it needs.
func OpenLive(o LiveOptions) (*Live, error) {
	if o.Interface == "" {
		dev, err := DefaultDevice()
		if err != nil {
			return nil, err
		}
		o.Interface = dev
	}
	if o.Snaplen <= 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.RingSize <= 0 {
		o.RingSize = DefaultRingSize
	}
	switch o.Reader {
	case "":
		o.Reader = ReaderAuto
	case ReaderAuto, ReaderAFPacket, ReaderLibpcap:
	default:
		return nil, fmt.Errorf("interface %s: unknown reader %q", o.Interface, o.Reader)
	}
	if o.Tick <= 0 {
		o.Tick = 250 * time.Millisecond
	}
	if o.ReopenMin <= 0 {
		o.ReopenMin = time.Second
	}
	if o.ReopenMax < o.ReopenMin {
		o.ReopenMax = max(30*time.Second, o.ReopenMin)
	}
	h, err := openCapture(&o)
	if err != nil {
		return nil, err
	}
	return &Live{opt: o, done: make(chan struct{}), h: h, linkType: h.linkType(), reader: h.String()}, nil
}

// capture is one opening of the interface: a libpcap handle or an
// AF_PACKET ring. Its methods are never called per frame: Run reads each
// kind in a loop of its own.
type capture interface {
	linkType() LinkType
	drops() (dropped, freezes uint64) // the kernel's counters since it was opened
	stop()                            // makes a reader return soon; from any goroutine
	close()                           // releases it; no reader may be in it
	lostReason(cause error) string
	String() string // the reader, for -d 1 and the exit summary
}

// openCapture opens the interface of o through its reader. ReaderAuto
// tries a ring, and falls back to libpcap for an interface the ring
// cannot capture on (not Ethernet framed, or no device: "any"), and when
// it is refused for lack of privilege, for libpcap's word on it.
func openCapture(o *LiveOptions) (capture, error) {
	if o.Workers > 1 {
		if o.Reader == ReaderLibpcap {
			return nil, fmt.Errorf("interface %s: %d %w, not libpcap", o.Interface, o.Workers, ErrWorkersNeedRing)
		}
		c, err := openGroup(o)
		switch {
		case err == nil:
			return c, nil
		case errors.Is(err, os.ErrPermission):
			return nil, &PermissionError{Interface: o.Interface, Err: err}
		case errors.Is(err, afpacket.ErrUnsupported):
			return nil, fmt.Errorf("interface %s: %d %w, which this interface has not: %w", o.Interface, o.Workers, ErrWorkersNeedRing, err)
		}
		return nil, fmt.Errorf("interface %s: %w", o.Interface, err)
	}
	if o.Reader == ReaderLibpcap {
		return openHandle(o)
	}
	c, err := openRing(o)
	switch {
	case err == nil:
		return c, nil
	case o.Reader == ReaderAuto && (errors.Is(err, afpacket.ErrUnsupported) || errors.Is(err, os.ErrPermission)):
		return openHandle(o)
	case errors.Is(err, os.ErrPermission):
		return nil, &PermissionError{Interface: o.Interface, Err: err}
	}
	return nil, fmt.Errorf("interface %s: %w", o.Interface, err)
}

// pcapCapture is a libpcap handle.
type pcapCapture struct {
	h    *pcap.Handle
	size int
}

func (c *pcapCapture) linkType() LinkType { return handleLinkType(c.h) }
func (c *pcapCapture) stop()              { c.h.Close() }
func (c *pcapCapture) close()             { c.h.Close() }

func (c *pcapCapture) drops() (uint64, uint64) {
	st, err := c.h.Stats()
	if err != nil {
		return 0, 0
	}
	return uint64(st.PacketsDropped) + uint64(st.PacketsIfDropped), 0
}

func (c *pcapCapture) lostReason(cause error) string {
	if perr := c.h.Error(); perr != nil && perr.Error() != "" {
		return perr.Error()
	}
	return cause.Error()
}

// String says "libpcap, 64 MiB buffer".
func (c *pcapCapture) String() string { return "libpcap, " + mib(c.size) + " buffer" }

// mib says a size in MiB, or KiB under 1 MiB.
func mib(n int) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// openHandle opens the interface of o through libpcap, with a buffer of
// RingSize bytes.
func openHandle(o *LiveOptions) (*pcapCapture, error) {
	h, err := activate(o, o.RingSize)
	if err != nil {
		return nil, err
	}
	if o.Filter != "" {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, &FilterError{Expr: o.Filter, Err: err}
		}
	}
	return &pcapCapture{h: h, size: o.RingSize}, nil
}

// activate opens the interface of o through libpcap with a buffer of
// size bytes.
func activate(o *LiveOptions, size int) (*pcap.Handle, error) {
	dev := o.Interface
	in, err := pcap.NewInactiveHandle(dev)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	defer in.CleanUp()
	for _, err := range []error{in.SetSnapLen(o.Snaplen), in.SetPromisc(o.Promisc), in.SetTimeout(o.Tick), in.SetBufferSize(size)} {
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", dev, err)
		}
	}
	h, err := in.Activate()
	if err != nil {
		if isPermission(err) {
			return nil, &PermissionError{Interface: dev, Err: err}
		}
		if names, ok := unknownDevice(dev); ok {
			return nil, &NoDeviceError{Interface: dev, Devices: names}
		}
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	return h, nil
}

// unknownDevice reports whether libpcap lists no device named dev, and
// the names of those it lists. A failed listing says nothing: ok is false.
func unknownDevice(dev string) (names []string, ok bool) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, false
	}
	for _, d := range devs {
		if d.Name == dev {
			return nil, false
		}
		names = append(names, d.Name)
	}
	return names, true
}

// pcapErrorPermDenied is libpcap's PCAP_ERROR_PERM_DENIED.
const pcapErrorPermDenied = -8

// isPermission reports whether err is libpcap's "permission denied"
// activation status, which gopacket returns as an unexported int type
// holding the status.
func isPermission(err error) bool {
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Int && v.Int() == pcapErrorPermDenied
}

// handleLinkType returns the link type of h. gopacket's LinkType is a
// uint8, which turns LINUX_SLL2 (276) into 20, a value no interface uses:
// map it back.
func handleLinkType(h *pcap.Handle) LinkType {
	lt := LinkType(h.LinkType())
	if lt == LinkTypeLinuxSLL2&0xff {
		return LinkTypeLinuxSLL2
	}
	return lt
}

// LinkType returns the interface's link type, as of its last opening.
func (l *Live) LinkType() LinkType {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.linkType
}

// Freezes returns how many times an AF_PACKET ring filled up and froze
// until a block was given back, as of the last look at the kernel's
// counters (every idle read and every 16384 frames); 0 with libpcap.
func (l *Live) Freezes() uint64 { return l.freezes.Load() }

// Reader names the reader of the capture, as of its last opening:
// "AF_PACKET TPACKET_V3 ring, 64 MiB" or "libpcap, 64 MiB buffer".
func (l *Live) Reader() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reader
}

// Close ends the capture; Run returns, and the capture is released once
// its reader is out of it. Close is idempotent.
func (l *Live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	close(l.done)
	if l.h == nil {
		return
	}
	if l.running {
		l.h.stop() // Run releases it when it returns
		return
	}
	l.h.close()
	l.h = nil
}

// begin marks Run as reading, and returns the capture, or nil when l is
// closed.
func (l *Live) begin() capture {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.h == nil {
		return nil
	}
	l.running = true
	return l.h
}

// end marks Run as done, and releases the capture if l was closed
// meanwhile.
func (l *Live) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = false
	if l.closed && l.h != nil {
		l.h.close()
		l.h = nil
	}
}

// Run captures until ctx is done or l is closed, feeding e. Every read
// timeout (an idle link) it advances e to the clock's time, so periods
// close on time with no traffic; kernel drops are added to the open
// period's counters. When the interface goes away Run reopens it (see
// reopen), closing periods from the clock meanwhile; it returns an error
// only when the capture cannot be reopened at all.
func (l *Live) Run(ctx context.Context, e *Engine, clock Clock, opt RunOptions) error {
	h := l.begin()
	if h == nil {
		return nil // closed
	}
	defer l.end()
	dec, err := NewDecoder(h.linkType())
	if err != nil {
		return err
	}
	e.Start(clock.Now().UnixNano())
	for {
		// Each reader has a loop of its own, so that no frame goes
		// through an interface call.
		switch c := h.(type) {
		case *pcapCapture:
			err = l.readPcap(ctx, e, clock, opt, c, dec)
		case *ringCapture:
			err = l.readRing(ctx, e, clock, opt, c, dec, nil, true)
		case *groupCapture:
			if e.group == nil {
				if _, err := NewGroup(e, len(c.rings)); err != nil {
					return err
				}
			}
			e.group.restart()
			err = l.readGroup(ctx, e.group, clock, opt, c)
		}
		if err == nil {
			return nil // closed, or ctx done
		}
		l.freezesBefore = l.freezes.Load()
		h, dec, err = l.reopen(ctx, e, clock, h, err)
		if h == nil {
			return err
		}
	}
}

// readPcap reads frames from libpcap into e until ctx is done or l closed
// (returning nil), or the capture fails (returning its error).
func (l *Live) readPcap(ctx context.Context, e *Engine, clock Clock, opt RunOptions, c *pcapCapture, dec *Decoder) error {
	var (
		p       Packet
		tr      tracer
		dropped uint64
		n       int
		state   = l.newLinkWatch()
	)
	for {
		data, ci, err := c.h.ZeroCopyReadPacketData()
		switch {
		case err == nil:
		case errors.Is(err, pcap.NextErrorTimeoutExpired):
		case errors.Is(err, io.EOF), errors.Is(err, pcap.NextErrorNoMorePackets):
			return nil // closed
		default:
			if ctx.Err() != nil || l.isClosed() {
				return nil
			}
			return err
		}
		// Packets move the clock themselves; the wall clock is read only on
		// an idle read timeout and every ctxEvery frames.
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
		p.Time, p.Len = ci.Timestamp.UnixNano(), uint32(ci.Length)
		dec.Decode(data, &p)
		if opt.Trace != nil {
			tr.trace(opt.Trace, &p)
		}
		e.PacketFrame(&p, data)
	}
}

// isClosed reports whether Close was called.
func (l *Live) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// swap makes h the open capture, closing the one before (Run's, which it
// no longer reads); it returns false, closing h, when l was closed
// meanwhile.
func (l *Live) swap(h capture) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		l.h.close()
	}
	l.h = h
	if l.closed {
		if h != nil {
			h.close()
		}
		l.h = nil
		return false
	}
	if h != nil {
		l.linkType, l.reader = h.linkType(), h.String()
	}
	return true
}

// logf logs through the options' Logf, if any.
func (l *Live) logf(format string, args ...any) {
	if l.opt.Logf != nil {
		l.opt.Logf(format, args...)
	}
}

// reopen handles a capture whose read failed with cause (on Linux,
// "The interface disappeared"): it logs that once, closes lost, and opens
// the interface again by name, waiting ReopenMin, doubling up to
// ReopenMax, between tries, while every Tick it advances e to the clock's
// time so that periods keep closing with zero traffic. It logs once when
// the capture is back and returns the new handle and its decoder. It
// returns a nil handle when ctx is done or l closed (with a nil error), or
// when reopening cannot work: libpcap refuses it for lack of privilege
// (the capabilities were given up, --user) while the interface is there
// again; then a supervisor restarting ipband gets the capture back.
func (l *Live) reopen(ctx context.Context, e *Engine, clock Clock, lost capture, cause error) (capture, *Decoder, error) {
	dev := l.opt.Interface
	why := lost.lostReason(cause)
	l.logf("interface %s: capture lost: %s; reopening it", dev, why)
	if !l.swap(nil) {
		return nil, nil, nil
	}
	start := clock.Now()
	tick := time.NewTicker(l.opt.Tick)
	defer tick.Stop()
	wait := l.opt.ReopenMin
	if !l.backAt.IsZero() && start.Sub(l.backAt) < l.opt.ReopenMax {
		wait = min(2*l.lastWait, l.opt.ReopenMax) // lost again soon after it came back
	}
	retry := time.NewTimer(wait)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil, nil
		case <-l.done:
			return nil, nil, nil
		case <-tick.C:
			e.Advance(clock.Now().UnixNano())
			continue
		case <-retry.C:
		}
		h, dec, err := l.tryOpen()
		if err == nil {
			if !l.swap(h) {
				return nil, nil, nil
			}
			now := clock.Now()
			e.Advance(now.UnixNano())
			l.backAt, l.lastWait = now, wait
			l.logf("interface %s: capture back after %s", dev, now.Sub(start).Round(time.Second))
			return h, dec, nil
		}
		var perm *PermissionError
		if errors.As(err, &perm) && interfaceExists(dev) {
			return nil, nil, fmt.Errorf("capture: interface %s lost and cannot be reopened: %w", dev, err)
		}
		wait = min(2*wait, l.opt.ReopenMax)
		retry.Reset(wait)
	}
}

// tryOpen opens the interface again with a decoder for its link type.
func (l *Live) tryOpen() (capture, *Decoder, error) {
	h, err := openCapture(&l.opt)
	if err != nil {
		return nil, nil, err
	}
	dec, err := NewDecoder(h.linkType())
	if err != nil {
		h.close()
		return nil, nil, err
	}
	return h, dec, nil
}

// interfaceExists reports whether the system has an interface called
// name.
func interfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// linkWatch notices, on idle reads, an interface taken down and brought up
// again while its capture stays open (libpcap reports no error then, and
// packets flow again when it is up), and logs each change once.
type linkWatch struct {
	l    *Live
	on   bool      // the interface is a network interface whose flags can be read
	down bool      // it was down at the last look
	last time.Time // clock time of the last look
}

// linkCheckEvery is how often an idle capture looks at its interface.
const linkCheckEvery = time.Second

// newLinkWatch starts watching l's interface: the first look logs it if
// it is down.
func (l *Live) newLinkWatch() linkWatch {
	_, err := net.InterfaceByName(l.opt.Interface)
	return linkWatch{l: l, on: err == nil}
}

// check looks at the interface at most every linkCheckEvery.
func (w *linkWatch) check(now time.Time) {
	if !w.on || now.Sub(w.last) < linkCheckEvery {
		return
	}
	w.last = now
	ifi, err := net.InterfaceByName(w.l.opt.Interface)
	if err != nil {
		return // gone: the next read fails and Run reopens it
	}
	switch down := ifi.Flags&net.FlagUp == 0; {
	case down && !w.down:
		w.l.logf("interface %s: down; capture goes on when it is up", w.l.opt.Interface)
		w.down = true
	case !down && w.down:
		w.l.logf("interface %s: up again", w.l.opt.Interface)
		w.down = false
	}
}

// addDrops adds the drops the kernel reports for h since the last look,
// and keeps its count of ring freezes.
func (l *Live) addDrops(h capture, e *Engine, seen uint64) uint64 {
	total, freezes := h.drops()
	if freezes > 0 {
		l.freezes.Store(l.freezesBefore + freezes)
	}
	if total <= seen { // none, or the counters could not be read
		return seen
	}
	e.AddDropped(total - seen)
	return total
}

// addGroupDrops adds the drops the kernel reports for ring c of group g
// since the last look to e, c's worker, and keeps the group's count of
// ring freezes.
func (l *Live) addGroupDrops(c *ringCapture, g *groupCapture, e *Engine, seen uint64) uint64 {
	total, _ := c.drops()
	if _, freezes := g.drops(); freezes > 0 {
		l.freezes.Store(l.freezesBefore + freezes)
	}
	if total <= seen {
		return seen
	}
	e.AddDropped(total - seen)
	return total
}

// stopSoon makes Run look at its context at the next frame.
func (l *Live) stopSoon() { l.stop.Store(true) }
