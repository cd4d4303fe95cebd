package flow_test

import (
	"context"
	"net"
	"testing"
	"time"

	"ipband/watchdog"
	"ipband/watchdog/flow"
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
