package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// jsonLines decodes a JSON Lines file into one map per line.
func jsonLines(t *testing.T, path string) (string, []map[string]any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, m)
	}
	return string(b), out
}

// TestJSONAndStatsFiles replays the classic capture with the JSON report
// file and the stats stream on, compares both with their goldens, and
// checks them against the text outputs of the same run: one JSON report
// per text report, one stats line per -d 2 table, the same subnets and
// kilobytes, and each report's rate that of its subnet in the period that
// fired it.
func TestJSONAndStatsFiles(t *testing.T) {
	dir := t.TempDir()
	jpath, spath := filepath.Join(dir, "reports.json"), filepath.Join(dir, "stats.json")
	args := []string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-d", "2", "-t", "20", "-A", "-o", "OUT",
		"--json-file", jpath, "--stats-file", spath}
	r := ipband(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	jtext, reports := jsonLines(t, jpath)
	stext, stats := jsonLines(t, spath)
	golden(t, "json-classic-preloaded.jsonl", jtext)
	golden(t, "stats-classic-preloaded.jsonl", stext)

	if n := strings.Count(r.outfile, "Date:"); n != len(reports) || n < 2 {
		t.Errorf("%d text reports, %d JSON reports", n, len(reports))
	}
	if n := strings.Count(r.stdout, strings.Repeat("*", 48)+"\n"); n != len(stats) || n < 10 {
		t.Errorf("%d -d 2 tables, %d stats lines", n, len(stats))
	}
	// The text tables, as stats lines would print them.
	var tables strings.Builder
	rate := map[string]float64{} // "end subnet" -> kbps
	for _, s := range stats {
		for _, x := range s["subnets"].([]any) {
			l := x.(map[string]any)
			mark := " "
			if l["logging"].(bool) {
				mark = "*"
			}
			fmt.Fprintf(&tables, "%s%-15s%8.2f kB %8.2f/%6.2f kBps in %8.2f out %8.2f kBps\n", mark, strings.TrimSuffix(l["subnet"].(string), "/24"),
				l["bytes"].(float64)/1024, l["kbps"], l["threshold_kbps"], l["in_kbps"], l["out_kbps"])
			rate[s["end"].(string)+" "+l["subnet"].(string)] = l["kbps"].(float64)
		}
		rule := 48
		if len(s["subnets"].([]any)) > 0 {
			rule += len(" in ") + 8 + len(" out ") + 8 + len(" kBps")
		}
		tables.WriteString(strings.Repeat("*", rule) + "\n")
	}
	if !strings.Contains(r.stdout, tables.String()) {
		t.Errorf("stats lines differ from the -d 2 tables:\n%s", tables.String())
	}
	for i, rep := range reports {
		key := rep["time"].(string) + " " + rep["subnet"].(string)
		if k, ok := rate[key]; !ok || k != rep["kbps"].(float64) {
			t.Errorf("report %d (%s): kbps %v, stats line says %v (found %v)", i, key, rep["kbps"], k, ok)
		}
		conns := rep["connections"].([]any)
		first := conns[0].(map[string]any)
		row := fmt.Sprintf("%-15s <%5.0f> <-> %-15s <%5.0f> %4s %9.2f  %s\n", first["src"], first["src_port"], first["dst"],
			first["dst_port"], first["proto_name"], first["bytes"].(float64)/1024, first["service"])
		if !strings.Contains(r.outfile, row) {
			t.Errorf("report %d: first connection %q not in the text report", i, row)
		}
		if rows := strings.Count(r.outfile, " <-> ") / len(reports); len(conns) != rows {
			t.Errorf("report %d: %d connections, the text report %d", i, len(conns), rows)
		}
		if rep["accumulated"] == nil {
			t.Errorf("report %d: no accumulated time with -A", i)
		}
	}
}

// TestStatsFileIdleRun replays the capture with a clock jump of decades:
// the run of idle periods is one stats line that spans it, as the -d 2
// table prints one line for it.
func TestStatsFileIdleRun(t *testing.T) {
	spath := filepath.Join(t.TempDir(), "stats.json")
	r := ipband(t, "-C", "--read", td+"/malformed-timejump.pcap", "-o", "OUT", "-a", "1", "-r", "2", "-b", "5", "--stats-file", spath)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	stext, stats := jsonLines(t, spath)
	golden(t, "stats-timejump.jsonl", stext)
	long := false
	for _, s := range stats {
		if s["periods"].(float64) > 1e8 {
			long = true
		}
	}
	if !long {
		t.Error("no stats line stands for the decades of idle periods")
	}
}

// TestMachineOutputsBadFiles: a JSON or stats file that cannot be opened
// stops ipband before capture, naming the directive, with exit status 2.
func TestMachineOutputsBadFiles(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "x.json")
	for _, flag := range []string{"--json-file", "--stats-file"} {
		r := ipband(t, "-C", "--read", td+"/classic.pcap", "-o", "OUT", flag, bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, bad) || strings.Contains(r.stderr, "packets") {
			t.Errorf("%s %s: exit %d, stderr %q", flag, bad, r.code, r.stderr)
		}
	}
}

// notifyRecorder is a notify script that stores its standard input and its
// IPBAND_ environment, one pair of files per event, in the directory given
// as its argument.
const notifyRecorder = `#!/bin/sh
f="$1/$IPBAND_TIME $IPBAND_EVENT $(echo "$IPBAND_SUBNET" | tr / _)"
cat > "$f.json"
env | grep '^IPBAND_' | sort > "$f.env"
id -u > "$f.uid"
`

// TestNotifyCommand replays the classic capture with a notify script that
// records each run. The events must be those the same run's stats stream
// and JSON reports imply: logging_start and logging_end at each change of
// a subnet's logging mark, a report event carrying each JSON report. The
// recorded stdin and environment of every run are compared with a golden.
func TestNotifyCommand(t *testing.T) {
	dir := commandDir(t)
	hook, events := filepath.Join(dir, "hook.sh"), filepath.Join(dir, "events")
	if err := os.WriteFile(hook, []byte(notifyRecorder), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(events, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(events, 0o777); err != nil { // past the umask: the command may run as nobody
		t.Fatal(err)
	}
	out := t.TempDir()
	jpath, spath := filepath.Join(out, "reports.json"), filepath.Join(out, "stats.json")
	r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT", "--notify", hook+" "+events,
		"--notify-timeout", "20", "--json-file", jpath, "--stats-file", spath)
	if r.code != 0 || strings.Contains(dropStartLine(r.stderr), "notify") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	jtext, _ := jsonLines(t, jpath)
	_, stats := jsonLines(t, spath)

	// The events the stats and reports imply, keyed as the script names them.
	want := map[string]string{} // key -> report JSON line for report events
	logging := map[string]bool{}
	for _, s := range stats {
		shown := map[string]bool{}
		for _, x := range s["subnets"].([]any) {
			l := x.(map[string]any)
			sub, on := l["subnet"].(string), l["logging"].(bool)
			shown[sub] = true
			if on != logging[sub] {
				ev := map[bool]string{true: "logging_start", false: "logging_end"}[on]
				want[s["end"].(string)+" "+ev+" "+strings.ReplaceAll(sub, "/", "_")] = ""
			}
			logging[sub] = on
		}
		for sub, on := range logging {
			if on && !shown[sub] {
				want[s["end"].(string)+" logging_end "+strings.ReplaceAll(sub, "/", "_")] = ""
				logging[sub] = false
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(jtext, "\n"), "\n") {
		var rep struct{ Time, Subnet string }
		json.Unmarshal([]byte(line), &rep) //nolint:errcheck // checked by jsonLines
		want[rep.Time+" report "+strings.ReplaceAll(rep.Subnet, "/", "_")] = line
	}
	if len(want) < 5 {
		t.Fatalf("the replay implies only %d events: %v", len(want), want)
	}

	nobodyUID, _ := nobody(t)
	files, _ := filepath.Glob(filepath.Join(events, "*.json"))
	var transcript strings.Builder
	got := map[string]bool{}
	for _, f := range files { // Glob sorts: by time, then event and subnet
		key := strings.TrimSuffix(filepath.Base(f), ".json")
		stdin, _ := os.ReadFile(f)
		env, _ := os.ReadFile(strings.TrimSuffix(f, ".json") + ".env")
		got[key] = true
		fmt.Fprintf(&transcript, "-- %s --\n%s%s", key, env, stdin)
		repLine, ok := want[key]
		if !ok {
			t.Errorf("unexpected event %s", key)
			continue
		}
		var ev map[string]json.RawMessage
		if err := json.Unmarshal(stdin, &ev); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if repLine != "" && string(ev["report"]) != repLine {
			t.Errorf("%s: the event's report differs from the JSON report:\n%s\n%s", key, ev["report"], repLine)
		}
		// Commands never run as root: as root, ipband starts them as nobody.
		if uid, _ := os.ReadFile(strings.TrimSuffix(f, ".json") + ".uid"); os.Geteuid() == 0 && strings.TrimSpace(string(uid)) != strconv.Itoa(nobodyUID) {
			t.Errorf("%s: the command ran as uid %q, want nobody's", key, uid)
		}
		f := strings.Fields(key)
		if !strings.Contains(string(env), "IPBAND_EVENT="+f[1]+"\n") || !strings.Contains(string(env), "IPBAND_TIME="+f[0]+"\n") ||
			!strings.Contains(string(env), "IPBAND_SUBNET="+strings.ReplaceAll(f[2], "_", "/")+"\n") ||
			!strings.Contains(string(env), "IPBAND_RATE_KBPS=") || !strings.Contains(string(env), "IPBAND_THRESHOLD_KBPS=22.00\n") {
			t.Errorf("%s: environment\n%s", key, env)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no run for event %s", k)
		}
	}
	golden(t, "notify-classic-preloaded", transcript.String())
}

// TestNotifyBadCommand: a notify program that does not exist stops ipband
// before capture, naming the flag.
func TestNotifyBadCommand(t *testing.T) {
	r := ipband(t, "-C", "--read", td+"/classic.pcap", "-o", "OUT", "--notify", "/nonexistent/hook --flag")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--notify") || !strings.Contains(r.stderr, "/nonexistent/hook") || strings.Contains(r.stderr, "packets") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
