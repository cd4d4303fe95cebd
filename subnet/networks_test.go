package subnet_test

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"ipband/subnet"
)

// networksSample is an /etc/networks in the shapes found on real systems,
// with abbreviated numbers, comments, aliases and lines to skip.
const networksSample = `# /etc/networks: names of networks
#
# name		number		aliases

default		0.0.0.0
loopback	127.0.0.0
link-local	169.254.0.0
halifax		10.10.123	# branch office, abbreviated
montreal	10.10.124.0	mtl montreal-wan # aliases are ignored
tenet		10
campus 172.16
halifax-old	10.10.123	# same number: the first name wins
	indented	192.168.7	# leading blanks are fine
crlf		192.168.8.0` + "\r" + `
bogus
badnum		10.10.300	# octet out of range
hex		0x0a		# not decimal
octal		010.1		# leading zero
toolong		1.2.3.4.5
emptyoct	10..1
trailing	10.10.
ipv6		2001:db8::
`

// networksSampleSkipped counts the lines of networksSample that must be
// skipped: bogus through ipv6.
const networksSampleSkipped = 8

func TestParseNetworks(t *testing.T) {
	n, err := subnet.ParseNetworks(strings.NewReader(networksSample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   string
	}{
		{"0.0.0.0/0", "default"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"10.10.123.0/24", "halifax"},
		{"10.10.123.0/16", "halifax"}, // prefix length is not compared
		{"10.10.124.0/24", "montreal"},
		{"10.0.0.0/8", "tenet"},
		{"172.16.0.0/16", "campus"},
		{"192.168.7.0/24", "indented"},
		{"192.168.8.0/24", "crlf"},
		{"10.10.125.0/24", ""},
		{"10.10.123.1/32", ""},
		{"10.1.0.0/16", ""},  // "10..1" was skipped
		{"10.10.0.0/16", ""}, // "10.10." was skipped
		{"1.2.3.4/32", ""},
		{"2001:db8::/32", ""},
		{"::ffff:10.10.123.0/120", ""},
	}
	for _, tt := range tests {
		if got := n.Name(netip.MustParsePrefix(tt.prefix)); got != tt.want {
			t.Errorf("Name(%s) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
	for _, alias := range []string{"mtl", "montreal-wan", "halifax-old", "bogus"} {
		for _, tt := range tests {
			if n.Name(netip.MustParsePrefix(tt.prefix)) == alias {
				t.Errorf("Name(%s) = alias or skipped name %q", tt.prefix, alias)
			}
		}
	}
	if got := n.Skipped(); got != networksSampleSkipped {
		t.Errorf("Skipped() = %d, want %d", got, networksSampleSkipped)
	}
}

func TestParseNetworksLines(t *testing.T) {
	long := "filler " + strings.Repeat("x", 70<<10) + "\n"
	tests := []struct {
		name    string
		in      string
		prefix  string
		want    string
		skipped int
	}{
		{"empty", "", "10.0.0.0/8", "", 0},
		{"no final newline", "tenet 10", "10.0.0.0/8", "tenet", 0},
		{"four octets", "host-net 10.1.2.3", "10.1.2.3/32", "host-net", 0},
		{"comment only", "# tenet 10\n", "10.0.0.0/8", "", 0},
		{"comment glued to number", "tenet 10#c\n", "10.0.0.0/8", "tenet", 0},
		{"name only", "tenet\n", "10.0.0.0/8", "", 1},
		{"over-long line skipped", long + "tenet 10\n", "10.0.0.0/8", "tenet", 1},
		{"over-long last line", "tenet 10\n" + long[:len(long)-1], "10.0.0.0/8", "tenet", 1},
		{"octet 256", "x 10.256\n", "10.0.0.0/8", "", 1},
		{"trailing dot", "x 10.\n", "10.0.0.0/8", "", 1},
		{"leading dot", "x .10\n", "0.10.0.0/16", "", 1},
		{"signed", "x +10\n", "10.0.0.0/8", "", 1},
		{"blank lines only", "\n\n \t\n", "0.0.0.0/0", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := subnet.ParseNetworks(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Name(netip.MustParsePrefix(tt.prefix)); got != tt.want {
				t.Errorf("Name(%s) = %q, want %q", tt.prefix, got, tt.want)
			}
			if got := n.Skipped(); got != tt.skipped {
				t.Errorf("Skipped() = %d, want %d", got, tt.skipped)
			}
		})
	}
}

func TestParseNetworksReadError(t *testing.T) {
	errBroken := errors.New("broken disk")
	r := io.MultiReader(strings.NewReader("tenet 10\n"), iotest.ErrReader(errBroken))
	n, err := subnet.ParseNetworks(r)
	if !errors.Is(err, errBroken) {
		t.Fatalf("ParseNetworks = %v, %v; want error %v", n, err, errBroken)
	}
	if n != nil {
		t.Errorf("ParseNetworks returned %v with its error", n)
	}
}

func TestNetworksNil(t *testing.T) {
	p := netip.MustParsePrefix("10.0.0.0/8")
	var nilNets *subnet.Networks
	if got := nilNets.Name(p); got != "" {
		t.Errorf("nil Networks Name = %q, want \"\"", got)
	}
	if got := nilNets.Skipped(); got != 0 {
		t.Errorf("nil Networks Skipped = %d, want 0", got)
	}
	var zero subnet.Networks
	if got := zero.Name(p); got != "" {
		t.Errorf("zero Networks Name = %q, want \"\"", got)
	}
	if got := zero.Name(netip.Prefix{}); got != "" {
		t.Errorf("zero Networks Name(zero Prefix) = %q, want \"\"", got)
	}
}

func TestLoadNetworks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "networks")
	if err := os.WriteFile(path, []byte(networksSample), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := subnet.LoadNetworks(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Name(netip.MustParsePrefix("10.10.123.0/24")); got != "halifax" {
		t.Errorf("Name(10.10.123.0/24) = %q, want halifax", got)
	}
	if got := n.Skipped(); got != networksSampleSkipped {
		t.Errorf("Skipped() = %d, want %d", got, networksSampleSkipped)
	}

	n, err = subnet.LoadNetworks(filepath.Join(dir, "missing"))
	if err != nil {
		t.Errorf("LoadNetworks(missing): %v, want no error", err)
	}
	if n == nil || n.Name(netip.MustParsePrefix("10.10.123.0/24")) != "" || n.Skipped() != 0 {
		t.Errorf("LoadNetworks(missing) = %v, want an empty Networks", n)
	}

	// A directory opens but cannot be read: the error names it.
	n, err = subnet.LoadNetworks(dir)
	if err == nil {
		t.Fatalf("LoadNetworks(directory) = %v, want an error", n)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("LoadNetworks(directory) error %q does not name %s", err, dir)
	}

	// A path through a regular file fails to open, not as "missing".
	if _, err := subnet.LoadNetworks(filepath.Join(path, "x")); err == nil {
		t.Error("LoadNetworks(file/x) succeeded, want an error")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("LoadNetworks(file/x) error %q does not name %s", err, path)
	}
}
