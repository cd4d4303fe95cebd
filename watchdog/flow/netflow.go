package flow

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// NetFlow v5: a 24-byte header and 48-byte records.
const (
	v5Header = 24
	v5Record = 48
)

// decodeV5 decodes a NetFlow v5 datagram into c.recs. goflow2's v5
// decoder allocates the record slice the header's count claims (up to
// 3 MB for a 24-byte datagram) and reads through reflection: v5 is one
// fixed layout, read here in place.
func (c *Collector) decodeV5(d *dgram, b []byte) {
	if len(b) < v5Header {
		d.x.Malformed++
		return
	}
	count := int(binary.BigEndian.Uint16(b[2:]))
	if count == 0 || len(b) < v5Header+count*v5Record {
		d.x.Malformed++
		return
	}
	uptime := binary.BigEndian.Uint32(b[4:])
	export := int64(binary.BigEndian.Uint32(b[8:]))*1e9 + int64(binary.BigEndian.Uint32(b[12:]))
	seq := binary.BigEndian.Uint32(b[16:])
	engine := uint32(binary.BigEndian.Uint16(b[20:22]))
	sampling := uint64(binary.BigEndian.Uint16(b[22:]) & 0x3fff)
	c.sequence(d, 5, engine, seq, uint32(count))
	d.export = export
	rate := c.rate(d, sampling)
	for i := range count {
		r := b[v5Header+i*v5Record:][:v5Record]
		x := c.next(d)
		x.Src = netip.AddrFrom4([4]byte(r[0:4]))
		x.Dst = netip.AddrFrom4([4]byte(r[4:8]))
		x.in = uint32(binary.BigEndian.Uint16(r[12:]))
		x.out = uint32(binary.BigEndian.Uint16(r[14:]))
		x.Bytes = uint64(binary.BigEndian.Uint32(r[20:])) * rate
		x.Start = export - int64(int32(uptime-binary.BigEndian.Uint32(r[24:])))*1e6
		x.End = export - int64(int32(uptime-binary.BigEndian.Uint32(r[28:])))*1e6
		x.SrcPort = binary.BigEndian.Uint16(r[32:])
		x.DstPort = binary.BigEndian.Uint16(r[34:])
		x.Proto = r[38]
		x.sampling = rate
	}
}

// Information elements (IANA IPFIX numbers; NetFlow v9 uses the same for
// these) that the data-record decoder reads, as roles.
const (
	roleNone = iota
	roleOctets
	roleOctetsTotal
	roleOctetsPost
	roleRevOctets
	roleSrc4
	roleDst4
	roleSrc6
	roleDst6
	roleSrcPort
	roleDstPort
	roleProto
	roleIn
	roleOut
	roleFirstUp // 22, ms of uptime (v9) or since systemInitTimeMilliseconds
	roleLastUp  // 21
	roleStartS  // 150
	roleEndS    // 151
	roleStartMs // 152
	roleEndMs   // 153
	roleStartUs // 154, NTP
	roleEndUs   // 155
	roleStartNs // 156, NTP
	roleEndNs   // 157
	roleStartDeltaUs
	roleEndDeltaUs
	roleSysInit // 160
	roleSamplingInterval
	roleSamplerRandom
	rolePacketInterval
	rolePacketSpace
	roleSamplerID
	roleSelectorID
	nRoles
)

// penReverse is the enterprise number of RFC 5103's reverse elements.
const penReverse = 29305

func roleOf(typ uint16, pen uint32) uint8 {
	if pen == penReverse {
		if typ == 1 || typ == 85 {
			return roleRevOctets
		}
		return roleNone
	}
	if pen != 0 {
		return roleNone
	}
	switch typ {
	case 1:
		return roleOctets
	case 85:
		return roleOctetsTotal
	case 23:
		return roleOctetsPost
	case 8:
		return roleSrc4
	case 12:
		return roleDst4
	case 27:
		return roleSrc6
	case 28:
		return roleDst6
	case 7:
		return roleSrcPort
	case 11:
		return roleDstPort
	case 4:
		return roleProto
	case 10:
		return roleIn
	case 14:
		return roleOut
	case 22:
		return roleFirstUp
	case 21:
		return roleLastUp
	case 150:
		return roleStartS
	case 151:
		return roleEndS
	case 152:
		return roleStartMs
	case 153:
		return roleEndMs
	case 154:
		return roleStartUs
	case 155:
		return roleEndUs
	case 156:
		return roleStartNs
	case 157:
		return roleEndNs
	case 158:
		return roleStartDeltaUs
	case 159:
		return roleEndDeltaUs
	case 160:
		return roleSysInit
	case 34:
		return roleSamplingInterval
	case 50:
		return roleSamplerRandom
	case 305:
		return rolePacketInterval
	case 306:
		return rolePacketSpace
	case 48:
		return roleSamplerID
	case 302:
		return roleSelectorID
	}
	return roleNone
}

// template is a decoded (options) template: the length of each field
// (0xffff variable) and its role, and the least bytes a record takes.
type template struct {
	lens    []uint16
	roles   []uint8
	minLen  int
	options bool
	scopes  int // options: the first scopes fields are scope fields
}

type tmplKey struct {
	from    netip.AddrPort
	version uint16
	domain  uint32
	id      uint16
}

// Bounds on templates: per exporter address and port, and in all.
const (
	maxTemplatesPerExporter = 1024
	maxTemplates            = 65536
)

func newTemplate(fields []netflow.Field, scopes int, options bool) *template {
	t := &template{lens: make([]uint16, len(fields)), roles: make([]uint8, len(fields)), options: options, scopes: scopes}
	for i, f := range fields {
		pen := uint32(0)
		if f.PenProvided {
			pen = f.Pen
		}
		t.lens[i] = f.Length
		t.roles[i] = roleOf(f.Type&0x7fff, pen)
		if f.Length == 0xffff {
			t.minLen++
		} else {
			t.minLen += int(f.Length)
		}
	}
	return t
}

// addTemplate stores t, unless it takes no bytes (data for it would never
// advance: goflow2's own decoder loops forever on one) or a bound is
// reached; both count as malformed.
func (c *Collector) addTemplate(d *dgram, k tmplKey, t *template) {
	if t.minLen == 0 {
		d.x.Malformed++
		return
	}
	if _, ok := c.templates[k]; !ok {
		if len(c.templates) >= maxTemplates || c.tmplCount[k.from] >= maxTemplatesPerExporter {
			d.x.Malformed++
			return
		}
		c.tmplCount[k.from]++
	}
	c.templates[k] = t
}

// decodeV9 decodes a NetFlow v9 (version 9) or IPFIX (10) datagram:
// templates through goflow2's template decoders, data records in place.
// goflow2's data decoder makes 17-20 allocations per record (a slice of
// every field, interfaces, errors); this path makes none (BENCHMARKS.md).
func (c *Collector) decodeV9(d *dgram, b []byte, version uint16) {
	var (
		hdr, count      int
		uptime          uint32
		export          int64
		seq, domain     uint32
		sysInit         int64
		hasUptime       bool
		records, before = 0, len(c.recs)
	)
	if version == 9 {
		hdr = 20
		if len(b) < hdr {
			d.x.Malformed++
			return
		}
		count = int(binary.BigEndian.Uint16(b[2:]))
		uptime = binary.BigEndian.Uint32(b[4:])
		hasUptime = true
		export = int64(binary.BigEndian.Uint32(b[8:])) * 1e9
		seq = binary.BigEndian.Uint32(b[12:])
		domain = binary.BigEndian.Uint32(b[16:])
	} else {
		hdr = 16
		if len(b) < hdr {
			d.x.Malformed++
			return
		}
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < hdr || n > len(b) {
			d.x.Malformed++
			return
		}
		b = b[:n]
		export = int64(binary.BigEndian.Uint32(b[4:])) * 1e9
		seq = binary.BigEndian.Uint32(b[8:])
		domain = binary.BigEndian.Uint32(b[12:])
	}
	_ = count
	d.export = export
	rest := b[hdr:]
	for len(rest) > 0 {
		if len(rest) < 4 {
			if version == 10 {
				d.x.Malformed++
			}
			break // v9 may pad the datagram
		}
		id := binary.BigEndian.Uint16(rest)
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			d.x.Malformed++
			break
		}
		set := rest[4:n]
		rest = rest[n:]
		k := tmplKey{from: d.from, version: version, domain: domain}
		if id < 256 && !fitsTemplates(id, version, set) {
			d.x.Malformed++
			continue
		}
		if id < 256 && c.sameSet(k, id, version, set) {
			continue // templates resent as they were: nothing to decode
		}
		switch {
		case id == 0 && version == 9 || id == 2 && version == 10:
			recs, err := netflow.DecodeTemplateSet(version, bytes.NewBuffer(set))
			if err != nil {
				d.x.Malformed++
			}
			for _, r := range recs {
				k.id = r.TemplateId
				c.addTemplate(d, k, newTemplate(r.Fields, 0, false))
			}
		case id == 1 && version == 9:
			recs, err := netflow.DecodeNFv9OptionsTemplateSet(bytes.NewBuffer(set))
			if err != nil {
				d.x.Malformed++
			}
			for _, r := range recs {
				k.id = r.TemplateId
				c.addTemplate(d, k, newTemplate(append(r.Scopes, r.Options...), len(r.Scopes), true))
			}
		case id == 3 && version == 10:
			recs, err := netflow.DecodeIPFIXOptionsTemplateSet(bytes.NewBuffer(set))
			if err != nil {
				d.x.Malformed++
			}
			for _, r := range recs {
				k.id = r.TemplateId
				c.addTemplate(d, k, newTemplate(append(r.Scopes, r.Options...), len(r.Scopes), true))
			}
		case id >= 256:
			k.id = id
			t := c.templates[k]
			if t == nil {
				d.x.TemplateMisses++
				continue
			}
			records += c.dataSet(d, t, set, domain, uptime, hasUptime, export, &sysInit)
		default:
			d.x.Malformed++
		}
	}
	if version == 9 {
		c.sequence(d, 9, domain, seq, 1)
	} else {
		c.sequence(d, 10, domain, seq, uint32(records))
	}
	// Flows timed by uptime relative to systemInitTimeMilliseconds sent
	// after them in the same datagram.
	if sysInit != 0 {
		for i := before; i < len(c.recs); i++ {
			x := &c.recs[i]
			if x.relInit {
				x.Start += sysInit
				x.End += sysInit
				x.relInit = false
			}
		}
	}
}

// dataSet decodes the records of one data set with t; it returns the data
// records it held (options records are not counted).
func (c *Collector) dataSet(d *dgram, t *template, set []byte, domain, uptime uint32, hasUptime bool, export int64, sysInit *int64) int {
	var (
		off  [nRoles]int32
		ln   [nRoles]uint16
		n    int
		nrec int
	)
	for len(set) >= t.minLen {
		off = [nRoles]int32{}
		pos := 0
		ok := true
		for i, l := range t.lens {
			fl := int(l)
			if l == 0xffff {
				if pos >= len(set) {
					ok = false
					break
				}
				fl = int(set[pos])
				pos++
				if fl == 255 {
					if pos+2 > len(set) {
						ok = false
						break
					}
					fl = int(binary.BigEndian.Uint16(set[pos:]))
					pos += 2
				}
			}
			if pos+fl > len(set) {
				ok = false
				break
			}
			if r := t.roles[i]; r != roleNone && (off[r] == 0 || r == roleRevOctets) {
				off[r], ln[r] = int32(pos)+1, uint16(fl)
			}
			pos += fl
		}
		if !ok {
			d.x.Malformed++
			break
		}
		rec := set[:pos]
		set = set[pos:]
		n++
		if t.options {
			c.optionsRecord(d, domain, rec, &off, &ln, sysInit)
			continue
		}
		nrec++
		c.dataRecord(d, domain, rec, &off, &ln, uptime, hasUptime, export)
	}
	return nrec
}

// field returns the bytes of role r in rec, or nil.
func field(rec []byte, off *[nRoles]int32, ln *[nRoles]uint16, r int) []byte {
	if off[r] == 0 {
		return nil
	}
	o := int(off[r]) - 1
	return rec[o : o+int(ln[r])]
}

// uintOf reads a big-endian unsigned integer of 0-8 bytes (reduced-size
// encoding).
func uintOf(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// ntp converts an NTP timestamp (seconds since 1900 and a fraction) to Unix
// ns.
func ntp(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	s := int64(binary.BigEndian.Uint32(b)) - 2208988800
	f := int64(binary.BigEndian.Uint32(b[4:]))
	return s*1e9 + f*1e9>>32
}

func (c *Collector) dataRecord(d *dgram, domain uint32, rec []byte, off *[nRoles]int32, ln *[nRoles]uint16, uptime uint32, hasUptime bool, export int64) {
	var src, dst netip.Addr
	if b := field(rec, off, ln, roleSrc4); len(b) == 4 {
		src = netip.AddrFrom4([4]byte(b))
		if b := field(rec, off, ln, roleDst4); len(b) == 4 {
			dst = netip.AddrFrom4([4]byte(b))
		}
	} else if b := field(rec, off, ln, roleSrc6); len(b) == 16 {
		src = netip.AddrFrom16([16]byte(b))
		if b := field(rec, off, ln, roleDst6); len(b) == 16 {
			dst = netip.AddrFrom16([16]byte(b))
		}
	}
	if !src.IsValid() || !dst.IsValid() {
		return // not a flow of addresses (a MAC or MPLS template): nothing to count
	}
	x := c.next(d)
	x.Src, x.Dst = src, dst
	x.SrcPort = uint16(uintOf(field(rec, off, ln, roleSrcPort)))
	x.DstPort = uint16(uintOf(field(rec, off, ln, roleDstPort)))
	x.Proto = uint8(uintOf(field(rec, off, ln, roleProto)))
	x.in = uint32(uintOf(field(rec, off, ln, roleIn)))
	x.out = uint32(uintOf(field(rec, off, ln, roleOut)))
	var bytes uint64
	switch {
	case off[roleOctets] != 0:
		bytes = uintOf(field(rec, off, ln, roleOctets))
	case off[roleOctetsTotal] != 0:
		bytes = uintOf(field(rec, off, ln, roleOctetsTotal))
	default:
		bytes = uintOf(field(rec, off, ln, roleOctetsPost))
	}
	bytes += uintOf(field(rec, off, ln, roleRevOctets))
	// Sampling: the record's own elements first, then the options of its
	// sampler or domain.
	var rate uint64
	switch {
	case off[rolePacketInterval] != 0:
		iv := uintOf(field(rec, off, ln, rolePacketInterval))
		if iv > 0 {
			rate = (iv + uintOf(field(rec, off, ln, rolePacketSpace))) / iv
		}
	case off[roleSamplingInterval] != 0:
		rate = uintOf(field(rec, off, ln, roleSamplingInterval))
	case off[roleSamplerRandom] != 0:
		rate = uintOf(field(rec, off, ln, roleSamplerRandom))
	default:
		sid := uintOf(field(rec, off, ln, roleSamplerID))
		if sid == 0 {
			sid = uintOf(field(rec, off, ln, roleSelectorID))
		}
		rate = c.sampling[samplerKey{d.from.Addr(), domain, sid}]
		if rate == 0 && sid != 0 {
			rate = c.sampling[samplerKey{d.from.Addr(), domain, 0}]
		}
	}
	rate = c.rate(d, rate)
	x.Bytes = bytes * rate
	x.sampling = rate
	// Time.
	x.Start, x.End = d.now, d.now
	switch {
	case off[roleStartMs] != 0:
		x.Start = int64(uintOf(field(rec, off, ln, roleStartMs))) * 1e6
		x.End = int64(uintOf(field(rec, off, ln, roleEndMs))) * 1e6
	case off[roleStartNs] != 0:
		x.Start = ntp(field(rec, off, ln, roleStartNs))
		x.End = ntp(field(rec, off, ln, roleEndNs))
	case off[roleStartUs] != 0:
		x.Start = ntp(field(rec, off, ln, roleStartUs))
		x.End = ntp(field(rec, off, ln, roleEndUs))
	case off[roleStartS] != 0:
		x.Start = int64(uintOf(field(rec, off, ln, roleStartS))) * 1e9
		x.End = int64(uintOf(field(rec, off, ln, roleEndS))) * 1e9
	case off[roleStartDeltaUs] != 0:
		x.Start = export - int64(uintOf(field(rec, off, ln, roleStartDeltaUs)))*1e3
		x.End = export - int64(uintOf(field(rec, off, ln, roleEndDeltaUs)))*1e3
	case off[roleFirstUp] != 0 && hasUptime:
		first := uint32(uintOf(field(rec, off, ln, roleFirstUp)))
		last := uint32(uintOf(field(rec, off, ln, roleLastUp)))
		x.Start = export - int64(int32(uptime-first))*1e6
		x.End = export - int64(int32(uptime-last))*1e6
	case off[roleFirstUp] != 0:
		// IPFIX: relative to systemInitTimeMilliseconds, in this record or
		// in options data.
		init := int64(uintOf(field(rec, off, ln, roleSysInit))) * 1e6
		if init == 0 {
			init = c.sysInit[tmplKey{from: d.from, version: 10, domain: domain}]
		}
		x.Start = int64(uintOf(field(rec, off, ln, roleFirstUp))) * 1e6
		x.End = int64(uintOf(field(rec, off, ln, roleLastUp))) * 1e6
		if init != 0 {
			x.Start += init
			x.End += init
		} else {
			x.relInit = true
		}
	}
	if off[roleEndMs]+off[roleEndNs]+off[roleEndUs]+off[roleEndS]+off[roleLastUp]+off[roleEndDeltaUs] == 0 {
		x.End = max(x.Start, x.End)
	}
}

// optionsRecord takes the sampling rate and the system init time from an
// options data record.
func (c *Collector) optionsRecord(d *dgram, domain uint32, rec []byte, off *[nRoles]int32, ln *[nRoles]uint16, sysInit *int64) {
	var rate uint64
	switch {
	case off[rolePacketInterval] != 0:
		if iv := uintOf(field(rec, off, ln, rolePacketInterval)); iv > 0 {
			rate = (iv + uintOf(field(rec, off, ln, rolePacketSpace))) / iv
		}
	case off[roleSamplingInterval] != 0:
		rate = uintOf(field(rec, off, ln, roleSamplingInterval))
	case off[roleSamplerRandom] != 0:
		rate = uintOf(field(rec, off, ln, roleSamplerRandom))
	}
	if rate > 0 {
		sid := uintOf(field(rec, off, ln, roleSamplerID))
		if sid == 0 {
			sid = uintOf(field(rec, off, ln, roleSelectorID))
		}
		k := samplerKey{d.from.Addr(), domain, sid}
		if _, ok := c.sampling[k]; ok || len(c.sampling) < maxTemplates {
			c.sampling[k] = rate
		}
	}
	if off[roleSysInit] != 0 {
		ms := int64(uintOf(field(rec, off, ln, roleSysInit))) * 1e6
		*sysInit = ms
		k := tmplKey{from: d.from, version: 10, domain: domain}
		if _, ok := c.sysInit[k]; ok || len(c.sysInit) < maxTemplates {
			c.sysInit[k] = ms
		}
	}
}

// sameSet reports whether every template of a (options) template set is
// the one last seen with its id from this exporter and domain, and
// otherwise remembers them. Exporters resend their templates every few
// datagrams: unchanged ones are skipped without decoding them (goflow2's
// template decoders allocate). Options template sets are compared whole.
func (c *Collector) sameSet(k tmplKey, setID, version uint16, set []byte) bool {
	if setID != 0 && setID != 2 { // options templates, by set id
		k.id = setID
		return c.sameRaw(k, set)
	}
	same := true
	for len(set) >= 4 {
		n := 4
		count := int(binary.BigEndian.Uint16(set[2:]))
		for i := 0; i < count && n+4 <= len(set); i++ {
			typ := binary.BigEndian.Uint16(set[n:])
			n += 4
			if version == 10 && typ&0x8000 != 0 {
				n += 4
			}
		}
		if n > len(set) {
			return false
		}
		k.id = binary.BigEndian.Uint16(set)
		if !c.sameRaw(k, set[:n]) {
			same = false
		}
		set = set[n:]
	}
	return same
}

// sameRaw reports whether b is what was last seen under k, and remembers
// it otherwise (within the bound on templates).
func (c *Collector) sameRaw(k tmplKey, b []byte) bool {
	k.version |= 0x8000 // apart from the keys of sequence numbers
	prev, ok := c.rawSets[k]
	if ok && bytes.Equal(prev, b) {
		return true
	}
	if ok || len(c.rawSets) < maxTemplates {
		c.rawSets[k] = append(prev[:0], b...)
	}
	return false
}

// fitsTemplates reports whether every template record of a (options)
// template set claims no more fields than its bytes hold. goflow2's
// template decoders allocate the fields a record claims before reading
// them: up to 65535 (589 kB) for 8 bytes.
func fitsTemplates(setID, version uint16, set []byte) bool {
	for len(set) >= 4 {
		var hdr, fields int
		switch {
		case setID == 1 && version == 9: // id, scope bytes, option bytes
			if len(set) < 6 {
				return true // padding
			}
			fields = (int(binary.BigEndian.Uint16(set[2:])) + int(binary.BigEndian.Uint16(set[4:]))) / 4
			hdr = 6
		case setID == 3 && version == 10: // id, field count, scope count
			if len(set) < 6 {
				return true
			}
			fields = int(binary.BigEndian.Uint16(set[2:]))
			hdr = 6
		default: // id, field count
			fields = int(binary.BigEndian.Uint16(set[2:]))
			hdr = 4
		}
		n := hdr
		for range fields {
			if n+4 > len(set) {
				return false
			}
			if version == 10 && binary.BigEndian.Uint16(set[n:])&0x8000 != 0 {
				n += 4
			}
			n += 4
		}
		if n > len(set) {
			return false
		}
		set = set[n:]
	}
	return true
}
