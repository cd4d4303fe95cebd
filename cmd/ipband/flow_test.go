package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ipband/watchdog/flow/flowtest"
)

// flowArgs replays a recorded export (softflowd's NetFlow v9, IPFIX or v5
// export of classic.pcap) with the classic branch thresholds.
func flowArgs(file string) []string {
	return []string{"-c", filepath.Join(td, "classic.conf"), "--read", filepath.Join(td, file), "--flow-listen", ":2055", "-d", "2", "-o", "-"}
}

// TestFlowReplayGolden replays a recorded NetFlow v9 export: the -d 2
// table with the exporter's health, the reports from flow records, and
// the exit summary with its "N records, B bytes".
func TestFlowReplayGolden(t *testing.T) {
	args := flowArgs("flows-v9.pcap")
	r := ipband(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	golden(t, "flows-v9", r.transcript(args))
	// The stats stream with the exporter's health (checked against its
	// schema by report's TestGoldensMatchSchema).
	spath := filepath.Join(t.TempDir(), "stats.json")
	if r := ipband(t, append(flowArgs("flows-v9.pcap"), "-d", "0", "-o", "OUT", "--stats-file", spath)...); r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	golden(t, "stats-flows-v9.jsonl", flowFile(t, spath))
}

// TestFlowReplayFormats replays the same traffic exported as NetFlow v5,
// v9 and IPFIX: every record and byte is counted, the same subnet is
// reported, with the same top connection.
func TestFlowReplayFormats(t *testing.T) {
	var tops []string
	for _, f := range []string{"flows-v5.pcap", "flows-v9.pcap", "flows-ipfix.pcap"} {
		r := ipband(t, flowArgs(f)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d:\n%s", f, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "exporter 127.0.0.1: 174 datagrams, 407 records, 34364415 bytes") {
			t.Errorf("%s: exit summary:\n%s", f, r.stderr)
		}
		i := strings.Index(r.stdout, "Network: ")
		if i < 0 {
			t.Fatalf("%s: no report:\n%s", f, r.stdout)
		}
		rows := strings.SplitN(r.stdout[i:], "\n", 9)
		tops = append(tops, rows[0]+"\n"+strings.Join(strings.Fields(rows[7])[:6], " "))
	}
	if tops[0] != tops[1] || tops[1] != tops[2] {
		t.Errorf("first reports differ:\n%s", strings.Join(tops, "\n"))
	}
}

// TestFlowOptions checks -d 1's listing of the flow source and exporters.
func TestFlowOptions(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipband.conf")
	os.WriteFile(cfg, []byte("flowexporter 127.0.0.1 name edge1 sampling 10 interfaces 2,3\nflowgrace 90\n"), 0o644)
	r := ipband(t, "-c", cfg, "--read", filepath.Join(td, "flows-v9.pcap"), "--flow-listen", ":2055", "-d", "1", "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"flow exports in file " + filepath.Join(td, "flows-v9.pcap") + ", UDP port 2055",
		"127.0.0.1 name edge1 sampling 10 interfaces 2,3; grace 90s, skew 300s",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-d 1 lacks %q:\n%s", want, r.stdout)
		}
	}
	// interfaces 2,3: softflowd's records carry interface 0: none count.
	if !strings.Contains(r.stderr, "exporter 127.0.0.1 (edge1): 174 datagrams, 0 records, 0 bytes") {
		t.Errorf("exit summary:\n%s", r.stderr)
	}
}

// TestFlowBadListen checks that a bad listener stops ipband at start with
// exit status 2, naming the flag.
func TestFlowBadListen(t *testing.T) {
	for _, a := range []string{"2055", "host.example:2055", ":99999"} {
		r := ipband(t, "-C", "--flow-listen", a, "-o", "OUT")
		if r.code != exitUsage || !strings.Contains(r.stderr, "flag --flow-listen") {
			t.Errorf("--flow-listen %s: exit %d:\n%s", a, r.code, r.stderr)
		}
	}
	r := ipband(t, "-C", "--flow-listen", ":2055", "-i", "lo", "-o", "OUT")
	if r.code != exitUsage || !strings.Contains(r.stderr, "flag --flow-listen: flow listeners replace the capture") {
		t.Errorf("--flow-listen with -i: exit %d:\n%s", r.code, r.stderr)
	}
	r = ipband(t, "-C", "--read", filepath.Join(td, "flows-v9.pcap"), "--flow-listen", ":0", "-o", "OUT")
	if r.code != exitUsage || !strings.Contains(r.stderr, "replay needs the port") {
		t.Errorf("replay to port 0: exit %d:\n%s", r.code, r.stderr)
	}
}

// TestFlowListenLive runs ipband with a flow listener on 127.0.0.1, sends
// it a recorded export, and checks the exit summary, the metrics and the
// status page: every datagram, record and byte counted, under the
// exporter's name.
func TestFlowListenLive(t *testing.T) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)
	udp.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mport := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dir := t.TempDir()
	cfg, html := filepath.Join(dir, "ipband.conf"), filepath.Join(dir, "status.html")
	os.WriteFile(cfg, []byte("flowlisten 127.0.0.1:"+port+"\nflowexporter 127.0.0.1 name edge1\nflowgrace 1\naverage 2\n"), 0o644)
	var stdout, stderr lockedBuffer
	env := environment{stdout: &stdout, stderr: &stderr, networks: filepath.Join(td, "networks"),
		services: filepath.Join(td, "none"), protocols: filepath.Join(td, "none")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-c", cfg, "-o", filepath.Join(dir, "report.txt"), "-w", html,
			"--metrics-listen", "127.0.0.1:" + mport}, env)
	}()
	tx, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	dgs, _ := flowtest.Recorded(t, filepath.Join(td, "flows-v9.pcap"))
	scrape := func() string {
		resp, err := http.Get("http://127.0.0.1:" + mport + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	const want = `ipband_flow_records_total{exporter="127.0.0.1",name="edge1"} 407`
	deadline := time.Now().Add(30 * time.Second)
	sent := false
	for !strings.Contains(scrape(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s:\n%s\nstderr:\n%s", want, scrape(), stderr.String())
		}
		if !sent && strings.Contains(scrape(), "ipband_periods_total") {
			for _, d := range dgs { // paced: the kernel buffer is not the subject here
				if _, err := tx.Write(d); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond)
			}
			sent = true
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ipband did not stop after its context was cancelled")
	}
	if s := stderr.String(); !strings.Contains(s, "exporter 127.0.0.1 (edge1): 174 datagrams, 407 records, 34364415 bytes") ||
		!strings.Contains(s, "its flow times are off the clock by") {
		t.Errorf("log:\n%s", s)
	}
	if page := flowFile(t, html); !strings.Contains(page, "Exporter edge1") {
		t.Errorf("status page lacks the exporter:\n%s", page)
	}
}

// flowFile returns the content of path, or "" when it cannot be read.
func flowFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Log(err)
	}
	return string(b)
}

// TestFlowTrace checks -d 3 with flows: a line per record counted.
func TestFlowTrace(t *testing.T) {
	r := ipband(t, "-C", "--read", filepath.Join(td, "flows-v5.pcap"), "--flow-listen", ":2055", "-d", "3", "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, " flow 127.0.0.1 proto "); n != 407 {
		t.Errorf("%d record lines, want 407:\n%.2000s", n, r.stdout)
	}
}

// TestFlowIgnored checks that what applies to frames only is said to be
// ignored with flows.
func TestFlowIgnored(t *testing.T) {
	r := ipband(t, "-C", "--read", filepath.Join(td, "flows-v5.pcap"), "--flow-listen", ":2055", "-f", "udp", "-J", "4",
		"--evidence-dir", t.TempDir(), "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"flag -f/--filter: filter does not apply", "flag -J/--lenadj: lenadj does not apply",
		"evidence captures do not apply to flow records"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "407 records, 34364415 bytes") {
		t.Errorf("lenadj changed the bytes:\n%s", r.stderr)
	}
}
