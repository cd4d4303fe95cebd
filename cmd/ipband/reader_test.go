//go:build cgo && linux

package main

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ipband/watchdog/vethtest"
)

// TestReadersSameReports runs ipband twice at once on one end of a veth
// pair, once through the AF_PACKET ring and once through libpcap, sends
// the same frames to both (some VLAN tagged, to two subnets, on three
// ports), and compares what they say: the same reports but for their
// times, the same exit counts, each naming its reader.
func TestReadersSameReports(t *testing.T) {
	v := vethtest.New(t, "q")
	bin := buildIpband(t)
	dir := t.TempDir()
	type run struct {
		reader, want string
		cmd          *exec.Cmd
		stdout       lockedBuffer
		stderr       lockedBuffer
		json         string
	}
	runs := []*run{
		{reader: "afpacket", want: "(AF_PACKET TPACKET_V3 ring, 64 MiB)"},
		{reader: "libpcap", want: "(libpcap, 64 MiB buffer)"},
	}
	for _, r := range runs {
		r.json = filepath.Join(dir, r.reader+".json")
		r.cmd = exec.Command("ip", "netns", "exec", v.NsA, bin, "-C", "-i", v.DevA, "-a", "4", "-r", "4", "-b", "5", "-d", "1",
			"-f", "udp and dst portrange 9-11", "--reader", r.reader, "--json-file", r.json, "-o", filepath.Join(dir, r.reader+".txt"))
		r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() }) //nolint:errcheck // stopped below when the test passes
	}
	fail := func(format string, args ...any) {
		t.Helper()
		for _, r := range runs {
			format += "\n" + r.reader + " stderr:\n%s\nstdout:\n%s"
			args = append(args, r.stderr.String(), r.stdout.String())
		}
		t.Fatalf(format, args...)
	}
	waitFor := func(d time.Duration, what string, cond func(r *run) bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for _, r := range runs {
			for !cond(r) {
				if time.Now().After(deadline) {
					fail("timed out waiting for %s", what)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	waitFor(20*time.Second, "both captures to start", func(r *run) bool {
		return strings.Contains(r.stdout.String()+r.stderr.String(), "Capture: interface "+v.DevA)
	})
	// A report needs two periods over the threshold: send the same
	// traffic twice, well inside the first and the second period of both
	// (their periods start within a few milliseconds of each other).
	started := time.Now()
	raw := v.RawFromB()
	sent := 0
	for burst := range 2 {
		time.Sleep(time.Until(started.Add(time.Duration(1+4*burst) * time.Second)))
		for _, f := range []struct {
			dst  string
			port uint16
			size int
			tags []uint16
			n    int
		}{
			{"198.18.0.9", 9, 600, nil, 1500},
			{"198.18.0.9", 10, 400, []uint16{0x8100, 10}, 1200},
			{"198.18.1.7", 11, 1000, []uint16{0x8100, 20}, 900},
			{"198.18.1.7", 12, 1000, nil, 700}, // filtered out
		} {
			if err := raw.Send(v.UDPFrame(f.dst, f.port, f.size, f.tags...), f.n); err != nil {
				t.Fatal(err)
			}
			if f.port != 12 {
				sent += f.n
			}
		}
	}
	waitFor(30*time.Second, "both subnets reported", func(r *run) bool {
		b, _ := os.ReadFile(r.json)
		return strings.Count(string(b), "\n") >= 2
	})
	for _, r := range runs {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		if err := r.cmd.Wait(); err != nil {
			fail("ipband --reader %s: %v", r.reader, err)
		}
	}
	var reports [2][]string
	summary := regexp.MustCompile(`interface \S+ (\([^)]*\)): (\d+) packets: (.*)`)
	var counts [2]string
	for i, r := range runs {
		b, err := os.ReadFile(r.json)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %v: %s", r.json, err, line)
			}
			delete(m, "time")
			delete(m, "start")
			out, _ := json.Marshal(m)
			reports[i] = append(reports[i], string(out))
		}
		slices.Sort(reports[i])
		m := summary.FindStringSubmatch(r.stderr.String())
		if m == nil || m[1] != r.want {
			fail("%s: no exit summary naming the reader %s", r.reader, r.want)
		}
		if capture := "Capture: interface " + v.DevA + ", link type 1 (EN10MB), " + strings.Trim(r.want, "()"); !strings.Contains(r.stdout.String(), capture) {
			fail("%s: -d 1 does not say %q", r.reader, capture)
		}
		counts[i] = m[2] + " packets: " + m[3]
	}
	// The ring's reports hold the second burst, VLAN tags counted; the
	// datagrams to port 11 are in the reports of both subnets.
	bytes := map[float64]float64{}
	for _, line := range reports[0] {
		var r struct{ Connections []map[string]any }
		json.Unmarshal([]byte(line), &r) //nolint:errcheck // it was decoded above
		for _, c := range r.Connections {
			bytes[c["dst_port"].(float64)] += c["bytes"].(float64)
		}
	}
	if want := map[float64]float64{9: 1500 * (600 + 42), 10: 1200 * (400 + 46), 11: 2 * 900 * (1000 + 46)}; !maps.Equal(bytes, want) {
		t.Errorf("bytes by port %v, want %v", bytes, want)
	}
	if !slices.Equal(reports[0], reports[1]) || len(reports[0]) != 2 {
		t.Errorf("reports differ, or are not one per subnet:\nring:    %q\nlibpcap: %q", reports[0], reports[1])
	}
	if want := strings.Replace("N packets: N IP, 0 not IP, 0 malformed, 0 dropped", "N", strconv.Itoa(sent), 2); counts[0] != want || counts[1] != want {
		t.Errorf("exit counts %q and %q, want %q", counts[0], counts[1], want)
	}
}
