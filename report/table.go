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
// threshold. A value longer than its column (an IPv6 prefix beyond 15,
// 100000 kB or more in a period, 100000 kBps, a threshold of 1000 kBps)
// widens that column and the closing line for the whole table. Then come, when there
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
	c := tableColumns(p)
	for _, l := range p.Lines {
		mark := byte(' ')
		if l.Logging {
			mark = '*'
		}
		dst = append(dst, mark)
		dst = appendPadded(dst, c.subnet, false, func(b []byte) []byte {
			return appendSubnet(b, l.Subnet, p.MaskBits)
		})
		dst = appendFloat(dst, kB(l.Bytes), c.kb)
		dst = append(dst, " kB "...)
		dst = appendFloat(dst, l.KBps, c.kbps)
		dst = append(dst, '/')
		dst = appendFloat(dst, l.Threshold, c.threshold)
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
	dst = appendRepeat(dst, '*', tableRule+c.extra())
	return append(dst, '\n')
}

// The classic widths of the table's columns.
const (
	tableKBWidth        = 8
	tableKBpsWidth      = 8
	tableThresholdWidth = 6
)

// tableCols are the widths of a table's columns.
type tableCols struct {
	subnet, kb, kbps, threshold int
}

// tableColumns returns the column widths for p: the classic 15, 8, 8 and
// 6, or the longest value of a column when that is longer, so that a wide
// value widens its column for the whole table.
func tableColumns(p *Period) tableCols {
	c := tableCols{subnet: classicWidth, kb: tableKBWidth, kbps: tableKBpsWidth, threshold: tableThresholdWidth}
	for _, l := range p.Lines {
		c.subnet = max(c.subnet, subnetLen(l.Subnet, p.MaskBits))
		c.kb = max(c.kb, floatLen(kB(l.Bytes)))
		c.kbps = max(c.kbps, floatLen(l.KBps))
		c.threshold = max(c.threshold, floatLen(l.Threshold))
	}
	return c
}

// extra is how much wider than the classic table c is.
func (c tableCols) extra() int {
	return c.subnet - classicWidth + c.kb - tableKBWidth + c.kbps - tableKBpsWidth + c.threshold - tableThresholdWidth
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
		{"ignored DNS answers", s.DNSIgnored},
		{"malformed DNS", s.DNSMalformed},
		{"evicted names", s.NamesEvicted},
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
