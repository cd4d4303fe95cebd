package watchdog_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"ipband/watchdog"
)

var updateDecodeSeeds = flag.Bool("update-decode-seeds", false, "rewrite the FuzzDecode seed corpus files")

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

// TestDecodeSeedFiles checks that the seed corpus files, in the package's
// testdata (run by go test) and in the repository's testdata/fuzz/decode,
// are the seeds of FuzzDecode; -update-decode-seeds rewrites them.
func TestDecodeSeedFiles(t *testing.T) {
	seeds := decSeeds(t)
	for _, dir := range []string{
		filepath.Join("testdata", "fuzz", "FuzzDecode"),
		filepath.Join("..", "testdata", "fuzz", "decode"),
	} {
		want := map[string]bool{}
		for _, s := range seeds {
			name := "seed-" + s.name
			want[name] = true
			path := filepath.Join(dir, name)
			content := decSeedFile(s)
			if *updateDecodeSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, content, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (run go test -run TestDecodeSeedFiles -update-decode-seeds)", err)
				continue
			}
			if !bytes.Equal(got, content) {
				t.Errorf("%s differs from the seed (run go test -run TestDecodeSeedFiles -update-decode-seeds)", path)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "seed-") && !want[e.Name()] {
				if *updateDecodeSeeds {
					if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
						t.Fatal(err)
					}
					continue
				}
				t.Errorf("%s is no longer a seed", filepath.Join(dir, e.Name()))
			}
		}
	}
}
