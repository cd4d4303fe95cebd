//go:build !cgo

package watchdog

import (
	"context"
	"errors"
	"time"
)

// ErrNoLibpcap is returned by live capture and BPF filters in a build
// without cgo, which cannot use libpcap.
var ErrNoLibpcap = errors.New("watchdog: built without libpcap (cgo disabled): live capture and filters are unavailable")

// LiveOptions configure a live capture.
type LiveOptions struct {
	Interface string
	Promisc   bool
	Filter    string
	Snaplen   int
	Reader    string
	RingSize  int
	Workers   int
	Tick      time.Duration

	ReopenMin, ReopenMax time.Duration
	Logf                 func(format string, args ...any)
}

// Readers of a live capture, as in a build with libpcap.
const (
	ReaderAuto     = "auto"
	ReaderAFPacket = "afpacket"
	ReaderLibpcap  = "libpcap"
)

// DefaultRingSize is the default size of the kernel's capture buffer.
const DefaultRingSize = 64 << 20

// Live is unavailable without libpcap.
type Live struct{}

// OpenLive returns ErrNoLibpcap.
func OpenLive(LiveOptions) (*Live, error) { return nil, ErrNoLibpcap }

// LinkType returns 0.
func (*Live) LinkType() LinkType { return 0 }

// Reader returns "".
func (*Live) Reader() string { return "" }

// Freezes returns 0.
func (*Live) Freezes() uint64 { return 0 }

// Close does nothing.
func (*Live) Close() {}

// Run returns ErrNoLibpcap.
func (*Live) Run(context.Context, *Engine, Clock, RunOptions) error { return ErrNoLibpcap }

func (*Live) stopSoon() {}
