//go:build cgo

package watchdog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// bpfCount runs expr over the records of the capture at path and returns
// how many match and how many of all records decode as IPv4 UDP.
func bpfCount(t *testing.T, path, expr string) (matched, udp int) {
	t.Helper()
	f, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bpf, err := watchdog.CompileBPF(expr, f.LinkType(), f.Snaplen())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec := decNew(t, int(f.LinkType()))
	var (
		rec pcapfile.Record
		p   watchdog.Packet
	)
	for {
		if err := f.Next(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			return matched, udp
		}
		if bpf.Match(rec.Data, rec.Len) {
			matched++
		}
		dec.Decode(rec.Data, &p)
		if p.Kind == watchdog.KindIP && p.Proto == 17 && p.Src.Is4() {
			udp++
		}
	}
}

// TestCompileBPFLinkTypes compiles "ip and udp" for the link type of
// every bundled link capture, LINUX_SLL2 (276, beyond a byte) and
// LINKTYPE_RAW (101, DLT_RAW to libpcap) included, and checks that
// libpcap's filter picks exactly the frames the decoder reads as IPv4 UDP,
// and its negation all the others.
func TestCompileBPFLinkTypes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "link-*.pcap*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no link captures: %v", err)
	}
	// Tagged frames match only behind as many "vlan" as they have tags.
	tags := map[string]string{"link-vlan.pcap": "vlan and ", "link-qinq.pcap": "vlan and vlan and "}
	seen := map[watchdog.LinkType]bool{}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			expr := tags[filepath.Base(path)] + "ip and udp"
			matched, udp := bpfCount(t, path, expr)
			if matched != udp || udp == 0 {
				t.Errorf("filter %q matched %d frames, the decoder reads %d IPv4 UDP packets", expr, matched, udp)
			}
			not, _ := bpfCount(t, path, "not ("+expr+")")
			f, err := pcapfile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			seen[f.LinkType()] = true
			if err := f.Drain(); err != nil {
				t.Fatal(err)
			}
			if total := int(f.Records()); matched+not != total {
				t.Errorf("%d matched + %d not != %d records", matched, not, total)
			}
		})
	}
	for _, lt := range []watchdog.LinkType{watchdog.LinkTypeLinuxSLL2, watchdog.LinkTypeRaw} {
		if !seen[lt] {
			t.Errorf("no capture of link type %d among the link captures", lt)
		}
	}
}

// TestCompileBPFError checks that a bad expression fails with libpcap's
// reason and the expression quoted.
func TestCompileBPFError(t *testing.T) {
	_, err := watchdog.CompileBPF("udp and", 1, 0)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`filter "udp and": `)) {
		t.Fatalf("error %v, want one quoting the filter", err)
	}
}

// TestBPFMatchAllocs pins the filter at 0 allocations a frame.
func TestBPFMatchAllocs(t *testing.T) {
	bpf, err := watchdog.CompileBPF("udp", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	frame := bpfFrame()
	if n := testing.AllocsPerRun(100, func() { bpf.Match(frame, 60) }); n != 0 {
		t.Errorf("Match: %v allocations, want 0", n)
	}
}

// TestReplayFilterEmptyRecord replays, with a filter, records whose
// captured length is 0: they count as malformed and never reach the
// filter (libpcap's offline filter cannot take an empty frame).
func TestReplayFilterEmptyRecord(t *testing.T) {
	file := bpfCapture(t, bpfRec{len: 60}, bpfRec{data: bpfFrame(), len: 60}, bpfRec{})
	for _, expr := range []string{"udp", "not udp", "less 1000"} {
		t.Run(expr, func(t *testing.T) {
			f, err := pcapfile.NewReader(bytes.NewReader(file), "empty.pcap")
			if err != nil {
				t.Fatal(err)
			}
			bpf, err := watchdog.CompileBPF(expr, f.LinkType(), f.Snaplen())
			if err != nil {
				t.Fatal(err)
			}
			e, _ := newEngine(t, cfg())
			if err := watchdog.Replay(context.Background(), f, e, watchdog.RunOptions{Filter: bpf}); err != nil {
				t.Fatal(err)
			}
			if s := e.Stats(); s.Malformed != 2 || s.Packets < 2 || s.Packets > 3 {
				t.Errorf("stats %+v, want 2 malformed among 2 or 3 packets", s)
			}
		})
	}
}

// FuzzReplayFilter replays arbitrary bytes as a capture through a BPF
// filter compiled for the capture's link type: no record, empty or cut or
// oversized, may panic the reader, the filter or the engine, and an error
// is a *pcapfile.Error or an unsupported link type.
func FuzzReplayFilter(f *testing.F) {
	f.Add(bpfCapture(f, bpfRec{len: 60}), "udp")
	f.Add(bpfCapture(f, bpfRec{len: 60}, bpfRec{data: bpfFrame(), len: 60}), "ip and udp")
	f.Add(bpfCapture(f, bpfRec{data: bpfFrame()[:20], len: 60}), "len > 10")
	for _, name := range []string{"link-sll2.pcap", "link-vlan.pcap", "malformed-frames.pcap"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "udp port 53 or tcp")
	}
	f.Fuzz(func(t *testing.T, data []byte, expr string) {
		r, err := pcapfile.NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		link := r.LinkType()
		if link < 0 {
			link = 1
		}
		bpf, err := watchdog.CompileBPF(expr, link, r.Snaplen())
		if err != nil {
			return // an expression libpcap refuses, or one it cannot compile for this link type
		}
		e, _ := newEngine(t, cfg())
		err = watchdog.Replay(context.Background(), r, e, watchdog.RunOptions{Filter: bpf})
		var fe *pcapfile.Error
		if err != nil && !errors.As(err, &fe) && watchdog.CheckLenAdj(0, r.LinkType()) == nil {
			t.Fatalf("replay: %v (%T), want a *pcapfile.Error", err, err)
		}
		if s := e.Stats(); s.Packets > r.Records() {
			t.Fatalf("%d packets counted from %d records", s.Packets, r.Records())
		}
	})
}

// BenchmarkBPFMatch runs a compiled filter over one frame.
func BenchmarkBPFMatch(b *testing.B) {
	bpf, err := watchdog.CompileBPF("udp and port 53", 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	frame := bpfFrame()
	b.ReportAllocs()
	for b.Loop() {
		bpf.Match(frame, 60)
	}
}

// bpfFrame returns a 60-byte Ethernet frame holding an IPv4 UDP packet.
func bpfFrame() []byte {
	f := make([]byte, 60)
	copy(f[12:], []byte{0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2})
	copy(f[34:], []byte{0x30, 0x39, 0, 53, 0, 26, 0, 0})
	return f
}

// bpfRec is one record of bpfCapture: its captured bytes and its length
// on the wire.
type bpfRec struct {
	data []byte
	len  int
}

// bpfCapture returns a pcap file of Ethernet records, one second apart.
func bpfCapture(tb testing.TB, recs ...bpfRec) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	for i, r := range recs {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i+1), 0), CaptureLength: len(r.data), Length: r.len}
		if err := w.WritePacket(ci, r.data); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}
