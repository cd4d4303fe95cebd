package synth

import (
	"iter"
	"math/rand/v2"
	"time"
)

// Shape of the bench scenario.
const (
	benchSpan    = 20 * time.Minute
	benchSubnets = 200 // 10.10.0.0/24 .. 10.10.199.0/24
	benchHot     = 7   // 10.10.7.0/24
)

// bench is a deterministic load for benchmarks: o.Count packets (default
// 2,000,000) at even intervals over 20 minutes, each built on the fly.
//
//   - Half the packets (drawn at random) belong to the hot subnet
//     10.10.7.0/24: 90% are 1400-1514-byte TCP segments from random public
//     IPv4 servers (port 443 or 80), 10% are 60-100-byte segments back. At
//     the default count that is ~1070 kBps in every minute, so a preloaded
//     threshold of 1000 picks it out.
//   - The other half spread over the 199 other /24s of 10.10.0.0/16 (about
//     3.5 kBps each at the default count), with a random public IPv4 peer
//     or, for ~10%, an IPv6 pair (2001:db8:10:N::/64 local, random remote in
//     2001:db8:8000::/33); TCP/UDP/ICMP in 80/17/3 proportion, in either
//     direction; frame sizes bimodal: 45% 60-100, 45% 1400-1514, 10%
//     101-1399 bytes.
func bench(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0xbe7c4)
	n := o.Count
	return func(yield func(Event) bool) {
		var ev Event
		for i := range n {
			ev.Time = evenly(o.Start, benchSpan, i, n)
			ev.Len = benchPacket(r, &ev.Packet)
			ev.Len = max(ev.Len, MinLen(o.Link, &ev.Packet))
			if !yield(ev) {
				return
			}
		}
	}
}

// benchPacket fills p with one random bench packet and returns its frame
// length.
func benchPacket(r *rand.Rand, p *Packet) int {
	*p = Packet{}
	if r.IntN(2) == 0 {
		local := v4(10, 10, benchHot, byte(1+r.IntN(254)))
		remote := randomPublic4(r)
		sport := uint16(443)
		if r.IntN(4) == 0 {
			sport = 80
		}
		cport := uint16(1024 + r.IntN(64512))
		p.Proto = ProtoTCP
		p.Seq = r.Uint32()
		if r.IntN(10) == 0 {
			p.Src, p.SrcPort, p.Dst, p.DstPort = local, cport, remote, sport
			return 60 + r.IntN(41)
		}
		p.Src, p.SrcPort, p.Dst, p.DstPort = remote, sport, local, cport
		return 1400 + r.IntN(115)
	}
	s := byte(r.IntN(benchSubnets - 1))
	if s >= benchHot {
		s++
	}
	host := byte(1 + r.IntN(254))
	local, remote := v4(10, 10, s, host), randomPublic4(r)
	if r.IntN(10) == 0 {
		local = v6(0x20010db800100000|uint64(s), uint64(host))
		remote = v6(0x20010db880000000|r.Uint64()>>33, r.Uint64())
	}
	ports := [...]uint16{80, 443, 22, 25, 53, 123, 993, 8080}
	sport := ports[r.IntN(len(ports))]
	cport := uint16(1024 + r.IntN(64512))
	switch x := r.IntN(100); {
	case x < 80:
		p.Proto = ProtoTCP
		p.Seq = r.Uint32()
	case x < 97:
		p.Proto = ProtoUDP
	default:
		p.Proto, p.ICMPType, p.EchoID, p.EchoSeq = ProtoICMP, 8, uint16(r.Uint32()), uint16(r.Uint32())
		if local.Is6() {
			p.Proto, p.ICMPType = ProtoICMPv6, 128
		}
	}
	if r.IntN(2) == 0 {
		p.Src, p.SrcPort, p.Dst, p.DstPort = local, cport, remote, sport
	} else {
		p.Src, p.SrcPort, p.Dst, p.DstPort = remote, sport, local, cport
	}
	switch x := r.IntN(20); {
	case x < 9:
		return 60 + r.IntN(41)
	case x < 18:
		return 1400 + r.IntN(115)
	default:
		return 101 + r.IntN(1299)
	}
}

// flood is a dynamic-mode flood: o.Count packets (default 1,000,000) over
// 2 minutes at even intervals, each a 60-byte TCP SYN to 10.10.123.10:80
// from a different IPv4 source address (a seeded permutation of the 32-bit
// space, so no two are equal for counts up to 2^32).
func flood(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0xf100d)
	key := r.Uint32()
	n := o.Count
	dst := v4(10, 10, 123, 10)
	return func(yield func(Event) bool) {
		ev := Event{Len: 60}
		ev.Packet = Packet{Proto: ProtoTCP, Dst: dst, DstPort: 80, TCPFlags: TCPSyn, NoPayload: true}
		for i := range n {
			ev.Time = evenly(o.Start, 2*time.Minute, i, n)
			floodSource(r, key, i, o.Link, &ev)
			if !yield(ev) {
				return
			}
		}
	}
}

// floodSource makes ev, a flood SYN, packet i of its flood: its source
// address (a seeded permutation of i), port, sequence number and length.
func floodSource(r *rand.Rand, key uint32, i int, link Link, ev *Event) {
	x := permute32(uint32(i) ^ key)
	ev.Packet.Src = v4(byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	ev.Packet.SrcPort = uint16(1024 + r.IntN(64512))
	ev.Packet.Seq = r.Uint32()
	ev.Len = max(60, MinLen(link, &ev.Packet))
}

// permute32 is a bijection on uint32 (xor-shifts and odd multipliers are
// each invertible), so distinct inputs give distinct outputs.
func permute32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// evenly returns the time of packet i of n spread evenly over span from
// start, in whole microseconds.
func evenly(start time.Time, span time.Duration, i, n int) time.Time {
	us := span.Microseconds() * int64(i) / int64(max(n, 1))
	return start.Add(time.Duration(us) * time.Microsecond)
}

// Shape of the flood-heavy scenario.
const (
	floodHeavySpan = time.Minute
	floodHeavyRate = 10   // heavy frames a second
	floodHeavyLen  = 1460 // bytes a heavy frame: 14600 bytes/s, twice 7 kBps
)

// floodHeavy is a flood that hides a heavy subnet from a recency-bounded
// table: o.Count packets (default 2,000,000) over 1 minute. Of them,
// 600 are the heavy subnet's: 1460-byte TCP segments from 10.10.50.10:443
// to 198.51.100.80:50000, 10 a second from the first packet on (14600
// bytes a second, twice a 7 kBps threshold; 876,000 bytes a minute). The
// others are the flood, as in flood: 60-byte SYNs to 10.10.123.10:80, each
// from a different IPv4 source, at even intervals. At the default count the
// flood runs at 33,000 packets a second, so a table of 1000 subnets that
// evicts the least recently seen forgets the heavy subnet between two of
// its frames.
func floodHeavy(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0xf100d2)
	key := r.Uint32()
	heavyN := int(floodHeavySpan/time.Second) * floodHeavyRate
	n := max(o.Count-heavyN, 0)
	dst := v4(10, 10, 123, 10)
	return func(yield func(Event) bool) {
		heavy := Event{Len: floodHeavyLen, Packet: Packet{Proto: ProtoTCP,
			Src: v4(10, 10, 50, 10), SrcPort: 443, Dst: v4(198, 51, 100, 80), DstPort: 50000, TCPFlags: TCPAck}}
		ev := Event{Len: 60}
		ev.Packet = Packet{Proto: ProtoTCP, Dst: dst, DstPort: 80, TCPFlags: TCPSyn, NoPayload: true}
		h := 0
		for i := range n {
			ev.Time = evenly(o.Start, floodHeavySpan, i, n)
			for ; h < heavyN; h++ {
				heavy.Time = o.Start.Add(time.Duration(h) * time.Second / floodHeavyRate)
				if heavy.Time.After(ev.Time) {
					break
				}
				heavy.Packet.Seq = uint32(h) * floodHeavyLen
				if !yield(heavy) {
					return
				}
			}
			floodSource(r, key, i, o.Link, &ev)
			if !yield(ev) {
				return
			}
		}
		for ; h < heavyN; h++ {
			heavy.Time = o.Start.Add(time.Duration(h) * time.Second / floodHeavyRate)
			if !yield(heavy) {
				return
			}
		}
	}
}
