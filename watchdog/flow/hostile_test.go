package flow_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"ipband/watchdog"
	"ipband/watchdog/flow"
	"ipband/watchdog/flow/flowtest"
)

var exporterAddr = netip.MustParseAddrPort("192.0.2.1:40000")

// newCollector returns an engine and a collector counting into it.
func newCollector(t testing.TB, o flow.Options) (*watchdog.Engine, *flow.Collector, *recorder) {
	t.Helper()
	rec := &recorder{}
	e, err := watchdog.New(classicConfig(0), rec)
	if err != nil {
		t.Fatal(err)
	}
	if o.Grace == 0 {
		o.Grace, o.Skew = 120*time.Second, 300*time.Second
	}
	c := flow.NewCollector(o)
	e.SetAnnotator(c)
	return e, c, rec
}

// sflowExpandedCrasher is an sFlow v5 datagram with one expanded flow
// sample claiming 2^32-1 records: goflow2's decoder allocates them all
// before reading one.
func sflowExpandedCrasher() []byte {
	b := binary.BigEndian.AppendUint32(nil, 5) // version
	b = binary.BigEndian.AppendUint32(b, 1)    // agent IPv4
	b = append(b, 192, 0, 2, 1)
	b = binary.BigEndian.AppendUint32(b, 0) // sub agent
	b = binary.BigEndian.AppendUint32(b, 1) // sequence
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = binary.BigEndian.AppendUint32(b, 1) // one sample
	sample := make([]byte, 44)
	binary.BigEndian.PutUint32(sample[40:], 0xffffffff) // flow records
	b = binary.BigEndian.AppendUint32(b, 3)             // expanded flow sample
	b = binary.BigEndian.AppendUint32(b, uint32(len(sample)))
	return append(b, sample...)
}

// v9ZeroTemplateCrasher is a NetFlow v9 datagram with a template of no
// fields, then a data set for it: goflow2's data decoder never advances.
func v9ZeroTemplateCrasher() []byte {
	b := binary.BigEndian.AppendUint16(nil, 9)
	b = binary.BigEndian.AppendUint16(b, 2)
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = binary.BigEndian.AppendUint32(b, uint32(time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).Unix()))
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	// template set: id 0, length 8: template 256 with 0 fields
	b = append(b, 0, 0, 0, 8, 1, 0, 0, 0)
	// data set for 256: 8 bytes of data
	b = append(b, 1, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8)
	return b
}

// TestCrashers feeds the two datagrams known to crash goflow2's decoders:
// each must be counted as malformed, at once.
func TestCrashers(t *testing.T) {
	for name, d := range map[string][]byte{
		"sflow-expanded-records":  sflowExpandedCrasher(),
		"v9-zero-length-template": v9ZeroTemplateCrasher(),
	} {
		t.Run(name, func(t *testing.T) {
			e, c, _ := newCollector(t, flow.Options{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				c.Datagram(e, exporterAddr, time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano(), d)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the datagram was not decoded in 10 s")
			}
			xs := c.Exporters()
			if len(xs) != 1 || xs[0].Malformed == 0 || xs[0].Records != 0 {
				t.Errorf("exporters %+v, want one malformed datagram", xs)
			}
		})
	}
}

// recordedDatagrams returns the UDP payloads of a committed recorded
// export.
func recordedDatagrams(t testing.TB, file string) [][]byte {
	t.Helper()
	dgs, _ := flowtest.Recorded(t, "../../testdata/"+file)
	return dgs
}

// TestHostileDatagrams sends spoofed, truncated, corrupted and random
// datagrams of every format: all are counted (datagrams, malformed or
// template misses), none crashes or stalls, and an unknown exporter's are
// dropped and counted.
func TestHostileDatagrams(t *testing.T) {
	e, c, _ := newCollector(t, flow.Options{Exporters: []flow.Exporter{{Addr: exporterAddr.Addr(), Name: "edge1"}}})
	now := time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano()
	rng := rand.New(rand.NewPCG(1, 2))
	var all [][]byte
	for _, f := range []string{"flows-v5.pcap", "flows-v9.pcap", "flows-ipfix.pcap"} {
		all = append(all, recordedDatagrams(t, f)...)
	}
	all = append(all, sflowExpandedCrasher(), v9ZeroTemplateCrasher())
	n := 0
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; round < 20; round++ {
		for _, d := range all {
			if time.Now().After(deadline) {
				t.Fatal("hostile datagrams took more than 20 s")
			}
			m := append([]byte(nil), d...)
			switch round % 4 {
			case 0: // truncated
				m = m[:rng.IntN(len(m)+1)]
			case 1: // corrupted bytes
				for range 1 + rng.IntN(8) {
					m[rng.IntN(len(m))] = byte(rng.Uint32())
				}
			case 2: // random, with a version field
				m = make([]byte, rng.IntN(1500))
				for i := range m {
					m[i] = byte(rng.Uint32())
				}
				if len(m) >= 2 {
					binary.BigEndian.PutUint16(m, []uint16{5, 9, 10, 0}[rng.IntN(4)])
				}
			}
			c.Datagram(e, exporterAddr, now, m)
			c.Datagram(e, netip.MustParseAddrPort("203.0.113.9:2055"), now, m) // spoofed: not an exporter
			n++
			now += int64(time.Millisecond)
		}
	}
	xs := c.Exporters()
	if len(xs) != 1 || xs[0].Datagrams != uint64(n) || xs[0].Malformed == 0 {
		t.Errorf("exporters %+v, want %d datagrams with malformed ones", xs, n)
	}
	if c.Unknown() != uint64(n) {
		t.Errorf("unknown exporter datagrams %d, want %d", c.Unknown(), n)
	}
}

// sflowDatagram is an sFlow v5 datagram with one flow sample at 1 in rate
// of a TCP packet 10.10.123.5:4000 > 10.100.11.13:143 of iplen IP bytes,
// its sampled header an Ethernet frame (frame length iplen+18, with the
// FCS).
func sflowDatagram(rate uint32, iplen uint16) []byte {
	hdr := make([]byte, 14+20+20)
	hdr[12], hdr[13] = 0x08, 0x00
	ip := hdr[14:]
	ip[0], ip[9] = 0x45, 6
	binary.BigEndian.PutUint16(ip[2:], iplen)
	copy(ip[12:], []byte{10, 10, 123, 5, 10, 100, 11, 13})
	binary.BigEndian.PutUint16(ip[20:], 4000)
	binary.BigEndian.PutUint16(ip[22:], 143)
	rec := binary.BigEndian.AppendUint32(nil, 1) // ethernet
	rec = binary.BigEndian.AppendUint32(rec, uint32(iplen)+18)
	rec = binary.BigEndian.AppendUint32(rec, 4)
	rec = binary.BigEndian.AppendUint32(rec, uint32(len(hdr)))
	rec = append(rec, hdr...)
	for len(rec)%4 != 0 {
		rec = append(rec, 0)
	}
	s := binary.BigEndian.AppendUint32(nil, 1) // sequence
	s = binary.BigEndian.AppendUint32(s, 3)    // source id
	s = binary.BigEndian.AppendUint32(s, rate)
	s = binary.BigEndian.AppendUint32(s, rate)
	s = binary.BigEndian.AppendUint32(s, 0)
	s = binary.BigEndian.AppendUint32(s, 3) // input
	s = binary.BigEndian.AppendUint32(s, 4) // output
	s = binary.BigEndian.AppendUint32(s, 1) // one record
	s = binary.BigEndian.AppendUint32(s, 1) // raw packet header
	s = binary.BigEndian.AppendUint32(s, uint32(len(rec)))
	s = append(s, rec...)
	b := binary.BigEndian.AppendUint32(nil, 5)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, 192, 0, 2, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 1000)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 1) // flow sample
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// TestSFlowBytes checks that an sFlow sample counts the sampled packet's
// IP total length, not its frame length, times the sampling rate, at the
// datagram's receive time.
func TestSFlowBytes(t *testing.T) {
	e, c, rec := newCollector(t, flow.Options{})
	now := time.Date(2001, 8, 6, 10, 0, 30, 0, time.UTC).UnixNano()
	e.Start(now - 30e9)
	c.Datagram(e, exporterAddr, now, sflowDatagram(1000, 1500))
	c.Finish(e)
	c.Stop(e, now+300e9)
	xs := c.Exporters()
	if len(xs) != 1 || xs[0].Records != 1 || xs[0].Bytes != 1500*1000 || xs[0].Sampling != 1000 {
		t.Fatalf("exporters %+v, want 1 record of 1500000 bytes at 1 in 1000", xs)
	}
	if got := totals(rec)[netip.MustParsePrefix("10.10.123.0/24")]; got != 1500*1000 {
		t.Errorf("10.10.123.0/24 got %d bytes, want 1500000", got)
	}
	if len(rec.periods) == 0 || rec.periods[0].Lines[0].Bytes != 1500*1000 {
		t.Errorf("the sample did not count in the period of its receive time: %+v", rec.periods)
	}
}

// TestTemplateClaims checks that a template claiming more fields than its
// set holds is malformed, and decoded no further (goflow2 would allocate
// the 65535 fields it claims).
func TestTemplateClaims(t *testing.T) {
	m := (&msg{version: 10, export: uint32(t10.Unix())}).set(2, []byte{1, 0, 0xff, 0xff, 0, 8, 0, 4})
	e, c, _ := newCollector(t, flow.Options{})
	d := m.bytes()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for range 100 {
		c.Datagram(e, exporterAddr, t10.UnixNano(), d)
	}
	runtime.ReadMemStats(&ms1)
	if x := c.Exporters()[0]; x.Malformed != 100 {
		t.Errorf("exporter %+v: want 100 malformed", x)
	}
	if n := (ms1.TotalAlloc - ms0.TotalAlloc) / 100; n > 4096 {
		t.Errorf("%d bytes allocated a datagram", n)
	}
}
