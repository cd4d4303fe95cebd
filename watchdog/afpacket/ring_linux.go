//go:build linux

package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in a block of the ring: a tpacket_block_desc whose header is a
// tpacket_hdr_v1.
const (
	blockStatus     = 8  // bh1.block_status
	blockNumPkts    = 12 // bh1.num_pkts
	blockFirstFrame = 16 // bh1.offset_to_first_pkt
)

// hdrLen is TPACKET3_HDRLEN: the frame header and the sockaddr_ll after
// it; the kernel puts the frame's link header after them, and
// PACKET_RESERVE more bytes before it, where a VLAN tag is put back.
const hdrLen = (int(unsafe.Sizeof(unix.Tpacket3Hdr{}))+15)&^15 + int(unsafe.Sizeof(unix.RawSockaddrLinklayer{}))

// vlanLen is the length of a VLAN tag, and macLen that of the two MAC
// addresses before it.
const (
	vlanLen = 4
	macLen  = 12
)

// Ring is a TPACKET_V3 capture on one interface. Next is for one
// goroutine; Stop and Stats for any; Close once no reader is in Next.
type Ring struct {
	fd, efd   int // the packet socket, and the eventfd that wakes a reader for Stop
	ifindex   int
	ring      []byte
	blockSize int
	nblocks   int
	timeoutMs int

	// Owned by the reader.
	block int    // the block being read, or to read next
	held  bool   // the block is the reader's: give it back before the next
	left  uint32 // frames left in the held block
	off   int    // offset in ring of the next frame
	down  bool   // the socket said ENETDOWN: look whether the device is gone
	pfd   [2]unix.PollFd

	stopped atomic.Bool

	mu     sync.Mutex // guards the following fields
	stats  Stats
	closed bool

	closeOnce sync.Once
}

// Open makes a ring on the interface c names and starts capturing. Its
// error, which does not name the interface, matches ErrUnsupported when
// the name is no device or not an Ethernet-framed one, and wraps
// unix.EPERM when the process may not capture.
func Open(c Config) (*Ring, error) {
	if c.RingSize == 0 {
		c.RingSize = DefaultRingSize
	}
	c.RingSize = max(c.RingSize, MinRingSize)
	if c.Snaplen <= 0 {
		c.Snaplen = 65535
	}
	if c.Timeout <= 0 {
		c.Timeout = 250 * time.Millisecond
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("afpacket ring: socket: %w", err)
	}
	r := &Ring{fd: fd, efd: -1, timeoutMs: max(1, int(c.Timeout/time.Millisecond))}
	if err := r.setup(&c); err != nil {
		r.release()
		return nil, fmt.Errorf("afpacket ring: %w", err)
	}
	return r, nil
}

// setup binds the socket to the device, makes and maps the ring, attaches
// the filter and then starts the capture, so that no frame the filter
// rejects ever reaches the ring.
func (r *Ring) setup(c *Config) error {
	ifr, err := unix.NewIfreq(c.Interface)
	if err != nil {
		return &unsupportedError{err.Error()}
	}
	if err := unix.IoctlIfreq(r.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return &unsupportedError{"no such device"}
		}
		return fmt.Errorf("interface index: %w", err)
	}
	r.ifindex = int(ifr.Uint32())
	// Bound with protocol 0, the socket receives nothing yet.
	if err := unix.Bind(r.fd, &unix.SockaddrLinklayer{Ifindex: r.ifindex}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	sa, err := unix.Getsockname(r.fd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	ll, _ := sa.(*unix.SockaddrLinklayer)
	if ll == nil || ll.Hatype != unix.ARPHRD_ETHER && ll.Hatype != unix.ARPHRD_LOOPBACK {
		return &unsupportedError{fmt.Sprintf("hardware type %d, not Ethernet framed", hatype(ll))}
	}
	if err := r.makeRing(c.RingSize); err != nil {
		return err
	}
	if err := r.attach(c); err != nil {
		return err
	}
	if ll.Hatype == unix.ARPHRD_LOOPBACK {
		// Every frame on lo leaves and arrives: keep it once, as libpcap does.
		if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return fmt.Errorf("PACKET_IGNORE_OUTGOING: %w", err)
		}
	}
	if c.Promisc {
		mr := unix.PacketMreq{Ifindex: int32(r.ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(r.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr); err != nil {
			return fmt.Errorf("promiscuous mode: %w", err)
		}
	}
	if r.efd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	r.pfd = [2]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.efd), Events: unix.POLLIN}}
	if err := unix.Bind(r.fd, &unix.SockaddrLinklayer{Ifindex: r.ifindex, Protocol: htons(unix.ETH_P_ALL)}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	return nil
}

// hatype returns ll's hardware type, or -1 for none.
func hatype(ll *unix.SockaddrLinklayer) int {
	if ll == nil {
		return -1
	}
	return int(ll.Hatype)
}

// makeRing asks for a TPACKET_V3 ring of size bytes (whole blocks of a
// power of two pages, at most maxBlockSize, at least two and mostly eight
// or more of them) and maps it.
func (r *Ring) makeRing(size int) error {
	page := unix.Getpagesize()
	bs := maxBlockSize
	for bs > page && bs*8 > size {
		bs /= 2
	}
	nb := max(size/bs, 2)
	for _, o := range []struct {
		name   string
		opt, v int
	}{{"PACKET_VERSION", unix.PACKET_VERSION, unix.TPACKET_V3}, {"PACKET_RESERVE", unix.PACKET_RESERVE, vlanLen}} {
		if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, o.opt, o.v); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	req := unix.TpacketReq3{
		Block_size: uint32(bs), Block_nr: uint32(nb),
		Frame_size: uint32(bs), Frame_nr: uint32(nb), // V3 packs frames as they come
		Retire_blk_tov: uint32(r.timeoutMs),
	}
	if err := unix.SetsockoptTpacketReq3(r.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("PACKET_RX_RING of %d blocks of %d bytes: %w", nb, bs, err)
	}
	ring, err := unix.Mmap(r.fd, 0, bs*nb, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap of %d bytes: %w", bs*nb, err)
	}
	r.ring, r.blockSize, r.nblocks = ring, bs, nb
	return nil
}

// attach attaches c's filter, or one that keeps Snaplen bytes of every
// frame.
func (r *Ring) attach(c *Config) error {
	prog := c.Filter
	if prog == nil {
		prog = []Instruction{{Code: 0x06, K: uint32(c.Snaplen)}} // ret #snaplen
	}
	if len(prog) == 0 || len(prog) > 4096 {
		return fmt.Errorf("filter of %d instructions", len(prog))
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp); err != nil {
		return fmt.Errorf("SO_ATTACH_FILTER: %w", err)
	}
	return nil
}

// htons returns v in network byte order, as bind wants the protocol.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Next hands out the next frame in f, waiting for one up to the timeout.
// f.Data stays valid until the next call. It returns ErrTimeout when none
// came, ErrStopped once Stop was called (at the latest at the end of the
// block being read), and an error wrapping ErrGone when the interface
// went away.
func (r *Ring) Next(f *Frame) error {
	for r.left == 0 {
		if r.held {
			// Give the block back to the kernel, then look at the next.
			atomic.StoreUint32(r.u32(r.block*r.blockSize+blockStatus), unix.TP_STATUS_KERNEL)
			r.held = false
			r.block++
			if r.block == r.nblocks {
				r.block = 0
			}
		}
		base := r.block * r.blockSize
		if atomic.LoadUint32(r.u32(base+blockStatus))&unix.TP_STATUS_USER == 0 {
			if err := r.wait(); err != nil {
				return err
			}
			continue
		}
		if r.stopped.Load() {
			return ErrStopped
		}
		r.held = true
		r.left = *r.u32(base + blockNumPkts)
		r.off = base + int(*r.u32(base + blockFirstFrame))
	}
	h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&r.ring[r.off]))
	mac, n := r.off+int(h.Mac), int(h.Snaplen)
	f.Time = int64(h.Sec)*1e9 + int64(h.Nsec)
	f.Len = h.Len
	if (h.Status&unix.TP_STATUS_VLAN_VALID != 0 || h.Hv1.Vlan_tci != 0) && n >= macLen && int(h.Mac) >= hdrLen+vlanLen {
		// The kernel took the outer tag out of the frame: put it back
		// between the MAC addresses and the EtherType, in the room
		// PACKET_RESERVE left before the frame.
		tpid := uint16(unix.ETH_P_8021Q)
		if h.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 || h.Hv1.Vlan_tpid != 0 {
			tpid = h.Hv1.Vlan_tpid
		}
		copy(r.ring[mac-vlanLen:mac-vlanLen+macLen], r.ring[mac:mac+macLen])
		mac -= vlanLen
		binary.BigEndian.PutUint16(r.ring[mac+macLen:], tpid)
		binary.BigEndian.PutUint16(r.ring[mac+macLen+2:], uint16(h.Hv1.Vlan_tci))
		n += vlanLen
		f.Len += vlanLen
	}
	f.Data = r.ring[mac : mac+n : mac+n]
	r.left--
	r.off += int(h.Next_offset)
	return nil
}

// u32 returns the 32-bit word at offset off of the ring.
func (r *Ring) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.ring[off])) }

// wait waits for the kernel to hand over a block, for Stop, or for the
// timeout. It returns nil when there may be a block to read.
func (r *Ring) wait() error {
	if r.stopped.Load() {
		return ErrStopped
	}
	r.pfd[0].Revents, r.pfd[1].Revents = 0, 0
	n, err := unix.Poll(r.pfd[:], r.timeoutMs)
	switch {
	case errors.Is(err, unix.EINTR):
		return nil
	case err != nil:
		return fmt.Errorf("afpacket: poll: %w", err)
	case r.pfd[1].Revents != 0 || r.stopped.Load():
		return ErrStopped
	case r.pfd[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0:
		return r.sockError()
	case n == 0 && r.down && r.gone():
		return ErrGone
	case n == 0:
		return ErrTimeout
	}
	return nil
}

// sockError reads the socket's pending error. ENETDOWN is the interface
// going down or away: Next then goes on while it is only down, and says
// ErrGone once it is gone. The kernel reports the removal of a device
// that was up only as its going down, and frames received before it may
// still come after that: from then on every timeout looks whether the
// device is still there.
func (r *Ring) sockError() error {
	v, err := unix.GetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("afpacket: SO_ERROR: %w", err)
	}
	switch errno := unix.Errno(v); {
	case errno == 0:
		return nil
	case errno == unix.ENETDOWN:
		r.down = true
		if r.gone() {
			return ErrGone
		}
		return ErrTimeout
	default:
		return fmt.Errorf("afpacket: %w", errno)
	}
}

// gone reports whether the device the ring is bound to no longer exists.
func (r *Ring) gone() bool {
	ifr, err := unix.NewIfreq("")
	if err != nil {
		return false
	}
	ifr.SetUint32(uint32(r.ifindex))
	return errors.Is(unix.IoctlIfreq(r.fd, unix.SIOCGIFNAME, ifr), unix.ENODEV)
}

// Stop makes Next return ErrStopped: at once if it waits, else at the end
// of the block it reads. It may be called from any goroutine, more than
// once.
func (r *Ring) Stop() {
	r.stopped.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed && r.efd >= 0 {
		var one [8]byte
		one[0] = 1                // host order; the value only has to be non-zero
		unix.Write(r.efd, one[:]) //nolint:errcheck // a full counter wakes the reader as well
	}
}

// Stats returns the kernel's counters, accumulated since the ring was
// opened (the kernel resets them each time they are read). After Close it
// returns the last ones.
func (r *Ring) Stats() (Stats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.stats, nil
	}
	st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return r.stats, fmt.Errorf("afpacket: PACKET_STATISTICS: %w", err)
	}
	r.stats.Packets += uint64(st.Packets)
	r.stats.Drops += uint64(st.Drops)
	r.stats.Freezes += uint64(st.Freeze_q_cnt)
	return r.stats, nil
}

// Size returns the ring's size in bytes.
func (r *Ring) Size() int { return r.blockSize * r.nblocks }

// Close takes the last counters, unmaps the ring and closes the socket.
// No reader may be in Next, or use a frame it returned, when Close is
// called: stop it with Stop first, and close from its goroutine once Next
// returned, or after it ended. Close is idempotent.
func (r *Ring) Close() error {
	r.closeOnce.Do(func() {
		r.stopped.Store(true)
		r.Stats() //nolint:errcheck // the last counts, if the kernel gives them
		r.release()
	})
	return nil
}

// release unmaps the ring and closes the descriptors.
func (r *Ring) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.ring != nil {
		unix.Munmap(r.ring) //nolint:errcheck // nothing to do about it
		r.ring = nil
	}
	for _, fd := range []*int{&r.fd, &r.efd} {
		if *fd >= 0 {
			unix.Close(*fd) //nolint:errcheck // nothing to do about it
			*fd = -1
		}
	}
}
