package suggest

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// Defaults of Options.
const (
	DefaultShare  = 0.70 // of the capacity, per direction
	DefaultMargin = 0.10 // above the highest sustained level
	DefaultTop    = 20   // dynamic subnets suggested
)

// Options configure a Collector. Engine is required; the zero value of
// every other field means its default.
type Options struct {
	// Engine is the configuration the thresholds are for: its averaging
	// and reporting periods, its default threshold, and its preloaded
	// subnets (suggested in config order, with their thresholds in force
	// shown). Simulate runs it; its Average is replaced by the length of
	// the recorded periods.
	Engine watchdog.Config
	// Capacity is the link capacity per direction of subnets, kBytes/s
	// (the capacity of subnet lines); Default, when not 0, is that of the
	// others (--suggest-capacity).
	Capacity map[netip.Prefix]float64
	Default  float64
	// Share is the share of the capacity a direction's threshold is set
	// to; DefaultShare when 0.
	Share float64
	// Margin is how far above the highest sustained level a threshold is
	// set without a capacity; DefaultMargin when 0.
	Margin float64
	// Top caps the dynamic subnets suggested, the most traffic first;
	// DefaultTop when 0.
	Top int
}

// entry is one recorded period (or run of idle periods).
type entry struct {
	start  time.Time
	dur    time.Duration
	repeat int64
}

// series is one subnet's recorded periods: the volumes of the entries in
// which it had a line, by entry index.
type series struct {
	prefix       netip.Prefix
	name         string
	idx          []int
	vol          []watchdog.Volume
	bytes        uint64
	thr, in, out float64 // thresholds in force, kBytes/s
}

// Collector records the periods it is given, as a report.Output, and
// writes the suggestion. It is not safe for concurrent use; the fan-out
// calls it from one goroutine, and Write must come after the last period.
type Collector struct {
	opt     Options
	entries []entry
	series  map[netip.Prefix]*series
	window  *report.RateWindow
	earlier int64 // periods of another length before entries, left out
}

var _ report.Output = (*Collector)(nil)

// NewCollector returns a collector for opt.
func NewCollector(opt Options) *Collector {
	if opt.Share <= 0 {
		opt.Share = DefaultShare
	}
	if opt.Margin <= 0 {
		opt.Margin = DefaultMargin
	}
	if opt.Top <= 0 {
		opt.Top = DefaultTop
	}
	return &Collector{opt: opt, series: make(map[netip.Prefix]*series), window: report.NewRateWindow(0, 0, 0)}
}

// Name names the output.
func (c *Collector) Name() string { return "suggest" }

// Report does nothing: the suggestion needs the periods only.
func (c *Collector) Report(report.Report) error { return nil }

// Period records p. A period of another length than those recorded (the
// averaging period changed) starts the record again: the suggestion is
// for the latest averaging period, and says how many were left out.
func (c *Collector) Period(p *report.Period) error {
	if p == nil || !p.End.After(p.Start) {
		return nil
	}
	if len(c.entries) > 0 && p.End.Sub(p.Start) != c.entries[0].dur {
		// The averaging period changed (a reload, a stats stream of
		// two configurations): the thresholds are for the one in force
		// now, and a simulation has periods of one length.
		c.earlier += c.periods()
		c.entries = c.entries[:0]
		clear(c.series)
		c.window = report.NewRateWindow(0, 0, 0)
	}
	i := len(c.entries)
	c.entries = append(c.entries, entry{start: p.Start, dur: p.End.Sub(p.Start), repeat: max(p.Repeat, 0)})
	for _, l := range p.Lines {
		s := c.series[l.Subnet]
		if s == nil {
			s = &series{prefix: l.Subnet}
			c.series[l.Subnet] = s
		}
		s.name, s.thr, s.in, s.out = l.Name, l.Threshold, l.ThresholdIn, l.ThresholdOut
		if l.Bytes == 0 && l.InBytes == 0 && l.OutBytes == 0 {
			continue
		}
		s.idx = append(s.idx, i)
		s.vol = append(s.vol, watchdog.Volume{Bytes: l.Bytes, In: l.InBytes, Out: l.OutBytes})
		s.bytes += l.Bytes
	}
	c.window.Add(p)
	return nil
}

// Observed is the time the recorded periods cover, idle runs included.
func (c *Collector) Observed() time.Duration {
	var d time.Duration
	for _, e := range c.entries {
		d += e.dur * time.Duration(1+e.repeat)
	}
	return d
}

// periods is the number of periods recorded, idle runs included.
func (c *Collector) periods() int64 {
	var n int64
	for _, e := range c.entries {
		n += 1 + e.repeat
	}
	return n
}

// Confidence is the word for how far a suggestion from d of traffic can
// be trusted: under an hour "indicative", under a day "provisional",
// under a week "fair", else "good" (a week holds every day's pattern).
func Confidence(d time.Duration) string {
	switch {
	case d < time.Hour:
		return "indicative"
	case d < 24*time.Hour:
		return "provisional"
	case d < 7*24*time.Hour:
		return "fair"
	}
	return "good"
}

// Write writes the suggestion: a header, then for each subnet its
// evidence as comments and its subnet line.
func (c *Collector) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if len(c.entries) == 0 {
		fmt.Fprintln(bw, "# ipband --suggest: no complete averaging period was observed; nothing to suggest.")
		return bw.Flush()
	}
	avg := c.entries[0].dur
	cfg := c.opt.Engine
	cfg.Average = avg
	if cfg.Report < avg {
		cfg.Report = avg
	}
	obs := c.Observed()
	fmt.Fprintf(bw, "# ipband --suggest: thresholds from %s of traffic (%d periods of %s), reporting period %s.\n",
		span(obs), c.periods(), span(avg), span(cfg.Report))
	if c.earlier > 0 {
		fmt.Fprintf(bw, "# %d earlier periods of another length (the averaging period changed) are left out.\n", c.earlier)
	}
	fmt.Fprintf(bw, "# Confidence: %s (%s). Rates in kB/s (kilobytes a second, 1 kB = 1024 bytes).\n", Confidence(obs), confidenceWhy(obs))
	fmt.Fprintf(bw, "# Sustained: the highest rate held for %d consecutive periods, what a report needs.\n", int(cfg.Report/cfg.Average)+1)
	fmt.Fprintf(bw, "# Paste the subnet lines into ipband.conf: ipband never changes it.\n")
	for _, s := range c.chosen() {
		if err := c.writeSubnet(bw, cfg, s); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func confidenceWhy(d time.Duration) string {
	switch Confidence(d) {
	case "indicative":
		return "under an hour observed"
	case "provisional":
		return "under a day observed"
	case "fair":
		return "under a week observed"
	}
	return "a week or more observed"
}

// chosen returns the subnets to suggest: the preloaded ones in config
// order, or the Top dynamic ones with the most bytes.
func (c *Collector) chosen() []*series {
	var out []*series
	if pre := c.opt.Engine.Subnets.Preload; len(pre) > 0 {
		for _, p := range pre {
			pfx := p.Prefix.Masked()
			s := c.series[pfx]
			if s == nil {
				s = &series{prefix: pfx, thr: p.Threshold, in: p.In, out: p.Out}
				if !(s.thr > 0) {
					s.thr = c.opt.Engine.Subnets.Threshold
				}
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	for _, s := range c.series {
		if s.bytes > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *series) int {
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		return a.prefix.Addr().Compare(b.prefix.Addr())
	})
	return out[:min(len(out), c.opt.Top)]
}

// direction names, in the order of stats.
var directions = [3]string{"total", "in", "out"}

// stats are the statistics of one direction's per-period rates.
type stats struct {
	p50, p95, p99, max float64
	sustained          float64 // highest level held for a whole reporting period
}

// rates returns the per-period rates of s, direction d, one per entry,
// with each entry's weight (1 + its idle run).
func (c *Collector) rates(s *series, d int) ([]float64, []int64) {
	r := make([]float64, len(c.entries))
	w := make([]int64, len(c.entries))
	for i, e := range c.entries {
		w[i] = 1 + e.repeat
	}
	for k, i := range s.idx {
		v := s.vol[k]
		b := [3]uint64{v.Bytes, v.In, v.Out}[d]
		r[i] = float64(b) / 1024 / c.entries[i].dur.Seconds()
	}
	return r, w
}

// statsOf computes the statistics of rates r with weights w, for a
// reporting period of k consecutive periods.
func statsOf(r []float64, w []int64, k int) stats {
	st := stats{p50: weighted(r, w, 50), p95: weighted(r, w, 95), p99: weighted(r, w, 99)}
	for _, x := range r {
		st.max = max(st.max, x)
	}
	// The highest minimum of k consecutive periods; an idle run (weight
	// above 1) breaks a run, since it stands for empty periods.
	run := 0
	for i := range r {
		if w[i] > 1 && r[i] == 0 {
			run = 0
			continue
		}
		run++
		if run >= k {
			lo := math.Inf(1)
			for _, x := range r[i-k+1 : i+1] {
				lo = min(lo, x)
			}
			st.sustained = max(st.sustained, lo)
		}
		if w[i] > 1 {
			run = 0
		}
	}
	return st
}

// weighted returns the p-th percentile of values r with weights w, by
// nearest rank.
func weighted(r []float64, w []int64, p float64) float64 {
	type vw struct {
		v float64
		w int64
	}
	s := make([]vw, len(r))
	var total int64
	for i := range r {
		s[i] = vw{r[i], w[i]}
		total += w[i]
	}
	if total == 0 {
		return 0
	}
	slices.SortFunc(s, func(a, b vw) int { return cmp.Compare(a.v, b.v) })
	rank := int64(math.Ceil(p / 100 * float64(total)))
	var cum int64
	for _, x := range s {
		cum += x.w
		if cum >= rank {
			return x.v
		}
	}
	return s[len(s)-1].v
}

// writeSubnet writes one subnet's evidence, rule, check and line.
func (c *Collector) writeSubnet(w *bufio.Writer, cfg watchdog.Config, s *series) error {
	k := int(cfg.Report/cfg.Average) + 1
	var st [3]stats
	for d := range directions {
		r, wt := c.rates(s, d)
		st[d] = statsOf(r, wt, k)
	}
	pl, rule := c.rule(s, st)
	vols := make([]watchdog.Volume, len(c.entries))
	for i, e := range c.entries {
		vols[i].Repeat = e.repeat
	}
	for k, i := range s.idx {
		v := s.vol[k]
		vols[i].Bytes, vols[i].In, vols[i].Out = v.Bytes, v.In, v.Out
	}
	out, err := watchdog.Simulate(cfg, pl, c.entries[0].start, vols)
	if err != nil {
		return fmt.Errorf("suggest %v: %w", s.prefix, err)
	}
	title := s.prefix.String()
	if s.name != "" {
		title += " <" + s.name + ">"
	}
	fmt.Fprintf(w, "\n# %s: watched %s, %d periods", title, span(c.Observed()), c.periods())
	if s.thr > 0 {
		fmt.Fprintf(w, "; threshold in force %s", thresholds(s.thr, s.in, s.out))
	}
	fmt.Fprintf(w, ".\n#   per-period rate     p50      p95      p99      max sustained\n")
	for d, name := range directions {
		x := st[d]
		fmt.Fprintf(w, "#   %-13s %8.2f %8.2f %8.2f %8.2f %8.2f\n", name, x.p50, x.p95, x.p99, x.max, x.sustained)
	}
	if p := c.window.Percentiles(s.prefix); p.Intervals > 0 {
		fmt.Fprintf(w, "#   5-minute 95th percentile (last 24 h, %d intervals): total %.2f, in %.2f, out %.2f\n",
			p.Intervals, p.Total, p.In, p.Out)
	}
	fmt.Fprintf(w, "#   rule: %s\n", rule)
	fmt.Fprintf(w, "#   check: with this threshold the observed traffic would have given %d report%s (%s minutes over)\n",
		out.Reports, plural(out.Reports), strconv.FormatFloat(math.Round(out.Over.Minutes()*100)/100, 'f', -1, 64))
	fmt.Fprintf(w, "subnet %s bandwidth %s", s.prefix, rate(pl.Threshold))
	if pl.In > 0 {
		fmt.Fprintf(w, " in %s", rate(pl.In))
	}
	if pl.Out > 0 {
		fmt.Fprintf(w, " out %s", rate(pl.Out))
	}
	if capa := c.capacity(s.prefix); capa > 0 {
		fmt.Fprintf(w, " capacity %s", rate(capa))
	}
	fmt.Fprintln(w)
	return nil
}

// capacity returns the link capacity of p, kBytes/s, or 0.
func (c *Collector) capacity(p netip.Prefix) float64 {
	if v := c.opt.Capacity[p]; v > 0 {
		return v
	}
	return c.opt.Default
}

// rule chooses the thresholds of s from its statistics and says why.
func (c *Collector) rule(s *series, st [3]stats) (subnet.Preload, string) {
	pl := subnet.Preload{Prefix: s.prefix}
	if capa := c.capacity(s.prefix); capa > 0 {
		dir := roundUp(c.opt.Share * capa)
		pl.In, pl.Out, pl.Threshold = dir, dir, roundUp(2*c.opt.Share*capa)
		return pl, fmt.Sprintf("capacity %s kB/s per direction: in and out at %s%% of it (%s), the sum at twice that",
			rate(capa), strconv.FormatFloat(c.opt.Share*100, 'f', -1, 64), rate(dir))
	}
	t := st[0]
	if t.sustained == 0 && t.p99 == 0 {
		pl.Threshold = s.thr
		return pl, "no traffic sustained for a reporting period: the threshold in force is kept"
	}
	v := max(t.sustained*(1+c.opt.Margin), t.p99)
	pl.Threshold = roundUp(v)
	why := fmt.Sprintf("%s%% above the highest level sustained for a reporting period (%.2f)",
		strconv.FormatFloat(c.opt.Margin*100, 'f', -1, 64), t.sustained)
	if t.p99 > t.sustained*(1+c.opt.Margin) {
		why += fmt.Sprintf(", raised to p99 (%.2f)", t.p99)
	} else {
		why += fmt.Sprintf(", not below p99 (%.2f)", t.p99)
	}
	return pl, why + "; no capacity given (capacity on the subnet line or --suggest-capacity)"
}

// roundUp rounds kBps up to the hundredth, as the line prints it, so that
// a threshold is never below the level it was computed from.
func roundUp(kbps float64) float64 {
	return math.Ceil(kbps*100-1e-9) / 100
}

// rate formats kBps for a config line: up to two decimals.
func rate(kbps float64) string {
	return strconv.FormatFloat(math.Round(kbps*100)/100, 'f', -1, 64)
}

// thresholds describes thresholds in force.
func thresholds(sum, in, out float64) string {
	s := rate(sum)
	if in > 0 {
		s += ", in " + rate(in)
	}
	if out > 0 {
		s += ", out " + rate(out)
	}
	return s
}

// span formats d for people: "14 min", "2 h 30 min", "60 s".
func span(d time.Duration) string {
	switch {
	case d < time.Minute || d%time.Minute != 0 && d < time.Hour:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h >= 48 {
		return strconv.FormatFloat(float64(d)/float64(24*time.Hour), 'f', 1, 64) + " days"
	}
	if m == 0 {
		return strconv.Itoa(h) + " h"
	}
	return strings.Join([]string{strconv.Itoa(h), "h", strconv.Itoa(m), "min"}, " ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
