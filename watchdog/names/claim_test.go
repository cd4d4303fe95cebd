package names_test

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"

	"ipband/watchdog/names"
)

// clientHello returns a TLS record holding a ClientHello with the
// server_name sni (none when ""), after another extension.
func clientHello(sni string) []byte {
	var ext []byte
	ext = binary.BigEndian.AppendUint16(ext, 10) // supported_groups
	ext = binary.BigEndian.AppendUint16(ext, 4)
	ext = append(ext, 0, 2, 0, 29)
	if sni != "" {
		ext = binary.BigEndian.AppendUint16(ext, 0)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+5))
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)+3))
		ext = append(ext, 0)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)))
		ext = append(ext, sni...)
	}
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)    // random
	body = append(body, 32)                     // session id
	body = append(body, make([]byte, 32)...)    //
	body = append(body, 0, 4, 0x13, 1, 0x13, 2) // cipher suites
	body = append(body, 1, 0)                   // compression
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	hs := []byte{1, 0, byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)
	rec := []byte{0x16, 3, 1}
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(hs)))
	return append(rec, hs...)
}

func TestServerName(t *testing.T) {
	ch := clientHello("Video.Example.COM")
	for _, c := range []struct {
		name string
		p    []byte
		want string
	}{
		{"whole", ch, "Video.Example.COM"},
		{"cut before the name", ch[:len(ch)-4], ""},
		{"no sni", clientHello(""), ""},
		{"not a host name", clientHello("a b"), ""},
		{"an address", clientHello("192.0.2.1"), ""},
		{"not a handshake", append([]byte{0x17}, ch[1:]...), ""},
		{"server hello", append(append([]byte{}, ch[:5]...), append([]byte{2}, ch[6:]...)...), ""},
	} {
		if got := string(names.ServerName(c.p)); got != c.want {
			t.Errorf("%s: ServerName = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestHost(t *testing.T) {
	for _, c := range []struct{ p, want string }{
		{"GET / HTTP/1.1\r\nUser-Agent: x\r\nHost: WWW.example.com:8080\r\n\r\n", "WWW.example.com"},
		{"GET / HTTP/1.1\r\nhost:example.org\r\n\r\n", "example.org"},
		{"GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: late.example\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: cut.exam", ""},
		{"GET / HTTP/1.1\r\nX-Host: no.example\r\n\r\n", ""},
	} {
		if got := string(names.Host([]byte(c.p))); got != c.want {
			t.Errorf("Host(%q) = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestClaimsConfirmedOrClaimed(t *testing.T) {
	bk := names.NewBook(10)
	exchange(t, bk, t0, 1, "video.example.com.", rr{name: "video.example.com.", ttl: 300, addr: web})
	bk.Claim(t0+second, client, web, clientHello("VIDEO.example.com"))
	wantName(t, bk, client, web, t0+second, "video.example.com", names.SNIConfirmed)

	// Shared hosting: the client resolved two names to the address; its
	// ClientHello says which.
	exchange(t, bk, t0+2*second, 1, "other.example.com.", rr{name: "other.example.com.", ttl: 300, addr: web})
	wantName(t, bk, client, web, t0+second, "video.example.com", names.SNIConfirmed)

	// A name the client's DNS never gave for the address is a claim, and
	// loses to the DNS name.
	liar := netip.MustParseAddr("198.51.100.7")
	bk.Claim(t0+3*second, client, liar, clientHello("bank.example"))
	wantName(t, bk, client, liar, t0+second, "bank.example", names.SNIClaimed)
	exchange(t, bk, t0+4*second, 1, "cdn.example.net.", rr{name: "cdn.example.net.", ttl: 300, addr: liar})
	wantName(t, bk, client, liar, t0+second, "cdn.example.net", names.DNS)

	req := []byte("GET /index.html HTTP/1.1\r\nHost: plain.example.org\r\n\r\n")
	bk.Claim(t0+5*second, client, web6, req)
	wantName(t, bk, client, web6, t0+second, "plain.example.org", names.HostClaimed)
	exchange(t, bk, t0+6*second, 1, "plain.example.org.", rr{name: "plain.example.org.", ttl: 300, addr: web6})
	bk.Claim(t0+7*second, client, web6, req)
	wantName(t, bk, client, web6, t0+second, "plain.example.org", names.HostConfirmed)

	// Claims older than the episode do not count.
	if got, src := bk.Name(client, web6, t0+8*second, t0); src != names.DNS || got != "plain.example.org" {
		t.Errorf("claim before the episode: %q (%v)", got, src)
	}
}

func TestClaimNoAllocationForOtherPayloads(t *testing.T) {
	bk := names.NewBook(10)
	data := []byte("\x17\x03\x03\x00\x20 application data, not a hello ....")
	if n := testing.AllocsPerRun(100, func() { bk.Claim(t0, client, web, data) }); n != 0 {
		t.Errorf("%v allocations a packet", n)
	}
	ch := clientHello("www.example.com")
	bk.Claim(t0, client, web, ch)
	if n := testing.AllocsPerRun(100, func() { bk.Claim(t0, client, web, ch) }); n != 0 {
		t.Errorf("%v allocations for a claim already made", n)
	}
}

// BenchmarkClaimEntryMemory fills a Book with n claims (one client, n
// servers, a 20-byte server_name each) and reports the heap bytes a claim
// takes, map and arena included.
func BenchmarkClaimEntryMemory(b *testing.B) {
	const n = 100000
	hellos := make([][]byte, 26)
	for i := range hellos {
		hellos[i] = clientHello("host" + string(rune('a'+i)) + "-0000.example.com")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	bk := names.NewBook(n)
	for i := range n {
		a := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
		bk.Claim(t0, client, a, hellos[i%26])
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if _, c := bk.Len(); c != n {
		b.Fatalf("%d claims, want %d", c, n)
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/claim")
	runtime.KeepAlive(bk)
}
