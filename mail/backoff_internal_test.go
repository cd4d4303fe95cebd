package mail

import (
	"testing"
	"time"
)

// TestBackoff: the wait doubles from Retry up to RetryMax, within ±20%,
// and is not the same every time (jitter).
func TestBackoff(t *testing.T) {
	q := &Queue{o: Options{Retry: 30 * time.Second, RetryMax: time.Hour}}
	base := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, b := range base {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := q.backoff(i + 1)
			if d < b*8/10 || d > b*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ±20%%", i+1, d, b)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("backoff(%d): %d distinct waits in 50, want jitter", i+1, len(seen))
		}
	}
	if d := q.backoff(1000); d > time.Hour*12/10 {
		t.Errorf("backoff(1000) = %v, past the cap", d)
	}
}
