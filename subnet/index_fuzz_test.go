package subnet

import (
	"encoding/binary"
	"testing"
)

// FuzzIndex4 drives the open-addressing IPv4 index with puts, deletes and
// clears on a small key space (so probe runs collide and wrap) and checks
// it against a Go map after every step: every key found or not as the map
// says, and the count equal.
func FuzzIndex4(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 0, 2, 0, 3, 4, 2, 0, 2, 4, 1})
	f.Add(uint64(0x9e3779b97f4a7c15), []byte{0, 0, 0, 64, 0, 128, 0, 192, 4, 64, 4, 0})
	keys := make([]byte, 0, 512)
	for i := range 200 { // grow past several resizes, then delete half
		keys = append(keys, 0, byte(i))
	}
	for i := 0; i < 200; i += 2 {
		keys = append(keys, 4, byte(i))
	}
	f.Add(uint64(3), keys)
	f.Fuzz(func(t *testing.T, mul uint64, ops []byte) {
		var x index4[int]
		x.init()
		x.mul = mul | 1 // a fixed multiplier, so failures reproduce
		x.resize(len(x.entries))
		model := map[uint32]*Slot[int]{}
		key := func(b byte) uint32 { return binary.BigEndian.Uint32([]byte{10, b & 0xf0, b, 0}) }
		check := func(k uint32) {
			if got, want := x.get(k), model[k]; got != want {
				t.Fatalf("get(%#x) = %p, want %p", k, got, want)
			}
		}
		for i := 0; i+1 < len(ops); i += 2 {
			k := key(ops[i+1])
			switch ops[i] % 8 {
			case 0, 1, 2, 3:
				if model[k] == nil {
					s := &Slot[int]{}
					x.put(k, s)
					model[k] = s
				}
			case 4, 5, 6:
				x.del(k)
				delete(model, k)
			default:
				if ops[i] == 255 {
					x.clear()
					clear(model)
				}
			}
			check(k)
			if x.n != len(model) {
				t.Fatalf("count %d, want %d", x.n, len(model))
			}
			if 2*x.n > len(x.entries) {
				t.Fatalf("%d entries in %d slots: more than half full", x.n, len(x.entries))
			}
		}
		for b := range 256 {
			check(key(byte(b)))
		}
	})
}
