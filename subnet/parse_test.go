package subnet_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"

	"ipband/subnet"
)

func TestParseSubnet(t *testing.T) {
	tests := []struct {
		s    string
		addr string
		bits int
	}{
		{"10.10.123.0", "10.10.123.0", -1},
		{"10.20.0.0/16", "10.20.0.0", 16},
		{"10.20.1.0/16", "10.20.1.0", 16}, // host bits kept as written
		{"0.0.0.0/0", "0.0.0.0", 0},
		{"10.1.2.3/32", "10.1.2.3", 32},
		{"255.255.255.255", "255.255.255.255", -1},
		{"2001:db8:1::/48", "2001:db8:1::", 48},
		{"2001:db8::", "2001:db8::", -1},
		{"2001:DB8::1/128", "2001:db8::1", 128},
		{"::/0", "::", 0},
		{"::1.2.3.4/96", "::102:304", 96},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			addr, bits, err := subnet.ParseSubnet(tt.s)
			if err != nil {
				t.Fatalf("ParseSubnet(%q): %v", tt.s, err)
			}
			if want := netip.MustParseAddr(tt.addr); addr != want || bits != tt.bits {
				t.Errorf("ParseSubnet(%q) = %v, %d; want %v, %d", tt.s, addr, bits, want, tt.bits)
			}
		})
	}
}

func TestParseSubnetErrors(t *testing.T) {
	tests := []struct {
		s    string
		want error
		msg  string // exact message when not ""
	}{
		{"10.10.300.0", subnet.ErrInvalidAddr, `"10.10.300.0": invalid address`},
		{"", subnet.ErrInvalidAddr, `"": invalid address`},
		{"10.10.123", subnet.ErrInvalidAddr, ""},
		{"10.10.123.", subnet.ErrInvalidAddr, ""},
		{"010.10.123.0", subnet.ErrInvalidAddr, ""},
		{"10.10.123.0 ", subnet.ErrInvalidAddr, ""},
		{"halifax", subnet.ErrInvalidAddr, ""},
		{"/24", subnet.ErrInvalidAddr, ""},
		{"10.0.0.0/33", subnet.ErrInvalidBits, `"10.0.0.0/33": invalid prefix length`},
		{"2001:db8::/129", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/-1", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/+8", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/08", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/1000", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/24/24", subnet.ErrInvalidBits, ""},
		{"10.0.0.0/255.255.255.0", subnet.ErrInvalidBits, ""},
		{"fe80::1%eth0", subnet.ErrZone, `"fe80::1%eth0": address has a zone`},
		{"fe80::%eth0/64", subnet.ErrZone, ""},
		{"::ffff:10.10.123.0", subnet.ErrMappedAddr, ""},
		{"::ffff:10.10.123.0/120", subnet.ErrMappedAddr, ""},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			addr, bits, err := subnet.ParseSubnet(tt.s)
			if err == nil {
				t.Fatalf("ParseSubnet(%q) = %v, %d; want error %v", tt.s, addr, bits, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseSubnet(%q) error %q, want errors.Is %q", tt.s, err, tt.want)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("ParseSubnet(%q) error %q, want %q", tt.s, err, tt.msg)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		addr         string
		bits4, bits6 int
		want         string // "" for the zero Prefix
	}{
		{"10.10.123.173", 24, 64, "10.10.123.0/24"},
		{"10.10.123.173", 16, 64, "10.10.0.0/16"},
		{"10.10.123.173", 23, 64, "10.10.122.0/23"},
		{"10.10.123.173", 32, 64, "10.10.123.173/32"},
		{"10.10.123.173", 1, 64, "0.0.0.0/1"},
		{"200.10.123.173", 1, 64, "128.0.0.0/1"},
		{"10.10.123.173", 0, 64, "0.0.0.0/0"},
		{"255.255.255.255", 31, 64, "255.255.255.254/31"},
		{"2001:db8:1:2:3:4:5:6", 24, 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3:4:5:6", 24, 48, "2001:db8:1::/48"},
		{"2001:db8:1:2:3:4:5:6", 24, 65, "2001:db8:1:2::/65"},
		{"2001:db8:1:2:8003:4:5:6", 24, 65, "2001:db8:1:2:8000::/65"},
		{"2001:db8:1:2:3:4:5:6", 24, 128, "2001:db8:1:2:3:4:5:6/128"},
		{"2001:db8:1:2:3:4:5:6", 24, 0, "::/0"},
		{"fe80::1%eth0", 24, 64, "fe80::/64"},
		{"::ffff:10.1.2.3", 8, 120, "::ffff:10.1.2.0/120"}, // IPv6 bits, not unmapped
		{"10.1.2.3", 33, 64, ""},
		{"10.1.2.3", -1, 64, ""},
		{"2001:db8::1", 24, 129, ""},
		{"2001:db8::1", 24, -1, ""},
		{"10.1.2.3", 24, -1, "10.1.2.0/24"}, // only the family's bits matter
		{"2001:db8::1", 99, 64, "2001:db8::/64"},
	}
	for _, tt := range tests {
		got := subnet.Mask(netip.MustParseAddr(tt.addr), tt.bits4, tt.bits6)
		var want netip.Prefix
		if tt.want != "" {
			want = netip.MustParsePrefix(tt.want)
		}
		if got != want {
			t.Errorf("Mask(%s, %d, %d) = %v, want %v", tt.addr, tt.bits4, tt.bits6, got, want)
		}
	}
	if got := subnet.Mask(netip.Addr{}, 24, 64); got != (netip.Prefix{}) {
		t.Errorf("Mask(zero Addr) = %v, want the zero Prefix", got)
	}
}

// TestMaskMatchesNetip compares Mask with netip's own masking on random
// addresses and every prefix length.
func TestMaskMatchesNetip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var b16 [16]byte
		for i := range b16 {
			b16[i] = byte(rnd.Uint32())
		}
		a4 := netip.AddrFrom4([4]byte(b16[:4]))
		a6 := netip.AddrFrom16(b16)
		for n := 0; n <= 128; n++ {
			if n <= 32 {
				want, err := a4.Prefix(n)
				if err != nil {
					t.Fatal(err)
				}
				if got := subnet.Mask(a4, n, 64); got != want {
					t.Fatalf("Mask(%v, %d, 64) = %v, want %v", a4, n, got, want)
				}
			}
			want, err := a6.Prefix(n)
			if err != nil {
				t.Fatal(err)
			}
			if got := subnet.Mask(a6, 24, n); got != want {
				t.Fatalf("Mask(%v, 24, %d) = %v, want %v", a6, n, got, want)
			}
		}
	}
}

func TestMaskAllocs(t *testing.T) {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.10.123.173"),
		netip.MustParseAddr("2001:db8:1:2:3:4:5:6"),
		netip.MustParseAddr("fe80::1%eth0"),
		{},
	}
	var sink netip.Prefix
	allocs := testing.AllocsPerRun(100, func() {
		for _, a := range addrs {
			sink = subnet.Mask(a, 24, 64)
		}
		sink = subnet.Mask(addrs[0], 40, 200) // out of range
	})
	if allocs != 0 {
		t.Errorf("Mask allocates %v times per run, want 0", allocs)
	}
	_ = sink
}

// BenchmarkMask measures Mask; the netip sub-benchmarks measure
// netip.Addr.Prefix, the obvious alternative, on the same addresses.
func BenchmarkMask(b *testing.B) {
	a4 := netip.MustParseAddr("10.10.123.173")
	a6 := netip.MustParseAddr("2001:db8:1:2:3:4:5:6")
	var sink netip.Prefix
	b.Run("v4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = subnet.Mask(a4, 24, 64)
		}
	})
	b.Run("v6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = subnet.Mask(a6, 24, 64)
		}
	})
	b.Run("netip-v4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = a4.Prefix(24)
		}
	})
	b.Run("netip-v6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = a6.Prefix(64)
		}
	})
	_ = sink
}
