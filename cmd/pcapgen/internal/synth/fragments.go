package synth

import (
	"iter"
	"time"
)

// Fragmented datagrams of the fragments scenario: UDP payload 2000 bytes
// (transport length 2008), split into a first fragment with the UDP header
// and one non-first fragment holding the rest.
const (
	fragUDPLen   = 2008
	fragFirst4   = 1480 // transport bytes in an IPv4 first fragment (20-byte header)
	fragFirst4op = 1472 // with a 24-byte header (options)
	fragFirst6   = 1448 // IPv6: 40 + 8 (fragment header)
	fragFirst6x  = 1432 // IPv6 with hop-by-hop and destination options
)

// fragments is 60 seconds of fragmented UDP and of IPv4 with options. Every
// two seconds each of four flows sends one 2008-byte UDP datagram as two
// fragments (first with ports, then the non-first one; every fifth datagram
// has them in reverse order):
//
//   - IPv4 10.10.5.5:5000 -> 10.100.11.13:5001;
//   - IPv4 with a 4-byte option (IHL 6) 10.10.5.6:5002 -> 10.100.11.13:5003;
//   - IPv6 2001:db8:1:1::5:5000 -> 2001:db8:ffff:1::10:5001;
//   - IPv6 with hop-by-hop and destination options headers
//     2001:db8:1:1::6:5002 -> 2001:db8:ffff:1::10:5003.
//
// Once a second 10.10.5.7:1234 sends a 600-byte TCP segment with a 4-byte
// IPv4 option to 10.100.11.13:80. Fragment sizes do not depend on the link
// type: frame lengths are the link header plus the datagram. The first
// packet is at o.Start; there are 300 packets.
func fragments(o Options) iter.Seq[Event] {
	hl := o.Link.HeaderLen()
	srv4, srv6 := v4(10, 100, 11, 13), v6(0x20010db8ffff0001, 0x10)
	type fragFlow struct {
		p     Packet
		first int // transport bytes in the first fragment
		l3    int // IP header bytes including extension headers
	}
	mk := func(p Packet, first int) fragFlow {
		p.Frag = FragFirst
		l3, _ := p.ipSizes()
		return fragFlow{p: p, first: first, l3: l3}
	}
	flows := []fragFlow{
		mk(conn(ProtoUDP, v4(10, 10, 5, 5), 5000, srv4, 5001), fragFirst4),
		mk(Packet{Proto: ProtoUDP, Src: v4(10, 10, 5, 6), SrcPort: 5002, Dst: srv4, DstPort: 5003, Options: true}, fragFirst4op),
		mk(conn(ProtoUDP, v6(0x20010db800010001, 5), 5000, srv6, 5001), fragFirst6),
		mk(Packet{Proto: ProtoUDP, Src: v6(0x20010db800010001, 6), SrcPort: 5002, Dst: srv6, DstPort: 5003, HopByHop: true, DestOpts: 1}, fragFirst6x),
	}
	tcp := Packet{Proto: ProtoTCP, Src: v4(10, 10, 5, 7), SrcPort: 1234, Dst: srv4, DstPort: 80, Options: true}
	return func(yield func(Event) bool) {
		for s := range 60 {
			sec := o.Start.Add(time.Duration(s) * time.Second)
			tcp.Seq = uint32(s) * 600
			if !yield(Event{Time: sec, Len: 600, Packet: tcp}) {
				return
			}
			if s%2 != 0 {
				continue
			}
			d := s / 2
			for i, f := range flows {
				first := f.p
				first.FragID = uint32(0x1000 + d*len(flows) + i)
				first.FragTotal = fragUDPLen
				later := first
				later.Frag, later.FragOffset, later.FragTotal = FragLater, f.first, 0
				lp, _ := later.ipSizes()
				evs := [2]Event{
					{Len: hl + f.l3 + f.first, Packet: first},
					{Len: hl + lp + fragUDPLen - f.first, Packet: later},
				}
				if d%5 == 4 {
					evs[0], evs[1] = evs[1], evs[0]
				}
				base := sec.Add(time.Duration(100*(i+1)) * time.Millisecond)
				for j := range evs {
					evs[j].Time = base.Add(time.Duration(j) * time.Millisecond)
					if !yield(evs[j]) {
						return
					}
				}
			}
		}
	}
}
