package flow_test

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	"ipband/report"
	"ipband/watchdog"
	"ipband/watchdog/flow"
)

// benchRecords runs one op per datagram of dgs, over and over, each round
// received one capture span later than the last (so that the exporter's
// clock offset moves the flows forward and periods keep closing), and
// reports records/s, ns/record and allocations per record.
func benchRecords(b *testing.B, dgs [][]byte, records int) {
	e, err := watchdog.New(classicConfig(0), discard{})
	if err != nil {
		b.Fatal(err)
	}
	c := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
	e.SetAnnotator(c)
	span := exportTime(dgs[len(dgs)-1]) - exportTime(dgs[0]) + int64(time.Minute)
	var shift int64
	for range 3 { // warm up: tables, pending buffers, templates
		for _, d := range dgs {
			c.Datagram(e, exporterAddr, exportTime(d)+shift, d)
		}
		shift += span
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d := dgs[i]
		c.Datagram(e, exporterAddr, exportTime(d)+shift, d)
		if i++; i == len(dgs) {
			i = 0
			shift += span
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	recs := float64(b.N) * float64(records) / float64(len(dgs))
	b.ReportMetric(recs/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/recs, "ns/record")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/recs, "allocs/record")
}

// discard is an Output that keeps nothing.
type discard struct{}

func (discard) Period(*report.Period) {}
func (discard) Report(report.Report)  {}

// exportRecords is the number of records in the recorded exports.
const exportRecords = 407

// BenchmarkCollector decodes and counts the records of each recorded
// export (softflowd's, 2-3 records a datagram) and of sFlow samples.
func BenchmarkCollector(b *testing.B) {
	for _, f := range []struct{ name, file string }{
		{"v5", "flows-v5.pcap"}, {"v9", "flows-v9.pcap"}, {"ipfix", "flows-ipfix.pcap"},
	} {
		b.Run(f.name, func(b *testing.B) {
			benchRecords(b, recordedDatagrams(b, f.file), exportRecords)
		})
	}
	b.Run("sflow", func(b *testing.B) {
		d := sflowDatagram(1, 1500)
		dgs := [][]byte{d}
		// sFlow has no export time: received now.
		e, c, _ := newCollector(b, flow.Options{})
		now := time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.ReportAllocs()
		for b.Loop() {
			c.Datagram(e, exporterAddr, now, dgs[0])
			now += 1e6
		}
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/record")
	})
}

// BenchmarkGoflow2 is the measurement that made the in-place decoders:
// goflow2's own v5 and v9/IPFIX decoders on the same datagrams, decode
// only (no counting).
func BenchmarkGoflow2(b *testing.B) {
	for _, f := range []struct{ name, file string }{
		{"v5", "flows-v5.pcap"}, {"v9", "flows-v9.pcap"}, {"ipfix", "flows-ipfix.pcap"},
	} {
		b.Run(f.name, func(b *testing.B) {
			dgs := recordedDatagrams(b, f.file)
			ts := netflow.CreateTemplateSystem()
			decode := func(d []byte) {
				if binary.BigEndian.Uint16(d) == 5 {
					var p netflowlegacy.PacketNetFlowV5
					netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(d), &p) //nolint:errcheck // measured, not checked
					return
				}
				var p9 netflow.NFv9Packet
				var p10 netflow.IPFIXPacket
				netflow.DecodeMessageVersion(bytes.NewBuffer(d), ts, &p9, &p10) //nolint:errcheck // as above
			}
			for _, d := range dgs {
				decode(d)
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				decode(dgs[i])
				i = (i + 1) % len(dgs)
			}
			runtime.ReadMemStats(&ms1)
			recs := float64(b.N) * exportRecords / float64(len(dgs))
			b.ReportMetric(recs/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/recs, "allocs/record")
		})
	}
}
