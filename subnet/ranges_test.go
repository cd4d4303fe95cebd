package subnet_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"ipband/subnet"
)

// rng builds a Range from two literal addresses.
func rng(lo, hi string) subnet.Range {
	return subnet.Range{Lo: netip.MustParseAddr(lo), Hi: netip.MustParseAddr(hi)}
}

func TestParseRanges(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want subnet.Ranges
	}{
		// The classic forms of -L.
		{"partial one octet", "10.", subnet.Ranges{rng("10.0.0.0", "10.255.255.255")}},
		{"partial two octets", "10.10.", subnet.Ranges{rng("10.10.0.0", "10.10.255.255")}},
		{"partial three octets", "192.168.1.", subnet.Ranges{rng("192.168.1.0", "192.168.1.255")}},
		{"partial zero", "0.", subnet.Ranges{rng("0.0.0.0", "0.255.255.255")}},
		{"partial 255", "255.255.255.", subnet.Ranges{rng("255.255.255.0", "255.255.255.255")}},
		{"lo-hi", "10.0.0.1-10.0.0.9", subnet.Ranges{rng("10.0.0.1", "10.0.0.9")}},
		{"lo-hi one address", "10.0.0.1-10.0.0.1", subnet.Ranges{rng("10.0.0.1", "10.0.0.1")}},
		{"cidr", "192.168.1.0/24", subnet.Ranges{rng("192.168.1.0", "192.168.1.255")}},
		{"cidr host bits masked", "10.1.2.3/16", subnet.Ranges{rng("10.1.0.0", "10.1.255.255")}},
		{"cidr /32", "10.1.2.3/32", subnet.Ranges{rng("10.1.2.3", "10.1.2.3")}},
		{"cidr /0", "1.2.3.4/0", subnet.Ranges{rng("0.0.0.0", "255.255.255.255")}},
		{"cidr /31", "10.0.0.7/31", subnet.Ranges{rng("10.0.0.6", "10.0.0.7")}},
		{"single address", "10.1.2.3", subnet.Ranges{rng("10.1.2.3", "10.1.2.3")}},
		{"classic colon list", "10.10.:192.168.1.0/24", subnet.Ranges{
			rng("10.10.0.0", "10.10.255.255"), rng("192.168.1.0", "192.168.1.255")}},
		{"classic colon list, all forms", "10.10.:172.16.0.0-172.31.255.255:192.168.1.5:192.168.2.0/23", subnet.Ranges{
			rng("10.10.0.0", "10.10.255.255"), rng("172.16.0.0", "172.31.255.255"),
			rng("192.168.1.5", "192.168.1.5"), rng("192.168.2.0", "192.168.3.255")}},
		{"overlapping items kept in order", "10.10.1.:10.", subnet.Ranges{
			rng("10.10.1.0", "10.10.1.255"), rng("10.0.0.0", "10.255.255.255")}},

		// IPv6, alone or in comma/space lists.
		{"ipv6 prefix alone", "2001:db8::/32", subnet.Ranges{rng("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{"ipv6 prefix host bits", "2001:db8:1:2::5/64", subnet.Ranges{rng("2001:db8:1:2::", "2001:db8:1:2:ffff:ffff:ffff:ffff")}},
		{"ipv6 prefix /72", "2001:db8::/72", subnet.Ranges{rng("2001:db8::", "2001:db8::ff:ffff:ffff:ffff")}},
		{"ipv6 /0", "::/0", subnet.Ranges{rng("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{"ipv6 /128", "2001:db8::1/128", subnet.Ranges{rng("2001:db8::1", "2001:db8::1")}},
		{"ipv6 lo-hi alone", "2001:db8::1-2001:db8::ff", subnet.Ranges{rng("2001:db8::1", "2001:db8::ff")}},
		{"ipv6 address alone", "::1", subnet.Ranges{rng("::1", "::1")}},
		{"ipv6 embedded dotted", "::1.2.3.4", subnet.Ranges{rng("::102:304", "::102:304")}},
		{"comma list mixed families", "10.10.,2001:db8:1::/48", subnet.Ranges{
			rng("10.10.0.0", "10.10.255.255"), rng("2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff")}},
		{"comma and space", "10.10., 2001:db8::1 ,192.168.1.", subnet.Ranges{
			rng("10.10.0.0", "10.10.255.255"), rng("2001:db8::1", "2001:db8::1"), rng("192.168.1.0", "192.168.1.255")}},
		{"spaces only", "10.10.  fd00::/8\t192.168.1.1", subnet.Ranges{
			rng("10.10.0.0", "10.10.255.255"), rng("fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			rng("192.168.1.1", "192.168.1.1")}},
		{"surrounding space", " \t10.10.\n", subnet.Ranges{rng("10.10.0.0", "10.10.255.255")}},
		{"single trailing comma-free ipv4", "10.0.0.0/8", subnet.Ranges{rng("10.0.0.0", "10.255.255.255")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subnet.ParseRanges(tt.s)
			if err != nil {
				t.Fatalf("ParseRanges(%q): %v", tt.s, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseRanges(%q)\n got %v\nwant %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestParseRangesErrors(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want error
		msg  string // exact message when not ""
	}{
		{"empty", "", subnet.ErrNoRanges, "no ranges"},
		{"blank", " \t ", subnet.ErrNoRanges, ""},
		{"octet out of range", "10.300.", subnet.ErrInvalidAddr, `range "10.300.": invalid address`},
		{"partial without dot", "10.10", subnet.ErrInvalidAddr, `range "10.10": invalid address`},
		{"partial of four octets", "10.10.1.2.", subnet.ErrInvalidAddr, ""},
		{"lone dot", ".", subnet.ErrInvalidAddr, ""},
		{"double dot", "10..", subnet.ErrInvalidAddr, ""},
		{"leading zero octet", "010.", subnet.ErrInvalidAddr, ""},
		{"sign in octet", "+10.", subnet.ErrInvalidAddr, ""},
		{"long octet", "0010.", subnet.ErrInvalidAddr, ""},
		{"hex partial", "0xa.", subnet.ErrInvalidAddr, ""},
		{"bad second item", "10.10.:10.300.", subnet.ErrInvalidAddr, `range "10.300.": invalid address`},
		{"trailing colon", "10.10.:", subnet.ErrEmptyItem, `empty item in "10.10.:"`},
		{"double colon in ipv4 list", "10.10.::11.", subnet.ErrEmptyItem, ""},
		{"leading colon", ":10.10.", subnet.ErrInvalidAddr, ""},
		{"double comma", "10.,,11.", subnet.ErrEmptyItem, ""},
		{"trailing comma", "10.,", subnet.ErrEmptyItem, ""},
		{"leading comma", ",10.", subnet.ErrEmptyItem, ""},
		{"comma then blank", "10., ,11.", subnet.ErrEmptyItem, ""},
		{"reversed", "10.0.0.9-10.0.0.1", subnet.ErrReversedRange, `range "10.0.0.9-10.0.0.1": low end above high end`},
		{"reversed ipv6", "2001:db8::2-2001:db8::1", subnet.ErrReversedRange, ""},
		{"mixed families", "10.0.0.1-2001:db8::1,10.1.", subnet.ErrMixedFamily, `range "10.0.0.1-2001:db8::1": ends of different address families`},
		{"ipv6 end in colon list", "10.0.0.1-2001:db8::1", subnet.ErrInvalidAddr, `range "10.0.0.1-2001": invalid address`},
		{"mixed families v6 first", "::1-10.0.0.1", subnet.ErrMixedFamily, ""},
		{"open range", "10.0.0.1-", subnet.ErrInvalidAddr, ""},
		{"three ends", "10.0.0.1-10.0.0.5-10.0.0.9", subnet.ErrInvalidAddr, ""},
		{"partial in lo-hi", "10.10.-10.20.", subnet.ErrInvalidAddr, ""},
		{"spaced dash", "10.0.0.1 - 10.0.0.9", subnet.ErrInvalidAddr, `range "-": invalid address`},
		{"bits too large v4", "10.0.0.0/33", subnet.ErrInvalidBits, `range "10.0.0.0/33": invalid prefix length`},
		{"bits too large v6", "2001:db8::/129", subnet.ErrInvalidBits, ""},
		{"bits leading zero", "10.0.0.0/08", subnet.ErrInvalidBits, ""},
		{"bits empty", "10.0.0.0/", subnet.ErrInvalidBits, ""},
		{"bits negative", "10.0.0.0/-1", subnet.ErrInvalidAddr, ""},
		{"bits signed", "10.0.0.0/+8", subnet.ErrInvalidBits, ""},
		{"netmask", "10.0.0.0/255.0.0.0", subnet.ErrInvalidBits, ""},
		{"partial with bits", "10./8", subnet.ErrInvalidAddr, ""},
		{"zone", "fe80::1%eth0", subnet.ErrZone, ""},
		{"zone in prefix", "fe80::%eth0/64", subnet.ErrZone, ""},
		{"zone in lo-hi", "fe80::1%eth0-fe80::2", subnet.ErrZone, ""},
		{"mapped", "::ffff:10.0.0.1", subnet.ErrMappedAddr, ""},
		{"mapped prefix", "::ffff:10.0.0.0/104", subnet.ErrMappedAddr, ""},
		{"ipv6 in colon list", "10.:2001:db8::/32", subnet.ErrInvalidAddr, `range "2001": invalid address`},
		{"ipv6 then colon item", "2001:db8::/32:10.", subnet.ErrInvalidBits, ""},
		{"name", "localhost", subnet.ErrInvalidAddr, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subnet.ParseRanges(tt.s)
			if err == nil {
				t.Fatalf("ParseRanges(%q) = %v, want error %v", tt.s, got, tt.want)
			}
			if got != nil {
				t.Errorf("ParseRanges(%q) returned %v with its error", tt.s, got)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseRanges(%q) error %q, want errors.Is %q", tt.s, err, tt.want)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("ParseRanges(%q) error %q, want %q", tt.s, err, tt.msg)
			}
		})
	}
}

func TestRangesContains(t *testing.T) {
	r, err := subnet.ParseRanges("10.0.0.5-10.0.0.9, 2001:db8::/126, 192.168.1.")
	if err != nil {
		t.Fatal(err)
	}
	all, err := subnet.ParseRanges("0.0.0.0/0,::/0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		r    subnet.Ranges
		addr netip.Addr
		want bool
	}{
		{r, netip.MustParseAddr("10.0.0.4"), false},
		{r, netip.MustParseAddr("10.0.0.5"), true}, // Lo
		{r, netip.MustParseAddr("10.0.0.7"), true},
		{r, netip.MustParseAddr("10.0.0.9"), true}, // Hi
		{r, netip.MustParseAddr("10.0.0.10"), false},
		{r, netip.MustParseAddr("192.168.0.255"), false},
		{r, netip.MustParseAddr("192.168.1.0"), true},
		{r, netip.MustParseAddr("192.168.1.255"), true},
		{r, netip.MustParseAddr("192.168.2.0"), false},
		{r, netip.MustParseAddr("2001:db8::"), true},
		{r, netip.MustParseAddr("2001:db8::3"), true},
		{r, netip.MustParseAddr("2001:db8::4"), false},
		{r, netip.MustParseAddr("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), false},
		{r, netip.MustParseAddr("2001:db8::1%eth0"), true}, // zone ignored
		{r, netip.MustParseAddr("::ffff:10.0.0.5"), false}, // mapped is not unmapped
		{r, netip.MustParseAddr("::a00:5"), false},         // IPv4-compatible is IPv6
		{r, netip.Addr{}, false},
		{all, netip.MustParseAddr("0.0.0.0"), true},
		{all, netip.MustParseAddr("255.255.255.255"), true},
		{all, netip.MustParseAddr("::"), true},
		{all, netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), true},
		{all, netip.Addr{}, false},
		{all[:1], netip.MustParseAddr("::"), false}, // other family
		{all[1:], netip.MustParseAddr("0.0.0.0"), false},
		{subnet.Ranges{}, netip.MustParseAddr("10.0.0.5"), false},
		{nil, netip.MustParseAddr("10.0.0.5"), false},
		{subnet.Ranges{{}}, netip.Addr{}, false}, // a zero Range contains nothing
		{subnet.Ranges{{}}, netip.MustParseAddr("0.0.0.0"), false},
	}
	for _, tt := range tests {
		if got := tt.r.Contains(tt.addr); got != tt.want {
			t.Errorf("%v.Contains(%v) = %v, want %v", tt.r, tt.addr, got, tt.want)
		}
	}
}

func TestRangesString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.10.", "10.10.0.0/16"},
		{"10.", "10.0.0.0/8"},
		{"10.10.:192.168.1.0/24", "10.10.0.0/16,192.168.1.0/24"},
		{"10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"},
		{"10.0.0.0-10.0.0.255", "10.0.0.0/24"},
		{"10.0.0.0-10.0.1.255", "10.0.0.0/23"},
		{"10.0.0.0-10.0.0.254", "10.0.0.0-10.0.0.254"},
		{"10.0.0.1-10.0.0.255", "10.0.0.1-10.0.0.255"},
		{"10.0.0.255-10.0.1.0", "10.0.0.255-10.0.1.0"},
		{"10.0.0.0-10.0.2.255", "10.0.0.0-10.0.2.255"},
		{"10.0.0.6-10.0.0.7", "10.0.0.6/31"},
		{"10.0.0.1", "10.0.0.1"},
		{"10.0.0.1/32", "10.0.0.1"},
		{"10.0.0.1-10.0.0.1", "10.0.0.1"},
		{"0.0.0.0-255.255.255.255", "0.0.0.0/0"},
		{"128.0.0.0-255.255.255.255", "128.0.0.0/1"},
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"::-::1", "::/127"},
		{"2001:db8::-2001:db8::ffff:ffff:ffff:ffff", "2001:db8::/64"},
		{"2001:db8::-2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8::/63"},
		{"2001:db8::-2001:db8::7fff:ffff:ffff:ffff", "2001:db8::/65"},
		{"2001:db8::-2001:db8:0:2:ffff:ffff:ffff:ffff", "2001:db8::-2001:db8:0:2:ffff:ffff:ffff:ffff"},
		{"2001:db8::-2001:db8:1::", "2001:db8::-2001:db8:1::"},
		{"2001:db8::1-2001:db8::ffff:ffff:ffff:ffff", "2001:db8::1-2001:db8::ffff:ffff:ffff:ffff"},
		{"2001:db8::-2001:db8:0:1:ffff:ffff:ffff:fffe", "2001:db8::-2001:db8:0:1:ffff:ffff:ffff:fffe"},
		{"2001:DB8::/32", "2001:db8::/32"},
		{"::1", "::1"},
		{"10.10., 2001:db8:1::/48 10.0.0.3-10.0.0.4", "10.10.0.0/16,2001:db8:1::/48,10.0.0.3-10.0.0.4"},
	}
	for _, tt := range tests {
		r, err := subnet.ParseRanges(tt.in)
		if err != nil {
			t.Fatalf("ParseRanges(%q): %v", tt.in, err)
		}
		got := r.String()
		if got != tt.want {
			t.Errorf("ParseRanges(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		back, err := subnet.ParseRanges(got)
		if err != nil {
			t.Errorf("ParseRanges(%q) (from String): %v", got, err)
		} else if !slices.Equal(back, r) {
			t.Errorf("ParseRanges(%q) = %v, want %v", got, back, r)
		}
	}
	if got := subnet.Ranges(nil).String(); got != "" {
		t.Errorf("nil Ranges String() = %q, want \"\"", got)
	}
}

func TestRangesContainsAllocs(t *testing.T) {
	r, err := subnet.ParseRanges("10.10., 172.16.0.0-172.31.255.255, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("10.10.1.1"),
		netip.MustParseAddr("8.8.8.8"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("2001:db8::1%eth0"),
		netip.MustParseAddr("fe80::1"),
	}
	var sink bool
	allocs := testing.AllocsPerRun(100, func() {
		for _, a := range addrs {
			sink = r.Contains(a) != sink
		}
	})
	if allocs != 0 {
		t.Errorf("Ranges.Contains allocates %v times per run, want 0", allocs)
	}
}

func BenchmarkRangesContains(b *testing.B) {
	r, err := subnet.ParseRanges("10.10.:172.16.0.0-172.31.255.255:192.168.0.0/16")
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		addr netip.Addr
	}{
		{"first", netip.MustParseAddr("10.10.1.0")},
		{"miss", netip.MustParseAddr("8.8.8.0")},
		{"ipv6", netip.MustParseAddr("2001:db8::")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Contains(bb.addr)
			}
		})
	}
}
