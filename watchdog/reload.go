package watchdog

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"ipband/report"
	"ipband/subnet"
)

// control holds what other goroutines ask of the engine. The engine looks
// at it only when its clock moves (Advance) and at period boundaries,
// never per packet.
type control struct {
	next atomic.Pointer[reconfig]             // a config to swap in at the next boundary
	snap atomic.Pointer[func(*report.Period)] // a snapshot to take at the next clock step
	conn atomic.Pointer[connRequest]          // a subnet's connections to copy at the next clock step
}

// connRequest asks for the top connections of one subnet in detail
// logging (SnapshotConns).
type connRequest struct {
	sub netip.Prefix
	top int
	f   func([]report.Row)
}

// reconfig is a validated Config and the table built for it.
type reconfig struct {
	cfg   Config
	table *subnet.Table[state]
}

// Reconfigure checks cfg as New would and, when it is good, has the engine
// take it at the next period boundary, on the engine's goroutine: the
// period being measured is closed and decided under the old config, and
// the new thresholds, periods and limits apply from the next one. Subnets
// that exist in both configs keep their state (counters, detail logging
// and its connections, exceeded and accumulated time); subnets the new
// config no longer tracks are dropped, and their episodes end without a
// report. A later call before the boundary replaces an earlier one. It is
// safe to call from any goroutine; a bad cfg is returned as an error
// wrapping ErrConfig and changes nothing.
//
// A changed maskbits in dynamic mode regroups addresses: the old dynamic
// subnets are then all dropped. Connection tables kept across the swap
// keep the connection limit they were made with.
func (e *Engine) Reconfigure(cfg Config) error {
	n, err := New(cfg, e.out)
	if err != nil {
		return err
	}
	e.ctl.next.Store(&reconfig{cfg: cfg, table: n.table})
	return nil
}

// Snapshot has the engine call f, on its own goroutine, with the table of
// the open period at its next clock step: every subnet it would show at
// the end of the period, with the bytes counted so far and the rate over
// the time elapsed in the period. f gets a Period it may keep; it must not
// block. The clock steps on every read timeout of an idle live link and,
// while packets come, live or replayed, at the first packet 250 ms (of
// packet time) after the last step. It is safe to call
// from any goroutine; a later call before the step replaces an earlier
// one.
func (e *Engine) Snapshot(f func(*report.Period)) {
	e.ctl.snap.Store(&f)
}

// SnapshotConns has the engine call f, on its own goroutine, at its next
// clock step (as Snapshot), with the top connections of subnet sub so far
// in its detail-logging episode, by bytes (at most top; 0 means all), or
// with nil when sub is not in detail logging. It is safe to call from any
// goroutine; a later call before the step replaces an earlier one.
func (e *Engine) SnapshotConns(sub netip.Prefix, top int, f func([]report.Row)) {
	e.ctl.conn.Store(&connRequest{sub: sub, top: top, f: f})
}

// serveConns answers a pending SnapshotConns.
func (e *Engine) serveConns() {
	req := e.ctl.conn.Swap(nil)
	if req == nil {
		return
	}
	var rows []report.Row
	switch s := e.table.Get(req.sub); {
	case s == nil || !s.State.logging():
	case e.group != nil: // the connections are in the workers' tables, all stopped
		rows, _ = e.group.rows(req.sub, req.top)
	default:
		rows = s.State.detail.rows(req.top)
	}
	req.f(rows)
}

// serveSnapshot answers a pending Snapshot at time now, before the clock
// closes any period.
func (e *Engine) serveSnapshot(now int64) {
	f := e.ctl.snap.Swap(nil)
	if f == nil {
		return
	}
	end := max(now, e.start)
	if end > e.end {
		end = e.end
	}
	p := &report.Period{Start: toTime(e.start), End: toTime(end), Stats: e.stats}
	secs := float64(end-e.start) / float64(time.Second)
	if secs <= 0 {
		secs = float64(e.avg) / float64(time.Second)
	}
	e.slots = e.table.Slots(e.slots[:0])
	if !e.table.Preloaded() {
		e.sortSlots()
	}
	for _, s := range e.slots {
		if e.table.Preloaded() || s.Bytes > 0 || s.State.logging() {
			p.Lines = append(p.Lines, e.line(s, secs, 0))
		}
	}
	(*f)(p)
}

// serveConfig swaps in a pending config at a period boundary: the open
// period has just started and counts nothing yet.
func (e *Engine) serveConfig() {
	if e.ctl.next.Load() == nil {
		return
	}
	rc := e.ctl.next.Swap(nil)
	old, nt := e.table, rc.table
	logging := 0
	for _, s := range old.Slots(nil) {
		ns := nt.Insert(s.Prefix) // found, or made in dynamic mode
		if ns == nil {            // not tracked any more: its episode ends unreported
			if s.State.detail != nil {
				e.evidenceEnd(s)
				if e.pool != nil {
					e.pool.leave(s.State.detail)
				}
			}
			continue
		}
		ns.State = s.State
		nt.Add(ns, s.Bytes) // 0 at a boundary, kept for the rule
		ns.In, ns.Out = s.In, s.Out
	}
	for _, s := range nt.Slots(nil) {
		if s.State.logging() {
			logging++
		}
	}
	e.cfg, e.table, e.logging = rc.cfg, nt, logging
	avg := e.avg
	e.avg, e.rep, e.lenAdj = int64(rc.cfg.Average), int64(rc.cfg.Report), int64(rc.cfg.LenAdj)
	if e.avg != avg {
		e.rebase()
	}
	e.accumulate = rc.cfg.Accumulate && nt.Preloaded()
	e.end = e.start + e.avg
}

// String describes the engine's config for logs: "average 60s, report
// 300s, 3 preloaded subnets".
func (c Config) String() string {
	mode := fmt.Sprintf("dynamic /%d and /%d", c.Subnets.MaskBits, c.Subnets.MaskBits6)
	if n := len(c.Subnets.Preload); n > 0 {
		mode = fmt.Sprintf("%d preloaded subnets", n)
	}
	return fmt.Sprintf("average %v, report %v, threshold %.2f kBps, %s", c.Average, c.Report, c.Subnets.Threshold, mode)
}
