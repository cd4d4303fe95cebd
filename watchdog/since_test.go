package watchdog_test

import (
	"testing"
	"time"

	"ipband/subnet"
)

// TestLineSince: a period's line says since when its subnet has been
// logging (the episode's start, as its reports' Start), and is zero when
// it is not.
func TestLineSince(t *testing.T) {
	e, rec := newEngine(t, cfg(subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22}))
	for m := int64(0); m < 8; m++ {
		kbps := 30
		if m == 3 || m >= 6 {
			kbps = 1
		}
		feed(e, m, kbps, "10.10.123.173", "10.100.11.13")
	}
	e.Packet(tcp(t0+8*minute, "10.1.1.1", 1, "10.1.1.2", 2, 60))
	want := []int64{1, 1, 1, 0, 5, 5, 0, 0} // episode start (end of period m), or 0
	if len(rec.periods) != len(want) {
		t.Fatalf("%d periods, want %d", len(rec.periods), len(want))
	}
	for m, p := range rec.periods {
		l := p.Lines[0]
		switch {
		case want[m] == 0 && (!l.Since.IsZero() || l.Logging):
			t.Errorf("period %d: since %v, logging %v; want not logging", m, l.Since, l.Logging)
		case want[m] != 0 && !l.Since.Equal(time.Unix(0, t0+want[m]*minute)):
			t.Errorf("period %d: since %v, want the end of period %d", m, l.Since, want[m]-1)
		}
	}
}
