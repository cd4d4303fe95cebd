//go:build cgo && linux

package watchdog_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/vethtest"
)

// gatedRecorder is a syncRecorder whose first Period blocks until open
// is closed: the capture goroutine stops reading meanwhile, as behind a
// slow engine.
type gatedRecorder struct {
	*syncRecorder
	once    sync.Once
	entered chan struct{}
	open    chan struct{}
}

func (g *gatedRecorder) Period(p *report.Period) {
	g.once.Do(func() {
		close(g.entered)
		<-g.open
	})
	g.syncRecorder.Period(p)
}

// runOnA runs a live capture of end A of p through reader, with filter,
// into a new engine with 1-second periods, until stop is called; stop
// returns the engine and the capture, for their counters.
func runOnA(t testing.TB, p *vethtest.Pair, reader, filter string, ringSize int, rec watchdog.Output) (stop func() (*watchdog.Engine, *watchdog.Live)) {
	t.Helper()
	e, err := watchdog.New(watchdog.Config{
		Average: time.Second, Report: time.Hour, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1e6, MaxDynamic: 100},
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opened := make(chan *watchdog.Live, 1)
	done := make(chan error, 1)
	go func() {
		done <- p.InA(func() error {
			l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: p.DevA, Reader: reader, Filter: filter,
				RingSize: ringSize, Tick: 50 * time.Millisecond})
			if err != nil {
				return err
			}
			opened <- l
			defer l.Close()
			return l.Run(ctx, e, sysClock{}, watchdog.RunOptions{})
		})
	}()
	var l *watchdog.Live
	select {
	case l = <-opened:
		if want := map[string]string{watchdog.ReaderAFPacket: "AF_PACKET", watchdog.ReaderLibpcap: "libpcap"}[reader]; !strings.HasPrefix(l.Reader(), want) {
			t.Errorf("reader %q, want %s", l.Reader(), want)
		}
	case err := <-done:
		t.Fatalf("open: %v", err)
	}
	return func() (*watchdog.Engine, *watchdog.Live) {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("capture did not stop")
		}
		return e, l
	}
}

// TestLiveVLAN sends untagged and 802.1Q-tagged frames across a veth
// pair: through either reader every frame is counted, with its tag in its
// length on the wire, and both readers count the same.
func TestLiveVLAN(t *testing.T) {
	for _, reader := range readers {
		t.Run(reader, func(t *testing.T) {
			p := vethtest.New(t, "l")
			rec := newSyncRecorder()
			stop := runOnA(t, p, reader, "udp and dst port 9", 0, rec)
			raw := p.RawFromB()
			plain, tagged := p.UDPFrame("198.18.0.9", 9, 100), p.UDPFrame("198.18.0.9", 9, 100, 0x8100, 10)
			other := p.UDPFrame("198.18.0.9", 10, 100, 0x8100, 10) // filtered out
			for _, s := range []struct {
				f []byte
				n int
			}{{plain, 1000}, {tagged, 1500}, {other, 500}} {
				if err := raw.Send(s.f, s.n); err != nil {
					t.Fatal(err)
				}
			}
			want := uint64(1000*len(plain) + 1500*len(tagged))
			veth := netip.MustParsePrefix("198.18.0.0/24")
			var bytes uint64
			counted := func(ps []report.Period, _ []report.Report) bool {
				bytes = 0
				for _, per := range ps {
					for _, ln := range per.Lines {
						if ln.Subnet == veth {
							bytes += ln.Bytes
						}
					}
				}
				return bytes >= want
			}
			rec.waitFor(t, 10*time.Second, "every byte in closed periods", counted)
			e, _ := stop()
			counted(rec.periods, nil)
			if st := e.Stats(); st.IP != 2500 || st.Packets != 2500 || st.Dropped != 0 || bytes != want {
				t.Errorf("counted %d bytes, stats %+v; want %d bytes in 2500 IP packets, none dropped", bytes, st, want)
			}
		})
	}
}

// TestLiveDrops stops the reader (behind an engine busy in its first
// period) while frames fill a small ring: the kernel drops what does not
// fit, and the frames counted and the drops reported are every frame
// sent.
func TestLiveDrops(t *testing.T) {
	for _, reader := range readers {
		t.Run(reader, func(t *testing.T) {
			p := vethtest.New(t, "k")
			rec := &gatedRecorder{syncRecorder: newSyncRecorder(), entered: make(chan struct{}), open: make(chan struct{})}
			stop := runOnA(t, p, reader, "udp and dst port 9", 64<<10, rec)
			select {
			case <-rec.entered:
			case <-time.After(10 * time.Second):
				t.Fatal("no period closed")
			}
			const sent = 5000
			if err := p.RawFromB().Send(p.UDPFrame("198.18.0.9", 9, 100), sent); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			close(rec.open)
			time.Sleep(500 * time.Millisecond)
			e, l := stop()
			st := e.Stats()
			if st.Dropped == 0 || st.IP+st.Dropped != sent {
				t.Errorf("stats %+v: want some dropped, and IP + dropped = %d", st, sent)
			}
			if reader == watchdog.ReaderAFPacket && l.Freezes() == 0 {
				t.Error("the ring filled up and froze, but no freeze counted")
			}
		})
	}
}

// TestLiveReaderChoice: auto reads an Ethernet interface through a ring,
// and "any" through libpcap; a ring forced on "any" fails, naming it; an
// unknown reader is an error.
func TestLiveReaderChoice(t *testing.T) {
	for _, tt := range []struct {
		iface, reader, want string
	}{
		{"lo", "", "AF_PACKET TPACKET_V3 ring, 64 MiB"},
		{"lo", watchdog.ReaderAuto, "AF_PACKET TPACKET_V3 ring, 64 MiB"},
		{"any", watchdog.ReaderAuto, "libpcap, 64 MiB buffer"},
		{"lo", watchdog.ReaderLibpcap, "libpcap, 64 MiB buffer"},
	} {
		l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: tt.iface, Reader: tt.reader})
		if err != nil {
			t.Fatalf("%s %q: %v", tt.iface, tt.reader, err)
		}
		if got := l.Reader(); got != tt.want {
			t.Errorf("%s %q: reader %q, want %q", tt.iface, tt.reader, got, tt.want)
		}
		l.Close()
	}
	for _, tt := range []struct{ iface, reader, want string }{
		{"any", watchdog.ReaderAFPacket, "any"},
		{"lo", "ring", `unknown reader "ring"`},
	} {
		if _, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: tt.iface, Reader: tt.reader}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: %v, want an error naming %s", tt.iface, tt.reader, err, tt.want)
		}
	}
	// A filter libpcap refuses is a FilterError through either reader.
	for _, reader := range readers {
		_, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: "lo", Reader: reader, Filter: "udp and and"})
		if fe := (*watchdog.FilterError)(nil); !errors.As(err, &fe) {
			t.Errorf("%s: bad filter gave %v, want a FilterError", reader, err)
		}
	}
}

// slowWriter takes 20 µs a write.
type slowWriter struct{}

func (slowWriter) Write(b []byte) (int, error) {
	time.Sleep(20 * time.Microsecond)
	return len(b), nil
}

// TestLiveCloseWhileReading closes a live capture from another goroutine
// while frames pour in, through each reader: Run returns, and the ring is
// unmapped only once its reader is out of it (a reader still in it would
// crash the test).
func TestLiveCloseWhileReading(t *testing.T) {
	for _, reader := range readers {
		t.Run(reader, func(t *testing.T) {
			p := vethtest.New(t, "c")
			e, err := watchdog.New(watchdog.Config{
				Average: time.Second, Report: time.Hour, MaxConns: 100,
				Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1e6, MaxDynamic: 100},
			}, newSyncRecorder())
			if err != nil {
				t.Fatal(err)
			}
			lives := make(chan *watchdog.Live, 1)
			done := make(chan error, 1)
			go func() {
				done <- p.InA(func() error {
					l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: p.DevA, Reader: reader, RingSize: 1 << 20, Tick: 50 * time.Millisecond})
					if err != nil {
						return err
					}
					lives <- l
					// A slow -d 3 trace keeps the reader in the middle of
					// a block of frames when Close comes.
					return l.Run(context.Background(), e, sysClock{}, watchdog.RunOptions{Trace: slowWriter{}})
				})
			}()
			var l *watchdog.Live
			select {
			case l = <-lives:
			case err := <-done:
				t.Fatalf("open: %v", err)
			}
			stop := make(chan struct{})
			sent := make(chan struct{})
			raw := p.RawFromB()
			go func() {
				defer close(sent)
				f := p.UDPFrame("198.18.0.9", 9, 100, 0x8100, 5)
				for {
					select {
					case <-stop:
						return
					default:
						raw.Send(f, 200) //nolint:errcheck // the test is about the reader
					}
				}
			}()
			time.Sleep(300 * time.Millisecond)
			l.Close()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after Close")
			}
			close(stop)
			<-sent
			l.Close() // idempotent
		})
	}
}

// BenchmarkLiveDrops floods end A of a veth pair with 64-byte frames at
// the sender's top rate, 1,000,000 an iteration, and reports the share the
// kernel dropped before the reader took them (drop-%) and the rate sent
// (sent-pps), for the old default (libpcap, 8 MiB buffer) and the new one
// (the ring, 64 MiB). On veth the sender's core also does the kernel's
// work of delivering each frame, so the rate is the sender's. Root only.
func BenchmarkLiveDrops(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("not root: no veth pair")
	}
	const frames = 1000000
	for _, c := range []struct {
		name, reader string
		size         int
	}{
		{"libpcap-8MiB", watchdog.ReaderLibpcap, 8 << 20},
		{"ring-64MiB", watchdog.ReaderAFPacket, 64 << 20},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := vethtest.New(b, "x")
			frame := p.UDPFrame("198.18.0.9", 9, 18) // 64 bytes on the wire
			raw := p.RawFromB()
			var sent, dropped float64
			var took time.Duration
			for range b.N {
				stop := runOnA(b, p, c.reader, "udp and dst port 9", c.size, newSyncRecorder())
				d, err := raw.Flood(frame, frames)
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(500 * time.Millisecond) // the reader empties its buffer
				e, _ := stop()
				st := e.Stats()
				if st.IP+st.Dropped > frames {
					b.Fatalf("stats %+v: more than the %d frames sent", st, frames)
				}
				sent += frames
				dropped += float64(st.Dropped)
				took += d
			}
			b.ReportMetric(100*dropped/sent, "drop-%")
			b.ReportMetric(sent/took.Seconds(), "sent-pps")
		})
	}
}
