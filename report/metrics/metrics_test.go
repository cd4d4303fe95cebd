package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"ipband/report"
	"ipband/report/metrics"
)

// families is a parsed scrape.
type families map[string]*dto.MetricFamily

// serve runs the metrics server on a free loopback port until the test
// ends, and returns its /metrics URL.
func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv, err := metrics.Listen("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + srv.Addr().String() + "/metrics"
}

// scrape fetches url and parses it with the Prometheus text parser.
func scrape(t *testing.T, url string) families {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %s %v\n%s", resp.Status, err, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return fams
}

// value returns the value of the sample of name whose labels include
// labels ("k=v" pairs), and whether there is one.
func (f families) value(name string, labels ...string) (float64, bool) {
	fam, ok := f[name]
	if !ok {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// expect checks samples: name{labels} = want.
func (f families) expect(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := f.value(name, labels...)
	if !ok {
		t.Errorf("no sample %s%v", name, labels)
	} else if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// subnets returns the subnet label values of name.
func (f families) subnets(name string) []string {
	var out []string
	for _, m := range f[name].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "subnet" {
				out = append(out, lp.GetValue())
			}
		}
	}
	return out
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// period is the nth one-minute period with lines.
func period(n int, lines ...report.Line) *report.Period {
	return &report.Period{Start: t0.Add(time.Duration(n) * time.Minute), End: t0.Add(time.Duration(n+1) * time.Minute), Lines: lines}
}

func line(subnet string, bytes uint64, thr float64, logging bool) report.Line {
	return report.Line{Subnet: pfx(subnet), Bytes: bytes, KBps: float64(bytes) / 1024 / 60, Threshold: thr, Logging: logging}
}

// TestScrapePreloaded serves the metrics of preloaded subnets over HTTP
// and checks every value a scrape shows, before and after periods.
func TestScrapePreloaded(t *testing.T) {
	checkLeaks(t)
	mail := metrics.MailCounts{Waiting: 2, Sent: 5, Failed: 1, Dropped: 0}
	var mu sync.Mutex
	m := metrics.New(metrics.Options{
		Preloaded: []netip.Prefix{pfx("10.10.123.0/24"), pfx("2001:db8:1::/48")},
		Mail:      func() metrics.MailCounts { mu.Lock(); defer mu.Unlock(); return mail },
	})
	url := serve(t, m)

	f := scrape(t, url)
	f.expect(t, 0, "ipband_subnet_bytes_total", "subnet=10.10.123.0/24")
	f.expect(t, 0, "ipband_subnet_bytes_total", "subnet=2001:db8:1::/48")
	f.expect(t, 0, "ipband_last_period_end_timestamp_seconds")
	f.expect(t, 2, "ipband_mail_queue_messages")
	f.expect(t, 5, "ipband_mail_sent_total")
	f.expect(t, 1, "ipband_mail_failed_total")
	f.expect(t, 0, "ipband_mail_dropped_total")
	// The failed counter counts messages failed for good, not attempts.
	if help := f["ipband_mail_failed_total"].GetHelp(); !strings.Contains(help, "failed for good") || strings.Contains(help, "ttempt") {
		t.Errorf("ipband_mail_failed_total help %q: want messages failed for good, not attempts", help)
	}
	if _, ok := f.value("process_start_time_seconds"); !ok {
		t.Error("no process metrics")
	}

	p := period(0, line("10.10.123.0/24", 2_000_000, 22, true), line("2001:db8:1::/48", 6000, 100, false))
	p.Stats = report.Stats{Packets: 2500, IP: 2400, Other: 60, Malformed: 40, EvictedSubnets: 3, EvictedConns: 7, Dropped: 11,
		DNSAnswers: 5, DNSIgnored: 2, DNSMalformed: 1, NamesEvicted: 4}
	m.Period(p)
	m.Period(period(1, line("10.10.123.0/24", 1_000_000, 22, true), line("2001:db8:1::/48", 0, 100, false)))
	r := report.Report{Subnet: pfx("10.10.123.0/24")}
	m.Report(r)
	m.Report(r)
	idle := period(2, line("10.10.123.0/24", 0, 22, false), line("2001:db8:1::/48", 0, 100, false))
	idle.Repeat = 4
	m.Period(idle)
	mu.Lock()
	mail.Waiting, mail.Sent = 0, 7
	mu.Unlock()

	f = scrape(t, url)
	f.expect(t, 3_000_000, "ipband_subnet_bytes_total", "subnet=10.10.123.0/24")
	f.expect(t, 6000, "ipband_subnet_bytes_total", "subnet=2001:db8:1::/48")
	f.expect(t, 0, "ipband_subnet_rate_bytes_per_second", "subnet=10.10.123.0/24")
	f.expect(t, 22*1024, "ipband_subnet_threshold_bytes_per_second", "subnet=10.10.123.0/24")
	f.expect(t, 100*1024, "ipband_subnet_threshold_bytes_per_second", "subnet=2001:db8:1::/48")
	f.expect(t, 0, "ipband_subnet_logging", "subnet=10.10.123.0/24")
	f.expect(t, 2, "ipband_reports_total", "subnet=10.10.123.0/24")
	f.expect(t, 0, "ipband_reports_total", "subnet=2001:db8:1::/48")
	f.expect(t, 2500, "ipband_packets_total")
	f.expect(t, 2400, "ipband_ip_packets_total")
	f.expect(t, 60, "ipband_not_ip_packets_total")
	f.expect(t, 40, "ipband_malformed_packets_total")
	f.expect(t, 11, "ipband_dropped_packets_total")
	f.expect(t, 3, "ipband_table_evictions_total", "table=subnet")
	f.expect(t, 7, "ipband_table_evictions_total", "table=connection")
	f.expect(t, 4, "ipband_table_evictions_total", "table=name")
	f.expect(t, 5, "ipband_dns_answers_total", "result=used")
	f.expect(t, 2, "ipband_dns_answers_total", "result=ignored")
	f.expect(t, 1, "ipband_dns_answers_total", "result=malformed")
	f.expect(t, 7, "ipband_periods_total")
	f.expect(t, float64(t0.Add(7*time.Minute).Unix()), "ipband_last_period_end_timestamp_seconds")
	f.expect(t, 0, "ipband_mail_queue_messages")
	f.expect(t, 7, "ipband_mail_sent_total")
	if got := f.subnets("ipband_subnet_bytes_total"); len(got) != 2 {
		t.Errorf("subnet series %v: want the 2 preloaded subnets, no %q", got, metrics.Other)
	}
	for name, fam := range f {
		if strings.HasPrefix(name, "ipband_") && strings.HasSuffix(name, "_total") != (fam.GetType() == dto.MetricType_COUNTER) {
			t.Errorf("%s is a %v: _total is for counters only", name, fam.GetType())
		}
	}

	// A period with traffic: the rate and logging of the last one.
	m.Period(period(7, line("10.10.123.0/24", 60*1024*30, 22, true), line("2001:db8:1::/48", 0, 100, false)))
	f = scrape(t, url)
	f.expect(t, 30*1024, "ipband_subnet_rate_bytes_per_second", "subnet=10.10.123.0/24")
	f.expect(t, 1, "ipband_subnet_logging", "subnet=10.10.123.0/24")

	// Directions: bytes in and out add up per direction, rates are the
	// last period's, and only a direction with a threshold has one.
	dir := line("10.10.123.0/24", 60*1024*30, 22, true)
	dir.InBytes, dir.OutBytes, dir.InKBps, dir.OutKBps, dir.ThresholdIn = 60*1024*25, 60*1024*6, 25, 6, 20
	m.Period(period(8, dir, line("2001:db8:1::/48", 0, 100, false)))
	m.Period(period(9, dir, line("2001:db8:1::/48", 0, 100, false)))
	f = scrape(t, url)
	f.expect(t, 2*60*1024*25, "ipband_subnet_direction_bytes_total", "subnet=10.10.123.0/24", "direction=in")
	f.expect(t, 2*60*1024*6, "ipband_subnet_direction_bytes_total", "subnet=10.10.123.0/24", "direction=out")
	f.expect(t, 25*1024, "ipband_subnet_direction_rate_bytes_per_second", "subnet=10.10.123.0/24", "direction=in")
	f.expect(t, 6*1024, "ipband_subnet_direction_rate_bytes_per_second", "subnet=10.10.123.0/24", "direction=out")
	f.expect(t, 20*1024, "ipband_subnet_direction_threshold_bytes_per_second", "subnet=10.10.123.0/24", "direction=in")
	if _, ok := f.value("ipband_subnet_direction_threshold_bytes_per_second", "subnet=10.10.123.0/24", "direction=out"); ok {
		t.Error("a threshold series for out, which has none")
	}
	if _, ok := f.value("ipband_subnet_rate_p95_bytes_per_second", "subnet=10.10.123.0/24", "direction=total"); ok {
		t.Error("a 95th percentile before an interval closed")
	}

	// The 95th percentiles of the line, per direction.
	dir.P95 = report.Percentiles{Total: 30, In: 25, Out: 6, Over: 12, OverIn: 11, Intervals: 288}
	m.Period(period(10, dir, line("2001:db8:1::/48", 0, 100, false)))
	f = scrape(t, url)
	f.expect(t, 30*1024, "ipband_subnet_rate_p95_bytes_per_second", "subnet=10.10.123.0/24", "direction=total")
	f.expect(t, 25*1024, "ipband_subnet_rate_p95_bytes_per_second", "subnet=10.10.123.0/24", "direction=in")
	f.expect(t, 6*1024, "ipband_subnet_rate_p95_bytes_per_second", "subnet=10.10.123.0/24", "direction=out")
	f.expect(t, 12, "ipband_subnet_intervals_over_threshold", "subnet=10.10.123.0/24", "direction=total")
	f.expect(t, 11, "ipband_subnet_intervals_over_threshold", "subnet=10.10.123.0/24", "direction=in")
	f.expect(t, 0, "ipband_subnet_intervals_over_threshold", "subnet=10.10.123.0/24", "direction=out")
}

// TestScrapeEpisode checks the series the alerting rules join on: the
// subnets' names and preloaded flag, the time in detail logging, the
// periods and the build.
func TestScrapeEpisode(t *testing.T) {
	names := map[netip.Prefix]string{pfx("10.10.123.0/24"): "halifax"}
	m := metrics.New(metrics.Options{
		Preloaded: []netip.Prefix{pfx("10.10.123.0/24"), pfx("10.10.124.0/24")},
		Average:   time.Minute,
		Report:    5 * time.Minute,
		Version:   "1.2.3",
	})
	url := serve(t, m)
	f := scrape(t, url)
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.10.123.0/24", "name=", "preloaded=true")
	m.SetNames(func(p netip.Prefix) string { return names[p] })
	f = scrape(t, url)
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.10.123.0/24", "name=halifax", "preloaded=true")
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.10.124.0/24", "preloaded=true")
	f.expect(t, 0, "ipband_subnet_exceeded_seconds", "subnet=10.10.123.0/24")
	f.expect(t, 60, "ipband_averaging_period_seconds")
	f.expect(t, 300, "ipband_reporting_period_seconds")
	f.expect(t, 1, "ipband_build_info", "version=1.2.3", "goversion="+runtime.Version())

	// Over from the end of period 0: logging for n minutes at the end of
	// period n, back to 0 once it falls under.
	for n := range 7 {
		l := line("10.10.123.0/24", 3_000_000, 22, true)
		l.Name, l.Since = "halifax", t0.Add(time.Minute)
		m.Period(period(n, l, line("10.10.124.0/24", 0, 7, false)))
		f = scrape(t, url)
		f.expect(t, float64(n*60), "ipband_subnet_exceeded_seconds", "subnet=10.10.123.0/24")
		f.expect(t, 0, "ipband_subnet_exceeded_seconds", "subnet=10.10.124.0/24")
	}
	m.Period(period(7, line("10.10.123.0/24", 0, 22, false)))
	f = scrape(t, url)
	f.expect(t, 0, "ipband_subnet_exceeded_seconds", "subnet=10.10.123.0/24")

	// A dynamic subnet takes its name from its line; a reload changes the
	// periods.
	l := line("192.0.2.0/24", 3_000_000, 22, true)
	l.Name, l.Since = "lab", t0.Add(8*time.Minute)
	m.Period(period(8, l))
	m.SetPeriods(10*time.Second, 30*time.Second)
	f = scrape(t, url)
	f.expect(t, 1, "ipband_subnet_info", "subnet=192.0.2.0/24", "name=lab", "preloaded=false")
	f.expect(t, 60, "ipband_subnet_exceeded_seconds", "subnet=192.0.2.0/24")
	f.expect(t, 10, "ipband_averaging_period_seconds")
	f.expect(t, 30, "ipband_reporting_period_seconds")
	if got := f.subnets("ipband_subnet_info"); len(got) != 3 {
		t.Errorf("info series %v, want one per subnet", got)
	}
}

// TestSetPreloaded: a reload that changes the preloaded subnets gives a
// new one its series, named, at once; one no longer preloaded becomes a
// dynamic series, which a busier dynamic subnet can push into "other".
func TestSetPreloaded(t *testing.T) {
	m := metrics.New(metrics.Options{Preloaded: []netip.Prefix{pfx("10.0.1.0/24")}, TopSubnets: 1})
	url := serve(t, m)
	m.Period(period(0, line("10.0.1.0/24", 5000, 10, false)))
	m.SetPreloaded([]netip.Prefix{pfx("10.0.2.0/24"), pfx("10.0.2.0/24")}, func(p netip.Prefix) string {
		return map[netip.Prefix]string{pfx("10.0.2.0/24"): "two", pfx("10.0.1.0/24"): "one"}[p]
	})
	f := scrape(t, url)
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.0.2.0/24", "name=two", "preloaded=true")
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.0.1.0/24", "name=", "preloaded=false")
	f.expect(t, 0, "ipband_subnet_bytes_total", "subnet=10.0.2.0/24")

	m.Period(period(1, line("10.0.2.0/24", 100, 10, false), line("10.0.3.0/24", 9000, 10, false)))
	f = scrape(t, url)
	if got := f.subnets("ipband_subnet_info"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"10.0.2.0/24", "10.0.3.0/24"}) {
		t.Errorf("info series %v: want the preloaded 10.0.2.0/24 and the one dynamic series, 10.0.3.0/24", got)
	}
	f.expect(t, 5000, "ipband_subnet_bytes_total", "subnet="+metrics.Other)
	f.expect(t, 1, "ipband_subnet_info", "subnet=10.0.3.0/24", "preloaded=false")
}

// TestScrapeNoMail: without a mail counter function there are no mail
// series.
func TestScrapeNoMail(t *testing.T) {
	checkLeaks(t)
	f := scrape(t, serve(t, metrics.New(metrics.Options{})))
	for name := range f {
		if strings.HasPrefix(name, "ipband_mail") || strings.HasPrefix(name, "ipband_subnet") {
			t.Errorf("unexpected %s", name)
		}
	}
	f.expect(t, 0, "ipband_packets_total")
}

// TestDynamicCardinality feeds many dynamic subnets to metrics with room
// for 3: never more than 3 subnet series plus "other", logging subnets
// and the busiest get series, and the bytes of all series always add up
// to the bytes counted.
func TestDynamicCardinality(t *testing.T) {
	const top = 3
	m := metrics.New(metrics.Options{TopSubnets: top})
	url := serve(t, m)
	var total float64
	for n := range 40 {
		var lines []report.Line
		for i := range 10 {
			b := uint64((n*7+i*13)%50) * 1000
			lines = append(lines, line(fmt.Sprintf("10.%d.%d.0/24", n%5, i), b, 10, false))
			total += float64(b)
		}
		hot := fmt.Sprintf("192.168.%d.0/24", n/10)
		lines = append(lines, line(hot, 1, 0.0001, true)) // logging, little traffic
		total++
		m.Period(period(n, lines...))
		m.Report(report.Report{Subnet: pfx(hot)})

		f := scrape(t, url)
		labels := f.subnets("ipband_subnet_bytes_total")
		if len(labels) > top+1 {
			t.Fatalf("period %d: %d subnet series: %v", n, len(labels), labels)
		}
		if info := f.subnets("ipband_subnet_info"); len(info) != len(labels)-1 || slices.Contains(info, metrics.Other) {
			t.Fatalf("period %d: info series %v for the subnet series %v; want one per series but %q", n, info, labels, metrics.Other)
		}
		f.expect(t, 1, "ipband_subnet_logging", "subnet="+hot)
		var sum, reports float64
		for _, l := range labels {
			v, _ := f.value("ipband_subnet_bytes_total", "subnet="+l)
			sum += v
			r, _ := f.value("ipband_reports_total", "subnet="+l)
			reports += r
		}
		if sum != total || reports != float64(n+1) {
			t.Fatalf("period %d: series add up to %v bytes and %v reports, want %v and %d", n, sum, reports, total, n+1)
		}
		// The busiest non-logging subnet of the period has a series.
		busiest, most := "", uint64(0)
		for _, l := range lines {
			if !l.Logging && l.Bytes > most {
				busiest, most = l.Subnet.String(), l.Bytes
			}
		}
		if _, ok := f.value("ipband_subnet_bytes_total", "subnet="+busiest); !ok {
			t.Fatalf("period %d: the busiest subnet %s has no series: %v", n, busiest, labels)
		}
	}
}

// TestSnapshotConcurrency scrapes while periods and reports are being
// fed; under -race this checks that scrapes read only the published
// snapshot.
func TestSnapshotConcurrency(t *testing.T) {
	m := metrics.New(metrics.Options{TopSubnets: 5})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			m.Period(period(n, line(fmt.Sprintf("10.0.%d.0/24", n%20), uint64(n), 1, n%2 == 0)))
			m.Report(report.Report{Subnet: pfx(fmt.Sprintf("10.0.%d.0/24", n%20))})
		}
	})
	for range 200 {
		if _, err := m.Registry().Gather(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// TestListenBusy: an address in use is an error at Listen, naming it.
func TestListenBusy(t *testing.T) {
	srv, err := metrics.Listen("127.0.0.1:0", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, err = metrics.Listen(srv.Addr().String(), http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), srv.Addr().String()) {
		t.Errorf("second Listen on %s: %v", srv.Addr(), err)
	}
}

// BenchmarkPeriod measures a period of a full dynamic table (16384
// subnets, the default limit) competing for the default number of series.
func BenchmarkPeriod(b *testing.B) {
	m := metrics.New(metrics.Options{})
	lines := make([]report.Line, 16384)
	for i := range lines {
		lines[i] = line(fmt.Sprintf("10.%d.%d.0/24", i>>8, i&255), uint64(i*37%5000), 7, i%1000 == 0)
	}
	b.ReportAllocs()
	for n := 0; b.Loop(); n++ {
		m.Period(period(n, lines...))
	}
}
