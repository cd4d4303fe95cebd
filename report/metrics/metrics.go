// Package metrics exports ipband's counters and per-subnet rates as
// Prometheus metrics.
//
// Metrics is a report.Output: each period and report updates its state,
// and at the end of each it publishes an immutable snapshot with one atomic
// store. A scrape reads the latest snapshot and nothing else, so it never
// waits on the capture path and the capture path never waits on it.
//
// # Usage
//
//	m := metrics.New(metrics.Options{Preloaded: prefixes})
//	srv, err := metrics.Listen("127.0.0.1:9798", m.Handler())
//	go srv.Run(ctx) // serves http://127.0.0.1:9798/metrics until ctx ends
//	// give m every Period and Report the engine produces
//
// # Series
//
// Per subnet, labelled subnet="10.10.123.0/24": ipband_subnet_bytes_total,
// ipband_subnet_rate_bytes_per_second (the last closed period),
// ipband_subnet_threshold_bytes_per_second, ipband_subnet_logging,
// ipband_subnet_exceeded_seconds (how long the subnet has been in detail
// logging, in the episode in progress), ipband_reports_total, and
// ipband_subnet_info{subnet,name,preloaded} (always 1: the subnet's name
// from /etc/networks, and preloaded="true" or "false"). The number of
// subnet label values is bounded: every preloaded subnet has its own series, and of the dynamic subnets
// the Options.TopSubnets busiest (logging ones first, then by bytes in
// the last period; subnets that have a series keep it while there is
// room). The others are summed into subnet="other": when a dynamic subnet
// loses its series, its bytes and reports so far move into "other", so
// the sum over all series stays the total, and every counter only grows.
//
// Per subnet and direction, labelled subnet and direction="in"|"out"
// (bytes to the subnet, bytes from it; a packet within the subnet counts
// in both): ipband_subnet_direction_bytes_total,
// ipband_subnet_direction_rate_bytes_per_second and, for a direction with
// a threshold of its own, ipband_subnet_direction_threshold_bytes_per_second.
// They are families of their own because in plus out is not the subnet's
// total. Per subnet and direction="total"|"in"|"out", once a 5-minute
// interval has closed: ipband_subnet_rate_p95_bytes_per_second (the 95th
// percentile of the 5-minute rates of the last 24 hours) and
// ipband_subnet_intervals_over_threshold (those intervals at or over the
// threshold of the sum or of the direction).
//
// Process-wide: ipband_packets_total, ipband_ip_packets_total,
// ipband_not_ip_packets_total, ipband_malformed_packets_total,
// ipband_dropped_packets_total (kernel or interface drops),
// ipband_table_evictions_total{table="subnet"|"connection"},
// ipband_periods_total, ipband_last_period_end_timestamp_seconds (packet
// time), ipband_averaging_period_seconds, ipband_reporting_period_seconds,
// ipband_build_info{version,goversion}, and, when Options.Mail is set,
// ipband_mail_queue_messages, ipband_mail_sent_total, ipband_mail_failed_total and
// ipband_mail_dropped_total; plus the client library's go_* and process_*
// metrics.
package metrics

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"ipband/report"
)

// DefaultTopSubnets is the number of dynamic subnets with series of their
// own when Options.TopSubnets is 0.
const DefaultTopSubnets = 100

// Other is the subnet label value of the series that sums the subnets
// without series of their own.
const Other = "other"

// MailCounts are the counters of the mail queue.
type MailCounts struct {
	Waiting uint64 // messages queued, not yet handed to the MTA
	Sent    uint64 // messages handed over
	Failed  uint64 // sends that failed
	Dropped uint64 // messages given up
}

// Options configures Metrics. The zero Options is usable: no preloaded
// subnets, DefaultTopSubnets, no mail metrics.
type Options struct {
	// Preloaded are the preloaded subnets; each has its own series from
	// the start, whatever its traffic.
	Preloaded []netip.Prefix
	// TopSubnets bounds the dynamic subnets with series of their own; 0
	// means DefaultTopSubnets.
	TopSubnets int
	// Mail returns the mail queue's counters, or is nil when reports are
	// not mailed. It is called on each scrape and must be safe for
	// concurrent use.
	Mail func() MailCounts
	// Average and Report are the averaging and reporting periods, as
	// ipband_averaging_period_seconds and ipband_reporting_period_seconds;
	// SetPeriods changes them. 0 leaves the metric at 0.
	Average, Report time.Duration
	// Version is the version of ipband, the version label of
	// ipband_build_info; "" shows as "unknown".
	Version string
}

// series is one subnet's values.
type series struct {
	label     string
	bytes     float64      // since start
	rate      float64      // bytes/s in the last period
	threshold float64      // bytes/s; 0 for Other
	dir       [2]direction // in, out
	pct       report.Percentiles
	logging   bool
	exceeded  float64 // seconds in detail logging in this episode
	reports   float64
	last      uint64 // bytes in the last period, to rank dynamic subnets
	preloaded bool
	name      string
}

// direction is one direction's values of a series.
type direction struct {
	bytes     float64 // since start
	rate      float64 // bytes/s in the last period
	threshold float64 // bytes/s; 0 for none
}

// directionLabels are the direction label values of series.dir.
var directionLabels = [2]string{"in", "out"}

// snapshot is what a scrape reads: immutable once published.
type snapshot struct {
	subnets []series // sorted by label
	other   series
	total   report.Stats
	periods float64
	lastEnd float64 // Unix seconds; 0 before the first period
	average float64 // seconds
	report  float64 // seconds
	// Flow collection: each exporter's health since start, and the
	// datagrams of unknown exporters.
	exporters []report.Exporter
	unknown   uint64
	flows     bool
}

// Metrics is the metrics output. Period and Report update it from one
// goroutine at a time; Handler serves the latest snapshot from any number
// of goroutines.
type Metrics struct {
	top     int
	mail    func() MailCounts
	version string
	reg     *prometheus.Registry

	mu      sync.Mutex // guards all following fields; never taken by a scrape
	subnets map[netip.Prefix]*series
	dynamic int // series in subnets that are not preloaded
	other   series
	total   report.Stats
	periods float64
	lastEnd float64
	average float64
	report  float64
	scratch []rankItem    // reused by admit
	fresh   []report.Line // reused by Period: lines without a series

	exporters []report.Exporter // flow exporters' health, from the last period
	unknown   uint64
	flows     bool // flow collection: the flow metrics are served

	snap atomic.Pointer[snapshot]
}

var _ report.Output = (*Metrics)(nil)

// New returns the metrics of opts, with the preloaded subnets' series at 0
// until the first period.
func New(opts Options) *Metrics {
	m := &Metrics{
		top:     opts.TopSubnets,
		mail:    opts.Mail,
		version: opts.Version,
		subnets: make(map[netip.Prefix]*series),
		other:   series{label: Other},
		average: opts.Average.Seconds(),
		report:  opts.Report.Seconds(),
	}
	if m.top <= 0 {
		m.top = DefaultTopSubnets
	}
	if m.version == "" {
		m.version = "unknown"
	}
	for _, p := range opts.Preloaded {
		m.subnets[p] = &series{label: p.String(), preloaded: true}
	}
	m.publish()
	m.reg = prometheus.NewRegistry()
	m.reg.MustRegister(collector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Name returns "metrics".
func (m *Metrics) Name() string { return "metrics" }

// Registry returns the registry the metrics are gathered from.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetPeriods sets the averaging and reporting periods the metrics show,
// for a reload that changes them.
func (m *Metrics) SetPeriods(average, report time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.average, m.report = average.Seconds(), report.Seconds()
	m.publish()
}

// SetNames names the subnets that have series and no name yet with name,
// which returns a subnet's network name or "". Periods carry the names of
// their subnets; SetNames is for the preloaded subnets before the first.
func (m *Metrics) SetNames(name func(netip.Prefix) string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, s := range m.subnets {
		if s.name == "" {
			s.name = name(p)
		}
	}
	m.publish()
}

// SetPreloaded makes prefixes the preloaded subnets, for a reload that
// changes them: each has a series from now on, named by name when it has
// none yet; a subnet no longer preloaded keeps its series as a dynamic
// one, while the dynamic subnets have room.
func (m *Metrics) SetPreloaded(prefixes []netip.Prefix, name func(netip.Prefix) string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.subnets {
		if s.preloaded {
			s.preloaded = false
			m.dynamic++
		}
	}
	for _, p := range prefixes {
		s, ok := m.subnets[p]
		switch {
		case !ok:
			s = &series{label: p.String()}
			m.subnets[p] = s
		case !s.preloaded:
			m.dynamic--
		}
		s.preloaded = true
		if s.name == "" {
			s.name = name(p)
		}
	}
	m.publish()
}

// Period adds the period's bytes and counters, takes its rates, and
// publishes a new snapshot.
func (m *Metrics) Period(p *report.Period) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.subnets {
		s.rate, s.logging, s.last, s.exceeded = 0, false, 0, 0
		s.dir[0].rate, s.dir[1].rate = 0, 0
	}
	m.other.rate = 0
	m.other.dir[0].rate, m.other.dir[1].rate = 0, 0
	newcomers := m.fresh[:0]
	for _, l := range p.Lines {
		s, ok := m.subnets[l.Subnet]
		if !ok {
			newcomers = append(newcomers, l)
			continue
		}
		s.update(l, p.End)
	}
	m.admit(newcomers, p.End)
	clear(newcomers)
	m.fresh = newcomers[:0]
	m.total.Add(p.Stats)
	if len(p.Exporters) > 0 || p.Stats.Records > 0 {
		m.exporters = append(m.exporters[:0], p.Exporters...)
		m.unknown = p.UnknownDatagrams
		m.flows = true
	}
	m.periods += float64(p.Repeat + 1)
	if !p.End.IsZero() {
		end := p.End.Add(p.End.Sub(p.Start) * time.Duration(p.Repeat))
		m.lastEnd = float64(end.UnixNano()) / 1e9
	}
	m.publish()
	return nil
}

// update adds the line of the period that ended at end.
func (s *series) update(l report.Line, end time.Time) {
	s.bytes += float64(l.Bytes)
	s.rate = l.KBps * 1024
	s.threshold = l.Threshold * 1024
	s.logging = l.Logging
	s.last = l.Bytes
	s.exceeded = 0
	if l.Logging && !l.Since.IsZero() && end.After(l.Since) {
		s.exceeded = end.Sub(l.Since).Seconds()
	}
	if l.Name != "" {
		s.name = l.Name
	}
	s.pct = l.P95
	s.dir[0].add(l.InBytes, l.InKBps, l.ThresholdIn)
	s.dir[1].add(l.OutBytes, l.OutKBps, l.ThresholdOut)
}

// add takes a period's bytes, rate and threshold (kBytes/s) of d.
func (d *direction) add(n uint64, kbps, threshold float64) {
	d.bytes += float64(n)
	d.rate = kbps * 1024
	d.threshold = threshold * 1024
}

// fold adds the bytes and rates of o to s, for Other.
func (s *series) fold(o *series) {
	for i := range s.dir {
		s.dir[i].bytes += o.dir[i].bytes
		s.dir[i].rate += o.dir[i].rate
	}
}

// rankItem is a dynamic subnet competing for a series.
type rankItem struct {
	prefix  netip.Prefix
	s       *series      // its series, or nil for a newcomer
	line    *report.Line // a newcomer's line
	logging bool
	last    uint64
}

// admit gives the newcomers series while there is room, and otherwise
// keeps the TopSubnets busiest dynamic subnets, folding the rest into
// Other.
func (m *Metrics) admit(newcomers []report.Line, end time.Time) {
	if m.dynamic+len(newcomers) <= m.top {
		for i := range newcomers {
			m.add(&newcomers[i], end)
		}
		return
	}
	items := m.scratch[:0]
	for p, s := range m.subnets {
		if !s.preloaded {
			items = append(items, rankItem{prefix: p, s: s, logging: s.logging, last: s.last})
		}
	}
	for i := range newcomers {
		l := &newcomers[i]
		items = append(items, rankItem{prefix: l.Subnet, line: l, logging: l.Logging, last: l.Bytes})
	}
	slices.SortFunc(items, func(a, b rankItem) int {
		if a.logging != b.logging {
			if a.logging {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.last, a.last); c != 0 {
			return c
		}
		if (a.s != nil) != (b.s != nil) { // series holders first
			if a.s != nil {
				return -1
			}
			return 1
		}
		return a.prefix.Addr().Compare(b.prefix.Addr())
	})
	for i, it := range items {
		switch {
		case i < m.top && it.s == nil:
			m.add(it.line, end)
		case i >= m.top && it.s != nil:
			m.other.bytes += it.s.bytes
			m.other.reports += it.s.reports
			m.other.rate += it.s.rate
			m.other.fold(it.s)
			delete(m.subnets, it.prefix)
			m.dynamic--
		case i >= m.top:
			m.other.bytes += float64(it.line.Bytes)
			m.other.rate += it.line.KBps * 1024
			var o series
			o.dir[0].add(it.line.InBytes, it.line.InKBps, 0)
			o.dir[1].add(it.line.OutBytes, it.line.OutKBps, 0)
			m.other.fold(&o)
		}
	}
	clear(items)
	m.scratch = items[:0]
}

// add gives a dynamic subnet a series.
func (m *Metrics) add(l *report.Line, end time.Time) {
	s := &series{label: l.Subnet.String()}
	s.update(*l, end)
	m.subnets[l.Subnet] = s
	m.dynamic++
}

// Report counts r for its subnet's series, or for Other.
func (m *Metrics) Report(r report.Report) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.subnets[r.Subnet]; ok {
		s.reports++
	} else {
		m.other.reports++
	}
	m.publish()
	return nil
}

// publish stores a copy of the state for scrapes.
func (m *Metrics) publish() {
	snap := &snapshot{
		subnets: make([]series, 0, len(m.subnets)),
		other:   m.other,
		total:   m.total,
		periods: m.periods,
		lastEnd: m.lastEnd,
		average: m.average,
		report:  m.report,

		exporters: slices.Clone(m.exporters),
		unknown:   m.unknown,
		flows:     m.flows,
	}
	for _, s := range m.subnets {
		snap.subnets = append(snap.subnets, *s)
	}
	slices.SortFunc(snap.subnets, func(a, b series) int { return cmp.Compare(a.label, b.label) })
	m.snap.Store(snap)
}
