package evidence

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"strings"
	"time"

	"ipband/watchdog/pcapfile"
)

// The pcapng format, little endian: a Section Header Block whose comment
// names the episode, one Interface Description Block with nanosecond
// timestamps, then an Enhanced Packet Block per frame.
const (
	blockSHB     = 0x0A0D0D0A
	blockIDB     = 1
	blockEPB     = 6
	byteOrder    = 0x1A2B3C4D
	optComment   = 1
	optTSResol   = 9
	tsResolNanos = 9  // if_tsresol: 10^-9 s
	epbFixedLen  = 32 // an Enhanced Packet Block without its data
)

// The comment of an evidence file's section header, which says what the
// file holds:
//
//	ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z
//
// the subnet as a prefix, and the start of its detail-logging episode in
// UTC with nanoseconds. FormatEpisode writes it and ParseEpisode reads it.
const (
	episodePrefix = "ipband evidence: subnet "
	episodeStart  = " episode-start "
	episodeLayout = "2006-01-02T15:04:05.000000000Z"
)

// FormatEpisode returns the comment of the evidence file of sub's episode
// that started at start (Unix ns).
func FormatEpisode(sub netip.Prefix, start int64) string {
	return episodePrefix + sub.String() + episodeStart + time.Unix(0, start).UTC().Format(episodeLayout)
}

// ParseEpisode reads a comment that FormatEpisode wrote: the subnet and
// the episode's start (Unix ns). ok is false for any other text, so that
// the comment of another program's file is not mistaken for one.
func ParseEpisode(comment string) (sub netip.Prefix, start int64, ok bool) {
	rest, found := strings.CutPrefix(comment, episodePrefix)
	if !found {
		return netip.Prefix{}, 0, false
	}
	p, at, found := strings.Cut(rest, episodeStart)
	if !found {
		return netip.Prefix{}, 0, false
	}
	sub, err := netip.ParsePrefix(p)
	if err != nil || sub.Masked() != sub || sub.String() != p {
		return netip.Prefix{}, 0, false
	}
	t, err := time.Parse(episodeLayout, at)
	if err != nil {
		return netip.Prefix{}, 0, false
	}
	return sub, t.UnixNano(), true
}

// pad4 rounds n up to a multiple of 4.
func pad4(n int) int { return (n + 3) &^ 3 }

// appendFileHeader appends the section header, with comment, and the
// interface description for linkType and snaplen.
func appendFileHeader(dst []byte, comment string, linkType pcapfile.LinkType, snaplen int) []byte {
	le := binary.LittleEndian
	c := min(len(comment), pcapfile.MaxComment)
	shb := uint32(28 + 4 + pad4(c) + 4)
	dst = le.AppendUint32(dst, blockSHB)
	dst = le.AppendUint32(dst, shb)
	dst = le.AppendUint32(dst, byteOrder)
	dst = le.AppendUint16(dst, 1) // version 1.0
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint64(dst, ^uint64(0)) // section length not given
	dst = le.AppendUint16(dst, optComment)
	dst = le.AppendUint16(dst, uint16(c))
	dst = append(dst, comment[:c]...)
	dst = append(dst, make([]byte, pad4(c)-c)...)
	dst = le.AppendUint32(dst, 0) // opt_endofopt
	dst = le.AppendUint32(dst, shb)

	const idb = 20 + 8 + 4
	dst = le.AppendUint32(dst, blockIDB)
	dst = le.AppendUint32(dst, idb)
	dst = le.AppendUint16(dst, uint16(linkType))
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint32(dst, uint32(snaplen))
	dst = le.AppendUint16(dst, optTSResol)
	dst = le.AppendUint16(dst, 1)
	dst = append(dst, tsResolNanos, 0, 0, 0)
	dst = le.AppendUint32(dst, 0) // opt_endofopt
	return le.AppendUint32(dst, idb)
}

// recordLen is the length of the block of a frame of n bytes.
func recordLen(n int) int { return epbFixedLen + pad4(n) }

// writeRecord writes one Enhanced Packet Block: time t (Unix ns, taken as
// 0 when before 1970), the length on the wire and the captured bytes.
func writeRecord(w *bufio.Writer, t int64, wireLen uint32, data []byte) error {
	le := binary.LittleEndian
	blen := uint32(recordLen(len(data)))
	ts := uint64(max(t, 0))
	var h [28]byte
	le.PutUint32(h[0:], blockEPB)
	le.PutUint32(h[4:], blen)
	// interface 0
	le.PutUint32(h[12:], uint32(ts>>32))
	le.PutUint32(h[16:], uint32(ts))
	le.PutUint32(h[20:], uint32(len(data)))
	le.PutUint32(h[24:], max(wireLen, uint32(len(data))))
	_, _ = w.Write(h[:]) // a bufio.Writer's error sticks: the last Write returns it
	_, _ = w.Write(data)
	var tail [8]byte
	le.PutUint32(tail[pad4(len(data))-len(data):], blen)
	_, err := w.Write(tail[:pad4(len(data))-len(data)+4])
	return err
}
