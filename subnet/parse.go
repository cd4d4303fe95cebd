package subnet

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Errors returned, wrapped with the offending input, by ParseSubnet and
// ParseRanges. Test for them with errors.Is.
var (
	// ErrInvalidAddr reports text that is not an IP address in a form the
	// parser accepts.
	ErrInvalidAddr = errors.New("subnet: invalid address")
	// ErrInvalidBits reports a prefix length that is not a plain decimal
	// number within 0-32 for IPv4 or 0-128 for IPv6.
	ErrInvalidBits = errors.New("subnet: invalid prefix length")
	// ErrZone reports an IPv6 address with a zone (fe80::1%eth0): a zone
	// names a link, not a subnet.
	ErrZone = errors.New("subnet: address has a zone")
	// ErrMappedAddr reports an IPv4-mapped IPv6 address (::ffff:10.0.0.1).
	// Captured IPv4 traffic is always counted as IPv4, so a mapped address
	// would never match; write the IPv4 form instead.
	ErrMappedAddr = errors.New("subnet: IPv4-mapped IPv6 address; write it as IPv4")
)

// ParseSubnet parses the address of a subnet directive: an IPv4 or IPv6
// address, optionally followed by /bits. It returns the address as written
// (host bits are not cleared; mask it with netip.PrefixFrom(addr,
// bits).Masked() or Mask) and the prefix length, or -1 when none was given
// so that the caller applies maskbits or maskbits6.
//
//	"10.10.123.0"     -> 10.10.123.0, -1
//	"10.20.0.0/16"    -> 10.20.0.0, 16
//	"2001:db8:1::/48" -> 2001:db8:1::, 48
//
// Addresses with a zone are rejected with ErrZone and IPv4-mapped IPv6
// addresses with ErrMappedAddr. The prefix length must be decimal without
// sign or leading zeros and at most 32 for IPv4, 128 for IPv6
// (ErrInvalidBits). Errors quote s, as in `"10.10.300.0": invalid address`;
// the caller adds the directive and position.
func ParseSubnet(s string) (addr netip.Addr, bits int, err error) {
	text, bitsText, hasBits := strings.Cut(s, "/")
	addr, err = parseAddr(text)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%q: %w", s, err)
	}
	if !hasBits {
		return addr, -1, nil
	}
	bits, ok := parseBits(bitsText, addr.BitLen())
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("%q: %w", s, reason{ErrInvalidBits})
	}
	return addr, bits, nil
}

// parseAddr parses one full IPv4 or IPv6 address, refusing zones and
// IPv4-mapped addresses. The error is a bare sentinel.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return netip.Addr{}, reason{ErrInvalidAddr}
	case a.Zone() != "":
		return netip.Addr{}, reason{ErrZone}
	case a.Is4In6():
		return netip.Addr{}, reason{ErrMappedAddr}
	}
	return a, nil
}

// parseBits parses a prefix length in 0..max: decimal digits, no sign and
// no leading zero.
func parseBits(s string, max int) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= max
}

// Mask returns the subnet of a: a masked to bits4 leading bits when a is
// IPv4, or to bits6 when it is IPv6 (an IPv4-mapped IPv6 address is IPv6
// here; it is not unmapped). A zone is dropped. Mask returns the zero
// Prefix when a is the zero Addr or the bits for its family are outside
// 0-32 or 0-128. It does not allocate.
func Mask(a netip.Addr, bits4, bits6 int) netip.Prefix {
	// IPv4 masks a uint32 by hand, which measures faster than
	// Addr.Prefix; for IPv6, Addr.Prefix is as fast as doing it by hand.
	if a.Is4() {
		if uint(bits4) > 32 {
			return netip.Prefix{}
		}
		b := a.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		v &= ^uint32(0) << (32 - bits4)
		b = [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		return netip.PrefixFrom(netip.AddrFrom4(b), bits4)
	}
	if !a.Is6() || uint(bits6) > 128 {
		return netip.Prefix{}
	}
	p, _ := a.Prefix(bits6)
	return p
}

// reason is a sentinel error given as the tail of a message that already
// names its place (`flag -L/--localrange: range "10.300.": invalid
// address`): it reads without the package prefix every sentinel carries,
// and unwraps to the sentinel for errors.Is.
type reason struct{ err error }

func (r reason) Error() string { return strings.TrimPrefix(r.err.Error(), "subnet: ") }
func (r reason) Unwrap() error { return r.err }
