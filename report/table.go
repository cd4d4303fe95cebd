package report

import (
	"fmt"
	"io"
	"time"
)

// tableRule is the width of the classic -d 2 table's closing line of '*'.
const tableRule = 48

// WriteTable writes the -d 2 summary of one period, with one Write call.
// Each subnet gets a line
//
//	*10.10.81.0      1068.20 kB    17.80/ 22.00 kBps
//
// marked '*' when it is logging, else ' ', with the subnet as in Title
// (without its name), the kBytes counted this period, the kBps and the
// threshold. A subnet column longer than 15 (IPv6 prefixes) widens the
// column and the closing line for the whole table. Then come, when there
// is something to say, a line with the non-zero counters
//
//	(malformed 3, evicted subnets 12, evicted connections 4, dropped 7)
//
// and, for a summary standing for further idle periods, a line
//
//	(2 more idle periods, until Mon Aug  6 11:07:37 2001)
//
// and finally a line of '*'. A nil or empty period with no counters prints
// the '*' line only.
func WriteTable(w io.Writer, p *Period) error {
	n := 160
	if p != nil {
		n += 64 * len(p.Lines)
	}
	b := AppendTable(make([]byte, 0, n), p)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// AppendTable appends the table WriteTable writes to dst and returns the
// extended buffer. It does not allocate when dst has room.
func AppendTable(dst []byte, p *Period) []byte {
	if p == nil {
		p = &Period{}
	}
	width := classicWidth
	for _, l := range p.Lines {
		width = max(width, subnetLen(l.Subnet))
	}
	for _, l := range p.Lines {
		mark := byte(' ')
		if l.Logging {
			mark = '*'
		}
		dst = append(dst, mark)
		dst = appendPadded(dst, width, false, func(b []byte) []byte {
			return appendSubnet(b, l.Subnet)
		})
		dst = appendFloat(dst, kB(l.Bytes), 8)
		dst = append(dst, " kB "...)
		dst = appendFloat(dst, l.KBps, 8)
		dst = append(dst, '/')
		dst = appendFloat(dst, l.Threshold, 6)
		dst = append(dst, " kBps\n"...)
	}
	dst = appendStats(dst, p.Stats)
	if p.Repeat > 0 {
		dst = append(dst, "  ("...)
		dst = appendCount(dst, uint64(p.Repeat), "more idle period")
		dst = append(dst, ", until "...)
		dst = endOfRepeat(p).AppendFormat(dst, dateLayout)
		dst = append(dst, ")\n"...)
	}
	dst = appendRepeat(dst, '*', tableRule+width-classicWidth)
	return append(dst, '\n')
}

// appendStats appends the line of non-zero fault counters, if any.
func appendStats(dst []byte, s Stats) []byte {
	counters := [...]struct {
		name string
		n    uint64
	}{
		{"malformed", s.Malformed},
		{"evicted subnets", s.EvictedSubnets},
		{"evicted connections", s.EvictedConns},
		{"dropped", s.Dropped},
	}
	sep := "  ("
	for _, c := range counters {
		if c.n == 0 {
			continue
		}
		dst = append(dst, sep...)
		dst = append(dst, c.name...)
		dst = append(dst, ' ')
		dst = appendUint(dst, c.n, 0)
		sep = ", "
	}
	if sep == ", " {
		dst = append(dst, ")\n"...)
	}
	return dst
}

// endOfRepeat is the end of the last of the idle periods a period summary
// stands for: End + Repeat*(End-Start).
func endOfRepeat(p *Period) time.Time {
	return p.End.Add(time.Duration(p.Repeat) * p.End.Sub(p.Start))
}
