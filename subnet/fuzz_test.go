package subnet_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"ipband/subnet"
)

// FuzzParseRanges checks that every list ParseRanges accepts holds valid
// ranges that contain their own ends, and that its String form parses back
// to an equal list.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{
		// The classic -L forms.
		"10.10.",
		"10.",
		"192.168.1.",
		"10.10.:192.168.1.0/24",
		"10.10.:172.16.0.0-172.31.255.255:192.168.1.5",
		"10.0.0.1-10.0.0.9",
		"10.1.2.3/16",
		"0.0.0.0/0",
		"10.1.2.3",
		// Comma and space lists, IPv6.
		"10.10., 2001:db8:1::/48",
		"2001:db8::/32",
		"2001:db8::1-2001:db8::ff",
		"::/0",
		"::1",
		"::1.2.3.4",
		"10.10. fd00::/8\t192.168.1.1",
		// Near misses.
		"",
		"10.300.",
		"10.10",
		"10.10.:",
		"10.,,11.",
		"10.0.0.9-10.0.0.1",
		"10.0.0.1-2001:db8::1,10.",
		"fe80::1%eth0",
		"::ffff:10.0.0.1",
		"10.0.0.0/33",
		"2001:db8::/32:10.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := subnet.ParseRanges(s)
		if err != nil {
			if r != nil {
				t.Fatalf("ParseRanges(%q) returned %v with error %v", s, r, err)
			}
			return
		}
		if len(r) == 0 {
			t.Fatalf("ParseRanges(%q) = empty list, no error", s)
		}
		for _, x := range r {
			// A range never starts at an IPv4-mapped address; an IPv6 prefix
			// such as ::/80 may end inside ::ffff:0:0/96, and is kept.
			if !x.Lo.IsValid() || x.Lo.Is4() != x.Hi.Is4() || x.Hi.Less(x.Lo) ||
				x.Lo.Zone() != "" || x.Hi.Zone() != "" || x.Lo.Is4In6() {
				t.Fatalf("ParseRanges(%q) gave bad range %v-%v", s, x.Lo, x.Hi)
			}
			if !r.Contains(x.Lo) || !r.Contains(x.Hi) {
				t.Fatalf("ParseRanges(%q) = %v does not contain the ends of %v-%v", s, r, x.Lo, x.Hi)
			}
		}
		str := r.String()
		back, err := subnet.ParseRanges(str)
		if err != nil {
			t.Fatalf("ParseRanges(%q).String() = %q, which does not parse: %v", s, str, err)
		}
		if !slices.Equal(back, r) {
			t.Fatalf("ParseRanges(%q) = %v; its String %q parses to %v", s, r, str, back)
		}
		if again := back.String(); again != str {
			t.Fatalf("String not stable: %q then %q", str, again)
		}
	})
}

// FuzzParseSubnet checks that an accepted subnet has a valid address
// without zone or IPv4 mapping and a prefix length that fits its family or
// is -1, and that the address and length read back the same.
func FuzzParseSubnet(f *testing.F) {
	for _, s := range []string{
		"10.10.123.0",
		"10.20.0.0/16",
		"10.20.1.0/16",
		"0.0.0.0/0",
		"2001:db8:1::/48",
		"2001:db8::",
		"::/0",
		"10.10.300.0",
		"10.10.123",
		"10.0.0.0/33",
		"10.0.0.0/08",
		"2001:db8::/129",
		"fe80::1%eth0",
		"::ffff:10.10.123.0",
		"10.0.0.0/24/24",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, bits, err := subnet.ParseSubnet(s)
		if err != nil {
			return
		}
		if !addr.IsValid() || addr.Zone() != "" || addr.Is4In6() {
			t.Fatalf("ParseSubnet(%q) = bad address %v", s, addr)
		}
		if bits < -1 || bits > addr.BitLen() {
			t.Fatalf("ParseSubnet(%q) = %v, bits %d out of range", s, addr, bits)
		}
		text := addr.String()
		if bits >= 0 {
			text = netip.PrefixFrom(addr, bits).String()
		}
		a2, b2, err := subnet.ParseSubnet(text)
		if err != nil || a2 != addr || b2 != bits {
			t.Fatalf("ParseSubnet(%q) = %v, %d; reparsing %q gives %v, %d, %v", s, addr, bits, text, a2, b2, err)
		}
		if m := subnet.Mask(addr, max(bits, 0), max(bits, 0)); !m.IsValid() || !m.Contains(addr) {
			t.Fatalf("Mask(%v, %d) = %v, which does not contain it", addr, bits, m)
		}
	})
}

// FuzzParseNetworks checks that any input parses without panic or error,
// that no more lines are skipped than there are, and that a name is found
// for the number of a well-formed line appended last.
func FuzzParseNetworks(f *testing.F) {
	f.Add(networksSample)
	for _, s := range []string{
		"",
		"tenet 10",
		"halifax\t10.10.123\t# branch\n",
		"loopback 127.0.0.0 lo\r\n",
		"bogus\n",
		"x 10.10.300\n",
		"x 0x0a\n",
		"x 1.2.3.4.5\n",
		"#\n\n  \t\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := subnet.ParseNetworks(strings.NewReader(s))
		if err != nil {
			t.Fatalf("ParseNetworks: %v", err)
		}
		lines := strings.Count(s, "\n") + 1
		if n.Skipped() < 0 || n.Skipped() > lines {
			t.Fatalf("Skipped() = %d for %d lines", n.Skipped(), lines)
		}
		// A well-formed line for a fresh number, appended last, is found.
		const probe = "fuzz-probe-net 203.0.113\n"
		input := s
		if !strings.HasSuffix(input, "\n") {
			input += "\n"
		}
		// Only when no earlier line can claim 203.0.113.0 first.
		if strings.Contains(s, "203") {
			return
		}
		n, err = subnet.ParseNetworks(strings.NewReader(input + probe))
		if err != nil {
			t.Fatalf("ParseNetworks: %v", err)
		}
		if got := n.Name(netip.MustParsePrefix("203.0.113.0/24")); got != "fuzz-probe-net" {
			t.Fatalf("Name(203.0.113.0/24) = %q after appending %q", got, probe)
		}
	})
}
