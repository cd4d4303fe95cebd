package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Format is a capture file format. The zero Format is FormatPcap.
type Format uint8

const (
	// FormatPcap is the classic libpcap format (v2.4, little-endian,
	// microsecond timestamps).
	FormatPcap Format = iota
	// FormatPcapNG is pcapng (little-endian, one interface, nanosecond
	// timestamps).
	FormatPcapNG
)

// Snap lengths.
const (
	// DefaultSnaplen is the snap length used when neither the caller nor
	// the scenario names one.
	DefaultSnaplen = 65535
	// MaxSnaplen is the largest snap length a Writer accepts.
	MaxSnaplen = 262144
)

// ParseFormat returns the format named s ("pcap" or "pcapng"), or an error
// wrapping ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "pcap":
		return FormatPcap, nil
	case "pcapng":
		return FormatPcapNG, nil
	}
	return 0, fmt.Errorf("format %q: %w", s, ErrUnknownFormat)
}

// String returns the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if f == FormatPcapNG {
		return "pcapng"
	}
	return "pcap"
}

// WriterOptions configure a Writer. The zero WriterOptions writes Ethernet
// frames to a pcap file with DefaultSnaplen.
type WriterOptions struct {
	// Link is the link type of every frame.
	Link Link
	// Format is the file format.
	Format Format
	// Snaplen is the snap length: records hold at most this many bytes of
	// each frame. Zero means DefaultSnaplen.
	Snaplen int
}

// Writer serializes events into a capture file. It buffers its output: call
// Flush when done.
type Writer struct {
	bw      *bufio.Writer
	pw      *pcapgo.Writer
	nw      *pcapgo.NgWriter
	link    Link
	format  Format
	snaplen int
	frame   []byte
	rec     []byte
	packets int
	ended   bool
}

// NewWriter writes the file header (pcap) or the section header and
// interface description blocks (pcapng) to w and returns a Writer for the
// records.
func NewWriter(w io.Writer, o WriterOptions) (*Writer, error) {
	if o.Snaplen == 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.Snaplen < 1 || o.Snaplen > MaxSnaplen {
		return nil, fmt.Errorf("snap length %d: %w", o.Snaplen, ErrSnaplen)
	}
	if _, err := ParseLink(o.Link.String()); err != nil {
		return nil, err
	}
	wr := &Writer{
		bw:      bufio.NewWriterSize(w, 1<<20),
		link:    o.Link,
		format:  o.Format,
		snaplen: o.Snaplen,
		frame:   make([]byte, 0, 2048),
	}
	dlt := o.Link.DLT()
	switch o.Format {
	case FormatPcap:
		wr.pw = pcapgo.NewWriter(wr.bw)
		var err error
		if dlt <= math.MaxUint8 {
			err = wr.pw.WriteFileHeader(uint32(o.Snaplen), layers.LinkType(dlt))
		} else {
			_, err = wr.bw.Write(pcapFileHeader(uint32(o.Snaplen), dlt))
		}
		if err != nil {
			return nil, fmt.Errorf("write file header: %w", err)
		}
	case FormatPcapNG:
		// pcapgo's interface block holds the link type in 8 bits; capture
		// the header blocks and patch the full 16-bit value in.
		hdr := &headerTap{}
		intf := pcapgo.NgInterface{
			Name:                "synth0",
			LinkType:            layers.LinkType(dlt),
			SnapLength:          uint32(o.Snaplen),
			TimestampResolution: 9,
		}
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "pcapgen"}}
		nw, err := pcapgo.NewNgWriterInterface(hdr, intf, opts)
		if err == nil {
			err = nw.Flush()
		}
		if err == nil {
			err = hdr.patchLinkType(dlt)
		}
		if err != nil {
			return nil, fmt.Errorf("write section header: %w", err)
		}
		if _, err := wr.bw.Write(hdr.buf); err != nil {
			return nil, fmt.Errorf("write section header: %w", err)
		}
		hdr.w = wr.bw
		wr.nw = nw
	default:
		return nil, fmt.Errorf("format %d: %w", o.Format, ErrUnknownFormat)
	}
	return wr, nil
}

// Packets returns the number of packet records written so far, including a
// cut one.
func (w *Writer) Packets() int { return w.packets }

// Write writes one event. A packet event becomes one record; its frame is
// built at full length and cut at the snap length.
func (w *Writer) Write(ev *Event) error {
	if w.ended {
		return ErrEnded
	}
	if ev.Kind == KindBlock {
		if w.format != FormatPcapNG {
			return fmt.Errorf("raw block: %w", ErrFormat)
		}
		return w.raw(ev.Block)
	}
	frame, err := BuildFrame(w.frame, w.link, &ev.Packet, ev.Len)
	if err != nil {
		return err
	}
	w.frame = frame
	if err := w.checkTime(ev); err != nil {
		return err
	}
	caplen := min(len(frame), w.snaplen)
	orig := ev.Len
	if ev.OrigLen > 0 {
		orig = ev.OrigLen
	}
	w.packets++
	if ev.OrigLen > 0 || ev.Cut {
		rec := w.record(ev, frame[:caplen], orig)
		if ev.Cut {
			rec = rec[:len(rec)-caplen-w.trailer(caplen)+caplen/2]
			w.ended = true
		}
		return w.raw(rec)
	}
	ci := gopacket.CaptureInfo{Timestamp: ev.Time, CaptureLength: caplen, Length: orig}
	if w.nw != nil {
		err = w.nw.WritePacket(ci, frame[:caplen])
	} else {
		err = w.pw.WritePacket(ci, frame[:caplen])
	}
	if err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.nw != nil {
		if err := w.nw.Flush(); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// checkTime reports whether the format can hold the event's timestamp.
func (w *Writer) checkTime(ev *Event) error {
	if ev.Time.IsZero() {
		return fmt.Errorf("zero timestamp: %w", ErrTime)
	}
	if w.format == FormatPcap {
		if s := ev.Time.Unix(); s < 0 || s > math.MaxUint32 {
			return fmt.Errorf("%v: %w", ev.Time, ErrTime)
		}
		return nil
	}
	if y := ev.Time.Year(); y < 1970 || y > 2261 {
		return fmt.Errorf("%v: %w", ev.Time, ErrTime)
	}
	return nil
}

// raw writes bytes between records, after anything the pcapng writer holds.
func (w *Writer) raw(b []byte) error {
	if w.nw != nil {
		if err := w.nw.Flush(); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
	}
	if _, err := w.bw.Write(b); err != nil {
		return fmt.Errorf("write raw record: %w", err)
	}
	return nil
}

// trailer returns the bytes a record has after its captured data.
func (w *Writer) trailer(caplen int) int {
	if w.format == FormatPcapNG {
		return (4-caplen%4)%4 + 4
	}
	return 0
}

// record builds a record by hand, for the cases the pcapgo writers refuse.
func (w *Writer) record(ev *Event, data []byte, orig int) []byte {
	caplen := len(data)
	if w.format == FormatPcapNG {
		w.rec = AppendEPB(w.rec[:0], ev.Time.UnixNano(), caplen, orig, data)
		return w.rec
	}
	b := w.rec[:0]
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.Time.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(ev.Time.Nanosecond()/1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(caplen))
	b = binary.LittleEndian.AppendUint32(b, uint32(orig))
	b = append(b, data...)
	w.rec = b
	return b
}

// AppendEPB appends a pcapng enhanced packet block for interface 0 with a
// nanosecond timestamp, the given captured and original lengths, and data,
// padded to 4 bytes.
func AppendEPB(b []byte, nanos int64, caplen, orig int, data []byte) []byte {
	pad := (4 - len(data)%4) % 4
	total := uint32(32 + len(data) + pad)
	b = binary.LittleEndian.AppendUint32(b, 6)
	b = binary.LittleEndian.AppendUint32(b, total)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(uint64(nanos)>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(nanos))
	b = binary.LittleEndian.AppendUint32(b, uint32(caplen))
	b = binary.LittleEndian.AppendUint32(b, uint32(orig))
	b = append(b, data...)
	b = append(b, make([]byte, pad)...)
	return binary.LittleEndian.AppendUint32(b, total)
}

// AppendBlock appends a pcapng block of type typ with body, padded to 4
// bytes, with both length fields.
func AppendBlock(b []byte, typ uint32, body []byte) []byte {
	pad := (4 - len(body)%4) % 4
	total := uint32(12 + len(body) + pad)
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = binary.LittleEndian.AppendUint32(b, total)
	b = append(b, body...)
	b = append(b, make([]byte, pad)...)
	return binary.LittleEndian.AppendUint32(b, total)
}

// pcapFileHeader returns a pcap file header (v2.4, little-endian,
// microseconds) for a link type pcapgo cannot express.
func pcapFileHeader(snaplen, dlt uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0) // time zone
	b = binary.LittleEndian.AppendUint32(b, 0) // sigfigs
	b = binary.LittleEndian.AppendUint32(b, snaplen)
	return binary.LittleEndian.AppendUint32(b, dlt)
}

// headerTap collects what a pcapng writer writes until w is set, then
// passes writes through to w.
type headerTap struct {
	buf []byte
	w   io.Writer
}

func (h *headerTap) Write(b []byte) (int, error) {
	if h.w != nil {
		return h.w.Write(b)
	}
	h.buf = append(h.buf, b...)
	return len(b), nil
}

// patchLinkType sets the link type of the interface description block that
// follows the section header block in buf.
func (h *headerTap) patchLinkType(dlt uint32) error {
	if len(h.buf) < 12 {
		return fmt.Errorf("short section header: %w", ErrFormat)
	}
	idb := int(binary.LittleEndian.Uint32(h.buf[4:8]))
	if len(h.buf) < idb+10 || binary.LittleEndian.Uint32(h.buf[idb:]) != 1 {
		return fmt.Errorf("no interface description block: %w", ErrFormat)
	}
	binary.LittleEndian.PutUint16(h.buf[idb+8:], uint16(dlt))
	return nil
}
