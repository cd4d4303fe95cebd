package report_test

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"ipband/report"
)

// hostile is a network name that would run a script if not escaped.
const hostile = `<script>alert("x")</script><b onmouseover=x>`

// pageRun feeds a status page two hours of one-minute periods: the hot
// subnet crosses its threshold at minute 100 and keeps logging to the
// end, with a report at minute 105 and 110; the quiet one stays low. It
// returns the page, the reports page and the last period.
func pageRun(t *testing.T, dir string) (page, reports []byte, last *report.Period) {
	t.Helper()
	path := filepath.Join(dir, "ipband.html")
	hot, quiet, v6 := prefix("10.10.81.0/24"), prefix("10.10.2.0/24"), prefix("2001:db8::/64")
	h := report.NewStatusPage(path, "ipband & co <status>", report.PageOptions{Pinned: []netip.Prefix{hot, quiet}}, nil)
	t0 := time.Date(2001, 8, 7, 9, 0, 0, 0, edt)
	crossed := t0.Add(100 * time.Minute)
	for m := range 120 {
		start := t0.Add(time.Duration(m) * time.Minute)
		p := &report.Period{Start: start, End: start.Add(time.Minute),
			Stats: report.Stats{Packets: uint64(1000 + m), IP: 990, Other: 10, Malformed: 1, EvictedSubnets: 2, EvictedConns: 3, Dropped: 4}}
		kbps := 5.0
		var since time.Time
		if m >= 100 {
			kbps, since = 30, crossed
		}
		p.Lines = []report.Line{
			{Subnet: hot, Name: hostile, Bytes: uint64(kbps * 1024 * 60), KBps: kbps, Threshold: 22, Logging: m >= 100, Since: since,
				InKBps: kbps * 0.75, OutKBps: kbps * 0.25, ThresholdIn: 16,
				P95: report.Percentiles{Total: 30, In: 22.5, Out: 7.5, Intervals: 24}},
			{Subnet: quiet, Bytes: 6144 * 60, KBps: 6, Threshold: 10},
			{Subnet: v6, Name: "lab", Bytes: 1024 * 60, KBps: 1, Threshold: 100},
		}
		if err := h.Period(p); err != nil {
			t.Fatal(err)
		}
		if m == 105 || m == 110 {
			r := sampleReport()
			if m == 110 { // the page shows the names of the remote sides
				r = namesReport()
				r.Rows[0].Name = "<script>x</script>.example"
			}
			r.Subnet, r.Name, r.Time, r.Start = hot, hostile, p.End, crossed
			r.Exceeded = p.End.Sub(crossed)
			if err := h.Report(r); err != nil {
				t.Fatal(err)
			}
		}
		last = p
	}
	if got, want := h.ReportsPath(), filepath.Join(dir, "ipband-reports.html"); got != want {
		t.Errorf("ReportsPath %q, want %q", got, want)
	}
	return readBytes(t, path), readBytes(t, h.ReportsPath()), last
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatusPage(t *testing.T) {
	dir := t.TempDir()
	page, reports, _ := pageRun(t, dir)
	golden(t, "status-page.html", page)
	golden(t, "status-reports.html", reports)
	doc := checkPage(t, page)
	rdoc := checkPage(t, reports)

	s := string(page)
	for _, bad := range []string{"<script", "<b onmouseover"} {
		if strings.Contains(s, bad) || strings.Contains(string(reports), bad) {
			t.Errorf("a page holds %q unescaped", bad)
		}
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="60">`,
		"<title>ipband &amp; co &lt;status&gt;</title>",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		`logging since <time datetime="2001-08-07T10:40:00-04:00">2001-08-07 10:40:00</time>, exceeded for 20 min`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// Rows sorted by load: 30/22, then 6/10, then 1/100.
	var order []string
	for _, tr := range find(doc.root, func(n *html.Node) bool {
		return n.Data == "tr" && n.Parent.Data == "tbody" && !hasClass(n.Parent.Parent, "counters")
	}) {
		order = append(order, nodeText(children(tr)[0]))
	}
	if want := []string{"10.10.81.0", "10.10.2.0", "2001:db8::/64"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("rows %q, want %q (by load)", order, want)
	}
	hot := find(doc.root, func(n *html.Node) bool { return hasClass(n, "logging") })
	if len(hot) != 1 || !strings.Contains(nodeText(hot[0]), "136%") {
		t.Errorf("%d logging rows (want 1, at 136%%)", len(hot))
	}

	// Counters, each by name.
	var counters []string
	rows := find(doc.root, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n.Parent.Parent, "counters") })
	if len(rows) != 2 {
		t.Fatalf("counters: %d rows, want names and values", len(rows))
	}
	for i, th := range children(rows[0]) {
		counters = append(counters, nodeText(th)+" "+nodeText(children(rows[1])[i]))
	}
	if got, want := strings.Join(counters, ", "), "Packets 1119, IP packets 990, Not IP 10, Malformed 1, Evicted subnets 2, Evicted connections 3, Kernel drops 4"; got != want {
		t.Errorf("counters %q, want %q", got, want)
	}

	// Every link resolves: in-page anchors to ids of the page, report
	// links to ids of the reports page, newest report first.
	var reportLinks []string
	for _, href := range doc.hrefs {
		file, frag, _ := strings.Cut(href, "#")
		switch file {
		case "":
			if !doc.ids[frag] {
				t.Errorf("link %q: no such id in the page", href)
			}
		case "ipband-reports.html":
			if frag != "" {
				reportLinks = append(reportLinks, frag)
				if !rdoc.ids[frag] {
					t.Errorf("link %q: no such id in the reports page", href)
				}
			}
		default:
			t.Errorf("link %q leaves the pages", href)
		}
	}
	// The banner's latest report, then the row's, newest first.
	if want := []string{"r-10.10.81.0-24-997195860", "r-10.10.81.0-24-997195860", "r-10.10.81.0-24-997195560"}; strings.Join(reportLinks, " ") != strings.Join(want, " ") {
		t.Errorf("report links %q, want %q", reportLinks, want)
	}
	for _, href := range rdoc.hrefs {
		if file, frag, _ := strings.Cut(href, "#"); file == "" && !rdoc.ids[frag] || file != "" && file != "ipband.html" {
			t.Errorf("reports page link %q does not resolve", href)
		}
	}
	pre := find(rdoc.root, func(n *html.Node) bool { return n.Data == "pre" })
	if len(pre) != 2 || !strings.Contains(nodeText(pre[0]), "exceeded for: 11.00 min") || !strings.Contains(nodeText(pre[0]), hostile) {
		t.Errorf("reports page: %d reports; want 2, the newest first, with the name as text", len(pre))
	}

	// Graphs: two per subnet, the hot one with its logging shaded.
	svgs := find(doc.root, func(n *html.Node) bool { return n.Data == "svg" })
	if len(svgs) != 6 {
		t.Fatalf("%d graphs, want 6", len(svgs))
	}
	if n := len(find(svgs[0], func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "shade") })); n != 1 {
		t.Errorf("hot subnet's hour graph: %d shaded runs, want 1", n)
	}
	if n := len(find(svgs[2], func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "shade") })); n != 0 {
		t.Errorf("quiet subnet's graph: %d shaded runs, want 0", n)
	}
}

// TestStatusPageGraph checks the hour graph against the history: its
// rate path has one point per minute of the last hour, the threshold path
// is flat at 22 kBps, and the shaded run covers the logging minutes.
func TestStatusPageGraph(t *testing.T) {
	page, _, _ := pageRun(t, t.TempDir())
	doc := checkPage(t, page)
	svg := find(doc.root, func(n *html.Node) bool { return n.Data == "svg" })[0]
	paths := find(svg, func(n *html.Node) bool { return n.Data == "path" })
	if len(paths) != 2 {
		t.Fatalf("%d paths, want threshold and rate", len(paths))
	}
	pts := func(d string) [][2]float64 {
		var out [][2]float64
		for _, m := range regexp.MustCompile(`([0-9.]+),([0-9.]+)`).FindAllStringSubmatch(d, -1) {
			out = append(out, [2]float64{atof(t, m[1]), atof(t, m[2])})
		}
		return out
	}
	thr, rate := pts(attr(paths[0], "d")), pts(attr(paths[1], "d"))
	// One bucket per one-minute period: 60 points.
	if len(rate) != 60 || len(thr) != 60 {
		t.Fatalf("%d rate and %d threshold points, want 60", len(rate), len(thr))
	}
	// y axis: top = niceCeil(30*1.1) = 50 kBps over 124 units from y=136.
	y := func(kbps float64) float64 { return 136 - kbps/50*124 }
	for i, p := range thr {
		if !near(p[1], y(22)) {
			t.Fatalf("threshold point %d at y %v, want %v", i, p[1], y(22))
		}
	}
	for i, p := range rate {
		want := y(5)
		if i >= 60-20 { // the last 20 minutes at 30 kBps
			want = y(30)
		}
		if !near(p[1], want) {
			t.Errorf("rate point %d at y %v, want %v", i, p[1], want)
		}
	}
	shade := find(svg, func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "shade") })[0]
	x, w := atof(t, attr(shade, "x")), atof(t, attr(shade, "width"))
	if wantX, wantW := 40+434*40.0/60, 434*20.0/60; !near(x, wantX) || !near(w, wantW) {
		t.Errorf("shade x %v width %v, want %v %v (the last 20 of 60 minutes)", x, w, wantX, wantW)
	}
}

func near(a, b float64) bool { return a-b < 0.11 && b-a < 0.11 }

func TestStatusPageStdout(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	t.Chdir(dir)
	h := report.NewStatusPage("-", "t", report.PageOptions{Stdout: &out}, nil)
	p := faultyPeriod()
	for range 2 {
		if err := h.Period(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "<!DOCTYPE html>"); n != 2 {
		t.Errorf("%d pages on stdout, want one per period", n)
	}
	one := out.String()[:len(out.String())/2]
	checkPage(t, []byte(one))
	if strings.Contains(one, "reports.html") {
		t.Error("a page on stdout links to a reports page")
	}
	if h.ReportsPath() != "" {
		t.Errorf("ReportsPath %q for stdout", h.ReportsPath())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("stdout page wrote %d files", len(ents))
	}
}

func TestStatusPageEmpty(t *testing.T) {
	var out bytes.Buffer
	h := report.NewStatusPage("-", "t", report.PageOptions{Stdout: &out}, nil)
	if err := h.Period(nil); err != nil {
		t.Fatal(err)
	}
	checkPage(t, out.Bytes())
	for _, want := range []string{`content="60"`, "No subnet to show this period.", "Kernel drops"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
}

// TestStatusPageNamesCounters checks the names counters: shown, each by
// name, when the period saw DNS answers or evicted names, and absent
// otherwise (TestStatusPage's counters).
func TestStatusPageNamesCounters(t *testing.T) {
	var out bytes.Buffer
	h := report.NewStatusPage("-", "t", report.PageOptions{Stdout: &out}, nil)
	start := time.Date(2001, 8, 7, 9, 0, 0, 0, edt)
	p := &report.Period{Start: start, End: start.Add(time.Minute),
		Stats: report.Stats{Packets: 10, IP: 10, DNSAnswers: 41, DNSIgnored: 2, DNSMalformed: 1, NamesEvicted: 3}}
	if err := h.Period(p); err != nil {
		t.Fatal(err)
	}
	doc := checkPage(t, out.Bytes())
	rows := find(doc.root, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n.Parent.Parent, "counters") })
	if len(rows) != 2 {
		t.Fatalf("counters: %d rows, want names and values", len(rows))
	}
	var counters []string
	for i, th := range children(rows[0]) {
		counters = append(counters, nodeText(th)+" "+nodeText(children(rows[1])[i]))
	}
	got := strings.Join(counters, ", ")
	if want := "DNS answers used 41, DNS answers ignored 2, DNS messages malformed 1, Names evicted 3"; !strings.Contains(got, want) {
		t.Errorf("counters %q, want them to hold %q", got, want)
	}
}

// TestStatusPageReplayGolden checks the page that ipband writes from
// testdata/classic.pcap (the golden of cmd/ipband): it is the page a
// browser renders in docs/status-page.png.
func TestStatusPageReplayGolden(t *testing.T) {
	for _, name := range []string{"page-classic.html", "page-classic-reports.html"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name+".golden"))
		if err != nil {
			t.Fatalf("%v (made by go test ./cmd/ipband -run Page -update)", err)
		}
		checkPage(t, b)
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPagesTidy runs HTML Tidy, an HTML5 validator, on the pages' goldens
// (the synthetic run and the replay of testdata/classic.pcap): no error and
// no warning. It skips when tidy is not installed (apt-get install tidy).
func TestPagesTidy(t *testing.T) {
	tidy, err := exec.LookPath("tidy")
	if err != nil {
		t.Skip("tidy not installed (apt-get install tidy): pages not validated with it")
	}
	for _, path := range []string{
		"testdata/status-page.html.golden",
		"testdata/status-reports.html.golden",
		"../testdata/golden/page-classic.html.golden",
		"../testdata/golden/page-classic-reports.html.golden",
	} {
		out, err := exec.Command(tidy, "-e", "-q", path).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("tidy %s: %v\n%s", path, err, out)
		}
	}
}

// TestStatusPageKeepsQuietSubnets checks that in dynamic mode a subnet
// that was logging stays on the page, with its graphs, once it goes
// quiet, where the page said "No subnet to show this period"; one that
// never logged does not.
func TestStatusPageKeepsQuietSubnets(t *testing.T) {
	var out bytes.Buffer
	h := report.NewStatusPage("-", "t", report.PageOptions{Stdout: &out}, nil)
	hot, calm := prefix("10.0.1.0/24"), prefix("10.0.2.0/24")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for m := range 5 {
		out.Reset()
		start := t0.Add(time.Duration(m) * time.Minute)
		p := &report.Period{Start: start, End: start.Add(time.Minute), MaskBits: 24}
		if m < 2 {
			p.Lines = []report.Line{
				{Subnet: hot, Name: "lab", Bytes: 30 * 1024 * 60, KBps: 30, Threshold: 7, Logging: m == 1, Since: start},
				{Subnet: calm, Bytes: 1024 * 60, KBps: 1, Threshold: 7},
			}
		}
		if err := h.Period(p); err != nil {
			t.Fatal(err)
		}
	}
	doc := checkPage(t, out.Bytes())
	s := out.String()
	if strings.Contains(s, "No subnet to show") {
		t.Error("the page shows no subnet after the logging one went quiet")
	}
	rows := find(doc.root, func(n *html.Node) bool {
		return n.Data == "tr" && n.Parent.Data == "tbody" && !hasClass(n.Parent.Parent, "counters")
	})
	if len(rows) != 1 || !hasClass(rows[0], "quiet") || !strings.Contains(nodeText(rows[0]), "10.0.1.0") || !strings.Contains(nodeText(rows[0]), "no traffic this period") {
		t.Errorf("want one quiet row, of 10.0.1.0; got %d rows:\n%s", len(rows), s)
	}
	if !doc.ids["s-10.0.1.0-24"] || doc.ids["s-10.0.2.0-24"] {
		t.Errorf("graphs: want those of 10.0.1.0 only")
	}
}

// TestStatusPageGraphAxes checks that a subnet's hour and day graphs
// share a scale (the day's peak sets it for both), and that the time axis
// has a few ticks at round times in the page's zone, named in the caption.
func TestStatusPageGraphAxes(t *testing.T) {
	var out bytes.Buffer
	h := report.NewStatusPage("-", "t", report.PageOptions{Stdout: &out}, nil)
	sub := prefix("10.0.1.0/24")
	zone := time.FixedZone("CET", 3600)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, zone)
	for m := range 180 {
		out.Reset()
		start := t0.Add(time.Duration(m) * time.Minute)
		kbps := 3.0
		if m < 60 { // a peak two hours ago: in the day graph only
			kbps = 80
		}
		p := &report.Period{Start: start, End: start.Add(time.Minute), MaskBits: 24,
			Lines: []report.Line{{Subnet: sub, Bytes: uint64(kbps * 1024 * 60), KBps: kbps, Threshold: 100}}}
		if err := h.Period(p); err != nil {
			t.Fatal(err)
		}
	}
	doc := checkPage(t, out.Bytes())
	svgs := find(doc.root, func(n *html.Node) bool { return n.Data == "svg" })
	if len(svgs) != 2 {
		t.Fatalf("%d graphs, want 2", len(svgs))
	}
	labels := func(svg *html.Node) []string {
		var l []string
		for _, n := range find(svg, func(n *html.Node) bool { return n.Data == "text" }) {
			l = append(l, nodeText(n))
		}
		return l
	}
	hour, day := labels(svgs[0]), labels(svgs[1])
	// y labels first: top (niceCeil(100*1.1) = 200), middle; ticks; 0.
	if !slices.Contains(hour, "200") || !slices.Contains(day, "200") {
		t.Errorf("scales differ or are wrong: hour %q, day %q; want both topped at 200", hour, day)
	}
	if want := []string{"11:15", "11:30", "11:45"}; !containsAll(hour, want) {
		t.Errorf("hour ticks %q, want %q (CET)", hour, want)
	}
	if want := []string{"18:00", "00:00", "06:00"}; !containsAll(day, want) {
		t.Errorf("day ticks %q, want %q", day, want)
	}
	if caps := find(doc.root, func(n *html.Node) bool { return n.Data == "figcaption" }); len(caps) != 2 || !strings.Contains(nodeText(caps[0]), "(CET)") {
		t.Errorf("the captions do not name the time zone")
	}
	if p := find(doc.root, func(n *html.Node) bool { return hasClass(n, "period") }); len(p) != 1 || !strings.Contains(nodeText(p[0]), "times in CET (UTC+01:00)") {
		t.Errorf("the page does not name its time zone")
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// TestStatusPageStaleAndDark checks the parts of the page a browser
// test renders (cmd/ipband TestPageInBrowser): the stale banner appears
// after two periods by a CSS animation delay, with no script, and a dark
// scheme is declared.
func TestStatusPageStaleAndDark(t *testing.T) {
	page, _, _ := pageRun(t, t.TempDir())
	s := string(page)
	for _, want := range []string{
		`<meta name="color-scheme" content="light dark">`,
		"@media (prefers-color-scheme: dark)",
		`<p class="stale" role="alert" style="animation-name: stale; animation-delay: 120s">`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(s, "<script") {
		t.Error("the page has a script")
	}
}

// TestStatusPageStopped checks the last page of a capture that stops: no
// refresh, and the stale banner at once.
func TestStatusPageStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ipband.html")
	h := report.NewStatusPage(path, "t", report.PageOptions{}, nil)
	if err := h.Period(faultyPeriod()); err != nil {
		t.Fatal(err)
	}
	if s := string(readBytes(t, path)); !strings.Contains(s, `http-equiv="refresh"`) || strings.Contains(s, "ipband stopped") {
		t.Fatalf("a running page:\n%s", s)
	}
	if err := h.Stopped(); err != nil {
		t.Fatal(err)
	}
	s := string(readBytes(t, path))
	checkPage(t, []byte(s))
	if strings.Contains(s, `http-equiv="refresh"`) || !strings.Contains(s, `animation-delay: 0s">Stale: ipband stopped after the period ending`) {
		t.Errorf("the stopped page:\n%s", s)
	}
}
