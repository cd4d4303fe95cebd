package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ipband/report"
	"ipband/watchdog"
)

// DefaultQueue is the length of each output's queue when Config.Queue is
// 0: periods and reports waiting for a slow output. A period closes at
// most once a second, so 64 entries are a minute of a stalled output at
// the shortest averaging period.
const DefaultQueue = 64

// Inline marks an output that the fan-out calls on the engine's goroutine,
// with no queue: the console when -d 3 traces every packet to the same
// standard output, so that the trace lines and the tables stay in order.
// An inline output slows capture by the time it takes; it is never
// reopened.
type Inline struct{ report.Output }

// FanOut is the engine's watchdog.Output: it hands each period (one copy,
// shared by the outputs, which must not change it) and each report to every
// output, each output on a goroutine of its own through a bounded queue,
// in the order the engine produced them. In live capture a full queue
// drops what does not fit, so that a slow output never slows capture; in
// replay (Block) it waits instead, so that a replay always gives the same
// output. What each output drops or fails is counted and given by Losses.
//
// A FanOut is made by New and run by Service.Run, which owns its
// goroutines.
type FanOut struct {
	log     *slog.Logger
	workers []*worker
	block   bool
	closed  atomic.Bool
	quit    chan struct{} // closed when the run is stopping: a blocked put gives up
	once    sync.Once
}

// kind is what a queue entry carries.
type kind uint8

const (
	kindPeriod kind = iota
	kindReport
)

// entry is one period or report in an output's queue.
type entry struct {
	kind kind
	p    *report.Period
	r    report.Report
}

// counts are an output's losses of one kind of entry.
type counts struct {
	dropped atomic.Uint64 // the queue was full
	failed  atomic.Uint64 // the output returned an error
}

// worker is one output with its queue and its goroutine.
type worker struct {
	out    report.Output
	inline bool
	q      chan entry
	reopen chan struct{} // 1-buffered: coalesced reopen requests
	done   chan struct{} // closed when the goroutine has finished
	lost   [2]counts     // by kind
	drop   atomic.Bool   // dropping now: logged when it starts

	flush context.Context // set before q is closed: bounds the output's Close
	err   error           // the output's Close error, set before done is closed
}

func newFanOut(outs []report.Output, queue int, block bool, log *slog.Logger) *FanOut {
	if queue <= 0 {
		queue = DefaultQueue
	}
	f := &FanOut{log: log, block: block, quit: make(chan struct{})}
	for _, o := range outs {
		w := &worker{out: o, done: make(chan struct{})}
		if in, ok := o.(Inline); ok {
			w.out, w.inline = in.Output, true
			close(w.done)
		} else {
			w.q = make(chan entry, queue)
			w.reopen = make(chan struct{}, 1)
		}
		f.workers = append(f.workers, w)
	}
	return f
}

var _ watchdog.Output = (*FanOut)(nil)

// Period hands a copy of p to every output.
func (f *FanOut) Period(p *report.Period) {
	c := *p
	c.Lines = slices.Clone(p.Lines)
	f.put(entry{kind: kindPeriod, p: &c})
}

// Report hands r to every output.
func (f *FanOut) Report(r report.Report) {
	f.put(entry{kind: kindReport, r: r})
}

func (f *FanOut) put(e entry) {
	if f.closed.Load() {
		for _, w := range f.workers {
			w.lost[e.kind].dropped.Add(1)
		}
		return
	}
	for _, w := range f.workers {
		if w.inline {
			w.handle(e)
			continue
		}
		if f.block {
			select {
			case w.q <- e:
			case <-f.quit:
				w.lost[e.kind].dropped.Add(1)
			}
			continue
		}
		select {
		case w.q <- e:
			w.drop.Store(false)
		default:
			w.lost[e.kind].dropped.Add(1)
			if !w.drop.Swap(true) {
				f.log.Warn(w.out.Name()+": output too slow, dropping what it cannot take", "subsystem", "fan-out", "queue", cap(w.q))
			}
		}
	}
}

// unblock makes a blocked put give up: the run is stopping.
func (f *FanOut) unblock() { f.once.Do(func() { close(f.quit) }) }

// start starts the goroutine of every queued output.
func (f *FanOut) start(wg *sync.WaitGroup) {
	for _, w := range f.workers {
		if w.inline {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run()
		}()
	}
}

// Reopen asks every output that writes files to reopen them, on its own
// goroutine, after what is already queued for it.
func (f *FanOut) Reopen() {
	for _, w := range f.workers {
		if _, ok := w.out.(report.Reopener); ok && !w.inline {
			select {
			case w.reopen <- struct{}{}:
			default:
			}
		}
	}
}

// run handles the queue until it is closed, then closes the output.
func (w *worker) run() {
	defer close(w.done)
	for {
		select {
		case e, ok := <-w.q:
			if !ok {
				w.close()
				return
			}
			w.handle(e)
		case <-w.reopen:
			w.doReopen()
		}
	}
}

func (w *worker) handle(e entry) {
	var err error
	switch e.kind {
	case kindPeriod:
		err = w.out.Period(e.p)
	case kindReport:
		err = w.out.Report(e.r)
	}
	if err != nil {
		w.lost[e.kind].failed.Add(1)
	}
}

func (w *worker) doReopen() {
	if r, ok := w.out.(report.Reopener); ok {
		r.Reopen() //nolint:errcheck // the output logs its faults
	}
}

func (w *worker) close() {
	if c, ok := w.out.(report.Closer); ok {
		w.err = c.Close(w.flush)
	}
}

// closeGrace is how long, once the flush time has run out, the fan-out
// still waits for the outputs' Close to return: a Close stops its work
// when its ctx ends (the mail queue stops the send under way and leaves
// the rest spooled) and then says what it lost, which is not always
// anything. Without it an output that kept everything safe would count as
// lost for finishing a moment after the deadline.
const closeGrace = 2 * time.Second

// close stops the fan-out: what is queued is handed to the outputs, and
// each output is closed, all within ctx (and closeGrace for a Close to
// return once ctx has ended). It returns the losses of every output, those
// of outputs still busy then included.
func (f *FanOut) close(ctx context.Context) []Loss {
	f.closed.Store(true)
	for _, w := range f.workers {
		w.flush = ctx
		if w.inline {
			w.close()
		} else {
			close(w.q)
		}
	}
	var (
		losses []Loss
		late   <-chan time.Time // once ctx has ended: the end of closeGrace
	)
	for _, w := range f.workers {
		l := Loss{Output: w.out.Name()}
		select {
		case <-w.done:
			l.Err = w.err
		case <-ctx.Done():
			if late == nil {
				late = time.After(closeGrace)
			}
			select {
			case <-w.done: // its Close saw ctx end and said what it lost
				l.Err = w.err
			case <-late:
				l.Unflushed = len(w.q)
				l.Err = fmt.Errorf("still busy when the flush time ran out: %w", ctx.Err())
			}
		}
		l.DroppedPeriods = w.lost[kindPeriod].dropped.Load()
		l.DroppedReports = w.lost[kindReport].dropped.Load()
		l.FailedPeriods = w.lost[kindPeriod].failed.Load()
		l.FailedReports = w.lost[kindReport].failed.Load()
		if l.Lost() {
			losses = append(losses, l)
		}
	}
	return losses
}

// Loss is what one output lost in a run.
type Loss struct {
	Output                         string // the output's Name
	DroppedPeriods, DroppedReports uint64 // its queue was full (live capture)
	FailedPeriods, FailedReports   uint64 // it returned an error
	Unflushed                      int    // still queued when the flush time ran out
	Err                            error  // what its Close could not flush
}

// Lost reports whether anything was lost.
func (l Loss) Lost() bool {
	return l.DroppedPeriods+l.DroppedReports+l.FailedPeriods+l.FailedReports > 0 || l.Unflushed > 0 || l.Err != nil
}

// String says what was lost, with the numbers: "report file x.txt: 2
// report(s) failed; 2 report(s) could not be written".
func (l Loss) String() string {
	var parts []string
	add := func(n uint64, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(l.DroppedReports, "report(s) dropped (queue full)")
	add(l.DroppedPeriods, "period(s) dropped (queue full)")
	add(l.FailedReports, "report(s) failed")
	add(l.FailedPeriods, "period(s) failed")
	add(uint64(l.Unflushed), "entries still queued")
	if l.Err != nil { // "mail: close: ..." from the output named mail reads once
		parts = append(parts, strings.TrimPrefix(l.Err.Error(), l.Output+": "))
	}
	return l.Output + ": " + strings.Join(parts, "; ")
}

// ErrLost is wrapped by the error Run returns when an output lost
// something.
var ErrLost = errors.New("service: output lost data")
