// Package index is the open-addressing hash index of ipband's bounded
// tables: the subnet table's IPv4 subnets and the detail tables'
// connections. It maps a 64-bit hash to the caller's handles (a slot
// pointer, an arena index) and never sees the keys: the caller hashes its
// key and tells, for the few handles whose hash tag matches, whether the
// key is theirs.
//
// # Layout
//
// Linear probing in a power-of-two array kept at most half full; each
// entry holds the top 32 bits of the hash (its tag, which also gives its
// home position) and the handle. Deletion shifts back the entries of the
// probe run that the hole would hide, so that the constant churn of a
// table at its cap leaves no tombstones and lookups stay short.
//
// # Usage
//
//	var x index.Map[*Slot]
//	x.Init()
//	h := hash(k)
//	s := x.Get(h, func(s *Slot) bool { return s.key == k })
//	if s == nil {
//		x.Put(h, newSlot(k))
//	}
//
// The hash must mix the key well into its top 32 bits and be seeded per
// table (multiply-shift with a random odd multiplier, or a seeded
// multiply-fold), so that keys chosen to collide cannot be found offline.
// Keys of 32 bits hashed with Hash32 need no comparison: Find looks them
// up by hash alone.
package index

import "math/bits"

// Map indexes handles of type V by hash. The zero V marks an empty entry
// and is never stored. The zero Map is not usable: call Init first. A Map
// is not safe for concurrent use.
type Map[V comparable] struct {
	entries []entry[V] // a power of two, at most 2^32
	n       int
	shift   uint // 32 - log2(len(entries))
}

type entry[V comparable] struct {
	tag uint32 // hash >> 32
	v   V
}

// MinSize is the number of entries of a new Map: it holds MinSize/2
// handles before it first grows.
const MinSize = 64

// Init empties x and gives it MinSize entries.
func (x *Map[V]) Init() {
	x.entries = nil
	x.n = 0
	x.resize(MinSize)
}

// Len returns the number of handles in x.
func (x *Map[V]) Len() int { return x.n }

// Size returns the number of entries of x: between 2 and 4 per handle
// once x has grown, MinSize when it never did.
func (x *Map[V]) Size() int { return len(x.entries) }

func (x *Map[V]) home(tag uint32) uint32 { return uint32(uint64(tag) >> x.shift) }

// Get returns the handle whose hash is h and for which match returns
// true, or the zero V. match is called only for handles whose hash has
// the same top 32 bits as h.
func (x *Map[V]) Get(h uint64, match func(V) bool) V {
	tag := uint32(h >> 32)
	mask := uint32(len(x.entries) - 1)
	var zero V
	for i := x.home(tag); ; i = (i + 1) & mask {
		e := &x.entries[i]
		if e.v == zero || e.tag == tag && match(e.v) {
			return e.v
		}
	}
}

// Find returns the handle whose hash has the same top 32 bits as h, or
// the zero V. It is Get for keys of 32 bits or fewer hashed into the top
// 32 bits by a bijection, such as multiplication by an odd number modulo
// 2^32: those bits then tell the key, and no key need be compared.
func (x *Map[V]) Find(h uint64) V {
	tag := uint32(h >> 32)
	mask := uint32(len(x.entries) - 1)
	var zero V
	for i := x.home(tag); ; i = (i + 1) & mask {
		e := &x.entries[i]
		if e.v == zero || e.tag == tag {
			return e.v
		}
	}
}

// Hash32 returns the hash of a 32-bit key k for Find: k times mul, odd,
// modulo 2^32, in the top 32 bits. With mul drawn at random per Map, it is
// the multiply-shift hash, and keys chosen to collide cannot be found
// offline.
func Hash32(k, mul uint32) uint64 { return uint64(k*mul) << 32 }

// Put adds handle v, not the zero V, with hash h. The key of v must not
// be in x already.
func (x *Map[V]) Put(h uint64, v V) {
	if 2*(x.n+1) > len(x.entries) {
		x.resize(2 * len(x.entries))
	}
	x.n++
	x.insert(entry[V]{uint32(h >> 32), v})
}

func (x *Map[V]) insert(e entry[V]) {
	mask := uint32(len(x.entries) - 1)
	var zero V
	i := x.home(e.tag)
	for x.entries[i].v != zero {
		i = (i + 1) & mask
	}
	x.entries[i] = e
}

// find returns the position of handle v, whose hash is h, or -1 (always
// for the zero V, which marks empty entries).
func (x *Map[V]) find(h uint64, v V) int {
	mask := uint32(len(x.entries) - 1)
	var zero V
	if v == zero {
		return -1
	}
	for i := x.home(uint32(h >> 32)); ; i = (i + 1) & mask {
		switch x.entries[i].v {
		case v:
			return int(i)
		case zero:
			return -1
		}
	}
}

// Replace makes the entry of handle old, whose hash is h, hold handle v
// instead (the same key, moved). It does nothing when old is not in x.
func (x *Map[V]) Replace(h uint64, old, v V) {
	if i := x.find(h, old); i >= 0 {
		x.entries[i].v = v
	}
}

// Delete removes handle v, whose hash is h, shifting back the entries of
// its probe run that the hole would hide. It does nothing when v is not
// in x.
func (x *Map[V]) Delete(h uint64, v V) {
	at := x.find(h, v)
	if at < 0 {
		return
	}
	x.n--
	mask := uint32(len(x.entries) - 1)
	var zero V
	i := uint32(at)
	for j := (i + 1) & mask; x.entries[j].v != zero; j = (j + 1) & mask {
		// The entry at j stays unless its home is cyclically outside
		// (i, j]: then the hole at i would hide it.
		h := x.home(x.entries[j].tag)
		if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
			continue
		}
		x.entries[i] = x.entries[j]
		i = j
	}
	x.entries[i] = entry[V]{}
}

// Clear removes every handle, keeping the size of x.
func (x *Map[V]) Clear() {
	clear(x.entries)
	x.n = 0
}

func (x *Map[V]) resize(size int) {
	old := x.entries
	x.entries = make([]entry[V], size)
	x.shift = uint(32 - bits.TrailingZeros(uint(size)))
	var zero V
	for _, e := range old {
		if e.v != zero {
			x.insert(e)
		}
	}
}
