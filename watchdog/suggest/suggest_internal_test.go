package suggest

import (
	"testing"
	"time"
)

func TestConfidence(t *testing.T) {
	for d, want := range map[time.Duration]string{
		59 * time.Minute: "indicative", time.Hour: "provisional", 30 * time.Hour: "fair", 7 * 24 * time.Hour: "good",
	} {
		if got := Confidence(d); got != want {
			t.Errorf("Confidence(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestStatsOf checks the weighted percentiles and the sustained level: a
// level counts only when held for k consecutive periods, and an idle run
// breaks a run.
func TestStatsOf(t *testing.T) {
	r := []float64{5, 9, 9, 9, 1, 7, 7, 0, 7, 7}
	w := []int64{1, 1, 1, 1, 1, 1, 1, 5, 1, 1}
	st := statsOf(r, w, 3)
	if st.sustained != 9 || st.max != 9 {
		t.Errorf("sustained %v max %v, want 9 and 9", st.sustained, st.max)
	}
	if st = statsOf(r, w, 4); st.sustained != 5 {
		t.Errorf("k=4: sustained %v, want 5 (5 9 9 9)", st.sustained)
	}
	// 14 weights: 0 ×5 (the idle run), 1, 5, 7 ×4, 9 ×3; p50 is the 7th value.
	if st.p50 != 5 || st.p99 != 9 {
		t.Errorf("p50 %v p99 %v, want 5 and 9", st.p50, st.p99)
	}
	if st := statsOf([]float64{7, 0, 7}, []int64{1, 3, 1}, 2); st.sustained != 0 {
		t.Errorf("across an idle run: sustained %v, want 0", st.sustained)
	}
}

func TestRoundUp(t *testing.T) {
	for in, want := range map[float64]float64{21.875: 21.88, 35.893: 35.9, 2: 2, 0.131: 0.14} {
		if got := roundUp(in); got != want {
			t.Errorf("roundUp(%v) = %v, want %v", in, got, want)
		}
	}
}
