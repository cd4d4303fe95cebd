package tui

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"ipband/report"
)

// column is one column of the table: adding a field is one entry in
// columns.
type column struct {
	title string
	width int  // 0: the rest of the line
	right bool // right-aligned
	cell  func(s *subnet) string
	drop  int // on a narrow terminal the highest goes first; 0 stays
}

var columns = []column{
	{"SUBNET", 18, false, func(s *subnet) string { return s.text }, 0},
	{"NAME", 9, false, func(s *subnet) string { return s.name }, 3},
	{"LAST kB/s", 9, true, func(s *subnet) string { return kbps(s.last) }, 0},
	{"NOW kB/s", 9, true, func(s *subnet) string {
		if !s.hasNow {
			return "-"
		}
		return kbps(s.now)
	}, 2},
	{"IN / OUT", 13, true, func(s *subnet) string { return inOut(s.lastIn, s.lastOut) }, 4},
	{"THRESH", 8, true, func(s *subnet) string { return kbps(s.threshold) }, 0},
	{"LOAD", 15, false, func(s *subnet) string { return bar(s.load(), 10) }, 1},
	{"LAST PERIODS", rowSpark, false, func(s *subnet) string { return spark(lastN(s.spark, rowSpark), s.threshold) }, 5},
	{"STATE", 0, false, state, 0},
}

// stateWidth is the room the STATE column needs: columns are dropped,
// the highest drop first, until it has it.
const stateWidth = 30

// fit returns the columns that fit in w cells, leaving STATE its room.
func fit(w int) []column {
	cols := slices.Clone(columns)
	for {
		used, worst := 0, -1
		for i, c := range cols {
			used += c.width + 1
			if c.drop > 0 && (worst < 0 || c.drop > cols[worst].drop) {
				worst = i
			}
		}
		if used+stateWidth <= w || worst < 0 {
			return cols
		}
		cols = slices.Delete(cols, worst, worst+1)
	}
}

// rowSpark is the number of periods a row's sparkline shows; the detail
// view shows sparkPeriods.
const rowSpark = 12

// lastN returns the last n of xs.
func lastN(xs []float64, n int) []float64 {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

func kbps(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// inOut is the last period's rates to the subnet and from it, with one
// decimal: "22.5 / 7.5".
func inOut(in, out float64) string {
	return strconv.FormatFloat(in, 'f', 1, 64) + " / " + strconv.FormatFloat(out, 'f', 1, 64)
}

// bar draws load (share of the threshold) as width cells of blocks, the
// threshold at the end, followed by the percentage.
func bar(load float64, width int) string {
	eighths := int(math.Round(min(load, 1) * float64(width*8)))
	var b strings.Builder
	for range width {
		switch {
		case eighths >= 8:
			b.WriteRune('█')
		case eighths > 0:
			b.WriteRune([]rune("▏▎▍▌▋▊▉")[eighths-1])
		default:
			b.WriteRune('·')
		}
		eighths -= 8
	}
	fmt.Fprintf(&b, " %3.0f%%", 100*load)
	return b.String()
}

// spark draws rates as a sparkline, scaled to the larger of their peak
// and the threshold, so that a full block is at or above the threshold.
func spark(rates []float64, threshold float64) string {
	top := threshold
	for _, r := range rates {
		top = max(top, r)
	}
	ticks := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, r := range rates {
		if top <= 0 || r <= 0 {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(ticks[min(int(r/top*float64(len(ticks)-1)+0.5), len(ticks)-1)])
	}
	return b.String()
}

// state is the row's state: logging since when, and its reports.
func state(s *subnet) string {
	var st string
	switch {
	case s.logging:
		st = "logging " + s.since.Format("15:04:05")
	case s.last == 0 && !s.seen:
		st = "quiet"
	default:
		st = "ok"
	}
	switch s.reports {
	case 0:
	case 1:
		st += ", 1 report"
	default:
		st += ", " + strconv.Itoa(s.reports) + " reports"
	}
	return st
}

// styles of the view.
var (
	styleBase    = tcell.StyleDefault
	styleHeader  = tcell.StyleDefault.Reverse(true)
	styleTitles  = tcell.StyleDefault.Bold(true)
	styleLogging = tcell.StyleDefault.Foreground(tcell.ColorRed).Bold(true)
	styleQuiet   = tcell.StyleDefault.Dim(true)
)

// draw redraws the screen from the model.
func (v *View) draw() {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.screen
	if s == nil {
		return
	}
	s.Clear()
	w, h := s.Size()
	m := v.m
	put(s, 0, 0, w, header(m), styleHeader, true)
	if m.detail {
		v.drawDetail(s, w, h)
	} else {
		v.drawTable(s, w, h)
	}
	st := m.stats
	put(s, 0, h-2, w, fmt.Sprintf("last period: %d packets, %d IP, %d not IP, %d malformed, %d evicted subnets, %d evicted connections, %d kernel drops",
		st.Packets, st.IP, st.Other, st.Malformed, st.EvictedSubnets, st.EvictedConns, st.Dropped), styleBase, false)
	if m.status != "" {
		put(s, 0, h-3, w, " "+m.status, styleTitles, true)
	}
	put(s, 0, h-1, w, footer(m), styleHeader, true)
	s.Show()
}

// header is the top line: what is watched, the periods, the order.
func header(m *model) string {
	line := " ipband: " + m.opt.Title + ", period " + strconv.Itoa(int(m.opt.Average.Seconds())) + " s"
	if !m.end.IsZero() {
		line += ", last ended " + m.end.Format("15:04:05")
	}
	if !m.openEnd.IsZero() && m.openEnd.After(m.end) {
		line += ", now " + m.openEnd.Format("15:04:05")
	}
	line += "; by " + m.sortBy.String()
	if m.filter != "" && !m.typing {
		line += "; filter " + strconv.Quote(m.filter)
	}
	if m.paused {
		line += "; PAUSED"
	}
	return line
}

// footer is the bottom line: the filter being typed, a message, or the
// keys.
func footer(m *model) string {
	switch {
	case m.typing:
		return " filter (address or name, Enter to keep, Esc to clear): " + m.filter + "_"
	case m.ended || m.stopping:
		return " q quit"
	case m.detail:
		return " Enter/Esc back  p pause  q quit"
	}
	return " ↑↓ select  Enter detail  / filter  sort: l load r rate n name a address  p pause  q quit"
}

// drawTable draws the column titles and one row a subnet.
func (v *View) drawTable(s tcell.Screen, w, h int) {
	m := v.m
	cols := fit(w)
	x := 0
	for _, c := range cols {
		x += putCell(s, x, 1, w, c, c.title, styleTitles)
	}
	rows := m.rows()
	sel := m.selected(rows)
	space := h - 5 // header, titles, status, counters, footer
	if space <= 0 {
		return
	}
	first := 0
	if sel >= space {
		first = sel - space + 1
	}
	if len(rows) == 0 {
		msg := "no subnet with traffic yet"
		if m.filter != "" {
			msg = "no subnet matches the filter"
		}
		put(s, 1, 2, w, msg, styleQuiet, false)
	}
	for i := first; i < len(rows) && i-first < space; i++ {
		r := rows[i]
		style := styleBase
		switch {
		case r.logging:
			style = styleLogging
		case !r.seen && r.now == 0:
			style = styleQuiet
		}
		if i == sel {
			style = style.Reverse(true)
			put(s, 0, 2+i-first, w, "", style, true)
		}
		x := 0
		for _, c := range cols {
			x += putCell(s, x, 2+i-first, w, c, c.cell(r), style)
		}
	}
}

// drawDetail draws the selected subnet: its rates, history, connections
// while it logs, and its last report.
func (v *View) drawDetail(s tcell.Screen, w, h int) {
	m := v.m
	sub := m.subs[m.sel]
	if m.paused {
		for i := range m.frozen {
			if m.frozen[i].prefix == m.sel {
				sub = &m.frozen[i]
			}
		}
	}
	if sub == nil {
		put(s, 1, 2, w, "the subnet is no longer tracked (Esc to go back)", styleQuiet, false)
		return
	}
	y := 2
	line := func(text string, style tcell.Style) {
		if y < h-3 {
			put(s, 1, y, w-1, text, style, false)
		}
		y++
	}
	title := sub.text
	if sub.name != "" {
		title += " " + sub.name
	}
	line(title+", threshold "+kbps(sub.threshold)+" kB/s", styleTitles)
	now := "-"
	if sub.hasNow {
		now = kbps(sub.now)
	}
	line(fmt.Sprintf("last period %s kB/s, now %s kB/s, load %s; %s", kbps(sub.last), now, bar(sub.load(), 10), state(sub)), styleBase)
	dir := func(what string, last, now, thr float64) string {
		t := what + " " + kbps(last) + " kB/s"
		if sub.hasNow {
			t += " (now " + kbps(now) + ")"
		}
		if thr > 0 {
			t += ", threshold " + kbps(thr)
		}
		return t
	}
	line(dir("in", sub.lastIn, sub.nowIn, sub.thrIn)+"; "+dir("out", sub.lastOut, sub.nowOut, sub.thrOut), styleBase)
	y++
	line(fmt.Sprintf("Last %d periods, oldest first (a full block is the threshold or the peak, %s kB/s):", len(sub.spark), kbps(peak(sub))), styleTitles)
	line(spark(sub.spark, sub.threshold), styleBase)
	y++
	switch {
	case sub.logging && len(m.conns) > 0:
		line("Top connections of this episode so far:", styleTitles)
		for _, r := range m.conns {
			line(connLine(r, m.opt.Names), styleBase)
		}
	case sub.logging && m.gotConns:
		line("Top connections of this episode so far: none counted yet", styleQuiet)
	case sub.logging:
		line("Top connections of this episode so far: waiting for the engine", styleQuiet)
	default:
		line("Not in detail logging: no connections are kept.", styleQuiet)
	}
	y++
	if r := sub.report; r != nil {
		line(fmt.Sprintf("Last report, %s: %s kB/s, exceeded for %s, logging since %s:", r.Time.Format("15:04:05"), kbps(r.KBps),
			r.Exceeded.Round(time.Second), r.Start.Format("15:04:05")), styleTitles)
		for i, row := range r.Rows {
			if i == 5 {
				line(fmt.Sprintf("... %d more in the report", len(r.Rows)-5), styleQuiet)
				break
			}
			line(connLine(row, m.opt.Names), styleBase)
		}
	} else {
		line("No report yet.", styleQuiet)
	}
}

func peak(s *subnet) float64 {
	p := s.threshold
	for _, r := range s.spark {
		p = max(p, r)
	}
	return p
}

// connLine is one connection: protocol, ends, service and bytes.
func connLine(r report.Row, names *report.Names) string {
	end := func(a netip.Addr, port uint16) string {
		if r.Proto != 6 && r.Proto != 17 && port == 0 {
			return a.String()
		}
		return netip.AddrPortFrom(a, port).String()
	}
	svc := names.RowService(r)
	return fmt.Sprintf("%-5s %-40s %-12s %12s bytes", names.Protocol(r.Proto), end(r.Src, r.SrcPort)+" <-> "+end(r.Dst, r.DstPort), svc, strconv.FormatUint(r.Bytes, 10))
}

// putCell writes one cell of column c at x, and returns the width it
// takes (with a space after it).
func putCell(s tcell.Screen, x, y, w int, c column, text string, style tcell.Style) int {
	width := c.width
	if width == 0 {
		width = w - x
	}
	if width <= 0 {
		return 0
	}
	runes := []rune(text)
	if len(runes) > width {
		runes = append(runes[:width-1], '…')
	}
	pad := 0
	if c.right {
		pad = width - len(runes)
	}
	put(s, x+pad, y, min(w, x+width), string(runes), style, false)
	return width + 1
}

// put writes text at (x, y), clipped at column w; fill paints the rest
// of the line with style.
func put(s tcell.Screen, x, y, w int, text string, style tcell.Style, fill bool) {
	for _, r := range text {
		if x >= w {
			return
		}
		s.SetContent(x, y, r, nil, style)
		x++
	}
	for fill && x < w {
		s.SetContent(x, y, ' ', nil, style)
		x++
	}
}
