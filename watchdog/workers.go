package watchdog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"ipband/report"
	"ipband/watchdog/pcapfile"
)

// Group has n workers count frames for one engine, each on a goroutine of
// its own (workers): each worker has its own subnet counts, connection
// tables and evidence frames, and the engine stays the one place where
// periods close and thresholds are decided.
//
// A worker is an Engine that never closes a period: when a frame's time
// (or, on an idle link, the clock) reaches the end of the open period, the
// worker stops there. When every worker has stopped (or is done), the
// last to arrive sums their counts into the engine, hands it their
// evidence frames merged by timestamp, and advances the engine to the
// earliest time a worker stopped at; the engine decides exactly as it
// would have with every frame itself. The workers are then told which
// subnets log in detail, and go on. Connection tables stay with the
// workers (both directions of a connection go to one worker when frames
// are split by address pair, as the fanout program does) and are merged
// only for a report. Each worker's caps are the engine's divided by n (at
// least one), so that their sum still holds the engine's bound.
//
// The engine's answers equal those of one engine fed every frame in time
// order as long as no cap is reached (a full table evicts by the order
// frames come in, which a split changes) and frames with the same
// timestamp do not tie for a row's place in a report.
type Group struct {
	e  *Engine
	ws []*worker

	mu      sync.Mutex // guards the following fields, and every worker's state while they are stopped
	waiting int        // workers not done that have not stopped at the boundary
	slots   []*slot    // scratch
	frames  []groupFrame
	flush   atomic.Bool             // a worker's evidence buffer is half full
	evDrop  map[netip.Prefix]uint64 // evidence frames the workers left out, by subnet, this episode
}

// worker is one of a Group's counters.
type worker struct {
	g      *Group
	e      *Engine // its counts; its clock stops at each period end
	at     int64   // where it stopped: a frame's time or the clock
	done   bool
	resume chan struct{}
	buf    frameBuffer // its evidence frames since the last boundary
}

// groupFrame is an evidence frame of a worker, for the merge.
type groupFrame struct {
	w int
	f bufFrame
}

// NewGroup makes n workers count for e, which must not have counted
// anything yet. Worker i is fed through Worker(i) and ends with Done(i);
// every worker must end with Done, or the others wait for it at the next
// boundary.
func NewGroup(e *Engine, n int) (*Group, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d workers", ErrConfig, n)
	}
	g := &Group{e: e, ws: make([]*worker, n), waiting: n}
	for i := range g.ws {
		we, err := New(workerConfig(e.cfg, n), nopOutput{})
		if err != nil {
			return nil, err
		}
		w := &worker{g: g, e: we, resume: make(chan struct{}, 1)}
		w.buf.flush = &g.flush
		we.worker = w
		we.started = true
		we.end = math.MinInt64 // stops at its first frame, for the engine to start
		g.ws[i] = w
	}
	e.group = g
	return g, nil
}

// workerConfig is the config of one of n workers of an engine of config
// c: its caps divided among them.
func workerConfig(c Config, n int) Config {
	c.MaxConns = max(1, c.MaxConns/n)
	if c.MaxConnsTotal > 0 {
		c.MaxConnsTotal = max(1, c.MaxConnsTotal/n)
	}
	c.Window = nil
	return c
}

// N returns the number of workers.
func (g *Group) N() int { return len(g.ws) }

// Worker returns the engine of worker i: feed it with PacketFrame or
// Packet, tell it the clock with Advance and the kernel's drops with
// AddDropped, from worker i's goroutine only. Its Packet and Advance wait
// at each period's end for the other workers.
func (g *Group) Worker(i int) *Engine { return g.ws[i].e }

// Start opens the engine's period 0 at t (Unix ns), as Engine.Start does
// for live capture. Call it before any worker counts.
func (g *Group) Start(t int64) {
	g.e.Start(t)
	for _, w := range g.ws {
		w.e.end = g.e.end
	}
}

// Done says that worker i has no more frames: the others no longer wait
// for it, and what it counted goes to the engine now or at the next
// boundary. Calling it again does nothing.
func (g *Group) Done(i int) {
	w := g.ws[i]
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.done {
		return
	}
	w.done = true
	g.arrive(nil)
}

// wait stops the worker at now, a frame's time or the clock, until the
// engine's open period ends after it; and, when a snapshot is asked for
// (Engine.Snapshot), until every worker has come to take it, with the
// counts so far.
func (w *worker) wait(now int64) {
	for now >= w.e.end || w.g.e.ctl.snap.Load() != nil || w.g.flush.Load() {
		w.at = now
		w.g.mu.Lock()
		last := w.g.arrive(w)
		w.g.mu.Unlock()
		if !last {
			<-w.resume
		}
	}
}

// arrive counts one worker stopped (self) or done (nil); the last runs
// the boundary and lets the others go, all of them stopped. It reports
// whether the caller was the last.
func (g *Group) arrive(self *worker) bool {
	g.waiting--
	if g.waiting > 0 {
		return false
	}
	g.boundary()
	for _, w := range g.ws {
		if !w.done {
			g.waiting++
		}
	}
	for _, w := range g.ws {
		if !w.done && w != self {
			w.resume <- struct{}{} // buffered: it may not be waiting yet
		}
	}
	return true
}

// boundary runs with every worker stopped or done: their counts go to the
// engine, which closes the periods that ended at the earliest time a
// worker stopped at, and the workers learn its logging subnets.
func (g *Group) boundary() {
	e := g.e
	at, any := int64(math.MaxInt64), false
	for _, w := range g.ws {
		if !w.done {
			at, any = min(at, w.at), true
		}
	}
	if any && !e.started {
		e.Start(at)
	}
	g.merge()
	if any {
		e.Advance(at)
	}
	g.sync()
}

// merge adds every worker's counts, evicted subnets and evidence frames
// to the engine's open period, and clears them.
func (g *Group) merge() {
	e := g.e
	g.frames = g.frames[:0]
	for i, w := range g.ws {
		we := w.e
		e.stats.Add(we.stats)
		we.stats = report.Stats{}
		e.stats.EvictedSubnets += we.table.TakeEvicted()
		g.slots = we.table.Slots(g.slots[:0])
		for _, s := range g.slots {
			if s.Bytes == 0 && s.In == 0 && s.Out == 0 {
				continue
			}
			if m := e.table.Insert(s.Prefix); m != nil {
				e.table.Add(m, s.Bytes)
				m.In += s.In
				m.Out += s.Out
			}
		}
		we.table.RemoveIf(notLogging)
		we.table.ResetBytes()
		for _, f := range w.buf.frames {
			g.frames = append(g.frames, groupFrame{i, f})
		}
	}
	clear(g.slots)
	// Frames in time order; the same time in worker order, each worker's
	// in its own order.
	slices.SortStableFunc(g.frames, func(a, b groupFrame) int { return cmp.Compare(a.f.t, b.f.t) })
	if e.ev != nil {
		for _, x := range g.frames {
			b := &g.ws[x.w].buf
			e.ev.Frame(x.f.sub, x.f.t, x.f.wire, b.data[x.f.off:x.f.off+x.f.n])
		}
	}
	for _, w := range g.ws {
		for sub, n := range w.buf.dropped {
			if g.evDrop == nil {
				g.evDrop = make(map[netip.Prefix]uint64)
			}
			g.evDrop[sub] += n
		}
		clear(w.buf.dropped)
		w.buf.reset()
	}
	g.flush.Store(false)
}

// sync gives the workers the engine's config when it changed, drops the
// connection tables of subnets the engine stopped logging and makes those
// of subnets it started, and moves the workers' clocks to the engine's
// open period.
func (g *Group) sync() {
	e := g.e
	g.slots = e.table.Slots(g.slots[:0])
	main := g.slots
	for _, w := range g.ws {
		we := w.e
		if we.cfg.Subnets.MaskBits != e.cfg.Subnets.MaskBits || !sameConfig(we.cfg, workerConfig(e.cfg, len(g.ws))) {
			n, err := New(workerConfig(e.cfg, len(g.ws)), nopOutput{})
			if err == nil { // it is the engine's, checked
				we.ctl.next.Store(&reconfig{cfg: n.cfg, table: n.table})
				we.serveConfig()
			}
		}
		var mine []*slot
		mine = we.table.Slots(mine)
		for _, s := range mine {
			d := s.State.detail
			if d == nil {
				continue
			}
			m := e.table.Get(s.Prefix)
			if m == nil || m.State.detail == nil || m.State.detail.episode != d.episode {
				if d.pool != nil {
					d.pool.leave(d)
				}
				s.State.detail = nil
				we.logging--
			}
		}
		we.table.RemoveIf(notLogging)
		for _, m := range main {
			md := m.State.detail
			if md == nil {
				continue
			}
			s := we.table.Insert(m.Prefix)
			if s == nil || s.State.detail != nil {
				continue
			}
			delete(g.evDrop, m.Prefix) // a new episode: none left out yet
			d := newDetail(we.cfg.MaxConns, &we.stats.EvictedConns, we.pool)
			d.timed, d.episode = true, md.episode
			s.State.detail = d
			we.logging++
		}
		if e.ev != nil {
			we.ev = &w.buf
		}
		if e.started {
			we.end = e.end
		}
	}
	clear(main)
}

// sameConfig reports whether a worker's config a is b, but for the fields
// a worker does not use.
func sameConfig(a, b Config) bool {
	a.Window, b.Window = nil, nil
	return a.Average == b.Average && a.LenAdj == b.LenAdj && a.MaxConns == b.MaxConns &&
		a.MaxConnsTotal == b.MaxConnsTotal && slices.Equal(a.Subnets.Preload, b.Subnets.Preload) &&
		a.Subnets.MaskBits == b.Subnets.MaskBits && a.Subnets.MaskBits6 == b.Subnets.MaskBits6 &&
		a.Subnets.MaxDynamic == b.Subnets.MaxDynamic && a.Subnets.Threshold == b.Subnets.Threshold &&
		a.Subnets.Networks == b.Subnets.Networks && a.Subnets.Local.String() == b.Subnets.Local.String()
}

// rows returns the connections of subnet p in every worker's table,
// merged as one table would have them: by bytes, descending, ties in
// first-seen order, cut to top (0 means all); and their hidden ones.
func (g *Group) rows(p netip.Prefix, top int) ([]report.Row, report.Hidden) {
	type ref struct {
		bytes, seq uint64
		w          int
		i          int32
	}
	var (
		all    []ref
		hidden report.Hidden
		at     = make(map[connKey]int)
	)
	for wi, w := range g.ws {
		s := w.e.table.Get(p)
		if s == nil || s.State.detail == nil {
			continue
		}
		d := s.State.detail
		hidden.Conns += d.hidden.Conns
		hidden.Bytes += d.hidden.Bytes
		for i := int32(1); int(i) < len(d.conns); i++ {
			c := &d.conns[i]
			if j, ok := at[c.key]; ok { // split between workers: one row
				all[j].bytes += c.bytes
				all[j].seq = min(all[j].seq, c.seq)
				continue
			}
			at[c.key] = len(all)
			all = append(all, ref{c.bytes, c.seq, wi, i})
		}
	}
	slices.SortFunc(all, func(a, b ref) int {
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		if c := cmp.Compare(a.w, b.w); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	rows := make([]report.Row, len(all))
	for j, x := range all {
		c := &g.ws[x.w].e.table.Get(p).State.detail.conns[x.i]
		rows[j] = report.Row{
			Src: address(c.key.lo, c.key.fam), Dst: address(c.key.hi, c.key.fam>>2),
			SrcPort: c.key.loPort, DstPort: c.key.hiPort,
			Proto: c.key.proto, Bytes: x.bytes,
		}
	}
	return rows, hidden
}

// nopOutput is a worker's output: a worker never closes a period.
type nopOutput struct{}

func (nopOutput) Period(*report.Period) {}
func (nopOutput) Report(report.Report)  {}

// frameBuffer keeps a worker's evidence frames until the next boundary,
// copied into one buffer of at most maxEvidenceBuffer bytes: past half of
// it the worker asks for a flush (its group's frames go to the writer at
// the workers' next look at the clock, every 16384 frames and when idle),
// and a frame that does not fit is left out, counted for its subnet's
// reports as a full evidence writer's are.
type frameBuffer struct {
	frames  []bufFrame
	data    []byte
	flush   *atomic.Bool            // the group's request for a flush
	dropped map[netip.Prefix]uint64 // frames left out since the last boundary
}

// maxEvidenceBuffer bounds the evidence frames a worker keeps between
// flushes.
const maxEvidenceBuffer = 64 << 20

type bufFrame struct {
	sub    netip.Prefix
	t      int64
	wire   uint32
	off, n int
}

func (b *frameBuffer) Start(netip.Prefix, int64)            {}
func (b *frameBuffer) Report(netip.Prefix) (string, uint64) { return "", 0 }
func (b *frameBuffer) End(netip.Prefix)                     {}

func (b *frameBuffer) Frame(sub netip.Prefix, t int64, wire uint32, data []byte) {
	if len(b.data)+len(data) > maxEvidenceBuffer {
		if b.dropped == nil {
			b.dropped = make(map[netip.Prefix]uint64)
		}
		b.dropped[sub]++
		return
	}
	if len(b.data) > maxEvidenceBuffer/2 && b.flush != nil {
		b.flush.Store(true)
	}
	b.frames = append(b.frames, bufFrame{sub, t, wire, len(b.data), len(data)})
	b.data = append(b.data, data...)
}

func (b *frameBuffer) reset() {
	b.frames, b.data = b.frames[:0], b.data[:0]
}

// PairShard returns which of n workers the fanout program of a group of
// rings (afpacket.OpenGroup) hands p to: a hash of its two addresses,
// the same both ways, modulo n. A frame with no IP packet goes to 0.
func PairShard(p *Packet, n int) int {
	if p.Kind != KindIP || n <= 1 {
		return 0
	}
	var a uint32
	switch {
	case p.Src.Is4() && p.Dst.Is4():
		s, d := p.Src.As4(), p.Dst.As4()
		a = be32(s[:]) ^ be32(d[:])
	default:
		s, d := p.Src.As16(), p.Dst.As16()
		for i := 0; i < 16; i += 4 {
			a ^= be32(s[i:]) ^ be32(d[i:])
		}
	}
	a ^= a >> 16
	a ^= a >> 8
	return int(a % uint32(n))
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// ReplayGroup replays files[i], each a reader of the same capture,
// through worker i of g, each on a goroutine of its own, as Replay does
// with one engine: worker i counts the frames the fanout program would
// hand it (PairShard). It returns the first error. Every worker ends with
// Done.
func ReplayGroup(ctx context.Context, files []*pcapfile.Reader, g *Group, opt RunOptions) error {
	if len(files) != g.N() {
		return fmt.Errorf("watchdog: %d files for %d workers", len(files), g.N())
	}
	opt.Trace = lockTrace(opt.Trace)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.Done(i)
			o := opt
			o.shard, o.shards = i, len(files)
			errs[i] = Replay(ctx, f, g.Worker(i), o)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrWorkersNeedRing is returned by OpenLive for more than one worker
// where no AF_PACKET ring can be used (libpcap asked for, or an interface
// the ring cannot read).
var ErrWorkersNeedRing = errors.New("workers need the AF_PACKET ring")

// RxQueues returns the number of receive queues of interface iface, from
// /sys/class/net/IFACE/queues/rx-*, or 0 when it cannot tell (no such
// interface, not Linux, "").
func RxQueues(iface string) int {
	if iface == "" || strings.ContainsAny(iface, "/") {
		return 0
	}
	m, err := filepath.Glob(filepath.Join("/sys/class/net", iface, "queues", "rx-*"))
	if err != nil {
		return 0
	}
	return len(m)
}

// lockedWriter is the -d 3 trace of a group's workers: one line at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lockTrace returns w for the workers of a group to share, or nil.
func lockTrace(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return &lockedWriter{w: w}
}

// restart makes every worker of g, all done (their readers returned),
// ready to count again from the engine's open period: a live group
// rebuilt after its interface came back.
func (g *Group) restart() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting = 0
	for _, w := range g.ws {
		w.done = false
		g.waiting++
		if g.e.started {
			w.e.end = g.e.end
		}
	}
}
