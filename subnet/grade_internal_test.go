package subnet

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGrades checks the byte grades that order eviction: every count in
// exactly one grade, grades in the order of the counts, and within a grade
// the most at most 25% more than the fewest.
func TestGrades(t *testing.T) {
	check := func(n uint64) {
		g := gradeOf(n)
		if g < 0 || g >= numGrades {
			t.Fatalf("gradeOf(%d) = %d, outside [0, %d)", n, g, numGrades)
		}
		lo, hi := gradeFloor(g), gradeFloor(g+1)
		if n < lo || n >= hi && hi != math.MaxUint64 {
			t.Fatalf("%d in grade %d of [%d, %d)", n, g, lo, hi)
		}
		if g >= 4 && hi != math.MaxUint64 && float64(hi-1) > 1.25*float64(lo) {
			t.Fatalf("grade %d is [%d, %d): wider than 25%%", g, lo, hi)
		}
	}
	prev := 0
	for n := range uint64(1 << 16) {
		check(n)
		if g := gradeOf(n); g < prev || g > prev+1 {
			t.Fatalf("gradeOf(%d) = %d after %d: not in order, or a grade skipped", n, g, prev)
		}
		prev = gradeOf(n)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		check(r.Uint64() >> r.IntN(64))
	}
	for _, n := range []uint64{math.MaxUint64, math.MaxUint64 - 1, 1 << 63, 1<<63 - 1} {
		check(n)
	}
	if gradeOf(math.MaxUint64) != numGrades-1 {
		t.Errorf("gradeOf(MaxUint64) = %d, want the last grade %d", gradeOf(math.MaxUint64), numGrades-1)
	}
}
