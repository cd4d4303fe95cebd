package report_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ipband/report"
)

// minute returns period m of a run of one-minute periods with the given
// lines (bytes per subnet, logging when over 10 kB/s).
func minute(t0 time.Time, m int, bytes map[string]uint64) *report.Period {
	start := t0.Add(time.Duration(m) * time.Minute)
	p := &report.Period{Start: start, End: start.Add(time.Minute)}
	for _, s := range sortedKeys(bytes) {
		kbps := float64(bytes[s]) / 1024 / 60
		p.Lines = append(p.Lines, report.Line{Subnet: prefix(s), Bytes: bytes[s], KBps: kbps, Threshold: 10, Logging: kbps >= 10})
	}
	return p
}

func sortedKeys(m map[string]uint64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out { // tiny: insertion sort keeps the test free of imports
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestHistoryPoints(t *testing.T) {
	h := report.NewHistory(0, nil)
	for m := range 90 {
		h.Add(minute(t0, m, map[string]uint64{"10.0.0.0/24": uint64(m) * 1024 * 60}))
	}
	hour := h.Points(prefix("10.0.0.0/24"), report.HourWindow)
	if len(hour) != 60 {
		t.Fatalf("%d points in the last hour, want 60", len(hour))
	}
	for i, p := range hour {
		m := 30 + i
		if want := float64(m); p.KBps != want || p.Threshold != 10 || p.Logging != (m >= 10) {
			t.Errorf("point %d: %+v, want %v kBps", i, p, want)
		}
		if !p.Start.Equal(t0.Add(time.Duration(m)*time.Minute)) || p.End.Sub(p.Start) != time.Minute {
			t.Errorf("point %d spans %v-%v", i, p.Start, p.End)
		}
	}
	day := h.Points(prefix("10.0.0.0/24"), report.DayWindow)
	if len(day) != 18 { // 90 minutes in 5-minute buckets
		t.Fatalf("%d points in the last day, want 18", len(day))
	}
	if want := (85.0 + 86 + 87 + 88 + 89) / 5; day[17].KBps != want {
		t.Errorf("last day bucket %v kBps, want the mean %v", day[17].KBps, want)
	}
	if got := h.Now(); !got.Equal(t0.Add(90 * time.Minute)) {
		t.Errorf("Now %v", got)
	}
}

// TestHistoryBounded: the table never holds more than its size; pinned
// and logging subnets stay, the busiest others take the place of the
// quietest, and a subnet that leaves the summaries counts as idle.
func TestHistoryBounded(t *testing.T) {
	h := report.NewHistory(3, []netip.Prefix{prefix("10.0.1.0/24")})
	lines := map[string]uint64{
		"10.0.1.0/24": 0,         // pinned, idle
		"10.0.2.0/24": 700 << 10, // logging (11.7 kB/s)
		"10.0.3.0/24": 10 << 10,
		"10.0.4.0/24": 5 << 10,
	}
	h.Add(minute(t0, 0, lines))
	if h.Len() != 3 {
		t.Fatalf("%d subnets kept, want 3", h.Len())
	}
	kept := func(s string) bool { return h.Points(prefix(s), report.HourWindow) != nil }
	if !kept("10.0.1.0/24") || !kept("10.0.2.0/24") || !kept("10.0.3.0/24") || kept("10.0.4.0/24") {
		t.Fatal("want the pinned, the logging and the busier subnet")
	}
	// A busier newcomer replaces the quiet one, not the pinned or the
	// logging one.
	h.Add(minute(t0, 1, map[string]uint64{"10.0.1.0/24": 0, "10.0.2.0/24": 700 << 10, "10.0.9.0/24": 100 << 10}))
	if !kept("10.0.9.0/24") || kept("10.0.3.0/24") || !kept("10.0.1.0/24") || !kept("10.0.2.0/24") {
		t.Fatal("the busier newcomer must replace 10.0.3.0/24")
	}
	// 10.0.9.0 was not in period 2: it counts 0 there.
	h.Add(minute(t0, 2, map[string]uint64{"10.0.1.0/24": 0}))
	pts := h.Points(prefix("10.0.9.0/24"), report.HourWindow)
	if len(pts) != 2 || pts[1].KBps != 0 || pts[0].KBps == 0 {
		t.Errorf("10.0.9.0 after a period away: %+v", pts)
	}
	// A flood of one-period subnets never grows the table.
	for i := range 1000 {
		h.Add(minute(t0, 3+i, map[string]uint64{fmt.Sprintf("10.%d.%d.0/24", 1+i/256, i%256): uint64(i) << 10}))
	}
	if h.Len() != 3 {
		t.Errorf("%d subnets after a flood, want 3", h.Len())
	}
	if !kept("10.0.1.0/24") {
		t.Error("the pinned subnet was evicted")
	}
}

// TestHistoryGap: a summary of a long run of idle periods (a clock jump of
// years) costs the same as a short one and keeps only the last day.
func TestHistoryGap(t *testing.T) {
	h := report.NewHistory(0, nil)
	h.Add(minute(t0, 0, map[string]uint64{"10.0.0.0/24": 60 << 10}))
	p := minute(t0, 1, map[string]uint64{"10.0.0.0/24": 0})
	p.Repeat = 10 * 365 * 24 * 60 // ten years of idle minutes
	h.Add(p)
	day := h.Points(prefix("10.0.0.0/24"), report.DayWindow)
	if len(day) != 288 {
		t.Fatalf("%d points after the gap, want a full day (288)", len(day))
	}
	for _, pt := range day {
		if pt.KBps != 0 {
			t.Fatalf("point %+v in an idle run", pt)
		}
	}
	if want := t0.Add(time.Duration(p.Repeat+2) * time.Minute); !h.Now().Equal(want) {
		t.Errorf("Now %v, want %v", h.Now(), want)
	}
}

// statsLine writes p in the stats stream's format (docs of the statsfile
// directive: one JSON object per period).
func statsLine(p *report.Period) string {
	var subs []string
	for _, l := range p.Lines {
		subs = append(subs, fmt.Sprintf(`{"subnet":%q,"name":%q,"bytes":%d,"kbps":%.2f,"threshold_kbps":%g,"logging":%t}`,
			l.Subnet, l.Name, l.Bytes, l.KBps, l.Threshold, l.Logging))
	}
	end := p.End.Add(time.Duration(p.Repeat) * p.End.Sub(p.Start))
	return fmt.Sprintf(`{"version":1,"start":%q,"end":%q,"periods":%d,"subnets":[%s],"packets":1,"ip":1,"not_ip":0,"malformed":0,"evicted_subnets":0,"evicted_connections":0,"dropped":0}`,
		p.Start.Format(time.RFC3339), end.Format(time.RFC3339), p.Repeat+1, strings.Join(subs, ","))
}

// TestRestoreHistory: the history restored from a stats stream is the
// history of the same periods added live; what is older than a day before
// the last line is left out, and a bad line is skipped and counted.
func TestRestoreHistory(t *testing.T) {
	var periods []*report.Period
	for m := range 30 * 60 { // 30 hours
		periods = append(periods, minute(t0, m, map[string]uint64{
			"10.0.0.0/24":   uint64(m%97) << 10,
			"2001:db8::/64": uint64(m%13) << 12,
		}))
	}
	idle := minute(t0, 30*60, map[string]uint64{"10.0.0.0/24": 0, "2001:db8::/64": 0})
	idle.Repeat = 9
	periods = append(periods, idle)
	var b strings.Builder
	for i, p := range periods {
		b.WriteString(statsLine(p) + "\n")
		if i == 100 {
			b.WriteString("{not json\n")
		}
	}
	path := filepath.Join(t.TempDir(), "stats.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	live := report.NewHistory(0, nil)
	for _, p := range periods {
		live.Add(p)
	}
	restored := report.NewHistory(0, nil)
	n, err := report.RestoreHistory(restored, path)
	if err == nil || !strings.Contains(err.Error(), "1 line(s) skipped, the first at line 102") {
		t.Errorf("error %v, want the bad line counted", err)
	}
	// The last line ends at minute 1810: minutes 370 to 1799 and the idle run.
	if want := 1800 - 370 + 1; n != want {
		t.Errorf("restored %d periods, want %d (the last day)", n, want)
	}
	for _, s := range []string{"10.0.0.0/24", "2001:db8::/64"} {
		for _, w := range []time.Duration{report.HourWindow, report.DayWindow} {
			want, got := live.Points(prefix(s), w), restored.Points(prefix(s), w)
			if len(got) == 0 || fmt.Sprint(want) != fmt.Sprint(got) {
				t.Errorf("%s over %v: restored %d points differ from live %d", s, w, len(got), len(want))
			}
		}
	}

	if n, err := report.RestoreHistory(report.NewHistory(0, nil), filepath.Join(t.TempDir(), "none")); n != 0 || err != nil {
		t.Errorf("missing file: %d, %v; want 0, nil", n, err)
	}
}

// TestStatusPageRestored: a page started with a stats stream graphs the
// restored history before its first period.
func TestStatusPageRestored(t *testing.T) {
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.jsonl")
	var b strings.Builder
	for m := range 30 {
		b.WriteString(statsLine(minute(t0, m, map[string]uint64{"10.0.0.0/24": 900 << 10})) + "\n")
	}
	if err := os.WriteFile(stats, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "ipband.html")
	h := report.NewStatusPage(page, "t", report.PageOptions{StatsFile: stats}, t.Errorf)
	if err := h.Period(minute(t0, 30, map[string]uint64{"10.0.0.0/24": 900 << 10})); err != nil {
		t.Fatal(err)
	}
	doc := checkPage(t, readBytes(t, page))
	svg := find(doc.root, func(n *nodeT) bool { return n.Data == "svg" })
	if len(svg) != 2 || !strings.Contains(attr(svg[0], "aria-label"), "peak 15.00 kB/s (kilobytes)") {
		t.Fatalf("want the two graphs of 10.0.0.0/24 at 15 kBps")
	}
	paths := find(svg[0], func(n *nodeT) bool { return n.Data == "path" })
	if got := strings.Count(attr(paths[1], "d"), ","); got != 31 {
		t.Errorf("hour graph has %d points, want 31 (30 restored, 1 live)", got)
	}
}
