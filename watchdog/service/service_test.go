package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/service"
)

var t0 = time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC).UnixNano()

// synthetic is a Source that feeds 2 kB/s from one host for periods
// one-second periods, then ends, or waits for its context with wait.
type synthetic struct {
	periods int
	pace    time.Duration // wall time between periods
	wait    bool
	ran     chan struct{} // closed when every packet was fed
}

func (s *synthetic) LinkType() watchdog.LinkType { return watchdog.LinkTypeRaw }
func (s *synthetic) Close() error                { return nil }
func (s *synthetic) String() string              { return "synthetic" }

func (s *synthetic) Run(ctx context.Context, e *watchdog.Engine, _ watchdog.RunOptions) error {
	for i := 0; i <= s.periods; i++ {
		e.Packet(&watchdog.Packet{Time: t0 + int64(i)*int64(time.Second), Len: 2048, Kind: watchdog.KindIP,
			Src: netip.MustParseAddr("10.1.1.1"), Dst: netip.MustParseAddr("10.1.1.2"), Proto: 17})
		time.Sleep(s.pace)
	}
	if s.ran != nil {
		close(s.ran)
	}
	if s.wait {
		<-ctx.Done()
	}
	return nil
}

func engineConfig() watchdog.Config {
	return watchdog.Config{
		Average: time.Second, Report: 2 * time.Second, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1, MaxDynamic: 100},
	}
}

// recorder is an Output that records what it gets, optionally waiting on
// gate before each call.
type recorder struct {
	name    string
	gate    chan struct{} // nil: never wait
	mu      sync.Mutex
	got     []string
	reopens int
	closed  bool
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Period(p *report.Period) error {
	r.wait()
	r.add(fmt.Sprintf("P%d", p.Start.Sub(time.Unix(0, t0))/time.Second))
	return nil
}

func (r *recorder) Report(x report.Report) error {
	r.wait()
	r.add(fmt.Sprintf("R%d", x.Time.Sub(time.Unix(0, t0))/time.Second))
	return nil
}

func (r *recorder) Reopen() error { r.mu.Lock(); r.reopens++; r.mu.Unlock(); return nil }

func (r *recorder) Close(context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

func (r *recorder) wait() {
	if r.gate != nil {
		<-r.gate
	}
}

func (r *recorder) add(s string) { r.mu.Lock(); r.got = append(r.got, s); r.mu.Unlock() }

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)) }

func newService(t *testing.T, c service.Config) *service.Service {
	t.Helper()
	if c.Log == nil {
		c.Log = discard()
	}
	if c.Engine.Average == 0 {
		c.Engine = engineConfig()
	}
	s, err := service.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFanOutOrder checks that every output gets every period and report,
// in the engine's order, and is closed at the end.
func TestFanOutOrder(t *testing.T) {
	a, b := &recorder{name: "a"}, &recorder{name: "b"}
	s := newService(t, service.Config{Source: &synthetic{periods: 5}, Outputs: []report.Output{a, b}, Block: true})
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "P0 P1 P2 R3 P3 P4 R5"
	for _, r := range []*recorder{a, b} {
		if got := strings.Join(r.seen(), " "); got != want || !r.closed {
			t.Errorf("output %s got %q (closed %v), want %q and closed", r.name, got, r.closed, want)
		}
	}
	if l := s.Losses(); len(l) != 0 {
		t.Errorf("losses %v", l)
	}
}

// TestSlowOutputDrops checks that in live mode a stalled output neither
// stalls the capture nor the other outputs, and that what it dropped is
// counted.
func TestSlowOutputDrops(t *testing.T) {
	gate := make(chan struct{})
	slow, fast := &recorder{name: "slow", gate: gate}, &recorder{name: "fast"}
	src := &synthetic{periods: 40, pace: 2 * time.Millisecond, wait: true, ran: make(chan struct{})}
	s := newService(t, service.Config{Source: src, Outputs: []report.Output{slow, fast}, Queue: 16, Flush: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-src.ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the capture was held up by a stalled output")
	}
	const total = 40 + 19 // periods and reports
	for len(fast.seen()) < total {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	cancel()
	err := <-done
	if !errors.Is(err, service.ErrLost) {
		t.Errorf("Run = %v, want ErrLost", err)
	}
	losses := s.Losses()
	if len(losses) != 1 || losses[0].Output != "slow" {
		t.Fatalf("losses %+v, want the slow output's", losses)
	}
	l := losses[0]
	got := len(slow.seen())
	if lost := l.DroppedPeriods + l.DroppedReports; int(lost)+got != total || lost == 0 {
		t.Errorf("slow output got %d and dropped %d (%+v), want %d in all, some dropped", got, lost, l, total)
	}
	if !strings.HasPrefix(l.String(), "slow: ") || !strings.Contains(l.String(), "dropped (queue full)") {
		t.Errorf("loss line %q", l)
	}
}

// TestFlushBound checks that an output stuck at exit holds Run up only for
// the flush bound, and is counted.
func TestFlushBound(t *testing.T) {
	stuck := &recorder{name: "stuck", gate: make(chan struct{})} // never opened
	s := newService(t, service.Config{Source: &synthetic{periods: 3}, Outputs: []report.Output{stuck}, Flush: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, service.ErrLost) {
			t.Errorf("Run = %v, want ErrLost", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run waited for a stuck output beyond the flush bound")
	}
	l := s.Losses()
	if len(l) != 1 || l[0].Err == nil || l[0].Unflushed == 0 {
		t.Errorf("losses %+v, want the stuck output with entries left", l)
	}
}

// TestReloadAndReopen checks that Reload hands a new config to the engine
// and reopens the outputs, and that a bad config is logged and kept out.
func TestReloadAndReopen(t *testing.T) {
	var logs bytes.Buffer
	log, err := service.NewLogger(service.LogOptions{W: &logs, NoTime: true})
	if err != nil {
		t.Fatal(err)
	}
	out := &recorder{name: "file"}
	next := engineConfig()
	bad := errors.New("ipband.conf:3: bandwidth: \"x\": invalid value")
	fail := false
	src := &synthetic{periods: 2, wait: true, ran: make(chan struct{})}
	s := newService(t, service.Config{Source: src, Outputs: []report.Output{out}, Log: log,
		Reload: func() (watchdog.Config, error) {
			if fail {
				return watchdog.Config{}, bad
			}
			return next, nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-src.ran
	s.Reload()
	waitReopens(t, out, 1)
	fail = true
	s.Reload()
	waitReopens(t, out, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	text := logs.String()
	if !strings.Contains(text, "ipband: config reloaded") || !strings.Contains(text, "ipband: reload failed, keeping the running config: ipband.conf:3:") {
		t.Errorf("log:\n%s", text)
	}
}

// waitReopens waits until out was reopened n times.
func waitReopens(t *testing.T, out *recorder, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out.mu.Lock()
		got := out.reopens
		out.mu.Unlock()
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("%d reopens, want %d (one per reload, good or bad)", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoggerFormats(t *testing.T) {
	var b bytes.Buffer
	log, err := service.NewLogger(service.LogOptions{W: &b})
	if err != nil {
		t.Fatal(err)
	}
	service.Logf(log, "report-file")("%s: write: %s", "out.txt", "no space left on device")
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\S* ipband: out.txt: write: no space left on device subsystem=report-file\n$`)
	if !line.MatchString(b.String()) {
		t.Errorf("text line %q", b.String())
	}

	b.Reset()
	log, err = service.NewLogger(service.LogOptions{W: &b, Format: service.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	service.Logf(log, "mail")("not sent: %v", "timeout")
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %q", err, b.String())
	}
	if rec["level"] != "WARN" || rec["msg"] != "not sent: timeout" || rec["subsystem"] != "mail" || rec["time"] == nil {
		t.Errorf("json record %v", rec)
	}

	if _, err := service.NewLogger(service.LogOptions{Format: "xml"}); !errors.Is(err, service.ErrLogFormat) {
		t.Errorf("format xml: %v", err)
	}
}

func TestLossString(t *testing.T) {
	for _, tt := range []struct {
		l    service.Loss
		want string
	}{
		{service.Loss{Output: "report file x.txt", Err: errors.New("2 report(s) could not be written")}, "report file x.txt: 2 report(s) could not be written"},
		{service.Loss{Output: "mail", Err: errors.New("mail: close: 3 messages not sent: context deadline exceeded")}, "mail: close: 3 messages not sent: context deadline exceeded"},
		{service.Loss{Output: "json file r.json", DroppedReports: 1, FailedPeriods: 2, Unflushed: 4}, "json file r.json: 1 report(s) dropped (queue full); 2 period(s) failed; 4 entries still queued"},
	} {
		if got := tt.l.String(); got != tt.want || !tt.l.Lost() {
			t.Errorf("String() = %q (lost %v), want %q", got, tt.l.Lost(), tt.want)
		}
	}
	if (service.Loss{Output: "x"}).Lost() {
		t.Error("an empty Loss is a loss")
	}
}
