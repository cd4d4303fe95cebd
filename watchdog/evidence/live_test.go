//go:build cgo

package evidence_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/evidence"
)

type sysClock struct{}

func (sysClock) Now() time.Time { return time.Now() }

// TestLiveReplayReproducesReports captures traffic the test sends to
// 127.0.0.1 on lo, with evidence on; replaying the evidence file of the
// loopback subnet's episode with the same thresholds, started on the
// episode its comment names as ipband --read does, makes the same
// reports, row for row.
func TestLiveReplayReproducesReports(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW): evidence of a live capture not checked")
	}
	var sinks []*net.UDPConn
	var ports []string
	for range 3 {
		s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sinks = append(sinks, s)
		ports = append(ports, fmt.Sprint("dst port ", s.LocalAddr().(*net.UDPAddr).Port))
	}
	l, err := watchdog.OpenLive(watchdog.LiveOptions{Interface: "lo", Filter: "udp and (" + strings.Join(ports, " or ") + ")", Tick: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("open lo: %v", err)
	}
	defer l.Close()
	d, err := evidence.Open(evidence.Options{Dir: t.TempDir(), LinkType: l.LinkType(), Snaplen: watchdog.DefaultSnaplen})
	if err != nil {
		t.Fatal(err)
	}
	cfg := watchdog.Config{
		Average: time.Second, Report: 2 * time.Second, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1, MaxDynamic: 100},
	}
	rec := &recorder{}
	e, err := watchdog.New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvidence(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, e, sysClock{}, watchdog.RunOptions{}) }()

	var conns []*net.UDPConn
	for _, s := range sinks {
		c, err := net.DialUDP("udp4", nil, s.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	payload := make([]byte, 700)
	deadline := time.Now().Add(20 * time.Second)
	var more time.Time // after the second report: frames past its time
	for i := 0; more.IsZero() || time.Now().Before(more); i++ {
		if time.Now().After(deadline) {
			t.Fatal("no two reports after 20 s")
		}
		if _, err := conns[i%len(conns)].Write(payload[:200+i%3*250]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
		if more.IsZero() && len(rec.all()) >= 2 {
			more = time.Now().Add(200 * time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	d.Close()
	sub := netip.MustParsePrefix("127.0.0.0/24")
	reports := reportsOf(rec.all(), sub)
	if len(reports) < 2 || reports[0].Evidence == "" || reports[1].Evidence != reports[0].Evidence {
		t.Fatalf("%d reports of %s: want two naming one file for the episode", len(reports), sub)
	}
	if len(reports[0].Rows) != 3 {
		t.Errorf("%d rows, want the 3 connections", len(reports[0].Rows))
	}
	sameRows(t, reports, replayEvidence(t, cfg, reports[0].Evidence))
}
