package report

import (
	"net/netip"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// dateLayout is the classic report's date format, as C's ctime prints it.
const dateLayout = "Mon Jan _2 15:04:05 2006"

// classicWidth is the width of the classic address and subnet columns, the
// longest IPv4 address.
const classicWidth = 15

// appendSpaces appends n spaces (none when n <= 0).
func appendSpaces(dst []byte, n int) []byte {
	return appendRepeat(dst, ' ', n)
}

// appendRepeat appends n copies of c (none when n <= 0).
func appendRepeat(dst []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, c)
	}
	return dst
}

// appendLeft appends s left-aligned in width characters, as %-*s does.
func appendLeft(dst []byte, s string, width int) []byte {
	dst = append(dst, s...)
	return appendSpaces(dst, width-utf8.RuneCountInString(s))
}

// appendRight appends s right-aligned in width characters, as %*s does.
func appendRight(dst []byte, s string, width int) []byte {
	dst = appendSpaces(dst, width-utf8.RuneCountInString(s))
	return append(dst, s...)
}

// appendPadded appends what fn appends, then pads it on the left (right
// aligned) or right (left aligned) to width bytes. fn must append ASCII.
func appendPadded(dst []byte, width int, right bool, fn func([]byte) []byte) []byte {
	start := len(dst)
	dst = fn(dst)
	n := width - (len(dst) - start)
	if n <= 0 {
		return dst
	}
	if !right {
		return appendSpaces(dst, n)
	}
	dst = appendSpaces(dst, n)
	copy(dst[start+n:], dst[start:len(dst)-n])
	for i := start; i < start+n; i++ {
		dst[i] = ' '
	}
	return dst
}

// appendUint appends v in decimal, right-aligned in width, as %*d does.
func appendUint(dst []byte, v uint64, width int) []byte {
	return appendPadded(dst, width, true, func(b []byte) []byte {
		return strconv.AppendUint(b, v, 10)
	})
}

// appendFloat appends f with two decimals, right-aligned in width, as
// %*.2f does.
func appendFloat(dst []byte, f float64, width int) []byte {
	return appendPadded(dst, width, true, func(b []byte) []byte {
		return strconv.AppendFloat(b, f, 'f', 2, 64)
	})
}

// appendAddr appends a left-aligned in width.
func appendAddr(dst []byte, a netip.Addr, width int) []byte {
	return appendPadded(dst, width, false, a.AppendTo)
}

// appendSubnet appends a subnet as reports show it: the address for an
// IPv4 subnet of the mask in force (maskBits; 0 for any length), the
// prefix ("10.10.0.0/16", "2001:db8:1::/48") for any other.
func appendSubnet(dst []byte, p netip.Prefix, maskBits int) []byte {
	if p.Addr().Is4() && (maskBits == 0 || p.Bits() == maskBits) {
		return p.Addr().AppendTo(dst)
	}
	return p.AppendTo(dst)
}

// addrLen is the length of a's text form.
func addrLen(a netip.Addr) int {
	var buf [64]byte
	return len(a.AppendTo(buf[:0]))
}

// floatLen is the length of f as appendFloat prints it.
func floatLen(f float64) int {
	var buf [64]byte
	return len(strconv.AppendFloat(buf[:0], f, 'f', 2, 64))
}

// subnetLen is the length of p as appendSubnet prints it.
func subnetLen(p netip.Prefix, maskBits int) int {
	var buf [64]byte
	return len(appendSubnet(buf[:0], p, maskBits))
}

// appendSafe appends s with every control character, line or paragraph
// separator and invalid UTF-8 byte replaced by '?', so that the result is
// one line, safe in a mail header or a terminal.
func appendSafe(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) ||
			r == '\u2028' || r == '\u2029' {
			dst = append(dst, '?')
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendCut appends at most n characters of s.
func appendCut(dst []byte, s string, n int) []byte {
	for i := range s {
		if n == 0 {
			return append(dst, s[:i]...)
		}
		n--
	}
	return append(dst, s...)
}

// appendCount appends "n thing" or "n things".
func appendCount(dst []byte, n uint64, thing string) []byte {
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, ' ')
	dst = append(dst, thing...)
	if n != 1 {
		dst = append(dst, 's')
	}
	return dst
}

// kB converts bytes to kBytes (1 kB = 1024 bytes).
func kB(bytes uint64) float64 {
	return float64(bytes) / 1024
}
