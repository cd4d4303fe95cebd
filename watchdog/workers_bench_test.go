//go:build cgo && linux

package watchdog_test

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/pcap"

	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/afpacket"
	"ipband/watchdog/vethtest"
)

// drainConfig is the engine of the drain benchmarks: dynamic /24s, no
// period ends while a batch is read.
func drainConfig() watchdog.Config {
	return watchdog.Config{
		Average: time.Hour, Report: time.Hour, MaxConns: 1000,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1e9, MaxDynamic: 16384},
	}
}

// drainFrames returns the frames the drain benchmarks send, 4096
// conversations both ways, all of one length.
func drainFrames() [][]byte {
	var fs [][]byte
	for i := range 4096 {
		a := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		h := uint32(i) * 2654435761
		b := netip.AddrFrom4([4]byte{10, 2, byte(h >> 24), byte(h >> 16)})
		fs = append(fs, udpFrame(a, b, uint16(1024+i), 53, 0), udpFrame(b, a, 53, uint16(1024+i), 0))
	}
	return fs
}

// BenchmarkDrain times how fast ipband empties a full capture buffer:
// with the readers paused, a packet socket on the far end of a veth pair
// fills it (the timer stopped), then the readers decode and count every
// frame into the engine. veth does the kernel's work on the sender's
// core, so this is the rate a reader that fell behind catches up at,
// which a live rate on this machine cannot show. libpcap and afpacket
// are one reader and the engine on one core; workers-2 is a fanout group
// of two rings, each read into its worker of a Group on a goroutine of
// its own.
func BenchmarkDrain(b *testing.B) {
	frames := drainFrames()
	size := uint32(len(frames[0]))
	const batch = 100000
	for _, bc := range []struct {
		name    string
		workers int // 0: libpcap
	}{{"libpcap", 0}, {"afpacket", 1}, {"workers-2", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			p := vethtest.New(b, "d")
			raw := p.RawFromB()
			e, err := watchdog.New(drainConfig(), &recorder{})
			if err != nil {
				b.Fatal(err)
			}
			var (
				h     *pcap.Handle
				rings []*afpacket.Ring
			)
			err = p.InA(func() error {
				var err error
				switch bc.workers {
				case 0:
					in, err := pcap.NewInactiveHandle(p.DevA)
					if err != nil {
						return err
					}
					defer in.CleanUp()
					for _, err := range []error{in.SetSnapLen(watchdog.DefaultSnaplen), in.SetTimeout(10 * time.Millisecond), in.SetBufferSize(watchdog.DefaultRingSize)} {
						if err != nil {
							return err
						}
					}
					h, err = in.Activate()
					return err
				case 1:
					var r *afpacket.Ring
					r, err = afpacket.Open(afpacket.Config{Interface: p.DevA, Snaplen: watchdog.DefaultSnaplen, Timeout: 10 * time.Millisecond})
					rings = []*afpacket.Ring{r}
				default:
					rings, err = afpacket.OpenGroup(afpacket.Config{Interface: p.DevA, Snaplen: watchdog.DefaultSnaplen, Timeout: 10 * time.Millisecond}, bc.workers)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if h != nil {
					h.Close()
				}
				for _, r := range rings {
					r.Close()
				}
			}()
			var g *watchdog.Group
			engines := []*watchdog.Engine{e}
			if bc.workers > 1 {
				if g, err = watchdog.NewGroup(e, bc.workers); err != nil {
					b.Fatal(err)
				}
				g.Start(time.Now().UnixNano()) // no worker stops before the hour is up
				engines = engines[:0]
				for i := range bc.workers {
					engines = append(engines, g.Worker(i))
				}
				defer func() {
					for i := range bc.workers {
						g.Done(i)
					}
				}()
			}
			decs := make([]*watchdog.Decoder, len(engines))
			for i := range decs {
				if decs[i], err = watchdog.NewDecoder(watchdog.LinkTypeEthernet); err != nil {
					b.Fatal(err)
				}
			}
			// Each frame's worker, by the fanout program's hash.
			shard := make([]int, len(frames))
			var pk watchdog.Packet
			for i, f := range frames {
				decs[0].Decode(f, &pk)
				shard[i] = watchdog.PairShard(&pk, len(engines))
			}
			// read reads want frames of the batch into worker w; it gives
			// up after 50 ms with no frame, returning how many it missed
			// (lost on the way: veth drops what comes faster than the
			// receiving softirq takes it on a loaded machine).
			read := func(w, want int) (int, error) {
				var (
					p    watchdog.Packet
					f    afpacket.Frame
					idle int
				)
				dec, e := decs[w], engines[w]
				for got := 0; got < want; {
					if h != nil {
						data, ci, err := h.ZeroCopyReadPacketData()
						if errors.Is(err, pcap.NextErrorTimeoutExpired) {
							if idle++; idle > 5 {
								return want - got, nil
							}
							continue
						}
						if err != nil {
							return 0, err
						}
						if uint32(ci.Length) != size {
							continue
						}
						p.Time, p.Len = ci.Timestamp.UnixNano(), uint32(ci.Length)
						dec.Decode(data, &p)
						e.PacketFrame(&p, data)
						got++
						continue
					}
					if err := rings[w].Next(&f); err != nil {
						if errors.Is(err, afpacket.ErrTimeout) {
							if idle++; idle > 5 {
								return want - got, nil
							}
							continue
						}
						return 0, err
					}
					if f.Len != size {
						continue
					}
					p.Time, p.Len = f.Time, f.Len
					dec.Decode(f.Data, &p)
					e.PacketFrame(&p, f.Data)
					got++
				}
				return 0, nil
			}
			b.ReportAllocs()
			b.ResetTimer()
			var next, lost int
			for left := b.N; left > 0; {
				b.StopTimer()
				n := min(left, batch)
				want := make([]int, len(engines))
				for range n {
					if err := raw.Send(frames[next], 1); err != nil {
						b.Fatal(err)
					}
					want[shard[next]]++
					next = (next + 1) % len(frames)
				}
				time.Sleep(30 * time.Millisecond) // the last block retired
				b.StartTimer()
				var wg sync.WaitGroup
				errs := make([]error, len(engines))
				missed := make([]int, len(engines))
				for w := range engines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						missed[w], errs[w] = read(w, want[w])
					}()
				}
				wg.Wait()
				for w, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
					lost += missed[w]
				}
				left -= n
			}
			b.StopTimer()
			if lost > b.N/1000 {
				b.Fatalf("%d of %d frames never came", lost, b.N)
			}
			b.ReportMetric(float64(lost), "lost")
			var drops uint64
			for _, r := range rings {
				st, _ := r.Stats()
				drops += st.Drops
			}
			if h != nil {
				st, _ := h.Stats()
				drops += uint64(st.PacketsDropped)
			}
			if drops > 0 {
				b.Fatalf("%d frames dropped: the buffer is too small for a batch", drops)
			}
		})
	}
}
