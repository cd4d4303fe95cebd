package prometheus_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"ipband/report"
	"ipband/report/metrics"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/flow"
)

// engineOut hands the engine's periods and reports to the metrics.
type engineOut struct{ m *metrics.Metrics }

func (o engineOut) Period(p *report.Period) { o.m.Period(p) } //nolint:errcheck // never fails
func (o engineOut) Report(r report.Report)  { o.m.Report(r) } //nolint:errcheck // never fails

// realScrape replays testdata/classic.pcap, the branch network of
// testdata/classic.conf with its names, through the engine into the
// metrics (with mail counters, as with -M), serves them over HTTP and
// returns a scrape: every series ipband can show.
func realScrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	fams := scrapeReplay(t, "../../testdata/classic.pcap", false)
	// A replay of a recorded flow export (softflowd's NetFlow v9 of the
	// same traffic) has the flow collector's series too.
	for name, f := range scrapeReplay(t, "../../testdata/flows-v9.pcap", true) {
		if _, ok := fams[name]; !ok {
			fams[name] = f
		}
	}
	return fams
}

// scrapeReplay replays path (a capture, or with flows a capture of flow
// exports to port 2055) into ipband's metrics and scrapes them.
func scrapeReplay(t *testing.T, path string, flows bool) map[string]*dto.MetricFamily {
	t.Helper()
	networks, err := subnet.LoadNetworks("../../testdata/networks")
	if err != nil {
		t.Fatal(err)
	}
	var pre []subnet.Preload
	var prefixes []netip.Prefix
	for _, s := range []string{"10.10.123.0/24", "10.10.81.0/24", "10.10.1.0/24", "10.10.2.0/24"} {
		p := netip.MustParsePrefix(s)
		pre = append(pre, subnet.Preload{Prefix: p, Threshold: 22, In: 20}) // a direction threshold has series too
		prefixes = append(prefixes, p)
	}
	m := metrics.New(metrics.Options{Preloaded: prefixes, Average: time.Minute, Report: 5 * time.Minute, Version: "test",
		Mail: func() metrics.MailCounts { return metrics.MailCounts{} }})
	m.SetNames(networks.Name)
	e, err := watchdog.New(watchdog.Config{Average: time.Minute, Report: 5 * time.Minute, MaxConns: 1000,
		Window:  report.NewRateWindow(0, 0, 0), // the 95th percentile series, as ipband has them
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 10, Preload: pre, Networks: networks}}, engineOut{m})
	if err != nil {
		t.Fatal(err)
	}
	var src watchdog.Source
	if flows {
		col := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
		fsrc, err := flow.OpenFile(path, []uint16{2055}, col)
		if err != nil {
			t.Fatal(err)
		}
		e.SetAnnotator(col)
		src = fsrc
	} else {
		fsrc, err := watchdog.OpenFileSource(path, "")
		if err != nil {
			t.Fatal(err)
		}
		src = fsrc
	}
	defer src.Close()
	if err := src.Run(context.Background(), e, watchdog.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	var reports float64
	for _, s := range fams["ipband_reports_total"].GetMetric() {
		reports += s.GetCounter().GetValue()
	}
	if reports == 0 {
		t.Fatalf("the replay made no report: not a scrape of every series\n%s", body)
	}
	return fams
}

// vocabulary is the metric names and label names a query may use.
type vocabulary struct {
	metrics map[string]map[string]bool // metric name: its labels
	labels  map[string]bool            // every label
}

// targetLabels are the labels Prometheus adds to every series of a
// target (job, instance) and those the README's scrape config adds
// (sensor, status_url).
var targetLabels = []string{"job", "instance", "sensor", "status_url"}

// newVocabulary takes the names of a real scrape, with the target labels
// on every metric, and Prometheus' own up.
func newVocabulary(fams map[string]*dto.MetricFamily) vocabulary {
	v := vocabulary{metrics: map[string]map[string]bool{"up": {}}, labels: map[string]bool{}}
	for name, f := range fams {
		v.metrics[name] = map[string]bool{}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				v.metrics[name][l.GetName()] = true
				v.labels[l.GetName()] = true
			}
		}
	}
	for _, ls := range v.metrics {
		for _, l := range targetLabels {
			ls[l] = true
		}
	}
	for _, l := range targetLabels {
		v.labels[l] = true
	}
	return v
}

var (
	// identifier is a metric name or a recording rule's name.
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// selector is a metric name with its label matchers.
	selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	// matcher is one label matcher of a selector.
	matcher = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	// grouping lists labels: by, without, on, ignoring, group_left and
	// group_right.
	grouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	// quoted strings are left out when looking for metric names.
	quoted = regexp.MustCompile(`"(\\.|[^"\\])*"`)
)

// checkQuery reports the metric names and labels of the PromQL query q
// that the vocabulary does not have. Names with ipband's prefixes, go_,
// process_ and up are metric names; recorded are the names of recording
// rules, which are not scraped.
func (v vocabulary) checkQuery(t *testing.T, where, q string, recorded map[string]bool) {
	t.Helper()
	bare := quoted.ReplaceAllString(q, `""`)
	names := 0
	for _, id := range identifier.FindAllString(bare, -1) {
		if !strings.HasPrefix(id, "ipband") && !strings.HasPrefix(id, "process_") && !strings.HasPrefix(id, "go_") && id != "up" {
			continue
		}
		names++
		if _, ok := v.metrics[id]; !ok && !recorded[id] {
			t.Errorf("%s: %q names %s, which a scrape of ipband does not have", where, q, id)
		}
	}
	if names == 0 {
		t.Errorf("%s: %q names no metric", where, q)
	}
	for _, m := range selector.FindAllStringSubmatch(q, -1) {
		for _, l := range matcher.FindAllStringSubmatch(m[2], -1) {
			if ls, ok := v.metrics[m[1]]; ok && !ls[l[1]] {
				t.Errorf("%s: %q selects %s by %s, which it does not have", where, q, m[1], l[1])
			}
		}
	}
	for _, m := range grouping.FindAllStringSubmatch(q, -1) {
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" && !v.labels[l] {
				t.Errorf("%s: %q groups by %s, a label no ipband metric has", where, q, l)
			}
		}
	}
}

// TestRulesNameRealMetrics: every metric and label the rules' queries and
// their unit tests' series name is in a real scrape of ipband, so that
// the unit tests test the series ipband has.
func TestRulesNameRealMetrics(t *testing.T) {
	v := newVocabulary(realScrape(t))
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*- record: (\S+)`).FindAllStringSubmatch(string(rules), -1) {
		recorded[m[1]] = true
	}
	exprs := regexp.MustCompile(`(?m)^\s*expr: (\|\n((?:\s{10,}.*\n)+)|(.*))`).FindAllStringSubmatch(string(rules), -1)
	if len(exprs) != len(recorded)+len(alertNames(t)) {
		t.Fatalf("found %d expressions for %d rules", len(exprs), len(recorded)+len(alertNames(t)))
	}
	for _, m := range exprs {
		v.checkQuery(t, rulesFile, m[2]+m[3], recorded)
	}
	tests, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	series := regexp.MustCompile(`(?m)^\s*- series: '(.*)'`).FindAllStringSubmatch(string(tests), -1)
	if len(series) == 0 {
		t.Fatal("no input series in the unit tests")
	}
	for _, m := range series {
		v.checkQuery(t, rulesTestFile, m[1], recorded)
	}
}

// TestRealScrapeVocabulary: the scrape the query tests rely on has the
// series the rules join on; a sanity check of realScrape itself.
func TestRealScrapeVocabulary(t *testing.T) {
	v := newVocabulary(realScrape(t))
	var missing []string
	for name, labels := range map[string][]string{
		"ipband_subnet_info":              {"subnet", "name", "preloaded"},
		"ipband_subnet_exceeded_seconds":  {"subnet"},
		"ipband_reporting_period_seconds": nil,
		"ipband_build_info":               {"version", "goversion"},
		"ipband_table_evictions_total":    {"table"},
		"ipband_mail_queue_messages":      nil,
		"process_start_time_seconds":      nil,
	} {
		ls, ok := v.metrics[name]
		if !ok {
			missing = append(missing, name)
		}
		for _, l := range labels {
			if !ls[l] {
				missing = append(missing, name+"{"+l+"}")
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the scrape lacks %v", missing)
	}
}

// TestManPageListsEveryMetric: ipband(8) has an entry, ".B name{labels}",
// for every ipband metric of a real scrape, with exactly its labels, and
// none for a metric ipband does not have.
func TestManPageListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../../docs/ipband.8")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\.B (ipband_[a-z0-9_]+)(?:\{([a-z_,]*)\})?$`).FindAllStringSubmatch(string(b), -1) {
		documented[m[1]] = m[2]
	}
	for name, f := range realScrape(t) {
		if !strings.HasPrefix(name, "ipband_") {
			continue
		}
		labels := map[string]bool{}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		var want []string
		for l := range labels {
			want = append(want, l)
		}
		sort.Strings(want)
		got, ok := documented[name]
		if !ok {
			t.Errorf("ipband(8) has no entry .B %s", name)
			continue
		}
		delete(documented, name)
		gotLabels := strings.Split(got, ",")
		if got == "" {
			gotLabels = nil
		}
		sort.Strings(gotLabels)
		if strings.Join(gotLabels, ",") != strings.Join(want, ",") {
			t.Errorf("ipband(8) lists %s with labels {%s}; a scrape has {%s}", name, got, strings.Join(want, ","))
		}
	}
	for name := range documented {
		t.Errorf("ipband(8) lists %s, which a scrape of ipband does not have", name)
	}
}
