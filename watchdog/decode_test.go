package watchdog_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog"
)

// Addresses of the frames built by these tests.
var (
	decSrc4 = netip.MustParseAddr("192.0.2.1")
	decDst4 = netip.MustParseAddr("198.51.100.2")
	decSrc6 = netip.MustParseAddr("2001:db8::1")
	decDst6 = netip.MustParseAddr("2001:db8:1::2")
)

// decLinkTypes are the link types NewDecoder supports.
var decLinkTypes = []int{1, 113, 276, 101, 12, 14, 228, 229, 0, 108, 9, 50, 104}

// decSerialize serializes layers with lengths and checksums fixed.
func decSerialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return bytes.Clone(buf.Bytes())
}

// decCat concatenates byte slices into a new one.
func decCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// decIP4Layer returns an IPv4 header from decSrc4 to decDst4.
func decIP4Layer(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x1234, Protocol: proto, SrcIP: decSrc4.AsSlice(), DstIP: decDst4.AsSlice()}
}

// decIP6Layer returns an IPv6 header from decSrc6 to decDst6.
func decIP6Layer(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: decSrc6.AsSlice(), DstIP: decDst6.AsSlice()}
}

// decTCP returns a serialized TCP segment with a payload.
func decTCP(tb testing.TB, nl gopacket.NetworkLayer, sport, dport uint16) []byte {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1, SYN: true, Window: 65535}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		tb.Fatal(err)
	}
	return decSerialize(tb, tcp, gopacket.Payload("0123456789"))
}

// decUDP returns a serialized UDP datagram with a payload.
func decUDP(tb testing.TB, nl gopacket.NetworkLayer, sport, dport uint16) []byte {
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := udp.SetNetworkLayerForChecksum(nl); err != nil {
		tb.Fatal(err)
	}
	return decSerialize(tb, udp, gopacket.Payload("abcd"))
}

// decIP4 returns an IPv4 packet carrying payload, with ip adjusted by mod.
func decIP4(tb testing.TB, proto layers.IPProtocol, mod func(*layers.IPv4), payload []byte) []byte {
	ip := decIP4Layer(proto)
	if mod != nil {
		mod(ip)
	}
	return decSerialize(tb, ip, gopacket.Payload(payload))
}

// decIP6 returns an IPv6 packet whose first next header is next, carrying
// payload (extension headers included).
func decIP6(tb testing.TB, next layers.IPProtocol, payload []byte) []byte {
	return decSerialize(tb, decIP6Layer(next), gopacket.Payload(payload))
}

// decIP4TCP is the common IPv4 TCP packet 192.0.2.1:40000 > 198.51.100.2:80.
func decIP4TCP(tb testing.TB) []byte {
	return decIP4(tb, layers.IPProtocolTCP, nil, decTCP(tb, decIP4Layer(6), 40000, 80))
}

// decIP6UDP is the common IPv6 UDP packet [2001:db8::1]:5353 > [2001:db8:1::2]:53.
func decIP6UDP(tb testing.TB) []byte {
	return decIP6(tb, layers.IPProtocolUDP, decUDP(tb, decIP6Layer(17), 5353, 53))
}

// decExt returns an IPv6 extension header of size bytes (a multiple of 8)
// in the common format, its options one PadN.
func decExt(next uint8, size int) []byte {
	h := make([]byte, size)
	h[0], h[1] = next, uint8(size/8-1)
	h[2], h[3] = 1, uint8(size-4)
	return h
}

// decAH returns a 24-byte IPv6 authentication header.
func decAH(next uint8) []byte {
	h := make([]byte, 24)
	h[0], h[1] = next, 4
	binary.BigEndian.PutUint32(h[4:], 0x100) // SPI
	binary.BigEndian.PutUint32(h[8:], 1)     // sequence
	return h
}

// decFrag6 returns an IPv6 fragment header.
func decFrag6(next uint8, offset uint16, more bool, id uint32) []byte {
	h := make([]byte, 8)
	h[0] = next
	fo := offset << 3
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(h[2:], fo)
	binary.BigEndian.PutUint32(h[4:], id)
	return h
}

// decEth returns an Ethernet frame of ethertype et around payload, padded to
// 60 bytes by the serializer.
func decEth(tb testing.TB, et layers.EthernetType, payload []byte) []byte {
	eth := &layers.Ethernet{
		SrcMAC:       []byte{0x02, 0, 0, 0, 0, 1},
		DstMAC:       []byte{0x02, 0, 0, 0, 0, 2},
		EthernetType: et,
	}
	return decSerialize(tb, eth, gopacket.Payload(payload))
}

// decVLAN returns an Ethernet frame with tags stacked: tpids[0] is the
// outermost tag's type, the innermost tag carries et.
func decVLAN(tb testing.TB, tpids []layers.EthernetType, et layers.EthernetType, payload []byte) []byte {
	ls := []gopacket.SerializableLayer{&layers.Ethernet{
		SrcMAC:       []byte{0x02, 0, 0, 0, 0, 1},
		DstMAC:       []byte{0x02, 0, 0, 0, 0, 2},
		EthernetType: tpids[0],
	}}
	for i := range tpids {
		next := et
		if i+1 < len(tpids) {
			next = tpids[i+1]
		}
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(100 + i), Type: next})
	}
	ls = append(ls, gopacket.Payload(payload))
	return decSerialize(tb, ls...)
}

// decSLL returns a Linux cooked v1 header for protocol et.
func decSLL(et uint16) []byte {
	h := []byte{0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0}
	return binary.BigEndian.AppendUint16(h, et)
}

// decSLL2 returns a Linux cooked v2 header for protocol et.
func decSLL2(et uint16) []byte {
	h := binary.BigEndian.AppendUint16(nil, et)
	h = append(h, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6)
	return append(h, 0x02, 0, 0, 0, 0, 1, 0, 0)
}

// decLink wraps an IPv4 or IPv6 packet (by its version nibble) in the link
// header of link type lt.
func decLink(tb testing.TB, lt int, ip []byte) []byte {
	tb.Helper()
	v6 := len(ip) > 0 && ip[0]>>4 == 6
	et, family, pppProto := uint16(0x0800), uint32(2), uint16(0x0021)
	if v6 {
		et, family, pppProto = 0x86dd, 30, 0x0057
	}
	switch lt {
	case 1:
		return decEth(tb, layers.EthernetType(et), ip)
	case 113:
		return decCat(decSLL(et), ip)
	case 276:
		return decCat(decSLL2(et), ip)
	case 101, 12, 14, 228, 229:
		return bytes.Clone(ip)
	case 0:
		return decCat(binary.LittleEndian.AppendUint32(nil, family), ip)
	case 108:
		return decCat(binary.BigEndian.AppendUint32(nil, family), ip)
	case 9:
		return decCat(binary.BigEndian.AppendUint16(nil, pppProto), ip)
	case 50:
		return decCat([]byte{0xff, 0x03}, binary.BigEndian.AppendUint16(nil, pppProto), ip)
	case 104:
		return decCat([]byte{0x0f, 0x00}, binary.BigEndian.AppendUint16(nil, et), ip)
	}
	tb.Fatalf("no link header for link type %d", lt)
	return nil
}

// decWant4 and decWant6 return the expected KindIP packet.
func decWant4(proto uint8, sport, dport uint16, f watchdog.Flags) watchdog.Packet {
	return watchdog.Packet{Kind: watchdog.KindIP, Flags: f, Proto: proto, Src: decSrc4, Dst: decDst4, SrcPort: sport, DstPort: dport}
}

func decWant6(proto uint8, sport, dport uint16, f watchdog.Flags) watchdog.Packet {
	return watchdog.Packet{Kind: watchdog.KindIP, Flags: f, Proto: proto, Src: decSrc6, Dst: decDst6, SrcPort: sport, DstPort: dport}
}

// decNew returns a Decoder for lt or fails the test.
func decNew(tb testing.TB, lt int) *watchdog.Decoder {
	tb.Helper()
	d, err := watchdog.NewDecoder(watchdog.LinkType(lt))
	if err != nil {
		tb.Fatalf("NewDecoder(%d): %v", lt, err)
	}
	return d
}

// decCase is one frame and the packet it must decode to.
type decCase struct {
	name  string
	lt    int
	frame []byte
	want  watchdog.Packet
}

// decPatch returns a copy of b with b[i] set to v for each pair.
func decPatch(b []byte, iv ...int) []byte {
	b = bytes.Clone(b)
	for k := 0; k+1 < len(iv); k += 2 {
		b[iv[k]] = byte(iv[k+1])
	}
	return b
}

// decCases returns the table of single-frame cases.
func decCases(tb testing.TB) []decCase {
	ip4 := decIP4TCP(tb)
	ip6 := decIP6UDP(tb)
	tcp4 := decTCP(tb, decIP4Layer(6), 40000, 80)
	tcp6 := decTCP(tb, decIP6Layer(6), 40000, 443)
	malformed := watchdog.Packet{Kind: watchdog.KindMalformed}
	other := watchdog.Packet{}
	dot1q, qinq := layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ
	ipv4, ipv6 := layers.EthernetTypeIPv4, layers.EthernetTypeIPv6

	icmp4 := decSerialize(tb, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, gopacket.Payload("ping"))
	icmp4unreach := decSerialize(tb, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(make([]byte, 28)))
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
	if err := icmp6.SetNetworkLayerForChecksum(decIP6Layer(58)); err != nil {
		tb.Fatal(err)
	}
	icmp6b := decSerialize(tb, icmp6, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, gopacket.Payload("ping"))
	sctp := decSerialize(tb, &layers.SCTP{SrcPort: 2905, DstPort: 2906, VerificationTag: 1}, gopacket.Payload(make([]byte, 16)))
	dccp := decCat([]byte{0x13, 0x88, 0x13, 0x89}, make([]byte, 12))   // 5000 > 5001
	udplite := decCat([]byte{0x04, 0xd2, 0x16, 0x2e}, make([]byte, 4)) // 1234 > 5678
	options := func(ip *layers.IPv4) {
		ip.Options = []layers.IPv4Option{
			{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}},             // router alert
			{OptionType: 0x07, OptionLength: 8, OptionData: []byte{4, 0, 0, 0, 0, 0}}, // record route
		}
	}
	arp := decSerialize(tb, &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: 1, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: decSrc4.AsSlice(),
		DstHwAddress: make([]byte, 6), DstProtAddress: decDst4.AsSlice(),
	})
	chain := decCat(decExt(60, 8), decExt(43, 16), decCat(decExt(51, 8)[:2], []byte{253, 0}, make([]byte, 4)), decAH(44), decFrag6(6, 0, false, 9), tcp6)
	var long []byte // 16 destination options headers then TCP
	for i := 0; i < 15; i++ {
		long = append(long, decExt(60, 8)...)
	}
	long = append(long, decExt(6, 8)...)
	long = append(long, tcp6...)
	tooLong := decCat(decExt(60, 8), long)
	cut := func(b []byte, n int) []byte { return bytes.Clone(b[:n]) }

	e := func(payload []byte) []byte { return decEth(tb, ipv4, payload) }
	e6 := func(payload []byte) []byte { return decEth(tb, ipv6, payload) }
	return []decCase{
		{"eth-ipv4-tcp", 1, e(ip4), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-udp-padded", 1, e(decIP4(tb, 17, nil, decUDP(tb, decIP4Layer(17), 5353, 53))), decWant4(17, 5353, 53, 0)},
		{"eth-ipv4-options-tcp", 1, e(decIP4(tb, 6, options, tcp4)), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-df-tcp", 1, e(decIP4(tb, 6, func(ip *layers.IPv4) { ip.Flags = layers.IPv4DontFragment }, tcp4)), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-icmp-echo", 1, e(decIP4(tb, 1, nil, icmp4)), decWant4(1, 0, 2048, 0)},
		{"eth-ipv4-icmp-unreach", 1, e(decIP4(tb, 1, nil, icmp4unreach)), decWant4(1, 0, 3*256+3, 0)},
		{"eth-ipv4-sctp", 1, e(decIP4(tb, 132, nil, sctp)), decWant4(132, 2905, 2906, 0)},
		{"eth-ipv4-dccp", 1, e(decIP4(tb, 33, nil, dccp)), decWant4(33, 5000, 5001, 0)},
		{"eth-ipv4-udplite", 1, e(decIP4(tb, 136, nil, udplite)), decWant4(136, 1234, 5678, 0)},
		{"eth-ipv4-gre", 1, e(decIP4(tb, 47, nil, make([]byte, 8))), decWant4(47, 0, 0, 0)},
		{"eth-ipv4-proto-43", 1, e(decIP4(tb, 43, nil, decCat(decExt(1, 8), icmp4))), decWant4(43, 0, 0, 0)},
		{"eth-ipip", 1, e(decIP4(tb, 4, nil, ip4)), decWant4(4, 0, 0, 0)},
		{"eth-6in4", 1, e(decIP4(tb, 41, nil, ip6)), decWant4(41, 0, 0, 0)},
		{"eth-ipv4-tcp-cut", 1, cut(e(ip4), 14+20+3), decWant4(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv4-tcp-ports-only", 1, cut(e(ip4), 14+20+4), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-icmp-cut", 1, cut(e(decIP4(tb, 1, nil, icmp4)), 14+20+1), decWant4(1, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv4-options-cut", 1, cut(e(decIP4(tb, 6, options, tcp4)), 14+24), decWant4(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv4-totlen-short", 1, e(decPatch(ip4, 2, 0, 3, 22)), decWant4(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv4-totlen-long", 1, e(decPatch(ip4, 2, 0x05, 3, 0xdc)), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-totlen-zero", 1, e(decPatch(ip4, 2, 0, 3, 0)), decWant4(6, 40000, 80, 0)},
		{"eth-ipv4-ihl-4", 1, e(decPatch(ip4, 0, 0x44)), malformed},
		{"eth-ipv4-ihl-0", 1, e(decPatch(ip4, 0, 0x40)), malformed},
		{"eth-ipv4-version-6", 1, e(decPatch(ip4, 0, 0x65)), malformed},
		{"eth-ipv4-carrying-ipv6", 1, e(ip6), malformed},
		{"eth-ipv4-19-bytes", 1, cut(e(ip4), 14+19), malformed},
		{"eth-ipv4-empty", 1, cut(e(ip4), 14), malformed},
		{"eth-ipv6-udp", 1, e6(ip6), decWant6(17, 5353, 53, 0)},
		{"eth-ipv6-tcp", 1, e6(decIP6(tb, 6, tcp6)), decWant6(6, 40000, 443, 0)},
		{"eth-ipv6-icmp-echo", 1, e6(decIP6(tb, 58, icmp6b)), decWant6(58, 0, 32768, 0)},
		{"eth-ipv6-extchain", 1, e6(decIP6(tb, 0, chain)), decWant6(6, 40000, 443, 0)},
		{"eth-ipv6-16-ext", 1, e6(decIP6(tb, 60, long)), decWant6(6, 40000, 443, 0)},
		{"eth-ipv6-17-ext", 1, e6(decIP6(tb, 60, tooLong)), decWant6(60, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv6-ext-cut", 1, cut(e6(decIP6(tb, 0, chain)), 14+40+8+4), decWant6(60, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv6-ext-body-cut", 1, cut(e6(decIP6(tb, 0, decCat(decExt(6, 64), tcp6))), 14+40+8), decWant6(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv6-no-next", 1, e6(decIP6(tb, 59, nil)), decWant6(59, 0, 0, 0)},
		{"eth-ipv6-esp", 1, e6(decIP6(tb, 50, make([]byte, 16))), decWant6(50, 0, 0, 0)},
		{"eth-ipv6-in-ipv6", 1, e6(decIP6(tb, 41, ip6)), decWant6(41, 0, 0, 0)},
		{"eth-ipv6-tcp-cut", 1, cut(e6(decIP6(tb, 6, tcp6)), 14+40+2), decWant6(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv6-paylen-short", 1, e6(decPatch(decIP6(tb, 6, tcp6), 4, 0, 5, 2)), decWant6(6, 0, 0, watchdog.FlagTruncated)},
		{"eth-ipv6-paylen-zero", 1, e6(decPatch(decIP6(tb, 6, tcp6), 4, 0, 5, 0)), decWant6(6, 40000, 443, 0)},
		{"eth-ipv6-version-4", 1, e6(decPatch(ip6, 0, 0x40)), malformed},
		{"eth-ipv6-carrying-ipv4", 1, e6(ip4), malformed},
		{"eth-ipv6-39-bytes", 1, cut(e6(ip6), 14+39), malformed},
		{"vlan-ipv4-udp", 1, decVLAN(tb, []layers.EthernetType{dot1q}, ipv4, decIP4(tb, 17, nil, decUDP(tb, decIP4Layer(17), 5353, 53))), decWant4(17, 5353, 53, 0)},
		{"qinq-ipv4-tcp", 1, decVLAN(tb, []layers.EthernetType{qinq, dot1q}, ipv4, ip4), decWant4(6, 40000, 80, 0)},
		{"qinq-9100-ipv6-udp", 1, decVLAN(tb, []layers.EthernetType{0x9100, dot1q}, ipv6, ip6), decWant6(17, 5353, 53, 0)},
		{"vlan-8-deep", 1, decVLAN(tb, []layers.EthernetType{qinq, dot1q, dot1q, dot1q, dot1q, dot1q, dot1q, dot1q}, ipv4, ip4), decWant4(6, 40000, 80, 0)},
		{"vlan-9-deep", 1, decVLAN(tb, []layers.EthernetType{qinq, dot1q, dot1q, dot1q, dot1q, dot1q, dot1q, dot1q, dot1q}, ipv4, ip4), other},
		{"vlan-cut", 1, cut(decVLAN(tb, []layers.EthernetType{dot1q}, ipv4, ip4), 16), other},
		{"vlan-arp", 1, decVLAN(tb, []layers.EthernetType{dot1q}, layers.EthernetTypeARP, arp), other},
		{"eth-arp", 1, decEth(tb, layers.EthernetTypeARP, arp), other},
		{"eth-llc", 1, decCat(decEth(tb, ipv4, nil)[:12], []byte{0, 6, 0x42, 0x42, 0x03, 0, 0, 0}), other},
		{"eth-garbage-type", 1, decEth(tb, 0x3030, ip4), other},
		{"eth-mpls", 1, decEth(tb, layers.EthernetTypeMPLSUnicast, decCat([]byte{0, 0, 0x11, 64}, ip4)), other},
		{"eth-runt", 1, make([]byte, 13), other},
		{"sll-ipv4-tcp", 113, decLink(tb, 113, ip4), decWant4(6, 40000, 80, 0)},
		{"sll-ipv6-udp", 113, decLink(tb, 113, ip6), decWant6(17, 5353, 53, 0)},
		{"sll-vlan-ipv4", 113, decCat(decSLL(0x8100), []byte{0, 10, 8, 0}, ip4), decWant4(6, 40000, 80, 0)},
		{"sll-arp", 113, decCat(decSLL(0x0806), arp), other},
		{"sll-15-bytes", 113, decSLL(0x0800)[:15], other},
		{"sll2-ipv4-tcp", 276, decLink(tb, 276, ip4), decWant4(6, 40000, 80, 0)},
		{"sll2-ipv6-udp", 276, decLink(tb, 276, ip6), decWant6(17, 5353, 53, 0)},
		{"sll2-arp", 276, decCat(decSLL2(0x0806), arp), other},
		{"sll2-19-bytes", 276, decSLL2(0x0800)[:19], other},
		{"raw-ipv4", 101, ip4, decWant4(6, 40000, 80, 0)},
		{"raw-ipv6", 101, ip6, decWant6(17, 5353, 53, 0)},
		{"raw-version-5", 101, decPatch(ip4, 0, 0x55), malformed},
		{"raw-empty", 101, nil, malformed},
		{"raw12-ipv6", 12, ip6, decWant6(17, 5353, 53, 0)},
		{"raw14-ipv4", 14, ip4, decWant4(6, 40000, 80, 0)},
		{"ipv4-link", 228, ip4, decWant4(6, 40000, 80, 0)},
		{"ipv4-link-carrying-ipv6", 228, ip6, malformed},
		{"ipv6-link", 229, ip6, decWant6(17, 5353, 53, 0)},
		{"ipv6-link-carrying-ipv4", 229, ip4, malformed},
		{"null-le-ipv4", 0, decCat([]byte{2, 0, 0, 0}, ip4), decWant4(6, 40000, 80, 0)},
		{"null-be-ipv4", 0, decCat([]byte{0, 0, 0, 2}, ip4), decWant4(6, 40000, 80, 0)},
		{"null-le-ipv6-24", 0, decCat([]byte{24, 0, 0, 0}, ip6), decWant6(17, 5353, 53, 0)},
		{"null-le-ipv6-28", 0, decCat([]byte{28, 0, 0, 0}, ip6), decWant6(17, 5353, 53, 0)},
		{"null-le-ipv6-30", 0, decCat([]byte{30, 0, 0, 0}, ip6), decWant6(17, 5353, 53, 0)},
		{"null-family-7", 0, decCat([]byte{7, 0, 0, 0}, ip4), other},
		{"null-3-bytes", 0, []byte{2, 0, 0}, other},
		{"loop-ipv4", 108, decCat([]byte{0, 0, 0, 2}, ip4), decWant4(6, 40000, 80, 0)},
		{"loop-ipv6", 108, decCat([]byte{0, 0, 0, 24}, ip6), decWant6(17, 5353, 53, 0)},
		{"ppp-ipv4", 9, decLink(tb, 9, ip4), decWant4(6, 40000, 80, 0)},
		{"ppp-ipv6", 9, decLink(tb, 9, ip6), decWant6(17, 5353, 53, 0)},
		{"ppp-hdlc-ipv4", 9, decCat([]byte{0xff, 0x03, 0x00, 0x21}, ip4), decWant4(6, 40000, 80, 0)},
		{"ppp-pfc-ipv4", 9, decCat([]byte{0x21}, ip4), decWant4(6, 40000, 80, 0)},
		{"ppp-hdlc-pfc-ipv6", 9, decCat([]byte{0xff, 0x03, 0x57}, ip6), decWant6(17, 5353, 53, 0)},
		{"ppp-lcp", 9, []byte{0xc0, 0x21, 1, 1, 0, 4}, other},
		{"ppp-hdlc-link-ipv4", 50, decLink(tb, 50, ip4), decWant4(6, 40000, 80, 0)},
		{"ppp-hdlc-link-ipv6", 50, decLink(tb, 50, ip6), decWant6(17, 5353, 53, 0)},
		{"ppp-hdlc-link-pfc-ipv4", 50, decCat([]byte{0x21}, ip4), decWant4(6, 40000, 80, 0)},
		{"ppp-hdlc-link-cisco", 50, decCat([]byte{0x0f, 0x00, 0x08, 0x00}, ip4), decWant4(6, 40000, 80, 0)},
		{"chdlc-ipv4", 104, decLink(tb, 104, ip4), decWant4(6, 40000, 80, 0)},
		{"chdlc-ipv6-bcast", 104, decCat([]byte{0x8f, 0x00, 0x86, 0xdd}, ip6), decWant6(17, 5353, 53, 0)},
		{"chdlc-slarp", 104, decCat([]byte{0x8f, 0x00, 0x80, 0x35}, make([]byte, 20)), other},
		{"chdlc-3-bytes", 104, []byte{0x0f, 0x00, 0x08}, other},
	}
}

func TestDecode(t *testing.T) {
	for _, tt := range decCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			d := decNew(t, tt.lt)
			got := watchdog.Packet{Time: 123, Len: 456}
			d.Decode(tt.frame, &got)
			want := tt.want
			want.Time, want.Len = 123, 456
			// The payload bounds are checked against gopacket's below.
			want.PayloadOff, want.PayloadEnd = got.PayloadOff, got.PayloadEnd
			if got != want {
				t.Errorf("Decode(% x)\n got %+v\nwant %+v", tt.frame, got, want)
			}
			decCheckInvariants(t, &got)
			if got.Kind == watchdog.KindIP {
				decCheckOracle(t, tt.lt, tt.frame, &got)
			}
		})
	}
}

// TestDecodeResets decodes every case into one Packet after a packet that set
// every field, so that a field left over from the previous frame shows.
func TestDecodeResets(t *testing.T) {
	cases := decCases(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			d := decNew(t, tt.lt)
			p := watchdog.Packet{
				Time: 7, Len: 8, Kind: watchdog.KindIP, Flags: watchdog.FlagFragment | watchdog.FlagTruncated, Proto: 99,
				Src: netip.MustParseAddr("10.9.9.9"), Dst: netip.MustParseAddr("fe80::1"), SrcPort: 1, DstPort: 2,
			}
			d.Decode(tt.frame, &p)
			want := watchdog.Packet{Time: 7, Len: 8}
			decNew(t, tt.lt).Decode(tt.frame, &want)
			if p != want {
				t.Errorf("after a full packet:\n got %+v\nwant %+v", p, want)
			}
		})
	}
}

// TestDecodeLinkTypes decodes the same IPv4 TCP and IPv6 UDP packets behind
// the header of every supported link type.
func TestDecodeLinkTypes(t *testing.T) {
	ip4, ip6 := decIP4TCP(t), decIP6UDP(t)
	for _, lt := range decLinkTypes {
		t.Run(watchdog.LinkType(lt).String(), func(t *testing.T) {
			d := decNew(t, lt)
			for _, c := range []struct {
				ip   []byte
				want watchdog.Packet
			}{
				{ip4, decWant4(6, 40000, 80, 0)},
				{ip6, decWant6(17, 5353, 53, 0)},
			} {
				if lt == 228 && c.ip[0]>>4 == 6 || lt == 229 && c.ip[0]>>4 == 4 {
					continue
				}
				frame := decLink(t, lt, c.ip)
				var got watchdog.Packet
				d.Decode(frame, &got)
				want := c.want
				want.PayloadOff, want.PayloadEnd = got.PayloadOff, got.PayloadEnd // checked by the oracle
				if got != want {
					t.Errorf("Decode(% x)\n got %+v\nwant %+v", frame, got, c.want)
				}
				decCheckOracle(t, lt, frame, &got)
			}
		})
	}
}

// TestDecodePrefixes decodes every prefix of a valid frame, down to zero
// bytes, on every link type: no panic, the invariants hold, a prefix shorter
// than the link header is never IP, and one holding the ports is complete.
func TestDecodePrefixes(t *testing.T) {
	for _, lt := range decLinkTypes {
		for _, ip := range [][]byte{decIP4TCP(t), decIP6UDP(t)} {
			if lt == 228 && ip[0]>>4 == 6 || lt == 229 && ip[0]>>4 == 4 {
				continue
			}
			d := decNew(t, lt)
			frame := decLink(t, lt, ip)
			hdr := len(frame) - len(ip)
			if lt == 1 {
				hdr = 14 // the frame is padded
			}
			ipHdr := 20
			if ip[0]>>4 == 6 {
				ipHdr = 40
			}
			for n := 0; n <= len(frame); n++ {
				var p watchdog.Packet
				d.Decode(frame[:n], &p)
				decCheckInvariants(t, &p)
				switch {
				case n < d.HeaderLen() && p.Kind == watchdog.KindIP:
					t.Errorf("link type %d: %d bytes, shorter than the link header, decoded as IP: %+v", lt, n, p)
				case n < hdr+ipHdr && p.Kind == watchdog.KindIP:
					t.Errorf("link type %d: %d bytes, IP header cut, decoded as IP: %+v", lt, n, p)
				case n >= hdr+ipHdr+4 && (p.Kind != watchdog.KindIP || p.Flags != 0 || p.DstPort == 0):
					t.Errorf("link type %d: %d bytes, ports captured, got %+v", lt, n, p)
				case n >= hdr+ipHdr && n < hdr+ipHdr+4 && p.Flags != watchdog.FlagTruncated:
					t.Errorf("link type %d: %d bytes, ports cut, got %+v", lt, n, p)
				}
			}
		}
	}
}

// TestDecodeFragments decodes sequences of fragments on one Decoder: later
// fragments take the ports of their first fragment when the decoder saw it.
func TestDecodeFragments(t *testing.T) {
	tcp4 := decTCP(t, decIP4Layer(6), 1000, 2000)
	udp4 := decUDP(t, decIP4Layer(17), 1000, 2000)
	frag4 := func(id uint16, proto layers.IPProtocol, offset uint16, more bool, src netip.Addr, payload []byte) []byte {
		return decIP4(t, proto, func(ip *layers.IPv4) {
			ip.Id, ip.FragOffset, ip.SrcIP = id, offset, src.AsSlice()
			if more {
				ip.Flags = layers.IPv4MoreFragments
			}
		}, payload)
	}
	tcp6 := decTCP(t, decIP6Layer(6), 3000, 4000)
	frag6 := func(next uint8, offset uint16, more bool, id uint32, rest ...[]byte) []byte {
		return decIP6(t, 44, decCat(decFrag6(next, offset, more, id), decCat(rest...)))
	}
	other4 := netip.MustParseAddr("192.0.2.99")
	fr, tr := watchdog.FlagFragment, watchdog.FlagTruncated
	body := make([]byte, 64)
	type step struct {
		frame []byte
		want  watchdog.Packet
	}
	other4Want := decWant4(6, 0, 0, fr)
	other4Want.Src = other4
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"ipv4-first-then-second", []step{
			{frag4(7, 6, 0, true, decSrc4, tcp4), decWant4(6, 1000, 2000, fr)},
			{frag4(7, 6, 185, true, decSrc4, body), decWant4(6, 1000, 2000, fr)},
			{frag4(7, 6, 370, false, decSrc4, body), decWant4(6, 1000, 2000, fr)},
		}},
		{"ipv4-second-alone", []step{
			{frag4(7, 6, 185, false, decSrc4, body), decWant4(6, 0, 0, fr)},
		}},
		{"ipv4-other-datagram", []step{
			{frag4(7, 6, 0, true, decSrc4, tcp4), decWant4(6, 1000, 2000, fr)},
			{frag4(8, 6, 185, false, decSrc4, body), decWant4(6, 0, 0, fr)},
			{frag4(7, 6, 185, false, other4, body), other4Want},
			{frag4(7, 17, 185, false, decSrc4, body), decWant4(17, 0, 0, fr)},
		}},
		{"ipv4-second-before-first", []step{
			{frag4(9, 17, 185, false, decSrc4, body), decWant4(17, 0, 0, fr)},
			{frag4(9, 17, 0, true, decSrc4, udp4), decWant4(17, 1000, 2000, fr)},
		}},
		{"ipv4-first-truncated", []step{
			{frag4(10, 6, 0, true, decSrc4, tcp4[:3]), decWant4(6, 0, 0, fr|tr)},
			{frag4(10, 6, 185, false, decSrc4, body), decWant4(6, 0, 0, fr)},
		}},
		{"ipv4-first-replaced", []step{
			{frag4(11, 6, 0, true, decSrc4, tcp4), decWant4(6, 1000, 2000, fr)},
			{frag4(11, 6, 0, true, decSrc4, decTCP(t, decIP4Layer(6), 1001, 2001)), decWant4(6, 1001, 2001, fr)},
			{frag4(11, 6, 185, false, decSrc4, body), decWant4(6, 1001, 2001, fr)},
		}},
		{"ipv6-first-then-second", []step{
			{frag6(6, 0, true, 0x12345678, tcp6), decWant6(6, 3000, 4000, fr)},
			{frag6(6, 100, false, 0x12345678, body), decWant6(6, 3000, 4000, fr)},
		}},
		{"ipv6-id-is-32-bit", []step{
			{frag6(6, 0, true, 0x12345678, tcp6), decWant6(6, 3000, 4000, fr)},
			{frag6(6, 100, false, 0x00005678, body), decWant6(6, 0, 0, fr)},
		}},
		{"ipv6-second-alone", []step{
			{frag6(6, 100, false, 1, body), decWant6(6, 0, 0, fr)},
		}},
		{"ipv6-destopts-after-fragment", []step{
			{frag6(60, 100, false, 2, body), decWant6(60, 0, 0, fr)},
			{frag6(60, 0, true, 2, decExt(6, 8), tcp6), decWant6(6, 3000, 4000, fr)},
			{frag6(60, 100, false, 2, body), decWant6(6, 3000, 4000, fr)},
		}},
		{"ipv6-behind-hop-by-hop", []step{
			{decIP6(t, 0, decCat(decExt(44, 8), decFrag6(6, 0, true, 3), tcp6)), decWant6(6, 3000, 4000, fr)},
			{decIP6(t, 0, decCat(decExt(44, 8), decFrag6(6, 50, false, 3), body)), decWant6(6, 3000, 4000, fr)},
		}},
		{"ipv6-atomic-fragment", []step{
			{frag6(6, 0, false, 4, tcp6), decWant6(6, 3000, 4000, 0)},
			{frag6(6, 100, false, 4, body), decWant6(6, 0, 0, fr)},
		}},
		{"ipv6-first-truncated", []step{
			{frag6(6, 0, true, 5, tcp6[:2]), decWant6(6, 0, 0, fr|tr)},
			{frag6(6, 100, false, 5, body), decWant6(6, 0, 0, fr)},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := decNew(t, 101)
			for i, s := range tt.steps {
				var got watchdog.Packet
				d.Decode(s.frame, &got)
				want := s.want
				if got.Flags == 0 { // fragments have no payload bounds
					want.PayloadOff, want.PayloadEnd = got.PayloadOff, got.PayloadEnd
				}
				if got != want {
					t.Errorf("step %d: Decode(% x)\n got %+v\nwant %+v", i, s.frame, got, s.want)
				}
			}
		})
	}
}

// TestDecodeFragmentCacheSize fills the cache with many datagrams: the
// decoder stays correct (a hit is an exact match) and most recent entries
// survive.
func TestDecodeFragmentCacheSize(t *testing.T) {
	d := decNew(t, 228)
	first := func(id uint16) []byte {
		return decIP4(t, 17, func(ip *layers.IPv4) { ip.Id, ip.Flags = id, layers.IPv4MoreFragments },
			decUDP(t, decIP4Layer(17), id, id^0xffff))
	}
	second := func(id uint16) []byte {
		return decIP4(t, 17, func(ip *layers.IPv4) { ip.Id, ip.FragOffset = id, 100 }, make([]byte, 8))
	}
	const n = 256
	var p watchdog.Packet
	for id := uint16(1); id <= n; id++ {
		d.Decode(first(id), &p)
	}
	hits := 0
	for id := uint16(1); id <= n; id++ {
		d.Decode(second(id), &p)
		switch {
		case p.SrcPort == 0 && p.DstPort == 0:
		case p.SrcPort == id && p.DstPort == id^0xffff:
			hits++
		default:
			t.Errorf("id %d: ports %d/%d belong to another datagram", id, p.SrcPort, p.DstPort)
		}
	}
	if hits < n*3/4 {
		t.Errorf("only %d of %d fragments found their first fragment", hits, n)
	}
}

func TestNewDecoder(t *testing.T) {
	for _, tt := range []struct {
		lt      int
		hdr     int
		wantErr string
	}{
		{1, 14, ""}, {113, 16, ""}, {276, 20, ""}, {101, 0, ""}, {12, 0, ""}, {14, 0, ""},
		{228, 0, ""}, {229, 0, ""}, {0, 4, ""}, {108, 4, ""}, {9, 2, ""}, {50, 4, ""}, {104, 4, ""},
		{182, 0, "unsupported link type 182 (MFR)"},
		{105, 0, "unsupported link type 105 (IEEE802_11)"},
		{127, 0, "unsupported link type 127 (IEEE802_11_RADIOTAP)"},
		{999, 0, "unsupported link type 999"},
		{-1, 0, "unsupported link type -1"},
		{276 & 0xff, 0, "unsupported link type 20"},
	} {
		d, err := watchdog.NewDecoder(watchdog.LinkType(tt.lt))
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, watchdog.ErrLinkType) {
				t.Errorf("NewDecoder(%d) = %v, want %q wrapping ErrLinkType", tt.lt, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewDecoder(%d): %v", tt.lt, err)
			continue
		}
		if d.HeaderLen() != tt.hdr {
			t.Errorf("NewDecoder(%d).HeaderLen() = %d, want %d", tt.lt, d.HeaderLen(), tt.hdr)
		}
		if int(d.LinkType()) != tt.lt {
			t.Errorf("NewDecoder(%d).LinkType() = %d", tt.lt, d.LinkType())
		}
	}
}

// TestDecodeAllocs pins Decode at zero allocations across a mix of frames,
// fragments included.
func TestDecodeAllocs(t *testing.T) {
	type frame struct {
		d    *watchdog.Decoder
		data []byte
	}
	var frames []frame
	decoders := map[int]*watchdog.Decoder{}
	for _, tt := range decCases(t) {
		if decoders[tt.lt] == nil {
			decoders[tt.lt] = decNew(t, tt.lt)
		}
		frames = append(frames, frame{decoders[tt.lt], tt.frame})
	}
	frag := decIP4(t, 6, func(ip *layers.IPv4) { ip.Flags = layers.IPv4MoreFragments }, decTCP(t, decIP4Layer(6), 1, 2))
	frames = append(frames, frame{decoders[101], frag}, frame{decoders[101], decPatch(frag, 6, 0, 7, 100)})
	var p watchdog.Packet
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range frames {
			f.d.Decode(f.data, &p)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates: %v allocations per run of %d frames", allocs, len(frames))
	}
}

// decCheckInvariants checks what must hold for any decoded packet.
func decCheckInvariants(tb testing.TB, p *watchdog.Packet) {
	tb.Helper()
	switch p.Kind {
	case watchdog.KindIP:
		if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
			tb.Errorf("KindIP with addresses %v and %v", p.Src, p.Dst)
		}
		if p.Src.Is4In6() || p.Dst.Is4In6() {
			tb.Errorf("KindIP with IPv4-mapped addresses %v and %v", p.Src, p.Dst)
		}
		if (p.Proto == 1 || p.Proto == 58) && p.SrcPort != 0 {
			tb.Errorf("ICMP with source port %d", p.SrcPort)
		}
		if p.Flags&watchdog.FlagTruncated != 0 && (p.SrcPort != 0 || p.DstPort != 0) {
			tb.Errorf("truncated packet with ports %d/%d", p.SrcPort, p.DstPort)
		}
		if p.PayloadOff > p.PayloadEnd || p.PayloadEnd != 0 && (p.Flags != 0 || p.Proto != 6 && p.Proto != 17) {
			tb.Errorf("payload bounds %d:%d with flags %#x, proto %d", p.PayloadOff, p.PayloadEnd, p.Flags, p.Proto)
		}
		if p.Flags&^(watchdog.FlagFragment|watchdog.FlagTruncated) != 0 {
			tb.Errorf("unknown flags %#x", p.Flags)
		}
	case watchdog.KindOther, watchdog.KindMalformed:
		if *p != (watchdog.Packet{Time: p.Time, Len: p.Len, Kind: p.Kind}) {
			tb.Errorf("kind %d with fields set: %+v", p.Kind, *p)
		}
	default:
		tb.Errorf("unknown kind %d", p.Kind)
	}
}

// decOracle decodes frame of link type lt with gopacket.
func decOracle(lt int, frame []byte) gopacket.Packet {
	var (
		dec gopacket.Decoder
		off int
	)
	switch lt {
	case 1, 0, 108, 101, 113:
		dec = layers.LinkType(lt)
	case 12, 14:
		dec = layers.LinkTypeRaw
	case 228:
		dec = layers.LayerTypeIPv4
	case 229:
		dec = layers.LayerTypeIPv6
	case 276:
		if len(frame) < 20 {
			return nil
		}
		dec, off = layers.EthernetType(binary.BigEndian.Uint16(frame)), 20
	case 9, 50, 104:
		if lt != 104 && !decCisco(frame) {
			dec = layers.LayerTypePPP
		} else if len(frame) < 4 {
			return nil
		} else {
			dec, off = layers.EthernetType(binary.BigEndian.Uint16(frame[2:])), 4
		}
	default:
		return nil
	}
	return gopacket.NewPacket(frame[off:], dec, gopacket.DecodeOptions{NoCopy: true})
}

// decCisco reports whether a PPP frame starts with a Cisco HDLC address
// and control.
func decCisco(frame []byte) bool {
	return len(frame) >= 2 && (frame[0] == 0x0f || frame[0] == 0x8f) && frame[1] == 0
}

// decIPv6Exts are the gopacket layers of the IPv6 extension headers the
// decoder walks.
var decIPv6Exts = []gopacket.LayerType{
	layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
	layers.LayerTypeIPv6Fragment, layers.LayerTypeIPSecAH,
}

// decCheckOracle compares a KindIP packet with gopacket's decoding of the
// same frame: the addresses always, when gopacket found an IP layer; the
// protocol and ports when it also decoded the transport header.
func decCheckOracle(tb testing.TB, lt int, frame []byte, p *watchdog.Packet) {
	tb.Helper()
	pkt := decOracle(lt, frame)
	if pkt == nil {
		return
	}
	var src, dst netip.Addr
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		if len(ip.SrcIP) != 4 || len(ip.DstIP) != 4 {
			return // gopacket gave up before the addresses
		}
		src, dst = netip.AddrFrom4([4]byte(ip.SrcIP)), netip.AddrFrom4([4]byte(ip.DstIP))
	case *layers.IPv6:
		if len(ip.SrcIP) != 16 || len(ip.DstIP) != 16 {
			return
		}
		src, dst = netip.AddrFrom16([16]byte(ip.SrcIP)), netip.AddrFrom16([16]byte(ip.DstIP))
	default:
		return
	}
	if p.Src != src || p.Dst != dst {
		tb.Errorf("addresses %v > %v, gopacket says %v > %v", p.Src, p.Dst, src, dst)
	}
	if p.Flags != 0 || pkt.ErrorLayer() != nil {
		return // no ports here, or gopacket's transport layer is partial
	}
	// The transport header is the layer right after the IP header, or for
	// IPv6 after its extension headers; gopacket also decapsulates tunnels
	// and follows IPv6 extension headers behind IPv4, which the decoder
	// does not.
	ls := pkt.Layers()
	i := slices.IndexFunc(ls, func(l gopacket.Layer) bool { return l == pkt.NetworkLayer() })
	if i < 0 {
		return
	}
	i++
	if _, v6 := pkt.NetworkLayer().(*layers.IPv6); v6 {
		for i < len(ls) && slices.Contains(decIPv6Exts, ls[i].LayerType()) {
			i++
		}
	}
	if i >= len(ls) {
		return
	}
	var (
		proto        uint8
		sport, dport uint16
	)
	switch l := ls[i].(type) {
	case *layers.TCP:
		proto, sport, dport = 6, uint16(l.SrcPort), uint16(l.DstPort)
	case *layers.UDP:
		proto, sport, dport = 17, uint16(l.SrcPort), uint16(l.DstPort)
	case *layers.UDPLite:
		proto, sport, dport = 136, uint16(l.SrcPort), uint16(l.DstPort)
	case *layers.SCTP:
		proto, sport, dport = 132, uint16(l.SrcPort), uint16(l.DstPort)
	case *layers.ICMPv4:
		proto, dport = 1, uint16(l.TypeCode)
	case *layers.ICMPv6:
		proto, dport = 58, uint16(l.TypeCode)
	default:
		return
	}
	if p.Proto != proto || p.SrcPort != sport || p.DstPort != dport {
		tb.Errorf("proto %d ports %d/%d, gopacket says proto %d ports %d/%d", p.Proto, p.SrcPort, p.DstPort, proto, sport, dport)
	}
	if proto == 6 || proto == 17 {
		if p.PayloadEnd == 0 || int(p.PayloadEnd) > len(frame) {
			tb.Errorf("payload bounds %d:%d in a frame of %d bytes", p.PayloadOff, p.PayloadEnd, len(frame))
		} else if got, want := frame[p.PayloadOff:p.PayloadEnd], ls[i].LayerPayload(); !bytes.Equal(got, want) {
			tb.Errorf("payload % x, gopacket says % x", got, want)
		}
	}
}

// decCapturesDir is the shared directory of real captures, beside the
// repository.
var decCapturesDir = filepath.Join("..", "..", "shared", "captures")

// decOpenCapture opens a pcap or pcapng file and returns its packet source
// and link type. The link type is read from the file itself, as
// layers.LinkType has only 8 bits (LINUX_SLL2 is 276).
func decOpenCapture(data []byte) (gopacket.ZeroCopyPacketDataSource, int, error) {
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == 0x0a0d0d0a {
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, 0, err
		}
		return r, decNgLinkType(data, int(r.LinkType())), nil
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, 0, err
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if data[0] == 0xa1 { // big-endian magic a1b2c3d4 or a1b23c4d
		order = binary.BigEndian
	}
	return r, int(order.Uint32(data[20:24]) & 0xffff), nil
}

// decNgLinkType returns the link type of the first interface of a pcapng
// file, or def if it cannot be found.
func decNgLinkType(data []byte, def int) int {
	if len(data) < 12 {
		return def
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(data[8:12]) == 0x1a2b3c4d {
		order = binary.BigEndian
	}
	for off := 0; off+12 <= len(data); {
		typ, size := order.Uint32(data[off:]), int(order.Uint32(data[off+4:]))
		if typ == 1 {
			return int(order.Uint16(data[off+8:]))
		}
		if size < 12 {
			return def
		}
		off += size
	}
	return def
}

// TestDecodeCaptures decodes the shared real-world captures: no panic, the
// invariants hold, and every frame gopacket decodes as IP straight behind
// the link layer (and VLAN tags) has the same addresses here.
func TestDecodeCaptures(t *testing.T) {
	if _, err := os.Stat(decCapturesDir); err != nil {
		t.Skipf("real captures not available at %s (the shared directory beside the repository): %v", decCapturesDir, err)
	}
	var files []string
	err := filepath.WalkDir(decCapturesDir, func(path string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no captures in %s", decCapturesDir)
	}
	for _, path := range files {
		name, _ := filepath.Rel(decCapturesDir, path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src, lt, err := decOpenCapture(data)
			if err != nil {
				t.Skipf("not readable: %v", err)
			}
			d, err := watchdog.NewDecoder(watchdog.LinkType(lt))
			if err != nil {
				if !errors.Is(err, watchdog.ErrLinkType) {
					t.Fatalf("NewDecoder(%d): %v does not wrap ErrLinkType", lt, err)
				}
				t.Skipf("link type not supported: %v", err)
			}
			var counts [3]int
			var frags, truncs int
			for {
				frame, _, err := src.ZeroCopyReadPacketData()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Logf("stopped after %d frames: %v", counts[0]+counts[1]+counts[2], err)
					}
					break
				}
				var p watchdog.Packet
				d.Decode(frame, &p)
				counts[p.Kind]++
				if p.Flags&watchdog.FlagFragment != 0 {
					frags++
				}
				if p.Flags&watchdog.FlagTruncated != 0 {
					truncs++
				}
				decCheckInvariants(t, &p)
				decCheckCaptureFrame(t, lt, frame, &p)
				if t.Failed() {
					t.Fatalf("frame % x", frame)
				}
			}
			t.Logf("link type %s: %d IP (%d fragments, %d truncated), %d other, %d malformed", watchdog.LinkType(lt),
				counts[watchdog.KindIP], frags, truncs, counts[watchdog.KindOther], counts[watchdog.KindMalformed])
		})
	}
}

// decCheckCaptureFrame compares one captured frame's decoding with
// gopacket's.
func decCheckCaptureFrame(t *testing.T, lt int, frame []byte, p *watchdog.Packet) {
	t.Helper()
	pkt := decOracle(lt, frame)
	if pkt == nil {
		return
	}
	ls := pkt.Layers()
	i := 0
	if lt != 228 && lt != 229 && lt != 101 && lt != 12 && lt != 14 && lt != 276 && lt != 104 && !((lt == 9 || lt == 50) && decCisco(frame)) {
		i = 1 // skip the link layer
	}
	for i < len(ls) && ls[i].LayerType() == layers.LayerTypeDot1Q {
		i++
	}
	if i >= len(ls) {
		return
	}
	if i+1 < len(ls) && ls[i+1].LayerType() == gopacket.LayerTypeDecodeFailure {
		return // gopacket rejects the IP header (or what directly follows it)
	}
	switch ip := ls[i].(type) {
	case *layers.IPv4:
		if ip.Version != 4 {
			if p.Kind != watchdog.KindMalformed {
				t.Errorf("IPv4 version %d decoded as %+v", ip.Version, p)
			}
			return
		}
		if p.Kind != watchdog.KindIP {
			t.Errorf("gopacket decodes IPv4, got %+v", *p)
		}
	case *layers.IPv6:
		if ip.Version != 6 {
			if p.Kind != watchdog.KindMalformed {
				t.Errorf("IPv6 version %d decoded as %+v", ip.Version, p)
			}
			return
		}
		if p.Kind != watchdog.KindIP {
			t.Errorf("gopacket decodes IPv6, got %+v", *p)
		}
	default:
		return
	}
	decCheckOracle(t, lt, frame, p)
}
