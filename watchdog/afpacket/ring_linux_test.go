//go:build linux

package afpacket_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"ipband/watchdog/afpacket"
	"ipband/watchdog/vethtest"
)

// inNs runs fn on a thread of its own moved into the network namespace
// ns, and waits for it.
func inNs(ns string, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ch <- fn()
	}()
	return <-ch
}

// openRing opens a ring on end A of p, in its namespace.
func openRing(t testing.TB, p *vethtest.Pair, c afpacket.Config) *afpacket.Ring {
	t.Helper()
	c.Interface = p.DevA
	var r *afpacket.Ring
	if err := inNs(p.NsA, func() (err error) { r, err = afpacket.Open(c); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// sender sends frames from end B of p.
type sender struct {
	t   testing.TB
	raw *vethtest.Raw
}

func newSender(t testing.TB, p *vethtest.Pair) *sender { return &sender{t, p.RawFromB()} }

func (s *sender) send(t testing.TB, frame []byte, n int) {
	t.Helper()
	if err := s.raw.Send(frame, n); err != nil {
		t.Fatal(err)
	}
}

// udpFrame is vethtest's frame to 198.18.0.9, which no namespace
// answers.
func udpFrame(p *vethtest.Pair, port uint16, payload int, tags ...uint16) []byte {
	return p.UDPFrame("198.18.0.9", port, payload, tags...)
}

// udpPort9 is "udp dst port 9, not a later fragment", keeping 512 bytes,
// as tcpdump -d compiles it for an Ethernet link.
func udpPort9(t testing.TB) []afpacket.Instruction {
	t.Helper()
	raw, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: 8},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: 6},
		bpf.LoadAbsolute{Off: 20, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 4},
		bpf.LoadMemShift{Off: 14},
		bpf.LoadIndirect{Off: 16, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 9, SkipFalse: 1},
		bpf.RetConstant{Val: 512},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	prog := make([]afpacket.Instruction, len(raw))
	for i, in := range raw {
		prog[i] = afpacket.Instruction{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return prog
}

// readAll reads frames until the ring stays empty for its timeout,
// calling fn for each of the test's own frames.
func readAll(t testing.TB, r *afpacket.Ring, fn func(f *afpacket.Frame)) {
	t.Helper()
	var f afpacket.Frame
	for {
		err := r.Next(&f)
		if errors.Is(err, afpacket.ErrTimeout) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Data) >= 12 && bytes.Equal(f.Data[6:12], vethtest.SrcMAC[:]) {
			fn(&f)
		}
	}
}

// TestCounts sends frames the filter keeps and frames it drops, and
// counts in the ring exactly those it keeps, with their lengths, cut to
// the filter's 512 bytes, and the kernel's counters agree.
func TestCounts(t *testing.T) {
	p := vethtest.New(t, "r")
	r := openRing(t, p, afpacket.Config{Filter: udpPort9(t), Timeout: 50 * time.Millisecond})
	s := newSender(t, p)
	small, big, other := udpFrame(p, 9, 100), udpFrame(p, 9, 1400), udpFrame(p, 10, 100)
	s.send(t, small, 3000)
	s.send(t, other, 1000)
	s.send(t, big, 2000)
	var nSmall, nBig, nOther int
	readAll(t, r, func(f *afpacket.Frame) {
		switch {
		case f.Len == uint32(len(small)) && bytes.Equal(f.Data, small):
			nSmall++
		case f.Len == uint32(len(big)) && bytes.Equal(f.Data, big[:512]):
			nBig++
		default:
			nOther++
		}
	})
	if nSmall != 3000 || nBig != 2000 || nOther != 0 {
		t.Errorf("read %d small, %d large (cut to 512 bytes), %d other frames; want 3000, 2000, 0", nSmall, nBig, nOther)
	}
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 5000 || st.Drops != 0 {
		t.Errorf("stats %+v, want 5000 packets, no drop", st)
	}
}

// TestVLAN sends frames with 802.1Q, 802.1ad and stacked tags: the
// kernel takes the outer tag out, and Next puts it back, so that each
// frame reads as it was sent, with its length on the wire.
func TestVLAN(t *testing.T) {
	p := vethtest.New(t, "v")
	r := openRing(t, p, afpacket.Config{Timeout: 50 * time.Millisecond})
	s := newSender(t, p)
	frames := [][]byte{
		udpFrame(p, 9, 100, 0x8100, 10),
		udpFrame(p, 9, 200, 0x88a8, 0x2064),
		udpFrame(p, 9, 300, 0x88a8, 20, 0x8100, 30),
		udpFrame(p, 9, 400),
	}
	for _, f := range frames {
		s.send(t, f, 10)
	}
	got := make([]int, len(frames))
	readAll(t, r, func(f *afpacket.Frame) {
		for i, want := range frames {
			if f.Len == uint32(len(want)) && bytes.Equal(f.Data, want) {
				got[i]++
				return
			}
		}
		t.Errorf("frame of %d bytes on the wire read as % x", f.Len, f.Data)
	})
	for i, n := range got {
		if n != 10 {
			t.Errorf("frame %d (% x) read %d times, want 10", i, frames[i][12:20], n)
		}
	}
}

// TestDrops lets a small ring fill up while nobody reads it: the kernel
// drops the rest, and the frames read plus the drops counted are every
// frame sent.
func TestDrops(t *testing.T) {
	p := vethtest.New(t, "d")
	r := openRing(t, p, afpacket.Config{RingSize: 64 << 10, Filter: udpPort9(t), Timeout: 20 * time.Millisecond})
	s := newSender(t, p)
	const sent = 4000
	s.send(t, udpFrame(p, 9, 100), sent)
	time.Sleep(100 * time.Millisecond) // every block retired
	read := 0
	readAll(t, r, func(*afpacket.Frame) { read++ })
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops == 0 || st.Freezes == 0 || uint64(read)+st.Drops != sent || st.Packets != sent {
		t.Errorf("read %d, stats %+v; want some drops and freezes, read + drops = packets = %d", read, st, sent)
	}
	// Counters accumulate: read again, they are still there.
	st2, err := r.Stats()
	if err != nil || st2 != st {
		t.Errorf("stats read again: %+v, %v; want %+v", st2, err, st)
	}
}

// TestZeroAllocs reads VLAN-tagged frames with no allocation.
func TestZeroAllocs(t *testing.T) {
	p := vethtest.New(t, "z")
	r := openRing(t, p, afpacket.Config{Timeout: 20 * time.Millisecond})
	newSender(t, p).send(t, udpFrame(p, 9, 100, 0x8100, 10), 1100)
	time.Sleep(100 * time.Millisecond)
	var f afpacket.Frame
	n := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if r.Next(&f) == nil && f.Len == 146 {
			n++
		}
	})
	if allocs != 0 || n < 1000 {
		t.Errorf("%v allocations per frame over %d tagged frames, want 0 over 1000 or more", allocs, n)
	}
}

// TestStop stops a reader waiting for frames that never come, from
// another goroutine, and then closes the ring.
func TestStop(t *testing.T) {
	p := vethtest.New(t, "s")
	r := openRing(t, p, afpacket.Config{Filter: udpPort9(t), Timeout: time.Hour})
	done := make(chan error, 1)
	go func() {
		var f afpacket.Frame
		done <- r.Next(&f)
	}()
	time.Sleep(50 * time.Millisecond)
	r.Stop()
	select {
	case err := <-done:
		if !errors.Is(err, afpacket.ErrStopped) {
			t.Errorf("Next returned %v, want ErrStopped", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still waits after Stop")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.Stop() // after Close: nothing
}

// TestGone deletes the interface under a reader: Next says ErrGone.
func TestGone(t *testing.T) {
	p := vethtest.New(t, "g")
	r := openRing(t, p, afpacket.Config{Filter: udpPort9(t), Timeout: 20 * time.Millisecond})
	p.Del()
	var f afpacket.Frame
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := r.Next(&f)
		if errors.Is(err, afpacket.ErrGone) {
			return
		}
		if err != nil && !errors.Is(err, afpacket.ErrTimeout) {
			t.Fatalf("Next: %v, want ErrGone", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no ErrGone 5 s after the interface was deleted")
		}
	}
}

// TestGoneAfterDown takes the interface down and up, and deletes it while
// frames from before wait in the ring: the frames come, then ErrGone.
func TestGoneAfterDown(t *testing.T) {
	p := vethtest.New(t, "u")
	r := openRing(t, p, afpacket.Config{Timeout: 20 * time.Millisecond, Filter: udpPort9(t)})
	var f afpacket.Frame
	p.Down()
	for range 3 { // ENETDOWN, then idle
		if err := r.Next(&f); !errors.Is(err, afpacket.ErrTimeout) {
			t.Fatalf("Next on a link that is down: %v, want ErrTimeout", err)
		}
	}
	p.Up()
	newSender(t, p).send(t, udpFrame(p, 9, 100), 10)
	p.Del()
	deadline := time.Now().Add(5 * time.Second)
	frames := 0
	for time.Now().Before(deadline) {
		err := r.Next(&f)
		switch {
		case err == nil:
			frames++
		case errors.Is(err, afpacket.ErrGone):
			if frames > 10 {
				t.Errorf("%d frames, 10 sent", frames)
			}
			return
		case !errors.Is(err, afpacket.ErrTimeout):
			t.Fatal(err)
		}
	}
	t.Fatalf("no ErrGone 5 s after the interface was deleted (%d frames read)", frames)
}

// TestUnsupported: a name that is no device, and a device that is not
// Ethernet framed, are ErrUnsupported, for the caller to use libpcap.
func TestUnsupported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("packet sockets need root")
	}
	for _, name := range []string{"any", "ipband-none0"} {
		if _, err := afpacket.Open(afpacket.Config{Interface: name}); !errors.Is(err, afpacket.ErrUnsupported) {
			t.Errorf("Open(%q): %v, want ErrUnsupported", name, err)
		}
	}
}

// BenchmarkNext measures the reader alone, as a worker would empty a
// ring that filled up while it was busy: the sender fills the ring with
// the timer stopped, then the reader empties it. ns/op is per frame.
func BenchmarkNext(b *testing.B) {
	for _, bc := range []struct {
		name string
		tags []uint16
	}{{"plain", nil}, {"vlan", []uint16{0x8100, 10}}} {
		b.Run(bc.name, func(b *testing.B) {
			p := vethtest.New(b, "b")
			frame := udpFrame(p, 9, 18-2*len(bc.tags), bc.tags...)
			r := openRing(b, p, afpacket.Config{Timeout: 10 * time.Millisecond})
			s := newSender(b, p)
			var f afpacket.Frame
			b.ReportAllocs()
			b.ResetTimer()
			for left := b.N; left > 0; {
				b.StopTimer()
				n := min(left, 20000)
				s.send(b, frame, n)
				time.Sleep(30 * time.Millisecond) // the last block retired
				b.StartTimer()
				for got := 0; got < n; {
					if err := r.Next(&f); err != nil {
						b.Fatalf("after %d of %d frames: %v", got, n, err)
					}
					if f.Len == uint32(len(frame)) {
						got++
					}
				}
				left -= n
			}
		})
	}
}
