package report

import (
	"bytes"
	"cmp"
	_ "embed" // the page templates
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultRefresh is the refresh interval of a page whose period has no
// length (a zero Period), in seconds.
const defaultRefresh = 60

// DefaultPageReports is the number of recent reports a status page keeps
// for its reports page when PageOptions.Reports is 0.
const DefaultPageReports = 50

// reportsPerSubnet is the number of latest reports the status page links
// from each subnet's row.
const reportsPerSubnet = 3

// pageTimeLayout is how the status page prints times, in their location.
const pageTimeLayout = "2006-01-02 15:04:05"

//go:embed page.tmpl
var pageTemplates string

// pageTmpl parses pageTemplates once.
var pageTmpl = sync.OnceValues(func() (*template.Template, error) {
	return template.New("page.tmpl").Parse(pageTemplates)
})

// PageOptions configures a status page. The zero PageOptions is the
// defaults: embedded names, DefaultHistorySubnets, DefaultPageReports, no
// history restored, os.Stdout for "-".
type PageOptions struct {
	// Names names services and protocols in the reports page; nil means
	// EmbeddedNames().
	Names *Names
	// Pinned are subnets whose history is always kept (the preloaded
	// subnets).
	Pinned []netip.Prefix
	// HistorySubnets is the most subnets with history graphs; 0 means
	// DefaultHistorySubnets.
	HistorySubnets int
	// Reports is the number of recent reports kept for the reports page;
	// 0 means DefaultPageReports.
	Reports int
	// StatsFile is the stats stream (statsfile) whose last day restores
	// the history at start; "" restores nothing.
	StatsFile string
	// Stdout is where the page goes when the path is "-"; nil means
	// os.Stdout.
	Stdout io.Writer
	// Mode is the mode of the page and its reports page, set whatever
	// the umask; 0 means DefaultPageMode (0644).
	Mode fs.FileMode
}

// pageState is what a status page remembers between periods; its
// HTMLFile's mu guards it.
type pageState struct {
	opt     PageOptions
	hist    *History
	reports []Report // newest last, at most opt.Reports
	last    *Period  // the latest period, rendered again when a report comes
	stopped bool     // Stopped was called: the page is final
	// noted are the subnets that logged or were reported: they stay on
	// the page, with their graphs, while the history keeps them, even
	// in periods they carry no traffic (dynamic subnets gone quiet).
	noted map[netip.Prefix]bool
}

var _ Output = (*HTMLFile)(nil)

// NewStatusPage returns the -w status page at path ("-" for standard
// output, where each period's page is written in turn and no reports page
// is kept). Besides the page it writes, beside it, a reports page
// (ReportsPath) holding the recent reports, one anchor each, that the
// status page links to. When opt.StatsFile is set the history is restored
// from it; a fault there is logged with logf and the page starts with what
// could be read.
func NewStatusPage(path, title string, opt PageOptions, logf Logf) *HTMLFile {
	h := NewHTMLFile(path, title, logf)
	if opt.Mode != 0 {
		h.mode = opt.Mode
	}
	h.st = newPageState(opt)
	if opt.StatsFile != "" && opt.StatsFile != "-" {
		if _, err := RestoreHistory(h.st.hist, opt.StatsFile); err != nil && logf != nil {
			logf("%s: %v", path, err)
		}
	}
	return h
}

func newPageState(opt PageOptions) *pageState {
	if opt.Reports <= 0 {
		opt.Reports = DefaultPageReports
	}
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	return &pageState{opt: opt, hist: NewHistory(opt.HistorySubnets, opt.Pinned), noted: make(map[netip.Prefix]bool)}
}

// Name names the page in logs: "status page FILE".
func (h *HTMLFile) Name() string { return "status page " + h.path }

// Period adds p to the history and rewrites the page.
func (h *HTMLFile) Period(p *Period) error { return h.period(p) }

// Report adds r to the recent reports, rewrites the reports page and then
// the status page, so that the page links to r at once.
func (h *HTMLFile) Report(r Report) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state()
	st.reports = append(st.reports, r)
	st.noted[r.Subnet] = true
	if n := len(st.reports) - st.opt.Reports; n > 0 {
		st.reports = slices.Delete(st.reports, 0, n)
	}
	if h.path == "-" {
		return nil
	}
	var buf bytes.Buffer
	if err := st.renderReports(&buf, h.title, filepath.Base(h.path)); err != nil {
		return err
	}
	if err := replaceFile(h.ReportsPath(), buf.Bytes(), h.mode); err != nil {
		h.cond.fail("write", err, "") // one fault for both pages: they share a directory
		return fmt.Errorf("reports page: %w", err)
	}
	if st.last == nil {
		return nil
	}
	return h.writePage(st.last)
}

// Stopped rewrites the latest page as the last one, for a capture that
// stops: it no longer refreshes itself and says at once that it is stale.
// A page on standard output, or before any period, is left as it is.
func (h *HTMLFile) Stopped() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state()
	st.stopped = true
	if h.path == "-" || st.last == nil {
		return nil
	}
	return h.writePage(st.last)
}

// ReportsPath returns the file of the reports page: the page's name with
// "-reports" before its extension (ipband.html: ipband-reports.html), or
// "" for a page on standard output.
func (h *HTMLFile) ReportsPath() string {
	if h.path == "-" {
		return ""
	}
	ext := filepath.Ext(h.path)
	return strings.TrimSuffix(h.path, ext) + "-reports" + ext
}

// state returns the page's state, made with the defaults for an HTMLFile
// from NewHTMLFile. h.mu must be held.
func (h *HTMLFile) state() *pageState {
	if h.st == nil {
		h.st = newPageState(PageOptions{})
	}
	return h.st
}

// period records p and writes the page of it.
func (h *HTMLFile) period(p *Period) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state()
	if p == nil {
		p = &Period{}
	}
	last := *p
	last.Lines = slices.Clone(p.Lines)
	st.last = &last
	st.hist.Add(&last)
	for _, l := range last.Lines {
		if l.Logging {
			st.noted[l.Subnet] = true
		}
	}
	return h.writePage(&last)
}

// writePage renders the page of p and replaces the file, or writes it to
// standard output. h.mu must be held.
func (h *HTMLFile) writePage(p *Period) error {
	var buf bytes.Buffer
	reports := ""
	if h.path != "-" {
		reports = filepath.Base(h.ReportsPath())
	}
	if err := h.st.render(&buf, h.title, p, reports); err != nil {
		return err
	}
	var err error
	if h.path == "-" {
		err = writeAll(h.st.opt.Stdout, buf.Bytes())
	} else {
		err = replaceFile(h.path, buf.Bytes(), h.mode)
	}
	if err != nil {
		h.cond.fail("write", err, "")
		return fmt.Errorf("html page: %w", err)
	}
	h.cond.recover("")
	return nil
}

// pageView is what the "page" template shows.
type pageView struct {
	Title       string
	Refresh     int
	Seconds     int
	Stale       int  // seconds after which the page shows itself stale: two periods
	Stopped     bool // the capture stopped: no refresh, stale now
	End, EndISO string
	Zone        string // the time zone of the times shown: "EDT (UTC-04:00)"
	Repeat      string
	Hot         []*rowView
	Rows        []*rowView // by load now
	Graphs      []*rowView // the graphed rows, by peak load in the last hour
	Counters    []counterView
	ReportsHref string
	Latest      *linkView // the newest report, or nil
}

// rowView is one subnet of the page.
type rowView struct {
	ID, Subnet, Name     string
	KBps, Threshold, Pct string
	In, Out              string // kB/s in and out, with "/ threshold" when the direction has one
	P95                  string // 95th percentile of 5-minute rates, 24 h: "20.10 (in 14.20, out 6.30)", or ""
	Load                 string // share of the threshold, for <meter>
	Logging              bool
	Quiet                bool // kept on the page (it logged or was reported) with no traffic now
	Since, SinceISO      string
	Exceeded             string
	Reports              []linkView // newest first
	Latest               *linkView  // Reports[0], or nil
	Graphed              bool
	Hour, Day            graph
	load                 float64 // share of the threshold this period
	peak                 float64 // highest share in the last hour
}

// linkView is a link to a report, or its time when there is no reports
// page.
type linkView struct {
	Href, Text   string
	Subnet, Name string // of the report, for the newest one
}

type counterView struct {
	Name, Value string
}

// render writes the status page of p; reports is the reports page's file
// name relative to the page, or "".
func (st *pageState) render(w io.Writer, title string, p *Period, reports string) error {
	t, err := pageTmpl()
	if err != nil {
		return fmt.Errorf("html page template: %w", err)
	}
	if err := t.ExecuteTemplate(w, "page", st.view(title, p, reports)); err != nil {
		return fmt.Errorf("render html page: %w", err)
	}
	return nil
}

// view prepares p for the template.
func (st *pageState) view(title string, p *Period, reports string) *pageView {
	secs := int(p.End.Sub(p.Start).Round(time.Second) / time.Second)
	v := &pageView{
		Title:       title,
		Refresh:     secs,
		Seconds:     secs,
		End:         p.End.Format(pageTimeLayout),
		EndISO:      p.End.Format(time.RFC3339),
		Zone:        zoneName(p.End),
		ReportsHref: reports,
	}
	if v.Refresh <= 0 {
		v.Refresh = defaultRefresh
	}
	v.Stale = 2 * v.Refresh
	if st.stopped {
		v.Stopped, v.Refresh, v.Stale = true, 0, 0
	}
	if p.Repeat > 0 {
		v.Repeat = string(appendCount(nil, uint64(p.Repeat), "more idle period")) +
			", until " + endOfRepeat(p).Format(pageTimeLayout)
	}
	latest := st.latestReports(reports)
	if n := len(st.reports); n > 0 {
		r := &st.reports[n-1]
		l := latest[r.Subnet][0]
		l.Subnet, l.Name = string(appendSubnet(nil, r.Subnet, r.MaskBits)), r.Name
		v.Latest = &l
	}
	end := endOfRepeat(p)
	shown := make(map[netip.Prefix]bool, len(p.Lines))
	for _, l := range p.Lines {
		r := st.row(l, end, latest[l.Subnet], p.MaskBits)
		v.Rows = append(v.Rows, r)
		shown[l.Subnet] = true
	}
	for _, sub := range st.hist.order { // the noted subnets gone quiet
		s := st.hist.subs[sub]
		if !st.noted[sub] || shown[sub] {
			continue
		}
		r := st.row(Line{Subnet: sub, Name: s.name, Threshold: s.threshold}, end, latest[sub], p.MaskBits)
		r.Quiet = true
		v.Rows = append(v.Rows, r)
	}
	for sub := range st.noted { // forget those the history no longer keeps
		if st.hist.subs[sub] == nil {
			delete(st.noted, sub)
		}
	}
	slices.SortStableFunc(v.Rows, func(a, b *rowView) int { return cmp.Compare(b.load, a.load) })
	for _, r := range v.Rows {
		if r.Logging {
			v.Hot = append(v.Hot, r)
		}
		if r.Graphed {
			v.Graphs = append(v.Graphs, r)
		}
	}
	slices.SortStableFunc(v.Graphs, func(a, b *rowView) int { return cmp.Compare(b.peak, a.peak) })
	s := p.Stats
	for _, c := range [...]struct {
		name string
		n    uint64
	}{
		{"Packets", s.Packets},
		{"IP packets", s.IP},
		{"Not IP", s.Other},
		{"Malformed", s.Malformed},
		{"Evicted subnets", s.EvictedSubnets},
		{"Evicted connections", s.EvictedConns},
		{"Kernel drops", s.Dropped},
	} {
		v.Counters = append(v.Counters, counterView{c.name, strconv.FormatUint(c.n, 10)})
	}
	// Names of the other side, when the period saw DNS or evicted names.
	if s.DNSAnswers+s.DNSIgnored+s.DNSMalformed+s.NamesEvicted > 0 {
		v.Counters = append(v.Counters,
			counterView{"DNS answers used", strconv.FormatUint(s.DNSAnswers, 10)},
			counterView{"DNS answers ignored", strconv.FormatUint(s.DNSIgnored, 10)},
			counterView{"DNS messages malformed", strconv.FormatUint(s.DNSMalformed, 10)},
			counterView{"Names evicted", strconv.FormatUint(s.NamesEvicted, 10)})
	}
	if len(p.Exporters) > 0 || s.Records > 0 {
		v.Counters = append(v.Counters,
			counterView{"Flow records", strconv.FormatUint(s.Records, 10)},
			counterView{"Late flow bytes", strconv.FormatUint(s.LateBytes, 10)})
	}
	for _, x := range p.Exporters {
		v.Counters = append(v.Counters, counterView{"Exporter " + x.Label(), exporterHealth(x)})
	}
	if p.UnknownDatagrams > 0 {
		v.Counters = append(v.Counters, counterView{"Unknown exporters' datagrams", strconv.FormatUint(p.UnknownDatagrams, 10)})
	}
	return v
}

// row prepares one line; end is the end of the period shown, maskBits the
// mask in force (a subnet of another length is shown with its length).
func (st *pageState) row(l Line, end time.Time, reports []linkView, maskBits int) *rowView {
	r := &rowView{
		ID:        "s-" + anchorSafe(l.Subnet.String()),
		Subnet:    string(appendSubnet(nil, l.Subnet, maskBits)),
		Name:      l.Name,
		KBps:      strconv.FormatFloat(l.KBps, 'f', 2, 64),
		Threshold: strconv.FormatFloat(l.Threshold, 'f', 2, 64),
		In:        dirRate(l.InKBps, l.ThresholdIn),
		Out:       dirRate(l.OutKBps, l.ThresholdOut),
		P95:       p95Text(l.P95),
		Logging:   l.Logging,
		Reports:   reports,
	}
	if len(reports) > 0 {
		r.Latest = &reports[0]
	}
	if l.Threshold > 0 {
		r.load = l.KBps / l.Threshold
	}
	r.Pct = strconv.FormatFloat(100*r.load, 'f', 0, 64) + "%"
	r.Load = strconv.FormatFloat(min(r.load, 1), 'f', 3, 64)
	if l.Logging && !l.Since.IsZero() {
		r.Since = l.Since.Format(pageTimeLayout)
		r.SinceISO = l.Since.Format(time.RFC3339)
		r.Exceeded = formatSpan(end.Sub(l.Since))
	}
	if st.hist.subs[l.Subnet] != nil {
		now := st.hist.Now().In(end.Location()) // the page's time zone
		r.Graphed = true
		hour := st.hist.Points(l.Subnet, HourWindow)
		for _, p := range hour {
			if p.Threshold > 0 {
				r.peak = max(r.peak, p.KBps/p.Threshold)
			}
		}
		day := st.hist.Points(l.Subnet, DayWindow)
		top := graphScale(hour, day) // one scale for both graphs
		r.Hour = newGraph("last hour", hour, HourWindow, now, top)
		r.Day = newGraph("last day", day, DayWindow, now, top)
	}
	return r
}

// latestReports returns, per subnet, links to its latest reports, newest
// first.
func (st *pageState) latestReports(reports string) map[netip.Prefix][]linkView {
	out := make(map[netip.Prefix][]linkView)
	for i := len(st.reports) - 1; i >= 0; i-- {
		r := &st.reports[i]
		if len(out[r.Subnet]) >= reportsPerSubnet {
			continue
		}
		l := linkView{Text: r.Time.Format("15:04")}
		if r.Time.YearDay() != st.hist.Now().YearDay() || r.Time.Year() != st.hist.Now().Year() {
			l.Text = r.Time.Format("Jan 2 15:04")
		}
		if reports != "" {
			l.Href = reports + "#" + reportID(r)
		}
		out[r.Subnet] = append(out[r.Subnet], l)
	}
	return out
}

// reportsView is what the "reports" template shows.
type reportsView struct {
	Title    string
	Refresh  int
	PageHref string
	Reports  []reportView
}

type reportView struct {
	ID, Subnet, Name string
	Time, TimeISO    string
	Start, StartISO  string
	Exceeded         string
	Text             string
}

// renderReports writes the reports page, newest report first; page is
// the status page's file name.
func (st *pageState) renderReports(w io.Writer, title, page string) error {
	t, err := pageTmpl()
	if err != nil {
		return fmt.Errorf("html page template: %w", err)
	}
	v := &reportsView{Title: title + ": reports", PageHref: page}
	for i := len(st.reports) - 1; i >= 0; i-- {
		r := &st.reports[i]
		v.Reports = append(v.Reports, reportView{
			ID:       reportID(r),
			Subnet:   string(appendSubnet(nil, r.Subnet, r.MaskBits)),
			Name:     r.Name,
			Time:     r.Time.Format(pageTimeLayout),
			TimeISO:  r.Time.Format(time.RFC3339),
			Start:    r.Start.Format(pageTimeLayout),
			StartISO: r.Start.Format(time.RFC3339),
			Exceeded: formatSpan(r.Exceeded),
			Text:     strings.TrimRight(string(AppendText(nil, *r, st.opt.Names)), "\n"),
		})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "reports", v); err != nil {
		return fmt.Errorf("render reports page: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// reportID is the anchor of a report in the reports page:
// "r-10.10.81.0-24-997091040", the subnet and the report's Unix time.
func reportID(r *Report) string {
	return "r-" + anchorSafe(r.Subnet.String()) + "-" + strconv.FormatInt(r.Time.Unix(), 10)
}

// anchorSafe makes a prefix usable in an id and a URL fragment as is.
func anchorSafe(s string) string {
	return strings.NewReplacer("/", "-", ":", "_").Replace(s)
}

// zoneName names the time zone of t for people: "EDT (UTC-04:00)", or
// "UTC".
func zoneName(t time.Time) string {
	name, off := t.Zone()
	if off == 0 && (name == "UTC" || name == "GMT" || name == "") {
		return "UTC"
	}
	return name + " (UTC" + t.Format("-07:00") + ")"
}

// formatSpan prints a duration for people: "45 s", "5 min", "1 h 5 min",
// "2 d 3 h".
func formatSpan(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		s := strconv.Itoa(int(d/time.Minute)) + " min"
		if sec := d % time.Minute; sec != 0 {
			s += " " + strconv.Itoa(int(sec/time.Second)) + " s"
		}
		return s
	case d < 24*time.Hour:
		s := strconv.Itoa(int(d/time.Hour)) + " h"
		if m := d % time.Hour / time.Minute; m != 0 {
			s += " " + strconv.Itoa(int(m)) + " min"
		}
		return s
	}
	s := strconv.Itoa(int(d/(24*time.Hour))) + " d"
	if h := d % (24 * time.Hour) / time.Hour; h != 0 {
		s += " " + strconv.Itoa(int(h)) + " h"
	}
	return s
}

// dirRate shows a direction's rate, and its threshold when it has one:
// "12.00" or "12.00 / 16.00".
func dirRate(kbps, threshold float64) string {
	s := strconv.FormatFloat(kbps, 'f', 2, 64)
	if threshold > 0 {
		s += " / " + strconv.FormatFloat(threshold, 'f', 2, 64)
	}
	return s
}

// p95Text shows the 95th percentiles of a line, "" when there are none.
func p95Text(p Percentiles) string {
	if p.Intervals == 0 {
		return ""
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	return f(p.Total) + " (in " + f(p.In) + ", out " + f(p.Out) + ")"
}

// exporterHealth is an exporter's health for the page: what the -d 2
// table says of it after its name.
func exporterHealth(x Exporter) string {
	b := appendExporters(nil, &Period{Exporters: []Exporter{x}})
	if i := strings.Index(string(b), ": "); i >= 0 {
		b = b[i+2:]
	}
	return strings.TrimSpace(string(b))
}
