package report

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// The fixed parts of the classic report.
const (
	serviceWidth = 11 // service names are cut to this many characters
	ruleWidth    = 79 // width of the classic rules
)

// WriteText writes r as the classic text report, with one Write call:
//
//	Date:   Mon Aug  6 11:04:37 2001
//	Network: 10.10.123.0 <halifax>
//	Showing top 20 connections
//	Bandwidth threshold: 22.00 kBps, exceeded for: 5.00 min
//	===============================================================================
//	FROM            < PORT>     TO              < PORT>  PROT   KBYTES  SERVICE
//	-------------------------------------------------------------------------------
//	10.10.123.173   < 4359> <-> 10.100.11.13    <  143>  tcp   9145.89  imap2
//	===============================================================================
//
// followed by an empty line, so that reports appended to one file stay
// apart. "Showing top N" appears only when r.Top > 0, the accumulated
// exceeded time only when r.Accum is set, a note of the subnets evicted
// and the packets dropped in the episode only when there are some
// ("Note: 2980746 subnets evicted, 12 packets dropped by the kernel in this
// episode", under the header), the episode's evidence file with
// evidencedir, and a line counting the hidden connections only when there
// are some. When a row names its remote side (Row.Name), a NAME (SOURCE)
// column follows SERVICE ("www.example.com (dns)") and an attribution
// block before the last rule gives the share of the bytes by registered
// domain and, when ASNs are known, by ASN; without names and ASNs the
// report is the classic one. Addresses take 15 columns, PROT 4 and KBYTES 9, as classic
// reports do; when a row has a longer value (an IPv6 address, "ipv6-icmp",
// 1000000 kBytes or more) its column, the header and the rules widen to fit
// the longest, for the whole report.
//
// Times are printed in the location they carry: the engine's packet times
// come from time.Unix and so are in time.Local, which follows TZ. Service
// and protocol names come from names; nil means EmbeddedNames().
func WriteText(w io.Writer, r Report, names *Names) error {
	b := AppendText(make([]byte, 0, 512+160*len(r.Rows)), r, names)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// AppendText appends the text report of r, as WriteText writes it, to dst
// and returns the extended buffer. It does not allocate when dst has room.
func AppendText(dst []byte, r Report, names *Names) []byte {
	dst = append(dst, "Date:   "...)
	dst = r.Time.AppendFormat(dst, dateLayout)
	dst = append(dst, "\nNetwork: "...)
	dst = appendTitle(dst, r)
	dst = append(dst, '\n')
	if r.Top > 0 {
		dst = append(dst, "Showing top "...)
		dst = appendUint(dst, uint64(r.Top), 0)
		dst = append(dst, " connections\n"...)
	}
	dst = append(dst, "Bandwidth threshold: "...)
	dst = appendFloat(dst, r.Threshold, 0)
	dst = append(dst, " kBps, exceeded for: "...)
	dst = appendFloat(dst, r.Exceeded.Minutes(), 0)
	dst = append(dst, " min\n"...)
	dst = appendRates(dst, r)
	if r.Accum != nil {
		dst = appendAccum(dst, r.Accum)
	}
	if r.EvictedSubnets > 0 || r.Dropped > 0 {
		dst = appendNote(dst, r.EvictedSubnets, r.Dropped)
	}
	dst = appendEvidence(dst, r)
	for _, l := range r.Sampled {
		dst = append(dst, "Sampled: "...)
		dst = append(dst, l...)
		dst = append(dst, '\n')
	}

	c := textColumns(r.Rows, names)
	rule := ruleWidth + 2*(c.addr-classicWidth) + c.proto - protoWidth + c.kb - kbWidth
	if c.name > 0 {
		rule += 2 + c.name
	}
	dst = appendRepeat(dst, '=', rule)
	dst = append(dst, '\n')
	dst = appendLeft(dst, "FROM", c.addr)
	dst = append(dst, " < PORT>     "...)
	dst = appendLeft(dst, "TO", c.addr)
	dst = append(dst, " < PORT> "...)
	dst = appendRight(dst, "PROT", c.proto+1)
	dst = appendRight(dst, "KBYTES", c.kb)
	if c.name > 0 {
		dst = append(dst, "  "...)
		dst = appendLeft(dst, "SERVICE", serviceWidth)
		dst = append(dst, "  NAME (SOURCE)\n"...)
	} else {
		dst = append(dst, "  SERVICE\n"...)
	}
	dst = appendRepeat(dst, '-', rule)
	dst = append(dst, '\n')
	for _, row := range r.Rows {
		dst = appendRow(dst, row, c, names)
	}
	if r.Hidden.Conns > 0 {
		dst = appendCount(dst, r.Hidden.Conns, "connection")
		dst = append(dst, " not shown ("...)
		dst = appendFloat(dst, kB(r.Hidden.Bytes), 0)
		dst = append(dst, " kBytes): table limit reached\n"...)
	}
	if c.name > 0 || hasASN(r.Rows) {
		dst = appendAttribution(dst, Attribute(r))
	}
	dst = appendRepeat(dst, '=', rule)
	return append(dst, "\n\n"...)
}

// appendNote appends the line that says what the episode lost: "Note: 2
// subnets evicted, 12 packets dropped by the kernel in this episode",
// either part alone when the other is 0.
func appendNote(dst []byte, evicted, dropped uint64) []byte {
	dst = append(dst, "Note: "...)
	if evicted > 0 {
		dst = appendCount(dst, evicted, "subnet")
		dst = append(dst, " evicted"...)
		if dropped > 0 {
			dst = append(dst, ", "...)
		}
	}
	if dropped > 0 {
		dst = appendCount(dst, dropped, "packet")
		dst = append(dst, " dropped by the kernel"...)
	}
	return append(dst, " in this episode\n"...)
}

// appendAccum appends the -A line.
func appendAccum(dst []byte, a *Accumulated) []byte {
	pct := 0.0
	if a.Elapsed > 0 {
		pct = float64(a.Total) / float64(a.Elapsed) * 100
	}
	dst = append(dst, "Threshold exceeded time since "...)
	dst = a.Since.AppendFormat(dst, dateLayout)
	dst = append(dst, ": "...)
	dst = appendFloat(dst, a.Total.Minutes(), 0)
	dst = append(dst, " min ("...)
	dst = appendFloat(dst, pct, 0)
	return append(dst, "%)\n"...)
}

// appendRow appends one connection line:
// "%-15s <%5d> <-> %-15s <%5d> %4s %9.2f  %s\n", with the widths of c.
func appendRow(dst []byte, row Row, c columns, names *Names) []byte {
	dst = appendAddr(dst, row.Src, c.addr)
	dst = append(dst, " <"...)
	dst = appendUint(dst, uint64(row.SrcPort), 5)
	dst = append(dst, "> <-> "...)
	dst = appendAddr(dst, row.Dst, c.addr)
	dst = append(dst, " <"...)
	dst = appendUint(dst, uint64(row.DstPort), 5)
	dst = append(dst, "> "...)
	dst = appendRight(dst, names.Protocol(row.Proto), c.proto)
	dst = append(dst, ' ')
	dst = appendFloat(dst, kB(row.Bytes), c.kb)
	dst = append(dst, "  "...)
	svc := names.RowService(row)
	dst = appendCut(dst, svc, serviceWidth)
	if c.name > 0 && row.Name != "" {
		dst = appendSpaces(dst, serviceWidth-min(utf8.RuneCountInString(svc), serviceWidth)+2)
		dst = appendRowName(dst, row)
	}
	return append(dst, '\n')
}

// appendRowName appends the remote side's name and its source,
// "www.example.com (dns)", control characters replaced.
func appendRowName(dst []byte, row Row) []byte {
	dst = appendSafe(dst, row.Name)
	dst = append(dst, " ("...)
	dst = appendSafe(dst, row.NameSource)
	return append(dst, ')')
}

// rowNameLen is the width of appendRowName(row), 0 for a row with no name.
func rowNameLen(row Row) int {
	if row.Name == "" {
		return 0
	}
	var buf [320]byte
	return utf8.RuneCount(appendRowName(buf[:0], row))
}

// hasASN reports whether a row has an ASN.
func hasASN(rows []Row) bool {
	for _, r := range rows {
		if r.ASN != 0 {
			return true
		}
	}
	return false
}

// appendAttribution appends the attribution block: a line of the shares
// by remote name suffix, and one by ASN, each when known:
//
//	By name: example.com 62.5%, example.org 20.0%, (unnamed) 17.5%
//	By ASN: AS64500 Example Net 80.0%, (unknown) 20.0%
func appendAttribution(dst []byte, a Attribution) []byte {
	for _, l := range [...]struct {
		title  string
		shares []Share
	}{{"By name: ", a.ByName}, {"By ASN: ", a.ByASN}} {
		if l.shares == nil {
			continue
		}
		dst = append(dst, l.title...)
		for i, s := range l.shares {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendSafe(dst, s.Key)
			dst = append(dst, ' ')
			pct := 0.0
			if a.Total > 0 {
				pct = float64(s.Bytes) / float64(a.Total) * 100
			}
			dst = strconv.AppendFloat(dst, pct, 'f', 1, 64)
			dst = append(dst, '%')
		}
		dst = append(dst, '\n')
	}
	return dst
}

// The classic widths of the PROT and KBYTES columns.
const (
	protoWidth = 4
	kbWidth    = 9
)

// columns are the widths of a report's variable columns.
type columns struct {
	addr, proto, kb int
	name            int // the widest "name (source)", 0 when no row has a name
}

// textColumns returns the column widths for rows: the classic 15, 4 and
// 9, or the longest address, protocol name or kBytes of rows when that
// is longer, so that a wide value widens its column for the whole report
// instead of shifting its row.
func textColumns(rows []Row, names *Names) columns {
	c := columns{addr: classicWidth, proto: protoWidth, kb: kbWidth}
	for _, r := range rows {
		c.addr = max(c.addr, addrLen(r.Src), addrLen(r.Dst))
		c.proto = max(c.proto, utf8.RuneCountInString(names.Protocol(r.Proto)))
		c.kb = max(c.kb, floatLen(kB(r.Bytes)))
		c.name = max(c.name, rowNameLen(r))
	}
	return c
}

// Title returns the subnet and its name as reports show them:
// "10.10.123.0 <halifax>", or "10.10.123.0" when the subnet has no name.
// IPv4 subnets of the mask in force (r.MaskBits) print their address
// only, other subnets their prefix ("10.10.0.0/16", "2001:db8:1::/48
// <lab>"). Control characters, line separators and
// invalid UTF-8 in the name are replaced by '?', so the title is one line,
// safe in a mail header.
func Title(r Report) string {
	return string(appendTitle(make([]byte, 0, 64), r))
}

// appendTitle appends Title(r).
func appendTitle(dst []byte, r Report) []byte {
	dst = appendSubnet(dst, r.Subnet, r.MaskBits)
	if r.Name != "" {
		dst = append(dst, " <"...)
		dst = appendSafe(dst, r.Name)
		dst = append(dst, '>')
	}
	return dst
}

// Subject returns the mail subject of r: "Bandwidth report for " followed
// by Title(r).
func Subject(r Report) string {
	return "Bandwidth report for " + Title(r)
}

// appendRates appends the line of the rates of the period that fired the
// report, by direction, and what was over:
// "Rate: 32.63 kBps (in 30.10 of 25.00, out 2.53), over: total+in".
func appendRates(dst []byte, r Report) []byte {
	dst = append(dst, "Rate: "...)
	dst = appendFloat(dst, r.KBps, 0)
	dst = append(dst, " kBps (in "...)
	dst = appendFloat(dst, r.InKBps, 0)
	if r.ThresholdIn > 0 {
		dst = append(dst, " of "...)
		dst = appendFloat(dst, r.ThresholdIn, 0)
	}
	dst = append(dst, ", out "...)
	dst = appendFloat(dst, r.OutKBps, 0)
	if r.ThresholdOut > 0 {
		dst = append(dst, " of "...)
		dst = appendFloat(dst, r.ThresholdOut, 0)
	}
	dst = append(dst, "), over: "...)
	if r.Over == 0 {
		dst = append(dst, "none"...)
	}
	dst = r.Over.append(dst)
	return append(dst, '\n')
}
