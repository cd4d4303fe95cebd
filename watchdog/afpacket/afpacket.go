package afpacket

import (
	"errors"
	"time"
)

// DefaultRingSize is the ring's size when Config.RingSize is 0: at about
// 1 Mpps of small frames a 64 MiB ring absorbed every burst measured,
// where an 8 MiB one dropped up to 8% (see BENCHMARKS.md).
const DefaultRingSize = 64 << 20

// MinRingSize is the smallest ring Open makes: two blocks of one page.
const MinRingSize = 2 * 4096

// maxBlockSize is the largest block: bigger blocks save nothing per frame
// and wait longer to fill on a quiet link.
const maxBlockSize = 1 << 20

var (
	// ErrUnsupported is matched (errors.Is) by Open's error for a name
	// that is no network device, or a device whose frames are not
	// Ethernet framed.
	ErrUnsupported = errors.New("afpacket: no ring for this interface")
	// ErrTimeout is returned by Next when no frame came within the
	// configured timeout.
	ErrTimeout = errors.New("afpacket: timeout")
	// ErrStopped is returned by Next once Stop was called.
	ErrStopped = errors.New("afpacket: stopped")
	// ErrGone is wrapped by Next's error when the interface went away.
	ErrGone = errors.New("afpacket: the interface disappeared")
)

// Instruction is one instruction of a classic BPF program, laid out as
// the kernel's struct sock_filter.
type Instruction struct {
	Code   uint16
	Jt, Jf uint8
	K      uint32
}

// Config describes a ring. The zero value of each field but Interface
// means its default.
type Config struct {
	Interface string
	// RingSize is the ring's size in bytes, rounded down to whole blocks;
	// 0 means DefaultRingSize, and less than MinRingSize means
	// MinRingSize.
	RingSize int
	// Snaplen is the most bytes of each frame copied into the ring when
	// Filter is nil (a filter's return value says it otherwise); 0 means
	// 65535.
	Snaplen int
	// Promisc puts the interface in promiscuous mode while the ring is
	// open.
	Promisc bool
	// Filter, when not nil, is attached to the socket before it sees a
	// frame. It returns how many bytes of a frame to keep, 0 to drop it.
	Filter []Instruction
	// Timeout is how long Next waits for a frame before it returns
	// ErrTimeout, and how long the kernel leaves a block that is not full
	// before handing it over; 0 means 250ms.
	Timeout time.Duration
}

// Frame is one frame handed out by Next. Data aliases the ring: it is
// valid until the next call to Next.
type Frame struct {
	Time int64  // when the kernel received it, in ns since the epoch
	Len  uint32 // its length on the wire, VLAN tag included
	Data []byte // its captured bytes, VLAN tag restored
}

// Stats are the kernel's counters for a ring, accumulated since it was
// opened.
type Stats struct {
	Packets uint64 // frames the filter passed, including those dropped
	Drops   uint64 // frames lost because the ring was full
	Freezes uint64 // times the ring filled up and froze until a block was freed
}

// unsupportedError is an interface Open cannot make a ring for, and why.
type unsupportedError struct{ reason string }

func (e *unsupportedError) Error() string        { return e.reason }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }
