package names

// lru is a map of at most max entries that evicts its least recently
// written entry to make room. Its entries live in one arena, slot 0 being
// the sentinel of the recency list (slot 0's next is the most recent).
type lru[K comparable, V any] struct {
	index   map[K]int32
	ents    []lruEntry[K, V]
	max     int
	evicted uint64
}

type lruEntry[K comparable, V any] struct {
	key        K
	val        V
	prev, next int32
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{index: make(map[K]int32), ents: make([]lruEntry[K, V], 1, 16), max: max}
}

// get returns the entry of k, or nil.
func (l *lru[K, V]) get(k K) *V {
	if i, ok := l.index[k]; ok {
		return &l.ents[i].val
	}
	return nil
}

// put returns the entry of k, made most recent, and whether it is new: a
// new entry has the zero V, in place of the least recently written one
// when the map is full.
func (l *lru[K, V]) put(k K) (*V, bool) {
	if i, ok := l.index[k]; ok {
		l.front(i)
		return &l.ents[i].val, false
	}
	var i int32
	if len(l.ents)-1 >= l.max {
		i = l.ents[0].prev
		l.unlink(i)
		delete(l.index, l.ents[i].key)
		l.evicted++
	} else {
		l.ents = append(l.ents, lruEntry[K, V]{})
		i = int32(len(l.ents) - 1)
	}
	l.ents[i] = lruEntry[K, V]{key: k}
	l.index[k] = i
	l.pushFront(i)
	return &l.ents[i].val, true
}

// len returns the number of entries.
func (l *lru[K, V]) len() int { return len(l.ents) - 1 }

func (l *lru[K, V]) front(i int32) {
	if l.ents[0].next != i {
		l.unlink(i)
		l.pushFront(i)
	}
}

func (l *lru[K, V]) pushFront(i int32) {
	head := &l.ents[0]
	e := &l.ents[i]
	e.prev, e.next = 0, head.next
	l.ents[head.next].prev = i
	head.next = i
}

func (l *lru[K, V]) unlink(i int32) {
	e := &l.ents[i]
	l.ents[e.prev].next = e.next
	l.ents[e.next].prev = e.prev
}
