package evidence

import (
	"encoding/binary"
	"io"

	"ipband/watchdog/pcapfile"
)

// The classic pcap format, microsecond timestamps, little endian.
const (
	pcapMagic      = 0xa1b2c3d4
	fileHeaderLen  = 24
	recordHeadrLen = 16
)

// appendFileHeader appends the pcap file header for linkType and snaplen.
func appendFileHeader(dst []byte, linkType pcapfile.LinkType, snaplen int) []byte {
	var h [fileHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], pcapMagic)
	binary.LittleEndian.PutUint16(h[4:], 2) // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	// thiszone and sigfigs are 0
	binary.LittleEndian.PutUint32(h[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(h[20:], uint32(linkType))
	return append(dst, h[:]...)
}

// writeRecord writes one record: time t (Unix ns), the length on the wire
// and the captured bytes.
func writeRecord(w io.Writer, t int64, wireLen uint32, data []byte) error {
	var h [recordHeadrLen]byte
	sec, usec := t/1e9, t%1e9/1e3
	if t < 0 && t%1e9 != 0 {
		sec, usec = sec-1, usec+1e6
	}
	binary.LittleEndian.PutUint32(h[0:], uint32(sec))
	binary.LittleEndian.PutUint32(h[4:], uint32(usec))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[12:], max(wireLen, uint32(len(data))))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
