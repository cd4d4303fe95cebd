package report

import (
	"net/netip"
	"time"
)

// The windows the status page graphs, and how many points each keeps.
const (
	HourWindow = time.Hour
	DayWindow  = 24 * time.Hour
	hourPoints = 120 // 30 s buckets, or one per period when periods are longer
	dayPoints  = 288 // 5 min buckets
)

// DefaultHistorySubnets is the number of subnets a History keeps when
// NewHistory is given 0.
const DefaultHistorySubnets = 32

// History keeps, for a bounded number of subnets, their rate over the last
// hour and the last day: what the status page graphs. Each subnet has two
// rings of fixed size (hourPoints and dayPoints buckets), so memory does
// not grow with uptime: about 10 kB per subnet.
//
// Which subnets: those pinned (the preloaded subnets) first, then the
// busiest others. When the table is full a subnet with traffic takes the
// place of the one that carried the least lately (a decaying sum of its
// bytes per period), never of a pinned or logging one. A subnet that
// leaves the period summaries (a dynamic subnet gone idle) is kept and
// counted at 0 until it is evicted.
//
// A History is not safe for concurrent use. The zero History is not
// usable; call NewHistory.
type History struct {
	max    int
	pinned map[netip.Prefix]bool
	subs   map[netip.Prefix]*series
	order  []netip.Prefix // subnets in the order they were first kept
	now    int64          // end of the latest period added, Unix ns
	stamp  uint64         // periods added, to mark subnets seen
}

// series is the history of one subnet.
type series struct {
	hour, day ring
	name      string
	threshold float64
	logging   bool
	score     uint64 // decaying sum of bytes per period
	seen      uint64 // History.stamp of the last period that listed it
}

// ring is a fixed number of buckets of res ns each; bucket k of the
// timeline lives at index k % len(b).
type ring struct {
	res int64
	b   []bucket
}

// bucket sums the periods that fell into one res-long step.
type bucket struct {
	k       int64 // the step, time/res, plus one; 0 is an empty bucket
	bytes   float64
	span    int64 // ns of periods summed
	thr     float64
	logging bool
}

// Point is one step of a graph: the mean rate over [Start, End), the
// threshold at its end, and whether the subnet was in detail logging in
// any period of it.
type Point struct {
	Start, End time.Time
	KBps       float64
	Threshold  float64
	Logging    bool
}

// NewHistory returns a History for at most max subnets (0 means
// DefaultHistorySubnets); pinned subnets are always kept, as long as they
// fit.
func NewHistory(max int, pinned []netip.Prefix) *History {
	if max <= 0 {
		max = DefaultHistorySubnets
	}
	h := &History{max: max, pinned: make(map[netip.Prefix]bool), subs: make(map[netip.Prefix]*series)}
	for _, p := range pinned {
		h.pinned[p] = true
	}
	return h
}

// Add adds the lines of period p. A summary of a run of idle periods
// (Repeat > 0) counts its lines' bytes in each of them; only the part of
// the run within DayWindow of its end is kept.
func (h *History) Add(p *Period) {
	if p == nil || !p.End.After(p.Start) {
		return
	}
	start, end := p.Start.UnixNano(), endOfRepeat(p).UnixNano()
	periods := p.Repeat + 1
	h.stamp++
	if end > h.now {
		h.now = end
	}
	minScore, victim := h.weakest()
	for i := range p.Lines {
		l := &p.Lines[i]
		s := h.subs[l.Subnet]
		if s == nil {
			if !h.pinned[l.Subnet] && !l.Logging && (len(h.subs) >= h.max && l.Bytes <= minScore || l.Bytes == 0) {
				continue
			}
			if s = h.keep(l.Subnet, p, victim); s == nil {
				continue
			}
			victim = netip.Prefix{} // the table changed: find the weakest again
		}
		s.name, s.threshold, s.logging, s.seen = l.Name, l.Threshold, l.Logging, h.stamp
		s.score = s.score - s.score/16 + l.Bytes
		s.add(start, end, float64(l.Bytes)*float64(periods), l.Threshold, l.Logging)
		if !victim.IsValid() {
			minScore, victim = h.weakest()
		}
	}
	for _, s := range h.subs {
		if s.seen != h.stamp { // not in this summary: no traffic
			s.logging, s.seen = false, h.stamp
			s.score -= s.score / 16
			s.add(start, end, 0, s.threshold, false)
		}
	}
}

// keep starts the history of subnet sub, evicting victim when the table
// is full; it returns nil when there is no room.
func (h *History) keep(sub netip.Prefix, p *Period, victim netip.Prefix) *series {
	if len(h.subs) >= h.max {
		if !victim.IsValid() {
			return nil
		}
		delete(h.subs, victim)
		for i, o := range h.order {
			if o == victim {
				h.order = append(h.order[:i], h.order[i+1:]...)
				break
			}
		}
	}
	avg := p.End.Sub(p.Start)
	s := &series{
		hour: newRing(HourWindow, hourPoints, avg),
		day:  newRing(DayWindow, dayPoints, avg),
	}
	h.subs[sub] = s
	h.order = append(h.order, sub)
	return s
}

// weakest returns the subnet that may be evicted, the one with the lowest
// score that is neither pinned nor logging, and its score; an invalid
// prefix when there is none.
func (h *History) weakest() (uint64, netip.Prefix) {
	var victim netip.Prefix
	var low uint64
	for _, sub := range h.order {
		s := h.subs[sub]
		if h.pinned[sub] || s.logging {
			continue
		}
		if !victim.IsValid() || s.score < low {
			victim, low = sub, s.score
		}
	}
	if !victim.IsValid() {
		low = ^uint64(0)
	}
	return low, victim
}

// Len returns the number of subnets kept.
func (h *History) Len() int { return len(h.subs) }

// Now returns the end of the latest period added; the zero Time before
// any.
func (h *History) Now() time.Time {
	if h.now == 0 {
		return time.Time{}
	}
	return time.Unix(0, h.now)
}

// Points returns the history of subnet sub over the window (HourWindow or
// DayWindow; any other length uses the day's buckets) that ends with the
// latest period added, oldest first. Steps with no data (before the
// subnet was seen, or while ipband was not running) are left out.
func (h *History) Points(sub netip.Prefix, window time.Duration) []Point {
	s := h.subs[sub]
	if s == nil {
		return nil
	}
	r := &s.day
	if window == HourWindow {
		r = &s.hour
	}
	return r.points(h.now-int64(window), h.now)
}

func newRing(window time.Duration, points int, avg time.Duration) ring {
	res := max(int64(window)/int64(points), int64(avg))
	n := int(int64(window)/res) + 1
	return ring{res: res, b: make([]bucket, n)}
}

// add spreads bytes evenly over [start, end), bucket by bucket, keeping
// only the part within the ring's reach of end.
func (s *series) add(start, end int64, bytes, thr float64, logging bool) {
	s.hour.add(start, end, bytes, thr, logging)
	s.day.add(start, end, bytes, thr, logging)
}

func (r *ring) add(start, end int64, bytes, thr float64, logging bool) {
	total := end - start
	if total <= 0 {
		return
	}
	rate := bytes / float64(total)
	if reach := end - r.res*int64(len(r.b)-1); start < reach {
		start = reach - mod(reach, r.res)
		bytes = rate * float64(end-start)
	}
	for t := start; t < end; {
		k := floorDiv(t, r.res)
		next := min((k+1)*r.res, end)
		b := &r.b[int(mod(k, int64(len(r.b))))]
		if b.k != k+1 {
			*b = bucket{k: k + 1}
		}
		part := bytes // the last piece takes what is left, exactly
		if next < end {
			part = rate * float64(next-t)
		}
		bytes -= part
		b.bytes += part
		b.span += next - t
		b.thr = thr
		b.logging = b.logging || logging
		t = next
	}
}

// points returns the filled buckets that start in [from, to), in order.
func (r *ring) points(from, to int64) []Point {
	var out []Point
	for k := -floorDiv(-from, r.res); k*r.res < to; k++ { // from the first step in the window
		b := &r.b[int(mod(k, int64(len(r.b))))]
		if b.k != k+1 || b.span <= 0 {
			continue
		}
		out = append(out, Point{
			Start:     time.Unix(0, k*r.res),
			End:       time.Unix(0, (k+1)*r.res),
			KBps:      b.bytes / 1024 / (float64(b.span) / float64(time.Second)),
			Threshold: b.thr,
			Logging:   b.logging,
		})
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
