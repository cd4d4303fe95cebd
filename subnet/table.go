package subnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"

	"ipband/subnet/index"
)

// Slot is one tracked subnet: its prefix, threshold and name, its bytes
// this period, and the caller's per-subnet state S. A Slot stays at the
// same address for as long as it is tracked, so callers may keep pointers
// to it until RemoveIf drops it or it is evicted; after that the table
// reuses it for another subnet.
type Slot[S any] struct {
	prev, next *Slot[S] // dynamic slots: links of their grade's list

	// Bytes is what the subnet carried this period: the caller adds to it
	// with Table.Add, which keeps the eviction order, and zeroes it with
	// Table.ResetBytes. Dynamic subnets are evicted by it, fewest first.
	Bytes uint64
	// In and Out split Bytes by direction: bytes to an address of the
	// subnet and bytes from one. Count adds to them; a packet within the
	// subnet counts in both (and once in Bytes). ResetBytes zeroes them.
	In, Out uint64
	bound   uint64 // Bytes at which the slot moves up a grade; MaxUint64 when not graded
	key4    uint32 // the masked address of an IPv4 subnet
	grade   uint8

	// State is the caller's per-subnet state. (It comes before the fields
	// a packet does not need, so that a packet's lookup and count touch
	// fewer cache lines.)
	State S

	// Prefix is the subnet, masked.
	Prefix netip.Prefix
	// Threshold is the subnet's threshold in kBytes/s.
	Threshold float64
	// ThresholdIn and ThresholdOut are the subnet's thresholds per
	// direction in kBytes/s, for In and Out; 0 means none.
	ThresholdIn, ThresholdOut float64
	// Name is the subnet's network name, or "".
	Name string
	// Preloaded is true for subnets from the config file, which are never
	// removed or evicted.
	Preloaded bool
}

// Preload is one preloaded subnet: a masked prefix, its threshold, and
// its thresholds per direction (0 for none).
type Preload struct {
	Prefix    netip.Prefix
	Threshold float64
	In, Out   float64
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
	// MaxDynamic caps the number of dynamic subnets. To make room for a
	// new one, the subnet with the fewest bytes this period is evicted
	// (see Table), unless keep says to keep it.
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
// # Eviction
//
// A full dynamic table evicts by traffic, not by recency, so that a flood
// of new addresses cannot push out the subnets that carry the bytes. The
// subnets are kept in grades of their Bytes this period: four grades per
// power of two, so that the subnets of one grade carry within 19% of each
// other's bytes. The victim is the subnet that entered the lowest
// non-empty grade first. A subnet is thus evicted only when no subnet
// carries less than about 84% of its bytes; a flood of one-packet sources
// evicts only its own entries once a subnet has carried more than one
// flood packet's grade, and that subnet's Bytes stay exact. A subnet for
// which keep returns true (one in detail logging) is never evicted: it
// moves aside and stays tracked, beyond MaxDynamic, until RemoveIf drops
// it. Every operation is O(1); Add moves a subnet between grades at most
// four times each time its Bytes double.
//
// The zero Table is not usable: NewTable makes one. A Table is not safe
// for concurrent use: the engine owns it.
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

	// Dynamic mode: the subnets are in the lists of their grades, each in
	// the order they entered it, and indexed by their masked IPv4 address
	// (mask4 applied) or, for every other address, by prefix.
	dynamic bool
	mask4   uint32
	mul4    uint32 // random, odd: the hash of dyn4 (index.Hash32)
	dyn4    index.Map[*Slot[S]]
	dyn6    map[netip.Prefix]*Slot[S]
	grades  [numGrades]gradeList[S]
	used    [(numGrades + 63) / 64]uint64 // bit g: grade g is not empty
	listed  int                           // slots in the grades
	max     int
	pinned  map[netip.Prefix]*Slot[S] // evicted while keep said keep
	free    []*Slot[S]                // removed slots, for reuse
	spare   []Slot[S]                 // allocated, never used
	made    int                       // slots allocated
	named4  *[1 << 16 / 64]uint64     // the /16s that hold a named IPv4 network number; nil for none
	keep    func(*Slot[S]) bool
	hold    *Slot[S] // the slot Lookup returned last: not evicted by the next
	evicted uint64
}

// gradeList is the list of the slots of one grade, first in first.
type gradeList[S any] struct{ first, last *Slot[S] }

// numGrades is the number of byte grades: 0-3 bytes one grade each, then
// four a power of two up to 2^64.
const numGrades = 4 * 63

// gradeOf returns the grade of n bytes: n itself below 4, else four
// grades per power of two, by the two bits below n's top bit.
func gradeOf(n uint64) int {
	if n < 4 {
		return int(n)
	}
	e := bits.Len64(n) // >= 3
	return 4*(e-2) + int(n>>(e-3))&3
}

// gradeFloor returns the fewest bytes of grade g, or MaxUint64 past the
// last grade.
func gradeFloor(g int) uint64 {
	if g < 4 {
		return uint64(g)
	}
	if g >= numGrades {
		return math.MaxUint64
	}
	e := g/4 + 2
	return uint64(4|g&3) << (e - 3)
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
	t.mul4 = rand.Uint32() | 1
	t.dyn4.Init()
	t.dyn6 = make(map[netip.Prefix]*Slot[S])
	t.pinned = make(map[netip.Prefix]*Slot[S])
	if t.networks != nil && len(t.networks.names) > 0 {
		t.named4 = new([1 << 16 / 64]uint64)
		for a := range t.networks.names {
			if a.Is4() {
				h := uint4(a) >> 16
				t.named4[h/64] |= 1 << (h % 64)
			}
		}
	}
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
			s.Threshold, s.ThresholdIn, s.ThresholdOut = th, pl.In, pl.Out
			continue
		}
		s := &Slot[S]{Prefix: p, Threshold: th, ThresholdIn: pl.In, ThresholdOut: pl.Out,
			Name: t.networks.Name(p), Preloaded: true, bound: math.MaxUint64}
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
	mul  uint32 // random, odd: the hash of idx (index.Hash32)
	idx  index.Map[*Slot[S]]
}

// addFixed4 indexes the new preloaded IPv4 subnet p.
func (t *Table[S]) addFixed4(p netip.Prefix, s *Slot[S]) {
	mask := ^uint32(0) << (32 - p.Bits())
	i := slices.IndexFunc(t.fixed4, func(f fixedLen[S]) bool { return f.mask == mask })
	if i < 0 {
		i = len(t.fixed4)
		t.fixed4 = append(t.fixed4, fixedLen[S]{mask: mask, mul: rand.Uint32() | 1})
		t.fixed4[len(t.fixed4)-1].idx.Init()
		slices.SortStableFunc(t.fixed4, func(a, b fixedLen[S]) int { return bits.OnesCount32(b.mask) - bits.OnesCount32(a.mask) })
		i = slices.IndexFunc(t.fixed4, func(f fixedLen[S]) bool { return f.mask == mask })
	}
	v := uint4(p.Addr())
	s.key4 = v
	t.fixed4[i].idx.Put(index.Hash32(v, t.fixed4[i].mul), s)
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
// or the local ranges). A new subnet has no bytes, the first to be evicted,
// but Lookup does not evict the slot it returned last (unless it is the
// only one the table may hold). It does not allocate when the subnet is
// tracked already, nor, once the table has been full, when it takes the
// place of an evicted or removed subnet.
func (t *Table[S]) Lookup(a netip.Addr) *Slot[S] {
	if t.fixed != nil {
		return t.lookupFixed(a)
	}
	s, p, ok := t.locate(a)
	if ok && s == nil {
		s = t.miss(p, 0)
	}
	t.hold = s
	return s
}

// Count counts a packet of n bytes from a to b: it adds n to the Bytes of
// a's subnet and of b's, once when they are the same, to the Out of a's
// subnet and to the In of b's (both when they are the same), creating them in
// dynamic mode as Lookup does, and returns their slots. sa is nil when a
// is not tracked, sb when b is not or is in a's subnet. Making room for
// b's new subnet never evicts a's, unless the table holds only one
// subnet: then a's slot goes to b's subnet, and sa is nil. Count is
// Lookup and Add for both addresses, with a new subnet put in the grade
// of its first packet at once. It does not allocate, as Lookup.
func (t *Table[S]) Count(a, b netip.Addr, n uint64) (sa, sb *Slot[S]) {
	if t.fixed != nil {
		sa, sb = t.lookupFixed(a), t.lookupFixed(b)
		if sa != nil {
			sa.Bytes += n
			sa.Out += n
		}
		if sb == sa {
			if sa != nil {
				sa.In += n
			}
			return sa, nil
		}
		if sb != nil {
			sb.Bytes += n
			sb.In += n
		}
		return sa, sb
	}
	if a.Is4() && b.Is4() && len(t.local) == 0 {
		return t.count4(uint4(a)&t.mask4, uint4(b)&t.mask4, n)
	}
	t.hold = nil
	sa = t.count(a, n)
	if sa != nil {
		sa.Out += n
	}
	t.hold = sa
	s, p, ok := t.locate(b)
	switch {
	case !ok:
		return sa, nil
	case s == sa && s != nil || s == nil && sa != nil && sa.Prefix == p:
		sa.In += n
		return sa, nil
	case s != nil:
		t.Add(s, n)
		s.In += n
		return sa, s
	}
	sb = t.miss(p, n)
	sb.In += n
	t.hold = sb
	if sb == sa { // the only slot went to b's subnet
		return nil, sb
	}
	return sa, sb
}

// count4 is Count in dynamic mode for two IPv4 addresses, masked (va,
// vb), and no local ranges: most packets, counted without building a
// prefix unless a subnet is new.
func (t *Table[S]) count4(va, vb uint32, n uint64) (sa, sb *Slot[S]) {
	t.hold = nil
	if sa = t.get4(va); sa != nil {
		t.Add(sa, n)
	} else {
		sa = t.miss(netip.PrefixFrom(addr4(va), t.bits4), n)
	}
	sa.Out += n
	if vb == va {
		sa.In += n
		return sa, nil
	}
	t.hold = sa
	if sb = t.get4(vb); sb != nil {
		t.Add(sb, n)
		sb.In += n
		return sa, sb
	}
	sb = t.miss(netip.PrefixFrom(addr4(vb), t.bits4), n)
	sb.In += n
	t.hold = sb
	if sb == sa { // the only slot went to b's subnet
		return nil, sb
	}
	return sa, sb
}

// count finds or creates the dynamic subnet of a with n more bytes.
func (t *Table[S]) count(a netip.Addr, n uint64) *Slot[S] {
	s, p, ok := t.locate(a)
	switch {
	case !ok:
		return nil
	case s != nil:
		t.Add(s, n)
		return s
	}
	return t.miss(p, n)
}

// locate returns the dynamic slot of a's subnet, not pinned; or nil and
// the subnet's prefix when it is not in the grades; ok is false when a is
// outside the local ranges.
func (t *Table[S]) locate(a netip.Addr) (s *Slot[S], p netip.Prefix, ok bool) {
	if a.Is4() {
		v := uint4(a) & t.mask4
		if len(t.local) > 0 && !t.local.Contains(addr4(v)) {
			return nil, p, false
		}
		if s := t.get4(v); s != nil {
			return s, p, true
		}
		return nil, netip.PrefixFrom(addr4(v), t.bits4), true
	}
	p = Mask(a, t.bits4, t.bits6)
	if len(t.local) > 0 && !t.local.Contains(p.Addr()) {
		return nil, p, false
	}
	return t.dyn6[p], p, true
}

// get4 returns the dynamic slot of masked IPv4 address v, not pinned, or
// nil.
func (t *Table[S]) get4(v uint32) *Slot[S] {
	return t.dyn4.Find(index.Hash32(v, t.mul4))
}

// Get returns the slot of subnet p, exactly as tracked (masked, with the
// table's prefix length in dynamic mode), or nil when p is not tracked.
// It creates nothing and changes no order.
func (t *Table[S]) Get(p netip.Prefix) *Slot[S] {
	if t.fixed != nil {
		return t.fixed[p]
	}
	if s := t.pinned[p]; s != nil {
		return s
	}
	if p.Addr().Is4() {
		if p.Bits() != t.bits4 || p.Masked() != p {
			return nil
		}
		return t.get4(uint4(p.Addr()))
	}
	return t.dyn6[p]
}

// Insert returns the slot of subnet p as Lookup returns the slot of an
// address in it: in dynamic mode it creates the slot when p is new, with
// no bytes, evicting to make room; in preloaded mode it only finds it. It
// returns nil when the table does not track p: a prefix length other than
// the table's in dynamic mode, a subnet outside the local ranges, or not
// preloaded. A new table takes over an old one's subnets with Insert, then
// sets each State and adds its Bytes.
func (t *Table[S]) Insert(p netip.Prefix) *Slot[S] {
	if t.fixed != nil || p.Masked() != p {
		return t.Get(p)
	}
	if bits := t.bits6; p.Addr().Is4() {
		bits = t.bits4
		if p.Bits() != bits {
			return nil
		}
	} else if p.Bits() != bits || !p.Addr().Is6() {
		return nil
	}
	if s := t.Get(p); s != nil {
		return s
	}
	if len(t.local) > 0 && !t.local.Contains(p.Addr()) {
		return nil
	}
	return t.miss(p, 0)
}

// Add adds n bytes to s's Bytes, keeping the eviction order.
func (t *Table[S]) Add(s *Slot[S], n uint64) {
	s.Bytes += n
	if s.Bytes >= s.bound {
		t.regrade(s)
	}
}

// regrade moves s, whose Bytes passed its grade's, to the end of the list
// of its grade now.
func (t *Table[S]) regrade(s *Slot[S]) {
	t.unlink(s)
	t.push(s)
}

// ResetBytes zeroes every tracked subnet's Bytes, for a new period. The
// subnets in the grades keep their order among themselves.
func (t *Table[S]) ResetBytes() {
	if t.fixed != nil {
		for _, s := range t.order {
			s.Bytes, s.In, s.Out = 0, 0, 0
		}
		return
	}
	for _, s := range t.pinned {
		s.Bytes, s.In, s.Out = 0, 0, 0
	}
	var all gradeList[S]
	for g := range t.grades {
		l := &t.grades[g]
		if l.first == nil {
			continue
		}
		for s := l.first; s != nil; s = s.next {
			s.Bytes, s.In, s.Out, s.grade, s.bound = 0, 0, 0, 0, 1
		}
		if all.last == nil {
			all.first = l.first
		} else {
			all.last.next, l.first.prev = l.first, all.last
		}
		all.last = l.last
		*l = gradeList[S]{}
	}
	clear(t.used[:])
	t.grades[0] = all
	if all.first != nil {
		t.used[0] = 1
	}
}

// uint4 returns the IPv4 address a as a number.
func uint4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// addr4 returns the IPv4 address v.
func addr4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// miss returns the slot of dynamic subnet p, not in the grades, with n
// more bytes: pinned, or new at the end of the grade of n, the victim
// evicted when the table is full.
func (t *Table[S]) miss(p netip.Prefix, n uint64) *Slot[S] {
	if len(t.pinned) > 0 {
		if s, ok := t.pinned[p]; ok {
			s.Bytes += n
			return s
		}
	}
	var s *Slot[S]
	for s == nil && t.listed >= t.max {
		s = t.evict()
	}
	if s == nil {
		s = t.newSlot()
	}
	// Field by field: a composite literal is built aside and copied in
	// whole, with a bulk write barrier while the GC marks.
	var zero S
	s.Bytes, s.In, s.Out, s.Prefix, s.Name, s.Preloaded, s.State = n, 0, 0, p, t.name(p), false, zero
	s.Threshold, s.ThresholdIn, s.ThresholdOut = t.threshold, 0, 0
	t.index(s)
	t.push(s)
	return s
}

// name returns the network name of dynamic subnet p. Most subnets have
// none: a bitmap of the /16s that hold a named network number answers for
// them without a map lookup.
func (t *Table[S]) name(p netip.Prefix) string {
	if t.named4 == nil || !p.Addr().Is4() {
		return ""
	}
	if h := uint4(p.Addr()) >> 16; t.named4[h/64]&(1<<(h%64)) == 0 {
		return ""
	}
	return t.networks.Name(p)
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

// evict takes the victim out of the grades. It returns it for reuse,
// counted as evicted, or nil when keep says to keep it (then it is
// pinned).
func (t *Table[S]) evict() *Slot[S] {
	s := t.victim()
	t.unlink(s)
	t.unindex(s)
	if t.keep != nil && t.keep(s) {
		s.bound = math.MaxUint64
		t.pinned[s.Prefix] = s
		return nil
	}
	t.evicted++
	return s
}

// victim returns the slot to evict: the first of the lowest grade, or,
// when that is the slot Lookup returned last, the one after it. The slot
// held is the victim only when it is the one slot in the grades.
func (t *Table[S]) victim() *Slot[S] {
	for i, w := range &t.used {
		for ; w != 0; w &= w - 1 {
			s := t.grades[64*i+bits.TrailingZeros64(w)].first
			if s != t.hold {
				return s
			}
			if s.next != nil {
				return s.next
			}
		}
	}
	return t.hold
}

// index and unindex add and delete s's entry in the dynamic maps.
func (t *Table[S]) index(s *Slot[S]) {
	if a := s.Prefix.Addr(); a.Is4() {
		s.key4 = uint4(a)
		t.dyn4.Put(index.Hash32(s.key4, t.mul4), s)
		return
	}
	t.dyn6[s.Prefix] = s
}

func (t *Table[S]) unindex(s *Slot[S]) {
	if s.Prefix.Addr().Is4() {
		t.dyn4.Delete(index.Hash32(s.key4, t.mul4), s)
		return
	}
	delete(t.dyn6, s.Prefix)
}

// push adds s at the end of the list of the grade of its Bytes.
func (t *Table[S]) push(s *Slot[S]) {
	g := gradeOf(s.Bytes)
	s.grade, s.bound = uint8(g), gradeFloor(g+1)
	l := &t.grades[g]
	s.prev, s.next = l.last, nil
	if l.last == nil {
		l.first = s
		t.used[g/64] |= 1 << (g % 64)
	} else {
		l.last.next = s
	}
	l.last = s
	t.listed++
}

// unlink takes s out of its grade's list.
func (t *Table[S]) unlink(s *Slot[S]) {
	l := &t.grades[s.grade]
	if s.prev == nil {
		l.first = s.next
	} else {
		s.prev.next = s.next
	}
	if s.next == nil {
		l.last = s.prev
	} else {
		s.next.prev = s.prev
	}
	if l.first == nil {
		t.used[s.grade/64] &^= 1 << (s.grade % 64)
	}
	s.prev, s.next = nil, nil
	t.listed--
}

func (t *Table[S]) lookupFixed(a netip.Addr) *Slot[S] {
	if a.Is4() {
		v := uint4(a)
		if h := v >> 16; t.cover4 == nil || t.cover4[h/64]&(1<<(h%64)) == 0 {
			return nil // most addresses: no subnet in their /16
		}
		for i := range t.fixed4 {
			f := &t.fixed4[i]
			if s := f.idx.Find(index.Hash32(v&f.mask, f.mul)); s != nil {
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
	for g := range t.grades {
		for s := t.grades[g].first; s != nil; s = s.next {
			dst = append(dst, s)
		}
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
	t.hold = nil
	// Unlink the dropped and put them on the free list. Rebuild the index
	// from the survivors when most went; else delete the dropped from it
	// one by one.
	start := len(t.free)
	for g := range t.grades {
		for s := t.grades[g].first; s != nil; {
			next := s.next
			if drop(s) {
				t.unlink(s)
				t.free = append(t.free, s)
			}
			s = next
		}
	}
	gone := t.free[start:]
	if len(gone) > t.listed {
		t.dyn4.Clear()
		clear(t.dyn6)
		for g := range t.grades {
			for s := t.grades[g].first; s != nil; s = s.next {
				t.index(s)
			}
		}
	} else {
		for _, s := range gone {
			t.unindex(s)
		}
	}
	for p, s := range t.pinned {
		if drop(s) {
			delete(t.pinned, p)
			t.free = append(t.free, s)
		}
	}
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
