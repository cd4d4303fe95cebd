package report

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"time"
)

// JSONVersion is the version of ipband's JSON formats: the JSON report,
// the stats line and the notify event. It changes when a field changes
// meaning or goes away; fields may be added within a version. The schemas
// are docs/ipband-report.schema.json and docs/ipband-stats.schema.json.
const JSONVersion = 1

// TimeLayout is the layout of every time in ipband's JSON: RFC 3339 with
// the fraction of a second when there is one, and the offset of the zone
// the time is in ("2001-08-06T11:04:37-04:00").
const TimeLayout = time.RFC3339Nano

// jsonReport is a Report as JSON.
type jsonReport struct {
	Version        int        `json:"version"`
	Time           string     `json:"time"`
	Start          string     `json:"start"`
	Subnet         string     `json:"subnet"`
	Name           string     `json:"name"`
	ThresholdKBps  float64    `json:"threshold_kbps"`
	KBps           float64    `json:"kbps"`
	InKBps         float64    `json:"in_kbps"`
	OutKBps        float64    `json:"out_kbps"`
	ThresholdIn    float64    `json:"threshold_in_kbps,omitempty"`
	ThresholdOut   float64    `json:"threshold_out_kbps,omitempty"`
	Over           []string   `json:"over"`
	ExceededSecs   float64    `json:"exceeded_seconds"`
	Top            int        `json:"top"`
	Accumulated    *jsonAccum `json:"accumulated,omitempty"`
	Connections    []jsonConn `json:"connections"`
	Hidden         jsonHidden `json:"hidden"`
	EvictedSubnets uint64     `json:"evicted_subnets"`
	Dropped        uint64     `json:"dropped"`
	Evidence       *jsonEvid  `json:"evidence,omitempty"`
	Sampled        []string   `json:"sampled,omitempty"`
	Attribution    *jsonAttr  `json:"attribution,omitempty"`
}

// jsonAttr is the attribution of a report's bytes, present when a row has
// a name or an ASN.
type jsonAttr struct {
	ByName []jsonShare `json:"by_name,omitempty"`
	ByASN  []jsonShare `json:"by_asn,omitempty"`
}

type jsonShare struct {
	Key     string  `json:"key"`
	Bytes   uint64  `json:"bytes"`
	Percent float64 `json:"percent"`
}

// jsonEvid is the evidence capture of the episode (evidencedir).
type jsonEvid struct {
	File          string `json:"file"`
	FramesDropped uint64 `json:"frames_not_saved"`
}

type jsonAccum struct {
	Since          string  `json:"since"`
	Seconds        float64 `json:"seconds"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Percent        float64 `json:"percent"`
}

type jsonConn struct {
	Src       string `json:"src"`
	SrcPort   uint16 `json:"src_port"`
	Dst       string `json:"dst"`
	DstPort   uint16 `json:"dst_port"`
	Proto     uint8  `json:"proto"`
	ProtoName string `json:"proto_name"`
	Bytes     uint64 `json:"bytes"`
	Service   string `json:"service"`

	Name       string `json:"name,omitempty"`
	NameSource string `json:"name_source,omitempty"`
	ASN        uint32 `json:"asn,omitempty"`
	ASOrg      string `json:"as_org,omitempty"`
	Country    string `json:"country,omitempty"`
}

type jsonHidden struct {
	Connections uint64 `json:"connections"`
	Bytes       uint64 `json:"bytes"`
}

// AppendJSON appends r as one JSON object, without a trailing newline, to
// dst and returns the extended buffer. The object follows
// docs/ipband-report.schema.json:
//
//	{"version":1,"time":"2001-08-06T11:04:37-04:00","start":"...",
//	 "subnet":"10.10.123.0/24","name":"halifax","threshold_kbps":22,
//	 "kbps":32.63,"exceeded_seconds":300,"top":20,
//	 "connections":[{"src":"10.10.123.173","src_port":4359,
//	   "dst":"10.100.11.13","dst_port":143,"proto":6,"proto_name":"tcp",
//	   "bytes":9365391,"service":"imap2"}],
//	 "hidden":{"connections":0,"bytes":0},"evicted_subnets":0,"dropped":0}
//
// The subnet is in CIDR form, times as TimeLayout, and "accumulated" is
// present only with -A. The name is as in /etc/networks, "" when the
// subnet has none; invalid UTF-8 in it becomes U+FFFD. Service and
// protocol names come from names (nil means EmbeddedNames()); a
// connection's service is "" when neither port has one. A connection
// whose remote side has a name adds "name" and "name_source" ("dns",
// "sni, confirmed", ...), one with an ASN or country "asn", "as_org",
// "country"; the report then adds "attribution", the share of its bytes
// by registered domain ("by_name") and by ASN ("by_asn").
func AppendJSON(dst []byte, r Report, names *Names) []byte {
	return appendJSONValue(dst, toJSON(r, names))
}

// appendJSONValue appends v as JSON, without HTML escaping (the lines are
// for logs and programs, not for a page) and without a newline.
func appendJSONValue(dst []byte, v any) []byte {
	b := bytes.NewBuffer(dst)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // cannot happen: strings, bools and finite numbers only
		panic("report: json: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func toJSON(r Report, names *Names) *jsonReport {
	j := &jsonReport{
		Version:        JSONVersion,
		Time:           r.Time.Format(TimeLayout),
		Start:          r.Start.Format(TimeLayout),
		Subnet:         r.Subnet.String(),
		Name:           r.Name,
		ThresholdKBps:  finite(r.Threshold),
		KBps:           finite(r.KBps),
		InKBps:         finite(r.InKBps),
		OutKBps:        finite(r.OutKBps),
		ThresholdIn:    finite(r.ThresholdIn),
		ThresholdOut:   finite(r.ThresholdOut),
		Over:           r.Over.names(),
		ExceededSecs:   r.Exceeded.Seconds(),
		Top:            r.Top,
		Connections:    make([]jsonConn, 0, len(r.Rows)),
		Hidden:         jsonHidden{Connections: r.Hidden.Conns, Bytes: r.Hidden.Bytes},
		EvictedSubnets: r.EvictedSubnets,
		Dropped:        r.Dropped,
		Sampled:        r.Sampled,
	}
	if r.Evidence != "" {
		j.Evidence = &jsonEvid{File: r.Evidence, FramesDropped: r.EvidenceDropped}
	}
	if a := r.Accum; a != nil {
		pct := 0.0
		if a.Elapsed > 0 {
			pct = float64(a.Total) / float64(a.Elapsed) * 100
		}
		j.Accumulated = &jsonAccum{
			Since:          a.Since.Format(TimeLayout),
			Seconds:        a.Total.Seconds(),
			ElapsedSeconds: a.Elapsed.Seconds(),
			Percent:        pct,
		}
	}
	for _, row := range r.Rows {
		j.Connections = append(j.Connections, jsonConn{
			Src:       row.Src.String(),
			SrcPort:   row.SrcPort,
			Dst:       row.Dst.String(),
			DstPort:   row.DstPort,
			Proto:     row.Proto,
			ProtoName: names.Protocol(row.Proto),
			Bytes:     row.Bytes,
			Service:   names.RowService(row),

			Name:       row.Name,
			NameSource: row.NameSource,
			ASN:        row.ASN,
			ASOrg:      row.ASOrg,
			Country:    row.Country,
		})
	}
	if a := Attribute(r); a.ByName != nil || a.ByASN != nil {
		j.Attribution = &jsonAttr{ByName: jsonShares(a.ByName, a.Total), ByASN: jsonShares(a.ByASN, a.Total)}
	}
	return j
}

func jsonShares(s []Share, total uint64) []jsonShare {
	var out []jsonShare
	for _, x := range s {
		pct := 0.0
		if total > 0 {
			pct = float64(x.Bytes) / float64(total) * 100
		}
		out = append(out, jsonShare{Key: x.Key, Bytes: x.Bytes, Percent: pct})
	}
	return out
}

// finite returns f, or 0 when f is NaN or infinite, which JSON cannot
// carry.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// JSONFile is the jsonfile output: it appends every report, as
// AppendJSON renders it, to a file as one line (JSON Lines). The file is
// opened once and kept open; Reopen opens it again by name after log
// rotation. A report that cannot be written is lost: the fault is logged
// once, with the count of lost reports when the file works again. A
// JSONFile is safe for concurrent use.
type JSONFile struct {
	name  string
	names *Names
	out   *lineFile
}

var (
	_ Output   = (*JSONFile)(nil)
	_ Reopener = (*JSONFile)(nil)
	_ Closer   = (*JSONFile)(nil)
)

// NewJSONFile opens the JSON report file at path for appending, creating
// it with mode 0644 if needed; "-" means standard output. Names are looked
// up in names (nil means EmbeddedNames()); faults are logged with logf
// (nil discards them). The error, when the file cannot be opened, names
// the path.
func NewJSONFile(path string, names *Names, logf Logf) (*JSONFile, error) {
	name := "json file " + path
	out, err := openLineFile(path, name, logf)
	if err != nil {
		return nil, err
	}
	return &JSONFile{name: name, names: names, out: out}, nil
}

// NewJSONWriter returns a JSONFile writing to w, which it never closes.
func NewJSONWriter(w io.Writer, names *Names, logf Logf) *JSONFile {
	const name = "json output"
	return &JSONFile{name: name, names: names, out: newLineWriter(w, name, logf)}
}

// Name returns "json file PATH".
func (j *JSONFile) Name() string { return j.name }

// Period does nothing: the JSON file holds reports only.
func (j *JSONFile) Period(*Period) error { return nil }

// Report appends r as one line.
func (j *JSONFile) Report(r Report) error {
	b := AppendJSON(make([]byte, 0, 512+160*len(r.Rows)), r, j.names)
	return j.out.write(append(b, '\n'))
}

// Reopen closes the file and opens it again by name.
func (j *JSONFile) Reopen() error { return j.out.reopen() }

// Close closes the file.
func (j *JSONFile) Close(context.Context) error { return j.out.close() }
