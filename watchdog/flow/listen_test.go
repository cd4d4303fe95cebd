package flow_test

import (
	"context"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"ipband/watchdog"
	"ipband/watchdog/flow"
	"ipband/watchdog/flow/flowtest"
)

// TestListenDrops fills a listener's receive buffer before it reads: the
// datagrams the kernel dropped are counted (SO_RXQ_OVFL), and those it
// kept are decoded.
func TestListenDrops(t *testing.T) {
	c := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
	src, err := flow.Listen([]string{"127.0.0.1:0"}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tx, err := net.Dial("udp", src.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	d := sflowDatagram(1, 1500)
	pad := make([]byte, 1400-len(d))
	d = append(d, pad...) // trailing bytes after the samples are ignored
	const sent = 20000    // 28 MB: more than the buffer the kernel grants
	for range sent {
		tx.Write(d) //nolint:errcheck // drops are the subject
	}
	rec := &recorder{}
	e, err := watchdog.New(classicConfig(0), rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, e, watchdog.RunOptions{}) }()
	// The kernel tells the count with each datagram it queues after the
	// drops: a few more, once the buffer is drained.
	time.Sleep(time.Second)
	for range 10 {
		tx.Write(d) //nolint:errcheck // as above
	}
	time.Sleep(time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	x := c.Exporters()
	if len(x) != 1 {
		t.Fatalf("exporters %+v", x)
	}
	dropped := e.Stats().Dropped
	t.Logf("%d datagrams decoded, %d dropped by the kernel", x[0].Datagrams, dropped)
	if dropped == 0 || x[0].Datagrams+dropped != sent+10 {
		t.Errorf("%d decoded + %d dropped, want %d sent, some dropped", x[0].Datagrams, dropped, sent+10)
	}
}

// stepClock is a Clock that tells the time the sender set, and says on
// called each time it is read (the listener reads it once a datagram,
// when busy).
type stepClock struct {
	mu     sync.Mutex
	t      time.Time
	called chan struct{}
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case c.called <- struct{}{}:
	default:
	}
	return c.t
}

// TestLiveEqualsReplay sends a recorded export to a live listener, each
// datagram received at its capture time, and replays the same file: the
// periods and reports are the same.
func TestLiveEqualsReplay(t *testing.T) {
	const file = "../../testdata/flows-v9.pcap"
	opts := flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second}
	// Replay.
	replay := &recorder{}
	e, err := watchdog.New(classicConfig(0), replay)
	if err != nil {
		t.Fatal(err)
	}
	fc := flow.NewCollector(opts)
	e.SetAnnotator(fc)
	fs, err := flow.OpenFile(file, []uint16{recordedPort}, fc)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Run(context.Background(), e, watchdog.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Live, the clock at each datagram's capture time.
	clock := &stepClock{called: make(chan struct{}, 1)}
	lc := flow.NewCollector(opts)
	src, err := flow.Listen([]string{"127.0.0.1:0"}, lc, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	live := &recorder{}
	le, err := watchdog.New(classicConfig(0), live)
	if err != nil {
		t.Fatal(err)
	}
	le.SetAnnotator(lc)
	tx, err := net.Dial("udp", src.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, le, watchdog.RunOptions{}) }()
	dgs, times := flowtest.Recorded(t, "../../testdata/flows-v9.pcap")
	for i, d := range dgs {
		clock.set(time.Unix(0, times[i]))
		if _, err := tx.Write(d); err != nil {
			t.Fatal(err)
		}
		select {
		case <-clock.called: // received, at times[i]
		case <-time.After(10 * time.Second):
			t.Fatalf("datagram %d not received", i)
		}
	}
	time.Sleep(200 * time.Millisecond) // counted
	// Stopping closes the periods that ended by the clock, as the end of
	// the replay does by the latest time seen.
	clock.set(time.Unix(0, fc.LatestSeen())) // the replay's, the same
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(live.periods) != len(replay.periods) || len(live.reports) != len(replay.reports) {
		t.Fatalf("live: %d periods, %d reports; replay: %d and %d",
			len(live.periods), len(live.reports), len(replay.periods), len(replay.reports))
	}
	for i := range live.periods {
		if !reflect.DeepEqual(live.periods[i], replay.periods[i]) {
			t.Fatalf("period %d differs:\nlive   %+v\nreplay %+v", i, live.periods[i], replay.periods[i])
		}
	}
	if !reflect.DeepEqual(live.reports, replay.reports) {
		t.Errorf("reports differ")
	}
	if len(replay.reports) == 0 {
		t.Error("no report to compare")
	}
}
