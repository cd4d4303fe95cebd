package flow_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ipband/watchdog"
	"ipband/watchdog/flow"
)

var update = flag.Bool("update", false, "rewrite the recorded exports in testdata")

// recordedPort is the UDP port of the recorded exports, and recordedFrom
// the exporter's port in them.
const (
	recordedPort = 2055
	recordedFrom = 40000
)

// recordings are the committed recorded exports: softflowd's exports of
// testdata/classic.pcap (a 60 s active timeout, a table of 32 flows) as a
// collector would have captured them from a live exporter, each datagram
// at the time in its header.
var recordings = []struct{ file, version string }{
	{"flows-v5.pcap", "5"},
	{"flows-v9.pcap", "9"},
	{"flows-ipfix.pcap", "10"},
}

// writeCapture writes dgs as a pcap of Ethernet frames carrying IPv4 UDP
// datagrams to 127.0.0.1:recordedPort, each at its export time.
func writeCapture(path string, dgs []datagram) error {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b.Write(hdr)
	for _, d := range dgs {
		frame := make([]byte, 14+20+8+len(d.data))
		frame[12], frame[13] = 0x08, 0x00
		ip := frame[14:]
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(d.data)))
		src := d.from.Addr().As4()
		copy(ip[12:16], src[:])
		copy(ip[16:20], []byte{127, 0, 0, 1})
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		udp := ip[20:]
		// The exporter's own port is one the kernel picked: a fixed one
		// keeps the recordings the same from one -update to the next.
		binary.BigEndian.PutUint16(udp, recordedFrom)
		binary.BigEndian.PutUint16(udp[2:], recordedPort)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(d.data)))
		copy(udp[8:], d.data)
		t := exportTime(d.data)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec, uint32(t/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(t%1e9/1e3))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// TestRecordedExports replays the committed recorded exports through the
// file source (as ipband --read FILE --flow-listen :2055 does) and checks
// them against packet mode as TestSoftflowd does the live exports. With
// -update it records them again from softflowd.
func TestRecordedExports(t *testing.T) {
	pkt := packetMode(t, classicPcap)
	for _, r := range recordings {
		t.Run(r.file, func(t *testing.T) {
			path := filepath.Join("../../testdata", r.file)
			if *update {
				dgs := exportWith(t, "softflowd", "-d", "-a", "-r", classicPcap, "-n", "ADDR", "-v", r.version,
					"-t", "maxlife=60", "-m", "32", "-c", "none", "-p", t.TempDir()+"/pid")
				if err := writeCapture(path, dgs); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{}
			e, err := watchdog.New(classicConfig(0), rec)
			if err != nil {
				t.Fatal(err)
			}
			c := flow.NewCollector(flow.Options{Grace: 300 * time.Second, Skew: 300 * time.Second})
			e.SetAnnotator(c)
			src, err := flow.OpenFile(path, []uint16{recordedPort}, c)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if err := src.Run(context.Background(), e, watchdog.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			e.Advance(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
			xs := c.Exporters()
			if len(xs) != 1 || xs[0].Records == 0 || xs[0].Malformed != 0 || xs[0].TemplateMisses != 0 {
				t.Fatalf("exporters %+v", xs)
			}
			compare(t, pkt, rec, true, c.Longest(), 0.05)
		})
	}
}
