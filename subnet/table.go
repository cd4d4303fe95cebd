package subnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// Slot is one tracked subnet: its prefix, threshold and name, and the
// caller's per-subnet state S. A Slot stays at the same address for as long
// as it is tracked, so callers may keep pointers to it until RemoveIf
// drops it or it is evicted; after that the table reuses it for another
// subnet.
type Slot[S any] struct {
	prev, next *Slot[S] // dynamic slots: links of the recency list

	// Prefix is the subnet, masked.
	Prefix netip.Prefix
	// Threshold is the subnet's threshold in kBytes/s.
	Threshold float64
	// Name is the subnet's network name, or "".
	Name string
	// Preloaded is true for subnets from the config file, which are never
	// removed or evicted.
	Preloaded bool
	// State is the caller's per-subnet state.
	State S
}

// Preload is one preloaded subnet: a masked prefix and its threshold.
type Preload struct {
	Prefix    netip.Prefix
	Threshold float64
}

// Options configure a Table. The zero Options are not usable: MaskBits,
// MaskBits6 and Threshold must be set.
type Options struct {
	// MaskBits and MaskBits6 aggregate IPv4 and IPv6 addresses into
	// dynamic subnets.
	MaskBits, MaskBits6 int
	// Threshold is the default threshold, for dynamic subnets.
	Threshold float64
	// Preload lists the preloaded subnets in display order. When it is not
	// empty the table is in preloaded mode: only these subnets are tracked,
	// matched longest prefix first.
	Preload []Preload
	// Local, when not empty, limits tracking to subnets whose masked
	// number it contains.
	Local Ranges
	// MaxDynamic caps the number of dynamic subnets. The least recently
	// seen subnet is evicted to make room for a new one, unless Keep says
	// to keep it.
	MaxDynamic int
	// Networks names subnets; nil means no names.
	Networks *Networks
}

// ErrOptions is returned by NewTable for unusable Options.
var ErrOptions = errors.New("subnet: bad table options")

// Table maps addresses to the subnets ipband tracks. In preloaded mode it
// holds a fixed set of subnets; in dynamic mode it creates a subnet for
// every new masked address, bounded by Options.MaxDynamic.
//
// A Table is not safe for concurrent use: the engine owns it.
// The zero Table is not usable: make one with NewTable.
type Table[S any] struct {
	bits4, bits6 int
	threshold    float64
	local        Ranges
	networks     *Networks

	// Preloaded mode.
	fixed  map[netip.Prefix]*Slot[S] // every subnet; IPv6 lookups
	order  []*Slot[S]                // config order
	fixed4 []fixedLen[S]             // the IPv4 subnets by prefix length, longest first
	cover4 *[1 << 16 / 64]uint64     // the /16s that an IPv4 subnet overlaps
	lens6  []int                     // distinct IPv6 prefix lengths, longest first

	// Dynamic mode: the subnets are in a recency list, most recently
	// looked up first, and indexed by their masked IPv4 address (mask4
	// applied) or, for every other address, by prefix. The least recently
	// looked up is evicted to make room, and its slot reused.
	dynamic bool
	mask4   uint32
	dyn4    index4[S]
	dyn6    map[netip.Prefix]*Slot[S]
	recent  Slot[S] // sentinel: recent.next is the most recent slot
	listed  int     // slots in the list
	max     int
	pinned  map[netip.Prefix]*Slot[S] // evicted while keep said keep
	free    []*Slot[S]                // removed slots, for reuse
	spare   []Slot[S]                 // allocated, never used
	made    int                       // slots allocated
	keep    func(*Slot[S]) bool
	evicted uint64
}

// NewTable returns a table for opts. keep is asked, when a dynamic subnet
// is about to be evicted, whether it must be kept (a subnet in detail
// logging); kept subnets move aside and stay tracked until removed. keep may
// be nil.
func NewTable[S any](opts Options, keep func(*Slot[S]) bool) (*Table[S], error) {
	if opts.MaskBits < 1 || opts.MaskBits > 32 || opts.MaskBits6 < 1 || opts.MaskBits6 > 128 {
		return nil, fmt.Errorf("%w: mask bits %d/%d", ErrOptions, opts.MaskBits, opts.MaskBits6)
	}
	if !(opts.Threshold > 0) {
		return nil, fmt.Errorf("%w: threshold %v", ErrOptions, opts.Threshold)
	}
	t := &Table[S]{
		bits4:     opts.MaskBits,
		bits6:     opts.MaskBits6,
		threshold: opts.Threshold,
		local:     opts.Local,
		networks:  opts.Networks,
		keep:      keep,
	}
	if len(opts.Preload) > 0 {
		t.preload(opts.Preload)
		return t, nil
	}
	if opts.MaxDynamic < 1 {
		return nil, fmt.Errorf("%w: max dynamic subnets %d", ErrOptions, opts.MaxDynamic)
	}
	t.dynamic = true
	t.max = opts.MaxDynamic
	t.mask4 = ^uint32(0) << (32 - opts.MaskBits)
	t.dyn4.init()
	t.dyn6 = make(map[netip.Prefix]*Slot[S])
	t.pinned = make(map[netip.Prefix]*Slot[S])
	t.recent.prev, t.recent.next = &t.recent, &t.recent
	return t, nil
}

func (t *Table[S]) preload(list []Preload) {
	t.fixed = make(map[netip.Prefix]*Slot[S], len(list))
	for _, pl := range list {
		p := pl.Prefix.Masked()
		if len(t.local) > 0 && !t.local.Contains(p.Addr()) {
			continue
		}
		th := pl.Threshold
		if !(th > 0) {
			th = t.threshold
		}
		if s, ok := t.fixed[p]; ok { // the last line wins, in the first one's place
			s.Threshold = th
			continue
		}
		s := &Slot[S]{Prefix: p, Threshold: th, Name: t.networks.Name(p), Preloaded: true}
		t.fixed[p] = s
		t.order = append(t.order, s)
		if p.Addr().Is4() {
			t.addFixed4(p, s)
		} else {
			t.lens6 = addLen(t.lens6, p.Bits())
		}
	}
}

// fixedLen indexes the preloaded IPv4 subnets of one prefix length by
// masked address.
type fixedLen[S any] struct {
	mask uint32
	idx  index4[S]
}

// addFixed4 indexes the new preloaded IPv4 subnet p.
func (t *Table[S]) addFixed4(p netip.Prefix, s *Slot[S]) {
	mask := ^uint32(0) << (32 - p.Bits())
	i := slices.IndexFunc(t.fixed4, func(f fixedLen[S]) bool { return f.mask == mask })
	if i < 0 {
		i = len(t.fixed4)
		t.fixed4 = append(t.fixed4, fixedLen[S]{mask: mask})
		t.fixed4[i].idx.init()
		slices.SortStableFunc(t.fixed4, func(a, b fixedLen[S]) int { return bits.OnesCount32(b.mask) - bits.OnesCount32(a.mask) })
		i = slices.IndexFunc(t.fixed4, func(f fixedLen[S]) bool { return f.mask == mask })
	}
	b := p.Addr().As4()
	v := binary.BigEndian.Uint32(b[:])
	t.fixed4[i].idx.put(v, s)
	if t.cover4 == nil {
		t.cover4 = new([1 << 16 / 64]uint64)
	}
	for h := v >> 16; h <= (v|^mask)>>16; h++ {
		t.cover4[h/64] |= 1 << (h % 64)
	}
}

// addLen adds n to the set lens, kept sorted longest first.
func addLen(lens []int, n int) []int {
	if slices.Contains(lens, n) {
		return lens
	}
	lens = append(lens, n)
	slices.SortFunc(lens, func(a, b int) int { return b - a })
	return lens
}

// Preloaded reports whether the table is in preloaded mode.
func (t *Table[S]) Preloaded() bool { return t.fixed != nil }

// Lookup returns the slot of the subnet a belongs to, creating it in
// dynamic mode, or nil when a is not tracked (outside the preloaded subnets
// or the local ranges). It does not allocate when the subnet is tracked
// already, nor, once the table has been full, when it takes the place of
// an evicted or removed subnet.
func (t *Table[S]) Lookup(a netip.Addr) *Slot[S] {
	if t.fixed != nil {
		return t.lookupFixed(a)
	}
	if a.Is4() {
		b := a.As4()
		v := binary.BigEndian.Uint32(b[:]) & t.mask4
		if len(t.local) > 0 && !t.local.Contains(addr4(v)) {
			return nil
		}
		if s := t.dyn4.get(v); s != nil {
			t.touch(s)
			return s
		}
		return t.miss(netip.PrefixFrom(addr4(v), t.bits4))
	}
	p := Mask(a, t.bits4, t.bits6)
	if len(t.local) > 0 && !t.local.Contains(p.Addr()) {
		return nil
	}
	if s := t.dyn6[p]; s != nil {
		t.touch(s)
		return s
	}
	return t.miss(p)
}

// addr4 returns the IPv4 address v.
func addr4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// miss returns the slot of dynamic subnet p, not in the list: pinned, or
// new at the front of the list, the least recent evicted when the list is
// full.
func (t *Table[S]) miss(p netip.Prefix) *Slot[S] {
	if len(t.pinned) > 0 {
		if s, ok := t.pinned[p]; ok {
			return s
		}
	}
	var s *Slot[S]
	if t.listed >= t.max {
		s = t.evict()
	}
	if s == nil {
		s = t.newSlot()
	}
	*s = Slot[S]{Prefix: p, Threshold: t.threshold, Name: t.networks.Name(p)}
	t.index(p, s)
	t.pushFront(s)
	return s
}

// newSlot returns a slot from the free list, or a new one. New slots are
// allocated in chunks that double with the table, from 8 to 1024 slots.
func (t *Table[S]) newSlot() *Slot[S] {
	if n := len(t.free); n > 0 {
		s := t.free[n-1]
		t.free = t.free[:n-1]
		return s
	}
	if len(t.spare) == 0 {
		t.spare = make([]Slot[S], min(max(t.made, 8), 1024))
		t.made += len(t.spare)
	}
	s := &t.spare[0]
	t.spare = t.spare[1:]
	return s
}

// evict takes the least recent slot out of the list: pinned if keep says
// so, else counted as evicted and returned for reuse.
func (t *Table[S]) evict() *Slot[S] {
	s := t.recent.prev
	t.unlink(s)
	t.unindex(s.Prefix)
	if t.keep != nil && t.keep(s) {
		t.pinned[s.Prefix] = s
		return nil
	}
	t.evicted++
	return s
}

// index and unindex add and delete p's entry in the dynamic maps.
func (t *Table[S]) index(p netip.Prefix, s *Slot[S]) {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		t.dyn4.put(binary.BigEndian.Uint32(b[:]), s)
		return
	}
	t.dyn6[p] = s
}

func (t *Table[S]) unindex(p netip.Prefix) {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		t.dyn4.del(binary.BigEndian.Uint32(b[:]))
		return
	}
	delete(t.dyn6, p)
}

// touch moves s, in the list, to its front.
func (t *Table[S]) touch(s *Slot[S]) {
	if t.recent.next != s {
		t.unlink(s)
		t.pushFront(s)
	}
}

func (t *Table[S]) pushFront(s *Slot[S]) {
	s.prev, s.next = &t.recent, t.recent.next
	s.next.prev = s
	t.recent.next = s
	t.listed++
}

func (t *Table[S]) unlink(s *Slot[S]) {
	s.prev.next, s.next.prev = s.next, s.prev
	s.prev, s.next = nil, nil
	t.listed--
}

func (t *Table[S]) lookupFixed(a netip.Addr) *Slot[S] {
	if a.Is4() {
		b := a.As4()
		v := binary.BigEndian.Uint32(b[:])
		if h := v >> 16; t.cover4 == nil || t.cover4[h/64]&(1<<(h%64)) == 0 {
			return nil // most addresses: no subnet in their /16
		}
		for i := range t.fixed4 {
			f := &t.fixed4[i]
			if s := f.idx.get(v & f.mask); s != nil {
				return s
			}
		}
		return nil
	}
	for _, n := range t.lens6 {
		if s, ok := t.fixed[maskTo(a, n)]; ok {
			return s
		}
	}
	return nil
}

// maskTo masks a to n bits of its own family.
func maskTo(a netip.Addr, n int) netip.Prefix {
	return Mask(a, n, n)
}

// Slots appends every tracked slot to dst and returns it: preloaded
// subnets in config order, dynamic subnets in no particular order.
func (t *Table[S]) Slots(dst []*Slot[S]) []*Slot[S] {
	if t.fixed != nil {
		return append(dst, t.order...)
	}
	for s := t.recent.prev; s != &t.recent; s = s.prev {
		dst = append(dst, s)
	}
	for _, s := range t.pinned {
		dst = append(dst, s)
	}
	return dst
}

// RemoveIf stops tracking every dynamic subnet for which drop returns
// true, in one pass over the table; the order of the others is kept and
// the removed slots are reused for later subnets. Preloaded subnets are
// never removed.
func (t *Table[S]) RemoveIf(drop func(*Slot[S]) bool) {
	if !t.dynamic {
		return
	}
	// Relink the survivors in order, and put the others on the free list.
	// Rebuild the index from the survivors when most went; else delete
	// the others from it one by one.
	start := len(t.free)
	head := &t.recent
	last := head
	for s := head.next; s != head; s = s.next {
		if drop(s) {
			t.free = append(t.free, s)
			continue
		}
		last.next, s.prev = s, last
		last = s
	}
	last.next, head.prev = head, last
	gone := t.free[start:]
	t.listed -= len(gone)
	if len(gone) > t.listed {
		t.dyn4.clear()
		clear(t.dyn6)
		for s := head.next; s != head; s = s.next {
			t.index(s.Prefix, s)
		}
	} else {
		for _, s := range gone {
			t.unindex(s.Prefix)
		}
	}
	for _, s := range gone {
		s.prev, s.next = nil, nil
	}
	for p, s := range t.pinned {
		if drop(s) {
			delete(t.pinned, p)
			t.release(s)
		}
	}
}

// release puts a slot that left the table on the free list.
func (t *Table[S]) release(s *Slot[S]) {
	t.free = append(t.free, s)
}

// Len returns the number of tracked subnets.
func (t *Table[S]) Len() int {
	if t.fixed != nil {
		return len(t.order)
	}
	return t.listed + len(t.pinned)
}

// TakeEvicted returns the number of dynamic subnets evicted since the last
// call, and resets it.
func (t *Table[S]) TakeEvicted() uint64 {
	n := t.evicted
	t.evicted = 0
	return n
}

// index4 indexes the dynamic IPv4 subnets by masked address in an open
// addressing table: linear probing, at most half full, and deletion by
// backward shift, so that the constant churn of a flood leaves no
// tombstones. The hash is multiply-shift with a random odd multiplier
// drawn per table, so that addresses chosen to collide cannot be found
// offline.
type index4[S any] struct {
	entries []entry4[S] // a power of two; s == nil means empty
	n       int
	shift   uint   // 64 - log2(len(entries))
	mul     uint64 // random, odd
}

type entry4[S any] struct {
	key uint32
	s   *Slot[S]
}

const index4Min = 64

func (x *index4[S]) init() {
	x.mul = rand.Uint64() | 1
	x.resize(index4Min)
}

func (x *index4[S]) home(k uint32) int {
	return int(uint64(k) * x.mul >> x.shift)
}

// get returns the slot of k, or nil.
func (x *index4[S]) get(k uint32) *Slot[S] {
	mask := len(x.entries) - 1
	for i := x.home(k); ; i = (i + 1) & mask {
		e := &x.entries[i]
		if e.s == nil || e.key == k {
			return e.s
		}
	}
}

// put adds k, which must not be there, with its slot s.
func (x *index4[S]) put(k uint32, s *Slot[S]) {
	if 2*(x.n+1) > len(x.entries) {
		x.resize(2 * len(x.entries))
	}
	x.n++
	x.insert(k, s)
}

func (x *index4[S]) insert(k uint32, s *Slot[S]) {
	mask := len(x.entries) - 1
	i := x.home(k)
	for x.entries[i].s != nil {
		i = (i + 1) & mask
	}
	x.entries[i] = entry4[S]{k, s}
}

// del deletes k, shifting back the entries of its probe run that would
// no longer be found.
func (x *index4[S]) del(k uint32) {
	mask := len(x.entries) - 1
	i := x.home(k)
	for {
		e := &x.entries[i]
		if e.s == nil {
			return
		}
		if e.key == k {
			break
		}
		i = (i + 1) & mask
	}
	x.n--
	for j := (i + 1) & mask; x.entries[j].s != nil; j = (j + 1) & mask {
		// The entry at j stays unless its home is cyclically outside
		// (i, j]: then the hole at i would hide it.
		h := x.home(x.entries[j].key)
		if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
			continue
		}
		x.entries[i] = x.entries[j]
		i = j
	}
	x.entries[i] = entry4[S]{}
}

// clear deletes every entry, keeping the table's size.
func (x *index4[S]) clear() {
	clear(x.entries)
	x.n = 0
}

func (x *index4[S]) resize(size int) {
	old := x.entries
	x.entries = make([]entry4[S], size)
	x.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, e := range old {
		if e.s != nil {
			x.insert(e.key, e.s)
		}
	}
}
