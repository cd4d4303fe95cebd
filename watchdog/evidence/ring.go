package evidence

import "sync/atomic"

// The kinds of ring entries: frames, and the episode events that must
// stay in order with them.
const (
	kindFrame uint8 = iota
	kindStart
	kindReport
	kindEnd
)

// entry is one ring slot. Frame bytes live in the arena at [pos, pos+n)
// modulo its size.
type entry struct {
	kind     uint8
	reported bool   // kindEnd: a report named the file
	ep       uint64 // the episode
	t        int64
	wire     uint32
	pos      uint64
	n        uint32
}

// ring is a single-producer single-consumer queue of entries and their
// bytes, both preallocated: the producer (the capture goroutine) never
// waits and never allocates, the consumer (the writer) never locks.
type ring struct {
	entries []entry
	arena   []byte

	// Written by the producer only.
	head     atomic.Uint64 // entries published
	arenaPos uint64        // next free arena byte, monotonic

	// Written by the consumer only.
	tail     atomic.Uint64 // entries consumed
	arenaEnd atomic.Uint64 // arena bytes released, monotonic
}

// reserve is the number of entries kept free for episode events: a frame
// is dropped before an event is.
const reserve = 256

func newRing(entries, arena int) *ring {
	return &ring{entries: make([]entry, entries), arena: make([]byte, arena)}
}

// pushFrame queues a frame; false when there is no room.
func (r *ring) pushFrame(ep uint64, t int64, wire uint32, data []byte) bool {
	head := r.head.Load()
	if head-r.tail.Load() >= uint64(len(r.entries)-reserve) {
		return false
	}
	size := uint64(len(r.arena))
	n := uint64(len(data))
	if n > size {
		return false
	}
	pos := r.arenaPos
	if off := pos % size; off+n > size { // no wrap inside a frame
		pos += size - off
	}
	if pos+n-r.arenaEnd.Load() > size {
		return false
	}
	off := pos % size
	copy(r.arena[off:off+n], data)
	r.entries[head%uint64(len(r.entries))] = entry{kind: kindFrame, ep: ep, t: t, wire: wire, pos: pos, n: uint32(n)}
	r.arenaPos = pos + n
	r.head.Store(head + 1)
	return true
}

// pushEvent queues an episode event; false when even the reserve is
// used up.
func (r *ring) pushEvent(kind uint8, ep uint64, t int64, reported bool) bool {
	head := r.head.Load()
	if head-r.tail.Load() >= uint64(len(r.entries)) {
		return false
	}
	r.entries[head%uint64(len(r.entries))] = entry{kind: kind, ep: ep, t: t, reported: reported, pos: r.arenaPos}
	r.head.Store(head + 1)
	return true
}

// drain hands every queued entry to fn, with the frame's bytes (valid
// during the call), and releases them.
func (r *ring) drain(fn func(e *entry, data []byte)) {
	size := uint64(len(r.arena))
	for tail, head := r.tail.Load(), r.head.Load(); tail < head; tail++ {
		e := &r.entries[tail%uint64(len(r.entries))]
		var data []byte
		if e.kind == kindFrame {
			off := e.pos % size
			data = r.arena[off : off+uint64(e.n)]
		}
		fn(e, data)
		if e.kind == kindFrame {
			r.arenaEnd.Store(e.pos + uint64(e.n))
		}
		r.tail.Store(tail + 1)
	}
}
