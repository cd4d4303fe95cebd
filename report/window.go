package report

import (
	"math"
	"net/netip"
	"slices"
	"time"
)

// The billing convention of the 95th percentile: rates of 5-minute
// intervals over the last 24 hours.
const (
	// WindowInterval is the length of one interval of a RateWindow.
	WindowInterval = 5 * time.Minute
	// WindowSpan is the time a RateWindow looks back over.
	WindowSpan = 24 * time.Hour
	// DefaultWindowSubnets is the number of subnets a RateWindow keeps
	// when NewRateWindow is given 0.
	DefaultWindowSubnets = 1024
)

// Percentiles are a subnet's 95th percentiles of its 5-minute rates over
// the window of a RateWindow, per direction, in kBytes/s, and the number
// of those intervals whose rate reached the threshold in force. The zero
// Percentiles (Intervals 0) means no interval of the subnet has closed
// in the window yet.
type Percentiles struct {
	Total, In, Out float64 // kBytes/s
	// Over, OverIn and OverOut count the intervals at or above the
	// threshold of the sum, and of each direction that has one.
	Over, OverIn, OverOut int
	// Intervals is the number of closed intervals of the window the
	// percentiles are taken over.
	Intervals int
}

// RateWindow keeps, per subnet, the bytes of each 5-minute interval
// (WindowInterval, aligned to the clock) of the last 24 hours
// (WindowSpan), from the periods it is given, and annotates each period's
// lines with the subnet's Percentiles. A period that straddles intervals
// gives each its share of its bytes, in proportion to the time. Only
// closed intervals count: the percentiles change when an interval
// closes. The number of subnets kept is bounded: a subnet first seen
// when the window is full is not tracked, and a subnet with no traffic
// for a whole span is forgotten.
//
// The zero RateWindow is not usable: NewRateWindow makes one. It is not
// safe for concurrent use.
type RateWindow struct {
	interval, span time.Duration
	slots          int
	covered        []float64 // seconds of each slot's interval covered by periods
	stamp          []int64   // the interval number each slot holds, or -1
	series         map[netip.Prefix]*windowSeries
	max            int
	now            int64 // number of the interval the last period ended in
	started        bool
	scratch        []float64
}

// windowSeries is one subnet's intervals.
type windowSeries struct {
	bytes    [][3]float64 // per slot: total, in, out
	stamp    []int64
	thr      [3]float64 // thresholds in force, kBytes/s (0: none)
	lastSeen int64      // the last interval with traffic
	pct      Percentiles
}

// NewRateWindow returns a window of span divided in intervals of
// interval (WindowSpan and WindowInterval when 0) keeping at most
// maxSubnets subnets (DefaultWindowSubnets when 0).
func NewRateWindow(interval, span time.Duration, maxSubnets int) *RateWindow {
	if interval <= 0 {
		interval = WindowInterval
	}
	if span <= 0 {
		span = WindowSpan
	}
	if maxSubnets <= 0 {
		maxSubnets = DefaultWindowSubnets
	}
	n := max(int(span/interval), 1)
	// One slot more than the span holds: the open interval's.
	w := &RateWindow{interval: interval, span: span, slots: n, covered: make([]float64, n+1), stamp: make([]int64, n+1),
		series: make(map[netip.Prefix]*windowSeries), max: maxSubnets}
	for i := range w.stamp {
		w.stamp[i] = -1
	}
	return w
}

// Add counts the period's bytes in the intervals it covers and sets the
// Percentiles of each of its lines (P95) to those of its subnet; a period
// standing for a run of idle periods covers them all. Periods must come
// in order.
func (w *RateWindow) Add(p *Period) {
	if p == nil || !p.End.After(p.Start) {
		return
	}
	start, end := p.Start.UnixNano(), p.End.UnixNano()
	for i := range p.Lines {
		w.addLine(&p.Lines[i], start, end)
	}
	w.cover(start, endOfRepeat(p).UnixNano())
	if now := w.number(endOfRepeat(p).UnixNano()); !w.started || now != w.now {
		w.started = true
		w.now = now
		w.close()
	}
	for i := range p.Lines {
		if s := w.series[p.Lines[i].Subnet]; s != nil {
			p.Lines[i].P95 = s.pct
		}
	}
}

// number is the interval number of time t (Unix ns).
func (w *RateWindow) number(t int64) int64 {
	return floorDiv(t, int64(w.interval))
}

// slot returns the slot of interval k.
func (w *RateWindow) slot(k int64) int {
	return int(mod(k, int64(w.slots)+1))
}

// cover adds the time [start, end) to the covered time of its intervals,
// only within the last span before end.
func (w *RateWindow) cover(start, end int64) {
	start = max(start, end-int64(w.span)-int64(w.interval))
	w.split(start, end, func(k int64, secs, _ float64) {
		i := w.slot(k)
		if w.stamp[i] != k {
			w.stamp[i], w.covered[i] = k, 0
		}
		w.covered[i] += secs
	})
}

// split calls f for every interval k that [start, end) overlaps, with
// the seconds of the overlap and its share of the whole.
func (w *RateWindow) split(start, end int64, f func(k int64, secs, share float64)) {
	iv := int64(w.interval)
	for k := w.number(start); k*iv < end; k++ {
		lo, hi := max(start, k*iv), min(end, (k+1)*iv)
		if hi > lo {
			f(k, float64(hi-lo)/1e9, float64(hi-lo)/float64(end-start))
		}
	}
}

// addLine adds the bytes of l, counted over [start, end), to its series.
func (w *RateWindow) addLine(l *Line, start, end int64) {
	s := w.series[l.Subnet]
	if s == nil {
		if l.Bytes == 0 || len(w.series) >= w.max {
			return
		}
		s = &windowSeries{bytes: make([][3]float64, w.slots+1), stamp: make([]int64, w.slots+1)}
		for i := range s.stamp {
			s.stamp[i] = -1
		}
		w.series[l.Subnet] = s
	}
	s.thr = [3]float64{l.Threshold, l.ThresholdIn, l.ThresholdOut}
	if l.Bytes == 0 {
		return
	}
	s.lastSeen = w.number(end - 1)
	v := [3]float64{float64(l.Bytes), float64(l.InBytes), float64(l.OutBytes)}
	w.split(start, end, func(k int64, _, share float64) {
		i := w.slot(k)
		if s.stamp[i] != k {
			s.stamp[i], s.bytes[i] = k, [3]float64{}
		}
		for d := range v {
			s.bytes[i][d] += v[d] * share
		}
	})
}

// close recomputes every series' percentiles over the closed intervals
// of the window, and forgets the series without traffic in it.
func (w *RateWindow) close() {
	for p, s := range w.series {
		if s.lastSeen < w.now-int64(w.slots) {
			delete(w.series, p)
			continue
		}
		s.pct = w.percentiles(s)
	}
}

// percentiles computes s's Percentiles over the closed intervals of the
// window: the slots-long run before the interval now.
func (w *RateWindow) percentiles(s *windowSeries) Percentiles {
	var pct Percentiles
	var out [3]float64
	for d := range 3 {
		rates := w.scratch[:0]
		over := 0
		for k := w.now - int64(w.slots); k < w.now; k++ {
			i := w.slot(k)
			if w.stamp[i] != k || w.covered[i] <= 0 {
				continue
			}
			r := 0.0
			if s.stamp[i] == k {
				r = s.bytes[i][d] / 1024 / w.covered[i]
			}
			rates = append(rates, r)
			if th := s.thr[d]; th > 0 && r >= th {
				over++
			}
		}
		pct.Intervals = len(rates)
		out[d] = Percentile(rates, 95)
		switch d {
		case 0:
			pct.Over = over
		case 1:
			pct.OverIn = over
		case 2:
			pct.OverOut = over
		}
		w.scratch = rates
	}
	pct.Total, pct.In, pct.Out = out[0], out[1], out[2]
	return pct
}

// Percentile returns the p-th percentile (0 < p <= 100) of values by the
// nearest-rank method: the smallest value that at least p% of the values
// are at or below. It sorts values; 0 for none.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	slices.Sort(values)
	i := int(math.Ceil(p/100*float64(len(values)))) - 1
	return values[min(max(i, 0), len(values)-1)]
}

// Percentiles returns the percentiles of subnet p as of the last interval
// closed, or the zero Percentiles when p is not kept.
func (w *RateWindow) Percentiles(p netip.Prefix) Percentiles {
	if s := w.series[p]; s != nil {
		return s.pct
	}
	return Percentiles{}
}
