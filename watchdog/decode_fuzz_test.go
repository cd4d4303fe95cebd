package watchdog_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/gopacket/layers"

	"ipband/watchdog"
)

// decSeed is one FuzzDecode input: sel picks the link type from
// decLinkTypes.
type decSeed struct {
	name  string
	sel   byte
	frame []byte
}

// decSeeds returns the seeds of FuzzDecode: every frame of the decode table
// and a pair of IPv4 and IPv6 fragments.
func decSeeds(tb testing.TB) []decSeed {
	var seeds []decSeed
	for _, c := range decCases(tb) {
		seeds = append(seeds, decSeed{c.name, byte(slices.Index(decLinkTypes, c.lt)), c.frame})
	}
	raw := byte(slices.Index(decLinkTypes, 101))
	tcp4 := decTCP(tb, decIP4Layer(6), 1000, 2000)
	tcp6 := decTCP(tb, decIP6Layer(6), 3000, 4000)
	more := func(ip *layers.IPv4) { ip.Flags = layers.IPv4MoreFragments }
	second := func(ip *layers.IPv4) { ip.FragOffset = 185 }
	return append(seeds,
		decSeed{"ipv4-frag-first", raw, decIP4(tb, 6, more, tcp4)},
		decSeed{"ipv4-frag-second", raw, decIP4(tb, 6, second, make([]byte, 32))},
		decSeed{"ipv6-frag-first", raw, decIP6(tb, 44, decCat(decFrag6(6, 0, true, 7), tcp6))},
		decSeed{"ipv6-frag-second", raw, decIP6(tb, 44, decCat(decFrag6(6, 100, false, 7), make([]byte, 32)))},
	)
}

// FuzzDecode decodes arbitrary frames on every supported link type: no
// panic, the invariants of a decoded packet hold, decoding is repeatable,
// and an IP packet has the addresses (and ports) gopacket finds.
func FuzzDecode(f *testing.F) {
	for _, s := range decSeeds(f) {
		f.Add(s.sel, s.frame)
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		lt := decLinkTypes[int(sel)%len(decLinkTypes)]
		d := decNew(t, lt)
		p := watchdog.Packet{Time: -1, Len: 1 << 31}
		d.Decode(data, &p)
		if p.Time != -1 || p.Len != 1<<31 {
			t.Errorf("Decode changed Time or Len: %+v", p)
		}
		decCheckInvariants(t, &p)
		again := p
		d.Decode(data, &again)
		if again != p {
			t.Errorf("decoding twice differs:\n%+v\n%+v", p, again)
		}
		if p.Kind == watchdog.KindIP {
			decCheckOracle(t, lt, data, &p)
		}
	})
}

// decSeedFile returns a seed in Go's fuzz corpus file format.
func decSeedFile(s decSeed) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", s.sel, s.frame)
}

// TestDecodeSeedsOnce checks that the seeds of FuzzDecode are written once,
// in decSeeds: no corpus file repeats one (testdata/fuzz/FuzzDecode holds
// only inputs the fuzzer found), and no other copy of the corpus exists.
func TestDecodeSeedsOnce(t *testing.T) {
	seeds := map[string]string{}
	for _, s := range decSeeds(t) {
		seeds[string(decSeedFile(s))] = s.name
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if name, ok := seeds[string(b)]; ok {
			t.Errorf("%s repeats the seed %q of decSeeds", filepath.Join(dir, e.Name()), name)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "testdata", "fuzz")); err == nil {
		t.Errorf("../testdata/fuzz exists: a second copy of fuzz inputs")
	}
}
