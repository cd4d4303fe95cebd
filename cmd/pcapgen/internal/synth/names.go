package synth

import (
	"encoding/binary"
	"iter"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// names is 5 minutes and 2 seconds of a branch subnet, 10.20.1.0/24, whose
// clients resolve names through 10.20.0.53 and then talk to the addresses
// they were given. With `subnet 10.20.1.0 bandwidth 5`, -a 60 -r 120 it
// logs from the end of minute 0 and reports at 3:00 and 5:00. Every flow
// sends a 1200-byte frame a second from the server to the client (with a
// 60-byte ACK back every 10 s):
//
//   - 10.20.1.10 asks (UDP) for www.example.com, answered through a CNAME
//     chain (edge.cdn.example.net, a1.cdn.example.net) with 192.0.2.10, TTL
//     300: its flow to 192.0.2.10:443 is "www.example.com (dns)" in both
//     reports.
//   - 10.20.1.20 talks to 192.0.2.10:443 too, without having asked: no name
//     (names are per client); its HTTP request to 198.51.100.30:80 at 1:05
//     says Host: plain.example.net, which no DNS gave it: "(http, claimed)".
//   - 10.20.1.10 asks for short.example.com, TTL 5 (60 s once clamped), and
//     talks to 192.0.2.99:80: named in the first report, whose window
//     starts at 1:00 (the answer was valid until 1:04), not in the second.
//   - An answer nobody asked for (bank.example.com = 203.0.113.66) and an
//     answer with the wrong ID (mail.example.net = 203.0.113.25) are
//     ignored: 10.20.1.10's flow to 203.0.113.66:443 has no name.
//   - 10.20.1.10 asks over TCP for tcp.example.net = 192.0.2.44 and talks
//     to it: "(dns)".
//   - From 1:05 10.20.1.10 opens TLS to 198.51.100.20 with server_name
//     video.example.org, which its DNS gave for that address: "(sni,
//     confirmed)"; and to 203.0.113.80 with server_name claimed.example,
//     which no DNS did: "(sni, claimed)".
func names(o Options) iter.Seq[Event] {
	var (
		c1, c2   = v4(10, 20, 1, 10), v4(10, 20, 1, 20)
		resolver = v4(10, 20, 0, 53)
		www      = v4(192, 0, 2, 10)
		short    = v4(192, 0, 2, 99)
		tcpName  = v4(192, 0, 2, 44)
		video    = v4(198, 51, 100, 20)
		plain    = v4(198, 51, 100, 30)
		spoofed  = v4(203, 0, 113, 66)
		wrongID  = v4(203, 0, 113, 25)
		claimed  = v4(203, 0, 113, 80)
	)
	var evs []Event
	at := func(d time.Duration) time.Time { return o.Start.Add(d) }
	add := func(t time.Duration, n int, p Packet) {
		n = max(n, MinLen(o.Link, &p)+len(p.Payload))
		evs = append(evs, Event{Time: at(t), Len: n, Packet: p})
	}
	udpDNS := func(t time.Duration, client netip.Addr, port, id uint16, q string, qt dnsmessage.Type) {
		add(t, 0, Packet{Proto: ProtoUDP, Src: client, SrcPort: port, Dst: resolver, DstPort: 53, Payload: dnsQuery(id, q, qt)})
	}
	udpAnswer := func(t time.Duration, client netip.Addr, port, id uint16, q string, ttl uint32, chain []string, a netip.Addr) {
		add(t, 0, Packet{Proto: ProtoUDP, Src: resolver, SrcPort: 53, Dst: client, DstPort: port, Payload: dnsAnswer(id, q, ttl, chain, a)})
	}
	// Names.
	add(0, 60, Packet{Proto: ProtoUDP, Src: c1, SrcPort: 40000, Dst: resolver, DstPort: 53, Payload: dnsQuery(1, "www.example.com.", dnsmessage.TypeA)})
	udpAnswer(20*time.Millisecond, c1, 40000, 1, "www.example.com.", 300, []string{"edge.cdn.example.net.", "a1.cdn.example.net."}, www)
	udpDNS(time.Second, c1, 40001, 2, "video.example.org.", dnsmessage.TypeA)
	udpAnswer(time.Second+30*time.Millisecond, c1, 40001, 2, "video.example.org.", 3600, nil, video)
	udpAnswer(2*time.Second, c1, 40002, 3, "bank.example.com.", 3600, nil, spoofed)
	udpDNS(2*time.Second+500*time.Millisecond, c1, 40004, 4, "mail.example.net.", dnsmessage.TypeA)
	udpAnswer(2*time.Second+520*time.Millisecond, c1, 40004, 5, "mail.example.net.", 3600, nil, wrongID)
	udpDNS(3*time.Second, c1, 40006, 6, "short.example.com.", dnsmessage.TypeA)
	udpAnswer(3*time.Second+10*time.Millisecond, c1, 40006, 6, "short.example.com.", 5, nil, short)
	q, a := dnsQuery(7, "tcp.example.net.", dnsmessage.TypeA), dnsAnswer(7, "tcp.example.net.", 600, nil, tcpName)
	add(3*time.Second+500*time.Millisecond, 0, Packet{Proto: ProtoTCP, Src: c1, SrcPort: 40007, Dst: resolver, DstPort: 53,
		Payload: append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)})
	add(3*time.Second+540*time.Millisecond, 0, Packet{Proto: ProtoTCP, Src: resolver, SrcPort: 53, Dst: c1, DstPort: 40007,
		Payload: append(binary.BigEndian.AppendUint16(nil, uint16(len(a))), a...)})

	// Traffic: a frame a second from each server, an ACK every 10 s.
	type flowSpec struct {
		client, server netip.Addr
		cport, sport   uint16
		from           time.Duration
		hello          []byte
	}
	flows := []flowSpec{
		{c1, www, 50001, 443, 5 * time.Second, nil},
		{c2, www, 50002, 443, 5 * time.Second, nil},
		{c1, short, 50003, 80, 5 * time.Second, nil},
		{c1, spoofed, 50004, 443, 5 * time.Second, nil},
		{c1, tcpName, 50005, 443, 5 * time.Second, nil},
		{c1, video, 50006, 443, 65 * time.Second, tlsHello("video.example.org")},
		{c1, claimed, 50007, 443, 65 * time.Second, tlsHello("claimed.example")},
		{c2, plain, 50008, 80, 65 * time.Second, []byte("GET /big.iso HTTP/1.1\r\nHost: plain.example.net\r\nAccept: */*\r\n\r\n")},
	}
	const end = 302 * time.Second
	for i, f := range flows {
		off := time.Duration(i) * 37 * time.Millisecond
		if f.hello != nil {
			add(f.from+off, 0, Packet{Proto: ProtoTCP, Src: f.client, SrcPort: f.cport, Dst: f.server, DstPort: f.sport, Payload: f.hello})
		}
		for t, k := f.from+off+100*time.Millisecond, 0; t < end; t, k = t+time.Second, k+1 {
			add(t, 1200, Packet{Proto: ProtoTCP, Src: f.server, SrcPort: f.sport, Dst: f.client, DstPort: f.cport, Seq: uint32(k * 1146)})
			if k%10 == 9 {
				add(t+time.Millisecond, 60, Packet{Proto: ProtoTCP, Src: f.client, SrcPort: f.cport, Dst: f.server, DstPort: f.sport, NoPayload: true})
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return slices.Values(evs)
}

// dnsQuery returns a DNS query for name of type t.
func dnsQuery(id uint16, name string, t dnsmessage.Type) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: t, Class: dnsmessage.ClassINET}))
	m, err := b.Finish()
	must(err)
	return m
}

// dnsAnswer returns the answer to the A query for name: a CNAME chain
// through chain, then a, with ttl.
func dnsAnswer(id uint16, name string, ttl uint32, chain []string, a netip.Addr) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionDesired: true, RecursionAvailable: true})
	b.EnableCompression()
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}))
	must(b.StartAnswers())
	owner := name
	for _, c := range chain {
		must(b.CNAMEResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(owner), Class: dnsmessage.ClassINET, TTL: ttl},
			dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(c)}))
		owner = c
	}
	must(b.AResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(owner), Class: dnsmessage.ClassINET, TTL: ttl},
		dnsmessage.AResource{A: a.As4()}))
	m, err := b.Finish()
	must(err)
	return m
}

// tlsHello returns a TLS record holding a ClientHello with server_name sni.
func tlsHello(sni string) []byte {
	var ext []byte
	ext = binary.BigEndian.AppendUint16(ext, 0) // server_name
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+5))
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+3))
	ext = append(ext, 0)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)))
	ext = append(ext, sni...)
	body := append([]byte{3, 3}, make([]byte, 32)...) // version, random
	body = append(body, 0, 0, 2, 0x13, 1, 1, 0)       // no session id, one suite, no compression
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	rec := binary.BigEndian.AppendUint16([]byte{0x16, 3, 1}, uint16(len(hs)))
	return append(rec, hs...)
}

// must panics on an error building a message from constants: a bug.
func must(err error) {
	if err != nil {
		panic("synth: " + err.Error())
	}
}
