package watchdog

import "net/netip"

// Kind says what a decoded frame is, and so how the engine counts it.
type Kind uint8

const (
	// KindOther is a frame that carries no IP packet (ARP, LLC, an unknown
	// ethertype). It moves the clock and counts nothing.
	KindOther Kind = iota
	// KindIP is an IPv4 or IPv6 packet whose addresses were read. Its frame
	// length counts toward the subnets of both addresses.
	KindIP
	// KindMalformed is a frame that claims to be IP but whose IP header is
	// unusable (IPv4 header length under 20 bytes, a version that does not
	// match, addresses cut off). It moves the clock and is counted as
	// malformed, never as traffic.
	KindMalformed
)

// Flags carry details of a KindIP packet that the engine may count.
type Flags uint8

const (
	// FlagFragment marks an IP fragment. A non-first fragment has no
	// transport header; its ports are those remembered from the first
	// fragment when the decoder saw it, else 0.
	FlagFragment Flags = 1 << iota
	// FlagTruncated marks a packet whose transport header was cut off by the
	// snap length or by the IP header's own lengths: its ports are 0.
	FlagTruncated
)

// Packet is one decoded frame: the fields the watchdog needs and nothing
// else. Decoders fill a caller-owned Packet in place; the zero Packet is a
// KindOther frame at time 0.
type Packet struct {
	// Time is the capture time in Unix nanoseconds.
	Time int64
	// Len is the frame length on the wire (the pcap header's len, not its
	// caplen), before any length adjustment.
	Len uint32
	// Kind says whether the frame is IP, other, or malformed.
	Kind Kind
	// Flags say whether the packet was a fragment or truncated.
	Flags Flags
	// Proto is the transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58
	// ICMPv6, ...), after any IPv6 extension headers.
	Proto uint8
	// Src and Dst are the IP addresses; both IPv4 or both IPv6. IPv4 is
	// never represented as an IPv4-mapped IPv6 address.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the TCP/UDP ports. For ICMP and ICMPv6 SrcPort
	// is 0 and DstPort is type*256+code. For other protocols both are 0.
	SrcPort, DstPort uint16
	// PayloadOff and PayloadEnd bound the TCP or UDP payload in the frame
	// as captured: data[PayloadOff:PayloadEnd], cut by the snap length and
	// without link padding. Both are 0 when the transport header was not
	// read whole (other protocols, fragments, truncated headers).
	PayloadOff, PayloadEnd uint32
}
