package flow_test

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strconv"
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

// denseDatagram returns a datagram of 30 records of the given version
// (5, 9 or 10), exported at export (Unix s; v9 uptime 100000 ms), each
// record a 30 s flow ending at the export time, between 30 different
// hosts of 10.10.123.0 and one server. For v9 and IPFIX the template
// comes in a first datagram of its own.
func denseDatagram(version uint16, export uint32) (tmpl, data []byte) {
	const n = 30
	if version == 5 {
		b := binary.BigEndian.AppendUint16(nil, 5)
		b = binary.BigEndian.AppendUint16(b, n)
		b = binary.BigEndian.AppendUint32(b, 100000)
		b = binary.BigEndian.AppendUint32(b, export)
		b = append(b, make([]byte, 12)...)
		for i := range n {
			r := make([]byte, 48)
			copy(r, []byte{10, 10, 123, byte(i + 1), 10, 100, 11, 13})
			binary.BigEndian.PutUint32(r[16:], 10)
			binary.BigEndian.PutUint32(r[20:], 15000)
			binary.BigEndian.PutUint32(r[24:], 70000)
			binary.BigEndian.PutUint32(r[28:], 100000)
			binary.BigEndian.PutUint16(r[32:], uint16(4000+i))
			binary.BigEndian.PutUint16(r[34:], 443)
			r[38] = 6
			b = append(b, r...)
		}
		return nil, b
	}
	fields := []field{{8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {1, 4, 0}, {22, 4, 0}, {21, 4, 0}}
	if version == 10 {
		fields = append(fields[:6], field{150, 4, 0}, field{151, 4, 0})
	}
	var recs []byte
	for i := range n {
		r := cat(ip4("10.10.123."+strconv.Itoa(i+1)), ip4("10.100.11.13"), u16(uint16(4000+i)), u16(443), u8(6), u32(15000))
		if version == 9 {
			r = cat(r, u32(70000), u32(100000))
		} else {
			r = cat(r, u32(export-30), u32(export))
		}
		recs = append(recs, r...)
	}
	tmpl = (&msg{version: version, export: export, uptime: 100000}).template(map[uint16]uint16{9: 0, 10: 2}[version], 256, fields...).bytes()
	data = (&msg{version: version, export: export, uptime: 100000}).set(256, recs).bytes()
	return tmpl, data
}

// BenchmarkDense is decode and count per record at a router's density:
// datagrams of 30 records, one a millisecond, so that a 60 s period holds
// 1,800,000 records and its close is amortised over them: the steady
// state of the hot path, allocations per record included.
func BenchmarkDense(b *testing.B) {
	for _, v := range []uint16{5, 9, 10} {
		b.Run(map[uint16]string{5: "v5", 9: "v9", 10: "ipfix"}[v], func(b *testing.B) {
			e, err := watchdog.New(classicConfig(0), discard{})
			if err != nil {
				b.Fatal(err)
			}
			c := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
			e.SetAnnotator(c)
			now := t10
			tmpl, data := denseDatagram(v, uint32(now.Unix()))
			if tmpl != nil {
				c.Datagram(e, exporterAddr, now.UnixNano(), tmpl)
			}
			for range 1000 { // warm up
				c.Datagram(e, exporterAddr, now.UnixNano(), data)
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ReportAllocs()
			at := now.UnixNano()
			for b.Loop() {
				at += int64(time.Millisecond)
				c.Datagram(e, exporterAddr, at, data)
			}
			runtime.ReadMemStats(&ms1)
			recs := float64(b.N) * 30
			b.ReportMetric(recs/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/recs, "ns/record")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/recs, "allocs/record")
			if x := c.Exporters()[0]; x.Records < uint64(b.N)*30 || x.Malformed != 0 {
				b.Fatalf("exporter %+v", x)
			}
		})
	}
}

// TestRecordsZeroAlloc pins the steady state of the hot path: decoding
// and counting a datagram of v5, v9 or IPFIX records (templates known,
// tables grown) does not allocate.
func TestRecordsZeroAlloc(t *testing.T) {
	for _, v := range []uint16{5, 9, 10} {
		e, err := watchdog.New(classicConfig(0), discard{})
		if err != nil {
			t.Fatal(err)
		}
		c := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
		tmpl, data := denseDatagram(v, uint32(t10.Unix()))
		at := t10.UnixNano()
		if tmpl != nil {
			c.Datagram(e, exporterAddr, at, tmpl)
		}
		for range 100 {
			c.Datagram(e, exporterAddr, at, data)
		}
		allocs := testing.AllocsPerRun(500, func() {
			at += int64(time.Millisecond)
			c.Datagram(e, exporterAddr, at, data)
		})
		if allocs != 0 {
			t.Errorf("version %d: %.2f allocations a datagram of 30 records, want 0", v, allocs)
		}
		if tmpl != nil { // a template resent unchanged costs nothing either
			if a := testing.AllocsPerRun(100, func() { c.Datagram(e, exporterAddr, at, tmpl) }); a != 0 {
				t.Errorf("version %d: %.2f allocations a template resent, want 0", v, a)
			}
		}
	}
}
