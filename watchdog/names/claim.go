package names

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Claim reads payload, the start of a TCP segment's payload from client to
// server at time t (Unix ns): a TLS ClientHello's server_name or an HTTP
// request's Host becomes client's claim for server. Anything else costs a
// look at its first bytes.
func (b *Book) Claim(t int64, client, server netip.Addr, payload []byte) {
	var (
		name []byte
		src  Source
	)
	switch {
	case len(payload) > 5 && payload[0] == 0x16 && payload[5] == 1:
		name, src = ServerName(payload), SNIClaimed
	case len(payload) >= 16 && isMethod(payload):
		name, src = Host(payload), HostClaimed
	}
	if len(name) == 0 {
		return
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b.buf[i] = ch
	}
	name = b.buf[:len(name)]
	c, _ := b.claims.put(pair{client, server})
	if c.name != string(name) { // no allocation for the name already there
		c.name = string(name)
	}
	c.src, c.t = src, t
}

// isMethod reports whether p starts with an HTTP/1 request method and a
// space.
func isMethod(p []byte) bool {
	switch binary.BigEndian.Uint32(p) {
	case 0x47455420: // "GET "
		return true
	case 0x504f5354, 0x48454144: // "POST", "HEAD"
		return p[4] == ' '
	case 0x50555420: // "PUT "
		return true
	case 0x44454c45: // "DELE"
		return bytes.HasPrefix(p, []byte("DELETE "))
	case 0x4f505449: // "OPTI"
		return bytes.HasPrefix(p, []byte("OPTIONS "))
	case 0x50415443: // "PATC"
		return bytes.HasPrefix(p, []byte("PATCH "))
	}
	return false
}

// ServerName returns the host_name of the server_name extension of the TLS
// ClientHello at the start of p (a TLS record), as a sub-slice of p; nil
// when p holds no ClientHello, it was cut before the name, or the name is
// not a host name.
func ServerName(p []byte) []byte {
	if len(p) < 5 || p[0] != 0x16 || p[1] != 3 {
		return nil
	}
	rec := p[5:]
	if n := int(binary.BigEndian.Uint16(p[3:5])); n < len(rec) {
		rec = rec[:n]
	}
	// Handshake: type 1 (ClientHello), a 3-byte length.
	if len(rec) < 4 || rec[0] != 1 {
		return nil
	}
	h := rec[4:]
	if n := int(rec[1])<<16 | int(rec[2])<<8 | int(rec[3]); n < len(h) {
		h = h[:n]
	}
	// version (2), random (32), session id, cipher suites, compression.
	h, ok := skip(h, 34)
	if !ok {
		return nil
	}
	if h, ok = skipVec(h, 1); !ok {
		return nil
	}
	if h, ok = skipVec(h, 2); !ok {
		return nil
	}
	if h, ok = skipVec(h, 1); !ok {
		return nil
	}
	if len(h) < 2 {
		return nil
	}
	exts := h[2:]
	if n := int(binary.BigEndian.Uint16(h)); n < len(exts) {
		exts = exts[:n]
	}
	for len(exts) >= 4 {
		typ, n := binary.BigEndian.Uint16(exts), int(binary.BigEndian.Uint16(exts[2:]))
		exts = exts[4:]
		if n > len(exts) {
			if typ != 0 {
				return nil // the rest was not captured
			}
			n = len(exts)
		}
		if typ == 0 {
			return hostName(exts[:n])
		}
		exts = exts[n:]
	}
	return nil
}

// hostName returns the first host_name of a server_name extension's body.
func hostName(b []byte) []byte {
	if len(b) < 2 {
		return nil
	}
	list := b[2:]
	if n := int(binary.BigEndian.Uint16(b)); n < len(list) {
		list = list[:n]
	}
	for len(list) >= 3 {
		typ, n := list[0], int(binary.BigEndian.Uint16(list[1:]))
		list = list[3:]
		if n > len(list) {
			return nil
		}
		if typ == 0 {
			return validHost(list[:n])
		}
		list = list[n:]
	}
	return nil
}

func skip(b []byte, n int) ([]byte, bool) {
	if len(b) < n {
		return nil, false
	}
	return b[n:], true
}

// skipVec skips a vector whose length takes size (1 or 2) bytes.
func skipVec(b []byte, size int) ([]byte, bool) {
	if len(b) < size {
		return nil, false
	}
	n := int(b[0])
	if size == 2 {
		n = int(binary.BigEndian.Uint16(b))
	}
	return skip(b[size:], n)
}

// Host returns the Host header of the HTTP/1 request at the start of p,
// without its port, as a sub-slice of p; nil when there is none in the
// captured bytes, or it is an address or not a host name.
func Host(p []byte) []byte {
	if end := bytes.Index(p, []byte("\r\n\r\n")); end >= 0 {
		p = p[:end+2]
	}
	for {
		i := bytes.Index(p, []byte("\r\n"))
		if i < 0 {
			return nil
		}
		p = p[i+2:]
		if len(p) >= 5 && p[4] == ':' && (p[0]|0x20) == 'h' && (p[1]|0x20) == 'o' && (p[2]|0x20) == 's' && (p[3]|0x20) == 't' {
			v := p[5:]
			if j := bytes.Index(v, []byte("\r\n")); j >= 0 {
				v = v[:j]
			} else {
				return nil // cut by the capture
			}
			v = bytes.Trim(v, " \t")
			if j := bytes.LastIndexByte(v, ':'); j >= 0 {
				v = v[:j]
			}
			return validHost(v)
		}
	}
}

// validHost returns h when it is a host name: letters, digits, '-', '_'
// and '.', at most 253 bytes, not an IPv4 address (all digits and dots);
// else nil.
func validHost(h []byte) []byte {
	h = bytes.TrimSuffix(h, []byte("."))
	if len(h) == 0 || len(h) > 253 {
		return nil
	}
	letter := false
	for _, c := range h {
		switch {
		case 'a' <= c && c <= 'z', c == '-', c == '_':
			letter = true
		case 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == '.':
		default:
			return nil
		}
	}
	if !letter {
		return nil
	}
	return h
}
