package report

import (
	"context"
	"io"
)

// jsonPeriod is a Period as a stats line.
type jsonPeriod struct {
	Version        int        `json:"version"`
	Start          string     `json:"start"`
	End            string     `json:"end"`
	Periods        int64      `json:"periods"`
	Subnets        []jsonLine `json:"subnets"`
	Packets        uint64     `json:"packets"`
	IP             uint64     `json:"ip"`
	NotIP          uint64     `json:"not_ip"`
	Malformed      uint64     `json:"malformed"`
	EvictedSubnets uint64     `json:"evicted_subnets"`
	EvictedConns   uint64     `json:"evicted_connections"`
	Dropped        uint64     `json:"dropped"`
	// Names of the other side: DNS answers used, ignored and malformed,
	// names and claims evicted; when not 0.
	DNSAnswers   uint64 `json:"dns_answers,omitempty"`
	DNSIgnored   uint64 `json:"dns_ignored,omitempty"`
	DNSMalformed uint64 `json:"dns_malformed,omitempty"`
	NamesEvicted uint64 `json:"names_evicted,omitempty"`
	// Flow collection only.
	Records   uint64         `json:"records,omitempty"`
	LateBytes uint64         `json:"late_bytes,omitempty"`
	Unknown   uint64         `json:"unknown_exporter_datagrams,omitempty"`
	Exporters []jsonExporter `json:"exporters,omitempty"`
}

type jsonExporter struct {
	Address        string  `json:"address"`
	Name           string  `json:"name"`
	Datagrams      uint64  `json:"datagrams"`
	Records        uint64  `json:"records"`
	Bytes          uint64  `json:"bytes"`
	Malformed      uint64  `json:"malformed"`
	SeqGaps        uint64  `json:"sequence_gaps"`
	TemplateMisses uint64  `json:"template_misses"`
	Sampling       uint64  `json:"sampling"`
	Offset         float64 `json:"clock_offset_seconds"`
	LateBytes      uint64  `json:"late_bytes"`
}

type jsonLine struct {
	Subnet        string  `json:"subnet"`
	Name          string  `json:"name"`
	Bytes         uint64  `json:"bytes"`
	KBps          float64 `json:"kbps"`
	ThresholdKBps float64 `json:"threshold_kbps"`
	Logging       bool    `json:"logging"`

	InBytes   uint64   `json:"in_bytes"`
	OutBytes  uint64   `json:"out_bytes"`
	InKBps    float64  `json:"in_kbps"`
	OutKBps   float64  `json:"out_kbps"`
	ThreshIn  float64  `json:"threshold_in_kbps,omitempty"`
	ThreshOut float64  `json:"threshold_out_kbps,omitempty"`
	Over      []string `json:"over"`
	P95       *jsonP95 `json:"p95,omitempty"`
}

// jsonP95 is a line's Percentiles.
type jsonP95 struct {
	KBps      float64 `json:"kbps"`
	InKBps    float64 `json:"in_kbps"`
	OutKBps   float64 `json:"out_kbps"`
	Intervals int     `json:"intervals"`
	Over      int     `json:"intervals_over"`
	OverIn    int     `json:"intervals_over_in"`
	OverOut   int     `json:"intervals_over_out"`
}

// p95JSON returns pct as JSON, or nil when no interval has closed.
func p95JSON(pct Percentiles) *jsonP95 {
	if pct.Intervals == 0 {
		return nil
	}
	return &jsonP95{KBps: finite(pct.Total), InKBps: finite(pct.In), OutKBps: finite(pct.Out),
		Intervals: pct.Intervals, Over: pct.Over, OverIn: pct.OverIn, OverOut: pct.OverOut}
}

// AppendPeriodJSON appends p as one stats object, without a trailing
// newline, to dst and returns the extended buffer: the machine-readable
// -d 2 table, following docs/ipband-stats.schema.json.
//
//	{"version":1,"start":"2001-08-06T11:03:37Z","end":"2001-08-06T11:04:37Z",
//	 "periods":1,"subnets":[{"subnet":"10.10.81.0/24","name":"toronto",
//	   "bytes":1093837,"kbps":17.8,"threshold_kbps":22,"logging":false,
//	   "in_bytes":737280,"out_bytes":356557,"in_kbps":12,"out_kbps":5.8,
//	   "over":[],"p95":{"kbps":20.1,"in_kbps":14.2,"out_kbps":6.3,
//	   "intervals":288,"intervals_over":0,"intervals_over_in":0,
//	   "intervals_over_out":0}}],
//	 "packets":1500,"ip":1500,"not_ip":0,"malformed":0,
//	 "evicted_subnets":0,"evicted_connections":0,"dropped":0}
//
// "subnets" has the lines of the table, in its order (an empty list for an
// empty period); "p95", when the engine keeps a RateWindow and an
// interval of the subnet has closed, has the 95th percentiles of its
// 5-minute rates of the last 24 hours and the intervals over its
// thresholds. A summary that stands for a run of idle periods (Repeat
// > 0) is one object whose "periods" counts them all and whose "end" is
// the end of the last; its subnets show the bytes and rate of each of
// those periods (all 0), and its counters the whole run. Otherwise
// "periods" is 1 and [start, end) is the period.
func AppendPeriodJSON(dst []byte, p *Period) []byte {
	if p == nil {
		p = &Period{}
	}
	j := jsonPeriod{
		Version:        JSONVersion,
		Start:          p.Start.Format(TimeLayout),
		End:            endOfRepeat(p).Format(TimeLayout),
		Periods:        p.Repeat + 1,
		Subnets:        make([]jsonLine, 0, len(p.Lines)),
		Packets:        p.Stats.Packets,
		IP:             p.Stats.IP,
		NotIP:          p.Stats.Other,
		Malformed:      p.Stats.Malformed,
		EvictedSubnets: p.Stats.EvictedSubnets,
		EvictedConns:   p.Stats.EvictedConns,
		Dropped:        p.Stats.Dropped,
		DNSAnswers:     p.Stats.DNSAnswers,
		DNSIgnored:     p.Stats.DNSIgnored,
		DNSMalformed:   p.Stats.DNSMalformed,
		NamesEvicted:   p.Stats.NamesEvicted,
		Records:        p.Stats.Records,
		LateBytes:      p.Stats.LateBytes,
		Unknown:        p.UnknownDatagrams,
	}
	for _, x := range p.Exporters {
		j.Exporters = append(j.Exporters, jsonExporter{
			Address: x.Addr.String(), Name: x.Name, Datagrams: x.Datagrams, Records: x.Records,
			Bytes: x.Bytes, Malformed: x.Malformed, SeqGaps: x.SeqGaps, TemplateMisses: x.TemplateMisses,
			Sampling: max(x.Sampling, 1), Offset: x.Offset.Seconds(), LateBytes: x.LateBytes,
		})
	}
	for _, l := range p.Lines {
		j.Subnets = append(j.Subnets, jsonLine{
			Subnet:        l.Subnet.String(),
			Name:          l.Name,
			Bytes:         l.Bytes,
			KBps:          finite(l.KBps),
			ThresholdKBps: finite(l.Threshold),
			Logging:       l.Logging,
			InBytes:       l.InBytes,
			OutBytes:      l.OutBytes,
			InKBps:        finite(l.InKBps),
			OutKBps:       finite(l.OutKBps),
			ThreshIn:      finite(l.ThresholdIn),
			ThreshOut:     finite(l.ThresholdOut),
			Over:          l.Over.names(),
			P95:           p95JSON(l.P95),
		})
	}
	return appendJSONValue(dst, &j)
}

// StatsFile is the statsfile output: at the end of every period it appends
// one line, as AppendPeriodJSON renders it, to a file (JSON Lines). The
// file is kept open; Reopen opens it again by name after log rotation. A
// line that cannot be written is lost: the fault is logged once, with the
// count of lost lines when the file works again. A StatsFile is safe for
// concurrent use.
type StatsFile struct {
	name string
	out  *lineFile
}

var (
	_ Output   = (*StatsFile)(nil)
	_ Reopener = (*StatsFile)(nil)
	_ Closer   = (*StatsFile)(nil)
)

// NewStatsFile opens the stats file at path for appending, creating it
// with mode 0644 if needed; "-" means standard output. Faults are logged
// with logf (nil discards them). The error, when the file cannot be
// opened, names the path.
func NewStatsFile(path string, logf Logf) (*StatsFile, error) {
	name := "stats file " + path
	out, err := openLineFile(path, name, logf)
	if err != nil {
		return nil, err
	}
	return &StatsFile{name: name, out: out}, nil
}

// NewStatsWriter returns a StatsFile writing to w, which it never closes.
func NewStatsWriter(w io.Writer, logf Logf) *StatsFile {
	const name = "stats output"
	return &StatsFile{name: name, out: newLineWriter(w, name, logf)}
}

// Name returns "stats file PATH".
func (s *StatsFile) Name() string { return s.name }

// Period appends the line of p.
func (s *StatsFile) Period(p *Period) error {
	n := 256
	if p != nil {
		n += 128 * len(p.Lines)
	}
	b := AppendPeriodJSON(make([]byte, 0, n), p)
	return s.out.write(append(b, '\n'))
}

// Report does nothing: reports go to the other outputs.
func (s *StatsFile) Report(Report) error { return nil }

// Reopen closes the file and opens it again by name.
func (s *StatsFile) Reopen() error { return s.out.reopen() }

// Close closes the file.
func (s *StatsFile) Close(context.Context) error { return s.out.close() }
