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
//	*10.10.81.0      1068.20 kB    17.80/ 22.00 kBps in    12.00 out     5.80 kBps
//
// marked '*' when it is logging, else ' ', with the subnet as in Title
// (without its name), the kBytes counted this period, the kBps and the
// threshold: the classic columns, up to the first "kBps". Then come the
// rates in (to the subnet) and out (from it), each followed by "/" and its
// threshold when some subnet of the table has one ("/     -" for those
// without). A value longer than its column (an IPv6 prefix beyond 15,
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
// and finally a line of '*' as long as the lines. A nil or empty period with no counters prints
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
		dst = append(dst, " kBps in "...)
		dst = appendFloat(dst, l.InKBps, c.in)
		dst = appendDirThreshold(dst, l.ThresholdIn, c.thrIn)
		dst = append(dst, " out "...)
		dst = appendFloat(dst, l.OutKBps, c.out)
		dst = appendDirThreshold(dst, l.ThresholdOut, c.thrOut)
		dst = append(dst, " kBps\n"...)
	}
	dst = appendStats(dst, p.Stats)
	dst = appendExporters(dst, p)
	if p.Repeat > 0 {
		dst = append(dst, "  ("...)
		dst = appendCount(dst, uint64(p.Repeat), "more idle period")
		dst = append(dst, ", until "...)
		dst = endOfRepeat(p).AppendFormat(dst, dateLayout)
		dst = append(dst, ")\n"...)
	}
	dst = appendRepeat(dst, '*', tableRule+c.extra()+c.dirWidth(len(p.Lines)))
	return append(dst, '\n')
}

// The classic widths of the table's columns.
const (
	tableKBWidth        = 8
	tableKBpsWidth      = 8
	tableThresholdWidth = 6
)

// tableCols are the widths of a table's columns. thrIn and thrOut are 0
// when no line has a threshold for that direction.
type tableCols struct {
	subnet, kb, kbps, threshold int
	in, out, thrIn, thrOut      int
}

// appendDirThreshold appends "/" and a direction's threshold th in width,
// "/" and "-" when th is 0, or nothing when width is 0 (no line has one).
func appendDirThreshold(dst []byte, th float64, width int) []byte {
	if width == 0 {
		return dst
	}
	dst = append(dst, '/')
	if th > 0 {
		return appendFloat(dst, th, width)
	}
	return appendPadded(dst, width, true, func(b []byte) []byte { return append(b, '-') })
}

// tableColumns returns the column widths for p: the classic 15, 8, 8 and
// 6, or the longest value of a column when that is longer, so that a wide
// value widens its column for the whole table.
func tableColumns(p *Period) tableCols {
	c := tableCols{subnet: classicWidth, kb: tableKBWidth, kbps: tableKBpsWidth, threshold: tableThresholdWidth,
		in: tableKBpsWidth, out: tableKBpsWidth}
	for _, l := range p.Lines {
		c.subnet = max(c.subnet, subnetLen(l.Subnet, p.MaskBits))
		c.kb = max(c.kb, floatLen(kB(l.Bytes)))
		c.kbps = max(c.kbps, floatLen(l.KBps))
		c.threshold = max(c.threshold, floatLen(l.Threshold))
		c.in = max(c.in, floatLen(l.InKBps))
		c.out = max(c.out, floatLen(l.OutKBps))
		if l.ThresholdIn > 0 {
			c.thrIn = max(c.thrIn, tableThresholdWidth, floatLen(l.ThresholdIn))
		}
		if l.ThresholdOut > 0 {
			c.thrOut = max(c.thrOut, tableThresholdWidth, floatLen(l.ThresholdOut))
		}
	}
	return c
}

// extra is how much wider than the classic table c is.
func (c tableCols) extra() int {
	return c.subnet - classicWidth + c.kb - tableKBWidth + c.kbps - tableKBpsWidth + c.threshold - tableThresholdWidth
}

// dirWidth is the width of the in/out columns that follow the classic
// ones on each of n lines: 0 when there are none.
func (c tableCols) dirWidth(n int) int {
	if n == 0 {
		return 0
	}
	w := len(" in ") + c.in + len(" out ") + c.out + len(" kBps")
	if c.thrIn > 0 {
		w += 1 + c.thrIn
	}
	if c.thrOut > 0 {
		w += 1 + c.thrOut
	}
	return w
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
		{"late flow bytes", s.LateBytes},
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

// appendExporters appends a line per flow exporter with its health since
// start:
//
//	exporter edge1 (192.0.2.1): 120 datagrams, 3000 records, 4100000 bytes, sampled 1 in 1000
//
// then what it had that was wrong (malformed, sequence gaps, template
// misses, late bytes, a clock offset), and a line of the datagrams from
// unknown exporters when there were some.
func appendExporters(dst []byte, p *Period) []byte {
	for _, x := range p.Exporters {
		dst = append(dst, "  exporter "...)
		dst = append(dst, x.Label()...)
		if x.Name != "" {
			dst = append(dst, " ("...)
			dst = x.Addr.AppendTo(dst)
			dst = append(dst, ')')
		}
		dst = append(dst, ": "...)
		dst = appendCount(dst, x.Datagrams, "datagram")
		dst = append(dst, ", "...)
		dst = appendCount(dst, x.Records, "record")
		dst = append(dst, ", "...)
		dst = appendUint(dst, x.Bytes, 0)
		dst = append(dst, " bytes"...)
		for _, c := range [...]struct {
			name string
			n    uint64
		}{
			{"malformed", x.Malformed},
			{"sequence gaps", x.SeqGaps},
			{"template misses", x.TemplateMisses},
			{"late bytes", x.LateBytes},
		} {
			if c.n > 0 {
				dst = append(dst, ", "...)
				dst = append(dst, c.name...)
				dst = append(dst, ' ')
				dst = appendUint(dst, c.n, 0)
			}
		}
		if x.Sampling > 1 {
			dst = append(dst, ", sampled 1 in "...)
			dst = appendUint(dst, x.Sampling, 0)
		}
		if x.Offset != 0 {
			dst = append(dst, ", clock offset "...)
			dst = append(dst, x.Offset.Round(time.Millisecond).String()...)
		}
		dst = append(dst, '\n')
	}
	if p.UnknownDatagrams > 0 {
		dst = append(dst, "  ("...)
		dst = appendCount(dst, p.UnknownDatagrams, "datagram")
		dst = append(dst, " from unknown exporters dropped)\n"...)
	}
	return dst
}
