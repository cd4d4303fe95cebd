package synth

import (
	"iter"
	"math/rand/v2"
	"net/netip"
	"time"
)

// dynamic is a 10-minute capture for dynamic mode (no preloaded subnets) and
// local ranges (-L). Thirty local /24s (10.0.1-5.0, 10.1.10/20/30.0,
// 10.2.0.0, 10.20.30.0, ten in 172.16.0.0/12, ten in 192.168.0.0/16) each
// carry 0.1-0.6 kBps of background traffic to remote hosts in 192.0.2.0/24,
// 198.51.100.0/24 and 203.0.113.0/24 and, for a few, to other local subnets.
// About 12,700 packets. Two subnets are hot:
//
//   - 10.0.2.0/24 at ~19.8 kBps in minutes 1-7 (https from 203.0.113.10):
//     with -a 60 -r 300 -b 7 it logs from the end of minute 1, reports at the
//     end of minute 6 and drops at the end of minute 8;
//   - 192.168.10.0/24 at ~11.9 kBps in minutes 3-4 (http from
//     198.51.100.20): it logs at the end of minute 3 and drops at the end of
//     minute 5, without a report.
//
// Without -L the remote ends 203.0.113.0 and 198.51.100.0 are hot at the same
// times; with -L 10.0.0.0/8:172.16.0.0/12:192.168.0.0/16 only the two local
// subnets are. Every other subnet stays under 3 kBps.
func dynamic(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0xd7a31c)
	locals := [30][3]byte{
		{10, 0, 1}, {10, 0, 2}, {10, 0, 3}, {10, 0, 4}, {10, 0, 5},
		{10, 1, 10}, {10, 1, 20}, {10, 1, 30}, {10, 2, 0}, {10, 20, 30},
		{172, 16, 0}, {172, 16, 1}, {172, 16, 2}, {172, 16, 5}, {172, 16, 10},
		{172, 16, 20}, {172, 16, 30}, {172, 16, 99}, {172, 20, 1}, {172, 31, 255},
		{192, 168, 0}, {192, 168, 1}, {192, 168, 2}, {192, 168, 10}, {192, 168, 20},
		{192, 168, 50}, {192, 168, 100}, {192, 168, 178}, {192, 168, 200}, {192, 168, 255},
	}
	remotes := [3][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	type bg struct {
		host, peer netip.Addr
		proto      uint8
		port       uint16
		n          int
	}
	var bgs []bg
	for i, l := range locals {
		rem := remotes[r.IntN(len(remotes))]
		b := bg{
			host:  v4(l[0], l[1], l[2], byte(2+r.IntN(250))),
			peer:  v4(rem[0], rem[1], rem[2], byte(1+r.IntN(50))),
			proto: ProtoTCP,
			port:  []uint16{80, 443, 22, 25, 993}[r.IntN(5)],
			n:     4 + r.IntN(13),
		}
		if i%7 == 3 {
			l2 := locals[(i+11)%len(locals)]
			b.peer = v4(l2[0], l2[1], l2[2], byte(2+r.IntN(250)))
			b.port = 445
		}
		bgs = append(bgs, b)
	}
	hotA, srvA := v4(10, 0, 2, 50), v4(203, 0, 113, 10)
	hotB, srvB := v4(192, 168, 10, 20), v4(198, 51, 100, 20)
	dns := v4(192, 0, 2, 53)
	return windows(o, r, 10, time.Minute, func(m int) []flow {
		var f []flow
		for i, b := range bgs {
			cport := uint16(40000 + i)
			f = append(f,
				sized(conn(b.proto, b.peer, b.port, b.host, cport), b.n, 600, 1514),
				bare(conn(b.proto, b.host, cport, b.peer, b.port), b.n/2+1),
			)
			if i%3 == 0 {
				f = append(f,
					sized(conn(ProtoUDP, b.host, cport, dns, 53), 3, 80, 90),
					sized(conn(ProtoUDP, dns, 53, b.host, cport), 3, 120, 200),
					sized(echo(b.host, b.peer), 2, 98, 98))
			}
		}
		if m >= 1 && m <= 7 {
			f = append(f,
				sized(conn(ProtoTCP, srvA, 443, hotA, 50000), 800, 1514, 1514),
				bare(conn(ProtoTCP, hotA, 50000, srvA, 443), 100))
		}
		if m == 3 || m == 4 {
			f = append(f,
				sized(conn(ProtoTCP, srvB, 80, hotB, 40000), 480, 1514, 1514),
				bare(conn(ProtoTCP, hotB, 40000, srvB, 80), 60))
		}
		return f
	})
}

// randomPublic4 returns a random unicast IPv4 address outside the private,
// loopback, link-local, shared, multicast and reserved ranges.
func randomPublic4(r *rand.Rand) netip.Addr {
	for {
		a := r.Uint32()
		b0, b1 := byte(a>>24), byte(a>>16)
		switch {
		case b0 == 0, b0 == 10, b0 == 127, b0 >= 224,
			b0 == 100 && b1&0xc0 == 64,
			b0 == 169 && b1 == 254,
			b0 == 172 && b1&0xf0 == 16,
			b0 == 192 && b1 == 168:
			continue
		}
		return v4(b0, b1, byte(a>>8), byte(a))
	}
}
