//go:build cgo

package watchdog_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// syncRecorder is a recorder safe to read while the capture goroutine
// writes it.
type syncRecorder struct {
	mu      sync.Mutex
	periods []report.Period
	reports []report.Report
	changed chan struct{}
}

func newSyncRecorder() *syncRecorder { return &syncRecorder{changed: make(chan struct{}, 1)} }

func (r *syncRecorder) Period(p *report.Period) {
	r.mu.Lock()
	r.periods = append(r.periods, *p)
	r.mu.Unlock()
	r.wake()
}

func (r *syncRecorder) Report(x report.Report) {
	r.mu.Lock()
	r.reports = append(r.reports, x)
	r.mu.Unlock()
	r.wake()
}

func (r *syncRecorder) wake() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on the recorded periods and reports, or
// the deadline passes.
func (r *syncRecorder) waitFor(t *testing.T, d time.Duration, what string, cond func([]report.Period, []report.Report) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		ok := cond(r.periods, r.reports)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

type sysClock struct{}

func (sysClock) Now() time.Time { return time.Now() }

// openLoopback opens a live capture on lo, or skips the test when the
// process truly lacks capture permission.
func openLoopback(t *testing.T, filter string) *watchdog.Live {
	t.Helper()
	l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: "lo", Filter: filter, Tick: 50 * time.Millisecond})
	if err != nil {
		msg := err.Error()
		if os.Geteuid() != 0 && (strings.Contains(msg, "permission") || strings.Contains(msg, "Operation not permitted")) {
			t.Skipf("live capture needs root or CAP_NET_RAW: %v", err)
		}
		t.Fatalf("open lo: %v", err)
	}
	t.Cleanup(l.Close)
	return l
}

// TestLiveLoopback captures real traffic the test sends to 127.0.0.1,
// checks its bytes, its report, and that idle periods close from the
// clock with no traffic at all.
func TestLiveLoopback(t *testing.T) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := uint16(sink.LocalAddr().(*net.UDPAddr).Port)
	l := openLoopback(t, fmt.Sprintf("udp and dst port %d", port))
	rec := newSyncRecorder()
	e, err := watchdog.New(watchdog.Config{
		Average: time.Second, Report: time.Second, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1, MaxDynamic: 100},
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, e, sysClock{}, watchdog.RunOptions{}) }()

	conn, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	payload := make([]byte, 1000)
	// 3 seconds at ~20 kB/s: over the 1 kB/s threshold in every period.
	stop := time.After(3 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
send:
	for {
		select {
		case <-tick.C:
			if _, err := conn.Write(payload); err != nil {
				t.Fatal(err)
			}
		case <-stop:
			break send
		}
	}
	tick.Stop()
	lo := netip.MustParsePrefix("127.0.0.0/24")
	rec.waitFor(t, 10*time.Second, "a report for 127.0.0.0", func(_ []report.Period, rs []report.Report) bool {
		return len(rs) > 0
	})
	// Then two periods with no traffic must close on the clock alone.
	rec.waitFor(t, 10*time.Second, "idle periods closed by the clock", func(ps []report.Period, _ []report.Report) bool {
		idle := 0
		for i := len(ps) - 1; i >= 0 && len(ps[i].Lines) == 0 && ps[i].Stats.Packets == 0; i-- {
			idle++
		}
		return idle >= 2
	})
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not stop after cancel")
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Every frame is 1000 bytes of payload + 8 UDP + 20 IPv4 + 14 Ethernet.
	var bytes, packets uint64
	for _, p := range rec.periods {
		packets += p.Stats.IP
		for _, ln := range p.Lines {
			if ln.Subnet == lo {
				bytes += ln.Bytes
			}
		}
	}
	if packets == 0 || bytes != packets*1042 {
		t.Errorf("counted %d bytes in %d packets, want 1042 per packet", bytes, packets)
	}
	r := rec.reports[0]
	if r.Subnet != lo || len(r.Rows) != 1 || r.Rows[0].SrcPort != port && r.Rows[0].DstPort != port || r.Rows[0].Proto != 17 {
		t.Errorf("report %+v", r)
	}
}
