package names_test

import (
	"bytes"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"ipband/watchdog/names"
)

// FuzzDNS feeds a message to a Book as a query and as the answer to the
// query it would be, over UDP and TCP: it must never panic, and every
// message is counted once at most.
func FuzzDNS(f *testing.F) {
	f.Add(msg(f, queryID, true, "www.example.com.", dnsmessage.TypeA,
		rr{name: "www.example.com.", ttl: 300, cname: "b.example.net."}, rr{name: "b.example.net.", ttl: 300, addr: web}))
	f.Add(msg(f, queryID, false, "www.example.com.", dnsmessage.TypeAAAA))
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c})
	f.Fuzz(func(t *testing.T, m []byte) {
		bk := names.NewBook(4)
		q := m
		if len(m) >= 3 {
			q = bytes.Clone(m)
			q[2] &^= 0x80 // the same message as a query
		}
		bk.DNS(t0, 17, client, server, cport, 53, q)
		bk.DNS(t0+1, 17, server, client, 53, cport, m)
		framed := append([]byte{byte(len(m) >> 8), byte(len(m))}, m...)
		bk.DNS(t0+2, 6, server, client, 53, cport, framed)
		s := bk.TakeStats()
		if s.Answers+s.Ignored+s.Malformed > 4 {
			t.Errorf("stats %+v for 3 messages", s)
		}
		if d, _ := bk.Len(); d > 4 {
			t.Errorf("%d entries in a book of 4", d)
		}
	})
}

// checkName fails unless name is nil or a host name inside p.
func checkName(t *testing.T, p, name []byte) {
	t.Helper()
	if name == nil {
		return
	}
	if len(name) == 0 || len(name) > 253 {
		t.Errorf("name %q", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			t.Errorf("name %q has %q", name, c)
		}
	}
	if !bytes.Contains(p, name) {
		t.Errorf("name %q not in the input", name)
	}
}

// FuzzServerName parses ClientHellos: never a panic, only host names from
// the input.
func FuzzServerName(f *testing.F) {
	f.Add(clientHello("www.example.com"))
	f.Add(clientHello("a.b"))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		in := bytes.Clone(p)
		checkName(t, p, names.ServerName(p))
		if !bytes.Equal(in, p) {
			t.Errorf("ServerName changed its input")
		}
		names.NewBook(2).Claim(t0, client, web, p)
	})
}

// FuzzHost parses HTTP requests: never a panic, only host names from the
// input.
func FuzzHost(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: www.example.com:8080\r\nAccept: */*\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nhost:a\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		in := bytes.Clone(p)
		checkName(t, p, names.Host(p))
		if !bytes.Equal(in, p) {
			t.Errorf("Host changed its input")
		}
		names.NewBook(2).Claim(t0, client, web, p)
	})
}
