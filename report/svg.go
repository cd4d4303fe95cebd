package report

import (
	"math"
	"strconv"
	"time"
)

// The geometry of a history graph, in SVG user units: the plot area is
// [graphLeft, graphRight] x [graphTop, graphBottom].
const (
	graphWidth  = 480
	graphHeight = 160
	graphLeft   = 40
	graphRight  = 474
	graphTop    = 12
	graphBottom = 136
)

// graph is what the page template draws as one inline SVG: every value is
// a number or a fixed string, so that the template only places them.
type graph struct {
	Label         string // "last hour", "last day"
	Width, Height int
	Left, Right   int
	Top, Bottom   int
	Rate          string // polyline points of the rate, "" when no data
	Threshold     string // polyline points of the threshold
	Shades        []shade
	YMax, YMid    string // axis labels, kBps
	YMidPos       string
	Ticks         []tick // time axis: a few round times of the window
	Zone          string // the ticks' time zone: "EDT"
	Empty         bool
	Desc          string // the text alternative (title of the svg)
	PlotWidth     int
	PlotHeight    int
	MidX, MidY    int
	AxisX         int // right edge of the y axis labels
}

// tick is a mark on the time axis at X, labelled with a time of day.
type tick struct {
	X, Label string
}

// shade is a rectangle marking a run of logging steps.
type shade struct {
	X, W string
}

// graphScale returns the top of the y axis that fits every point of the
// series given, rounded up to a round number: the graphs of one subnet
// share it, so that they can be compared at a glance.
func graphScale(series ...[]Point) float64 {
	top := 0.0
	for _, pts := range series {
		for _, p := range pts {
			top = math.Max(top, math.Max(p.KBps, p.Threshold))
		}
	}
	return niceCeil(top * 1.1)
}

// newGraph lays out pts, the history over window ending at now, on a y
// axis from 0 to top kBps.
func newGraph(label string, pts []Point, window time.Duration, now time.Time, top float64) graph {
	from := now.Add(-window)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(window)
		return graphLeft + math.Min(math.Max(f, 0), 1)*(graphRight-graphLeft)
	}
	zone, _ := now.Zone()
	g := graph{
		Label: label, Width: graphWidth, Height: graphHeight,
		Left: graphLeft, Right: graphRight, Top: graphTop, Bottom: graphBottom,
		Zone:      zone,
		PlotWidth: graphRight - graphLeft, PlotHeight: graphBottom - graphTop,
		MidX: (graphLeft + graphRight) / 2, MidY: (graphTop + graphBottom) / 2, AxisX: graphLeft - 4,
	}
	for _, t := range tickTimes(from, now, tickStep(window)) {
		if px := x(t); px >= graphLeft+16 && px <= graphRight-16 { // a label fits
			g.Ticks = append(g.Ticks, tick{X: num(px), Label: t.Format("15:04")})
		}
	}
	if len(pts) == 0 {
		g.Empty = true
		g.Desc = label + ": no data yet"
		return g
	}
	if top <= 0 {
		top = graphScale(pts)
	}
	y := func(v float64) float64 {
		return graphBottom - v/top*(graphBottom-graphTop)
	}
	var rate, thr []byte
	var prevEnd time.Time
	peak := 0.0
	var shadeX [][2]float64
	for i, p := range pts {
		mid := p.Start.Add(p.End.Sub(p.Start) / 2)
		sep := " "
		if i > 0 && p.Start.After(prevEnd) { // a gap: no data in between
			sep = " M"
		}
		if i == 0 {
			sep = "M"
		}
		rate = appendPoint(append(rate, sep...), x(mid), y(p.KBps))
		thr = appendPoint(append(thr, sep...), x(mid), y(p.Threshold))
		prevEnd = p.End
		peak = math.Max(peak, p.KBps)
		if !p.Logging {
			continue
		}
		x0, x1 := x(p.Start), x(p.End)
		if n := len(shadeX); n > 0 && i > 0 && pts[i-1].Logging && !p.Start.After(pts[i-1].End) {
			shadeX[n-1][1] = x1 // the run of logging steps goes on
			continue
		}
		shadeX = append(shadeX, [2]float64{x0, x1})
	}
	for _, s := range shadeX {
		g.Shades = append(g.Shades, shade{X: num(s[0]), W: num(s[1] - s[0])})
	}
	g.Rate, g.Threshold = string(rate), string(thr)
	g.YMax, g.YMid = num(top), num(top/2)
	g.YMidPos = num(y(top / 2))
	g.Desc = label + ": peak " + strconv.FormatFloat(peak, 'f', 2, 64) + " kB/s (kilobytes)"
	return g
}

// appendPoint appends "x,y" with one decimal.
func appendPoint(dst []byte, x, y float64) []byte {
	dst = strconv.AppendFloat(dst, math.Round(x*10)/10, 'f', -1, 64)
	dst = append(dst, ',')
	return strconv.AppendFloat(dst, math.Round(y*10)/10, 'f', -1, 64)
}

// num formats a coordinate or a label with at most one decimal.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// tickStep is the step between the time ticks of a window: four or so
// ticks, at round times.
func tickStep(window time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour} {
		if window/s <= 5 {
			return s
		}
	}
	return 6 * time.Hour
}

// tickTimes returns the times in (from, to] that are whole multiples of
// step since midnight in to's location, the clock times people read.
func tickTimes(from, to time.Time, step time.Duration) []time.Time {
	from = from.In(to.Location())
	t := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, to.Location())
	var out []time.Time
	for ; !t.After(to); t = t.Add(step) {
		if t.After(from) {
			out = append(out, t)
		}
	}
	return out
}
