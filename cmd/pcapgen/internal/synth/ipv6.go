package synth

import (
	"iter"
	"time"
)

// ipv6 is a 10-minute capture of IPv6 sites in 2001:db8:1::/48 (the /64s
// 2001:db8:1:1::, :2::, :3::, :10::, :20:: and :100::) talking to servers in
// 2001:db8:ffff::/48, with some IPv4 between 192.0.2.0/24 and
// 198.51.100.0/24 mixed in.
//
//   - 2001:db8:1:2::/64 is hot at ~19.8 kBps in minutes 1-7 (https bulk from
//     2001:db8:ffff:1::10): with -a 60 -r 300 -b 7 and 64-bit IPv6 masks it
//     logs from the end of minute 1, reports at the end of minute 6 and
//     drops at the end of minute 8. Its peer 2001:db8:ffff:1::/64 is as hot.
//   - Every packet of the 2001:db8:1:3:: flow carries a hop-by-hop and a
//     destination options header; each site pings 2001:db8:ffff:3::1
//     (ICMPv6 echo request, type 128) six times a minute.
//   - Every other /64 and /24 stays under 1 kBps. About 8,000 packets.
func ipv6(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0x1b6)
	const site, srv = 0x20010db800010000, 0x20010db8ffff0000
	sites := []uint64{1, 2, 3, 0x10, 0x20, 0x100}
	web, dns, smtp, ping := v6(srv|1, 0x10), v6(srv|1, 0x53), v6(srv|2, 0x25), v6(srv|3, 1)
	hot := v6(site|2, 0xa)
	a4, b4 := v4(192, 0, 2, 10), v4(198, 51, 100, 80)
	return windows(o, r, 10, time.Minute, func(m int) []flow {
		var f []flow
		for i, s := range sites {
			h := v6(site|s, uint64(0x100+i))
			cport := uint16(50100 + i)
			in := conn(ProtoTCP, web, 443, h, cport)
			out := conn(ProtoTCP, h, cport, web, 443)
			if s == 3 {
				in.HopByHop, in.DestOpts = true, 1
				out.HopByHop, out.DestOpts = true, 1
			}
			f = append(f,
				sized(in, 8, 200, 1514),
				bare(out, 4),
				sized(conn(ProtoUDP, h, cport+1000, dns, 53), 3, 90, 100),
				sized(conn(ProtoUDP, dns, 53, h, cport+1000), 3, 150, 250),
				sized(conn(ProtoTCP, h, cport+2000, smtp, 25), 2, 600, 1514),
				sized(echo(h, ping), 6, 118, 118),
			)
		}
		if m >= 1 && m <= 7 {
			f = append(f,
				sized(conn(ProtoTCP, web, 443, hot, 50000), 800, 1514, 1514),
				bare(conn(ProtoTCP, hot, 50000, web, 443), 100))
		}
		f = append(f,
			sized(conn(ProtoTCP, b4, 80, a4, 3000), 10, 400, 1514),
			bare(conn(ProtoTCP, a4, 3000, b4, 80), 5),
			sized(echo(a4, b4), 2, 98, 98))
		return f
	})
}
