package pcapfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strings"
)

// MaxRecord is the largest captured length accepted for one record (256
// KiB). A record that claims more is taken as a corrupt file, whatever the
// file header's snap length says.
const MaxRecord = 256 << 10

// MaxTime is the latest record time, 2200-01-01T00:00:00Z in Unix
// nanoseconds. Record times are clamped to [0, MaxTime], so the difference
// between any two of them fits in an int64.
const MaxTime int64 = maxSec * 1e9

// MaxComment is the longest first-section comment Comment returns (4
// KiB); a longer one is ignored.
const MaxComment = 4 << 10

// Sentinel errors of Reader, found with errors.Is on a *Error or on
// the error from Open and NewReader.
var (
	// ErrTruncated means the file ends inside its header, a record or a
	// block.
	ErrTruncated = errors.New("pcapfile: truncated capture")
	// ErrCorrupt means a record or block has impossible lengths (beyond
	// MaxRecord or the block limits, shorter than its own header, a block
	// trailer that does not repeat its length) or refers to an interface
	// that does not exist.
	ErrCorrupt = errors.New("pcapfile: corrupt capture")
	// ErrFormat means the file is not a capture this reader understands: a
	// bad magic number, a gzip-compressed file, an unsupported version, or
	// reserved link-type bits.
	ErrFormat = errors.New("pcapfile: unsupported capture format")
)

const (
	maxSec = 7258118400 // 2200-01-01T00:00:00Z in Unix seconds

	fileBufSize    = 1 << 20            // read buffer; holds any block read whole
	maxBlock       = 16 << 20           // pcapng blocks that are skipped
	maxPacketBlock = MaxRecord + 64<<10 // pcapng blocks that are read whole
	maxInterfaces  = 1 << 16            // interface descriptions per section
	minBufSize     = 4 << 10            // read buffer for small in-memory inputs
	pcapHeaderLen  = 24                 // pcap file header
	pcapRecordLen  = 16                 // pcap record header
	reservedLink   = 0x03FF0000         // pcap link-type bits that must be zero
	linkTypeMask   = 0x0000FFFF         // pcap link type proper
	ngByteOrder    = 0x1A2B3C4D         // pcapng byte-order magic
	blockSHB       = 0x0A0D0D0A         // section header block
	blockIDB       = 1                  // interface description block
	blockPB        = 2                  // obsolete packet block
	blockSPB       = 3                  // simple packet block
	blockEPB       = 6                  // enhanced packet block
	optEnd         = 0                  // opt_endofopt
	optComment     = 1                  // opt_comment
	shbHeaderLen   = 24                 // section header block before its options
	optTSResol     = 9                  // if_tsresol
	optTSOffset    = 14                 // if_tsoffset
	magicMicro     = 0xA1B2C3D4         // pcap, microseconds
	magicNano      = 0xA1B23C4D         // pcap, nanoseconds
	magicMicroSwap = 0xD4C3B2A1         // pcap, microseconds, other byte order
	magicNanoSwap  = 0x4D3CB2A1         // pcap, nanoseconds, other byte order
)

// Record is one captured frame as read from a file. A Record is reused:
// Reader.Next overwrites every field.
type Record struct {
	// Data holds the captured bytes. It points into the reader's buffer and
	// is valid only until the next call to Next.
	Data []byte
	// Time is the capture time in Unix nanoseconds, clamped to [0, MaxTime].
	Time int64
	// Len is the frame length on the wire: the pcap record's len or the
	// pcapng original length.
	Len uint32
	// Malformed is set when the record header was inconsistent but
	// readable: a captured length larger than the wire length (Len is then
	// set to the captured length). A time that had to be clamped is not
	// malformed.
	Malformed bool
}

// Error is an error found while reading a capture file. It says which
// file, the byte offset of the record or block where the problem is, and the
// record being read.
type Error struct {
	// File is the file's name as given to Open or NewReader.
	File string
	// Offset is the byte offset of the record, block or header in error.
	Offset int64
	// Record is the 1-based number of the record being read, counting the
	// records returned before it; 0 means the file header (in pcapng, the
	// blocks up to the first interface description).
	Record uint64
	// Err says what is wrong; errors.Is finds ErrTruncated, ErrCorrupt or
	// ErrFormat in it, or it is the read error of the underlying reader.
	Err error
}

// Error returns the error as `capture.pcap: record 1234 at byte 567890:
// truncated record (need 1514 bytes, have 100)`, leaving out the record
// when it is 0 and the offset when both are 0.
func (e *Error) Error() string {
	switch {
	case e.Record > 0:
		return fmt.Sprintf("%s: record %d at byte %d: %v", e.File, e.Record, e.Offset, e.Err)
	case e.Offset > 0:
		return fmt.Sprintf("%s: at byte %d: %v", e.File, e.Offset, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// kindError is a message that unwraps to one of the sentinel errors.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Reader reads the records of a pcap or pcapng file through a large
// buffer, returning each record's data in place, without copying or
// allocating. It never trusts a length from the file: every record is
// bounded by MaxRecord and every pcapng block by a fixed limit, so a hostile
// file costs at most its own size to read. Each step consumes at least 12
// bytes of input or returns an error.
//
// In pcapng files, packets are returned in file order across sections;
// packets of an interface whose link type differs from the first interface
// of the file are skipped and counted (Skipped). A Simple Packet Block has
// no timestamp: its record takes the time of the record before it (0 for the
// first). Statistics, name resolution and unknown blocks are skipped.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	name    string
	br      *bufio.Reader
	closer  io.Closer
	err     error // sticky: io.EOF, *Error or the closed error
	off     int64 // bytes consumed
	records uint64
	skipped uint64
	link    LinkType
	snaplen int
	be      bool // big-endian file or section
	ng      bool
	header  bool  // still reading the file header
	scale   int64 // pcap: nanoseconds per fraction unit

	comment  string // opt_comment of the first pcapng section
	sections int    // pcapng sections read

	ifaces   []ngIface // interfaces of the current pcapng section
	lastTime int64     // time of the last record, for Simple Packet Blocks
}

// ngIface is one pcapng interface description.
type ngIface struct {
	link   LinkType
	snap   uint32
	res    tsRes
	offset int64 // if_tsoffset, seconds
}

// Open opens the pcap or pcapng file at path and reads its header. Its
// errors name the file: `capture.pcap: not a pcap or pcapng file (magic
// 0x12345678)`. Gzip-compressed files are not read (ErrFormat).
func Open(path string) (*Reader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	f, err := newReader(fh, path, fileBufSize)
	if err != nil {
		_ = fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// NewReader reads a pcap or pcapng capture from r, naming it name in
// errors, and reads its header. Close does not close r. An in-memory r
// (*bytes.Reader, *bytes.Buffer, *strings.Reader) gets a buffer no larger
// than its content.
func NewReader(r io.Reader, name string) (*Reader, error) {
	size := fileBufSize
	var n int
	switch v := r.(type) {
	case *bytes.Reader:
		n = v.Len()
	case *bytes.Buffer:
		n = v.Len()
	case *strings.Reader:
		n = v.Len()
	default:
		n = size
	}
	if n < size {
		size = max(n, minBufSize)
	}
	return newReader(r, name, size)
}

func newReader(r io.Reader, name string, size int) (*Reader, error) {
	f := &Reader{name: name, br: bufio.NewReaderSize(r, size), link: NoLinkType, header: true}
	if err := f.readHeader(); err != nil {
		return nil, err
	}
	f.header = false
	return f, nil
}

// LinkType returns the link type of the capture: the low 16 bits of the
// pcap header's link type (the FCS bits above them are ignored), or the
// link type of the first interface of a pcapng file; -1 for a pcapng file
// without any interface description (it holds no packets).
func (f *Reader) LinkType() LinkType { return f.link }

// Snaplen returns the snap length of the pcap header, or of the first
// pcapng interface (0 there means no limit). Records longer than it are
// still returned, up to MaxRecord.
func (f *Reader) Snaplen() int { return f.snaplen }

// Comment returns the first opt_comment of the first section header of a
// pcapng file, as the file holds it: "" for a pcap file, a section without
// a comment, or a comment longer than MaxComment bytes. It is read with
// the header, so Open and NewReader set it.
func (f *Reader) Comment() string { return f.comment }

// Records returns the number of records returned so far.
func (f *Reader) Records() uint64 { return f.records }

// Skipped returns the number of pcapng packets skipped so far because their
// interface's link type differs from LinkType.
func (f *Reader) Skipped() uint64 { return f.skipped }

// Close closes the file opened by Open (not the reader given to
// NewReader) and releases the buffer. Next then fails. Close is
// idempotent.
func (f *Reader) Close() error {
	if f.br == nil {
		return nil
	}
	f.br = nil
	f.err = &Error{File: f.name, Offset: f.off, Record: f.records + 1, Err: os.ErrClosed}
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Next reads the next record into rec. rec.Data is valid until the next
// call. Next returns io.EOF at a clean end of the file and a *Error for
// anything else; after an error, every later call returns the same error.
// In steady state Next does not allocate.
func (f *Reader) Next(rec *Record) error {
	if f.err != nil {
		rec.Data = nil
		return f.err
	}
	var err error
	if f.ng {
		err = f.nextNg(rec)
	} else {
		err = f.nextPcap(rec)
	}
	if err != nil {
		f.err = err
		rec.Data = nil
	}
	return err
}

// Drain reads the records left to the end of the file: nil at a clean
// end, else the *Error that stopped it. Records then counts them all.
func (f *Reader) Drain() error {
	var rec Record
	for {
		if err := f.Next(&rec); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// fail makes a *Error for the record or block at off.
func (f *Reader) fail(off int64, err error) error {
	rec := f.records + 1
	if f.header {
		rec = 0
	}
	return &Error{File: f.name, Offset: off, Record: rec, Err: err}
}

// short explains a read that got have bytes of the need it wanted.
func short(err error, what string, need, have int) error {
	if err == nil || err == io.EOF || err == bufio.ErrBufferFull || err == io.ErrUnexpectedEOF {
		return errorf(ErrTruncated, "truncated %s (need %d bytes, have %d)", what, need, have)
	}
	return err
}

// discard drops n buffered or upcoming bytes.
func (f *Reader) discard(n int) (int, error) {
	d, err := f.br.Discard(n)
	f.off += int64(d)
	return d, err
}

func (f *Reader) u16(b []byte) uint16 {
	if f.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (f *Reader) u32(b []byte) uint32 {
	if f.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (f *Reader) u64(b []byte) uint64 {
	if f.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func (f *Reader) readHeader() error {
	m, err := f.br.Peek(4)
	if len(m) < 4 {
		if len(m) == 0 && err == io.EOF {
			return f.fail(0, errorf(ErrTruncated, "empty file"))
		}
		return f.fail(0, short(err, "file header", 4, len(m)))
	}
	magic := binary.LittleEndian.Uint32(m)
	switch magic {
	case magicMicro, magicMicroSwap:
		f.scale = 1000
	case magicNano, magicNanoSwap:
		f.scale = 1
	case blockSHB:
		return f.readNgHeader()
	default:
		if m[0] == 0x1f && m[1] == 0x8b {
			return f.fail(0, errorf(ErrFormat, "gzip-compressed file; decompress it first"))
		}
		return f.fail(0, errorf(ErrFormat, "not a pcap or pcapng file (magic 0x%08x)", binary.BigEndian.Uint32(m)))
	}
	f.be = magic == magicMicroSwap || magic == magicNanoSwap
	h, err := f.br.Peek(pcapHeaderLen)
	if len(h) < pcapHeaderLen {
		return f.fail(0, short(err, "file header", pcapHeaderLen, len(h)))
	}
	if major, minor := f.u16(h[4:]), f.u16(h[6:]); major != 2 || minor != 4 {
		return f.fail(0, errorf(ErrFormat, "pcap: unsupported version %d.%d", major, minor))
	}
	lt := f.u32(h[20:])
	if lt&reservedLink != 0 {
		return f.fail(0, errorf(ErrFormat, "pcap: reserved link-type bits set (0x%08x)", lt&reservedLink))
	}
	f.link = LinkType(lt & linkTypeMask)
	f.snaplen = int(f.u32(h[16:]))
	_, _ = f.discard(pcapHeaderLen) // buffered: cannot fail
	return nil
}

func (f *Reader) nextPcap(rec *Record) error {
	start := f.off
	h, err := f.br.Peek(pcapRecordLen)
	if len(h) < pcapRecordLen {
		if len(h) == 0 && err == io.EOF {
			return io.EOF
		}
		return f.fail(start, short(err, "record header", pcapRecordLen, len(h)))
	}
	var sec, frac, caplen, wire uint32
	if f.be {
		sec = binary.BigEndian.Uint32(h[0:])
		frac = binary.BigEndian.Uint32(h[4:])
		caplen = binary.BigEndian.Uint32(h[8:])
		wire = binary.BigEndian.Uint32(h[12:])
	} else {
		sec = binary.LittleEndian.Uint32(h[0:])
		frac = binary.LittleEndian.Uint32(h[4:])
		caplen = binary.LittleEndian.Uint32(h[8:])
		wire = binary.LittleEndian.Uint32(h[12:])
	}
	if caplen > MaxRecord {
		return f.fail(start, errorf(ErrCorrupt, "captured length %d exceeds the %d-byte limit", caplen, MaxRecord))
	}
	n := pcapRecordLen + int(caplen)
	b, err := f.br.Peek(n)
	if len(b) < n {
		return f.fail(start, short(err, "record", int(caplen), len(b)-pcapRecordLen))
	}
	rec.Data = b[pcapRecordLen:n:n]
	// At most (2^32-1)*1e9 + (2^32-1)*1000, below MaxTime: no clamp needed.
	rec.Time = int64(sec)*1e9 + int64(frac)*f.scale
	rec.Len, rec.Malformed = wire, false
	if caplen > wire {
		rec.Len, rec.Malformed = caplen, true
	}
	_, _ = f.discard(n) // buffered: cannot fail
	f.records++
	return nil
}

// readNgHeader reads the first section header and the blocks up to the
// first interface description, which gives the file its link type.
func (f *Reader) readNgHeader() error {
	f.ng = true
	var rec Record
	for f.link < 0 {
		_, err := f.block(&rec)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *Reader) nextNg(rec *Record) error {
	for {
		ok, err := f.block(rec)
		if err != nil {
			return err
		}
		if ok {
			f.records++
			return nil
		}
	}
}

// block reads one pcapng block; it reports whether the block filled rec
// with a packet to return.
func (f *Reader) block(rec *Record) (bool, error) {
	start := f.off
	h, err := f.br.Peek(8)
	if len(h) < 8 {
		if len(h) == 0 && err == io.EOF {
			return false, io.EOF
		}
		return false, f.fail(start, short(err, "block header", 8, len(h)))
	}
	typ := f.u32(h) // the section header's type reads the same in both orders
	if typ == blockSHB {
		return false, f.section(start)
	}
	blen := f.u32(h[4:])
	switch typ {
	case blockEPB, blockPB:
		return f.packet(rec, start, typ, blen)
	case blockSPB:
		return f.simplePacket(rec, start, blen)
	case blockIDB:
		return false, f.iface(start, blen)
	default:
		if err := f.checkLen(start, blen, 12, maxBlock); err != nil {
			return false, err
		}
		return false, f.skip(start, blen, 0)
	}
}

// checkLen checks a block's total length against the format's rules and
// the limits for its type.
func (f *Reader) checkLen(start int64, blen, least, most uint32) error {
	switch {
	case blen < 12:
		return f.fail(start, errorf(ErrCorrupt, "pcapng: block length %d is less than 12", blen))
	case blen%4 != 0:
		return f.fail(start, errorf(ErrCorrupt, "pcapng: block length %d is not a multiple of 4", blen))
	case blen < least:
		return f.fail(start, errorf(ErrCorrupt, "pcapng: block length %d is too short for its type (at least %d)", blen, least))
	case blen > most:
		return f.fail(start, errorf(ErrCorrupt, "pcapng: block length %d exceeds the %d-byte limit", blen, most))
	}
	return nil
}

func (f *Reader) mismatch(start int64, blen, trailer uint32) error {
	return f.fail(start, errorf(ErrCorrupt, "pcapng: block length mismatch at offset %d (header %d, trailer %d)", start, blen, trailer))
}

// whole returns the block at start, blen bytes long, checked and buffered
// but not consumed.
func (f *Reader) whole(start int64, blen uint32) ([]byte, error) {
	n := int(blen)
	b, err := f.br.Peek(n)
	if len(b) < n {
		return nil, f.fail(start, short(err, "block", n, len(b)))
	}
	if t := f.u32(b[n-4:]); t != blen {
		return nil, f.mismatch(start, blen, t)
	}
	return b, nil
}

// skip consumes the block at start, blen bytes long, of which done bytes
// were already read and consumed, checking its trailer. It reads the
// block through the buffer, without allocating its size.
func (f *Reader) skip(start int64, blen uint32, done int) error {
	n := int(blen) - 4 - done
	if d, err := f.discard(n); d < n {
		return f.fail(start, short(err, "block", int(blen), done+d))
	}
	t, err := f.br.Peek(4)
	if len(t) < 4 {
		return f.fail(start, short(err, "block", int(blen), int(blen)-4+len(t)))
	}
	if v := f.u32(t); v != blen {
		return f.mismatch(start, blen, v)
	}
	_, _ = f.discard(4)
	return nil
}

// section reads a section header block: a new byte order, a new set of
// interfaces.
func (f *Reader) section(start int64) error {
	h, err := f.br.Peek(16)
	if len(h) < 16 {
		return f.fail(start, short(err, "section header", 16, len(h)))
	}
	switch {
	case binary.BigEndian.Uint32(h[8:]) == ngByteOrder:
		f.be = true
	case binary.LittleEndian.Uint32(h[8:]) == ngByteOrder:
		f.be = false
	default:
		kind := ErrCorrupt
		if start == 0 {
			kind = ErrFormat
		}
		return f.fail(start, errorf(kind, "pcapng: bad byte-order magic 0x%08x", binary.BigEndian.Uint32(h[8:])))
	}
	blen := f.u32(h[4:])
	if err := f.checkLen(start, blen, 28, maxBlock); err != nil {
		return err
	}
	if major := f.u16(h[12:]); major != 1 {
		return f.fail(start, errorf(ErrFormat, "pcapng: unsupported major version %d", major))
	}
	f.ifaces = f.ifaces[:0]
	if f.sections++; f.sections == 1 {
		f.comment = f.sectionComment(blen)
	}
	if _, err := f.discard(16); err != nil {
		return f.fail(start, err) // buffered: cannot happen
	}
	return f.skip(start, blen, 16)
}

// sectionComment returns the first opt_comment of the section header
// block at the reader's position, blen bytes long (at least 28), of which
// it reads at most a buffer's worth without consuming it. Options that run
// past the block or the buffer end the search: skip then checks the
// block.
func (f *Reader) sectionComment(blen uint32) string {
	b, _ := f.br.Peek(min(int(blen), f.br.Size()))
	if len(b) <= shbHeaderLen {
		return ""
	}
	opts := b[shbHeaderLen:min(len(b), int(blen)-4)]
	for len(opts) >= 4 {
		code, olen := f.u16(opts), int(f.u16(opts[2:]))
		if code == optEnd || 4+olen > len(opts) {
			return ""
		}
		if code == optComment {
			if olen > MaxComment {
				return ""
			}
			return string(opts[4 : 4+olen])
		}
		opts = opts[min(4+(olen+3)&^3, len(opts)):]
	}
	return ""
}

// iface reads an interface description block.
func (f *Reader) iface(start int64, blen uint32) error {
	if err := f.checkLen(start, blen, 20, maxPacketBlock); err != nil {
		return err
	}
	b, err := f.whole(start, blen)
	if err != nil {
		return err
	}
	if len(f.ifaces) >= maxInterfaces {
		return f.fail(start, errorf(ErrCorrupt, "pcapng: more than %d interfaces in a section", maxInterfaces))
	}
	ifc := ngIface{link: LinkType(f.u16(b[8:])), snap: f.u32(b[12:]), res: decimalRes(6)}
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, olen := f.u16(opts), int(f.u16(opts[2:]))
		if code == optEnd {
			break
		}
		if 4+olen > len(opts) {
			return f.fail(start, errorf(ErrCorrupt, "pcapng: interface option %d (%d bytes) runs past the end of its block", code, olen))
		}
		val := opts[4 : 4+olen]
		switch {
		case code == optTSResol && olen == 1:
			ifc.res = makeRes(val[0])
		case code == optTSOffset && olen == 8:
			ifc.offset = int64(f.u64(val))
		}
		opts = opts[min(4+(olen+3)&^3, len(opts)):]
	}
	f.ifaces = append(f.ifaces, ifc)
	if f.link < 0 {
		f.link, f.snaplen = ifc.link, int(ifc.snap)
	}
	_, _ = f.discard(int(blen)) // buffered: cannot fail
	return nil
}

// packet reads an Enhanced Packet Block or an obsolete Packet Block. Both
// have the interface, the timestamp, the captured and the original length
// at the same offsets; the Packet Block's interface ID is 16 bits.
func (f *Reader) packet(rec *Record, start int64, typ, blen uint32) (bool, error) {
	if err := f.checkLen(start, blen, 32, maxPacketBlock); err != nil {
		return false, err
	}
	b, err := f.whole(start, blen)
	if err != nil {
		return false, err
	}
	id := f.u32(b[8:])
	if typ == blockPB {
		id = uint32(f.u16(b[8:]))
	}
	if uint64(id) >= uint64(len(f.ifaces)) {
		return false, f.fail(start, errorf(ErrCorrupt, "pcapng: packet for interface %d, but the section has %d", id, len(f.ifaces)))
	}
	caplen, wire := f.u32(b[20:]), f.u32(b[24:])
	if caplen > MaxRecord {
		return false, f.fail(start, errorf(ErrCorrupt, "captured length %d exceeds the %d-byte limit", caplen, MaxRecord))
	}
	if 28+caplen+4 > blen {
		return false, f.fail(start, errorf(ErrCorrupt, "pcapng: captured length %d exceeds its %d-byte block", caplen, blen))
	}
	ifc := &f.ifaces[id]
	_, _ = f.discard(int(blen)) // buffered: cannot fail
	if ifc.link != f.link {
		f.skipped++
		return false, nil
	}
	ts := uint64(f.u32(b[12:]))<<32 | uint64(f.u32(b[16:]))
	n := 28 + int(caplen)
	rec.Data = b[28:n:n]
	rec.Time = ifc.res.nanos(ts, ifc.offset)
	rec.Len, rec.Malformed = wire, false
	if caplen > wire {
		rec.Len, rec.Malformed = caplen, true
	}
	f.lastTime = rec.Time
	return true, nil
}

// simplePacket reads a Simple Packet Block: interface 0, no timestamp (the
// previous record's time is used), captured length the least of the
// original length, the interface's snap length and the block's room.
func (f *Reader) simplePacket(rec *Record, start int64, blen uint32) (bool, error) {
	if err := f.checkLen(start, blen, 16, maxPacketBlock); err != nil {
		return false, err
	}
	b, err := f.whole(start, blen)
	if err != nil {
		return false, err
	}
	if len(f.ifaces) == 0 {
		return false, f.fail(start, errorf(ErrCorrupt, "pcapng: simple packet block, but the section has no interface"))
	}
	ifc := &f.ifaces[0]
	wire := f.u32(b[8:])
	caplen := min(wire, blen-16)
	if ifc.snap != 0 {
		caplen = min(caplen, ifc.snap)
	}
	if caplen > MaxRecord {
		return false, f.fail(start, errorf(ErrCorrupt, "captured length %d exceeds the %d-byte limit", caplen, MaxRecord))
	}
	_, _ = f.discard(int(blen)) // buffered: cannot fail
	if ifc.link != f.link {
		f.skipped++
		return false, nil
	}
	n := 12 + int(caplen)
	rec.Data = b[12:n:n]
	rec.Time = f.lastTime
	rec.Len, rec.Malformed = wire, false
	return true, nil
}

// tsRes is a pcapng timestamp resolution: units ticks per second.
type tsRes struct {
	units uint64 // ticks per second; 0 when 2^64 or more
	mul   uint64 // 1e9/units when units divides 1e9, else 0
	exp   uint8  // the exponent, for units == 0
	bin   bool   // a power of 2, not of 10
}

// makeRes decodes an if_tsresol value: the exponent of a negative power of
// 10, or of 2 when the top bit is set.
func makeRes(v byte) tsRes {
	if v&0x80 != 0 {
		e := v & 0x7f
		if e >= 64 {
			return tsRes{exp: e, bin: true}
		}
		return withMul(tsRes{units: 1 << e, exp: e, bin: true})
	}
	return decimalRes(v & 0x7f)
}

func decimalRes(e uint8) tsRes {
	if e > 19 {
		return tsRes{exp: e}
	}
	u := uint64(1)
	for range e {
		u *= 10
	}
	return withMul(tsRes{units: u, exp: e})
}

func withMul(r tsRes) tsRes {
	if 1e9%r.units == 0 {
		r.mul = 1e9 / r.units
	}
	return r
}

// nanos converts ts ticks plus offset seconds to Unix nanoseconds, clamped
// to [0, MaxTime], exactly and without overflow.
func (r tsRes) nanos(ts uint64, offset int64) int64 {
	var sec, frac uint64
	switch {
	case r.mul != 0:
		sec, frac = ts/r.units, ts%r.units*r.mul
	case r.units != 0:
		sec = ts / r.units
		hi, lo := bits.Mul64(ts%r.units, 1e9)
		frac, _ = bits.Div64(hi, lo, r.units) // hi < units: no panic
	case r.bin: // units = 2^exp, exp 64..127: ts is under a second
		hi, _ := bits.Mul64(ts, 1e9)
		frac = hi >> (r.exp - 64)
	default: // units = 10^exp, exp > 19: ts is under a second
		frac = 0
		if d := r.exp - 9; d <= 19 {
			frac = ts / pow10(d)
		}
	}
	return clampTime(sec, frac, offset)
}

func pow10(e uint8) uint64 {
	u := uint64(1)
	for range e {
		u *= 10
	}
	return u
}

// clampTime returns sec+offset seconds plus frac nanoseconds (frac < 1e9)
// clamped to [0, MaxTime].
func clampTime(sec, frac uint64, offset int64) int64 {
	if offset >= 0 {
		if sec >= maxSec || uint64(offset) >= maxSec-sec {
			return MaxTime
		}
		sec += uint64(offset)
	} else {
		neg := uint64(^offset) + 1
		if sec < neg {
			return 0
		}
		sec -= neg
		if sec >= maxSec {
			return MaxTime
		}
	}
	return int64(sec)*1e9 + int64(frac)
}
