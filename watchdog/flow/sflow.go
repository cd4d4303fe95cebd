package flow

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/sflow"
)

// checkSFlow walks an sFlow v5 datagram's samples and records and reports
// whether every count it claims fits in the bytes that follow. goflow2's
// decoder allocates an expanded flow sample's records before reading them:
// a datagram claiming 2^32-1 records makes it allocate until the process
// dies. Each record takes at least 8 bytes (format and length).
func checkSFlow(b []byte) bool {
	u32 := func(o int) (uint32, bool) {
		if o < 0 || o+4 > len(b) {
			return 0, false
		}
		return binary.BigEndian.Uint32(b[o:]), true
	}
	o := 4 // version
	ipv, ok := u32(o)
	if !ok {
		return false
	}
	o += 4
	switch ipv {
	case 1:
		o += 4
	case 2:
		o += 16
	default:
		return false
	}
	o += 12 // sub agent, sequence, uptime
	n, ok := u32(o)
	if !ok || uint64(n)*8 > uint64(len(b)-o-4) {
		return false
	}
	o += 4
	for range n {
		format, ok1 := u32(o)
		length, ok2 := u32(o + 4)
		if !ok1 || !ok2 || uint64(length) > uint64(len(b)-o-8) {
			return false
		}
		s := o + 8
		end := s + int(length)
		o = end
		var at int // offset of the record count within the sample
		switch format & 0xfff {
		case sflow.SAMPLE_FORMAT_FLOW:
			at = 28
		case sflow.SAMPLE_FORMAT_EXPANDED_FLOW:
			at = 40
		case sflow.SAMPLE_FORMAT_COUNTER:
			at = 8
		case sflow.SAMPLE_FORMAT_EXPANDED_COUNTER:
			at = 12
		case sflow.SAMPLE_FORMAT_DROP:
			at = 24
		default:
			continue
		}
		if s+at+4 > end {
			return false
		}
		recs := binary.BigEndian.Uint32(b[s+at:])
		if uint64(recs)*8 > uint64(end-(s+at+4)) {
			return false
		}
	}
	return true
}

// decodeSFlow decodes an sFlow v5 datagram with goflow2's decoder, after
// checkSFlow. Samples carry no traffic time: they count at the datagram's
// receive time. Bytes are the sampled packet's IP total length (not the
// frame length, which includes the link header and FCS) times the sampling
// rate.
func (c *Collector) decodeSFlow(d *dgram, b []byte) {
	if !checkSFlow(b) {
		d.x.Malformed++
		return
	}
	var p sflow.Packet
	if err := sflow.DecodeMessageVersion(bytes.NewBuffer(b), &p); err != nil {
		d.x.Malformed++
		return
	}
	c.sequence(d, versionSFlow, p.SubAgentId, p.SequenceNumber, 1)
	d.export = 0
	for _, s := range p.Samples {
		var (
			rate    uint32
			in, out uint32
			recs    []sflow.FlowRecord
		)
		switch s := s.(type) {
		case sflow.FlowSample:
			rate, in, out, recs = s.SamplingRate, s.Input&0x3fffffff, s.Output&0x3fffffff, s.Records
		case sflow.ExpandedFlowSample:
			rate, in, out, recs = s.SamplingRate, s.InputIfValue, s.OutputIfValue, s.Records
		default:
			continue
		}
		c.sflowSample(d, uint64(rate), in, out, recs)
	}
}

// sflowSample turns one flow sample into a record: from its sampled
// header when it has one, else from a sampled IPv4 or IPv6 record.
func (c *Collector) sflowSample(d *dgram, rate uint64, in, out uint32, recs []sflow.FlowRecord) {
	var x rec
	found := false
	for _, r := range recs {
		switch v := r.Data.(type) {
		case sflow.SampledHeader:
			if parseHeader(v.Protocol, v.HeaderData, &x) {
				found = true
			}
		case sflow.SampledIPv4:
			if !found {
				x.Src, _ = netip.AddrFromSlice(v.SrcIP)
				x.Dst, _ = netip.AddrFromSlice(v.DstIP)
				x.SrcPort, x.DstPort, x.Proto = uint16(v.SrcPort), uint16(v.DstPort), uint8(v.Protocol)
				x.Bytes = uint64(v.Length)
				found = x.Src.IsValid() && x.Dst.IsValid()
			}
		case sflow.SampledIPv6:
			if !found {
				x.Src, _ = netip.AddrFromSlice(v.SrcIP)
				x.Dst, _ = netip.AddrFromSlice(v.DstIP)
				x.SrcPort, x.DstPort, x.Proto = uint16(v.SrcPort), uint16(v.DstPort), uint8(v.Protocol)
				x.Bytes = uint64(v.Length)
				found = x.Src.IsValid() && x.Dst.IsValid()
			}
		}
	}
	if !found {
		return
	}
	rate = c.rate(d, rate)
	y := c.next(d)
	*y = x
	y.Bytes *= rate
	y.sampling = rate
	y.Start, y.End = d.now, d.now
	y.in, y.out = in, out
}

// sFlow header protocols (SFLOW-STRUCTS5).
const (
	headerEthernet = 1
	headerIPv4     = 11
	headerIPv6     = 12
)

// parseHeader reads addresses, ports, protocol and the IP total length
// from a sampled packet header.
func parseHeader(proto uint32, h []byte, x *rec) bool {
	switch proto {
	case headerEthernet:
		if len(h) < 14 {
			return false
		}
		et := binary.BigEndian.Uint16(h[12:])
		h = h[14:]
		for (et == 0x8100 || et == 0x88a8) && len(h) >= 4 {
			et = binary.BigEndian.Uint16(h[2:])
			h = h[4:]
		}
		if et != 0x0800 && et != 0x86dd {
			return false
		}
	case headerIPv4, headerIPv6:
	default:
		return false
	}
	return parseIP(h, x)
}

// parseIP reads an IP packet's header (and its transport ports, when they
// were sampled) into x; Bytes is the IP total length.
func parseIP(h []byte, x *rec) bool {
	if len(h) < 1 {
		return false
	}
	var l4 []byte
	switch h[0] >> 4 {
	case 4:
		if len(h) < 20 {
			return false
		}
		ihl := int(h[0]&0xf) * 4
		x.Bytes = uint64(binary.BigEndian.Uint16(h[2:]))
		x.Proto = h[9]
		x.Src = netip.AddrFrom4([4]byte(h[12:16]))
		x.Dst = netip.AddrFrom4([4]byte(h[16:20]))
		if ihl >= 20 && len(h) >= ihl && binary.BigEndian.Uint16(h[6:])&0x1fff == 0 {
			l4 = h[ihl:]
		}
	case 6:
		if len(h) < 40 {
			return false
		}
		x.Bytes = uint64(binary.BigEndian.Uint16(h[4:])) + 40
		x.Proto = h[6]
		x.Src = netip.AddrFrom16([16]byte(h[8:24]))
		x.Dst = netip.AddrFrom16([16]byte(h[24:40]))
		l4 = h[40:]
	default:
		return false
	}
	x.SrcPort, x.DstPort = 0, 0
	switch x.Proto {
	case 6, 17, 132:
		if len(l4) >= 4 {
			x.SrcPort = binary.BigEndian.Uint16(l4)
			x.DstPort = binary.BigEndian.Uint16(l4[2:])
		}
	case 1, 58:
		if len(l4) >= 2 {
			x.DstPort = uint16(l4[0])<<8 | uint16(l4[1])
		}
	}
	return true
}
