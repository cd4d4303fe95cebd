package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ipband/report"
)

// samplePeriod is the -d 2 sample of the classic tool's page.
func samplePeriod() *report.Period {
	line := func(subnet string, kb, kbps, thr float64, logging bool) report.Line {
		return report.Line{Subnet: prefix(subnet), Bytes: kbytes(kb), KBps: kbps, Threshold: thr, Logging: logging}
	}
	end := time.Date(2001, 8, 7, 10, 54, 0, 0, edt)
	return &report.Period{
		Start: end.Add(-time.Minute),
		End:   end,
		Lines: []report.Line{
			line("10.10.2.0/24", 25.63, 0.43, 10, false),
			line("10.10.18.0/24", 5.82, 0.10, 10, false),
			line("10.10.122.0/24", 237.23, 3.95, 10, false),
			line("10.10.44.0/24", 239.94, 4.00, 10, false),
			line("60.0.10.0/24", 36.53, 0.61, 22, false),
			line("10.10.14.0/24", 9.08, 0.15, 10, false),
			line("10.10.1.0/24", 400.98, 6.68, 22, false),
			line("10.10.53.0/24", 106.25, 1.77, 10, false),
			line("10.10.43.0/24", 4.35, 0.07, 10, false),
			line("10.10.81.0/24", 1068.20, 17.80, 22, false),
			line("10.10.24.0/24", 267.65, 4.46, 22, false),
			line("10.10.13.0/24", 1.83, 0.03, 10, false),
			line("10.10.61.0/24", 235.47, 3.92, 10, false),
			line("10.10.85.0/24", 175.72, 2.93, 22, false),
			line("10.10.20.0/24", 230.92, 3.85, 22, false),
			line("10.10.107.0/24", 102.09, 1.70, 10, false),
			line("10.10.63.0/24", 59.22, 0.99, 10, false),
			line("10.10.64.0/24", 3.41, 0.06, 10, false),
		},
	}
}

func faultyPeriod() *report.Period {
	p := samplePeriod()
	p.Lines = p.Lines[8:11]
	p.Lines[1].Logging = true
	p.Lines[1].KBps = 25.5
	p.Lines = append(p.Lines, report.Line{Subnet: prefix("2001:db8:abcd:1234::/64"), Name: "lab", Bytes: 1 << 20, KBps: 17.07, Threshold: 100})
	p.Repeat = 3
	p.Stats = report.Stats{Packets: 100, Malformed: 3, EvictedSubnets: 12, EvictedConns: 4, Dropped: 7}
	return p
}

func table(t *testing.T, p *report.Period) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteTable(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteTableGolden(t *testing.T) {
	stats := samplePeriod()
	stats.Lines = stats.Lines[:2]
	stats.Stats = report.Stats{Packets: 10, IP: 5, Other: 4, Malformed: 1, Dropped: 2}
	tests := []struct {
		name string
		p    *report.Period
	}{
		{"sample", samplePeriod()},
		{"faults", faultyPeriod()},
		{"stats", stats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "table_"+tt.name, table(t, tt.p))
		})
	}
}

// TestSampleTableMatchesSeed checks the sample table golden against the
// -d 2 sample on the classic tool's page.
func TestSampleTableMatchesSeed(t *testing.T) {
	want := seedLines(t,
		func(s string) bool { return strings.HasPrefix(s, " 10.10.2.0 ") },
		func(s string) bool { return strings.HasPrefix(s, "****") })
	if len(want) != 19 {
		t.Fatalf("seed table has %d lines, want 19", len(want))
	}
	// The classic columns end at the first " kBps"; the in/out columns
	// follow, and the closing line is as long as the lines.
	var classic []string
	for _, l := range strings.Split(strings.TrimSuffix(string(table(t, samplePeriod())), "\n"), "\n") {
		if i := strings.Index(l, " kBps in "); i >= 0 {
			l = l[:i+len(" kBps")]
		} else if strings.Trim(l, "*") == "" && len(l) > 48 {
			l = l[:48]
		}
		classic = append(classic, l)
	}
	if got, w := strings.Join(classic, "\n")+"\n", strings.Join(want, "\n")+"\n"; got != w {
		t.Errorf("table differs from the seed (-seed +got):\n%s", lineDiff(w, got))
	}
}

func TestWriteTableLines(t *testing.T) {
	empty := &report.Period{Start: time.Unix(0, 0), End: time.Unix(60, 0)}
	idle := &report.Period{Start: time.Date(2001, 8, 6, 11, 0, 0, 0, edt), End: time.Date(2001, 8, 6, 11, 1, 0, 0, edt), Repeat: 1}
	logging := samplePeriod()
	logging.Lines = logging.Lines[9:10]
	logging.Lines[0].Logging = true
	dropped := &report.Period{Stats: report.Stats{Packets: 5, Dropped: 9}}
	wide := faultyPeriod()
	wide.Repeat, wide.Stats = 0, report.Stats{}

	stars := strings.Repeat("*", 48)
	dir := samplePeriod()
	dir.Lines = dir.Lines[8:10]
	dir.Lines[0].InKBps, dir.Lines[0].OutKBps = 0.05, 0.02
	dir.Lines[1].InKBps, dir.Lines[1].OutKBps, dir.Lines[1].ThresholdIn = 16.8, 1.5, 16
	dir.Lines[1].Logging, dir.Lines[1].Over = true, report.OverIn
	tests := []struct {
		name string
		p    *report.Period
		want string
	}{
		{"nil", nil, stars + "\n"},
		{"empty", empty, stars + "\n"},
		{"idle", idle, "  (1 more idle period, until Mon Aug  6 11:02:00 2001)\n" + stars + "\n"},
		{"logging", logging, "*10.10.81.0      1068.20 kB    17.80/ 22.00 kBps in     0.00 out     0.00 kBps\n" + stars + strings.Repeat("*", 30) + "\n"},
		{"directions", dir, "" +
			" 10.10.43.0         4.35 kB     0.07/ 10.00 kBps in     0.05/     - out     0.02 kBps\n" +
			"*10.10.81.0      1068.20 kB    17.80/ 22.00 kBps in    16.80/ 16.00 out     1.50 kBps\n" +
			stars + strings.Repeat("*", 37) + "\n"},
		{"dropped only", dropped, "  (dropped 9)\n" + stars + "\n"},
		{"wide", wide, "" +
			" 10.10.43.0                 4.35 kB     0.07/ 10.00 kBps in     0.00 out     0.00 kBps\n" +
			"*10.10.81.0              1068.20 kB    25.50/ 22.00 kBps in     0.00 out     0.00 kBps\n" +
			" 10.10.24.0               267.65 kB     4.46/ 22.00 kBps in     0.00 out     0.00 kBps\n" +
			" 2001:db8:abcd:1234::/64 1024.00 kB    17.07/100.00 kBps in     0.00 out     0.00 kBps\n" +
			strings.Repeat("*", 48+23-15+30) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(table(t, tt.p)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestAppendTableAllocs(t *testing.T) {
	for _, p := range []*report.Period{samplePeriod(), faultyPeriod()} {
		buf := report.AppendTable(nil, p)
		if allocs := testing.AllocsPerRun(100, func() { buf = report.AppendTable(buf[:0], p) }); allocs != 0 {
			t.Errorf("AppendTable: %v allocs, want 0", allocs)
		}
	}
}

func BenchmarkAppendTable(b *testing.B) {
	b.ReportAllocs()
	p := samplePeriod()
	buf := report.AppendTable(nil, p)
	for b.Loop() {
		buf = report.AppendTable(buf[:0], p)
	}
}
