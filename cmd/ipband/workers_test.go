package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantGolden compares got with the golden name, which it must equal byte
// for byte.
func wantGolden(t *testing.T, name, got string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(td, "golden", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("differs from %s.golden:\n%s", name, diff(string(want), got))
	}
}

// TestGoldenWorkers replays every golden capture with 1 to 4 workers,
// each counting the frames the fanout program would hand it (the same
// address-pair hash), and compares every output with the golden of one
// engine: the -d 2 tables, the reports, the report file, the exit
// summary; and the JSON reports, the stats stream and the status page of
// the classic capture; the damaged captures' transcripts. -d 3 prints
// each frame as its worker counts it, in no order across workers: those
// lines are compared as a set. One golden is left out: "limits" fills
// the subnet and connection tables, whose evictions follow the order
// frames come in, which splitting them changes.
func TestGoldenWorkers(t *testing.T) {
	type run struct {
		name string
		args []string
	}
	var runs []run
	for _, tc := range goldenCases {
		if tc.name == "limits" {
			continue
		}
		runs = append(runs, run{tc.name, tc.args})
	}
	for _, l := range append([]string{"eth-pcapng"}, linkTypes...) {
		file := "link-" + l + ".pcap"
		if l == "eth-pcapng" {
			file = "link-eth.pcapng"
		}
		runs = append(runs, run{"link-" + l, []string{"-C", "--read", td + "/" + file, "-d", "3", "-b", "1", "-a", "10", "-r", "20", "-t", "5", "-o", "-"}})
	}
	for _, m := range []struct{ file, average, report, bandwidth string }{
		{"malformed-frames.pcap", "1", "2", "10"},
		{"malformed-caplen.pcap", "1", "2", "10"},
		{"malformed-cut.pcap", "1", "2", "10"},
		{"malformed-timejump.pcap", "1", "2", "5"},
		{"malformed-pcapng-blocks.pcapng", "1", "2", "10"},
		{"malformed-pcapng-oversized.pcapng", "1", "2", "10"},
	} {
		runs = append(runs, run{strings.TrimSuffix(strings.TrimSuffix(m.file, ".pcap"), ".pcapng"),
			[]string{"-C", "--read", filepath.Join(td, m.file), "-d", "2", "-o", "OUT", "-a", m.average, "-r", m.report, "-b", m.bandwidth}})
	}
	for _, rc := range runs {
		for n := 1; n <= 4; n++ {
			t.Run(rc.name+"/"+strconv.Itoa(n), func(t *testing.T) {
				args := append(append([]string(nil), rc.args...), "--workers", strconv.Itoa(n))
				r := ipband(t, args...)
				got := r.transcript(rc.args)
				if i := slices.Index(rc.args, "-d"); rc.args[i+1] == "3" { // -d 3: the same lines, the frames' in any order
					want, err := os.ReadFile(filepath.Join(td, "golden", rc.name+".golden"))
					if err != nil {
						t.Fatal(err)
					}
					g, gt := splitTrace(got)
					w, wt := splitTrace(string(want))
					if g != w {
						t.Errorf("differs from %s.golden, -d 3 lines aside:\n%s", rc.name, diff(w, g))
					}
					if gt != wt {
						t.Errorf("-d 3 lines differ from %s.golden:\n%s", rc.name, diff(wt, gt))
					}
					return
				}
				wantGolden(t, rc.name, got)
			})
		}
	}
	for n := 1; n <= 4; n++ {
		t.Run("machine/"+strconv.Itoa(n), func(t *testing.T) {
			dir := t.TempDir()
			jpath, spath, hpath := filepath.Join(dir, "reports.json"), filepath.Join(dir, "stats.json"), filepath.Join(dir, "ipband.html")
			args := []string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-d", "2", "-t", "20", "-A", "-o", "OUT",
				"--json-file", jpath, "--stats-file", spath, "--workers", strconv.Itoa(n)}
			r := ipband(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			jtext, _ := jsonLines(t, jpath)
			stext, _ := jsonLines(t, spath)
			wantGolden(t, "json-classic-preloaded.jsonl", jtext)
			wantGolden(t, "stats-classic-preloaded.jsonl", stext)

			r = ipband(t, "-c", td+"/classic.conf", "--networks", td+"/networks", "--read", td+"/classic.pcap", "-w", hpath, "-o", "OUT",
				"--workers", strconv.Itoa(n))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for name, path := range map[string]string{
				"page-classic.html":         hpath,
				"page-classic-reports.html": strings.TrimSuffix(hpath, ".html") + "-reports.html",
			} {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				wantGolden(t, name, string(b))
			}
		})
	}
}

// splitTrace splits a transcript into its -d 3 lines (a frame's time
// first), sorted, and the others, in order.
func splitTrace(s string) (other, trace string) {
	var out, tr []string
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && strings.Count(f[0], ":") == 2 && strings.Contains(f[0], ".") && !strings.HasPrefix(l, "$") {
			tr = append(tr, l)
			continue
		}
		out = append(out, l)
	}
	slices.Sort(tr)
	return strings.Join(out, "\n"), strings.Join(tr, "\n")
}

// TestWorkersNeedRing: more than one worker on an interface the ring
// cannot read ("any") stops ipband at start with exit status 2, naming
// why; workers auto there is one worker, through libpcap, named by -d 1.
// On lo, --workers 2 runs, and -d 1 and the exit summary name them.
func TestWorkersNeedRing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW)")
	}
	r := ipband(t, "-C", "--workers", "2", "-o", "OUT", "any")
	if r.code != exitUsage || !strings.Contains(r.stderr, "2 workers need the AF_PACKET ring") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-C", "--workers", "auto", "-d", "1", "-o", filepath.Join(t.TempDir(), "r"), "any"}, testEnv(&stdout, &stderr))
	if code != exitOK || !strings.Contains(stdout.String(), "Capture: interface any, link type 113 (LINUX_SLL), libpcap") ||
		strings.Contains(stdout.String(), "workers") {
		t.Errorf("workers auto on any: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	// Two workers on lo: -d 1 and the exit summary name them.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	stdout.Reset()
	stderr.Reset()
	code = run(ctx2, []string{"-C", "--workers", "2", "-d", "1", "-o", filepath.Join(t.TempDir(), "r"), "lo"}, testEnv(&stdout, &stderr))
	if code != exitOK || !strings.Contains(stdout.String(), "AF_PACKET TPACKET_V3 ring, 64 MiB, 2 workers") ||
		!strings.Contains(stderr.String(), "interface lo (AF_PACKET TPACKET_V3 ring, 64 MiB, 2 workers): ") {
		t.Errorf("--workers 2 lo: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
