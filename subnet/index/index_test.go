package index_test

import (
	"math/rand/v2"
	"testing"

	"ipband/subnet/index"
)

// item is a handle in the tests: its key and nothing else.
type item struct{ key uint32 }

// FuzzMap drives two Maps with puts, deletes, replacements and clears on
// a small key space, hashed with a fixed multiplier that the fuzzer picks
// (so probe runs collide and wrap): one to 64 bits and looked up with Get,
// one with Hash32 and looked up with Find. It checks them against a Go map
// after every step: every key found or not as the model says, the count
// equal, the table at most half full.
func FuzzMap(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 0, 2, 0, 3, 4, 2, 0, 2, 4, 1})
	f.Add(uint64(0x9e3779b97f4a7c15), []byte{0, 0, 0, 64, 0, 128, 0, 192, 4, 64, 4, 0, 7, 64})
	f.Add(uint64(0), []byte{0, 1, 0, 2, 0, 3, 6, 1, 4, 2, 7, 3})
	keys := make([]byte, 0, 512)
	for i := range 200 { // grow past several resizes, then delete half
		keys = append(keys, 0, byte(i))
	}
	for i := 0; i < 200; i += 2 {
		keys = append(keys, 4, byte(i))
	}
	f.Add(uint64(3), keys)
	f.Fuzz(func(t *testing.T, mul uint64, ops []byte) {
		// x hashes to 64 bits (tags may collide: with mul 1 all do), y
		// with Hash32 and looks up with Find.
		var x, y index.Map[*item]
		x.Init()
		y.Init()
		hash := func(k uint32) uint64 { return uint64(k) * (mul | 1) }
		hash32 := func(k uint32) uint64 { return index.Hash32(k, uint32(mul)|1) }
		model := map[uint32]*item{}
		get := func(k uint32) *item {
			a, b := x.Get(hash(k), func(it *item) bool { return it.key == k }), y.Find(hash32(k))
			if a != b {
				t.Fatalf("Get(%#x) = %p, Find = %p", k, a, b)
			}
			return a
		}
		for i := 0; i+1 < len(ops); i += 2 {
			k := uint32(ops[i+1]) << 20
			switch ops[i] % 8 {
			case 0, 1, 2, 3:
				if model[k] == nil {
					it := &item{k}
					x.Put(hash(k), it)
					y.Put(hash32(k), it)
					model[k] = it
				}
			case 4, 5:
				x.Delete(hash(k), model[k])
				y.Delete(hash32(k), model[k])
				delete(model, k)
			case 6:
				if old := model[k]; old != nil {
					it := &item{k}
					x.Replace(hash(k), old, it)
					y.Replace(hash32(k), old, it)
					model[k] = it
				}
			default:
				if ops[i] == 255 {
					x.Clear()
					y.Clear()
					clear(model)
				}
			}
			if got := get(k); got != model[k] {
				t.Fatalf("op %d: Get(%#x) = %p, want %p", i/2, k, got, model[k])
			}
			if x.Len() != len(model) || y.Len() != len(model) {
				t.Fatalf("op %d: Len %d and %d, want %d", i/2, x.Len(), y.Len(), len(model))
			}
			if 2*x.Len() > x.Size() {
				t.Fatalf("%d handles in %d entries: more than half full", x.Len(), x.Size())
			}
		}
		for b := range 256 {
			k := uint32(b) << 20
			if got := get(k); got != model[k] {
				t.Fatalf("end: Get(%#x) = %p, want %p", k, got, model[k])
			}
		}
	})
}

// TestMapDeleteZero: deleting or replacing the zero handle, never stored,
// changes nothing (a fuzz crasher: it emptied an entry and counted -1).
func TestMapDeleteZero(t *testing.T) {
	var x index.Map[*item]
	x.Init()
	it := &item{1}
	x.Put(1<<32, it)
	x.Delete(1<<32, nil)
	x.Delete(2<<32, nil)
	x.Replace(3<<32, nil, it)
	if x.Len() != 1 || x.Find(1<<32) != it || x.Find(3<<32) != nil {
		t.Errorf("after deleting and replacing nil: Len %d, Find %p and %p", x.Len(), x.Find(1<<32), x.Find(3<<32))
	}
}

// TestMapZeroAllocs pins that lookups, and deletes with puts at a steady
// size, do not allocate.
func TestMapZeroAllocs(t *testing.T) {
	var x index.Map[int32]
	x.Init()
	keys := make([]uint32, 1<<12)
	for i := range keys {
		keys[i] = rand.Uint32()
	}
	mul := rand.Uint64() | 1
	hash := func(k uint32) uint64 { return uint64(k) * mul }
	for i, k := range keys[:1<<10] {
		x.Put(hash(k), int32(i+1))
	}
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		old, k := keys[i%(1<<10)], keys[(i+1<<10)%len(keys)]
		x.Delete(hash(old), int32(i%(1<<10)+1))
		x.Put(hash(k), int32(i%(1<<10)+1))
		keys[i%(1<<10)] = k
		_ = x.Get(hash(k), func(int32) bool { return true })
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocs per delete, put and get, want 0", allocs)
	}
}

// BenchmarkMap measures a Map of 16384 handles (the default dynamic
// subnet cap) with random keys, one operation each: a hit, a miss, and
// the churn of a full table (delete one, put another).
func BenchmarkMap(b *testing.B) {
	const n = 16384
	keys := make([]uint32, 2*n)
	for i := range keys {
		keys[i] = rand.Uint32()
	}
	mul := rand.Uint64() | 1
	hash := func(k uint32) uint64 { return uint64(k) * mul }
	items := make([]item, len(keys))
	for i, k := range keys {
		items[i].key = k
	}
	fill := func() *index.Map[*item] {
		x := new(index.Map[*item])
		x.Init()
		for i := range n {
			x.Put(hash(keys[i]), &items[i])
		}
		return x
	}
	b.Run("hit", func(b *testing.B) {
		x := fill()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := keys[i%n]
			if x.Get(hash(k), func(it *item) bool { return it.key == k }) == nil {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("find", func(b *testing.B) { // Hash32 keys, no comparison
		x := new(index.Map[*item])
		x.Init()
		mul32 := uint32(mul) | 1
		for i := range n {
			x.Put(index.Hash32(keys[i], mul32), &items[i])
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if x.Find(index.Hash32(keys[i%n], mul32)) == nil {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("miss", func(b *testing.B) {
		x := fill()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := keys[n+i%n]
			if x.Get(hash(k), func(it *item) bool { return it.key == k }) != nil {
				b.Fatal("hit")
			}
			i++
		}
	})
	b.Run("churn", func(b *testing.B) {
		x := fill()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			out, in := i%(2*n), (i+n)%(2*n)
			x.Delete(hash(keys[out]), &items[out])
			x.Put(hash(keys[in]), &items[in])
			i++
		}
	})
}
