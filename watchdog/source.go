package watchdog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"ipband/watchdog/pcapfile"
)

// Source is a capture: a file to replay or a live interface. Run feeds
// every frame to an Engine on the goroutine that calls it; the engine is
// not touched by any other goroutine while Run runs.
//
// The cancel contract is the same for every Source: when ctx is done, Run
// stops after the frame it is handling and returns nil, so that what the
// engine produced so far is flushed and the command exits 0. Run returns an
// error only when the capture itself fails (a damaged file, a read error on
// the interface). At the end of a file Run returns nil too.
//
// Close releases the capture; it may be called more than once, and before
// or after Run.
type Source interface {
	Run(ctx context.Context, e *Engine, opt RunOptions) error
	LinkType() LinkType
	Close() error
	String() string
}

// DefaultSnaplen keeps enough of each frame for the deepest headers the
// decoder reads (stacked VLAN tags and a chain of IPv6 extension headers).
const DefaultSnaplen = 512

// PermissionError is a capture that libpcap refused for lack of
// privilege: opening a live capture needs root or the capabilities
// CAP_NET_RAW and CAP_NET_ADMIN.
type PermissionError struct {
	Interface string
	Err       error // libpcap's error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("interface %s: %v: capture on %s needs root or CAP_NET_RAW and CAP_NET_ADMIN (see ipband(8))",
		e.Interface, e.Err, e.Interface)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// NoDeviceError is a capture on an interface that libpcap does not list.
// Its message names the interfaces it does list, so that a mistyped name
// shows the right one.
type NoDeviceError struct {
	Interface string
	Devices   []string // the devices libpcap lists, in its order
}

func (e *NoDeviceError) Error() string {
	if len(e.Devices) == 0 {
		return fmt.Sprintf("interface %s: no such interface, and libpcap lists none", e.Interface)
	}
	return fmt.Sprintf("interface %s: no such interface; interfaces: %s", e.Interface, strings.Join(e.Devices, ", "))
}

// errNoDevice is the reason DefaultDevice (and so OpenLive) gives when
// libpcap finds no device and says nothing more.
var errNoDevice = errors.New("libpcap lists no device")

// FileSource replays a pcap or pcapng file, optionally through a BPF
// filter compiled by libpcap for the file's link type. Time comes from the
// records.
type FileSource struct {
	r       *pcapfile.Reader
	fh      *os.File
	path    string
	filter  *BPF
	speed   float64 // SetSpeed; 0 is as fast as it reads
	once    sync.Once
	workers int // 0 or 1: the engine counts every frame itself
}

// SetSpeed paces the replay: speed 1 replays the records at the pace they
// were captured, 10 ten times faster; 0, the default, as fast as the file
// reads. Call it before Run.
func (s *FileSource) SetSpeed(speed float64) { s.speed = speed }

// OpenFileSource opens the capture file at path and compiles filter (""
// for none) for its link type, so that a bad file or filter is found
// before anything runs. path may be a pipe or a FIFO (tcpdump -w - | ipband
// --read /dev/stdin): Run then stops on its context even while it waits
// for data.
func OpenFileSource(path, filter string) (*FileSource, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := pcapfile.NewReader(fh, path)
	if err != nil {
		fh.Close() //nolint:errcheck // the header's error is the one to tell
		return nil, err
	}
	s := &FileSource{r: r, fh: fh, path: path}
	if filter != "" && r.LinkType() != pcapfile.NoLinkType {
		bpf, err := CompileBPF(filter, r.LinkType(), r.Snaplen())
		if err != nil {
			s.Close() //nolint:errcheck // the filter's error is the one to tell
			return nil, err
		}
		s.filter = bpf
	}
	return s, nil
}

// Reader returns the file reader, for its counters.
func (s *FileSource) Reader() *pcapfile.Reader { return s.r }

// LinkType returns the file's link type.
func (s *FileSource) LinkType() LinkType { return s.r.LinkType() }

// String describes the source for -d 1: "file x.pcap, link type 1 (EN10MB)".
func (s *FileSource) String() string {
	return fmt.Sprintf("file %s, link type %d (%s)", s.path, int(s.LinkType()), s.LinkType().Name())
}

// Close closes the file.
func (s *FileSource) Close() error {
	var err error
	s.once.Do(func() {
		s.r.Close() //nolint:errcheck // closes nothing: the file is ours
		err = s.fh.Close()
	})
	return err
}

// SetWorkers has Run count the file with n workers (see Group), each
// reading the file for itself and counting the frames the fanout program
// of a live group would hand it: the engine's answers are those of one
// engine. A file that cannot be read more than once (a pipe) is refused.
func (s *FileSource) SetWorkers(n int) error {
	if n > 1 {
		fi, err := s.fh.Stat()
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: %d workers need a regular file to read, each for itself", s.path, n)
		}
	}
	s.workers = n
	return nil
}

// Workers returns the number of workers Run counts with.
func (s *FileSource) Workers() int { return max(1, s.workers) }

// Run replays the file into e (see Replay), with the source's filter.
func (s *FileSource) Run(ctx context.Context, e *Engine, opt RunOptions) error {
	if s.filter != nil {
		opt.Filter = s.filter
	}
	if s.speed > 0 && opt.Speed == 0 {
		opt.Speed = s.speed
	}
	if s.workers > 1 {
		return s.runGroup(ctx, e, opt)
	}
	// A read waiting on a pipe returns when ctx is done; a regular file
	// never waits, and ignores the deadline.
	stop := context.AfterFunc(ctx, func() { s.fh.SetReadDeadline(time.Now()) }) //nolint:errcheck // see above
	defer stop()
	err := Replay(ctx, s.r, e, opt)
	if ctx.Err() != nil && (errors.Is(err, ctx.Err()) || errors.Is(err, os.ErrDeadlineExceeded)) {
		return nil
	}
	return err
}

// runGroup replays the file through a group of s.workers workers, each
// with a reader of its own.
func (s *FileSource) runGroup(ctx context.Context, e *Engine, opt RunOptions) error {
	g, err := NewGroup(e, s.workers)
	if err != nil {
		return err
	}
	files := []*pcapfile.Reader{s.r}
	for range s.workers - 1 {
		fh, err := os.Open(s.path)
		if err != nil {
			return err
		}
		defer fh.Close() //nolint:errcheck // read only
		r, err := pcapfile.NewReader(fh, s.path)
		if err != nil {
			return err
		}
		defer r.Close() //nolint:errcheck // closes nothing: the file is ours
		files = append(files, r)
	}
	err = ReplayGroup(ctx, files, g, opt)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// LiveSource captures on an interface through an AF_PACKET ring or
// libpcap (see Live). An idle
// link closes its periods from Clock.
type LiveSource struct {
	l     *Live
	iface string
	clock Clock
	once  sync.Once
}

// OpenLiveSource opens and activates the capture o describes, with its
// kernel filter. A nil clock means the system clock.
func OpenLiveSource(o LiveOptions, clock Clock) (*LiveSource, error) {
	l, err := OpenLive(o)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = SystemClock{}
	}
	return &LiveSource{l: l, iface: o.Interface, clock: clock}, nil
}

// LinkType returns the interface's link type.
func (s *LiveSource) LinkType() LinkType { return s.l.LinkType() }

// String describes the source for -d 1: "interface lo, link type 1
// (EN10MB), AF_PACKET TPACKET_V3 ring, 64 MiB".
func (s *LiveSource) String() string {
	return fmt.Sprintf("interface %s, link type %d (%s), %s", s.iface, int(s.LinkType()), s.LinkType().Name(), s.Reader())
}

// Reader names the capture's reader: "AF_PACKET TPACKET_V3 ring, 64 MiB"
// or "libpcap, 64 MiB buffer".
func (s *LiveSource) Reader() string { return s.l.Reader() }

// Freezes returns how often the AF_PACKET ring froze full (see
// Live.Freezes).
func (s *LiveSource) Freezes() uint64 { return s.l.Freezes() }

// Close ends the capture.
func (s *LiveSource) Close() error {
	s.once.Do(s.l.Close)
	return nil
}

// Run captures into e until ctx is done (see Live.Run).
func (s *LiveSource) Run(ctx context.Context, e *Engine, opt RunOptions) error {
	// Under steady traffic a read never times out: the loop looks at ctx
	// at the next frame once told to.
	defer context.AfterFunc(ctx, s.l.stopSoon)()
	err := s.l.Run(ctx, e, s.clock, opt)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// SystemClock is the system's clock, for live capture only: replay takes
// its time from the records.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

var (
	_ Source = (*FileSource)(nil)
	_ Source = (*LiveSource)(nil)
)
