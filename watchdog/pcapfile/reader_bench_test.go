package pcapfile_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog/pcapfile"
)

const frBenchRecords = 100_000

// frBenchFiles writes the same frBenchRecords frames, a third of them
// full-sized and the rest small, as pcap and pcapng with pcapgo's writers.
func frBenchFiles(b *testing.B) (pcap, pcapng []byte) {
	b.Helper()
	var p, n bytes.Buffer
	pw := pcapgo.NewWriter(&p)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		b.Fatal(err)
	}
	nw, err := pcapgo.NewNgWriter(&n, layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	frame := frFrame(1514, 0)
	for i := range frBenchRecords {
		l := 60 + i%140
		if i%3 == 0 {
			l = 1514
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1000), CaptureLength: l, Length: l}
		if err := pw.WritePacket(ci, frame[:l]); err != nil {
			b.Fatal(err)
		}
		if err := nw.WritePacket(ci, frame[:l]); err != nil {
			b.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		b.Fatal(err)
	}
	return p.Bytes(), n.Bytes()
}

// frBenchReport reports per-record figures for benchmarks whose every
// operation reads a whole file of frBenchRecords records.
func frBenchReport(b *testing.B, records int) {
	if records != frBenchRecords {
		b.Fatalf("read %d records, want %d", records, frBenchRecords)
	}
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / frBenchRecords
	b.ReportMetric(per, "ns/record")
	b.ReportMetric(1e9/per, "records/s")
}

// BenchmarkFileReader reads a whole in-memory file per operation.
func BenchmarkFileReader(b *testing.B) {
	pcap, pcapng := frBenchFiles(b)
	for _, c := range []struct {
		name string
		data []byte
	}{{"pcap", pcap}, {"pcapng", pcapng}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			var (
				rec   pcapfile.Record
				n     int
				total uint64
			)
			for b.Loop() {
				f, err := pcapfile.NewReader(bytes.NewReader(c.data), c.name)
				if err != nil {
					b.Fatal(err)
				}
				for n = 0; ; n++ {
					if err := f.Next(&rec); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
					total += uint64(rec.Len) + uint64(rec.Data[0])
				}
			}
			frBenchReport(b, n)
			_ = total
		})
	}
}

// BenchmarkPcapgo reads the same files with pcapgo's zero-copy readers,
// for comparison.
func BenchmarkPcapgo(b *testing.B) {
	pcap, pcapng := frBenchFiles(b)
	type zeroCopy interface {
		ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	for _, c := range []struct {
		name string
		data []byte
		open func(io.Reader) (zeroCopy, error)
	}{
		{"pcap", pcap, func(r io.Reader) (zeroCopy, error) { return pcapgo.NewReader(r) }},
		{"pcapng", pcapng, func(r io.Reader) (zeroCopy, error) {
			return pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			var (
				n     int
				total uint64
			)
			for b.Loop() {
				r, err := c.open(bytes.NewReader(c.data))
				if err != nil {
					b.Fatal(err)
				}
				for n = 0; ; n++ {
					data, ci, err := r.ZeroCopyReadPacketData()
					if err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
					total += uint64(ci.Length) + uint64(data[0])
				}
			}
			frBenchReport(b, n)
			_ = total
		})
	}
}
