package flow_test

import (
	"encoding/binary"
	"testing"
	"time"

	"ipband/watchdog/flow"
)

// fuzzFormat fuzzes one format: the datagrams of a recorded export (or
// the given seeds) are the corpus; each input is a datagram sent after
// the export's first datagrams (its templates), with the version field
// set. Nothing may panic or stall, and every datagram is counted.
func fuzzFormat(f *testing.F, version uint16, file string, seeds ...[]byte) {
	var first [][]byte
	if file != "" {
		dgs := recordedDatagrams(f, file)
		first = dgs[:min(2, len(dgs))]
		for _, d := range dgs[:min(20, len(dgs))] {
			f.Add(d)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, c, _ := newCollector(t, flow.Options{})
		now := time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano()
		for _, d := range first {
			c.Datagram(e, exporterAddr, now, d)
		}
		if len(b) >= 2 && version != 0 {
			binary.BigEndian.PutUint16(b, version)
		}
		c.Datagram(e, exporterAddr, now+1e9, b)
		if xs := c.Exporters(); xs[0].Datagrams != uint64(len(first))+1 {
			t.Fatalf("datagrams %d", xs[0].Datagrams)
		}
	})
}

func FuzzNetFlowV5(f *testing.F) { fuzzFormat(f, 5, "flows-v5.pcap") }

func FuzzNetFlowV9(f *testing.F) {
	fuzzFormat(f, 9, "flows-v9.pcap", v9ZeroTemplateCrasher())
}

func FuzzIPFIX(f *testing.F) { fuzzFormat(f, 10, "flows-ipfix.pcap") }

// FuzzSFlow takes whole datagrams: sFlow's version is a 32-bit field.
func FuzzSFlow(f *testing.F) {
	fuzzFormat(f, 0, "", sflowExpandedCrasher(), sflowDatagram(1, 1500))
}
