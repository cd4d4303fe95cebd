package pcapfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog/pcapfile"
)

// frRec is a Record with its data copied, for comparing.
type frRec struct {
	Time      int64
	Len       uint32
	Data      string
	Malformed bool
}

func (r frRec) String() string {
	return fmt.Sprintf("{Time %d Len %d Data %d bytes %.8x Malformed %v}", r.Time, r.Len, len(r.Data), r.Data, r.Malformed)
}

// frReadAll reads f to its end or first error.
func frReadAll(f *pcapfile.Reader) ([]frRec, error) {
	var (
		out []frRec
		r   pcapfile.Record
	)
	for {
		if err := f.Next(&r); err != nil {
			return out, err
		}
		out = append(out, frRec{r.Time, r.Len, string(r.Data), r.Malformed})
	}
}

// frDiff reports the first difference between two record lists.
func frDiff(t *testing.T, want, got []frRec) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Errorf("record %d: want %v, got %v", i+1, want[i], got[i])
			return
		}
	}
	if len(want) != len(got) {
		t.Errorf("want %d records, got %d", len(want), len(got))
	}
}

// frFrame returns n bytes of recognisable content.
func frFrame(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7)
	}
	return b
}

// frPcap builds a pcap file by hand.
type frPcap struct {
	buf []byte
	o   binary.AppendByteOrder
}

func newFrPcap(o binary.AppendByteOrder, magic uint32, major, minor uint16, snap, link uint32) *frPcap {
	p := &frPcap{o: o}
	p.buf = o.AppendUint32(p.buf, magic)
	p.buf = o.AppendUint16(p.buf, major)
	p.buf = o.AppendUint16(p.buf, minor)
	p.buf = o.AppendUint32(p.buf, 0) // thiszone
	p.buf = o.AppendUint32(p.buf, 0) // sigfigs
	p.buf = o.AppendUint32(p.buf, snap)
	p.buf = o.AppendUint32(p.buf, link)
	return p
}

// frStdPcap is a little-endian microsecond pcap 2.4 header, Ethernet.
func frStdPcap() *frPcap {
	return newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 2, 4, 65535, 1)
}

func (p *frPcap) rec(sec, frac, caplen, wire uint32, data []byte) *frPcap {
	p.buf = p.o.AppendUint32(p.buf, sec)
	p.buf = p.o.AppendUint32(p.buf, frac)
	p.buf = p.o.AppendUint32(p.buf, caplen)
	p.buf = p.o.AppendUint32(p.buf, wire)
	p.buf = append(p.buf, data...)
	return p
}

// frNg builds a pcapng file by hand, block by block.
type frNg struct {
	buf []byte
	o   binary.AppendByteOrder
}

func frPad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// raw appends a block with the given header and trailer lengths around
// body, which is not padded.
func (n *frNg) raw(typ, head, trail uint32, body []byte) *frNg {
	n.buf = n.o.AppendUint32(n.buf, typ)
	n.buf = n.o.AppendUint32(n.buf, head)
	n.buf = append(n.buf, body...)
	n.buf = n.o.AppendUint32(n.buf, trail)
	return n
}

// block appends a well-formed block: body padded, lengths consistent.
func (n *frNg) block(typ uint32, body []byte) *frNg {
	body = frPad(body)
	l := uint32(12 + len(body))
	return n.raw(typ, l, l, body)
}

func (n *frNg) shb(major, minor uint16, opts ...[]byte) *frNg {
	var b []byte
	b = n.o.AppendUint32(b, 0x1A2B3C4D)
	b = n.o.AppendUint16(b, major)
	b = n.o.AppendUint16(b, minor)
	b = n.o.AppendUint64(b, ^uint64(0)) // section length unknown
	if len(opts) > 0 {
		for _, o := range opts {
			b = append(b, o...)
		}
		b = append(b, 0, 0, 0, 0) // opt_endofopt
	}
	return n.block(0x0A0D0D0A, b)
}

// comment encodes an opt_comment.
func (n *frNg) comment(s string) []byte { return n.opt(1, []byte(s)) }

// opt encodes one option, padded.
func (n *frNg) opt(code uint16, val []byte) []byte {
	var b []byte
	b = n.o.AppendUint16(b, code)
	b = n.o.AppendUint16(b, uint16(len(val)))
	return frPad(append(b, val...))
}

func (n *frNg) idb(link uint16, snap uint32, opts ...[]byte) *frNg {
	var b []byte
	b = n.o.AppendUint16(b, link)
	b = n.o.AppendUint16(b, 0)
	b = n.o.AppendUint32(b, snap)
	if len(opts) > 0 {
		for _, o := range opts {
			b = append(b, o...)
		}
		b = append(b, 0, 0, 0, 0) // opt_endofopt
	}
	return n.block(1, b)
}

func (n *frNg) tsresol(v byte) []byte { return n.opt(9, []byte{v}) }

func (n *frNg) tsoffset(s int64) []byte { return n.opt(14, n.o.AppendUint64(nil, uint64(s))) }

func (n *frNg) epb(iface uint32, ts uint64, caplen, wire uint32, data []byte) *frNg {
	var b []byte
	b = n.o.AppendUint32(b, iface)
	b = n.o.AppendUint32(b, uint32(ts>>32))
	b = n.o.AppendUint32(b, uint32(ts))
	b = n.o.AppendUint32(b, caplen)
	b = n.o.AppendUint32(b, wire)
	return n.block(6, append(b, data...))
}

// frNgEPBBody is the padded body of a little-endian Enhanced Packet Block.
func frNgEPBBody(iface uint32, ts uint64, caplen, wire uint32, data []byte) []byte {
	return (&frNg{o: binary.LittleEndian}).epb(iface, ts, caplen, wire, data).buf[8 : 8+20+len(frPad(data))]
}

func (n *frNg) pb(iface uint16, ts uint64, caplen, wire uint32, data []byte) *frNg {
	var b []byte
	b = n.o.AppendUint16(b, iface)
	b = n.o.AppendUint16(b, 0) // drops
	b = n.o.AppendUint32(b, uint32(ts>>32))
	b = n.o.AppendUint32(b, uint32(ts))
	b = n.o.AppendUint32(b, caplen)
	b = n.o.AppendUint32(b, wire)
	return n.block(2, append(b, data...))
}

func (n *frNg) spb(wire uint32, data []byte) *frNg {
	return n.block(3, append(n.o.AppendUint32(nil, wire), data...))
}

// frStdNg is a little-endian section with one Ethernet interface
// (microseconds, snaplen 65535).
func frStdNg() *frNg {
	return (&frNg{o: binary.LittleEndian}).shb(1, 0).idb(1, 65535)
}

// frOracle reads data with gopacket's pcapgo readers.
func frOracle(data []byte) ([]frRec, error) {
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var (
		r   reader
		err error
	)
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == 0x0A0D0D0A {
		r, err = pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	var out []frRec
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			return out, err
		}
		out = append(out, frRec{ci.Timestamp.UnixNano(), uint32(ci.Length), string(d), false})
	}
}

func frOpen(t *testing.T, data []byte) *pcapfile.Reader {
	t.Helper()
	f, err := pcapfile.NewReader(bytes.NewReader(data), "t.pcap")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return f
}

// frPackets is a set of frames with times and lengths, some snapped.
type frPacket struct {
	sec, nsec int64
	caplen    int
	wire      int
}

var frPackets = []frPacket{
	{1700000000, 123456000, 60, 60},
	{1700000000, 999999000, 1514, 1514},
	{1700000001, 0, 96, 1514},       // snapped
	{1700000005, 500000000, 0, 64},  // nothing captured
	{0, 0, 42, 42},                  // the epoch
	{4294967295, 999999000, 14, 14}, // last pcap second (2106)
	{1600000000, 1000, 1500, 9000},
}

func frWant(nanos bool) []frRec {
	var out []frRec
	for i, p := range frPackets {
		ns := p.nsec
		if !nanos {
			ns = ns / 1000 * 1000
		}
		out = append(out, frRec{p.sec*1e9 + ns, uint32(p.wire), string(frFrame(p.caplen, i)), false})
	}
	return out
}

// TestFileReaderValid reads valid files written by pcapgo's writers and by
// hand, and checks them against the packets written and against pcapgo's
// readers.
func TestFileReaderValid(t *testing.T) {
	pcapgoPcap := func(nanos bool) []byte {
		var buf bytes.Buffer
		w := pcapgo.NewWriter(&buf)
		if nanos {
			w = pcapgo.NewWriterNanos(&buf)
		}
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		for i, p := range frPackets {
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(p.sec, p.nsec), CaptureLength: p.caplen, Length: p.wire}
			if err := w.WritePacket(ci, frFrame(p.caplen, i)); err != nil {
				t.Fatal(err)
			}
		}
		return buf.Bytes()
	}
	handPcap := func(o binary.AppendByteOrder, nanos bool) []byte {
		magic, div := uint32(0xA1B2C3D4), int64(1000)
		if nanos {
			magic, div = 0xA1B23C4D, 1
		}
		p := newFrPcap(o, magic, 2, 4, 65535, 1)
		for i, k := range frPackets {
			p.rec(uint32(k.sec), uint32(k.nsec/div), uint32(k.caplen), uint32(k.wire), frFrame(k.caplen, i))
		}
		return p.buf
	}
	pcapgoNg := func() []byte {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = layers.LinkTypeEthernet
		if _, err := w.AddInterface(intf); err != nil {
			t.Fatal(err)
		}
		for i, p := range frPackets {
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(p.sec, p.nsec), CaptureLength: p.caplen, Length: p.wire, InterfaceIndex: i % 2}
			if err := w.WritePacket(ci, frFrame(p.caplen, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	handNg := func(o binary.AppendByteOrder) []byte {
		n := &frNg{o: o}
		n.shb(1, 0).idb(1, 65535, n.tsresol(9)).idb(1, 0)
		for i, p := range frPackets {
			if i%2 == 0 {
				n.epb(0, uint64(p.sec*1e9+p.nsec), uint32(p.caplen), uint32(p.wire), frFrame(p.caplen, i))
			} else {
				n.epb(1, uint64(p.sec*1e6+p.nsec/1000), uint32(p.caplen), uint32(p.wire), frFrame(p.caplen, i))
			}
		}
		return n.buf
	}
	// Interface 1 above has microseconds: its records lose the nanoseconds.
	ngWant := frWant(true)
	for i := range ngWant {
		if i%2 == 1 {
			ngWant[i].Time = ngWant[i].Time / 1000 * 1000
		}
	}
	tests := []struct {
		name string
		data []byte
		want []frRec
		snap int
	}{
		{"pcapgo usec", pcapgoPcap(false), frWant(false), 65535},
		{"pcapgo nsec", pcapgoPcap(true), frWant(true), 65535},
		{"little-endian usec", handPcap(binary.LittleEndian, false), frWant(false), 65535},
		{"little-endian nsec", handPcap(binary.LittleEndian, true), frWant(true), 65535},
		{"big-endian usec", handPcap(binary.BigEndian, false), frWant(false), 65535},
		{"big-endian nsec", handPcap(binary.BigEndian, true), frWant(true), 65535},
		{"pcapgo pcapng", pcapgoNg(), frWant(true), 0},
		{"little-endian pcapng", handNg(binary.LittleEndian), ngWant, 65535},
		{"big-endian pcapng", handNg(binary.BigEndian), ngWant, 65535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := frOpen(t, tt.data)
			if f.LinkType() != 1 || f.Snaplen() != tt.snap {
				t.Errorf("LinkType %d Snaplen %d, want 1 and %d", f.LinkType(), f.Snaplen(), tt.snap)
			}
			got, err := frReadAll(f)
			if err != io.EOF {
				t.Fatalf("read: %v, want io.EOF", err)
			}
			frDiff(t, tt.want, got)
			if f.Records() != uint64(len(tt.want)) || f.Skipped() != 0 {
				t.Errorf("Records %d Skipped %d, want %d and 0", f.Records(), f.Skipped(), len(tt.want))
			}
			oracle, err := frOracle(tt.data)
			if err != io.EOF {
				t.Fatalf("pcapgo: %v", err)
			}
			frDiff(t, oracle, got)
			if err := f.Next(&pcapfile.Record{}); err != io.EOF {
				t.Errorf("Next after the end: %v, want io.EOF", err)
			}
		})
	}
}

// frCase is a capture with what reading it must give.
type frCase struct {
	name    string
	data    []byte
	openErr string // the whole error from NewReader, if it fails
	want    []frRec
	kind    error  // sentinel in the final error; io.EOF for a clean end
	msg     string // the whole final error, if not io.EOF
	record  uint64
	offset  int64
	link    pcapfile.LinkType
}

func frCheck(t *testing.T, tt frCase) {
	t.Helper()
	f, err := pcapfile.NewReader(bytes.NewReader(tt.data), "t.pcap")
	if tt.openErr != "" {
		var fe *pcapfile.Error
		if !errors.As(err, &fe) || !errors.Is(err, tt.kind) || err.Error() != tt.openErr {
			t.Fatalf("open error %v (%T), want %q (%v)", err, err, tt.openErr, tt.kind)
		}
		if f != nil || fe.Record != 0 || fe.Offset != tt.offset {
			t.Errorf("open error record %d offset %d, want 0 and %d", fe.Record, fe.Offset, tt.offset)
		}
		return
	}
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if f.LinkType() != tt.link {
		t.Errorf("LinkType %d, want %d", f.LinkType(), tt.link)
	}
	got, err := frReadAll(f)
	frDiff(t, tt.want, got)
	if tt.kind == io.EOF {
		if err != io.EOF {
			t.Fatalf("error %v, want io.EOF", err)
		}
		return
	}
	var fe *pcapfile.Error
	if !errors.As(err, &fe) || !errors.Is(err, tt.kind) {
		t.Fatalf("error %v (%T), want a *Error with %v", err, err, tt.kind)
	}
	if err.Error() != tt.msg || fe.Record != tt.record || fe.Offset != tt.offset || fe.File != "t.pcap" {
		t.Errorf("error %q record %d offset %d file %q, want %q record %d offset %d", err, fe.Record, fe.Offset, fe.File, tt.msg, tt.record, tt.offset)
	}
	if again := f.Next(&pcapfile.Record{}); again != err {
		t.Errorf("Next after an error returned %v, want the same error", again)
	}
}

func TestFileReaderPcapErrors(t *testing.T) {
	d60, d100 := frFrame(60, 1), frFrame(100, 2)
	r60 := frRec{1e9, 60, string(d60), false}
	two := func() *frPcap { return frStdPcap().rec(1, 0, 60, 60, d60).rec(1, 0, 60, 60, d60) }
	const third = 24 + 2*(16+60) // offset of a third record
	tests := []frCase{
		{name: "header only", data: frStdPcap().buf, kind: io.EOF, link: 1},
		{name: "empty", data: nil, kind: pcapfile.ErrTruncated, openErr: "t.pcap: empty file"},
		{name: "shorter than the magic", data: []byte{0xd4, 0xc3}, kind: pcapfile.ErrTruncated,
			openErr: "t.pcap: truncated file header (need 4 bytes, have 2)"},
		{name: "shorter than the header", data: frStdPcap().buf[:10], kind: pcapfile.ErrTruncated,
			openErr: "t.pcap: truncated file header (need 24 bytes, have 10)"},
		{name: "bad magic", data: []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}, kind: pcapfile.ErrFormat,
			openErr: "t.pcap: not a pcap or pcapng file (magic 0x12345678)"},
		// Compressed captures are not read: the message says why.
		{name: "gzip", data: []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, kind: pcapfile.ErrFormat,
			openErr: "t.pcap: gzip-compressed file; decompress it first"},
		{name: "version 1.4", data: newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 1, 4, 65535, 1).buf, kind: pcapfile.ErrFormat,
			openErr: "t.pcap: pcap: unsupported version 1.4"},
		{name: "version 2.3 big-endian", data: newFrPcap(binary.BigEndian, 0xA1B2C3D4, 2, 3, 65535, 1).buf, kind: pcapfile.ErrFormat,
			openErr: "t.pcap: pcap: unsupported version 2.3"},
		{name: "reserved link-type bits", data: newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 2, 4, 65535, 0x00300000).buf,
			kind: pcapfile.ErrFormat, openErr: "t.pcap: pcap: reserved link-type bits set (0x00300000)"},
		{name: "FCS link-type bits ignored", data: newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 2, 4, 65535, 0x14000001).rec(1, 0, 60, 60, d60).buf,
			want: []frRec{r60}, kind: io.EOF, link: 1},
		{name: "record header cut", data: append(two().buf, make([]byte, 10)...), want: []frRec{r60, r60},
			kind: pcapfile.ErrTruncated, record: 3, offset: third,
			link: 1,
			msg:  fmt.Sprintf("t.pcap: record 3 at byte %d: truncated record header (need 16 bytes, have 10)", third)},
		{name: "record data cut", data: two().rec(2, 0, 100, 100, d100[:40]).buf, want: []frRec{r60, r60},
			kind: pcapfile.ErrTruncated, record: 3, offset: third,
			link: 1,
			msg:  fmt.Sprintf("t.pcap: record 3 at byte %d: truncated record (need 100 bytes, have 40)", third)},
		{name: "record header only", data: two().rec(2, 0, 100, 100, nil).buf, want: []frRec{r60, r60},
			kind: pcapfile.ErrTruncated, record: 3, offset: third,
			link: 1,
			msg:  fmt.Sprintf("t.pcap: record 3 at byte %d: truncated record (need 100 bytes, have 0)", third)},
		{name: "caplen beyond MaxRecord", data: two().rec(2, 0, pcapfile.MaxRecord+1, 2000000, make([]byte, 1000)).buf,
			want: []frRec{r60, r60}, kind: pcapfile.ErrCorrupt, record: 3, offset: third,
			link: 1,
			msg:  fmt.Sprintf("t.pcap: record 3 at byte %d: captured length 262145 exceeds the 262144-byte limit", third)},
		{name: "caplen 2 GiB with snaplen 0xffffffff", data: newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 2, 4, 0xffffffff, 1).rec(2, 0, 1<<31, 1<<31, nil).buf,
			kind: pcapfile.ErrCorrupt, record: 1, offset: 24, link: 1,
			msg: "t.pcap: record 1 at byte 24: captured length 2147483648 exceeds the 262144-byte limit"},
		{name: "caplen at MaxRecord beyond snaplen", data: frStdPcap().rec(3, 0, pcapfile.MaxRecord, pcapfile.MaxRecord, frFrame(pcapfile.MaxRecord, 3)).buf,
			want: []frRec{{3e9, pcapfile.MaxRecord, string(frFrame(pcapfile.MaxRecord, 3)), false}}, kind: io.EOF, link: 1},
		{name: "caplen beyond len", data: frStdPcap().rec(1, 5, 100, 60, d100).rec(1, 0, 60, 60, d60).buf,
			want: []frRec{{1e9 + 5000, 100, string(d100), true}, r60}, kind: io.EOF, link: 1},
		{name: "empty record", data: frStdPcap().rec(1, 0, 0, 0, nil).buf,
			want: []frRec{{1e9, 0, "", false}}, kind: io.EOF, link: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { frCheck(t, tt) })
	}
}

func TestFileReaderPcapngBlocks(t *testing.T) {
	d60, d61 := frFrame(60, 1), frFrame(61, 2)
	r60 := frRec{1e9, 60, string(d60), false}
	le := binary.LittleEndian
	base := func() *frNg { return frStdNg().epb(0, 1e6, 60, 60, d60) }
	const epbLen = 28 + 60 + 4
	const after = 28 + 20 + epbLen // offset after base()
	tests := []frCase{
		{name: "section only", data: (&frNg{o: le}).shb(1, 0).buf, kind: io.EOF, link: -1},
		{name: "unknown, statistics and name blocks skipped",
			data: frStdNg().block(0x0BAD, frFrame(37, 3)).epb(0, 1e6, 60, 60, d60).
				block(5, make([]byte, 20)).block(4, []byte{0, 0, 0, 0}).block(0x80000001, nil).epb(0, 1e6, 60, 60, d60).buf,
			want: []frRec{r60, r60}, kind: io.EOF, link: 1},
		{name: "blocks before the interface skipped", data: (&frNg{o: le}).shb(1, 0).block(4, []byte{0, 0, 0, 0}).idb(1, 0).epb(0, 1e6, 60, 60, d60).buf,
			want: []frRec{r60}, kind: io.EOF, link: 1},
		{name: "obsolete packet block", data: frStdNg().pb(0, 2e6, 61, 100, d61).buf,
			want: []frRec{{2e9, 100, string(d61), false}}, kind: io.EOF, link: 1},
		{name: "simple packet block takes the previous time", data: frStdNg().spb(60, d60).epb(0, 3e6, 60, 60, d60).spb(61, d61).buf,
			want: []frRec{{0, 60, string(d60), false}, {3e9, 60, string(d60), false}, {3e9, 61, string(d61), false}}, kind: io.EOF, link: 1},
		{name: "simple packet block cut to snaplen", data: (&frNg{o: le}).shb(1, 0).idb(1, 20).spb(60, d60).buf,
			want: []frRec{{0, 60, string(d60[:20]), false}}, kind: io.EOF, link: 1},
		{name: "caplen beyond len", data: frStdNg().epb(0, 1e6, 61, 60, d61).epb(0, 1e6, 60, 60, d60).buf,
			want: []frRec{{1e9, 61, string(d61), true}, r60}, kind: io.EOF, link: 1},
		{name: "oversized packet block", data: base().raw(6, 3<<30, 3<<30, make([]byte, 64)).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 3221225472 exceeds the 327680-byte limit", after)},
		{name: "oversized unknown block", data: base().raw(0x0BAD, 3<<30, 3<<30, make([]byte, 64)).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 3221225472 exceeds the 16777216-byte limit", after)},
		{name: "trailer mismatch", data: base().raw(6, 92, 96, frNgEPBBody(0, 1e6, 60, 60, d60)).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length mismatch at offset %d (header 92, trailer 96)", after, after)},
		{name: "skipped block trailer mismatch", data: base().raw(0x0BAD, 16, 20, []byte{1, 2, 3, 4}).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length mismatch at offset %d (header 16, trailer 20)", after, after)},
		{name: "block length below 12", data: base().raw(0x0BAD, 8, 8, nil).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 8 is less than 12", after)},
		{name: "block length 0", data: base().raw(6, 0, 0, nil).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 0 is less than 12", after)},
		{name: "block length not a multiple of 4", data: base().raw(0x0BAD, 17, 17, []byte{1, 2, 3, 4, 5}).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 17 is not a multiple of 4", after)},
		{name: "packet block shorter than its header", data: base().raw(6, 24, 24, make([]byte, 12)).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: block length 24 is too short for its type (at least 32)", after)},
		{name: "caplen beyond the block", data: base().epb(0, 1e6, 64, 64, d60).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: captured length 64 exceeds its 92-byte block", after)},
		{name: "caplen beyond MaxRecord", data: base().epb(0, 1e6, 1<<31, 64, d60).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: captured length 2147483648 exceeds the 262144-byte limit", after)},
		{name: "block cut", data: base().epb(0, 1e6, 60, 60, d60).buf[:after+50],
			want: []frRec{r60}, kind: pcapfile.ErrTruncated, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: truncated block (need 92 bytes, have 50)", after)},
		{name: "block header cut", data: base().buf[:after+6],
			want: []frRec{r60}, kind: pcapfile.ErrTruncated, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: truncated block header (need 8 bytes, have 6)", after)},
		{name: "skipped block cut", data: base().block(0x0BAD, make([]byte, 100)).buf[:after+50],
			want: []frRec{r60}, kind: pcapfile.ErrTruncated, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: truncated block (need 112 bytes, have 50)", after)},
		{name: "skipped block trailer cut", data: base().block(0x0BAD, make([]byte, 100)).buf[:after+110],
			want: []frRec{r60}, kind: pcapfile.ErrTruncated, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: truncated block (need 112 bytes, have 110)", after)},
		{name: "interface 5 of 1", data: base().epb(5, 1e6, 60, 60, d60).buf,
			want: []frRec{r60}, kind: pcapfile.ErrCorrupt, record: 2, offset: after, link: 1,
			msg: fmt.Sprintf("t.pcap: record 2 at byte %d: pcapng: packet for interface 5, but the section has 1", after)},
		{name: "packet before any interface", data: (&frNg{o: le}).shb(1, 0).epb(0, 1e6, 60, 60, d60).buf,
			kind: pcapfile.ErrCorrupt, offset: 28,
			openErr: "t.pcap: at byte 28: pcapng: packet for interface 0, but the section has 0"},
		{name: "simple packet before any interface", data: (&frNg{o: le}).shb(1, 0).spb(60, d60).buf,
			kind: pcapfile.ErrCorrupt, offset: 28,
			openErr: "t.pcap: at byte 28: pcapng: simple packet block, but the section has no interface"},
		{name: "major version 0", data: (&frNg{o: le}).shb(0, 1).idb(1, 0).buf,
			kind: pcapfile.ErrFormat, openErr: "t.pcap: pcapng: unsupported major version 0"},
		{name: "bad byte-order magic", data: (&frNg{o: le}).block(0x0A0D0D0A, make([]byte, 16)).buf,
			kind: pcapfile.ErrFormat, openErr: "t.pcap: pcapng: bad byte-order magic 0x00000000"},
		{name: "section header too short", data: (&frNg{o: le}).block(0x0A0D0D0A, le.AppendUint32(make([]byte, 0, 8), 0x1A2B3C4D)).buf,
			kind: pcapfile.ErrCorrupt, openErr: "t.pcap: pcapng: block length 16 is too short for its type (at least 28)"},
		{name: "section header trailer mismatch", data: (&frNg{o: le}).raw(0x0A0D0D0A, 28, 1,
			append(le.AppendUint32(nil, 0x1A2B3C4D), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).buf,
			kind: pcapfile.ErrCorrupt, openErr: "t.pcap: pcapng: block length mismatch at offset 0 (header 28, trailer 1)"},
		{name: "interface option past its block", data: (&frNg{o: le}).shb(1, 0).block(1, []byte{1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 40, 0}).buf,
			kind: pcapfile.ErrCorrupt, offset: 28,
			openErr: "t.pcap: at byte 28: pcapng: interface option 9 (40 bytes) runs past the end of its block"},
	}
	// A second section with major version 2 after a valid one: the records
	// before it are returned, the error is at the second section header.
	v2 := base().epb(0, 1e6, 60, 60, d60)
	off := int64(len(v2.buf))
	v2.shb(2, 0).idb(1, 0).epb(0, 1e6, 60, 60, d60)
	tests = append(tests, frCase{name: "major version 2 in a second section", data: v2.buf,
		want: []frRec{r60, r60}, kind: pcapfile.ErrFormat, record: 3, offset: off, link: 1,
		msg: fmt.Sprintf("t.pcap: record 3 at byte %d: pcapng: unsupported major version 2", off)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { frCheck(t, tt) })
	}
}

// TestFileReaderSections checks that a new section resets the interfaces
// and may change the byte order, and that packets of interfaces with
// another link type are skipped and counted.
func TestFileReaderSections(t *testing.T) {
	d := frFrame(60, 1)
	n := frStdNg().idb(113, 0).epb(0, 1e6, 60, 60, d).epb(1, 2e6, 60, 60, d)
	be := &frNg{o: binary.BigEndian}
	be.shb(1, 0).idb(101, 0).idb(1, 0, be.tsresol(3)).epb(0, 3, 60, 60, d).epb(1, 4000, 60, 60, d).spb(60, d)
	n.buf = append(n.buf, be.buf...)
	n.o = binary.LittleEndian
	n.shb(1, 0).idb(1, 0).epb(0, 5e6, 60, 60, d)
	off := int64(len(n.buf))
	n.epb(1, 6e6, 60, 60, d)

	f := frOpen(t, n.buf)
	got, err := frReadAll(f)
	want := []frRec{{1e9, 60, string(d), false}, {4e9, 60, string(d), false}, {5e9, 60, string(d), false}}
	frDiff(t, want, got)
	var fe *pcapfile.Error
	if !errors.As(err, &fe) || !errors.Is(err, pcapfile.ErrCorrupt) || fe.Offset != off || fe.Record != 4 {
		t.Errorf("error %v, want ErrCorrupt for record 4 at %d: interface 1 is gone with the new section", err, off)
	}
	// Skipped: interface 1 of section 1 (113), interface 0 of section 2 (101)
	// and the simple packet, which is on interface 0 (101).
	if f.Skipped() != 3 || f.Records() != 3 {
		t.Errorf("Skipped %d Records %d, want 3 and 3", f.Skipped(), f.Records())
	}
}

func TestFileReaderTimestamps(t *testing.T) {
	const maxU = ^uint64(0)
	n := &frNg{o: binary.LittleEndian}
	type tc struct {
		name string
		opts [][]byte
		ts   uint64
		want int64
	}
	tests := []tc{
		{"default microseconds", nil, 1700000000123456, 1700000000123456000},
		{"nanoseconds", [][]byte{n.tsresol(9)}, 1700000000123456789, 1700000000123456789},
		{"seconds", [][]byte{n.tsresol(0)}, 1700000000, 1700000000e9},
		{"2^-10 half", [][]byte{n.tsresol(0x80 | 10)}, 1700000000*1024 + 512, 1700000000500000000},
		{"2^-10 one tick", [][]byte{n.tsresol(0x80 | 10)}, 1700000000*1024 + 1, 1700000000000976562},
		{"2^-30", [][]byte{n.tsresol(0x80 | 30)}, 3<<30 + 1<<29, 3500000000},
		{"2^-63", [][]byte{n.tsresol(0x80 | 63)}, 1 << 63, 1e9},
		{"2^-63 max", [][]byte{n.tsresol(0x80 | 63)}, maxU, 1999999999},
		{"2^-64 max", [][]byte{n.tsresol(0x80 | 64)}, maxU, 999999999},
		{"2^-127", [][]byte{n.tsresol(0xff)}, maxU, 0},
		{"10^-19 max", [][]byte{n.tsresol(19)}, maxU, 1844674407},
		{"10^-20 max", [][]byte{n.tsresol(20)}, maxU, 184467440},
		{"10^-127", [][]byte{n.tsresol(127)}, maxU, 0},
		{"10^-12", [][]byte{n.tsresol(12)}, 17000000001234567891, 17000000001234567},
		{"offset", [][]byte{n.tsoffset(1000)}, 5e6, 1005e9},
		{"negative offset", [][]byte{n.tsoffset(-1000), n.tsresol(9)}, 1700000000e9 + 7, 1699999000e9 + 7},
		{"before 1970 clamped", [][]byte{n.tsoffset(-10)}, 5e6, 0},
		{"offset back into range", [][]byte{n.tsresol(9), n.tsoffset(-200)}, 7258118500e9, 7258118300e9},
		{"beyond 2200 clamped", nil, 8e15, pcapfile.MaxTime},
		{"2200 exactly", nil, 7258118400e6, pcapfile.MaxTime},
		{"just before 2200", nil, 7258118400e6 - 1, pcapfile.MaxTime - 1000},
		{"max nanoseconds clamped", [][]byte{n.tsresol(9)}, maxU, pcapfile.MaxTime},
		{"max seconds clamped", [][]byte{n.tsresol(0)}, maxU, pcapfile.MaxTime},
		{"huge offset clamped", [][]byte{n.tsoffset(1 << 62)}, 0, pcapfile.MaxTime},
		{"most negative offset", [][]byte{n.tsoffset(-1 << 63), n.tsresol(0)}, 1 << 62, 0},
		{"most negative offset, max ticks", [][]byte{n.tsoffset(-1 << 63), n.tsresol(0)}, maxU, pcapfile.MaxTime},
		{"most positive offset", [][]byte{n.tsoffset(1<<63 - 1), n.tsresol(0)}, maxU, pcapfile.MaxTime},
	}
	n.shb(1, 0)
	var want []frRec
	d := frFrame(14, 0)
	for _, tt := range tests {
		n.idb(1, 0, tt.opts...)
	}
	for i, tt := range tests {
		n.epb(uint32(i), tt.ts, 14, 14, d)
		want = append(want, frRec{tt.want, 14, string(d), false})
	}
	got, err := frReadAll(frOpen(t, n.buf))
	if err != io.EOF {
		t.Fatalf("read: %v", err)
	}
	if len(got) != len(tests) {
		t.Fatalf("got %d records, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		if got[i].Time != tt.want {
			t.Errorf("%s: time %d, want %d", tt.name, got[i].Time, tt.want)
		}
	}
	if want := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(); pcapfile.MaxTime != want {
		t.Errorf("MaxTime %d, want %d", pcapfile.MaxTime, want)
	}
	// pcap: the last second of the unsigned 32-bit field, in nanoseconds.
	p := newFrPcap(binary.BigEndian, 0xA1B23C4D, 2, 4, 0, 1).rec(0xffffffff, 0xffffffff, 0, 0, nil)
	got, err = frReadAll(frOpen(t, p.buf))
	if err != io.EOF || len(got) != 1 || got[0].Time != 0xffffffff*1e9+0xffffffff {
		t.Errorf("pcap max time: %v %v", got, err)
	}
}

// TestFileReaderAllocs checks that Next does not allocate per record, in
// pcap and pcapng, reading from a file.
func TestFileReaderAllocs(t *testing.T) {
	const records = 3000
	p := frStdPcap()
	n := frStdNg()
	for i := range records {
		l := 60 + i%1400
		p.rec(uint32(i), 0, uint32(l), uint32(l), frFrame(l, i))
		n.epb(0, uint64(i)*1e6, uint32(l), uint32(l), frFrame(l, i))
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"pcap", p.buf}, {"pcapng", n.buf}} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := pcapfile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rec pcapfile.Record
			var bad error
			allocs := testing.AllocsPerRun(records-10, func() {
				if err := f.Next(&rec); err != nil {
					bad = err
				}
			})
			if bad != nil {
				t.Fatal(bad)
			}
			if allocs != 0 {
				t.Errorf("%v allocations per record, want 0", allocs)
			}
		})
	}
}

// frAllocated returns the bytes allocated while fn runs.
func frAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// frOnlyReader hides the type of a reader, so that NewReader gives it
// the full buffer.
type frOnlyReader struct{ io.Reader }

// TestFileReaderBounded checks that claimed lengths cost nothing: a 3 GiB
// block or a 2 GiB record fails at once without allocating, and skipping a
// real 10 MiB block does not allocate its size.
func TestFileReaderBounded(t *testing.T) {
	huge := frStdNg().raw(0x0BAD, 3<<30, 3<<30, make([]byte, 64)).buf
	hugePcap := newFrPcap(binary.LittleEndian, 0xA1B2C3D4, 2, 4, 0xffffffff, 1).rec(1, 0, 1<<31, 1<<31, make([]byte, 64)).buf
	for _, data := range [][]byte{huge, hugePcap} {
		var err error
		alloc := frAllocated(func() {
			var f *pcapfile.Reader
			if f, err = pcapfile.NewReader(bytes.NewReader(data), "huge"); err == nil {
				err = f.Next(&pcapfile.Record{})
			}
		})
		if !errors.Is(err, pcapfile.ErrCorrupt) {
			t.Errorf("error %v, want ErrCorrupt", err)
		}
		if alloc > 1<<20 {
			t.Errorf("allocated %d bytes for a claimed length, want at most 1 MiB", alloc)
		}
	}

	big := frStdNg().block(0x0BAD, make([]byte, 10<<20)).epb(0, 1e6, 60, 60, frFrame(60, 1)).buf
	var (
		err error
		rec pcapfile.Record
	)
	alloc := frAllocated(func() {
		var f *pcapfile.Reader
		if f, err = pcapfile.NewReader(frOnlyReader{bytes.NewReader(big)}, "big"); err == nil {
			err = f.Next(&rec)
		}
	})
	if err != nil || rec.Len != 60 {
		t.Fatalf("read after a 10 MiB block: %v, Len %d", err, rec.Len)
	}
	if alloc > 2<<20 {
		t.Errorf("allocated %d bytes to skip a 10 MiB block, want at most 2 MiB", alloc)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "capture.pcap")
	d := frFrame(60, 1)
	if err := os.WriteFile(good, frStdPcap().rec(1, 0, 60, 60, d).buf, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := pcapfile.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := frReadAll(f)
	frDiff(t, []frRec{{1e9, 60, string(d), false}}, got)
	if err != io.EOF {
		t.Errorf("read: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := f.Next(&pcapfile.Record{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close: %v, want os.ErrClosed", err)
	}

	bad := filepath.Join(dir, "bad.pcap")
	if err := os.WriteFile(bad, []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = pcapfile.Open(bad)
	if want := bad + ": not a pcap or pcapng file (magic 0x12345678)"; err == nil || err.Error() != want || !errors.Is(err, pcapfile.ErrFormat) {
		t.Errorf("Open(bad): %v, want %q", err, want)
	}
	if _, err := pcapfile.Open(filepath.Join(dir, "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing): %v, want os.ErrNotExist", err)
	}
}

func TestFileErrorFormat(t *testing.T) {
	inner := errors.New("boom")
	tests := []struct {
		e    pcapfile.Error
		want string
	}{
		{pcapfile.Error{File: "c.pcap", Offset: 567890, Record: 1234, Err: inner}, "c.pcap: record 1234 at byte 567890: boom"},
		{pcapfile.Error{File: "c.pcap", Offset: 28, Err: inner}, "c.pcap: at byte 28: boom"},
		{pcapfile.Error{File: "c.pcap", Err: inner}, "c.pcap: boom"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(&tt.e, inner) {
			t.Errorf("%q does not unwrap to its Err", tt.want)
		}
	}
}

// frKnown lists real captures with the error this reader must give
// (empty: it reads them to the end), where pcapgo fails too or is wrong.
var frKnown = map[string]struct{ err, note string }{
	"malformed/gp-test901.pcapng":                        {"record 2 at byte 480: pcapng: unsupported major version 2", "pcapgo fails too"},
	"malformed/lp-pcap-invalid-version-1.pcap":           {"pcap: unsupported version 1.4", "pcapgo fails too"},
	"malformed/lp-pcapng-invalid-vers-1.pcapng":          {"pcapng: unsupported major version 0", "pcapgo fails too"},
	"malformed/lp-linktype-reserved-field-not-zero.pcap": {"pcap: reserved link-type bits set (0x00300000)", "pcapgo ignores the reserved bits"},
	"malformed/lp-shb-option-too-long.pcapng":            {"pcapng: block length mismatch at offset 0", "pcapgo checks no trailer"},
	"malformed/td-icmp-icmp_print-oobr-1.pcap":           {"", "caplen above snaplen: pcapgo stops, this reader accepts it up to MaxRecord"},
}

// TestFileReaderRealCaptures reads every capture under shared/captures and
// compares it with pcapgo: the same records, or an error where pcapgo
// fails too (or is known to be wrong).
func TestFileReaderRealCaptures(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "captures")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no real captures at %s: %v", root, err)
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no captures under %s", root)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var got []frRec
			f, err := pcapfile.NewReader(bytes.NewReader(data), rel)
			if err == nil {
				got, err = frReadAll(f)
			}
			t.Logf("%d records, %v, in %v", len(got), err, time.Since(start))
			if uint64(len(got))*8 > uint64(len(data)) {
				t.Errorf("%d records from %d bytes", len(got), len(data))
			}
			var fe *pcapfile.Error
			if err != io.EOF && !errors.As(err, &fe) {
				t.Errorf("error %v (%T), want io.EOF or a *Error", err, err)
			}
			oracle, oerr := frOracle(data)
			known, isKnown := frKnown[rel]
			if isKnown {
				if known.err == "" && err != io.EOF || known.err != "" && (err == io.EOF || !strings.Contains(err.Error(), known.err)) {
					t.Errorf("error %v, want %q (%s)", err, known.err, known.note)
				}
			}
			switch {
			case oerr == io.EOF && !isKnown:
				if err != io.EOF {
					t.Errorf("error %v where pcapgo reads %d records to the end", err, len(oracle))
				}
				frDiff(t, oracle, got)
			case oerr != io.EOF && !isKnown && err == io.EOF:
				t.Errorf("read %d records to the end where pcapgo fails after %d: %v", len(got), len(oracle), oerr)
			default: // both fail, or a known difference: the records both read agree
				n := min(len(oracle), len(got))
				frDiff(t, oracle[:n], got[:n])
			}
		})
	}
}

// TestDrain reads a file to its end with Drain: every record counted, nil
// at a clean end, the *Error of a cut record otherwise.
func TestDrain(t *testing.T) {
	file := frStdPcap().rec(1, 0, 60, 60, frFrame(60, 1)).rec(2, 0, 60, 60, frFrame(60, 2)).buf
	f := frOpen(t, file)
	if err := f.Drain(); err != nil || f.Records() != 2 {
		t.Errorf("Drain: %v, %d records; want nil, 2", err, f.Records())
	}
	f = frOpen(t, file[:len(file)-10])
	var fe *pcapfile.Error
	if err := f.Drain(); !errors.As(err, &fe) || f.Records() != 1 {
		t.Errorf("Drain of a cut file: %v (%T), %d records; want a *pcapfile.Error after 1", err, err, f.Records())
	}
}

// TestComment: Comment returns the first comment of the first section
// header, whatever the byte order and the options before it, and nothing
// for a pcap file, a later section's comment, a comment beyond
// MaxComment or one that runs past its block.
func TestComment(t *testing.T) {
	d := frFrame(60, 1)
	le, be := &frNg{o: binary.LittleEndian}, &frNg{o: binary.BigEndian}
	long := strings.Repeat("x", pcapfile.MaxComment)
	overrun := (&frNg{o: binary.LittleEndian}).shb(1, 0).idb(1, 0).buf
	// An option of 200 bytes in a 28-byte section header: its length
	// field is the first option's.
	overrun = append(append([]byte{}, overrun[:24]...), append([]byte{1, 0, 200, 0}, overrun[24:]...)...)
	overrun[4], overrun[28] = 32, 32
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"pcap", frStdPcap().rec(1, 2, 60, 60, d).buf, ""},
		{"no options", frStdNg().epb(0, 1, 60, 60, d).buf, ""},
		{"comment", le.shb(1, 0, le.comment("ipband evidence: x")).idb(1, 0).epb(0, 1, 60, 60, d).buf, "ipband evidence: x"},
		{"big endian, after shb_hardware", be.shb(1, 0, be.opt(2, []byte("amd64")), be.comment("two"), be.comment("three")).idb(1, 0).buf, "two"},
		{"first section only", append((&frNg{o: binary.LittleEndian}).shb(1, 0).idb(1, 0).buf,
			(&frNg{o: binary.LittleEndian}).shb(1, 0, le.comment("later")).idb(1, 0).epb(0, 1, 60, 60, d).buf...), ""},
		{"MaxComment bytes", (&frNg{o: binary.LittleEndian}).shb(1, 0, le.comment(long)).idb(1, 0).buf, long},
		{"too long", (&frNg{o: binary.LittleEndian}).shb(1, 0, le.comment(long+"y")).idb(1, 0).buf, ""},
		{"option past its block", overrun, ""},
	} {
		r, err := pcapfile.NewReader(bytes.NewReader(c.data), c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := r.Comment(); got != c.want {
			t.Errorf("%s: comment %.40q, want %.40q", c.name, got, c.want)
		}
		if err := r.Drain(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
