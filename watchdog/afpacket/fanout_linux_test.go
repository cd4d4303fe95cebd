//go:build linux

package afpacket_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"ipband/watchdog/afpacket"
	"ipband/watchdog/vethtest"
)

// ipFrame builds an Ethernet frame from vethtest.SrcMAC, behind the VLAN
// tags given, carrying an IP packet from src to dst: for IPv4, a UDP
// datagram, or with frag > 0 a later fragment (offset frag*8, no UDP
// header); for IPv6, UDP.
func ipFrame(src, dst netip.Addr, frag uint16, tags ...uint16) []byte {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	b = append(b, vethtest.SrcMAC[:]...)
	for _, v := range tags {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	payload := make([]byte, 64)
	if src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := []byte{0x45, 0, 0, byte(20 + len(payload)), 0, 7, 0x20, 0, 64, 17, 0, 0} // MF set
		binary.BigEndian.PutUint16(ip[6:], 0x2000|frag)
		ip = append(ip, src.AsSlice()...)
		ip = append(ip, dst.AsSlice()...)
		return append(append(b, ip...), payload...)
	}
	b = binary.BigEndian.AppendUint16(b, 0x86dd)
	ip := []byte{0x60, 0, 0, 0, 0, byte(len(payload)), 17, 64}
	ip = append(ip, src.AsSlice()...)
	ip = append(ip, dst.AsSlice()...)
	return append(append(b, ip...), payload...)
}

// pairOf returns the unordered address pair of a frame ipFrame built,
// VLAN tags and all, or false.
func pairOf(f []byte) (string, bool) {
	if len(f) < 14 || !bytes.Equal(f[6:12], vethtest.SrcMAC[:]) {
		return "", false
	}
	off := 12
	for binary.BigEndian.Uint16(f[off:]) == 0x8100 || binary.BigEndian.Uint16(f[off:]) == 0x88a8 {
		off += 4
	}
	var a, b netip.Addr
	switch et := binary.BigEndian.Uint16(f[off:]); {
	case et == 0x0800 && len(f) >= off+22:
		a, _ = netip.AddrFromSlice(f[off+14 : off+18])
		b, _ = netip.AddrFromSlice(f[off+18 : off+22])
	case et == 0x86dd && len(f) >= off+42:
		a, _ = netip.AddrFromSlice(f[off+10 : off+26])
		b, _ = netip.AddrFromSlice(f[off+26 : off+42])
	default:
		return "", false
	}
	if b.Less(a) {
		a, b = b, a
	}
	return a.String() + " " + b.String(), true
}

// TestFanoutPairs opens a group of three rings and sends, both ways, 300
// IPv4 conversations (a first and a later fragment each way, some VLAN
// tagged) and 100 IPv6 ones: every frame is read once, both directions
// and every fragment of a conversation on one ring, and every ring gets
// some.
func TestFanoutPairs(t *testing.T) {
	p := vethtest.New(t, "f")
	const workers = 3
	var rings []*afpacket.Ring
	if err := inNs(p.NsA, func() (err error) {
		rings, err = afpacket.OpenGroup(afpacket.Config{Interface: p.DevA, RingSize: 4 << 20, Timeout: 20 * time.Millisecond}, workers)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rings {
		t.Cleanup(func() { r.Close() })
	}
	raw := p.RawFromB()
	rnd := rand.New(rand.NewPCG(3, 4))
	sent := 0
	send := func(f []byte) {
		if err := raw.Send(f, 1); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	for i := range 300 {
		a := netip.AddrFrom4([4]byte{10, byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256))})
		b := netip.AddrFrom4([4]byte{192, 0, 2, byte(rnd.IntN(256))})
		var tags []uint16
		if i%3 == 0 {
			tags = []uint16{0x8100, uint16(i)}
		}
		for _, f := range [][]byte{ipFrame(a, b, 0, tags...), ipFrame(a, b, 185, tags...), ipFrame(b, a, 0), ipFrame(b, a, 185)} {
			send(f)
		}
	}
	for range 100 {
		a, b := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(rnd.IntN(256))}), netip.AddrFrom16([16]byte{0xfd, 14: byte(rnd.IntN(256)), 15: 1})
		send(ipFrame(a, b, 0))
		send(ipFrame(b, a, 0))
	}
	time.Sleep(100 * time.Millisecond)
	where := map[string]map[int]int{} // pair: ring: frames
	got, perRing := 0, make([]int, workers)
	for i, r := range rings {
		var f afpacket.Frame
		for {
			err := r.Next(&f)
			if errors.Is(err, afpacket.ErrTimeout) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			pair, ok := pairOf(f.Data)
			if !ok {
				continue
			}
			if where[pair] == nil {
				where[pair] = map[int]int{}
			}
			where[pair][i]++
			got++
			perRing[i]++
		}
	}
	if got != sent {
		t.Errorf("read %d frames, sent %d", got, sent)
	}
	for pair, rs := range where {
		if len(rs) != 1 {
			t.Errorf("conversation %s split over rings %v", pair, rs)
		}
	}
	for i, n := range perRing {
		if n == 0 {
			t.Errorf("ring %d got nothing: %v", i, perRing)
		}
	}
	t.Logf("frames per ring: %v", perRing)
}

// TestFanoutGroupsApart opens two groups on one interface: each gets its
// own id, so each sees every frame (a shared id would split them).
func TestFanoutGroupsApart(t *testing.T) {
	p := vethtest.New(t, "h")
	var groups [2][]*afpacket.Ring
	for g := range groups {
		if err := inNs(p.NsA, func() (err error) {
			groups[g], err = afpacket.OpenGroup(afpacket.Config{Interface: p.DevA, RingSize: 1 << 20, Timeout: 20 * time.Millisecond}, 2)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range groups[g] {
			t.Cleanup(func() { r.Close() })
		}
	}
	const n = 200
	raw := p.RawFromB()
	for i := range n {
		a := netip.AddrFrom4([4]byte{10, 9, byte(i), 1})
		if err := raw.Send(ipFrame(a, netip.AddrFrom4([4]byte{192, 0, 2, 1}), 0), 1); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	for g, rings := range groups {
		total := 0
		for _, r := range rings {
			readAll(t, r, func(*afpacket.Frame) { total++ })
		}
		if total != n {
			t.Errorf("group %d read %d frames, want all %d", g, total, n)
		}
	}
}

// ExampleOpenGroup reads one interface with a ring per core, each on a
// goroutine of its own.
func ExampleOpenGroup() {
	rings, err := afpacket.OpenGroup(afpacket.Config{Interface: "eth0"}, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rings {
		go func() {
			defer r.Close()
			var f afpacket.Frame
			for {
				err := r.Next(&f)
				if errors.Is(err, afpacket.ErrTimeout) {
					continue
				}
				if err != nil {
					return
				}
				_ = f.Data // decode and count the frame here
			}
		}()
	}
}
