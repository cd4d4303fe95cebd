package evidence_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"ipband/conf"
	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/evidence"
	"ipband/watchdog/pcapfile"
)

const td = "../../testdata"

// recorder keeps the reports an engine makes.
type recorder struct {
	mu      sync.Mutex
	reports []report.Report
}

func (r *recorder) Period(*report.Period) {}
func (r *recorder) Report(x report.Report) {
	r.mu.Lock()
	r.reports = append(r.reports, x)
	r.mu.Unlock()
}

func (r *recorder) all() []report.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report.Report(nil), r.reports...)
}

// classicConfig is the engine configuration of testdata/classic.conf, as
// ipband builds it, with every connection in the reports.
func classicConfig(t *testing.T) watchdog.Config {
	t.Helper()
	cfg, err := conf.Load(filepath.Join(td, "classic.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var pre []subnet.Preload
	for _, p := range cfg.Preloaded() {
		pre = append(pre, subnet.Preload{Prefix: p.Prefix, Threshold: p.Threshold})
	}
	return watchdog.Config{
		Average: cfg.Average, Report: cfg.Report, Top: 0, MaxConns: cfg.MaxConns,
		Subnets: subnet.Options{MaskBits: cfg.MaskBits, MaskBits6: cfg.MaskBits6, Threshold: cfg.Bandwidth,
			Preload: pre, MaxDynamic: cfg.MaxSubnets},
	}
}

// replayFile replays a capture file into a new engine with evidence in
// dir; it returns the reports.
func replayFile(t *testing.T, cfg watchdog.Config, capture string, opt evidence.Options) []report.Report {
	t.Helper()
	f, err := pcapfile.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opt.LinkType, opt.Snaplen = f.LinkType(), f.Snaplen()
	d, err := evidence.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	e, err := watchdog.New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvidence(d)
	if err := watchdog.Replay(context.Background(), f, e, watchdog.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return rec.all()
}

// replayEvidence replays an episode's evidence file with the thresholds
// of cfg, as ipband --read does: the file's comment names the subnet and
// the episode's start, at which the engine starts with the subnet in
// detail logging. It returns the reports about that subnet.
func replayEvidence(t *testing.T, cfg watchdog.Config, path string) []report.Report {
	t.Helper()
	f, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sub, start, ok := evidence.ParseEpisode(f.Comment())
	if !ok {
		t.Fatalf("%s: comment %q does not name an episode", path, f.Comment())
	}
	rec := &recorder{}
	e, err := watchdog.New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.StartEpisode(sub, start); err != nil {
		t.Fatal(err)
	}
	if err := watchdog.Replay(context.Background(), f, e, watchdog.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	return reportsOf(rec.all(), sub)
}

// reportsOf returns the reports of sub.
func reportsOf(all []report.Report, sub netip.Prefix) []report.Report {
	var out []report.Report
	for _, r := range all {
		if r.Subnet == sub {
			out = append(out, r)
		}
	}
	return out
}

// sameRows compares the reports' times, connections and bytes.
func sameRows(t *testing.T, want, got []report.Report) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replay made %d reports, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if !g.Time.Equal(w.Time) || !g.Start.Equal(w.Start) || g.Exceeded != w.Exceeded {
			t.Errorf("report %d: %v from %v (%v), want %v from %v (%v)", i, g.Time, g.Start, g.Exceeded, w.Time, w.Start, w.Exceeded)
		}
		if !reflect.DeepEqual(g.Rows, w.Rows) || g.Hidden != w.Hidden {
			t.Errorf("report %d: replayed rows differ:\n got %v\nwant %v", i, g.Rows, w.Rows)
		}
	}
}

// TestReplayReproducesReports: replaying testdata/classic.pcap writes the
// evidence of 10.10.123.0's episode, named in both its reports; replaying
// that file with the same thresholds, started on the episode its comment
// names, makes the same two reports, row for row. 10.10.81.0's episode
// ends without a report: its file is deleted.
func TestReplayReproducesReports(t *testing.T) {
	dir := t.TempDir()
	cfg := classicConfig(t)
	reports := replayFile(t, cfg, filepath.Join(td, "classic.pcap"), evidence.Options{Dir: dir})
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2", len(reports))
	}
	path := reports[0].Evidence
	if want := filepath.Join(dir, "ipband-10.10.123.0_24-20010806T100100Z.pcapng"); path != want || reports[1].Evidence != want {
		t.Fatalf("evidence %q and %q, want %q", path, reports[1].Evidence, want)
	}
	if reports[0].EvidenceDropped != 0 || reports[1].EvidenceDropped != 0 {
		t.Errorf("frames dropped: %d, %d", reports[0].EvidenceDropped, reports[1].EvidenceDropped)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the directory, want only the reported episode's", len(ents))
	}
	sameRows(t, reports, replayEvidence(t, cfg, path))

	var text strings.Builder
	report.WriteText(&text, reports[0], nil)
	if !strings.Contains(text.String(), "\nEvidence: "+path+"\n") {
		t.Errorf("text report does not name the evidence:\n%s", text.String())
	}
}

// TestFrameNoAlloc pins the per-packet cost: a frame of a logging subnet
// is copied into the queue without allocating.
func TestFrameNoAlloc(t *testing.T) {
	// The writer sleeps through the measurement (a poll of an hour), so
	// that its allocations (the episode's file, its buffer) are not
	// counted as Frame's: AllocsPerRun counts every goroutine's.
	d, err := evidence.Open(evidence.Options{Dir: t.TempDir(), LinkType: 1, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	waitBlocked(t, "evidence.(*Dir).run")
	sub := netip.MustParsePrefix("10.0.0.0/24")
	d.Start(sub, 1)
	frame := make([]byte, 1514)
	n := testing.AllocsPerRun(1000, func() { d.Frame(sub, 2, 1514, frame) })
	if n != 0 {
		t.Errorf("Frame allocates %v times per frame", n)
	}
}

// TestQueueFull: when the writer cannot keep up, frames are dropped and
// counted, never waited for, and the report says how many.
func TestQueueFull(t *testing.T) {
	d, err := evidence.Open(evidence.Options{Dir: t.TempDir(), LinkType: 1, Buffer: 10 * 1000, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sub := netip.MustParsePrefix("10.0.0.0/24")
	d.Start(sub, 1)
	frame := make([]byte, 1000)
	for i := range 25 {
		d.Frame(sub, int64(2+i), 1000, frame)
	}
	path, dropped := d.Report(sub)
	if dropped != 15 || d.Dropped() != 15 {
		t.Errorf("dropped %d (in all %d), want 15 of 25 with room for 10", dropped, d.Dropped())
	}
	d.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := headerLen(sub, 1) + 10*(32+1000); fi.Size() != want {
		t.Errorf("file holds %d bytes, want %d (header and 10 frames)", fi.Size(), want)
	}
	if n := countRecords(t, path); n != 10 {
		t.Errorf("file holds %d frames, want 10", n)
	}
	var text strings.Builder
	report.WriteText(&text, report.Report{Evidence: path, EvidenceDropped: dropped}, nil)
	if !strings.Contains(text.String(), "Evidence: "+path+" (15 frames not saved)\n") {
		t.Errorf("text report:\n%s", text.String())
	}
}

// TestCaps: a file stops at MaxFile; the directory stays under MaxTotal
// by deleting the oldest finished files, from earlier runs first, and
// leaves other files alone.
func TestCaps(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i, name := range []string{"ipband-a.pcap", "ipband-b.pcapng", "notes.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 4000), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old.Add(time.Duration(i)*time.Minute), old.Add(time.Duration(i)*time.Minute))
	}
	var logs []string
	d, err := evidence.Open(evidence.Options{Dir: dir, LinkType: 1, MaxFile: 5000, MaxTotal: 9000, Poll: time.Millisecond,
		Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	sub := netip.MustParsePrefix("10.0.0.0/24")
	d.Start(sub, 1)
	frame := make([]byte, 968) // 1000 bytes a record
	for i := range 10 {
		d.Frame(sub, int64(2+i), 968, frame)
	}
	path, _ := d.Report(sub)
	d.End(sub)
	d.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := headerLen(sub, 1) + 4*1000; fi.Size() != want {
		t.Errorf("file %d bytes, want %d (MaxFile 5000: header and 4 frames)", fi.Size(), want)
	}
	if exists("ipband-a.pcap") || !exists("ipband-b.pcapng") || !exists("notes.txt") {
		t.Errorf("want the oldest ipband file deleted, the newer one and other files kept")
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "6 frame(s) not saved: size cap reached") {
		t.Errorf("logs %q", logs)
	}
}

// headerLen is the length of the section header and interface
// description of the file of sub's episode that started at start.
func headerLen(sub netip.Prefix, start int64) int64 {
	c := len(evidence.FormatEpisode(sub, start))
	return int64(28+4+(c+3)&^3+4) + 32
}

// countRecords reads the pcapng file at path with gopacket's reader, as
// other tools would, and returns its frames; the file must also be one
// pcapfile reads to the end.
func countRecords(t *testing.T, path string) int {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := pcapgo.NewNgReader(fh, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("%s: frame %d: %v", path, n+1, err)
			}
			break
		}
		n++
	}
	f, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Drain(); err != nil || f.Records() != uint64(n) {
		t.Errorf("%s: pcapfile read %d frames (%v), gopacket %d", path, f.Records(), err, n)
	}
	return n
}

// TestEvidenceFormat: an evidence file is a pcapng file that other tools
// read, with the capture's link type and snap length, nanosecond times,
// and the episode in its section's comment.
func TestEvidenceFormat(t *testing.T) {
	d, err := evidence.Open(evidence.Options{Dir: t.TempDir(), LinkType: 113, Snaplen: 96, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sub := netip.MustParsePrefix("2001:db8:1::/64")
	start := time.Date(2001, 8, 6, 10, 1, 0, 123456789, time.UTC).UnixNano()
	d.Start(sub, start)
	frames := [][]byte{make([]byte, 60), make([]byte, 96), make([]byte, 97), {1, 2, 3}}
	for i, f := range frames {
		d.Frame(sub, start+int64(i)*1001, uint32(len(f)+i), f)
	}
	path, _ := d.Report(sub)
	d.Close()
	if want := "ipband-2001-db8-1--_64-20010806T100100Z.pcapng"; filepath.Base(path) != want {
		t.Errorf("file %s, want %s", filepath.Base(path), want)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	ng, err := pcapgo.NewNgReader(fh, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := "ipband evidence: subnet 2001:db8:1::/64 episode-start 2001-08-06T10:01:00.123456789Z"
	if c := ng.SectionInfo().Comment; c != want {
		t.Errorf("gopacket reads the comment %q, want %q", c, want)
	}
	if ng.LinkType() != 113 {
		t.Errorf("link type %d, want 113", ng.LinkType())
	}
	f, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Comment() != want || f.LinkType() != 113 || f.Snaplen() != 96 {
		t.Errorf("pcapfile: comment %q, link type %d, snaplen %d", f.Comment(), f.LinkType(), f.Snaplen())
	}
	var rec pcapfile.Record
	for i, fr := range frames {
		if err := f.Next(&rec); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		wantLen := min(len(fr), 96)
		if rec.Time != start+int64(i)*1001 || len(rec.Data) != wantLen || rec.Len != uint32(max(len(fr)+i, wantLen)) {
			t.Errorf("frame %d: time %d, %d of %d bytes; want %d, %d of %d", i, rec.Time, len(rec.Data), rec.Len,
				start+int64(i)*1001, wantLen, len(fr)+i)
		}
	}
	if err := f.Next(&rec); !errors.Is(err, io.EOF) {
		t.Errorf("after the frames: %v, want io.EOF", err)
	}
}

// TestEpisodeComment: the comment round-trips, and nothing else parses
// as one.
func TestEpisodeComment(t *testing.T) {
	for _, c := range []struct {
		sub   string
		start int64
	}{
		{"10.10.123.0/24", time.Date(2001, 8, 6, 10, 1, 0, 0, time.UTC).UnixNano()},
		{"2001:db8::/64", 1},
		{"0.0.0.0/0", 0},
		{"192.0.2.128/25", time.Date(2199, 12, 31, 23, 59, 59, 999999999, time.UTC).UnixNano()},
	} {
		sub := netip.MustParsePrefix(c.sub)
		text := evidence.FormatEpisode(sub, c.start)
		got, start, ok := evidence.ParseEpisode(text)
		if !ok || got != sub || start != c.start {
			t.Errorf("%q parses as %v %d %v, want %v %d", text, got, start, ok, sub, c.start)
		}
	}
	if got := evidence.FormatEpisode(netip.MustParsePrefix("10.10.123.0/24"), time.Date(2001, 8, 6, 10, 1, 0, 0, time.UTC).UnixNano()); got != "ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z" {
		t.Errorf("FormatEpisode: %q", got)
	}
	for _, bad := range []string{
		"",
		"captured at the halifax branch",
		"ipband evidence: subnet 10.10.123.0/24",
		"ipband evidence: subnet 10.10.123.0/24 episode-start",
		"ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00Z",
		"ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000+02:00",
		"ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z trailing",
		"ipband evidence: subnet 10.10.123.7/24 episode-start 2001-08-06T10:01:00.000000000Z",
		"ipband evidence: subnet 10.10.123.0 episode-start 2001-08-06T10:01:00.000000000Z",
		"ipband evidence: subnet  10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z",
		"IPBAND EVIDENCE: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z",
	} {
		if sub, start, ok := evidence.ParseEpisode(bad); ok {
			t.Errorf("%q parses as %v %d", bad, sub, start)
		}
	}
}

// TestOpenChecks: a directory that is missing or not writable is an error
// at start.
func TestOpenChecks(t *testing.T) {
	if _, err := evidence.Open(evidence.Options{Dir: filepath.Join(t.TempDir(), "none"), LinkType: 1}); err == nil {
		t.Error("no error for a missing directory")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := evidence.Open(evidence.Options{Dir: file, LinkType: 1}); err == nil {
		t.Error("no error for a file")
	}
}

// TestEnginePacketNoAlloc pins the hot path with evidence on: a packet of
// a logging subnet, counted, added to its detail and copied to the
// evidence queue, allocates nothing.
func TestEnginePacketNoAlloc(t *testing.T) {
	sub := netip.MustParsePrefix("10.0.0.0/24")
	e, err := watchdog.New(watchdog.Config{Average: time.Second, Report: time.Hour, MaxConns: 10,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1, MaxDynamic: 10,
			Preload: []subnet.Preload{{Prefix: sub, Threshold: 1}}}}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	// AllocsPerRun counts the allocations of every goroutine, and the
	// writer's (the episode's file, its buffer) are not the engine's. With
	// a poll of an hour the writer sleeps through the measurement, and the
	// frames wait in the queue until Close: wait until it sleeps.
	d, err := evidence.Open(evidence.Options{Dir: t.TempDir(), LinkType: 1, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	waitBlocked(t, "evidence.(*Dir).run")
	e.SetEvidence(d)
	frame := make([]byte, 1514)
	p := &watchdog.Packet{Time: 1e9, Len: 1514, Kind: watchdog.KindIP, Proto: 6,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("192.0.2.1"), SrcPort: 1, DstPort: 2}
	e.PacketFrame(p, frame)
	p.Time = 2e9 + 1 // closes period 0: 10.0.0.0 starts logging
	e.PacketFrame(p, frame)
	if n := testing.AllocsPerRun(1000, func() { e.PacketFrame(p, frame) }); n != 0 {
		t.Errorf("PacketFrame allocates %v times per packet", n)
	}
	path, _ := d.Report(sub)
	d.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 1000*1530 && d.Dropped() == 0 {
		t.Errorf("evidence holds %d bytes, want the 1000 frames", fi.Size())
	}
}

// waitBlocked waits until the goroutine running fn (as runtime.Stack names
// it) is blocked in a select, failing the test after 30 s.
func waitBlocked(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if head, _, _ := strings.Cut(g, "\n"); strings.Contains(head, "[select") && strings.Contains(g, fn) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no goroutine running %s blocked in a select", fn)
		}
	}
}
