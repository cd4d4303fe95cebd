package pcapfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog/pcapfile"
)

// frFuzzSeeds are small captures of every shape the reader knows, valid
// and broken.
func frFuzzSeeds() [][]byte {
	d := frFrame(60, 1)
	le, be := binary.LittleEndian, binary.BigEndian
	pcap := frStdPcap().rec(1, 2, 60, 60, d).rec(3, 4, 60, 1514, d).buf
	bePcap := newFrPcap(be, 0xA1B23C4D, 2, 4, 96, 113).rec(5, 6, 20, 10, d[:20]).buf
	ng := frStdNg().epb(0, 1e6, 60, 60, d).block(0x0BAD, d[:7]).spb(60, d).pb(0, 2e6, 30, 60, d[:30]).buf
	n := &frNg{o: be}
	beNg := n.shb(1, 0).idb(1, 0, n.tsresol(0x8a), n.tsoffset(-5)).idb(101, 0).epb(0, 1<<40, 60, 60, d).epb(1, 7, 14, 14, d[:14]).buf
	commented := (&frNg{o: le}).shb(1, 0, n.opt(2, []byte("amd64")), (&frNg{o: le}).comment("ipband evidence: subnet 10.0.0.0/24 episode-start 2001-08-06T10:01:00.000000000Z")).idb(1, 0).epb(0, 1, 60, 60, d).buf
	twoSections := append(append([]byte{}, ng...), (&frNg{o: le}).shb(2, 0).idb(1, 0).epb(0, 1, 60, 60, d).buf...)
	return [][]byte{
		pcap, bePcap, ng, beNg, twoSections, commented,
		commented[:40],           // section header cut inside its comment
		pcap[:len(pcap)-10],      // record data cut
		pcap[:30],                // record header cut
		pcap[:10],                // file header cut
		{0x12, 0x34, 0x56, 0x78}, // bad magic
		newFrPcap(le, 0xA1B2C3D4, 1, 4, 0, 1).buf, // version 1.4
		newFrPcap(le, 0xA1B2C3D4, 2, 4, 0, 0x300000).buf,
		frStdPcap().rec(1, 0, 1<<31, 60, d).buf,  // caplen beyond MaxRecord
		frStdNg().raw(6, 8, 8, nil).buf,          // block length below 12
		frStdNg().raw(6, 3<<30, 3<<30, d).buf,    // 3 GiB block
		frStdNg().raw(0x0BAD, 16, 20, d[:4]).buf, // trailer mismatch
		frStdNg().epb(5, 1, 60, 60, d).buf,       // no interface 5
		ng[:len(ng)-3],                           // block cut
	}
}

// FuzzFileReader reads arbitrary bytes as a capture. The reader must not
// panic, must consume input on every record, must fail only with a
// *Error carrying a sentinel, and what it returns must be within its
// bounds and survive a round trip through pcapgo's pcapng writer.
func FuzzFileReader(f *testing.F) {
	for _, s := range frFuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapfile.NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			frFuzzCheckErr(t, err, 0, len(data))
			if r != nil {
				t.Fatal("a reader and an error")
			}
			return
		}
		if c := r.Comment(); len(c) > pcapfile.MaxComment || !bytes.Contains(data, []byte(c)) {
			t.Fatalf("comment of %d bytes, not from the input", len(c))
		}
		var (
			rec  pcapfile.Record
			got  []frRec
			last error
		)
		for {
			if len(got)*8 > len(data)+24 {
				t.Fatalf("%d records from %d bytes", len(got), len(data))
			}
			last = r.Next(&rec)
			if last != nil {
				break
			}
			if len(rec.Data) > pcapfile.MaxRecord || rec.Time < 0 || rec.Time > pcapfile.MaxTime {
				t.Fatalf("record out of bounds: %d bytes, time %d", len(rec.Data), rec.Time)
			}
			if rec.Malformed && int(rec.Len) != len(rec.Data) || !rec.Malformed && int(rec.Len) < len(rec.Data) {
				t.Fatalf("Len %d with %d bytes, malformed %v", rec.Len, len(rec.Data), rec.Malformed)
			}
			if !bytes.Contains(data, rec.Data) {
				t.Fatal("data not from the input")
			}
			got = append(got, frRec{rec.Time, rec.Len, string(rec.Data), false})
		}
		if last != io.EOF {
			frFuzzCheckErr(t, last, r.Records()+1, len(data))
		}
		if r.Records() != uint64(len(got)) {
			t.Fatalf("Records %d, returned %d", r.Records(), len(got))
		}
		if len(got) > 0 {
			frFuzzRoundTrip(t, r.LinkType(), got)
		}
	})
}

func frFuzzCheckErr(t *testing.T, err error, record uint64, size int) {
	t.Helper()
	var fe *pcapfile.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *Error", err, err)
	}
	if !errors.Is(err, pcapfile.ErrTruncated) && !errors.Is(err, pcapfile.ErrCorrupt) && !errors.Is(err, pcapfile.ErrFormat) {
		t.Fatalf("error %v carries no sentinel", err)
	}
	if fe.Record != record || fe.Offset < 0 || fe.Offset > int64(size) {
		t.Fatalf("error %v: record %d offset %d, want record %d, offset within %d bytes", err, fe.Record, fe.Offset, record, size)
	}
}

// frFuzzRoundTrip writes the records with pcapgo's pcapng writer and reads
// them back.
func frFuzzRoundTrip(t *testing.T, link pcapfile.LinkType, recs []frRec) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkType(link))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, r.Time), CaptureLength: len(r.Data), Length: int(r.Len)}
		if err := w.WritePacket(ci, []byte(r.Data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	back, err := pcapfile.NewReader(&buf, "round trip")
	if err != nil {
		t.Fatal(err)
	}
	again, err := frReadAll(back)
	if err != io.EOF {
		t.Fatalf("round trip: %v", err)
	}
	frDiff(t, recs, again)
}
