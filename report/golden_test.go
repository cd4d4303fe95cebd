package report_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// seedPath is the classic tool's page with the sample report and table.
const seedPath = "../../shared/seeds/ipband.txt"

// edt is the zone the sample report was written in.
var edt = time.FixedZone("EDT", -4*60*60)

// golden compares got with testdata/name.golden byte for byte, or rewrites
// the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the lines that differ between want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			fmt.Fprintf(&b, "line %d:\n-%q\n+%q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// seedLines returns the lines of the seed file from the first line for
// which first is true to the first line after it for which last is true,
// inclusive. It skips the test when the seed file is absent.
func seedLines(t *testing.T, first, last func(string) bool) []string {
	t.Helper()
	f, err := os.Open(seedPath)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", seedPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if out == nil && !first(line) {
			continue
		}
		out = append(out, line)
		if len(out) > 1 && last(line) {
			return out
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("%s: section not found", seedPath)
	return nil
}

// kbytes returns the byte count that prints as kb kBytes.
func kbytes(kb float64) uint64 {
	return uint64(math.Round(kb * 1024))
}

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
