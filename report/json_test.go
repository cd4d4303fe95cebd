package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ipband/report"
)

// jsonReports are the reports of the JSON golden: the text goldens' cases,
// with an episode start, a rate, evictions and drops, and a name that
// needs escaping.
func jsonReports() []report.Report {
	sample := sampleReport()
	sample.Start = sample.Time.Add(-5 * time.Minute)
	sample.KBps = 32.63
	accum := sample
	accum.Accum = &report.Accumulated{
		Since:   time.Date(2001, 8, 6, 6, 0, 0, 0, edt),
		Total:   35 * time.Minute,
		Elapsed: 5 * time.Hour,
	}
	accum.Exceeded = 10 * time.Minute
	accum.Start = accum.Time.Add(-10 * time.Minute)
	hidden := sample
	hidden.Rows = hidden.Rows[:3]
	hidden.Top = 3
	hidden.Hidden = report.Hidden{Conns: 12, Bytes: kbytes(345.68)}
	hidden.EvictedSubnets = 40
	hidden.Dropped = 7
	hidden.Evidence = "/var/lib/ipband/evidence/ipband-10.10.123.0_24-20010806T100600Z.pcap"
	hidden.EvidenceDropped = 12
	dirs := sample
	dirs.ThresholdIn, dirs.ThresholdOut = 25, 4
	dirs.Over = report.OverTotal | report.OverIn
	ipv6 := ipv6Report()
	ipv6.Start = ipv6.Time.Add(-5 * time.Minute)
	ipv6.KBps = 100.5
	ipv6.Time = ipv6.Time.UTC()
	ipv6.Start = ipv6.Start.UTC()
	odd := sample
	odd.Name = "a \"quoted\" <name>\n\x00\xff"
	odd.Top = 0
	odd.Time = odd.Time.Add(123456789 * time.Nanosecond)
	odd.Rows = []report.Row{
		{Src: addr("10.10.123.5"), Dst: addr("10.1.1.1"), Proto: 47, Bytes: 100},
		{Src: addr("10.10.123.5"), Dst: addr("10.1.1.1"), Proto: 253},
	}
	empty := sample
	empty.Rows = nil
	named := namesReport()
	named.Start = named.Time.Add(-5 * time.Minute)
	return []report.Report{sample, accum, hidden, ipv6, odd, empty, dirs, named}
}

// TestJSONFileGolden appends the reports to a JSON file and compares it
// with testdata/json-reports.jsonl.golden.
func TestJSONFileGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	j, err := report.NewJSONFile(path, report.EmbeddedNames(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Name() != "json file "+path {
		t.Errorf("Name() = %q", j.Name())
	}
	for _, r := range jsonReports() {
		if err := j.Period(&report.Period{}); err != nil {
			t.Fatal(err)
		}
		if err := j.Report(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := []byte(readFile(t, path))
	golden(t, "json-reports.jsonl", got)
	if n := bytes.Count(got, []byte("\n")); n != len(jsonReports()) {
		t.Errorf("%d lines for %d reports", n, len(jsonReports()))
	}
}

// decodedReport is a JSON report as a consumer reads it.
type decodedReport struct {
	Version       int      `json:"version"`
	Time          string   `json:"time"`
	Start         string   `json:"start"`
	Subnet        string   `json:"subnet"`
	Name          string   `json:"name"`
	ThresholdKBps float64  `json:"threshold_kbps"`
	KBps          float64  `json:"kbps"`
	InKBps        float64  `json:"in_kbps"`
	OutKBps       float64  `json:"out_kbps"`
	ThresholdIn   float64  `json:"threshold_in_kbps"`
	ThresholdOut  float64  `json:"threshold_out_kbps"`
	Over          []string `json:"over"`
	Exceeded      float64  `json:"exceeded_seconds"`
	Top           int      `json:"top"`
	Accumulated   *struct {
		Since   string  `json:"since"`
		Seconds float64 `json:"seconds"`
		Elapsed float64 `json:"elapsed_seconds"`
		Percent float64 `json:"percent"`
	} `json:"accumulated"`
	Connections []struct {
		Src       string `json:"src"`
		Dst       string `json:"dst"`
		Sport     uint16 `json:"src_port"`
		Dport     uint16 `json:"dst_port"`
		Proto     uint8  `json:"proto"`
		ProtoName string `json:"proto_name"`
		Bytes     uint64 `json:"bytes"`
		Service   string `json:"service"`

		Name       string `json:"name"`
		NameSource string `json:"name_source"`
		ASN        uint32 `json:"asn"`
		ASOrg      string `json:"as_org"`
		Country    string `json:"country"`
	} `json:"connections"`
	Attribution *struct {
		ByName []struct {
			Key     string  `json:"key"`
			Bytes   uint64  `json:"bytes"`
			Percent float64 `json:"percent"`
		} `json:"by_name"`
		ByASN []struct {
			Key     string  `json:"key"`
			Bytes   uint64  `json:"bytes"`
			Percent float64 `json:"percent"`
		} `json:"by_asn"`
	} `json:"attribution"`
	Hidden struct {
		Connections uint64 `json:"connections"`
		Bytes       uint64 `json:"bytes"`
	} `json:"hidden"`
	EvictedSubnets uint64 `json:"evicted_subnets"`
	Dropped        uint64 `json:"dropped"`
	Evidence       *struct {
		File          string `json:"file"`
		FramesDropped uint64 `json:"frames_not_saved"`
	} `json:"evidence"`
}

// TestAppendJSONRoundTrip reads each JSON report back and checks it says
// what the Report says.
func TestAppendJSONRoundTrip(t *testing.T) {
	names := report.EmbeddedNames()
	for i, r := range jsonReports() {
		b := report.AppendJSON(nil, r, names)
		if bytes.ContainsAny(b, "\n\r") {
			t.Errorf("report %d: JSON has a line break: %s", i, b)
		}
		var d decodedReport
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("report %d: %v\n%s", i, err, b)
		}
		when := func(s string) time.Time {
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("report %d: time %q: %v", i, s, err)
			}
			return tm
		}
		if d.Version != report.JSONVersion || !when(d.Time).Equal(r.Time) || !when(d.Start).Equal(r.Start) {
			t.Errorf("report %d: version %d, time %s, start %s; want %v, %v", i, d.Version, d.Time, d.Start, r.Time, r.Start)
		}
		if _, off := when(d.Time).Zone(); func() int { _, o := r.Time.Zone(); return o }() != off {
			t.Errorf("report %d: time %s lost its offset", i, d.Time)
		}
		if p, err := netip.ParsePrefix(d.Subnet); err != nil || p != r.Subnet {
			t.Errorf("report %d: subnet %q, want %v", i, d.Subnet, r.Subnet)
		}
		if d.ThresholdKBps != r.Threshold || d.KBps != r.KBps || d.Exceeded != r.Exceeded.Seconds() || d.Top != r.Top {
			t.Errorf("report %d: threshold %v kbps %v exceeded %v top %d", i, d.ThresholdKBps, d.KBps, d.Exceeded, d.Top)
		}
		if d.InKBps != r.InKBps || d.OutKBps != r.OutKBps || d.ThresholdIn != r.ThresholdIn || d.ThresholdOut != r.ThresholdOut ||
			strings.Join(d.Over, "+") != r.Over.String() {
			t.Errorf("report %d: in %v out %v thresholds %v/%v over %v; want %+v", i, d.InKBps, d.OutKBps, d.ThresholdIn, d.ThresholdOut, d.Over, r)
		}
		if strings.ToValidUTF8(r.Name, "\uFFFD") != d.Name {
			t.Errorf("report %d: name %q, want %q", i, d.Name, r.Name)
		}
		if (d.Accumulated == nil) != (r.Accum == nil) {
			t.Errorf("report %d: accumulated %v, want %v", i, d.Accumulated, r.Accum)
		} else if a := r.Accum; a != nil && (d.Accumulated.Seconds != a.Total.Seconds() ||
			d.Accumulated.Elapsed != a.Elapsed.Seconds() || !when(d.Accumulated.Since).Equal(a.Since) ||
			d.Accumulated.Percent != float64(a.Total)/float64(a.Elapsed)*100) {
			t.Errorf("report %d: accumulated %+v, want %+v", i, *d.Accumulated, *a)
		}
		if d.Connections == nil || len(d.Connections) != len(r.Rows) {
			t.Fatalf("report %d: %d connections, want %d (never null)", i, len(d.Connections), len(r.Rows))
		}
		for k, c := range d.Connections {
			row := r.Rows[k]
			if c.Src != row.Src.String() || c.Dst != row.Dst.String() || c.Sport != row.SrcPort || c.Dport != row.DstPort ||
				c.Proto != row.Proto || c.Bytes != row.Bytes || c.ProtoName != names.Protocol(row.Proto) || c.Service != names.RowService(row) {
				t.Errorf("report %d connection %d: %+v, want %+v", i, k, c, row)
			}
			if c.Name != row.Name || c.NameSource != row.NameSource || c.ASN != row.ASN || c.ASOrg != row.ASOrg || c.Country != row.Country {
				t.Errorf("report %d connection %d: name %q (%s) AS%d %q %q, want %+v", i, k, c.Name, c.NameSource, c.ASN, c.ASOrg, c.Country, row)
			}
		}
		a := report.Attribute(r)
		if (d.Attribution == nil) != (a.ByName == nil && a.ByASN == nil) {
			t.Errorf("report %d: attribution %v, want %+v", i, d.Attribution, a)
		} else if d.Attribution != nil {
			var sum uint64
			for _, s := range d.Attribution.ByName {
				sum += s.Bytes
			}
			if len(d.Attribution.ByName) != len(a.ByName) || sum != a.Total {
				t.Errorf("report %d: attribution by name %+v sums to %d, want %d", i, d.Attribution.ByName, sum, a.Total)
			}
		}
		if d.Hidden.Connections != r.Hidden.Conns || d.Hidden.Bytes != r.Hidden.Bytes ||
			d.EvictedSubnets != r.EvictedSubnets || d.Dropped != r.Dropped {
			t.Errorf("report %d: hidden %+v evicted %d dropped %d", i, d.Hidden, d.EvictedSubnets, d.Dropped)
		}
		if (d.Evidence == nil) != (r.Evidence == "") ||
			d.Evidence != nil && (d.Evidence.File != r.Evidence || d.Evidence.FramesDropped != r.EvidenceDropped) {
			t.Errorf("report %d: evidence %+v, want %q with %d frames not saved", i, d.Evidence, r.Evidence, r.EvidenceDropped)
		}
	}
}

// statsPeriods are the periods of the stats golden: the classic sample,
// one with counters standing for 3 more idle periods, an empty one.
func statsPeriods() []*report.Period {
	named := samplePeriod()
	named.Lines[9].Name = "toronto"
	named.Lines[9].Logging = true
	named.Stats = report.Stats{Packets: 28000, IP: 27990, Other: 10,
		DNSAnswers: 41, DNSIgnored: 2, DNSMalformed: 1, NamesEvicted: 3}
	end := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []*report.Period{named, faultyPeriod(), {Start: end.Add(-time.Minute), End: end}}
}

// TestStatsFileGolden writes a stats line per period and compares the file
// with testdata/stats-periods.jsonl.golden; Report writes nothing.
func TestStatsFileGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, err := report.NewStatsFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range statsPeriods() {
		if err := s.Period(p); err != nil {
			t.Fatal(err)
		}
		if err := s.Report(sampleReport()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	golden(t, "stats-periods.jsonl", []byte(got))

	// Read back: every line of the table is there, in order, and a
	// summary of idle periods spans them all.
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != len(statsPeriods()) {
		t.Fatalf("%d lines for %d periods", len(lines), len(statsPeriods()))
	}
	for i, p := range statsPeriods() {
		var d struct {
			Start, End string
			Periods    int64
			Subnets    []struct {
				Subnet        string
				Name          string
				Bytes         uint64
				KBps          float64
				ThresholdKBps float64 `json:"threshold_kbps"`
				Logging       bool
			}
			Packets, IP, Malformed, Dropped uint64
			NotIP                           uint64 `json:"not_ip"`
			EvictedSubnets                  uint64 `json:"evicted_subnets"`
			EvictedConns                    uint64 `json:"evicted_connections"`
			DNSAnswers                      uint64 `json:"dns_answers"`
			DNSIgnored                      uint64 `json:"dns_ignored"`
			DNSMalformed                    uint64 `json:"dns_malformed"`
			NamesEvicted                    uint64 `json:"names_evicted"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &d); err != nil {
			t.Fatal(err)
		}
		end, _ := time.Parse(time.RFC3339Nano, d.End)
		wantEnd := p.End.Add(time.Duration(p.Repeat) * p.End.Sub(p.Start))
		if d.Periods != p.Repeat+1 || !end.Equal(wantEnd) || d.Subnets == nil || len(d.Subnets) != len(p.Lines) {
			t.Fatalf("line %d: periods %d end %s, %d subnets; want %d, %v, %d", i, d.Periods, d.End, len(d.Subnets), p.Repeat+1, wantEnd, len(p.Lines))
		}
		for k, l := range p.Lines {
			g := d.Subnets[k]
			if g.Subnet != l.Subnet.String() || g.Name != l.Name || g.Bytes != l.Bytes || g.KBps != l.KBps ||
				g.ThresholdKBps != l.Threshold || g.Logging != l.Logging {
				t.Errorf("line %d subnet %d: %+v, want %+v", i, k, g, l)
			}
		}
		st := p.Stats
		if d.Packets != st.Packets || d.IP != st.IP || d.NotIP != st.Other || d.Malformed != st.Malformed ||
			d.EvictedSubnets != st.EvictedSubnets || d.EvictedConns != st.EvictedConns || d.Dropped != st.Dropped ||
			d.DNSAnswers != st.DNSAnswers || d.DNSIgnored != st.DNSIgnored || d.DNSMalformed != st.DNSMalformed ||
			d.NamesEvicted != st.NamesEvicted {
			t.Errorf("line %d counters %+v, want %+v", i, d, st)
		}
	}
}

// TestLineFileReopen rotates the files under the outputs: lines keep
// going to the old file until Reopen, and to a new file after it.
func TestLineFileReopen(t *testing.T) {
	dir := t.TempDir()
	jpath, spath := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.json")
	j, err := report.NewJSONFile(jpath, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.NewStatsFile(spath, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func() {
		t.Helper()
		if err := j.Report(sampleReport()); err != nil {
			t.Fatal(err)
		}
		if err := s.Period(samplePeriod()); err != nil {
			t.Fatal(err)
		}
	}
	write()
	for _, p := range []string{jpath, spath} {
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
	write() // still the rotated files
	for _, o := range []interface{ Reopen() error }{j, s} {
		if err := o.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	write()
	for _, p := range []string{jpath, spath} {
		if old, cur := strings.Count(readFile(t, p+".1"), "\n"), strings.Count(readFile(t, p), "\n"); old != 2 || cur != 1 {
			t.Errorf("%s: %d lines before Reopen, %d after; want 2 and 1", p, old, cur)
		}
	}
	j.Close(context.Background()) //nolint:errcheck // test cleanup
	s.Close(context.Background()) //nolint:errcheck // test cleanup
}

// TestLineFileFaults: a file that cannot be opened at start is an error
// naming it; a failing write loses the line and logs the fault once; the
// file works again after the fault, and says how many lines were lost.
func TestLineFileFaults(t *testing.T) {
	dir := t.TempDir()
	if _, err := report.NewJSONFile(filepath.Join(dir, "no", "r.json"), nil, nil); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no", "r.json")) {
		t.Errorf("NewJSONFile in a missing directory: %v", err)
	}
	if _, err := report.NewStatsFile(filepath.Join(dir, "no", "s.json"), nil); err == nil {
		t.Error("NewStatsFile in a missing directory: no error")
	}
	var log logRecorder
	w := &flakyWriter{fail: true}
	s := report.NewStatsWriter(w, log.logf)
	for range 3 {
		if err := s.Period(samplePeriod()); err == nil {
			t.Fatal("write to a full disk: no error")
		}
	}
	w.fail = false
	if err := s.Period(samplePeriod()); err != nil {
		t.Fatal(err)
	}
	log.expect(t,
		"stats output: write: flaky; line lost",
		"stats output: writable again; 3 line(s) lost")
	if n := strings.Count(w.String(), "\n"); n != 1 {
		t.Errorf("%d lines written, want 1", n)
	}
}
