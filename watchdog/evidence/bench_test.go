package evidence_test

import (
	"fmt"
	"net/netip"
	"testing"

	"ipband/watchdog/evidence"
)

// BenchmarkFrame measures the capture goroutine's cost of one frame of a
// logging subnet: the copy into the queue (the writer drains it on its
// own goroutine, every 20 ms). A tight loop outruns the writer: the
// frames it drops, which cost less, are counted in dropped/op.
func BenchmarkFrame(b *testing.B) {
	for _, size := range []int{64, 512, 1514} {
		b.Run(fmt.Sprint(size, "B"), func(b *testing.B) {
			d, err := evidence.Open(evidence.Options{Dir: b.TempDir(), LinkType: 1, MaxFile: 1 << 40, MaxTotal: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			sub := netip.MustParsePrefix("10.0.0.0/24")
			d.Start(sub, 0)
			frame := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				d.Frame(sub, int64(i), uint32(size), frame)
			}
			b.ReportMetric(float64(d.Dropped())/float64(b.N), "dropped/op")
		})
	}
}
