package synth_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"ipband/cmd/pcapgen/internal/synth"
)

// rawRecord is a pcap record header parsed by hand.
type rawRecord struct {
	sec, usec, caplen, orig uint32
	data                    []byte
}

// parsePcap splits a little-endian pcap file into records by hand. It stops
// at the first record whose data runs past the end and returns it as
// partial.
func parsePcap(t *testing.T, b []byte) (recs []rawRecord, partial *rawRecord) {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("not a little-endian microsecond pcap file")
	}
	le := binary.LittleEndian
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			t.Fatalf("%d stray bytes at %d", len(b)-off, off)
		}
		r := rawRecord{le.Uint32(b[off:]), le.Uint32(b[off+4:]), le.Uint32(b[off+8:]), le.Uint32(b[off+12:]), nil}
		off += 16
		if int(r.caplen) > len(b)-off {
			r.data = b[off:]
			return recs, &r
		}
		r.data = b[off : off+int(r.caplen)]
		off += int(r.caplen)
		recs = append(recs, r)
	}
	return recs, nil
}

// parseBlocks splits a pcapng file into (type, length) pairs by hand,
// stopping at a block that runs past the end of the file.
func parseBlocks(t *testing.T, b []byte) (types []uint32, lens []uint32, truncated bool) {
	t.Helper()
	le := binary.LittleEndian
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("%d stray bytes at %d", len(b)-off, off)
		}
		typ, n := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		types, lens = append(types, typ), append(lens, n)
		if int64(n) > int64(len(b)-off) {
			return types, lens, true
		}
		if n%4 != 0 || n < 12 || le.Uint32(b[off+int(n)-4:]) != n {
			t.Fatalf("block %d at %d: bad length %d", len(types)-1, off, n)
		}
		off += int(n)
	}
	return types, lens, false
}

func TestMalformedFrames(t *testing.T) {
	for _, link := range []synth.Link{synth.LinkEthernet, synth.LinkSLL2, synth.LinkRaw} {
		t.Run(link.String(), func(t *testing.T) {
			file, n := generate(t, "malformed-frames", synth.Options{Link: link}, synth.WriterOptions{Link: link})
			recs := mustRead(t, file, synth.FormatPcap)
			if n != 240 || len(recs) != 240 {
				t.Fatalf("%d records (Generate: %d), want 240", len(recs), n)
			}
			bad := synth.BadFrames(link)
			hl := link.HeaderLen()
			var good, zero, one int
			seen := make([]int, len(bad))
			for i, r := range recs {
				if i%6 == 3 { // a bad frame after good packets 2, 7, 12, ...
					k := (i / 6) % len(bad)
					seen[k]++
					if r.ci.Length != bad[k].Len || r.ci.CaptureLength != bad[k].Len {
						t.Errorf("record %d (%s): len %d caplen %d, want %d", i, bad[k].Name, r.ci.Length, r.ci.CaptureLength, bad[k].Len)
					}
					switch {
					case r.ci.Length == 0:
						zero++
					case r.ci.Length == 1:
						one++
					case bad[k].Packet.Damage == synth.DamageShortIHL && r.data[hl]&0x0f != 3,
						bad[k].Packet.Damage == synth.DamageLongIHL && r.data[hl]&0x0f != 15,
						bad[k].Packet.Damage == synth.DamageVersion && r.data[hl]>>4 != 6,
						bad[k].Packet.Damage == synth.DamageTotalLen && int(binary.BigEndian.Uint16(r.data[hl+2:])) != r.ci.Length-hl+1000:
						t.Errorf("record %d (%s): damage missing: % x", i, bad[k].Name, r.data[hl:hl+4])
					}
					continue
				}
				good++
				p := decode(t, link, r.data)
				if e := p.ErrorLayer(); e != nil {
					t.Errorf("good record %d: %v", i, e.Error())
				}
			}
			if good != 200 || zero < 3 || one < 3 {
				t.Errorf("%d good, %d zero-length, %d one-byte records", good, zero, one)
			}
			for k, c := range seen {
				if c < 3 {
					t.Errorf("%s appears %d times, want >= 3", bad[k].Name, c)
				}
			}
		})
	}
}

func TestMalformedFramesDeepOptions(t *testing.T) {
	for _, b := range synth.BadFrames(synth.LinkEthernet) {
		if b.Packet.DestOpts != 40 {
			continue
		}
		f, err := synth.BuildFrame(nil, synth.LinkEthernet, &b.Packet, b.Len)
		if err != nil {
			t.Fatal(err)
		}
		// Walk the chain: 40 destination options headers, then UDP.
		next, off := f[14+6], 14+40
		for i := range 40 {
			if next != 60 {
				t.Fatalf("header %d: next header %d, want 60", i, next)
			}
			next, off = f[off], off+8*(int(f[off+1])+1)
		}
		if next != 17 || binary.BigEndian.Uint16(f[off+2:]) != b.Packet.DstPort {
			t.Fatalf("after 40 headers: next %d, port %d", next, binary.BigEndian.Uint16(f[off+2:]))
		}
		return
	}
	t.Fatal("no frame with 40 destination options headers")
}

func TestMalformedCaplen(t *testing.T) {
	file, n := generate(t, "malformed-caplen", synth.Options{}, synth.WriterOptions{})
	recs, partial := parsePcap(t, file)
	if partial != nil || len(recs) != 202 || n != 202 {
		t.Fatalf("%d whole records (Generate: %d), partial %v; want 202", len(recs), n, partial != nil)
	}
	var bad []int
	for i, r := range recs {
		if r.caplen > r.orig {
			bad = append(bad, i)
		}
	}
	if len(bad) != 2 || bad[0] != 61 || bad[1] != 122 || recs[61].orig != 20 || recs[122].orig != 64 || recs[122].caplen != 1514 {
		t.Fatalf("records with caplen > len: %v", bad)
	}
	// pcapgo refuses the first of them.
	got, err := readRecords(file, synth.FormatPcap)
	if err == nil || len(got) != 61 {
		t.Fatalf("pcapgo read %d records, error %v; want 61 and an error", len(got), err)
	}
	// The same damage in pcapng.
	file, _ = generate(t, "malformed-caplen", synth.Options{}, synth.WriterOptions{Format: synth.FormatPcapNG})
	types, _, truncated := parseBlocks(t, file)
	if truncated || len(types) != 2+202 {
		t.Fatalf("%d blocks, truncated %v", len(types), truncated)
	}
}

func TestMalformedCut(t *testing.T) {
	for _, f := range []synth.Format{synth.FormatPcap, synth.FormatPcapNG} {
		file, n := generate(t, "malformed-cut", synth.Options{}, synth.WriterOptions{Format: f})
		got, err := readRecords(file, f)
		// pcapgo's pcap reader reports the cut; its pcapng reader returns a
		// plain io.EOF for a block cut short (readRecords gives nil then).
		if f == synth.FormatPcap && !errors.Is(err, io.ErrUnexpectedEOF) || f == synth.FormatPcapNG && err != nil {
			t.Errorf("%v: reading ends with %v", f, err)
		}
		if len(got) != n-1 || n < 300 {
			t.Errorf("%v: %d whole records of %d, want n-1 and n >= 300", f, len(got), n)
		}
		if last := got[len(got)-1].ci.Timestamp; last.Sub(synth.DefaultStart()) >= 10*time.Second || last.Sub(synth.DefaultStart()) < 9*time.Second {
			t.Errorf("%v: last whole record at %v", f, last)
		}
		if f == synth.FormatPcap {
			recs, partial := parsePcap(t, file)
			if partial == nil || len(recs) != n-1 || len(partial.data) != int(partial.caplen)/2 {
				t.Errorf("partial record: %+v after %d records", partial, len(recs))
			}
		} else if _, _, truncated := parseBlocks(t, file); !truncated {
			t.Errorf("pcapng: last block is whole")
		}
	}
}

func TestMalformedTimejump(t *testing.T) {
	file, _ := generate(t, "malformed-timejump", synth.Options{}, synth.WriterOptions{Format: synth.FormatPcapNG})
	recs := mustRead(t, file, synth.FormatPcapNG)
	if len(recs) != 4*78 {
		t.Fatalf("%d records, want 312", len(recs))
	}
	starts := []time.Time{
		synth.DefaultStart(),
		time.Date(2038, 1, 19, 3, 14, 0, 0, time.UTC),
		time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC),
		synth.DefaultStart().Add(20 * time.Second),
	}
	var past31, before31 bool
	for i, r := range recs {
		seg := starts[i/78]
		if d := r.ci.Timestamp.Sub(seg); d < 0 || d >= 10*time.Second || i%78 == 0 && d != 0 {
			t.Fatalf("record %d at %v, outside the burst from %v", i, r.ci.Timestamp, seg)
		}
		if i/78 == 1 {
			past31 = past31 || r.ci.Timestamp.Unix() >= 1<<31
			before31 = before31 || r.ci.Timestamp.Unix() < 1<<31
		}
	}
	if !past31 || !before31 {
		t.Errorf("2038 burst does not cross 2^31 seconds")
	}
	// The pcap version keeps the same times (unsigned 32-bit seconds).
	file, _ = generate(t, "malformed-timejump", synth.Options{}, synth.WriterOptions{})
	for i, r := range mustRead(t, file, synth.FormatPcap) {
		if !r.ci.Timestamp.Equal(recs[i].ci.Timestamp) {
			t.Fatalf("record %d: pcap %v, pcapng %v", i, r.ci.Timestamp, recs[i].ci.Timestamp)
		}
	}
}

func TestMalformedPcapngBlocks(t *testing.T) {
	file, _ := generate(t, "malformed-pcapng-blocks", synth.Options{}, synth.WriterOptions{Format: synth.FormatPcapNG})
	recs := mustRead(t, file, synth.FormatPcapNG)
	if len(recs) != 200 {
		t.Fatalf("pcapgo read %d packets, want 200", len(recs))
	}
	types, _, truncated := parseBlocks(t, file)
	if truncated {
		t.Fatal("truncated block")
	}
	var extra []uint32
	packets := 0
	for _, typ := range types[2:] {
		if typ == 6 {
			packets++
			continue
		}
		extra = append(extra, typ)
		want := synth.ExtraBlocks()[len(extra)-1]
		if packets != want.After || binary.LittleEndian.Uint32(want.Block) != typ {
			t.Errorf("block %#x after %d packets, want %#x after %d", typ, packets, binary.LittleEndian.Uint32(want.Block), want.After)
		}
	}
	if types[0] != 0x0a0d0d0a || types[1] != 1 || len(extra) != 5 || packets != 200 {
		t.Errorf("blocks: %#x", types)
	}
}

func TestMalformedPcapngOversized(t *testing.T) {
	file, n := generate(t, "malformed-pcapng-oversized", synth.Options{}, synth.WriterOptions{Format: synth.FormatPcapNG})
	types, lens, truncated := parseBlocks(t, file)
	if !truncated || n != 100 || len(types) != 2+100+1 {
		t.Fatalf("%d blocks, %d packets, truncated %v", len(types), n, truncated)
	}
	last := len(types) - 1
	if types[last] != 6 || lens[last] != synth.OversizedLen {
		t.Fatalf("last block: type %d, length %d", types[last], lens[last])
	}
	tail := file[len(file)-256-28:]
	if binary.LittleEndian.Uint32(tail) != 6 || binary.LittleEndian.Uint32(tail[20:]) != synth.OversizedLen-32 {
		t.Errorf("oversized block header % x", tail[:28])
	}
	// The file before the oversized block is a valid capture of 100 packets.
	good := file[:len(file)-256-28]
	if recs := mustRead(t, good, synth.FormatPcapNG); len(recs) != 100 {
		t.Errorf("%d packets before the oversized block", len(recs))
	}
	if !bytes.Equal(tail[28:42], mustFrame(t)[:14]) {
		t.Errorf("oversized block does not hold the start of a frame")
	}
}

func mustFrame(t *testing.T) []byte {
	t.Helper()
	sc, _ := synth.Lookup("malformed-pcapng-oversized")
	for ev := range sc.Events(synth.Options{}) {
		f, err := synth.BuildFrame(nil, synth.LinkEthernet, &ev.Packet, ev.Len)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Fatal("no events")
	return nil
}
