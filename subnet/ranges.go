package subnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
)

// Errors returned, wrapped with the offending item, by ParseRanges.
var (
	// ErrNoRanges reports a list with no items at all.
	ErrNoRanges = errors.New("subnet: no ranges")
	// ErrEmptyItem reports an empty item in a list (`10.:` or `a,,b`).
	ErrEmptyItem = errors.New("subnet: empty item")
	// ErrMixedFamily reports a lo-hi range with one IPv4 and one IPv6 end.
	ErrMixedFamily = errors.New("subnet: ends of different address families")
	// ErrReversedRange reports a lo-hi range whose low end is above its high
	// end.
	ErrReversedRange = errors.New("subnet: low end above high end")
)

// Range is an inclusive span of addresses of one family, Lo <= Hi, as
// ParseRanges builds it. The zero Range contains nothing.
type Range struct{ Lo, Hi netip.Addr }

// Ranges is a list of local ranges (-L, localrange). The zero value, or an
// empty list, contains no address; the engine treats "no ranges given"
// itself.
type Ranges []Range

// ParseRanges parses a list of local ranges.
//
// Each item is one of
//
//	lo-hi         10.10.0.0-10.10.3.255, 2001:db8::-2001:db8::ffff
//	ip/bits       192.168.1.0/24, 2001:db8:1::/48 (host bits are masked off)
//	partial IPv4  10.  10.10.  192.168.1.  (1 to 3 octets and a final dot:
//	              10.10. is 10.10.0.0-10.10.255.255)
//	ip            10.1.2.3, 2001:db8::1 (that one address)
//
// The partial form always ends with a dot: "10.10" without it is an error,
// not a prefix, and "10.1.2.3" is a single address.
//
// The classic list is colon separated (10.10.:192.168.1.0/24), which IPv6
// items cannot use. So: when s holds a comma or white space, items are
// separated by commas and/or runs of white space, and may be IPv6.
// Otherwise, when its text before the first colon has a dot (every IPv4
// item has one, no IPv6 item does), s is a colon separated list of IPv4
// items; else s is a single item, which may be IPv6.
//
// An empty item ("10.:" or "a,,b") is an error (ErrEmptyItem), and so is a list with no
// item (ErrNoRanges): the caller decides what an absent list means. Zones
// and IPv4-mapped IPv6 addresses are rejected as in ParseSubnet. Errors
// quote the item, as in `range "10.300.": invalid address`. The result
// keeps the order of s; ranges are neither sorted nor merged.
func ParseRanges(s string) (Ranges, error) {
	var rs Ranges
	add := func(item string) error {
		r, err := parseRange(item)
		if err != nil {
			return fmt.Errorf("range %q: %w", item, err)
		}
		rs = append(rs, r)
		return nil
	}
	switch {
	case strings.TrimSpace(s) == "":
		return nil, reason{ErrNoRanges}
	case strings.ContainsFunc(s, isListSpace) || strings.Contains(s, ","):
		for part := range strings.SplitSeq(s, ",") {
			items := strings.FieldsFunc(part, isListSpace)
			if len(items) == 0 {
				return nil, fmt.Errorf("%w in %q", reason{ErrEmptyItem}, s)
			}
			for _, item := range items {
				if err := add(item); err != nil {
					return nil, err
				}
			}
		}
	case colonList(s):
		for item := range strings.SplitSeq(s, ":") {
			if item == "" {
				return nil, fmt.Errorf("%w in %q", reason{ErrEmptyItem}, s)
			}
			if err := add(item); err != nil {
				return nil, err
			}
		}
	default:
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// colonList reports whether s, which has no comma or white space, is a
// colon separated list of IPv4 items: its text before the first colon has a
// dot, which every IPv4 item has and no IPv6 item has there.
func colonList(s string) bool {
	first, _, _ := strings.Cut(s, ":")
	return strings.Contains(first, ".")
}

// isListSpace reports the white space that separates list items.
func isListSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// parseRange parses one item; the error is unwrapped, for the caller to
// quote the item.
func parseRange(item string) (Range, error) {
	if lo, hi, ok := strings.Cut(item, "-"); ok {
		return parseLoHi(lo, hi)
	}
	if text, bitsText, ok := strings.Cut(item, "/"); ok {
		a, err := parseAddr(text)
		if err != nil {
			return Range{}, err
		}
		n, ok := parseBits(bitsText, a.BitLen())
		if !ok {
			return Range{}, reason{ErrInvalidBits}
		}
		return prefixRange(netip.PrefixFrom(a, n)), nil
	}
	if strings.HasSuffix(item, ".") {
		p, ok := parsePartial(item)
		if !ok {
			return Range{}, reason{ErrInvalidAddr}
		}
		return prefixRange(p), nil
	}
	a, err := parseAddr(item)
	if err != nil {
		return Range{}, err
	}
	return Range{a, a}, nil
}

// parseLoHi parses the two ends of a lo-hi item.
func parseLoHi(loText, hiText string) (Range, error) {
	lo, err := parseAddr(loText)
	if err != nil {
		return Range{}, err
	}
	hi, err := parseAddr(hiText)
	if err != nil {
		return Range{}, err
	}
	if lo.Is4() != hi.Is4() {
		return Range{}, reason{ErrMixedFamily}
	}
	if hi.Less(lo) {
		return Range{}, reason{ErrReversedRange}
	}
	return Range{lo, hi}, nil
}

// parsePartial parses the classic partial IPv4 form: one to three decimal
// octets, each followed by a dot ("10.", "10.10.", "192.168.1."), as the
// prefix of 8, 16 or 24 bits they spell.
func parsePartial(s string) (netip.Prefix, bool) {
	var b [4]byte
	n := 0
	for s != "" {
		octet, rest, ok := strings.Cut(s, ".")
		if !ok || n == 3 {
			return netip.Prefix{}, false
		}
		v, ok := parseOctet(octet)
		if !ok {
			return netip.Prefix{}, false
		}
		b[n] = v
		n++
		s = rest
	}
	return netip.PrefixFrom(netip.AddrFrom4(b), 8*n), n > 0
}

// parseOctet parses 0-255 in decimal, with no sign and no leading zero (a
// leading zero reads as octal to some parsers, so it is refused).
func parseOctet(s string) (byte, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return byte(v), v <= 255
}

// prefixRange returns the addresses of p, whose host bits need not be
// clear, as a Range.
func prefixRange(p netip.Prefix) Range {
	p = p.Masked()
	lo := p.Addr()
	hi := lo
	if lo.Is4() {
		b := lo.As4()
		v := binary.BigEndian.Uint32(b[:]) | hostMask32(p.Bits())
		binary.BigEndian.PutUint32(b[:], v)
		hi = netip.AddrFrom4(b)
	} else {
		b := lo.As16()
		h, l := hostMask128(p.Bits())
		binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])|h)
		binary.BigEndian.PutUint64(b[8:], binary.BigEndian.Uint64(b[8:])|l)
		hi = netip.AddrFrom16(b)
	}
	return Range{lo, hi}
}

// hostMask32 returns the host bits of an IPv4 prefix of n bits.
func hostMask32(n int) uint32 {
	return ^uint32(0) >> n // a shift of 32 gives 0
}

// hostMask128 returns the host bits of an IPv6 prefix of n bits, as the
// high and low 64-bit halves.
func hostMask128(n int) (hi, lo uint64) {
	if n >= 64 {
		return 0, ^uint64(0) >> (n - 64)
	}
	return ^uint64(0) >> n, ^uint64(0)
}

// Contains reports whether a lies in one of the ranges. It is false for an
// empty list and for the zero Addr, an address never matches a range of the
// other family, and an IPv4-mapped IPv6 address is IPv6 here (it is not
// unmapped). A zone on a is ignored. Contains does not allocate; it scans
// the list in order.
func (r Ranges) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	if a.Is6() {
		a = a.WithZone("")
	}
	for _, x := range r {
		if a.Compare(x.Lo) >= 0 && a.Compare(x.Hi) <= 0 {
			return true
		}
	}
	return false
}

// String returns the list in a form that ParseRanges reads back to an
// equal Ranges: items separated by commas, each an address when Lo == Hi,
// a prefix ip/bits when the range is exactly one, else lo-hi. An empty
// list gives "".
func (r Ranges) String() string {
	var sb strings.Builder
	for i, x := range r {
		if i > 0 {
			sb.WriteByte(',')
		}
		switch n, ok := x.prefixBits(); {
		case x.Lo == x.Hi:
			sb.WriteString(x.Lo.String())
		case ok:
			sb.WriteString(netip.PrefixFrom(x.Lo, n).String())
		default:
			sb.WriteString(x.Lo.String())
			sb.WriteByte('-')
			sb.WriteString(x.Hi.String())
		}
	}
	return sb.String()
}

// prefixBits returns the prefix length when x covers exactly one prefix.
func (x Range) prefixBits() (int, bool) {
	if !x.Lo.IsValid() || x.Lo.BitLen() != x.Hi.BitLen() {
		return 0, false
	}
	lo, hi := x.Lo.As16(), x.Hi.As16()
	lh, ll := binary.BigEndian.Uint64(lo[:8]), binary.BigEndian.Uint64(lo[8:])
	hh, hl := binary.BigEndian.Uint64(hi[:8]), binary.BigEndian.Uint64(hi[8:])
	dh, dl := lh^hh, ll^hl // the bits that differ must be all the host bits
	if dh != 0 && dl != ^uint64(0) {
		return 0, false
	}
	if dh&(dh+1) != 0 || dl&(dl+1) != 0 || lh&dh != 0 || ll&dl != 0 {
		return 0, false
	}
	n := bits.LeadingZeros64(dh)
	if dh == 0 {
		n = 64 + bits.LeadingZeros64(dl)
	}
	if x.Lo.Is4() {
		n -= 96
	}
	return n, true
}
