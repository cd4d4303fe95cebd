package watchdog_test

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// rawFrame builds a raw IPv4 frame (LINKTYPE_RAW) from src:sport to
// dst:dport over proto (6 or 17) carrying payload, padded to at least n
// bytes on the wire.
func rawFrame(proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, payload []byte) []byte {
	th := 8
	if proto == 6 {
		th = 20
	}
	b := make([]byte, 20+th, 20+th+len(payload))
	b[0], b[8], b[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(b[2:], uint16(20+th+len(payload)))
	s, d := src.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	if proto == 6 {
		b[32] = 5 << 4
	} else {
		binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	}
	return append(b, payload...)
}

// dnsMsg builds a query for qname A, or its response with answers.
func dnsMsg(t testing.TB, id uint16, qname string, answers ...dnsmessage.Resource) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: answers != nil})
	if err := b.StartQuestions(); err != nil {
		t.Fatal(err)
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(qname), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	if err := b.StartAnswers(); err != nil {
		t.Fatal(err)
	}
	for _, a := range answers {
		var err error
		switch body := a.Body.(type) {
		case *dnsmessage.AResource:
			err = b.AResource(a.Header, *body)
		case *dnsmessage.CNAMEResource:
			err = b.CNAMEResource(a.Header, *body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	m, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func aRR(name string, ttl uint32, a netip.Addr) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: ttl},
		Body:   &dnsmessage.AResource{A: a.As4()},
	}
}

// frameFeeder decodes frames and hands them to an engine as the capture
// loop does.
type frameFeeder struct {
	e   *watchdog.Engine
	dec *watchdog.Decoder
	p   watchdog.Packet
}

func (f *frameFeeder) send(at int64, frame []byte) {
	f.p.Time, f.p.Len = at, uint32(len(frame))
	f.dec.Decode(frame, &f.p)
	f.e.PacketFrame(&f.p, frame)
}

// TestReportNamesRemoteSide: DNS answers seen on the wire name the
// remote side of a logging subnet's connections, for the client that
// asked; a TLS server_name the client's DNS gave is confirmed, an HTTP Host
// it did not is a claim; a spoofed answer names nothing.
func TestReportNamesRemoteSide(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 2})
	c.NameCache = 100
	e, rec := newEngine(t, c)
	dec, err := watchdog.NewDecoder(watchdog.LinkTypeRaw)
	if err != nil {
		t.Fatal(err)
	}
	f := &frameFeeder{e: e, dec: dec}
	client, resolver := ip("10.10.123.173"), ip("10.10.0.53")
	web, plain, spoofed := ip("192.0.2.10"), ip("198.51.100.7"), ip("203.0.113.66")
	f.send(t0, rawFrame(17, client, 40000, resolver, 53, dnsMsg(t, 7, "www.example.com.")))
	f.send(t0+1000, rawFrame(17, resolver, 53, client, 40000, dnsMsg(t, 7, "www.example.com.", aRR("www.example.com.", 300, web))))
	// Nobody asked for this one.
	f.send(t0+2000, rawFrame(17, resolver, 53, client, 40001, dnsMsg(t, 8, "bank.example.", aRR("bank.example.", 300, spoofed))))

	hello := clientHelloFor("www.example.com")
	get := []byte("GET / HTTP/1.1\r\nHost: plain.example.org\r\n\r\n")
	for m := int64(0); m < 6; m++ {
		for i := range 60 {
			at := t0 + m*minute + int64(i)*minute/60 + 5000
			for _, x := range []struct {
				dst     netip.Addr
				dport   uint16
				payload []byte
			}{{web, 443, hello}, {plain, 80, get}, {spoofed, 443, nil}} {
				pl := make([]byte, 1400)
				copy(pl, x.payload)
				if m != 1 || i != 0 {
					pl[0] = 0 // one request, one hello, once logging
				}
				f.send(at, rawFrame(6, client, 50000+x.dport, x.dst, x.dport, pl))
			}
		}
	}
	e.Advance(t0 + 6*minute)
	if len(rec.reports) != 1 {
		t.Fatalf("%d reports, want 1", len(rec.reports))
	}
	want := map[netip.Addr][2]string{
		web:     {"www.example.com", "sni, confirmed"},
		plain:   {"plain.example.org", "http, claimed"},
		spoofed: {"", ""},
	}
	for _, r := range rec.reports[0].Rows {
		_, remote := report.Sides(pfx("10.10.123.0/24"), r)
		if w := want[remote]; r.Name != w[0] || r.NameSource != w[1] {
			t.Errorf("row to %v: name %q (%s), want %q (%s)", remote, r.Name, r.NameSource, w[0], w[1])
		}
	}
	s := e.Stats()
	if s.DNSAnswers != 1 || s.DNSIgnored != 1 || s.DNSMalformed != 0 {
		t.Errorf("stats %+v: want 1 answer, 1 ignored", s)
	}
}

// clientHelloFor is a TLS record with a ClientHello naming sni.
func clientHelloFor(sni string) []byte {
	var ext []byte
	ext = binary.BigEndian.AppendUint16(ext, 0)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+5))
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+3))
	ext = append(ext, 0)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)))
	ext = append(ext, sni...)
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x13, 1, 1, 0)
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	rec := binary.BigEndian.AppendUint16([]byte{0x16, 3, 1}, uint16(len(hs)))
	return append(rec, hs...)
}

// TestNamesNoAllocations: with naming on, packets that are not DNS, and
// the packets of a logging subnet, cost no allocation.
func TestNamesNoAllocations(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 1})
	c.NameCache = 100
	e, _ := newEngine(t, c)
	dec, _ := watchdog.NewDecoder(watchdog.LinkTypeRaw)
	f := &frameFeeder{e: e, dec: dec}
	data := make([]byte, 400)
	copy(data, "\x17\x03\x03\x01\x00")
	frame := rawFrame(6, ip("10.10.123.5"), 50000, ip("192.0.2.10"), 443, data)
	at := t0
	for range 200 { // into detail logging
		f.send(at, frame)
		at += minute / 100
	}
	hello := rawFrame(6, ip("10.10.123.5"), 50001, ip("192.0.2.10"), 443, clientHelloFor("www.example.com"))
	f.send(at, hello)
	if n := testing.AllocsPerRun(1000, func() {
		f.send(at, frame)
		f.send(at, hello)
	}); n != 0 {
		t.Errorf("%v allocations a packet", n)
	}
}

// BenchmarkEngineNames measures Engine.PacketFrame per packet with naming
// off and on (namecache): a packet of a subnet not logging, a TCP data
// packet of a logging subnet (its first bytes looked at for a ClientHello
// or a request), and a DNS query and its answer (two packets an
// operation, the name already bound).
func BenchmarkEngineNames(b *testing.B) {
	local, remote, resolver := ip("10.10.123.5"), ip("192.0.2.10"), ip("10.10.0.53")
	data := make([]byte, 1400)
	copy(data, "\x17\x03\x03\x05\x00")
	quiet := rawFrame(6, ip("10.10.9.5"), 50000, remote, 443, data)
	hot := rawFrame(6, local, 50000, remote, 443, data)
	q := rawFrame(17, local, 40000, resolver, 53, dnsMsg(b, 7, "www.example.com."))
	a := rawFrame(17, resolver, 53, local, 40000, dnsMsg(b, 7, "www.example.com.", aRR("www.example.com.", 300, remote)))
	for _, cache := range []int{0, 16384} {
		c := cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 1}, subnet.Preload{Prefix: pfx("10.10.9.0/24"), Threshold: 1e9})
		c.NameCache = cache
		dec, _ := watchdog.NewDecoder(watchdog.LinkTypeRaw)
		for _, k := range []struct {
			name   string
			frames [][]byte
		}{{"not-logging", [][]byte{quiet}}, {"logging-tcp", [][]byte{hot}}, {"dns-pair", [][]byte{q, a}}} {
			b.Run(k.name+"/namecache="+strconv.Itoa(cache), func(b *testing.B) {
				e, _ := newEngine(b, c)
				f := &frameFeeder{e: e, dec: dec}
				at := t0
				for range 200 { // 10.10.123.0 into detail logging
					f.send(at, hot)
					at += minute / 100
				}
				b.ReportAllocs()
				for b.Loop() {
					for _, fr := range k.frames {
						f.send(at, fr)
					}
				}
			})
		}
	}
}
