package synth

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/gopacket/layers"
)

// Link is the link-layer encapsulation of the frames in a capture. The zero
// Link is LinkEthernet.
type Link uint8

const (
	// LinkEthernet is Ethernet II (DLT 1), 14-byte header.
	LinkEthernet Link = iota
	// LinkVLAN is Ethernet with one 802.1Q tag, VLAN 120 (DLT 1), 18 bytes.
	LinkVLAN
	// LinkQinQ is Ethernet with an 802.1ad outer tag (ethertype 0x88a8,
	// VLAN 1000) and an 802.1Q inner tag (VLAN 120) (DLT 1), 22 bytes.
	LinkQinQ
	// LinkSLL is the Linux cooked capture header v1 (DLT 113), 16 bytes.
	LinkSLL
	// LinkSLL2 is the Linux cooked capture header v2 (DLT 276), 20 bytes.
	LinkSLL2
	// LinkRaw is raw IP with no link header (DLT 101).
	LinkRaw
	// LinkNull is BSD loopback (DLT 0): a 4-byte address family in
	// little-endian (host) byte order, 2 for IPv4 and 24 for IPv6.
	LinkNull
	// LinkPPP is PPP (DLT 9) with the 0xff 0x03 address and control bytes
	// before the 2-byte protocol, 4 bytes.
	LinkPPP
)

// VLAN identifiers used by LinkVLAN and LinkQinQ.
const (
	InnerVLAN = 120
	OuterVLAN = 1000
)

// DLTLinuxSLL2 is LINKTYPE_LINUX_SLL2. gopacket does not name it, and its
// layers.LinkType is 8 bits wide, so it cannot hold this value.
const DLTLinuxSLL2 = 276

var linkNames = [...]string{
	LinkEthernet: "eth",
	LinkVLAN:     "vlan",
	LinkQinQ:     "qinq",
	LinkSLL:      "sll",
	LinkSLL2:     "sll2",
	LinkRaw:      "raw",
	LinkNull:     "null",
	LinkPPP:      "ppp",
}

var linkHeaderLens = [...]int{
	LinkEthernet: 14,
	LinkVLAN:     18,
	LinkQinQ:     22,
	LinkSLL:      16,
	LinkSLL2:     20,
	LinkRaw:      0,
	LinkNull:     4,
	LinkPPP:      4,
}

var linkTypes = [...]uint32{
	LinkEthernet: uint32(layers.LinkTypeEthernet),
	LinkVLAN:     uint32(layers.LinkTypeEthernet),
	LinkQinQ:     uint32(layers.LinkTypeEthernet),
	LinkSLL:      uint32(layers.LinkTypeLinuxSLL),
	LinkSLL2:     DLTLinuxSLL2,
	LinkRaw:      uint32(layers.LinkTypeRaw),
	LinkNull:     uint32(layers.LinkTypeNull),
	LinkPPP:      uint32(layers.LinkTypePPP),
}

// Links returns every link type, in a fixed order.
func Links() []Link {
	return []Link{LinkEthernet, LinkVLAN, LinkQinQ, LinkSLL, LinkSLL2, LinkRaw, LinkNull, LinkPPP}
}

// ParseLink returns the link type named s ("eth", "vlan", "qinq", "sll",
// "sll2", "raw", "null" or "ppp"), or an error wrapping ErrUnknownLink.
func ParseLink(s string) (Link, error) {
	for i, name := range linkNames {
		if s == name {
			return Link(i), nil
		}
	}
	return 0, fmt.Errorf("link %q: %w", s, ErrUnknownLink)
}

// String returns the link's name as ParseLink accepts it.
func (l Link) String() string {
	if int(l) < len(linkNames) {
		return linkNames[l]
	}
	return fmt.Sprintf("link(%d)", uint8(l))
}

// HeaderLen returns the length of the link header in bytes.
func (l Link) HeaderLen() int {
	if int(l) < len(linkHeaderLens) {
		return linkHeaderLens[l]
	}
	return 0
}

// DLT returns the pcap link type number written in the file header
// (LINKTYPE_*): 1, 113, 276, 101, 0 or 9.
func (l Link) DLT() uint32 {
	if int(l) < len(linkTypes) {
		return linkTypes[l]
	}
	return uint32(layers.LinkTypeEthernet)
}

// macFor derives a locally administered MAC address from an IP address:
// 02:00 followed by the address's last four bytes.
func macFor(b []byte, a netip.Addr) {
	s := a.As16()
	b[0], b[1] = 0x02, 0x00
	copy(b[2:6], s[12:16])
}

// putHeader writes the link header for a datagram from src to dst into b,
// which is at least HeaderLen bytes long.
func (l Link) putHeader(b []byte, src, dst netip.Addr, v6 bool) {
	etherType := uint16(layers.EthernetTypeIPv4)
	if v6 {
		etherType = uint16(layers.EthernetTypeIPv6)
	}
	switch l {
	case LinkEthernet, LinkVLAN, LinkQinQ:
		macFor(b[0:6], dst)
		macFor(b[6:12], src)
		off := 12
		if l == LinkQinQ {
			binary.BigEndian.PutUint16(b[off:], uint16(layers.EthernetTypeQinQ))
			binary.BigEndian.PutUint16(b[off+2:], OuterVLAN)
			off += 4
		}
		if l != LinkEthernet {
			binary.BigEndian.PutUint16(b[off:], uint16(layers.EthernetTypeDot1Q))
			binary.BigEndian.PutUint16(b[off+2:], InnerVLAN)
			off += 4
		}
		binary.BigEndian.PutUint16(b[off:], etherType)
	case LinkSLL:
		binary.BigEndian.PutUint16(b[0:], 0) // packet type: to this host
		binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(b[4:], 6) // address length
		macFor(b[6:12], src)
		b[12], b[13] = 0, 0
		binary.BigEndian.PutUint16(b[14:], etherType)
	case LinkSLL2:
		binary.BigEndian.PutUint16(b[0:], etherType)
		binary.BigEndian.PutUint16(b[2:], 0) // reserved
		binary.BigEndian.PutUint32(b[4:], 2) // interface index
		binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
		b[10] = 0                            // packet type: to this host
		b[11] = 6                            // address length
		macFor(b[12:18], src)
		b[18], b[19] = 0, 0
	case LinkNull:
		family := uint32(layers.ProtocolFamilyIPv4)
		if v6 {
			family = uint32(layers.ProtocolFamilyIPv6BSD)
		}
		binary.LittleEndian.PutUint32(b[0:], family)
	case LinkPPP:
		b[0], b[1] = 0xff, 0x03
		proto := uint16(layers.PPPTypeIPv4)
		if v6 {
			proto = uint16(layers.PPPTypeIPv6)
		}
		binary.BigEndian.PutUint16(b[2:], proto)
	}
}
