package watchdog_test

import (
	"context"
	"io"
	"net/netip"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// benchPackets is the size of the bench capture, as `make bench` makes it.
const benchPackets = 2_000_000

// benchCapture writes an n-packet capture of a pcapgen scenario into a
// temporary directory and returns its path. It builds the generator first,
// so the benchmarks replay exactly the load that `make bench` times; it
// skips the benchmark when no Go toolchain is on the PATH.
func benchCapture(b *testing.B, scenario string, n int) string {
	b.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go command to build the capture generator: %v", err)
	}
	dir := b.TempDir()
	gen := filepath.Join(dir, "pcapgen")
	if out, err := exec.Command(goTool, "build", "-o", gen, "ipband/cmd/pcapgen").CombinedOutput(); err != nil {
		b.Fatalf("building pcapgen: %v\n%s", err, out)
	}
	file := filepath.Join(dir, scenario+".pcap")
	cmd := exec.Command(gen, "-s", scenario, "-n", strconv.Itoa(n), "-o", file)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("pcapgen -s %s: %v\n%s", scenario, err, out)
	}
	return file
}

// discard is an Output that drops what it gets, counting the reports.
type discard struct{ reports int }

func (*discard) Period(*report.Period)  {}
func (d *discard) Report(report.Report) { d.reports++ }

// benchConfig is the engine configuration of a benchmark mode, as ipband
// builds it from its defaults (one-minute average, 16384 dynamic subnets,
// 10000 connections per logging subnet):
//
//   - dynamic: no subnet lines, every /24 tracked, a threshold no subnet
//     reaches, so nothing goes into detail logging;
//   - preloaded: 20 preloaded /24s of the bench load (not the hot one),
//     none over its threshold;
//   - logging: the same 20 plus the hot subnet 10.10.7.0 with a threshold
//     it stays over (half of all packets), reporting every minute.
func benchConfig(mode string, hot float64) watchdog.Config {
	c := watchdog.Config{
		Average:  time.Minute,
		Report:   5 * time.Minute,
		MaxConns: 10000,
		Subnets: subnet.Options{
			MaskBits: 24, MaskBits6: 64, Threshold: 7,
			MaxDynamic: 16384,
		},
	}
	if mode == "dynamic" {
		c.Subnets.Threshold = 1e6
		return c
	}
	for i := range 20 {
		a := netip.AddrFrom4([4]byte{10, 10, byte(i*10 + 1), 0})
		c.Subnets.Preload = append(c.Subnets.Preload, subnet.Preload{Prefix: netip.PrefixFrom(a, 24), Threshold: 1e6})
	}
	if mode == "logging" {
		c.Report = time.Minute
		c.Subnets.Preload = append(c.Subnets.Preload, subnet.Preload{Prefix: netip.MustParsePrefix("10.10.7.0/24"), Threshold: hot})
	}
	return c
}

// mallocs returns the number of heap allocations so far.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// replayStage runs one stage of the offline pipeline over the file at
// path and returns how many records it saw: "read" only reads the records,
// "decode" reads and decodes them, and a benchConfig mode runs the whole
// pipeline with Replay.
func replayStage(b *testing.B, path, stage string, out watchdog.Output) uint64 {
	f, err := pcapfile.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var (
		rec pcapfile.Record
		p   watchdog.Packet
		dec *watchdog.Decoder
	)
	switch stage {
	case "read", "decode":
		if stage == "decode" {
			dec = decNew(b, int(f.LinkType()))
		}
		for {
			if err := f.Next(&rec); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				return f.Records()
			}
			if dec != nil {
				dec.Decode(rec.Data, &p)
			}
		}
	}
	e, err := watchdog.New(benchConfig(stage, 1000), out)
	if err != nil {
		b.Fatal(err)
	}
	if err := watchdog.Replay(context.Background(), f, e, watchdog.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	return e.Stats().Packets
}

// BenchmarkReplay replays the 2,000,000-packet bench capture, one whole
// file per operation, from a temporary file as `ipband --read` does: only
// reading the records (the floor of this pipeline), reading and decoding,
// then the whole offline pipeline (FileReader, Decoder, Engine) in each
// benchConfig mode. ns/pkt and allocs/pkt are per packet, period closes,
// reports and the start-up of the tables included.
func BenchmarkReplay(b *testing.B) {
	file := benchCapture(b, "bench", benchPackets)
	for _, stage := range []string{"read", "decode", "dynamic", "preloaded", "logging"} {
		b.Run(stage, func(b *testing.B) {
			b.ReportAllocs()
			var (
				out     discard
				packets uint64
			)
			before := mallocs()
			for b.Loop() {
				packets += replayStage(b, file, stage, &out)
			}
			allocs := mallocs() - before
			if packets != uint64(b.N)*benchPackets {
				b.Fatalf("replayed %d packets in %d runs, want %d each", packets, b.N, benchPackets)
			}
			if stage == "logging" && out.reports == 0 {
				b.Fatal("the hot subnet made no report")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/pkt")
			b.ReportMetric(float64(allocs)/float64(packets), "allocs/pkt")
		})
	}
}

// BenchmarkReplayFlood replays the flood-heavy capture (2,000,000 packets
// in one minute: a flood of new random sources at 33,000 a second, and
// 10.10.50.10 at 14600 bytes a second through it) as
// `ipband -C -a 10 -r 20 --max-subnets N` does, with N 1000 and 16384.
// It fails unless the heavy subnet is reported on time, twice (after 30 s
// and 50 s), and no flood source is.
func BenchmarkReplayFlood(b *testing.B) {
	const n = 2_000_000
	file := benchCapture(b, "flood-heavy", n)
	heavy := netip.MustParsePrefix("10.10.50.0/24")
	for _, max := range []int{1000, 16384} {
		b.Run("max-subnets-"+strconv.Itoa(max), func(b *testing.B) {
			c := benchConfig("dynamic", 0)
			c.Average, c.Report = 10*time.Second, 20*time.Second
			c.Subnets.Threshold, c.Subnets.MaxDynamic = 7, max
			b.ReportAllocs()
			var packets uint64
			before := mallocs()
			for b.Loop() {
				f, err := pcapfile.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				var out heavyReports
				e, err := watchdog.New(c, &out)
				if err != nil {
					b.Fatal(err)
				}
				if err := watchdog.Replay(context.Background(), f, e, watchdog.RunOptions{}); err != nil {
					b.Fatal(err)
				}
				f.Close()
				packets += e.Stats().Packets
				if out.heavy[heavy] != 2 || len(out.heavy) != 3 {
					b.Fatalf("reports %v, want 2 of %v and of its peer and the flood's target, no other", out.heavy, heavy)
				}
			}
			allocs := mallocs() - before
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/pkt")
			b.ReportMetric(float64(allocs)/float64(packets), "allocs/pkt")
		})
	}
}

// heavyReports is an Output that counts the reports of each subnet.
type heavyReports struct{ heavy map[netip.Prefix]int }

func (*heavyReports) Period(*report.Period) {}
func (h *heavyReports) Report(r report.Report) {
	if h.heavy == nil {
		h.heavy = map[netip.Prefix]int{}
	}
	h.heavy[r.Subnet]++
}
