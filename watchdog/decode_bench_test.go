package watchdog_test

import (
	"testing"

	"github.com/google/gopacket/layers"

	"ipband/watchdog"
)

// BenchmarkDecode decodes one frame of each common shape.
func BenchmarkDecode(b *testing.B) {
	ip4 := decIP4TCP(b)
	udp4 := decIP4(b, 17, nil, decUDP(b, decIP4Layer(17), 5353, 53))
	tcp6 := decIP6(b, 6, decTCP(b, decIP6Layer(6), 40000, 443))
	chain := decIP6(b, 0, decCat(decExt(60, 8), decExt(44, 16), decFrag6(6, 0, false, 1), decTCP(b, decIP6Layer(6), 40000, 443)))
	frag := decIP4(b, 6, func(ip *layers.IPv4) { ip.Flags = layers.IPv4MoreFragments }, decTCP(b, decIP4Layer(6), 1, 2))
	second := decIP4(b, 6, func(ip *layers.IPv4) { ip.FragOffset = 185 }, make([]byte, 32))
	for _, bb := range []struct {
		name   string
		lt     int
		frames [][]byte
	}{
		{"eth-ipv4-tcp", 1, [][]byte{decEth(b, layers.EthernetTypeIPv4, ip4)}},
		{"vlan-ipv4-udp", 1, [][]byte{decVLAN(b, []layers.EthernetType{layers.EthernetTypeDot1Q}, layers.EthernetTypeIPv4, udp4)}},
		{"qinq-ipv4-tcp", 1, [][]byte{decVLAN(b, []layers.EthernetType{layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q}, layers.EthernetTypeIPv4, ip4)}},
		{"eth-ipv6-tcp", 1, [][]byte{decEth(b, layers.EthernetTypeIPv6, tcp6)}},
		{"ipv6-extchain", 1, [][]byte{decEth(b, layers.EthernetTypeIPv6, chain)}},
		{"sll-ipv4", 113, [][]byte{decLink(b, 113, ip4)}},
		{"sll2-ipv4", 276, [][]byte{decLink(b, 276, ip4)}},
		{"raw-ipv4", 101, [][]byte{ip4}},
		{"null-ipv4", 0, [][]byte{decLink(b, 0, ip4)}},
		{"ppp-ipv4", 9, [][]byte{decLink(b, 9, ip4)}},
		{"eth-arp", 1, [][]byte{decEth(b, layers.EthernetTypeARP, make([]byte, 28))}},
		{"ipv4-fragments", 1, [][]byte{decEth(b, layers.EthernetTypeIPv4, frag), decEth(b, layers.EthernetTypeIPv4, second)}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			d := decNew(b, bb.lt)
			var p watchdog.Packet
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				d.Decode(bb.frames[i%len(bb.frames)], &p)
			}
			if p.Kind != watchdog.KindIP && bb.name != "eth-arp" {
				b.Fatalf("decoded %+v", p)
			}
		})
	}
}
