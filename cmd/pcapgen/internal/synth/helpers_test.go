package synth_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/cmd/pcapgen/internal/synth"
)

// record is one packet record read back from a capture.
type record struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// generate runs scenario name and returns the file's bytes and the packet
// count Generate reported.
func generate(t testing.TB, name string, o synth.Options, wo synth.WriterOptions) ([]byte, int) {
	t.Helper()
	sc, err := synth.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := synth.Generate(&buf, sc, o, wo)
	if err != nil {
		t.Fatalf("Generate(%s): %v", name, err)
	}
	return buf.Bytes(), n
}

// readRecords reads every record of a capture with pcapgo. It returns the
// records read and the error that stopped it (nil at a clean end of file).
func readRecords(b []byte, f synth.Format) ([]record, error) {
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r reader
	var err error
	if f == synth.FormatPcapNG {
		r, err = pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(bytes.NewReader(b))
	}
	if err != nil {
		return nil, err
	}
	var recs []record
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, record{ci, data})
	}
}

// mustRead is readRecords that fails the test on a read error.
func mustRead(t testing.TB, b []byte, f synth.Format) []record {
	t.Helper()
	recs, err := readRecords(b, f)
	if err != nil {
		t.Fatalf("read back after %d records: %v", len(recs), err)
	}
	return recs
}

// decode decodes a frame of link with gopacket, starting at the link layer
// (SLL2, which gopacket does not know, is checked by hand and skipped).
func decode(t testing.TB, link synth.Link, frame []byte) gopacket.Packet {
	t.Helper()
	var first gopacket.Decoder
	switch link {
	case synth.LinkEthernet, synth.LinkVLAN, synth.LinkQinQ:
		first = layers.LayerTypeEthernet
	case synth.LinkSLL:
		first = layers.LayerTypeLinuxSLL
	case synth.LinkRaw:
		first = layers.LinkTypeRaw
	case synth.LinkNull:
		first = layers.LayerTypeLoopback
	case synth.LinkPPP:
		first = layers.LayerTypePPP
	case synth.LinkSLL2:
		if len(frame) < 20 {
			t.Fatalf("sll2 frame of %d bytes", len(frame))
		}
		first = layers.LayerTypeIPv4
		if frame[20]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
		frame = frame[20:]
	}
	return gopacket.NewPacket(frame, first, gopacket.Default)
}

// addrs returns the network-layer addresses of a decoded packet.
func addrs(p gopacket.Packet) (src, dst netip.Addr, ok bool) {
	nl := p.NetworkLayer()
	if nl == nil {
		return src, dst, false
	}
	f := nl.NetworkFlow()
	src, ok1 := netip.AddrFromSlice(f.Src().Raw())
	dst, ok2 := netip.AddrFromSlice(f.Dst().Raw())
	return src, dst, ok1 && ok2
}

// subnet24 masks an IPv4 address to its /24 (and an IPv6 one to its /64).
func subnet24(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 24).Masked()
	}
	return netip.PrefixFrom(a, 64).Masked()
}

// tally is bytes (pcap header len) per subnet per minute, counting a packet
// once when both ends are in the same subnet.
type tally map[netip.Prefix][]int

func newTally(t testing.TB, recs []record, link synth.Link, start time.Time, minutes int) tally {
	t.Helper()
	tl := tally{}
	for i, r := range recs {
		p := decode(t, link, r.data)
		src, dst, ok := addrs(p)
		if !ok {
			t.Fatalf("record %d: no IP layer: %v", i, p)
		}
		m := int(r.ci.Timestamp.Sub(start) / time.Minute)
		if m < 0 || m >= minutes {
			t.Fatalf("record %d at %v: outside %d minutes from %v", i, r.ci.Timestamp, minutes, start)
		}
		add := func(s netip.Prefix) {
			if tl[s] == nil {
				tl[s] = make([]int, minutes)
			}
			tl[s][m] += r.ci.Length
		}
		s, d := subnet24(src), subnet24(dst)
		add(s)
		if d != s {
			add(d)
		}
	}
	return tl
}

// kBps returns subnet s's rate in minute m, 1 kB = 1024 bytes.
func (tl tally) kBps(s string, m int) float64 {
	v := tl[netip.MustParsePrefix(s)]
	if v == nil {
		return 0
	}
	return float64(v[m]) / 1024 / 60
}

// episodes runs the classic watchdog rule over one subnet's per-minute
// rates with a threshold and reporting period (in minutes), and returns the
// minutes at whose end logging started, reports fired and logging stopped.
func episodes(rates []float64, threshold float64, report int) (starts, reports, drops []int) {
	logging, since := false, 0
	for m, r := range rates {
		switch {
		case !logging && r >= threshold:
			logging, since = true, m
			starts = append(starts, m)
		case logging && r >= threshold && m-since >= report:
			reports = append(reports, m)
			since = m
		case logging && r < threshold:
			logging = false
			drops = append(drops, m)
		}
	}
	return starts, reports, drops
}
