package synth

import (
	"encoding/binary"
	"fmt"
)

// MaxFrameLen is the largest frame length BuildFrame accepts.
const MaxFrameLen = 65535

// maxDestOpts bounds Packet.DestOpts so a frame stays under MaxFrameLen.
const maxDestOpts = 1000

// ipSizes returns the length of the IP header including options and
// extension headers, and the length of the transport header.
func (p *Packet) ipSizes() (l3, l4 int) {
	if p.Src.Is4() {
		l3 = 20
		if p.Options {
			l3 += 4
		}
	} else {
		l3 = 40 + 8*p.DestOpts
		if p.HopByHop {
			l3 += 8
		}
		if p.Frag != FragNone {
			l3 += 8
		}
	}
	if p.Frag == FragLater {
		return l3, 0
	}
	switch p.Proto {
	case ProtoTCP:
		l4 = 20
	case ProtoUDP, ProtoICMP, ProtoICMPv6:
		l4 = 8
	}
	return l3, l4
}

// check reports whether the packet can be built.
func (p *Packet) check() error {
	switch {
	case !p.Src.IsValid() || !p.Dst.IsValid():
		return fmt.Errorf("packet %v -> %v: %w", p.Src, p.Dst, ErrAddress)
	case p.Src.Is4() != p.Dst.Is4():
		return fmt.Errorf("packet %v -> %v: mixed families: %w", p.Src, p.Dst, ErrAddress)
	case p.DestOpts < 0 || p.DestOpts > maxDestOpts:
		return fmt.Errorf("%d destination options headers: %w", p.DestOpts, ErrPacket)
	case p.FragOffset < 0 || p.FragOffset > 65528 || p.FragOffset%8 != 0:
		return fmt.Errorf("fragment offset %d: %w", p.FragOffset, ErrPacket)
	case p.FragTotal < 0 || p.FragTotal > 65535:
		return fmt.Errorf("fragment total %d: %w", p.FragTotal, ErrPacket)
	}
	return nil
}

// MinLen returns the shortest frame on link that holds p's headers whole.
func MinLen(link Link, p *Packet) int {
	l3, l4 := p.ipSizes()
	return link.HeaderLen() + l3 + l4
}

// BuildFrame builds the frame of wireLen bytes on link that carries p,
// reusing dst's storage when it is large enough, and returns it; the returned
// frame is always exactly wireLen bytes long.
//
// The IP datagram fills the frame after the link header, its payload
// p.Payload then zeros (as much of p.Payload as fits), unless p.NoPayload, when it is headers only and the rest is zero
// padding. When wireLen is shorter than MinLen the headers are cut at
// wireLen: the IP length field then counts the bytes present (or, when the
// IP header itself is cut, claims a headers-only datagram). Checksums are
// computed over the whole datagram before any cut.
func BuildFrame(dst []byte, link Link, p *Packet, wireLen int) ([]byte, error) {
	if wireLen < 0 || wireLen > MaxFrameLen {
		return nil, fmt.Errorf("frame length %d: %w", wireLen, ErrLength)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	v6 := !p.Src.Is4()
	hl := link.HeaderLen()
	l3, l4 := p.ipSizes()
	size := max(wireLen, hl+l3+l4)
	var buf []byte
	if cap(dst) >= size {
		buf = dst[:size]
		clear(buf)
	} else {
		buf = make([]byte, size)
	}
	dlen := wireLen - hl
	switch {
	case dlen < l3:
		dlen = l3 + l4
	case p.NoPayload && dlen > l3+l4:
		dlen = l3 + l4
	}
	link.putHeader(buf, p.Src, p.Dst, v6)
	ip := buf[hl:]
	if v6 {
		p.putIPv6(ip, dlen)
	} else {
		p.putIPv4(ip, dlen)
	}
	if l4 > 0 && len(p.Payload) > 0 && dlen > l3+l4 {
		copy(ip[l3+l4:dlen], p.Payload)
	}
	if l4 > 0 {
		upper := dlen - l3
		if p.Frag == FragFirst && p.FragTotal > 0 {
			upper = p.FragTotal
		}
		p.putTransport(ip[l3:], upper, v6)
	}
	return buf[:wireLen], nil
}

// putIPv4 writes the IPv4 header (with options) for a datagram of dlen bytes.
func (p *Packet) putIPv4(b []byte, dlen int) {
	ihl := 5
	if p.Options {
		ihl = 6
		b[20], b[21], b[22], b[23] = 1, 1, 1, 0 // NOP NOP NOP EOL
	}
	b[0] = 0x40 | byte(ihl)
	total := dlen
	if p.Damage == DamageTotalLen {
		total += 1000
	}
	binary.BigEndian.PutUint16(b[2:], uint16(min(total, 65535)))
	id, frag := p.ID, uint16(0)
	switch p.Frag {
	case FragFirst:
		id, frag = uint16(p.FragID), 0x2000
	case FragLater:
		id, frag = uint16(p.FragID), uint16(p.FragOffset/8)
	default:
		if p.Proto == ProtoTCP {
			frag = 0x4000 // don't fragment
		}
	}
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], frag)
	b[8] = 64
	b[9] = p.Proto
	s, d := p.Src.As4(), p.Dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	switch p.Damage {
	case DamageShortIHL:
		b[0] = 0x43
	case DamageLongIHL:
		b[0] = 0x4f
	case DamageVersion:
		b[0] = 0x60 | byte(ihl)
	}
	binary.BigEndian.PutUint16(b[10:], ^fold(sum16(b[:ihl*4], 0)))
}

// putIPv6 writes the IPv6 header and extension headers for a datagram of
// dlen bytes.
func (p *Packet) putIPv6(b []byte, dlen int) {
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(max(dlen-40, 0)))
	b[7] = 64
	s, d := p.Src.As16(), p.Dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	next, off := 6, 40
	option := func(code byte) {
		b[next] = code
		next = off
		b[off+2], b[off+3] = 1, 4 // PadN, 4 bytes; header length 0 means 8 bytes
		off += 8
	}
	if p.HopByHop {
		option(0)
	}
	for range p.DestOpts {
		option(60)
	}
	if p.Frag != FragNone {
		b[next] = 44
		next = off
		fo := uint16(0x0001) // more fragments
		if p.Frag == FragLater {
			fo = uint16(p.FragOffset)
		}
		binary.BigEndian.PutUint16(b[off+2:], fo)
		binary.BigEndian.PutUint32(b[off+4:], p.FragID)
		off += 8
	}
	b[next] = p.Proto
}

// putTransport writes the transport header into b; upper is the transport
// length (header plus payload) used in UDP's length field and the
// pseudo-header. The payload is all zeros after p.Payload, so the checksum
// needs only the header, p.Payload and the pseudo-header.
func (p *Packet) putTransport(b []byte, upper int, v6 bool) {
	upper = min(max(upper, 0), 65535)
	sum := func(hdr int) []byte { return b[:min(len(b), hdr+len(p.Payload))] }
	switch p.Proto {
	case ProtoTCP:
		binary.BigEndian.PutUint16(b[0:], p.SrcPort)
		binary.BigEndian.PutUint16(b[2:], p.DstPort)
		binary.BigEndian.PutUint32(b[4:], p.Seq)
		binary.BigEndian.PutUint32(b[8:], p.Ack)
		b[12] = 5 << 4
		flags := p.TCPFlags
		if flags == 0 {
			flags = TCPAck
			if upper > 20 {
				flags |= TCPPsh
			}
		}
		b[13] = flags
		binary.BigEndian.PutUint16(b[14:], 65535)
		binary.BigEndian.PutUint16(b[16:], ^fold(sum16(sum(20), p.pseudo(upper, v6))))
	case ProtoUDP:
		binary.BigEndian.PutUint16(b[0:], p.SrcPort)
		binary.BigEndian.PutUint16(b[2:], p.DstPort)
		binary.BigEndian.PutUint16(b[4:], uint16(upper))
		c := ^fold(sum16(sum(8), p.pseudo(upper, v6)))
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(b[6:], c)
	case ProtoICMP, ProtoICMPv6:
		b[0], b[1] = p.ICMPType, p.ICMPCode
		binary.BigEndian.PutUint16(b[4:], p.EchoID)
		binary.BigEndian.PutUint16(b[6:], p.EchoSeq)
		var s uint32
		if p.Proto == ProtoICMPv6 {
			s = p.pseudo(upper, v6)
		}
		binary.BigEndian.PutUint16(b[2:], ^fold(sum16(b[:8], s)))
	}
}

// pseudo returns the one's complement sum of the pseudo-header.
func (p *Packet) pseudo(upper int, v6 bool) uint32 {
	var s uint32
	if v6 {
		a, b := p.Src.As16(), p.Dst.As16()
		s = sum16(a[:], s)
		s = sum16(b[:], s)
	} else {
		a, b := p.Src.As4(), p.Dst.As4()
		s = sum16(a[:], s)
		s = sum16(b[:], s)
	}
	return s + uint32(upper) + uint32(p.Proto)
}

// sum16 adds b as big-endian 16-bit words to s.
func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// fold folds a 32-bit one's complement sum into 16 bits.
func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
