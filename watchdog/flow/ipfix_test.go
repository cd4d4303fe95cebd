package flow_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"ipband/watchdog/flow"
)

// field is an information element of a hand-made template: its number,
// length and enterprise number (0 for IANA's).
type field struct {
	id     uint16
	length uint16
	pen    uint32
}

// msg builds an IPFIX (version 10) or NetFlow v9 message.
type msg struct {
	version uint16
	export  uint32 // export time, Unix seconds
	uptime  uint32 // v9 sysUptime, ms
	seq     uint32
	domain  uint32
	sets    [][]byte
}

func (m *msg) template(setID, id uint16, fields ...field) *msg {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
	for _, f := range fields {
		t := f.id
		if f.pen != 0 {
			t |= 0x8000
		}
		b = binary.BigEndian.AppendUint16(b, t)
		b = binary.BigEndian.AppendUint16(b, f.length)
		if f.pen != 0 {
			b = binary.BigEndian.AppendUint32(b, f.pen)
		}
	}
	return m.set(setID, b)
}

// optionsTemplate adds an IPFIX options template (set 3) with scope
// fields first.
func (m *msg) optionsTemplate(id uint16, scopes int, fields ...field) *msg {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
	b = binary.BigEndian.AppendUint16(b, uint16(scopes))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint16(b, f.id)
		b = binary.BigEndian.AppendUint16(b, f.length)
	}
	return m.set(3, b)
}

func (m *msg) set(id uint16, body []byte) *msg {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	m.sets = append(m.sets, append(b, body...))
	return m
}

func (m *msg) bytes() []byte {
	var b []byte
	n := 0
	for _, s := range m.sets {
		n += len(s)
	}
	if m.version == 9 {
		b = binary.BigEndian.AppendUint16(b, 9)
		b = binary.BigEndian.AppendUint16(b, uint16(len(m.sets)))
		b = binary.BigEndian.AppendUint32(b, m.uptime)
		b = binary.BigEndian.AppendUint32(b, m.export)
	} else {
		b = binary.BigEndian.AppendUint16(b, 10)
		b = binary.BigEndian.AppendUint16(b, uint16(16+n))
		b = binary.BigEndian.AppendUint32(b, m.export)
	}
	b = binary.BigEndian.AppendUint32(b, m.seq)
	b = binary.BigEndian.AppendUint32(b, m.domain)
	for _, s := range m.sets {
		b = append(b, s...)
	}
	return b
}

func u8(v uint8) []byte   { return []byte{v} }
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func ip4(s string) []byte { a := netip.MustParseAddr(s).As4(); return a[:] }
func cat(b ...[]byte) []byte {
	var out []byte
	for _, x := range b {
		out = append(out, x...)
	}
	return out
}

var t10 = time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC)

// flowFields is a template of a flow with millisecond times (152/153),
// octetDeltaCount and, when rev, RFC 5103's reverse octetDeltaCount.
func flowFields(extra ...field) []field {
	return append([]field{{8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {1, 8, 0}, {152, 8, 0}, {153, 8, 0}}, extra...)
}

func flowData(src, dst string, octets uint64, start, end time.Time, extra ...[]byte) []byte {
	return cat(append([][]byte{ip4(src), ip4(dst), u16(4000), u16(443), u8(6), u64(octets),
		u64(uint64(start.UnixMilli())), u64(uint64(end.UnixMilli()))}, extra...)...)
}

// run sends datagrams from one exporter at now and returns the bytes of
// each classic subnet over the run and the collector.
func run(t *testing.T, o flow.Options, now time.Time, dgs ...[]byte) (map[netip.Prefix]uint64, *flow.Collector) {
	t.Helper()
	e, c, rec := newCollector(t, o)
	for _, d := range dgs {
		c.Datagram(e, exporterAddr, now.UnixNano(), d)
	}
	c.Finish(e)
	c.Stop(e, now.Add(time.Hour).UnixNano())
	return totals(rec), c
}

var sub123 = netip.MustParsePrefix("10.10.123.0/24")

// TestIPFIXTimesAndBiflow checks IEs 152/153 (flows timed by milliseconds
// count over their own span, not at export), and that RFC 5103 reverse
// octets count too.
func TestIPFIXTimesAndBiflow(t *testing.T) {
	m := (&msg{version: 10, export: uint32(t10.Add(2 * time.Minute).Unix())}).
		template(2, 256, flowFields(field{1, 8, 29305})...).
		set(256, flowData("10.10.123.5", "10.100.11.13", 6000, t10, t10.Add(60*time.Second), u64(3000)))
	e, c, rec := newCollector(t, flow.Options{})
	now := t10.Add(2 * time.Minute).UnixNano()
	e.Start(t10.UnixNano())
	c.Datagram(e, exporterAddr, now, m.bytes())
	c.Finish(e)
	c.Stop(e, t10.Add(time.Hour).UnixNano())
	if got := totals(rec)[sub123]; got != 9000 {
		t.Errorf("10.10.123.0/24: %d bytes, want 6000 + 3000 reverse", got)
	}
	if p := perPeriod(rec); p[0][sub123] != 9000 {
		t.Errorf("the flow of minute 0 counted in %v, want all in period 0", p)
	}
}

// TestSamplingFromOptions checks the sampling rate from options data
// (samplingInterval by selector) and from a record's own 305/306.
func TestSamplingFromOptions(t *testing.T) {
	now := t10.Add(2 * time.Minute)
	m := (&msg{version: 10, export: uint32(now.Unix())}).
		optionsTemplate(300, 1, field{302, 4, 0}, field{34, 4, 0}).
		set(300, cat(u32(0), u32(100))).
		template(2, 256, flowFields()...).
		set(256, flowData("10.10.123.5", "10.100.11.13", 1500, t10, t10.Add(30*time.Second)))
	got, c := run(t, flow.Options{}, now, m.bytes())
	if got[sub123] != 150000 {
		t.Errorf("options sampling: %d bytes, want 1500 x 100", got[sub123])
	}
	if x := c.Exporters()[0]; x.Sampling != 100 {
		t.Errorf("sampling %d, want 100", x.Sampling)
	}
	// PSAMP: 1 packet of every 1+999.
	m = (&msg{version: 10, export: uint32(now.Unix())}).
		template(2, 257, flowFields(field{305, 4, 0}, field{306, 4, 0})...).
		set(257, flowData("10.10.123.5", "10.100.11.13", 1500, t10, t10.Add(30*time.Second), u32(1), u32(999)))
	if got, _ := run(t, flow.Options{}, now, m.bytes()); got[sub123] != 1500000 {
		t.Errorf("PSAMP 305/306: %d bytes, want 1500 x 1000", got[sub123])
	}
	// None sent: the flowexporter's sampling.
	m = (&msg{version: 10, export: uint32(now.Unix())}).
		template(2, 256, flowFields()...).
		set(256, flowData("10.10.123.5", "10.100.11.13", 1500, t10, t10.Add(30*time.Second)))
	o := flow.Options{Exporters: []flow.Exporter{{Addr: exporterAddr.Addr(), Sampling: 10}}}
	if got, _ := run(t, o, now, m.bytes()); got[sub123] != 15000 {
		t.Errorf("configured sampling: %d bytes, want 1500 x 10", got[sub123])
	}
}

// TestTemplates checks template misses (data before its template is
// counted, not dropped silently) and keying by exporter: another
// exporter's template of the same id does not decode this one's data.
func TestTemplates(t *testing.T) {
	now := t10.Add(2 * time.Minute)
	tmpl := (&msg{version: 10, export: uint32(now.Unix())}).template(2, 256, flowFields()...).bytes()
	data := (&msg{version: 10, export: uint32(now.Unix()), seq: 1}).
		set(256, flowData("10.10.123.5", "10.100.11.13", 1500, t10, t10.Add(30*time.Second))).bytes()
	e, c, rec := newCollector(t, flow.Options{})
	other := netip.MustParseAddrPort("192.0.2.2:40000")
	c.Datagram(e, exporterAddr, now.UnixNano(), data) // before its template
	c.Datagram(e, other, now.UnixNano(), tmpl)        // another exporter's
	c.Datagram(e, exporterAddr, now.UnixNano(), data) // still no template of its own
	c.Datagram(e, exporterAddr, now.UnixNano(), tmpl)
	c.Datagram(e, exporterAddr, now.UnixNano(), data)
	c.Finish(e)
	c.Stop(e, now.Add(time.Hour).UnixNano())
	x := c.Exporters()[0]
	if x.TemplateMisses != 2 || x.Records != 1 {
		t.Errorf("template misses %d, records %d; want 2 and 1", x.TemplateMisses, x.Records)
	}
	if got := totals(rec)[sub123]; got != 1500 {
		t.Errorf("%d bytes, want 1500", got)
	}
}

// TestInterfaces checks flowexporter interfaces: only records in or out
// of a listed interface count.
func TestInterfaces(t *testing.T) {
	now := t10.Add(2 * time.Minute)
	m := (&msg{version: 10, export: uint32(now.Unix())}).
		template(2, 256, flowFields(field{10, 4, 0}, field{14, 4, 0})...).
		set(256, cat(
			flowData("10.10.123.5", "10.100.11.13", 1000, t10, t10.Add(30*time.Second), u32(2), u32(9)),
			flowData("10.10.123.6", "10.100.11.13", 200, t10, t10.Add(30*time.Second), u32(7), u32(2)),
			flowData("10.10.123.7", "10.100.11.13", 30, t10, t10.Add(30*time.Second), u32(7), u32(8))))
	o := flow.Options{Exporters: []flow.Exporter{{Addr: exporterAddr.Addr(), Interfaces: []uint32{2}}}}
	if got, _ := run(t, o, now, m.bytes()); got[sub123] != 1200 {
		t.Errorf("%d bytes, want 1000 + 200 (interface 2 in or out)", got[sub123])
	}
}

// TestNetFlowV9Uptime checks v9 times in sysUptime milliseconds across a
// 2^32 ms wrap, and options sampling by the v9 options template.
func TestNetFlowV9Uptime(t *testing.T) {
	now := t10.Add(2 * time.Minute)
	uptime := uint32(20000)                                // wrapped 20 s ago
	first, last := uint32(0xffffffff-59999), uint32(10000) // 80 s and 10 s before export
	m := (&msg{version: 9, export: uint32(now.Unix()), uptime: uptime}).
		template(0, 256, field{8, 4, 0}, field{12, 4, 0}, field{1, 4, 0}, field{22, 4, 0}, field{21, 4, 0}).
		set(256, cat(ip4("10.10.123.5"), ip4("10.100.11.13"), u32(5000), u32(first), u32(last)))
	e, c, rec := newCollector(t, flow.Options{})
	e.Start(t10.UnixNano())
	c.Datagram(e, exporterAddr, now.UnixNano(), m.bytes())
	c.Finish(e)
	c.Stop(e, now.Add(time.Hour).UnixNano())
	if got := totals(rec)[sub123]; got != 5000 {
		t.Fatalf("%d bytes, want 5000", got)
	}
	// [now-80s, now-10s] = [t10+40s, t10+110s]: 20 s in period 0, 50 s in 1.
	p := perPeriod(rec)
	if p[0][sub123] != 1428 || p[1][sub123] != 3572 {
		t.Errorf("per period %d, %d; want 1428 and 3572 (the uptime wrap ignored?)", p[0][sub123], p[1][sub123])
	}
	if x := c.Exporters()[0]; x.Offset != 0 {
		t.Errorf("offset %v for an exporter with a right clock", x.Offset)
	}
}

// TestClockOffset checks that an exporter whose flow times are years off
// has them shifted (once), so that its bytes count as recent, not late.
func TestClockOffset(t *testing.T) {
	now := t10.Add(2 * time.Minute)
	var logged []string
	o := flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second,
		Logf: func(f string, a ...any) { logged = append(logged, f) }}
	old := t10.AddDate(-3, 0, 0)
	m := (&msg{version: 10, export: uint32(old.Unix())}).
		template(2, 256, flowFields()...).
		set(256, flowData("10.10.123.5", "10.100.11.13", 1500, old.Add(-30*time.Second), old))
	got, c := run(t, o, now, m.bytes(), m.bytes())
	if got[sub123] != 3000 {
		t.Errorf("%d bytes, want 3000", got[sub123])
	}
	x := c.Exporters()[0]
	if x.LateBytes != 0 || x.Offset < 3*365*24*time.Hour {
		t.Errorf("late %d, offset %v", x.LateBytes, x.Offset)
	}
	if len(logged) != 1 {
		t.Errorf("logged %d lines, want 1", len(logged))
	}
}

// TestIPFIXSystemInit checks flows timed by IEs 22/21 relative to
// systemInitTimeMilliseconds (160), in the record or in options data
// sent after the data: they count over their own span, not at export.
func TestIPFIXSystemInit(t *testing.T) {
	now := t10.Add(3 * time.Minute)
	boot := t10.Add(-time.Hour)
	// [t10+30s, t10+90s]: 30 s in period 0, 30 s in period 1.
	first := uint32(t10.Add(30 * time.Second).Sub(boot).Milliseconds())
	last := uint32(t10.Add(90 * time.Second).Sub(boot).Milliseconds())
	base := []field{{8, 4, 0}, {12, 4, 0}, {1, 4, 0}, {22, 4, 0}, {21, 4, 0}}
	addrs := cat(ip4("10.10.123.5"), ip4("10.100.11.13"), u32(6000), u32(first), u32(last))
	inRecord := (&msg{version: 10, export: uint32(now.Unix())}).
		template(2, 256, append(base, field{160, 8, 0})...).
		set(256, cat(addrs, u64(uint64(boot.UnixMilli()))))
	inOptions := (&msg{version: 10, export: uint32(now.Unix())}).
		template(2, 256, base...).
		set(256, addrs).
		optionsTemplate(300, 1, field{149, 4, 0}, field{160, 8, 0}).
		set(300, cat(u32(0), u64(uint64(boot.UnixMilli()))))
	for name, m := range map[string]*msg{"in the record": inRecord, "in options data": inOptions} {
		e, c, rec := newCollector(t, flow.Options{})
		e.Start(t10.UnixNano())
		c.Datagram(e, exporterAddr, now.UnixNano(), m.bytes())
		c.Finish(e)
		c.Stop(e, now.Add(time.Hour).UnixNano())
		p := perPeriod(rec)
		if p[0][sub123] != 3000 || p[1][sub123] != 3000 {
			t.Errorf("160 %s: per period %d, %d; want 3000 and 3000", name, p[0][sub123], p[1][sub123])
		}
		if x := c.Exporters()[0]; x.Offset != 0 || x.LateBytes != 0 {
			t.Errorf("160 %s: offset %v, late %d", name, x.Offset, x.LateBytes)
		}
	}
}
