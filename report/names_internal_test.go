package report

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"unicode"
)

// validName reports whether s can be a name parsed from a database line.
func validName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, unicode.IsSpace) && !strings.Contains(s, "#")
}

func FuzzParseServices(f *testing.F) {
	f.Add([]byte("tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"))
	f.Add([]byte("imap2\t\t143/tcp\t\timap\t\t# Interim Mail Access P 2 and 4\nnetbios-dgm\t138/udp\n"))
	f.Add([]byte("# comment only\n\nkerberos\t88/tcp\t\tkerberos5 krb5 kerberos-sec\r\n"))
	f.Add([]byte("zephyr-clt\t2103/udp\nbad 70000/tcp\nx /tcp\ny 5/\nz 5/sctp\n"))
	f.Add(embeddedServices)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseServices(b)
		var text strings.Builder
		for k, name := range m {
			proto := uint8(k)
			if proto != protoTCP && proto != protoUDP || k>>24 != 0 {
				t.Fatalf("key %#x: not a tcp/udp port", k)
			}
			if !validName(name) {
				t.Fatalf("name %q", name)
			}
			p := "tcp"
			if proto == protoUDP {
				p = "udp"
			}
			fmt.Fprintf(&text, "%s %d/%s\n", name, k>>8, p)
		}
		if again := parseServices([]byte(text.String())); !maps.Equal(m, again) {
			t.Fatalf("round trip: %v != %v", m, again)
		}
	})
}

func FuzzParseProtocols(f *testing.F) {
	f.Add([]byte("ip\t0\tIP\t\t# internet protocol, pseudo protocol number\nhopopt\t0\tHOPOPT\n"))
	f.Add([]byte("ipv6-icmp 58\tIPv6-ICMP\t# ICMP for IPv6\nmptcp\t262\tMPTCP\n"))
	f.Add([]byte("x -1\ny 0x10\n# z 3\n"))
	f.Add(embeddedProtocols)
	f.Fuzz(func(t *testing.T, b []byte) {
		tab := parseProtocols(b)
		var text strings.Builder
		for num, name := range tab {
			if name == "" {
				continue
			}
			if !validName(name) {
				t.Fatalf("name %q", name)
			}
			fmt.Fprintf(&text, "%s %d\n", name, num)
		}
		if again := parseProtocols([]byte(text.String())); again != tab {
			t.Fatalf("round trip differs")
		}
	})
}

// TestEmbeddedTablesWellFormed checks that every line of the embedded
// tables parses.
func TestEmbeddedTablesWellFormed(t *testing.T) {
	for name, b := range map[string][]byte{"services.txt": embeddedServices, "protocols.txt": embeddedProtocols} {
		entries := 0
		lines(b, func(line []byte) {
			if len(fields(line)) > 0 {
				entries++
			}
		})
		var parsed int
		if name == "services.txt" {
			parsed = len(parseServices(b))
		} else {
			for _, s := range parseProtocols(b) {
				if s != "" {
					parsed++
				}
			}
		}
		if parsed != entries || entries == 0 {
			t.Errorf("%s: %d entries, %d parsed", name, entries, parsed)
		}
	}
}
