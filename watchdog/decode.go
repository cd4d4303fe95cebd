package watchdog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"

	"ipband/watchdog/pcapfile"
)

// LinkType is a pcap LINKTYPE_ value: the link-layer header type a capture
// file or interface declares for its frames. It is pcapfile's type, so that
// the file reader and the decoder speak of the same numbers.
type LinkType = pcapfile.LinkType

// Link types the Decoder supports. The numbers are the pcap LINKTYPE_ values
// written in capture files.
const (
	// LinkTypeNull is BSD loopback: a 4-byte address family in the byte
	// order of the capturing host.
	LinkTypeNull LinkType = 0
	// LinkTypeEthernet is Ethernet II, possibly with 802.1Q/802.1ad tags.
	LinkTypeEthernet LinkType = 1
	// LinkTypePPP is PPP: a protocol field, possibly preceded by the
	// HDLC-like address and control bytes 0xff 0x03.
	LinkTypePPP LinkType = 9
	// LinkTypeRaw12 is DLT_RAW as some systems number it: raw IPv4 or IPv6.
	LinkTypeRaw12 LinkType = 12
	// LinkTypeRaw14 is DLT_RAW as OpenBSD numbers it: raw IPv4 or IPv6.
	LinkTypeRaw14 LinkType = 14
	// LinkTypePPPHDLC is PPP in HDLC-like framing (RFC 1662), or Cisco PPP.
	LinkTypePPPHDLC LinkType = 50
	// LinkTypeRaw is raw IPv4 or IPv6, told apart by the version nibble.
	LinkTypeRaw LinkType = 101
	// LinkTypeCHDLC is Cisco HDLC: address, control and an ethertype.
	LinkTypeCHDLC LinkType = 104
	// LinkTypeLoop is OpenBSD loopback: a 4-byte address family in network
	// byte order.
	LinkTypeLoop LinkType = 108
	// LinkTypeLinuxSLL is the Linux cooked capture header, version 1.
	LinkTypeLinuxSLL LinkType = 113
	// LinkTypeIPv4 is raw IPv4.
	LinkTypeIPv4 LinkType = 228
	// LinkTypeIPv6 is raw IPv6.
	LinkTypeIPv6 LinkType = 229
	// LinkTypeLinuxSLL2 is the Linux cooked capture header, version 2.
	LinkTypeLinuxSLL2 LinkType = 276
)

// ErrLinkType is returned, wrapped, by NewDecoder for a link type it cannot
// decode. The error's text names the link type: "unsupported link type 182
// (MFR)".
var ErrLinkType = errors.New("watchdog: unsupported link type")

// linkTypeError is NewDecoder's error: its text names the link type, and it
// unwraps to ErrLinkType.
type linkTypeError struct{ msg string }

func (e *linkTypeError) Error() string { return e.msg }
func (e *linkTypeError) Unwrap() error { return ErrLinkType }

// linkKind is the decoding routine a link type uses; dense so that Decode's
// switch is a jump table.
type linkKind uint8

const (
	linkEthernet linkKind = iota
	linkSLL
	linkSLL2
	linkRaw
	linkIPv4
	linkIPv6
	linkNull
	linkPPP
	linkCHDLC
)

// Ethertypes and limits used while decoding.
const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd

	// maxVLANTags bounds the 802.1Q/802.1ad tags walked in one frame; a
	// frame with more is KindOther.
	maxVLANTags = 8
	// maxExtHeaders bounds the IPv6 extension headers walked in one packet;
	// a longer chain is FlagTruncated.
	maxExtHeaders = 16
	// fragBits is log2 of the size of the fragment port cache.
	fragBits  = 10
	fragSlots = 1 << fragBits
)

// fragKey identifies the fragments of one IP datagram: for IPv6, proto is the
// fragment header's next header.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// fragEntry remembers the transport protocol and ports of a first fragment.
// The zero entry has invalid addresses and so never matches a key.
type fragEntry struct {
	key              fragKey
	proto            uint8
	srcPort, dstPort uint16
}

// Decoder decodes the frames of one link type into Packets without
// allocating. It remembers the ports of recent first fragments so that later
// fragments of the same datagram count under the same connection; so a
// Decoder must not be used by several goroutines at once. The cache makes a
// Decoder about 64 KiB; make Decoders with NewDecoder and reuse them.
type Decoder struct {
	link  LinkType
	kind  linkKind
	hlen  int
	flen  int // the length of the frame being decoded
	frags [fragSlots]fragEntry
}

// NewDecoder returns a Decoder for frames of the pcap link type linkType.
// Supported are EN10MB (1), LINUX_SLL (113), LINUX_SLL2 (276), RAW (101, and
// 12 and 14 as some systems number it), IPV4 (228), IPV6 (229), NULL (0),
// LOOP (108), PPP (9), PPP_HDLC (50) and C_HDLC (104); any other link type
// gives an error wrapping ErrLinkType.
func NewDecoder(linkType LinkType) (*Decoder, error) {
	var (
		k linkKind
		n int
	)
	switch linkType {
	case LinkTypeEthernet:
		k, n = linkEthernet, 14
	case LinkTypeLinuxSLL:
		k, n = linkSLL, 16
	case LinkTypeLinuxSLL2:
		k, n = linkSLL2, 20
	case LinkTypeRaw, LinkTypeRaw12, LinkTypeRaw14:
		k, n = linkRaw, 0
	case LinkTypeIPv4:
		k, n = linkIPv4, 0
	case LinkTypeIPv6:
		k, n = linkIPv6, 0
	case LinkTypeNull, LinkTypeLoop:
		k, n = linkNull, 4
	case LinkTypePPP:
		k, n = linkPPP, 2
	case LinkTypePPPHDLC:
		k, n = linkPPP, 4
	case LinkTypeCHDLC:
		k, n = linkCHDLC, 4
	default:
		if name := linkType.Name(); name != "" {
			return nil, &linkTypeError{fmt.Sprintf("unsupported link type %d (%s)", int(linkType), name)}
		}
		return nil, &linkTypeError{fmt.Sprintf("unsupported link type %d", int(linkType))}
	}
	return &Decoder{link: linkType, kind: k, hlen: n}, nil
}

// LinkType returns the link type the Decoder was made for.
func (d *Decoder) LinkType() LinkType {
	return d.link
}

// HeaderLen returns the usual length of the link-layer header of the
// Decoder's link type, the most a frame length adjustment may take off: 14
// for Ethernet (without VLAN tags), 16 for LINUX_SLL, 20 for LINUX_SLL2, 0
// for the raw types, 4 for NULL, LOOP, PPP_HDLC (address, control, protocol)
// and C_HDLC, and 2 for PPP (the protocol field alone; frames with the
// 0xff 0x03 prefix have 4).
func (d *Decoder) HeaderLen() int {
	return d.hlen
}

// Decode decodes the frame data into p, overwriting everything but p.Time
// and p.Len, which the caller sets. It never fails: a frame without IP is
// KindOther, a frame with an unusable IP header is KindMalformed, and an IP
// packet cut short is KindIP with FlagTruncated and ports 0.
//
// IPv4 options and IPv6 extension headers (hop-by-hop, routing, fragment,
// destination options, AH, mobility, HIP, shim6, experimental) are skipped;
// a chain of more than 16 extension headers is treated as truncated. Ports
// are read for TCP, UDP, UDP-Lite, SCTP and DCCP as soon as their first 4
// bytes were captured; for ICMP and ICMPv6 DstPort is type*256+code.
// Tunnels (IP in IP, GRE, ...) are not decapsulated. A non-first fragment
// gets the protocol and ports of its first fragment if the Decoder saw it
// recently, else its own protocol number and ports 0. For TCP and UDP
// packets that are not fragments, PayloadOff and PayloadEnd say where the
// payload lies in data.
func (d *Decoder) Decode(data []byte, p *Packet) {
	p.Kind = KindOther
	p.Flags = 0
	p.Proto = 0
	p.Src = netip.Addr{}
	p.Dst = netip.Addr{}
	p.SrcPort = 0
	p.DstPort = 0
	p.PayloadOff, p.PayloadEnd = 0, 0
	d.flen = len(data)
	switch d.kind {
	case linkEthernet:
		if len(data) >= 14 {
			d.ethertype(binary.BigEndian.Uint16(data[12:14]), data[14:], p)
		}
	case linkSLL:
		if len(data) >= 16 {
			d.ethertype(binary.BigEndian.Uint16(data[14:16]), data[16:], p)
		}
	case linkSLL2:
		if len(data) >= 20 {
			d.ethertype(binary.BigEndian.Uint16(data[0:2]), data[20:], p)
		}
	case linkRaw:
		d.raw(data, p)
	case linkIPv4:
		d.ipv4(data, p)
	case linkIPv6:
		d.ipv6(data, p)
	case linkNull:
		d.null(data, p)
	case linkPPP:
		d.ppp(data, p)
	case linkCHDLC:
		if len(data) >= 4 {
			d.ethertype(binary.BigEndian.Uint16(data[2:4]), data[4:], p)
		}
	}
}

// ethertype decodes b, the payload of a frame of ethertype et, skipping up to
// maxVLANTags 802.1Q, 802.1ad and legacy QinQ tags.
func (d *Decoder) ethertype(et uint16, b []byte, p *Packet) {
	for n := 0; et == 0x8100 || et == 0x88a8 || et == 0x9100 || et == 0x9200; n++ {
		if n == maxVLANTags || len(b) < 4 {
			return
		}
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case etherIPv4:
		d.ipv4(b, p)
	case etherIPv6:
		d.ipv6(b, p)
	}
}

// raw decodes a raw IP packet, IPv4 or IPv6 by its version nibble.
func (d *Decoder) raw(b []byte, p *Packet) {
	if len(b) == 0 {
		p.Kind = KindMalformed
		return
	}
	switch b[0] >> 4 {
	case 4:
		d.ipv4(b, p)
	case 6:
		d.ipv6(b, p)
	default:
		p.Kind = KindMalformed
	}
}

// null decodes a BSD loopback frame. The address family is in the
// capturing host's byte order for NULL and in network byte order for LOOP;
// both orders are accepted for both, as no family number is above 0xffff.
func (d *Decoder) null(b []byte, p *Packet) {
	if len(b) < 4 {
		return
	}
	fam := binary.BigEndian.Uint32(b[0:4])
	if fam > 0xffff {
		fam = bits.ReverseBytes32(fam)
	}
	switch fam {
	case 2: // AF_INET everywhere
		d.ipv4(b[4:], p)
	case 24, 28, 30: // AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
		d.ipv6(b[4:], p)
	}
}

// ppp decodes a PPP frame: an optional 0xff 0x03 address and control, then
// a one- or two-byte protocol field. A frame starting with a Cisco HDLC
// address (0x0f or 0x8f, control 0) carries an ethertype instead.
func (d *Decoder) ppp(b []byte, p *Packet) {
	if len(b) >= 2 {
		switch {
		case b[0] == 0xff && b[1] == 0x03:
			b = b[2:]
		case (b[0] == 0x0f || b[0] == 0x8f) && b[1] == 0x00:
			if len(b) >= 4 {
				d.ethertype(binary.BigEndian.Uint16(b[2:4]), b[4:], p)
			}
			return
		}
	}
	if len(b) == 0 {
		return
	}
	proto := uint16(b[0])
	if proto&1 == 1 { // protocol field compression: one byte
		b = b[1:]
	} else {
		if len(b) < 2 {
			return
		}
		proto = binary.BigEndian.Uint16(b[0:2])
		b = b[2:]
	}
	switch proto {
	case 0x0021:
		d.ipv4(b, p)
	case 0x0057:
		d.ipv6(b, p)
	}
}

// ipv4 decodes an IPv4 packet and its transport ports.
func (d *Decoder) ipv4(b []byte, p *Packet) {
	if len(b) < 20 || b[0]>>4 != 4 || b[0]&0x0f < 5 {
		p.Kind = KindMalformed
		return
	}
	p.Kind = KindIP
	p.Proto = b[9]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	hl := int(b[0]&0x0f) * 4
	end := len(b)
	if tl := int(binary.BigEndian.Uint16(b[2:4])); tl >= hl && tl < end {
		end = tl // trailing bytes are link padding
	}
	frag := binary.BigEndian.Uint16(b[6:8])
	if frag&0x3fff == 0 { // not a fragment: the common case
		if hl > end || !ports(p.Proto, b[hl:end], p) {
			p.Flags = FlagTruncated
			return
		}
		payload(p, b[hl:end], d.flen-len(b)+hl)
		return
	}
	p.Flags = FlagFragment
	key := fragKey{src: p.Src, dst: p.Dst, id: uint32(binary.BigEndian.Uint16(b[4:6])), proto: p.Proto}
	slot := &d.frags[fragSlot(b[12:20], key.id, key.proto)]
	if frag&0x1fff != 0 { // offset != 0: no transport header here
		if slot.key == key {
			p.SrcPort, p.DstPort = slot.srcPort, slot.dstPort
		}
		return
	}
	if hl > end || !ports(p.Proto, b[hl:end], p) {
		p.Flags |= FlagTruncated
		return
	}
	*slot = fragEntry{key: key, proto: p.Proto, srcPort: p.SrcPort, dstPort: p.DstPort}
}

// ipv6 decodes an IPv6 packet, walks its extension headers and decodes its
// transport ports.
func (d *Decoder) ipv6(b []byte, p *Packet) {
	if len(b) < 40 || b[0]>>4 != 6 {
		p.Kind = KindMalformed
		return
	}
	p.Kind = KindIP
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	end := len(b)
	if pl := int(binary.BigEndian.Uint16(b[4:6])); pl != 0 && 40+pl < end {
		end = 40 + pl // trailing bytes are link padding; 0 is a jumbogram
	}
	nh, off := b[6], 40
	var (
		first bool
		key   fragKey
	)
	for n := 0; isExtHeader(nh); n++ {
		// Every extension header is at least 8 bytes long.
		if n == maxExtHeaders || off > end-8 {
			p.Proto = nh
			p.Flags |= FlagTruncated
			return
		}
		h := b[off : off+8]
		switch nh {
		case 51: // AH: length in 4-octet units, not counting the first two
			off += (int(h[1]) + 2) * 4
		case 44: // fragment
			if fo := binary.BigEndian.Uint16(h[2:4]); fo&0xfff9 != 0 { // offset or M: a real fragment
				p.Flags |= FlagFragment
				key = fragKey{src: p.Src, dst: p.Dst, id: binary.BigEndian.Uint32(h[4:8]), proto: h[0]}
				if fo&0xfff8 != 0 { // offset != 0: no transport header here
					p.Proto = h[0]
					slot := &d.frags[fragSlot(b[8:40], key.id, key.proto)]
					if slot.key == key {
						p.Proto, p.SrcPort, p.DstPort = slot.proto, slot.srcPort, slot.dstPort
					}
					return
				}
				first = true
			}
			off += 8
		default: // length in 8-octet units, not counting the first
			off += (int(h[1]) + 1) * 8
		}
		nh = h[0]
	}
	p.Proto = nh
	if off > end || !ports(nh, b[off:end], p) {
		p.Flags |= FlagTruncated
		return
	}
	if first {
		d.frags[fragSlot(b[8:40], key.id, key.proto)] = fragEntry{key: key, proto: nh, srcPort: p.SrcPort, dstPort: p.DstPort}
		return
	}
	payload(p, b[off:end], d.flen-len(b)+off)
}

// payload sets the payload bounds of p, whose transport header t (to the
// end of the IP packet as captured) is at offset off of the frame, for TCP
// and UDP.
func payload(p *Packet, t []byte, off int) {
	switch p.Proto {
	case 6:
		if len(t) >= 20 {
			if h := int(t[12]>>4) * 4; h >= 20 && h <= len(t) {
				p.PayloadOff, p.PayloadEnd = uint32(off+h), uint32(off+len(t))
			}
		}
	case 17:
		if len(t) >= 8 {
			p.PayloadOff, p.PayloadEnd = uint32(off+8), uint32(off+len(t))
		}
	}
}

// isExtHeader reports whether IPv6 next header nh is an extension header the
// decoder walks past: hop-by-hop, routing, fragment, destination options, AH,
// mobility, HIP, shim6 and the two experimental values.
func isExtHeader(nh uint8) bool {
	switch nh {
	case 0, 43, 44, 51, 60, 135, 139, 140, 253, 254:
		return true
	}
	return false
}

// ports reads the ports of transport protocol proto from its header t into
// p. It reports false if t is too short to hold them.
func ports(proto uint8, t []byte, p *Packet) bool {
	switch proto {
	case 6, 17, 33, 132, 136: // TCP, UDP, DCCP, SCTP, UDP-Lite
		if len(t) < 4 {
			return false
		}
		p.SrcPort = binary.BigEndian.Uint16(t[0:2])
		p.DstPort = binary.BigEndian.Uint16(t[2:4])
	case 1, 58: // ICMP, ICMPv6
		if len(t) < 2 {
			return false
		}
		p.DstPort = uint16(t[0])<<8 | uint16(t[1])
	}
	return true
}

// fragSlot hashes a datagram's addresses (addrs, source then destination as
// in the IP header), id and protocol into a fragment cache slot.
func fragSlot(addrs []byte, id uint32, proto uint8) int {
	h := uint64(id)<<8 | uint64(proto)
	for len(addrs) >= 4 {
		h = (h ^ uint64(binary.BigEndian.Uint32(addrs))) * 0x100000001b3
		addrs = addrs[4:]
	}
	return int((h * 0x9e3779b97f4a7c15) >> (64 - fragBits))
}
