package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// TestPageKeepsQuietSubnet replays, in dynamic mode, a subnet that logs
// and is reported for four minutes, then goes quiet while another subnet
// ticks on: the last page still shows it, with its graphs and reports,
// where it used to say "No subnet to show this period".
func TestPageKeepsQuietSubnet(t *testing.T) {
	dir := t.TempDir()
	capture, page := filepath.Join(dir, "quiet.pcap"), filepath.Join(dir, "ipband.html")
	f, err := os.Create(capture)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	busy := udpFrame(t, 1400) // 10.0.0.1 -> 10.0.0.2
	tick := append([]byte(nil), udpFrame(t, 60)...)
	copy(tick[26:34], []byte{10, 9, 9, 1, 10, 9, 9, 2}) // another subnet, 1 byte/s
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	write := func(at time.Duration, frame []byte) {
		ci := gopacket.CaptureInfo{Timestamp: start.Add(at), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	for s := range 8 * 60 {
		if s < 4*60 {
			write(time.Duration(s)*time.Second, busy)
		}
		if s%60 == 30 {
			write(time.Duration(s)*time.Second+time.Millisecond, tick)
		}
	}
	f.Close()
	r := ipband(t, "-C", "--read", capture, "-a", "60", "-r", "120", "-b", "1", "-w", page, "-o", "OUT")
	if r.code != 0 || !strings.Contains(r.outfile, "Network: 10.0.0.0") {
		t.Fatalf("exit %d, want a report of 10.0.0.0; stderr:\n%s", r.code, r.stderr)
	}
	html := fileText(page)
	for _, want := range []string{
		`<tr id="row-s-10.0.0.0-24" class="quiet">`,
		"no traffic this period",
		`<section id="s-10.0.0.0-24">`,
		`ipband-reports.html#r-10.0.0.0-24-`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the last page lacks %q", want)
		}
	}
	if strings.Contains(html, "No subnet to show") {
		t.Error("the last page shows no subnet")
	}
}
