package flow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// maxDatagram is the largest UDP payload a listener reads.
const maxDatagram = 65535

// RecvBuffer is the receive buffer asked of the kernel for each listener
// (SO_RCVBUF), for bursts of export datagrams: a router exports many at
// once when its active timeout ends for many flows.
const RecvBuffer = 8 << 20

// soRxqOvfl is SO_RXQ_OVFL (Linux): each datagram then carries the
// socket's count of datagrams the kernel dropped for a full buffer.
const soRxqOvfl = 40

// ListenSource is the live flow source: UDP listeners, each accepting
// every format. It is a watchdog.Source: its Run feeds the engine with
// records on the calling goroutine, judging each period a grace after its
// end by the clock.
type ListenSource struct {
	conns []*net.UDPConn
	addrs []string
	col   *Collector
	clock watchdog.Clock
	once  sync.Once
}

// Listen opens a UDP listener on each address ([ADDR]:PORT). A nil clock
// means the system clock.
func Listen(addrs []string, col *Collector, clock watchdog.Clock) (*ListenSource, error) {
	if clock == nil {
		clock = watchdog.SystemClock{}
	}
	s := &ListenSource{col: col, clock: clock}
	for _, a := range addrs {
		ua, err := net.ResolveUDPAddr("udp", a)
		if err != nil {
			s.Close() //nolint:errcheck // the address's error is the one to tell
			return nil, fmt.Errorf("flow listener %s: %w", a, err)
		}
		c, err := net.ListenUDP("udp", ua)
		if err != nil {
			s.Close() //nolint:errcheck // the listen error is the one to tell
			return nil, fmt.Errorf("flow listener %s: %w", a, err)
		}
		c.SetReadBuffer(RecvBuffer) //nolint:errcheck // the kernel caps it at net.core.rmem_max
		if rc, err := c.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { //nolint:errcheck // drops then go uncounted
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soRxqOvfl, 1) //nolint:errcheck // as above
			})
		}
		s.conns = append(s.conns, c)
		s.addrs = append(s.addrs, c.LocalAddr().String())
	}
	return s, nil
}

// Addrs returns the addresses listened on, with the ports the kernel chose
// for port 0.
func (s *ListenSource) Addrs() []string { return s.addrs }

// Collector returns the source's collector.
func (s *ListenSource) Collector() *Collector { return s.col }

// LinkType is NoLinkType: a flow source has no link layer.
func (s *ListenSource) LinkType() watchdog.LinkType { return pcapfile.NoLinkType }

// String describes the source for -d 1.
func (s *ListenSource) String() string {
	return "flow listeners " + strings.Join(s.addrs, ", ")
}

// Close closes the listeners.
func (s *ListenSource) Close() error {
	s.once.Do(func() {
		for _, c := range s.conns {
			c.Close() //nolint:errcheck // nothing to flush
		}
	})
	return nil
}

// datagram is one received datagram, passed from a reader goroutine to Run.
type datagram struct {
	buf  [maxDatagram]byte
	n    int
	from netip.AddrPort
	at   int64
	drop uint32 // the socket's drop counter, when the kernel sent it
	hasD bool
	conn int
}

// Run receives datagrams until ctx is done, decoding and counting them on
// this goroutine, each at the clock's time when it was received; after a
// second without any, the clock alone moves the periods on.
// When ctx is done it closes the periods that ended by the clock, grace
// or not, and returns nil.
func (s *ListenSource) Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions) error {
	s.col.SetTrace(opt.Trace)
	const nbuf = 64
	free := make(chan *datagram, nbuf)
	full := make(chan *datagram, nbuf)
	for range nbuf {
		free <- new(datagram)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(s.conns))
	for i, c := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.read(ctx, i, c, free, full)
		}()
	}
	stop := context.AfterFunc(ctx, func() {
		for _, c := range s.conns {
			c.SetReadDeadline(time.Now()) //nolint:errcheck // a closed conn ends its reader too
		}
	})
	defer stop()
	// The engine starts at the first record's start, as in replay, so that
	// a recorded export replays to the periods it gave live.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	busy := false // a datagram came since the last tick
	drops := make([]uint32, len(s.conns))
	var err error
loop:
	for {
		select {
		case d := <-full:
			if d.hasD {
				if delta := d.drop - drops[d.conn]; delta > 0 {
					e.AddDropped(uint64(delta))
				}
				drops[d.conn] = d.drop
			}
			s.col.Datagram(e, d.from, d.at, d.buf[:d.n])
			free <- d
			busy = true
		case <-tick.C:
			// Datagrams move the clock themselves; the clock is read
			// only after a second without any.
			if !busy {
				s.col.Advance(e, s.clock.Now().UnixNano())
			}
			busy = false
		case err = <-errs:
			if err != nil {
				break loop
			}
		case <-ctx.Done():
			break loop
		}
	}
	cancel()
	wg.Wait()
	for {
		select {
		case d := <-full:
			s.col.Datagram(e, d.from, d.at, d.buf[:d.n])
			continue
		default:
		}
		break
	}
	s.col.Stop(e, s.clock.Now().UnixNano())
	if ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	return err
}

// read receives datagrams on c into free buffers until ctx is done.
func (s *ListenSource) read(ctx context.Context, i int, c *net.UDPConn, free, full chan *datagram) error {
	oob := make([]byte, 64)
	for {
		var d *datagram
		select {
		case d = <-free:
		case <-ctx.Done():
			return nil
		}
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(d.buf[:], oob)
		if err != nil {
			free <- d
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("flow listener %s: %w", c.LocalAddr(), err)
		}
		d.n, d.from, d.at, d.conn = n, from, s.clock.Now().UnixNano(), i
		d.drop, d.hasD = rxqOverflow(oob[:oobn])
		select {
		case full <- d:
		case <-ctx.Done():
			return nil
		}
	}
}

// rxqOverflow returns the SO_RXQ_OVFL counter from a datagram's control
// messages (struct cmsghdr: a length, a level and a type, then the data).
func rxqOverflow(oob []byte) (uint32, bool) {
	for len(oob) >= 16+4 {
		l := int(binary.NativeEndian.Uint64(oob))
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if l < 16 || l > len(oob) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == soRxqOvfl && l >= 20 {
			return binary.NativeEndian.Uint32(oob[16:]), true
		}
		oob = oob[(l+7)&^7:]
	}
	return 0, false
}

// FileSource replays a capture of export datagrams (tcpdump on a
// collector): the UDP datagrams to the given ports are decoded as if
// received at their capture times.
type FileSource struct {
	r     *pcapfile.Reader
	path  string
	ports []uint16
	col   *Collector
}

// OpenFile opens the capture at path, to replay the datagrams sent to
// ports.
func OpenFile(path string, ports []uint16, col *Collector) (*FileSource, error) {
	r, err := pcapfile.Open(path)
	if err != nil {
		return nil, err
	}
	return &FileSource{r: r, path: path, ports: ports, col: col}, nil
}

// Collector returns the source's collector.
func (s *FileSource) Collector() *Collector { return s.col }

// LinkType is NoLinkType: records have no link layer.
func (s *FileSource) LinkType() watchdog.LinkType { return pcapfile.NoLinkType }

// String describes the source for -d 1.
func (s *FileSource) String() string {
	var p []string
	for _, x := range s.ports {
		p = append(p, fmt.Sprint(x))
	}
	return fmt.Sprintf("flow exports in file %s, UDP port %s", s.path, strings.Join(p, ", "))
}

// Close closes the file; closing it again does nothing.
func (s *FileSource) Close() error { return s.r.Close() }

// Run replays the file into e; at its end it closes every period that ends
// by the latest time seen.
func (s *FileSource) Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions) error {
	s.col.SetTrace(opt.Trace)
	link := s.r.LinkType()
	var rec pcapfile.Record
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil
		}
		if err := s.r.Next(&rec); err != nil {
			if errors.Is(err, io.EOF) {
				s.col.Finish(e)
				return nil
			}
			return err
		}
		from, port, payload, ok := udpOf(link, rec.Data)
		if !ok || !s.wants(port) {
			continue
		}
		s.col.Datagram(e, from, rec.Time, payload)
	}
}

func (s *FileSource) wants(port uint16) bool {
	for _, p := range s.ports {
		if p == port {
			return true
		}
	}
	return false
}

// udpOf finds the UDP datagram in a captured frame: its source, its
// destination port and its payload. Fragments and other packets are not
// datagrams.
func udpOf(link pcapfile.LinkType, b []byte) (netip.AddrPort, uint16, []byte, bool) {
	var et uint16
	switch link {
	case watchdog.LinkTypeEthernet:
		if len(b) < 14 {
			return netip.AddrPort{}, 0, nil, false
		}
		et, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for (et == 0x8100 || et == 0x88a8) && len(b) >= 4 {
			et, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case watchdog.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return netip.AddrPort{}, 0, nil, false
		}
		et, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case watchdog.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return netip.AddrPort{}, 0, nil, false
		}
		et, b = binary.BigEndian.Uint16(b), b[20:]
	case watchdog.LinkTypeNull, watchdog.LinkTypeLoop:
		if len(b) < 4 {
			return netip.AddrPort{}, 0, nil, false
		}
		b = b[4:]
	case watchdog.LinkTypeRaw, watchdog.LinkTypeRaw12, watchdog.LinkTypeRaw14, watchdog.LinkTypeIPv4, watchdog.LinkTypeIPv6:
	default:
		return netip.AddrPort{}, 0, nil, false
	}
	if len(b) < 1 {
		return netip.AddrPort{}, 0, nil, false
	}
	var src netip.Addr
	switch {
	case b[0]>>4 == 4 && (et == 0 || et == 0x0800):
		if len(b) < 20 {
			return netip.AddrPort{}, 0, nil, false
		}
		ihl := int(b[0]&0xf) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if b[9] != 17 || ihl < 20 || total < ihl || total > len(b) || binary.BigEndian.Uint16(b[6:])&0x3fff != 0 {
			return netip.AddrPort{}, 0, nil, false
		}
		src = netip.AddrFrom4([4]byte(b[12:16]))
		b = b[ihl:total]
	case b[0]>>4 == 6 && (et == 0 || et == 0x86dd):
		if len(b) < 40 || b[6] != 17 {
			return netip.AddrPort{}, 0, nil, false
		}
		pl := int(binary.BigEndian.Uint16(b[4:]))
		if 40+pl > len(b) {
			return netip.AddrPort{}, 0, nil, false
		}
		src = netip.AddrFrom16([16]byte(b[8:24]))
		b = b[40 : 40+pl]
	default:
		return netip.AddrPort{}, 0, nil, false
	}
	if len(b) < 8 {
		return netip.AddrPort{}, 0, nil, false
	}
	ul := int(binary.BigEndian.Uint16(b[4:]))
	if ul < 8 || ul > len(b) {
		return netip.AddrPort{}, 0, nil, false
	}
	return netip.AddrPortFrom(src, binary.BigEndian.Uint16(b)), binary.BigEndian.Uint16(b[2:]), b[8:ul], true
}

var (
	_ watchdog.Source = (*ListenSource)(nil)
	_ watchdog.Source = (*FileSource)(nil)
)
