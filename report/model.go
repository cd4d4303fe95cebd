package report

import (
	"net/netip"
	"time"
)

// Report is one forensic report: a subnet that stayed over its threshold
// for the reporting period, and the connections that made up its traffic
// during the episode. A Report is a value: renderers and sinks never change
// it.
type Report struct {
	// Time is the end of the averaging period that fired the report, taken
	// from packet time.
	Time time.Time
	// Subnet is the subnet the report is about.
	Subnet netip.Prefix
	// Name is the subnet's network name (from /etc/networks), or "".
	Name string
	// Threshold is the subnet's threshold in kBytes/s (1 kB = 1024 bytes).
	Threshold float64
	// Exceeded is how long the subnet has been over its threshold in this
	// episode: a multiple of the averaging period.
	Exceeded time.Duration
	// Top is the number of connections asked for (0 means all).
	Top int
	// Accum is the accumulated exceeded time since start (-A with preloaded
	// subnets), or nil.
	Accum *Accumulated
	// Rows are the connections, sorted by bytes descending (ties in
	// first-seen order) and already cut to Top.
	Rows []Row
	// Hidden counts the connections that the detail table's size limit kept
	// out of Rows (evicted while the subnet was logging), and their bytes.
	Hidden Hidden
	// Start is when the episode began: the end of the period in which the
	// subnet crossed its threshold and detail logging started.
	Start time.Time
	// EvictedSubnets is the number of dynamic subnets evicted from the
	// bounded subnet table during the episode (their bytes were lost for
	// their period).
	EvictedSubnets uint64
	// Dropped is the number of frames the kernel or the interface dropped
	// during the episode.
	Dropped uint64
	// KBps is the subnet's rate, in kBytes/s, in the period that fired the
	// report.
	KBps float64
	// InKBps and OutKBps split KBps by direction in that period: bytes to
	// the subnet (in) and from it (out). A packet within the subnet counts
	// in both, once in KBps.
	InKBps, OutKBps float64
	// ThresholdIn and ThresholdOut are the subnet's thresholds per
	// direction in kBytes/s; 0 when it has none.
	ThresholdIn, ThresholdOut float64
	// Over names what was over its threshold in the period that fired the
	// report: the sum, a direction, or several.
	Over Over
	// MaskBits is the IPv4 mask in force (maskbits): an IPv4 subnet of
	// another length is shown with it ("10.10.0.0/16"), one of this length
	// by its address alone. 0 shows every IPv4 subnet by its address.
	MaskBits int
	// Evidence is the capture file holding the episode's frames
	// (evidencedir), or "".
	Evidence string
	// EvidenceDropped counts the episode's frames left out of Evidence so
	// far: the buffer to the file was full, or a size cap was reached.
	EvidenceDropped uint64
	// Sampled has one line per flow exporter whose data is sampled, such as
	// "1 in 1000 (exporter edge1)": its bytes were multiplied by the rate.
	Sampled []string
}

// Accumulated is the time a preloaded subnet has spent over its threshold
// since the watchdog started.
type Accumulated struct {
	// Since is when counting started: the first packet's time in replay, the
	// start time in live capture.
	Since time.Time
	// Total is the exceeded time summed over all reports since Since.
	Total time.Duration
	// Elapsed is the time from Since to the report's Time; the percentage
	// printed is Total/Elapsed.
	Elapsed time.Duration
}

// Row is one connection in a report: the lower address first, its port,
// the higher address, its port, the protocol and the bytes counted.
type Row struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	Bytes            uint64

	// Name is the remote side's name (see Sides) as the local side knows it, or "", and
	// NameSource how it is known: "dns", "sni, confirmed", "sni, claimed",
	// "http, confirmed", "http, claimed" or "ptr".
	Name, NameSource string
	// ASN is the autonomous system of the remote side (asndb), 0 when unknown, and
	// ASOrg its organisation.
	ASN   uint32
	ASOrg string
	// Country is the remote side's ISO 3166 country code (countrydb), or "".
	Country string
}

// Sides returns the local side of row in a report of subnet sub, and
// the remote side, which the row's name, ASN and country are about: the
// remote side is the address outside sub, Dst when both or neither are in
// it.
func Sides(sub netip.Prefix, row Row) (local, remote netip.Addr) {
	if sub.Contains(row.Dst) && !sub.Contains(row.Src) {
		return row.Dst, row.Src
	}
	return row.Src, row.Dst
}

// Hidden counts connections left out of a report by a table limit.
type Hidden struct {
	Conns uint64
	Bytes uint64
}

// Period is the summary of one averaging period: what the -d 2 table and
// the HTML page show.
type Period struct {
	// Start and End bound the period [Start, End).
	Start, End time.Time
	// Lines has one entry per subnet shown: in dynamic mode those with
	// traffic this period plus those logging, in preloaded mode every
	// preloaded subnet. Preloaded subnets come in config order, dynamic
	// ones in address order.
	Lines []Line
	// Repeat is the number of further periods, identical to this one and
	// empty, that this summary stands for (a gap in the capture closed in
	// one step). 0 for an ordinary period.
	Repeat int64
	// Stats are the counters of this period.
	Stats Stats
	// MaskBits is the IPv4 mask in force, as Report.MaskBits: it decides
	// which IPv4 subnets are shown with their length.
	MaskBits int
	// Exporters is the health of each flow exporter since start (flow
	// collection only), in the order they were first heard from.
	Exporters []Exporter
	// UnknownDatagrams counts, since start, datagrams from addresses not
	// listed as a flowexporter (once any is): dropped.
	UnknownDatagrams uint64
}

// Exporter is the health of one flow exporter, counted since start.
type Exporter struct {
	Addr netip.Addr // its address
	Name string     // flowexporter name, or ""
	// Datagrams, Records and Bytes count what was received and counted;
	// Bytes are IP-layer bytes after sampling.
	Datagrams, Records, Bytes uint64
	// Malformed counts datagrams or records that could not be decoded.
	Malformed uint64
	// SeqGaps counts sequence numbers that were not the one expected:
	// lost or reordered datagrams, or an exporter's own numbering.
	SeqGaps uint64
	// TemplateMisses counts data sets that came before their template.
	TemplateMisses uint64
	// Sampling is the last sampling rate in force (1 in N; 1 unsampled).
	Sampling uint64
	// Offset is the shift applied to its flow times (flowskew), 0 if none.
	Offset time.Duration
	// LateBytes counts bytes that came for a period already judged.
	LateBytes uint64
}

// Label is the exporter's name, or its address when it has none.
func (x Exporter) Label() string {
	if x.Name != "" {
		return x.Name
	}
	return x.Addr.String()
}

// Line is one subnet in a period summary.
type Line struct {
	Subnet    netip.Prefix
	Name      string
	Bytes     uint64
	KBps      float64
	Threshold float64
	// InBytes and OutBytes split Bytes by direction: to the subnet (in)
	// and from it (out). A packet within the subnet counts in both, once
	// in Bytes. InKBps and OutKBps are their rates.
	InBytes, OutBytes uint64
	InKBps, OutKBps   float64
	// ThresholdIn and ThresholdOut are the thresholds per direction in
	// kBytes/s; 0 when the subnet has none.
	ThresholdIn, ThresholdOut float64
	// Over names what was over its threshold this period; 0 when nothing
	// was.
	Over Over
	// P95 are the 95th percentiles of the subnet's 5-minute rates over the
	// last 24 hours (RateWindow); zero when not kept.
	P95 Percentiles
	// Logging is true when the subnet is in detail logging after this
	// period's decision (it crossed now or is still over).
	Logging bool
	// Since is when the subnet's detail-logging episode began (the end of
	// the period in which it crossed its threshold, as Report.Start); the
	// zero Time when it is not logging.
	Since time.Time
}

// Stats are the counters the engine keeps per period and in total.
type Stats struct {
	Packets   uint64 // frames seen
	IP        uint64 // IPv4/IPv6 packets counted
	Other     uint64 // frames with no IP packet
	Malformed uint64 // frames with an unusable IP header
	// EvictedSubnets counts dynamic subnets dropped from the bounded table
	// before the period ended; their bytes were lost for that period.
	EvictedSubnets uint64
	// EvictedConns counts connections dropped from detail tables by their
	// size limit.
	EvictedConns uint64
	// Dropped is what the capture source reports as dropped by the kernel
	// or the interface (live capture only).
	Dropped uint64
	// Records counts the flow records counted (flow collection only).
	Records uint64
	// LateBytes counts flow bytes that arrived for a period already
	// judged: shown, never added to a closed period.
	LateBytes uint64
	// DNSAnswers counts DNS answers matched to a query of the same client
	// and used for names; DNSIgnored the answers that matched no query
	// (unsolicited, spoofed, late); DNSMalformed the DNS messages that did
	// not parse; NamesEvicted the names and claims evicted from their
	// bounded tables (namecache).
	DNSAnswers, DNSIgnored, DNSMalformed, NamesEvicted uint64
}

// Add adds the counters of o to s.
func (s *Stats) Add(o Stats) {
	s.Packets += o.Packets
	s.IP += o.IP
	s.Other += o.Other
	s.Malformed += o.Malformed
	s.EvictedSubnets += o.EvictedSubnets
	s.EvictedConns += o.EvictedConns
	s.Dropped += o.Dropped
	s.Records += o.Records
	s.LateBytes += o.LateBytes
	s.DNSAnswers += o.DNSAnswers
	s.DNSIgnored += o.DNSIgnored
	s.DNSMalformed += o.DNSMalformed
	s.NamesEvicted += o.NamesEvicted
}

// Over is a set of what was over its threshold in a period: the sum of
// both directions (the classic threshold), the bytes in, the bytes out.
// The zero Over is nothing over.
type Over uint8

// The members of an Over.
const (
	OverTotal Over = 1 << iota // the sum of both directions
	OverIn                     // bytes to the subnet
	OverOut                    // bytes from the subnet
)

// String names the members, "total", "in" and "out", joined by "+"
// ("total+in"), or "none".
func (o Over) String() string {
	if o == 0 {
		return "none"
	}
	return string(o.append(nil))
}

// names returns the names of o's members, in String's order; an empty,
// not nil, list for nothing over.
func (o Over) names() []string {
	names := []string{}
	for _, m := range [...]struct {
		o    Over
		name string
	}{{OverTotal, "total"}, {OverIn, "in"}, {OverOut, "out"}} {
		if o&m.o != 0 {
			names = append(names, m.name)
		}
	}
	return names
}

// append appends o's String to dst.
func (o Over) append(dst []byte) []byte {
	start := len(dst)
	for _, m := range [...]struct {
		o    Over
		name string
	}{{OverTotal, "total"}, {OverIn, "in"}, {OverOut, "out"}} {
		if o&m.o == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, '+')
		}
		dst = append(dst, m.name...)
	}
	return dst
}
