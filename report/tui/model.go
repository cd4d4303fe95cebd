package tui

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"ipband/report"
)

// sparkPeriods is the number of closed periods a row's sparkline shows.
const sparkPeriods = 24

// detailRows is the number of connections the detail view asks for.
const detailRows = 12

// Source is what the view asks of the engine (a *watchdog.Engine): a
// snapshot of the open period, and the connections of a subnet in detail
// logging. Both call back on the engine's goroutine; the callbacks must
// not block.
type Source interface {
	Snapshot(f func(*report.Period))
	SnapshotConns(sub netip.Prefix, top int, f func([]report.Row))
}

// Options configures a View.
type Options struct {
	// Title says what is watched: "interface eth0", "capture.pcap".
	Title string
	// Average is the averaging period, shown in the header.
	Average time.Duration
	// Names names services and protocols in the detail view; nil means
	// report.EmbeddedNames().
	Names *report.Names
}

// sortKey is the order of the rows.
type sortKey int

const (
	byLoad    sortKey = iota // share of the threshold, highest first
	byRate                   // rate of the last period, highest first
	byName                   // network name, then address
	byAddress                // address
)

func (k sortKey) String() string {
	return [...]string{"load", "rate", "name", "address"}[k]
}

// subnet is what the view knows of one subnet.
type subnet struct {
	prefix    netip.Prefix
	text      string // as reports show it
	name      string
	threshold float64
	thrIn     float64 // threshold of the bytes to the subnet; 0 for none
	thrOut    float64 // threshold of the bytes from it; 0 for none
	last      float64 // kBps of the last closed period
	lastIn    float64 // of which to the subnet
	lastOut   float64 // and from it
	nowIn     float64 // the open period's, so far
	nowOut    float64
	now       float64 // kBps of the open period so far
	hasNow    bool
	nowRuns   bool // the open period has run long enough to sort and load by
	logging   bool
	since     time.Time
	reports   int            // reports so far
	report    *report.Report // the latest
	spark     []float64      // kBps of the last closed periods, oldest first
	seen      bool           // in the latest closed period
}

// load is the subnet's share of its threshold, or of a direction's when
// that is higher (a subnet is over when its sum or a direction is): the
// open period's once it has run a while, else the last period's.
func (s *subnet) load() float64 {
	in, out := s.lastIn, s.lastOut
	if s.hasNow && s.nowRuns {
		in, out = s.nowIn, s.nowOut
	}
	var l float64
	for _, x := range [][2]float64{{s.rate(), s.threshold}, {in, s.thrIn}, {out, s.thrOut}} {
		if x[1] > 0 {
			l = max(l, x[0]/x[1])
		}
	}
	return l
}

// rate is the open period's rate once it has run a while (a rate over
// the first second of a period is noise), else the last period's.
func (s *subnet) rate() float64 {
	if s.hasNow && s.nowRuns {
		return s.now
	}
	return s.last
}

// settled is how long the open period must have run for its rate to
// load and sort the rows: a quarter of the period, at most 15 s.
func settled(avg time.Duration) time.Duration {
	return min(15*time.Second, avg/4)
}

// model is the view's state. View.mu guards it.
type model struct {
	opt      Options
	subs     map[netip.Prefix]*subnet
	end      time.Time    // end of the latest closed period
	openEnd  time.Time    // end of the latest snapshot
	stats    report.Stats // the latest closed period's counters
	total    report.Stats // all closed periods
	sortBy   sortKey
	filter   string
	typing   bool // the filter is being typed
	paused   bool
	frozen   []subnet // the rows as they were when paused
	sel      netip.Prefix
	detail   bool         // the selected subnet's detail is shown
	conns    []report.Row // its connections, from the engine
	gotConns bool         // the engine has answered since Enter
	status   string       // the bottom line's message
	stopping bool         // q was pressed
	ended    bool         // the capture ended; q quits
}

func newModel(opt Options) *model {
	if opt.Names == nil {
		opt.Names = report.EmbeddedNames()
	}
	return &model{opt: opt, subs: make(map[netip.Prefix]*subnet)}
}

// period takes a closed period.
func (m *model) period(p *report.Period) {
	m.end = p.End
	if p.Repeat > 0 {
		m.end = p.End.Add(time.Duration(p.Repeat) * p.End.Sub(p.Start))
	}
	m.stats = p.Stats
	m.total.Add(p.Stats)
	for _, s := range m.subs {
		s.seen, s.hasNow = false, false
	}
	for _, l := range p.Lines {
		s := m.subnet(l.Subnet, p.MaskBits)
		s.name, s.threshold, s.last = l.Name, l.Threshold, l.KBps
		s.thrIn, s.thrOut, s.lastIn, s.lastOut = l.ThresholdIn, l.ThresholdOut, l.InKBps, l.OutKBps
		s.logging, s.since, s.seen = l.Logging, l.Since, true
	}
	var quiet []*subnet // gone quiet after a report
	for sub, s := range m.subs {
		if !s.seen {
			s.last, s.lastIn, s.lastOut, s.logging = 0, 0, 0, false
			if s.reports == 0 && sub != m.sel {
				delete(m.subs, sub) // gone quiet, and never mattered
				continue
			}
			quiet = append(quiet, s)
		}
		s.spark = append(s.spark, s.last)
		if len(s.spark) > sparkPeriods {
			s.spark = s.spark[len(s.spark)-sparkPeriods:]
		}
	}
	// The view holds the subnets of the last period (as many as the
	// engine tracks) and at most keepQuiet that went quiet after a
	// report, the latest reported.
	if len(quiet) > keepQuiet {
		slices.SortFunc(quiet, func(a, b *subnet) int { return b.report.Time.Compare(a.report.Time) })
		for _, s := range quiet[keepQuiet:] {
			if s.prefix != m.sel {
				delete(m.subs, s.prefix)
			}
		}
	}
}

// keepQuiet is the most subnets the view keeps that were reported and
// carry no traffic now.
const keepQuiet = 64

// subnet returns the state of sub, made on first sight.
func (m *model) subnet(sub netip.Prefix, maskBits int) *subnet {
	s := m.subs[sub]
	if s == nil {
		text := sub.String()
		if sub.Addr().Is4() && (maskBits == 0 || sub.Bits() == maskBits) {
			text = sub.Addr().String()
		}
		s = &subnet{prefix: sub, text: text}
		m.subs[sub] = s
	}
	return s
}

// open takes a snapshot of the open period.
func (m *model) open(p *report.Period) {
	m.openEnd = p.End
	runs := p.End.Sub(p.Start) >= settled(m.opt.Average)
	for _, s := range m.subs {
		s.now, s.nowIn, s.nowOut, s.hasNow, s.nowRuns = 0, 0, 0, true, runs
	}
	for _, l := range p.Lines {
		s := m.subnet(l.Subnet, p.MaskBits)
		s.name, s.threshold, s.thrIn, s.thrOut = l.Name, l.Threshold, l.ThresholdIn, l.ThresholdOut
		s.now, s.nowIn, s.nowOut, s.hasNow, s.nowRuns = l.KBps, l.InKBps, l.OutKBps, true, runs
	}
}

// report takes a report.
func (m *model) report(r report.Report) {
	s := m.subnet(r.Subnet, r.MaskBits)
	s.reports++
	s.report = &r
	if s.name == "" {
		s.name = r.Name
	}
	s.threshold = r.Threshold
}

// rows returns the subnets to show, filtered and sorted; while paused,
// those of the moment of the pause.
func (m *model) rows() []*subnet {
	var all []*subnet
	if m.paused {
		for i := range m.frozen {
			all = append(all, &m.frozen[i])
		}
	} else {
		for _, s := range m.subs {
			all = append(all, s)
		}
	}
	if f := strings.ToLower(m.filter); f != "" {
		all = slices.DeleteFunc(all, func(s *subnet) bool {
			return !strings.Contains(strings.ToLower(s.text), f) && !strings.Contains(strings.ToLower(s.prefix.String()), f) &&
				!strings.Contains(strings.ToLower(s.name), f)
		})
	}
	byAddr := func(a, b *subnet) int {
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.prefix.Bits(), b.prefix.Bits())
	}
	slices.SortFunc(all, func(a, b *subnet) int {
		var c int
		switch m.sortBy {
		case byLoad:
			c = cmp.Compare(b.load(), a.load())
		case byRate:
			c = cmp.Compare(b.rate(), a.rate())
		case byName:
			c = cmp.Compare(unnamed(a), unnamed(b)) // named first
			if c == 0 {
				c = cmp.Compare(a.name, b.name)
			}
		}
		if c == 0 {
			c = byAddr(a, b)
		}
		return c
	})
	return all
}

func unnamed(s *subnet) int {
	if s.name == "" {
		return 1
	}
	return 0
}

// pause freezes the rows, or thaws them.
func (m *model) pause() {
	m.paused = !m.paused
	m.frozen = m.frozen[:0]
	if m.paused {
		for _, s := range m.subs {
			c := *s
			c.spark = slices.Clone(s.spark)
			m.frozen = append(m.frozen, c)
		}
	}
}

// selected returns the selected row's index in rows, selecting the first
// row when the selection is gone.
func (m *model) selected(rows []*subnet) int {
	for i, s := range rows {
		if s.prefix == m.sel {
			return i
		}
	}
	if len(rows) == 0 {
		m.sel = netip.Prefix{}
		return -1
	}
	m.sel = rows[0].prefix
	return 0
}

// move moves the selection by d rows.
func (m *model) move(d int) {
	rows := m.rows()
	i := m.selected(rows)
	if i < 0 {
		return
	}
	i = min(max(i+d, 0), len(rows)-1)
	m.sel = rows[i].prefix
}
