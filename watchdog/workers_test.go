package watchdog_test

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// evRecorder is an Evidence that keeps every call, in order.
type evRecorder struct{ calls []string }

func (r *evRecorder) Start(sub netip.Prefix, episode int64) {
	r.calls = append(r.calls, fmt.Sprintf("start %s %d", sub, episode))
}

func (r *evRecorder) Frame(sub netip.Prefix, t int64, wire uint32, data []byte) {
	r.calls = append(r.calls, fmt.Sprintf("frame %s %d %d %x", sub, t, wire, data))
}

func (r *evRecorder) Report(sub netip.Prefix) (string, uint64) {
	r.calls = append(r.calls, "report "+sub.String())
	return sub.String() + ".pcapng", 0
}

func (r *evRecorder) End(sub netip.Prefix) { r.calls = append(r.calls, "end "+sub.String()) }

// replayWith replays path into a new engine of config c with n workers
// (0: the engine alone), with evidence, and a config to take at the
// first boundary when next is not nil.
func replayWith(t *testing.T, path string, c watchdog.Config, n int, next *watchdog.Config) (*recorder, *evRecorder, report.Stats) {
	t.Helper()
	rec, ev := &recorder{}, &evRecorder{}
	e, err := watchdog.New(c, rec)
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvidence(ev)
	if next != nil {
		if err := e.Reconfigure(*next); err != nil {
			t.Fatal(err)
		}
	}
	open := func() *pcapfile.Reader {
		r, err := pcapfile.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	if n == 0 {
		if err := watchdog.Replay(context.Background(), open(), e, watchdog.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		return rec, ev, e.Stats()
	}
	g, err := watchdog.NewGroup(e, n)
	if err != nil {
		t.Fatal(err)
	}
	var files []*pcapfile.Reader
	for range n {
		files = append(files, open())
	}
	if err := watchdog.ReplayGroup(context.Background(), files, g, watchdog.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	return rec, ev, e.Stats()
}

// TestGroupEqualsEngine replays captures through 1 to 4 workers and
// through the engine alone: the periods, the reports (rows and all), the
// evidence calls (every frame, in order) and the counters are the same,
// in preloaded and dynamic mode, and across a reload at the first
// boundary that changes the mask and the thresholds.
func TestGroupEqualsEngine(t *testing.T) {
	classic := cfg(
		subnet.Preload{Prefix: pfx("10.10.123.0/24"), Threshold: 22},
		subnet.Preload{Prefix: pfx("10.10.81.0/24"), Threshold: 22},
		subnet.Preload{Prefix: pfx("10.10.1.0/24"), Threshold: 22},
		subnet.Preload{Prefix: pfx("10.10.2.0/24"), Threshold: 10},
		subnet.Preload{Prefix: pfx("10.10.44.0/24"), Threshold: 10},
		subnet.Preload{Prefix: pfx("10.10.24.0/24"), Threshold: 22},
	)
	dynamic := cfg()
	dynamic.Subnets.Threshold = 15
	dynamic.Report = 3 * time.Minute
	dynamic.Top = 5
	reloaded := dynamic
	reloaded.Subnets.MaskBits = 16
	reloaded.Subnets.Threshold = 15
	frag := cfg()
	frag.Average, frag.Report, frag.Subnets.Threshold = 10*time.Second, 20*time.Second, 1
	cases := []struct {
		name, file string
		c          watchdog.Config
		next       *watchdog.Config
	}{
		{"classic-preloaded", "classic.pcap", classic, nil},
		{"dynamic", "dynamic.pcap", dynamic, nil},
		{"dynamic-reloaded", "dynamic.pcap", dynamic, &reloaded},
		{"fragments", "fragments.pcap", frag, nil},
		{"ipv6", "ipv6.pcap", frag, nil},
	}
	for _, tc := range cases {
		path := "../testdata/" + tc.file
		want, wantEv, wantStats := replayWith(t, path, tc.c, 0, tc.next)
		if len(want.reports) == 0 {
			t.Fatalf("%s: no report: nothing to compare", tc.name)
		}
		for n := 1; n <= 4; n++ {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				got, gotEv, gotStats := replayWith(t, path, tc.c, n, tc.next)
				if !reflect.DeepEqual(got.periods, want.periods) {
					t.Errorf("periods differ: %d, want %d", len(got.periods), len(want.periods))
				}
				if !reflect.DeepEqual(got.reports, want.reports) {
					t.Errorf("reports differ:\n%+v\nwant\n%+v", got.reports, want.reports)
				}
				if !reflect.DeepEqual(gotEv.calls, wantEv.calls) {
					t.Errorf("evidence: %d calls, want %d", len(gotEv.calls), len(wantEv.calls))
					for i := range min(len(gotEv.calls), len(wantEv.calls)) {
						if gotEv.calls[i] != wantEv.calls[i] {
							t.Errorf("call %d: %.80s, want %.80s", i, gotEv.calls[i], wantEv.calls[i])
							break
						}
					}
				}
				if gotStats != wantStats {
					t.Errorf("stats %+v, want %+v", gotStats, wantStats)
				}
			})
		}
	}
}

// TestGroupSnapshot asks a snapshot of an engine whose two workers have
// counted mid-period: it comes when both look at the clock, with the
// bytes of both, and the period closes later with them too.
func TestGroupSnapshot(t *testing.T) {
	e, rec := newEngine(t, cfg())
	g, err := watchdog.NewGroup(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	g.Start(t0)
	g.Worker(0).Packet(tcp(t0+1, "10.1.1.1", 1, "10.2.2.2", 2, 1000))
	g.Worker(1).Packet(tcp(t0+2, "10.3.3.3", 1, "10.2.2.2", 2, 500))
	snap := make(chan *report.Period, 1)
	e.Snapshot(func(p *report.Period) { snap <- p })
	done := make(chan struct{})
	go func() {
		g.Worker(1).Advance(t0 + 30e9) // waits for worker 0
		close(done)
	}()
	select {
	case <-snap:
		t.Fatal("snapshot taken before every worker looked at the clock")
	case <-time.After(50 * time.Millisecond):
	}
	g.Worker(0).Advance(t0 + 31e9)
	<-done
	p := <-snap
	var bytes uint64
	for _, ln := range p.Lines {
		if ln.Subnet == pfx("10.2.2.0/24") {
			bytes = ln.Bytes
		}
	}
	if bytes != 1500 {
		t.Errorf("snapshot has %d bytes of 10.2.2.0/24, want 1500: %+v", bytes, p.Lines)
	}
	if len(rec.periods) != 0 {
		t.Errorf("%d periods closed by a snapshot", len(rec.periods))
	}
	g.Worker(0).Packet(tcp(t0+40e9, "10.1.1.1", 1, "10.2.2.2", 2, 100))
	done = make(chan struct{})
	go func() {
		g.Worker(0).Advance(t0 + minute)
		g.Done(0)
		close(done)
	}()
	g.Worker(1).Advance(t0 + minute + 1)
	g.Done(1)
	<-done
	if len(rec.periods) != 1 {
		t.Fatalf("%d periods, want 1", len(rec.periods))
	}
	for _, ln := range rec.periods[0].Lines {
		if ln.Subnet == pfx("10.2.2.0/24") && ln.Bytes != 1600 {
			t.Errorf("period has %d bytes of 10.2.2.0/24, want 1600", ln.Bytes)
		}
	}
}

// TestGroupWorkerNoAlloc decodes 802.1Q-tagged frames and counts them
// through a worker of a group, some to a subnet in detail logging (its
// connection table and its evidence buffer): once the tables are at their
// working size, no frame allocates.
func TestGroupWorkerNoAlloc(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.2.2.0/24"), Threshold: 0.001}, subnet.Preload{Prefix: pfx("10.1.1.0/24"), Threshold: 1e9})
	e, _ := newEngine(t, c)
	e.SetEvidence(&evRecorder{})
	g, err := watchdog.NewGroup(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Done(1)
	defer g.Done(0)
	g.Start(t0)
	// One frame over the threshold, then the boundary puts 10.2.2.0 in
	// detail logging in both workers.
	w := g.Worker(0)
	w.Packet(tcp(t0+1, "10.1.1.1", 1, "10.2.2.2", 2, 1000))
	go g.Worker(1).Advance(t0 + minute)
	w.Advance(t0 + minute)
	frame := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, // Ethernet, 802.1Q tag 10
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, 10, 2, 2, 2, // IPv4 UDP
		0x10, 0x00, 0x00, 0x35, 0, 8, 0, 0,
	}
	dec, err := watchdog.NewDecoder(watchdog.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	var p watchdog.Packet
	at := t0 + minute + 1
	count := func() {
		at++
		frame[len(frame)-7]++ // another source port: connections come and go
		p.Time, p.Len = at, uint32(len(frame))
		dec.Decode(frame, &p)
		w.PacketFrame(&p, frame)
	}
	for range 5000 {
		count()
	}
	if p.Kind != watchdog.KindIP || p.Src != ip("10.1.1.1") {
		t.Fatalf("decoded %+v", p)
	}
	if n := testing.AllocsPerRun(2000, count); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

// TestGroupEvidenceBound: a worker keeps at most 64 MiB of evidence
// frames between flushes; those that do not fit are left out and counted
// in the report of their subnet.
func TestGroupEvidenceBound(t *testing.T) {
	c := cfg(subnet.Preload{Prefix: pfx("10.2.2.0/24"), Threshold: 0.001})
	c.Report = time.Minute
	e, rec := newEngine(t, c)
	ev := &evRecorder{}
	e.SetEvidence(ev)
	g, err := watchdog.NewGroup(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	g.Start(t0)
	w := g.Worker(0)
	w.Packet(tcp(t0+1, "10.1.1.1", 1, "10.2.2.2", 2, 1000))
	go g.Worker(1).Advance(t0 + minute)
	w.Advance(t0 + minute) // 10.2.2.0 logs from here
	data := make([]byte, 512)
	const frames, fit = 140000, 64 << 20 / 512
	for i := range frames {
		w.PacketFrame(tcp(t0+minute+int64(i), "10.1.1.1", 1, "10.2.2.2", 2, 512), data)
	}
	ev.calls = ev.calls[:0]
	done := make(chan struct{})
	go func() {
		g.Worker(1).Advance(t0 + 2*minute)
		g.Done(1)
		close(done)
	}()
	w.Advance(t0 + 2*minute)
	g.Done(0)
	<-done
	n := 0
	for _, c := range ev.calls {
		if len(c) > 5 && c[:5] == "frame" {
			n++
		}
	}
	if n != fit {
		t.Errorf("%d frames written, want %d", n, fit)
	}
	if len(rec.reports) != 1 || rec.reports[0].EvidenceDropped != frames-fit {
		t.Fatalf("reports %d, want 1 with %d frames left out: %+v", len(rec.reports), frames-fit, rec.reports)
	}
}

// TestGroupSnapshotConns: the connections of a logging subnet asked for
// (the --tui detail view) come from every worker's table.
func TestGroupSnapshotConns(t *testing.T) {
	e, _ := newEngine(t, cfg())
	g, err := watchdog.NewGroup(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	g.Start(t0)
	both := func(a, b int64) { // both workers look at the clock
		done := make(chan struct{})
		go func() {
			g.Worker(0).Advance(a)
			close(done)
		}()
		g.Worker(1).Advance(b)
		<-done
	}
	g.Worker(0).Packet(tcp(t0+1, "10.1.1.1", 1, "10.2.2.2", 2, 700000)) // over 10 kB/s: logging
	both(t0+minute, t0+minute+1)
	g.Worker(0).Packet(tcp(t0+minute+2, "10.1.1.1", 1, "10.2.2.2", 2, 100))
	g.Worker(1).Packet(tcp(t0+minute+3, "10.3.3.3", 1, "10.2.2.2", 2, 200))
	conns := make(chan []report.Row, 1)
	e.SnapshotConns(pfx("10.2.2.0/24"), 10, func(r []report.Row) { conns <- r })
	e.Snapshot(func(*report.Period) {})
	both(t0+minute+30e9, t0+minute+31e9)
	var rows []report.Row
	select {
	case rows = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("SnapshotConns not answered")
	}
	got := map[string]uint64{}
	for _, r := range rows {
		other := r.Src // the side that is not 10.2.2.2
		if other == netip.MustParseAddr("10.2.2.2") {
			other = r.Dst
		}
		got[other.String()] = r.Bytes
	}
	if got["10.1.1.1"] != 100 || got["10.3.3.3"] != 200 {
		t.Errorf("connections of 10.2.2.0/24 = %+v, want 10.1.1.1 with 100 bytes (worker 0) and 10.3.3.3 with 200 (worker 1)", rows)
	}
	done := make(chan struct{})
	go func() {
		g.Worker(0).Advance(t0 + 2*minute)
		g.Done(0)
		close(done)
	}()
	g.Worker(1).Advance(t0 + 2*minute + 1)
	g.Done(1)
	<-done
}
