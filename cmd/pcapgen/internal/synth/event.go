package synth

import (
	"net/netip"
	"time"
)

// IP protocol numbers the frame builder knows how to give a transport header.
// Any other protocol number gets no transport header, only payload.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
)

// TCP flag bits for Packet.TCPFlags.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
)

// Kind says what an Event asks a Writer to do. The zero Kind is KindPacket.
type Kind uint8

const (
	// KindPacket is a record holding the frame built from the event's Packet.
	KindPacket Kind = iota
	// KindBlock is a raw pcapng block (Event.Block) written verbatim between
	// records. It is refused when writing pcap.
	KindBlock
)

// Frag says whether and how a datagram is fragmented. The zero Frag is
// FragNone.
type Frag uint8

const (
	// FragNone is an unfragmented datagram.
	FragNone Frag = iota
	// FragFirst is the first fragment: offset 0, more-fragments set, and the
	// transport header with the ports.
	FragFirst
	// FragLater is a non-first, last fragment: offset Packet.FragOffset,
	// more-fragments clear, no transport header.
	FragLater
)

// Damage names a deliberate defect in an IPv4 header, for hostile-input
// captures. The zero Damage is DamageNone. The IPv4 header checksum is
// computed after the damage, so only the named field is wrong.
type Damage uint8

const (
	// DamageNone builds a well-formed header.
	DamageNone Damage = iota
	// DamageShortIHL sets the header length nibble to 3 (12 bytes, below the
	// 20-byte minimum).
	DamageShortIHL
	// DamageLongIHL sets the header length nibble to 15 (60 bytes) while the
	// real header is 20 bytes and the datagram may be shorter than 60.
	DamageLongIHL
	// DamageVersion sets the version nibble to 6 in an IPv4 header that
	// still travels under the IPv4 link type (ethertype 0x0800).
	DamageVersion
	// DamageTotalLen makes the total length field 1000 bytes larger than the
	// datagram actually in the frame.
	DamageTotalLen
)

// Packet describes the IP datagram an event carries. Src and Dst must both be
// IPv4 or both IPv6 (an IPv4-mapped IPv6 address counts as IPv6). The zero
// values of the optional fields give a plain datagram: TTL 64, no options, no
// extension headers, not fragmented, payload filling the frame.
type Packet struct {
	// Src and Dst are the datagram's addresses.
	Src, Dst netip.Addr
	// Proto is the IP protocol (ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6 or
	// any other number, which gets no transport header).
	Proto uint8
	// SrcPort and DstPort are the TCP or UDP ports.
	SrcPort, DstPort uint16
	// ICMPType and ICMPCode are the ICMP or ICMPv6 type and code; an echo
	// request is type 8 (ICMP) or 128 (ICMPv6), code 0.
	ICMPType, ICMPCode uint8
	// EchoID and EchoSeq are the ICMP echo identifier and sequence number.
	EchoID, EchoSeq uint16
	// TCPFlags are the TCP flags; zero means ACK, plus PSH when the segment
	// carries payload.
	TCPFlags uint8
	// Seq and Ack are the TCP sequence and acknowledgement numbers.
	Seq, Ack uint32
	// ID is the IPv4 identification (FragID is used instead when fragmented).
	ID uint16
	// Options adds a 4-byte IPv4 option field (NOP, NOP, NOP, EOL), so the
	// header length nibble is 6.
	Options bool
	// HopByHop adds an IPv6 hop-by-hop options header (8 bytes, PadN).
	HopByHop bool
	// DestOpts is the number of IPv6 destination options headers (8 bytes
	// each, PadN) chained after the hop-by-hop header.
	DestOpts int
	// Frag selects fragmentation.
	Frag Frag
	// FragID is the fragment identification (16 bits used for IPv4).
	FragID uint32
	// FragOffset is a FragLater fragment's offset in bytes; it must be a
	// multiple of 8.
	FragOffset int
	// FragTotal is the transport length (header plus data) of the whole
	// datagram of which a FragFirst fragment is the start; it goes into the
	// UDP length field and the checksum's pseudo-header. Zero means this
	// fragment's own transport length.
	FragTotal int
	// Payload is written at the start of a TCP or UDP payload (a DNS
	// message, a TLS ClientHello); the rest of the payload is zeros. The
	// event's Len must leave room for it, or it is cut.
	Payload []byte
	// NoPayload makes the datagram headers only; the rest of the frame up
	// to the event's Len is zero link-layer padding.
	NoPayload bool
	// Damage selects a deliberate IPv4 header defect.
	Damage Damage
}

// Event is one step of a scenario: normally a frame of Len bytes on the wire
// at Time, carrying Packet.
type Event struct {
	// Kind says what the event is; the zero Kind is a packet.
	Kind Kind
	// Time is the record's timestamp. It should be a whole number of
	// microseconds so that pcap and pcapng files agree.
	Time time.Time
	// Len is the frame length on the wire; the record's caplen is
	// min(Len, snaplen) and its original length is Len.
	Len int
	// Packet describes the datagram in the frame.
	Packet Packet
	// OrigLen, when positive, is written as the record's original length
	// instead of Len, even when it is smaller than the captured length
	// (a record with caplen > len). Such a record is written by hand.
	OrigLen int
	// Cut ends the file inside this record: its header and only the first
	// half of its captured bytes are written. No event may follow.
	Cut bool
	// Block is the raw pcapng block of a KindBlock event.
	Block []byte
}
