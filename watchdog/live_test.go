//go:build cgo && linux

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
	"ipband/watchdog/vethtest"
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

// readers are the live readers every live test runs with.
var readers = []string{watchdog.ReaderAFPacket, watchdog.ReaderLibpcap}

// openLoopback opens a live capture on lo through reader, or skips the
// test when the process truly lacks capture permission.
func openLoopback(t *testing.T, reader, filter string) *watchdog.Live {
	t.Helper()
	l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: "lo", Reader: reader, Filter: filter, Tick: 50 * time.Millisecond})
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
// through each reader, checks its bytes, its report, and that idle
// periods close from the clock with no traffic at all.
func TestLiveLoopback(t *testing.T) {
	for _, reader := range readers {
		t.Run(reader, func(t *testing.T) { testLiveLoopback(t, reader) })
	}
}

func testLiveLoopback(t *testing.T, reader string) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := uint16(sink.LocalAddr().(*net.UDPAddr).Port)
	l := openLoopback(t, reader, fmt.Sprintf("udp and dst port %d", port))
	if got := l.Reader(); !strings.HasPrefix(got, map[string]string{watchdog.ReaderAFPacket: "AF_PACKET", watchdog.ReaderLibpcap: "libpcap"}[reader]) {
		t.Errorf("reader %q, want %s", got, reader)
	}
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

// logLines collects Logf lines from the capture goroutine.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// count returns how many lines contain s.
func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ln := range l.lines {
		if strings.Contains(ln, s) {
			n++
		}
	}
	return n
}

// TestLiveReopen captures on a veth end in a namespace, deletes the pair
// and makes it again: Run logs the loss and the return once each, closes
// periods with no packets meanwhile, and counts traffic again after. A
// Close while the interface is gone ends Run at once. It runs with each
// reader, and with a fanout group of two rings, whose workers all stop
// and which is rebuilt as a whole.
func TestLiveReopen(t *testing.T) {
	for _, reader := range readers {
		t.Run(reader, func(t *testing.T) { testLiveReopen(t, reader, 1) })
	}
	t.Run("afpacket-2-workers", func(t *testing.T) { testLiveReopen(t, watchdog.ReaderAFPacket, 2) })
}

func testLiveReopen(t *testing.T, reader string, workers int) {
	p := vethtest.New(t, "w")
	rec := newSyncRecorder()
	e, err := watchdog.New(watchdog.Config{
		Average: time.Second, Report: time.Hour, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1000, MaxDynamic: 100},
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	var logs logLines
	lives := make(chan *watchdog.Live, 1)
	done := make(chan error, 1)
	go func() {
		err := p.InA(func() error {
			l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: p.DevA, Reader: reader, Filter: "udp and dst port 9",
				Tick: 50 * time.Millisecond, ReopenMin: 100 * time.Millisecond, ReopenMax: 400 * time.Millisecond, Logf: logs.logf,
				Workers: workers})
			if err != nil {
				return err
			}
			lives <- l
			return l.Run(context.Background(), e, sysClock{}, watchdog.RunOptions{})
		})
		done <- err
	}()
	var l *watchdog.Live
	select {
	case l = <-lives:
		t.Cleanup(l.Close)
	case err := <-done:
		t.Fatalf("open: %v", err)
	}
	dial := func() *net.UDPConn {
		ch := make(chan *net.UDPConn, 1)
		go func() {
			err := p.InA(func() error {
				c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(198, 18, 0, 2), Port: 9})
				ch <- c
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
		c := <-ch
		if c == nil {
			t.FailNow()
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	veth := netip.MustParsePrefix("198.18.0.0/24")
	countedSince := func(from int) func([]report.Period, []report.Report) bool {
		return func(ps []report.Period, _ []report.Report) bool {
			for _, per := range ps[min(from, len(ps)):] {
				for _, ln := range per.Lines {
					if ln.Subnet == veth && ln.Bytes > 0 {
						return true
					}
				}
			}
			return false
		}
	}
	periods := func() int { rec.mu.Lock(); defer rec.mu.Unlock(); return len(rec.periods) }
	waitLog := func(s string, n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for logs.count(s) < n {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log: %q", s, logs.lines)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	conn := dial()
	stopSend := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopSend:
				return
			case <-time.After(20 * time.Millisecond):
				conn.Write(make([]byte, 200)) //nolint:errcheck // fails while the link is gone
			}
		}
	}()
	rec.waitFor(t, 10*time.Second, "traffic counted", countedSince(0))
	close(stopSend)

	p.Del()
	waitLog("capture lost", 1)
	lostAt := periods()
	rec.waitFor(t, 10*time.Second, "empty periods while the link is gone", func(ps []report.Period, _ []report.Report) bool {
		empty := 0
		for _, per := range ps[min(lostAt+1, len(ps)):] { // the first may hold the last packets
			if per.Stats.Packets == 0 && len(per.Lines) == 0 {
				empty++
			}
		}
		return empty >= 2
	})
	p.Add()
	waitLog("capture back", 1)
	backAt := periods()
	conn = dial()
	rec.waitFor(t, 10*time.Second, "traffic counted after the link is back", func(ps []report.Period, rs []report.Report) bool {
		conn.Write(make([]byte, 200)) //nolint:errcheck // the capture counts what arrives
		return countedSince(backAt)(ps, rs)
	})
	if n, m := logs.count("capture lost"), logs.count("capture back"); n != 1 || m != 1 {
		t.Errorf("lost logged %d times, back %d times, want once each: %q", n, m, logs.lines)
	}

	// Down and up again: the capture stays open (libpcap reports no
	// error), the change is logged once each way, and traffic is counted
	// again after.
	p.Down()
	waitLog("down;", 1)
	p.Up()
	waitLog("up again", 1)
	upAt := periods()
	rec.waitFor(t, 10*time.Second, "traffic counted after the link is up", func(ps []report.Period, rs []report.Report) bool {
		conn.Write(make([]byte, 200)) //nolint:errcheck // the capture counts what arrives
		return countedSince(upAt)(ps, rs)
	})
	if n, m, k := logs.count("down;"), logs.count("up again"), logs.count("capture lost"); n != 1 || m != 1 || k != 1 {
		t.Errorf("down logged %d times, up %d, lost %d; want 1, 1, 1: %q", n, m, k, logs.lines)
	}

	// Gone again, and closed while it is gone: Run ends at once.
	p.Del()
	waitLog("capture lost", 2)
	l.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end after Close while reopening")
	}
	l.Close() // idempotent
}
