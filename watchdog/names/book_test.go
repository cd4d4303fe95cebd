package names_test

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"ipband/watchdog/names"
)

var (
	client  = netip.MustParseAddr("10.10.123.173")
	other   = netip.MustParseAddr("10.10.123.9")
	server  = netip.MustParseAddr("10.10.0.53")
	web     = netip.MustParseAddr("192.0.2.10")
	web6    = netip.MustParseAddr("2001:db8::10")
	t0      = int64(1_000_000_000_000)
	second  = int64(time.Second)
	cport   = uint16(40000)
	queryID = uint16(0x1234)
)

// rr is an answer record for msg.
type rr struct {
	name  string
	ttl   uint32
	cname string
	addr  netip.Addr
}

// msg builds a DNS query (answers nil, response false) or response for
// qname, type A unless qtype says otherwise.
func msg(t testing.TB, id uint16, response bool, qname string, qtype dnsmessage.Type, answers ...rr) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: response, RecursionDesired: true})
	b.EnableCompression()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(qname), Type: qtype, Class: dnsmessage.ClassINET}))
	must(b.StartAnswers())
	for _, a := range answers {
		h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(a.name), Class: dnsmessage.ClassINET, TTL: a.ttl}
		switch {
		case a.cname != "":
			must(b.CNAMEResource(h, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(a.cname)}))
		case a.addr.Is4():
			must(b.AResource(h, dnsmessage.AResource{A: a.addr.As4()}))
		default:
			must(b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: a.addr.As16()}))
		}
	}
	out, err := b.Finish()
	must(err)
	return out
}

// exchange gives bk a query from client and its answer dt later.
func exchange(t testing.TB, bk *names.Book, at, dt int64, qname string, answers ...rr) {
	t.Helper()
	bk.DNS(at, 17, client, server, cport, 53, msg(t, queryID, false, qname, dnsmessage.TypeA))
	bk.DNS(at+dt, 17, server, client, 53, cport, msg(t, queryID, true, qname, dnsmessage.TypeA, answers...))
}

func wantName(t *testing.T, bk *names.Book, c, remote netip.Addr, at int64, name string, src names.Source) {
	t.Helper()
	got, gs := bk.Name(c, remote, at, at)
	if got != name || gs != src {
		t.Errorf("Name(%v, %v) at %d s = %q (%v), want %q (%v)", c, remote, (at-t0)/second, got, gs, name, src)
	}
}

func TestDNSCNAMEChainPerClient(t *testing.T) {
	bk := names.NewBook(100)
	exchange(t, bk, t0, second/100, "WWW.Example.COM.",
		rr{name: "www.example.com.", ttl: 300, cname: "edge.cdn.example.net."},
		rr{name: "edge.cdn.example.net.", ttl: 300, cname: "a1.cdn.example.net."},
		rr{name: "a1.cdn.example.net.", ttl: 300, addr: web},
		rr{name: "a1.cdn.example.net.", ttl: 300, addr: web6},
		rr{name: "evil.example.org.", ttl: 300, addr: netip.MustParseAddr("198.51.100.66")}, // not in the chain
	)
	wantName(t, bk, client, web, t0+10*second, "www.example.com", names.DNS)
	wantName(t, bk, client, web6, t0+10*second, "www.example.com", names.DNS)
	wantName(t, bk, other, web, t0+10*second, "", names.None)
	wantName(t, bk, client, netip.MustParseAddr("198.51.100.66"), t0+10*second, "", names.None)
	if s := bk.TakeStats(); s != (names.Stats{Answers: 1}) {
		t.Errorf("stats %+v, want one answer", s)
	}
}

func TestDNSIgnoresMismatchedAnswers(t *testing.T) {
	answer := func(qname string) []byte {
		return msg(t, queryID, true, qname, dnsmessage.TypeA, rr{name: qname, ttl: 300, addr: web})
	}
	query := msg(t, queryID, false, "www.example.com.", dnsmessage.TypeA)
	good := answer("www.example.com.")
	for _, c := range []struct {
		name   string
		query  bool
		at     int64
		src    netip.Addr
		sport  uint16
		dport  uint16
		answer []byte
	}{
		{"unsolicited", false, t0, server, 53, cport, good},
		{"other question", true, t0, server, 53, cport, answer("www.example.org.")},
		{"other id", true, t0, server, 53, cport, msg(t, queryID+1, true, "www.example.com.", dnsmessage.TypeA, rr{name: "www.example.com.", ttl: 300, addr: web})},
		{"other server", true, t0, netip.MustParseAddr("203.0.113.53"), 53, cport, good},
		{"other client port", true, t0, server, 53, cport + 1, good},
		{"not from port 53", true, t0, server, 5353, cport, good},
		{"late", true, t0 + int64(names.QueryWindow) + 1, server, 53, cport, good},
		{"before the query", true, t0 - 1, server, 53, cport, good},
	} {
		t.Run(c.name, func(t *testing.T) {
			bk := names.NewBook(100)
			if c.query {
				bk.DNS(t0, 17, client, server, cport, 53, query)
			}
			bk.DNS(c.at, 17, c.src, client, c.sport, c.dport, c.answer)
			wantName(t, bk, client, web, t0+second, "", names.None)
			if s := bk.TakeStats(); s != (names.Stats{Ignored: 1}) {
				t.Errorf("stats %+v, want one ignored answer", s)
			}
		})
	}
	// The same answer, as asked, counts once: a copy of it is ignored.
	bk := names.NewBook(100)
	bk.DNS(t0, 17, client, server, cport, 53, query)
	bk.DNS(t0+1, 17, server, client, 53, cport, good)
	bk.DNS(t0+2, 17, server, client, 53, cport, good)
	wantName(t, bk, client, web, t0+second, "www.example.com", names.DNS)
	if s := bk.TakeStats(); s != (names.Stats{Answers: 1, Ignored: 1}) {
		t.Errorf("stats %+v, want one answer and one ignored", s)
	}
}

func TestDNSTTLClamped(t *testing.T) {
	bk := names.NewBook(100)
	exchange(t, bk, t0, 1, "short.example.com.", rr{name: "short.example.com.", ttl: 5, addr: web})
	exchange(t, bk, t0, 1, "long.example.com.", rr{name: "long.example.com.", ttl: 30 * 86400, addr: web6})
	min, max := int64(names.MinTTL), int64(names.MaxTTL)
	wantName(t, bk, client, web, t0+min, "short.example.com", names.DNS)
	wantName(t, bk, client, web, t0+min+2, "", names.None)
	wantName(t, bk, client, web6, t0+max, "long.example.com", names.DNS)
	wantName(t, bk, client, web6, t0+max+2, "", names.None)
}

func TestDNSOverTCP(t *testing.T) {
	framed := func(m []byte) []byte { return binary.BigEndian.AppendUint16(nil, uint16(len(m))) }
	bk := names.NewBook(100)
	q := msg(t, queryID, false, "tcp.example.com.", dnsmessage.TypeA)
	a := msg(t, queryID, true, "tcp.example.com.", dnsmessage.TypeA, rr{name: "tcp.example.com.", ttl: 300, addr: web})
	bk.DNS(t0, 6, client, server, cport, 53, append(framed(q), q...))
	bk.DNS(t0+1, 6, server, client, 53, cport, append(framed(a), a[:len(a)-1]...)) // cut: not read
	wantName(t, bk, client, web, t0+second, "", names.None)
	bk.DNS(t0+2, 6, server, client, 53, cport, append(framed(a), a...))
	wantName(t, bk, client, web, t0+second, "tcp.example.com", names.DNS)
}

func TestDNSMalformedCounted(t *testing.T) {
	bk := names.NewBook(100)
	a := msg(t, queryID, true, "www.example.com.", dnsmessage.TypeA, rr{name: "www.example.com.", ttl: 300, addr: web})
	bk.DNS(t0, 17, server, client, 53, cport, a[:5])
	if s := bk.TakeStats(); s.Malformed != 1 {
		t.Errorf("stats %+v, want one malformed", s)
	}
	bk.DNS(t0, 17, client, server, cport, 53, msg(t, queryID, false, "www.example.com.", dnsmessage.TypeA))
	bk.DNS(t0+1, 17, server, client, 53, cport, a[:len(a)-2]) // the A record cut
	if s := bk.TakeStats(); s.Malformed != 1 || s.Answers != 1 {
		t.Errorf("stats %+v, want one answer, malformed", s)
	}
}

func TestCacheBoundedAndEvictionCounted(t *testing.T) {
	bk := names.NewBook(2)
	for i, a := range []netip.Addr{web, web6, netip.MustParseAddr("192.0.2.11")} {
		q := "n" + string(rune('a'+i)) + ".example.com."
		exchange(t, bk, t0+int64(i)*second, 1, q, rr{name: q, ttl: 300, addr: a})
	}
	if n, _ := bk.Len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	wantName(t, bk, client, web, t0+5*second, "", names.None) // the oldest, evicted
	wantName(t, bk, client, web6, t0+5*second, "nb.example.com", names.DNS)
	if s := bk.TakeStats(); s.Evicted != 1 || s.Answers != 3 {
		t.Errorf("stats %+v, want 3 answers, 1 evicted", s)
	}
}

func TestSharedAddressLatestValidName(t *testing.T) {
	bk := names.NewBook(10)
	exchange(t, bk, t0, 1, "a.example.com.", rr{name: "a.example.com.", ttl: 3600, addr: web})
	exchange(t, bk, t0+10*second, 1, "b.example.com.", rr{name: "b.example.com.", ttl: 60, addr: web})
	wantName(t, bk, client, web, t0+20*second, "b.example.com", names.DNS)
	wantName(t, bk, client, web, t0+100*second, "a.example.com", names.DNS) // b expired
}

// BenchmarkBookEntryMemory fills a Book with b.N distinct entries (one
// client, b.N addresses, a 20-byte name each) and reports the heap bytes
// an entry takes, map and arena included.
func BenchmarkBookEntryMemory(b *testing.B) {
	const n = 100000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	bk := names.NewBook(n)
	for i := range n {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		if i >= 65536 {
			a = netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)})
		}
		q := "host" + string(rune('a'+i%26)) + "-0000.example.com."
		bk.DNS(t0, 17, client, server, cport, 53, msg(b, uint16(i), false, q, dnsmessage.TypeA))
		bk.DNS(t0+1, 17, server, client, 53, cport, msg(b, uint16(i), true, q, dnsmessage.TypeA, rr{name: q, ttl: 300, addr: a}))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if d, _ := bk.Len(); d != n {
		b.Fatalf("%d entries, want %d", d, n)
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/entry")
	runtime.KeepAlive(bk)
}

// BenchmarkDNSAnswer measures a query and its answer (a CNAME and an A
// record), the name already bound.
func BenchmarkDNSAnswer(b *testing.B) {
	bk := names.NewBook(1000)
	q := msg(b, queryID, false, "www.example.com.", dnsmessage.TypeA)
	a := msg(b, queryID, true, "www.example.com.", dnsmessage.TypeA,
		rr{name: "www.example.com.", ttl: 300, cname: "edge.example.net."}, rr{name: "edge.example.net.", ttl: 300, addr: web})
	b.ReportAllocs()
	for b.Loop() {
		bk.DNS(t0, 17, client, server, cport, 53, q)
		bk.DNS(t0+1, 17, server, client, 53, cport, a)
	}
	if s := bk.TakeStats(); s.Ignored != 0 {
		b.Fatalf("stats %+v", s)
	}
}
