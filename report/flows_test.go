package report_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"ipband/report"
)

// TestSampledReport checks that a report of sampled flow data says so, in
// text after the header and in JSON.
func TestSampledReport(t *testing.T) {
	r := report.Report{
		Time:      time.Date(2001, 8, 6, 10, 5, 0, 0, time.UTC),
		Subnet:    netip.MustParsePrefix("10.10.123.0/24"),
		Threshold: 22,
		Exceeded:  5 * time.Minute,
		Sampled:   []string{"1 in 1000 (exporter edge1)"},
	}
	text := string(report.AppendText(nil, r, nil))
	if !strings.Contains(text, ", over: none\nSampled: 1 in 1000 (exporter edge1)\n====") { // after the header's rate line
		t.Errorf("text report:\n%s", text)
	}
	js := string(report.AppendJSON(nil, r, nil))
	if !strings.Contains(js, `"sampled":["1 in 1000 (exporter edge1)"]`) {
		t.Errorf("JSON report: %s", js)
	}
	r.Sampled = nil
	if js := string(report.AppendJSON(nil, r, nil)); strings.Contains(js, "sampled") {
		t.Errorf("unsampled JSON report: %s", js)
	}
}

// TestExporterTable checks the -d 2 table's exporter lines and the stats
// line's exporters.
func TestExporterTable(t *testing.T) {
	p := &report.Period{
		Start: time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC), End: time.Date(2001, 8, 6, 10, 1, 0, 0, time.UTC),
		Stats: report.Stats{Records: 3000, LateBytes: 12},
		Exporters: []report.Exporter{{Addr: netip.MustParseAddr("192.0.2.1"), Name: "edge1", Datagrams: 120, Records: 3000,
			Bytes: 4100000, SeqGaps: 2, Sampling: 1000, Offset: 90 * time.Second, LateBytes: 12}},
		UnknownDatagrams: 7,
	}
	tab := string(report.AppendTable(nil, p))
	for _, want := range []string{
		"  (late flow bytes 12)\n",
		"  exporter edge1 (192.0.2.1): 120 datagrams, 3000 records, 4100000 bytes, sequence gaps 2, late bytes 12, sampled 1 in 1000, clock offset 1m30s\n",
		"  (7 datagrams from unknown exporters dropped)\n",
	} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	js := string(report.AppendPeriodJSON(nil, p))
	if !strings.Contains(js, `"records":3000,"late_bytes":12,"unknown_exporter_datagrams":7,"exporters":[{"address":"192.0.2.1","name":"edge1","datagrams":120,"records":3000,"bytes":4100000,"malformed":0,"sequence_gaps":2,"template_misses":0,"sampling":1000,"clock_offset_seconds":90,"late_bytes":12}]`) {
		t.Errorf("stats line: %s", js)
	}
}
