package subnet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Slot is one tracked subnet: its prefix, threshold and name, and the
// caller's per-subnet state S. A Slot stays at the same address for as long
// as it is tracked, so callers may keep pointers to it until they Remove it
// or it is evicted.
type Slot[S any] struct {
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
type Table[S any] struct {
	bits4, bits6 int
	threshold    float64
	local        Ranges
	networks     *Networks

	// Preloaded mode.
	fixed  map[netip.Prefix]*Slot[S]
	order  []*Slot[S]
	lens4  []int // distinct IPv4 prefix lengths, longest first
	lens6  []int
	single bool // one prefix length per family equal to the mask bits

	// Dynamic mode.
	lru      *simplelru.LRU[netip.Prefix, *Slot[S]]
	pinned   map[netip.Prefix]*Slot[S] // evicted while Keep said keep
	keep     func(*Slot[S]) bool
	removing bool // Remove in progress: not an eviction
	evicted  uint64
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
	lru, err := simplelru.NewLRU[netip.Prefix, *Slot[S]](opts.MaxDynamic, t.onEvict)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	t.lru = lru
	t.pinned = make(map[netip.Prefix]*Slot[S])
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
			t.lens4 = addLen(t.lens4, p.Bits())
		} else {
			t.lens6 = addLen(t.lens6, p.Bits())
		}
	}
	t.single = len(t.lens4) <= 1 && len(t.lens6) <= 1
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
// already.
func (t *Table[S]) Lookup(a netip.Addr) *Slot[S] {
	if t.fixed != nil {
		return t.lookupFixed(a)
	}
	p := Mask(a, t.bits4, t.bits6)
	if len(t.local) > 0 && !t.local.Contains(p.Addr()) {
		return nil
	}
	if s, ok := t.lru.Get(p); ok {
		return s
	}
	if len(t.pinned) > 0 {
		if s, ok := t.pinned[p]; ok {
			return s
		}
	}
	s := &Slot[S]{Prefix: p, Threshold: t.threshold, Name: t.networks.Name(p)}
	t.lru.Add(p, s)
	return s
}

func (t *Table[S]) lookupFixed(a netip.Addr) *Slot[S] {
	lens := t.lens4
	if !a.Is4() {
		lens = t.lens6
	}
	if t.single {
		if len(lens) == 0 {
			return nil
		}
		return t.fixed[maskTo(a, lens[0])]
	}
	for _, n := range lens {
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

func (t *Table[S]) onEvict(p netip.Prefix, s *Slot[S]) {
	if t.removing {
		return
	}
	if t.keep != nil && t.keep(s) {
		t.pinned[p] = s
		return
	}
	t.evicted++
}

// Slots appends every tracked slot to dst and returns it: preloaded
// subnets in config order, dynamic subnets in no particular order.
func (t *Table[S]) Slots(dst []*Slot[S]) []*Slot[S] {
	if t.fixed != nil {
		return append(dst, t.order...)
	}
	dst = append(dst, t.lru.Values()...)
	for _, s := range t.pinned {
		dst = append(dst, s)
	}
	return dst
}

// Remove stops tracking a dynamic subnet. Preloaded subnets are never
// removed.
func (t *Table[S]) Remove(s *Slot[S]) {
	if s.Preloaded || t.lru == nil {
		return
	}
	t.removing = true
	t.lru.Remove(s.Prefix)
	t.removing = false
	delete(t.pinned, s.Prefix)
}

// Len returns the number of tracked subnets.
func (t *Table[S]) Len() int {
	if t.fixed != nil {
		return len(t.order)
	}
	return t.lru.Len() + len(t.pinned)
}

// TakeEvicted returns the number of dynamic subnets evicted since the last
// call, and resets it.
func (t *Table[S]) TakeEvicted() uint64 {
	n := t.evicted
	t.evicted = 0
	return n
}
