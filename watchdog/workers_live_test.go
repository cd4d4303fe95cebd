//go:build cgo && linux

package watchdog_test

import (
	"context"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/vethtest"
)

// udpFrame builds a broadcast Ethernet frame from vethtest.SrcMAC
// carrying an IPv4 UDP datagram from src:sport to dst:dport with 64
// bytes of payload; with frag > 0 a later fragment of it (offset
// frag*8, no UDP header, no ports).
func udpFrame(src, dst netip.Addr, sport, dport, frag uint16) []byte {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	b = append(b, vethtest.SrcMAC[:]...)
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	body := make([]byte, 64)
	if frag == 0 {
		udp := binary.BigEndian.AppendUint16(nil, sport)
		udp = binary.BigEndian.AppendUint16(udp, dport)
		udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(body)))
		body = append(append(udp, 0, 0), body...)
	}
	ip := []byte{0x45, 0, 0, 0, 0, 7, 0, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(body)))
	binary.BigEndian.PutUint16(ip[6:], 0x2000|frag) // more fragments
	ip = append(ip, src.AsSlice()...)
	ip = append(ip, dst.AsSlice()...)
	return append(append(b, ip...), body...)
}

// TestLiveWorkers captures a veth pair with 2 workers: 4096
// conversations, each a datagram's first fragment both ways and a later
// fragment of it: every one of their frames on the worker of its address
// pair (each connection in one worker's table only, with the bytes of
// both directions and of the later fragment, which the decoder gives its
// datagram's ports only when it saw the first), every worker with some,
// and the engine's counts those sent.
func TestLiveWorkers(t *testing.T) {
	const flows, workers = 4096, 2
	p := vethtest.New(t, "w")
	left, right := netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.0/16")
	rec := newSyncRecorder()
	e, err := watchdog.New(watchdog.Config{
		Average: time.Second, Report: time.Hour, MaxConns: 100000, MaxConnsTotal: 1 << 20,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1e6, Preload: []subnet.Preload{
			{Prefix: left, Threshold: 0.001}, {Prefix: right, Threshold: 1e6}}},
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opened := make(chan *watchdog.Live, 1)
	done := make(chan error, 1)
	go func() {
		done <- p.InA(func() error {
			l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: p.DevA, Reader: watchdog.ReaderAFPacket,
				Filter: "udp", Workers: workers, Tick: 50 * time.Millisecond})
			if err != nil {
				return err
			}
			opened <- l
			defer l.Close()
			return l.Run(ctx, e, sysClock{}, watchdog.RunOptions{})
		})
	}()
	select {
	case l := <-opened:
		if !strings.HasSuffix(l.Reader(), ", 2 workers") {
			t.Errorf("reader %q does not name 2 workers", l.Reader())
		}
	case err := <-done:
		t.Fatalf("open: %v", err)
	}
	raw := p.RawFromB()
	sum := func(ps []report.Period, pfx netip.Prefix) (bytes uint64, logging bool) {
		for _, per := range ps {
			for _, ln := range per.Lines {
				if ln.Subnet == pfx {
					bytes += ln.Bytes
					logging = ln.Logging
				}
			}
		}
		return bytes, logging
	}
	// One frame puts 10.1.0.0/16 in detail logging at the end of its
	// period.
	a0, b0 := netip.MustParseAddr("10.1.255.1"), netip.MustParseAddr("10.2.255.1")
	warm := udpFrame(a0, b0, 1, 2, 0)
	if err := raw.Send(warm, 1); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "detail logging", func(ps []report.Period, _ []report.Report) bool {
		_, on := sum(ps, left)
		return on
	})
	want := uint64(len(warm))
	wantConns := map[string]uint64{}
	for i := range flows {
		a := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		h := uint32(i) * 2654435761
		b := netip.AddrFrom4([4]byte{10, 2, byte(h >> 24), byte(h >> 16)})
		sport, dport := uint16(1024+i), uint16(53)
		there, back, frag := udpFrame(a, b, sport, dport, 0), udpFrame(b, a, dport, sport, 0), udpFrame(a, b, 0, 0, 100)
		for _, f := range [][]byte{there, back, frag} {
			if err := raw.Send(f, 1); err != nil {
				t.Fatal(err)
			}
			want += uint64(len(f))
		}
		// The decoder gives a later fragment its datagram's ports when
		// its cache of first fragments still has them, else it is a
		// connection of its own: either way of the pair.
		wantConns[a.String()+" "+b.String()] = uint64(len(there) + len(back) + len(frag))
	}
	rec.waitFor(t, 20*time.Second, "every frame counted", func(ps []report.Period, _ []report.Report) bool {
		l, _ := sum(ps, left)
		r, _ := sum(ps, right)
		return l >= want && r >= want
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	l, _ := sum(rec.periods, left)
	r, _ := sum(rec.periods, right)
	rec.mu.Unlock()
	if l != want || r != want {
		t.Errorf("counted %d bytes in %s and %d in %s, sent %d", l, left, r, right, want)
	}
	if st := e.Stats(); st.Dropped != 0 {
		t.Errorf("%d frames dropped", st.Dropped)
	}
	per := watchdog.WorkerConns(e, left)
	if len(per) != workers {
		t.Fatalf("%d workers' tables, want %d", len(per), workers)
	}
	seen := map[string]int{}   // address pair: its worker
	got := map[string]uint64{} // address pair: its bytes
	for w, conns := range per {
		if len(conns) == 0 {
			t.Errorf("worker %d counted no connection", w)
		}
		for k, n := range conns { // "lo:port hi:port proto"
			f := strings.Fields(k)
			pair := f[0][:strings.LastIndexByte(f[0], ':')] + " " + f[1][:strings.LastIndexByte(f[1], ':')]
			if _, ok := wantConns[pair]; !ok {
				continue // the warm-up's
			}
			if prev, ok := seen[pair]; ok && prev != w {
				t.Errorf("%s on workers %d and %d", pair, prev, w)
			}
			seen[pair] = w
			got[pair] += n
		}
	}
	for pair, n := range wantConns {
		if got[pair] != n {
			t.Errorf("%s: %d bytes, sent %d", pair, got[pair], n)
		}
	}
}
