//go:build unix

package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ipband/report"
	"ipband/report/notify"
)

// recorder is a notify script that stores its standard input and its
// IPBAND_ environment, one pair of files per run, in dir.
const recorder = `#!/bin/sh
f="$1/$IPBAND_EVENT-$IPBAND_TIME-$(echo "$IPBAND_SUBNET" | tr / _)"
cat > "$f.json"
env | grep '^IPBAND_' | sort > "$f.env"
`

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))

func period(n int, lines ...report.Line) *report.Period {
	return &report.Period{Start: t0.Add(time.Duration(n) * time.Minute), End: t0.Add(time.Duration(n+1) * time.Minute), Lines: lines}
}

func line(subnet, name string, kbps float64, logging bool) report.Line {
	l := report.Line{Subnet: netip.MustParsePrefix(subnet), Name: name, Bytes: uint64(kbps * 1024 * 60), KBps: kbps, Threshold: 22, Logging: logging,
		InKBps: kbps * 0.75, OutKBps: kbps * 0.25}
	if logging {
		l.Over = report.OverTotal
	}
	return l
}

// recorded reads what the recorder stored: event file base name -> the
// decoded JSON and the environment lines.
type run struct {
	event map[string]any
	env   map[string]string
}

func recorded(t *testing.T, dir string) map[string]run {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	out := map[string]run{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r run
		if err := json.Unmarshal(b, &r.event); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, b)
		}
		if strings.Count(string(b), "\n") != 1 || !strings.HasSuffix(string(b), "\n") {
			t.Errorf("%s: want one JSON line, got %q", f, b)
		}
		envb, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".env")
		if err != nil {
			t.Fatal(err)
		}
		r.env = map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(envb)), "\n") {
			k, v, _ := strings.Cut(l, "=")
			r.env[k] = v
		}
		key := filepath.Base(strings.TrimSuffix(f, ".json"))
		out[key[:strings.IndexByte(key, '-')]+" "+r.env["IPBAND_SUBNET"]+" "+r.env["IPBAND_TIME"]] = r
	}
	return out
}

// formatted renders a JSON number as the environment does, or "" for
// another value.
func formatted(v any) string {
	f, ok := v.(float64)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// TestEvents drives a notifier through an episode of two subnets and
// checks each run's standard input and environment.
func TestEvents(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	var l logs
	hook := script(t, recorder)
	n, err := notify.New(notify.Options{Args: []string{hook, dir}, Logf: l.logf, Env: []string{"PATH=" + os.Getenv("PATH"), "IPBAND_DAEMON=1", "IPBAND_EVENT=forged"}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Name() != "notify "+hook {
		t.Errorf("Name() = %q", n.Name())
	}
	a, b := "10.10.123.0/24", "10.10.81.0/24"
	n.Period(period(0, line(a, "halifax", 32.5, true), line(b, "toronto", 2, false)))
	n.Period(period(1, line(a, "halifax", 32.6, true), line(b, "toronto", 27.2, true)))
	r := report.Report{Time: t0.Add(2 * time.Minute), Start: t0.Add(time.Minute), Subnet: netip.MustParsePrefix(a), Name: "halifax",
		Threshold: 22, KBps: 32.6, InKBps: 24.45, OutKBps: 8.15, ThresholdIn: 20, Over: report.OverTotal | report.OverIn, Exceeded: time.Minute, Rows: []report.Row{{Src: netip.MustParseAddr("10.10.123.1"),
			Dst: netip.MustParseAddr("10.1.1.1"), SrcPort: 4000, DstPort: 143, Proto: 6, Bytes: 5000}}}
	n.Report(r)
	n.Period(period(2, line(a, "halifax", 3, false))) // a falls under, b is gone
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := n.Counts(); c != (notify.Counts{Run: 5}) || l.String() != "" {
		t.Fatalf("counts %+v, logs %q", c, l.String())
	}
	end := func(k int) string { return t0.Add(time.Duration(k) * time.Minute).Format(time.RFC3339) }
	got := recorded(t, dir)
	want := map[string]struct {
		rate, start, in, out, over string
	}{
		"logging_start " + a + " " + end(1): {"32.50", end(1), "24.38", "8.12", "total"},
		"logging_start " + b + " " + end(2): {"27.20", end(2), "20.40", "6.80", "total"},
		"report " + a + " " + end(2):        {"32.60", end(1), "24.45", "8.15", "total+in"},
		"logging_end " + a + " " + end(3):   {"3.00", end(1), "2.25", "0.75", "none"},
		"logging_end " + b + " " + end(3):   {"0.00", end(2), "0.00", "0.00", "none"},
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(got) != len(want) {
		t.Fatalf("events %q, want %d", keys, len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("no event %s; got %q", k, keys)
			continue
		}
		ev, env := g.event, g.env
		name, _ := ev["event"].(string)
		if env["IPBAND_EVENT"] != name || env["IPBAND_RATE_KBPS"] != w.rate || env["IPBAND_THRESHOLD_KBPS"] != "22.00" ||
			env["IPBAND_START"] != w.start || ev["start"] != w.start || ev["subnet"] != env["IPBAND_SUBNET"] || ev["version"] != 1.0 {
			t.Errorf("%s: env %v\nevent %v", k, env, ev)
		}
		if env["IPBAND_IN_KBPS"] != w.in || env["IPBAND_OUT_KBPS"] != w.out || env["IPBAND_OVER"] != w.over || ev["over"] != w.over ||
			formatted(ev["in_kbps"]) != w.in || formatted(ev["out_kbps"]) != w.out {
			t.Errorf("%s: in %q out %q over %q (event in %v out %v over %v), want %s, %s, %s", k,
				env["IPBAND_IN_KBPS"], env["IPBAND_OUT_KBPS"], env["IPBAND_OVER"], ev["in_kbps"], ev["out_kbps"], ev["over"], w.in, w.out, w.over)
		}
		if th, ok := ev["threshold_in_kbps"]; ok != (name == notify.Report) || ok && th != 20.0 {
			t.Errorf("%s: threshold_in_kbps %v: want 20 on the report event only", k, th)
		}
		if _, ok := env["IPBAND_DAEMON"]; ok {
			t.Errorf("%s: inherited IPBAND_DAEMON", k)
		}
		if _, ok := env["IPBAND_BYTES"]; ok == (name == notify.Report) {
			t.Errorf("%s: IPBAND_BYTES %q", k, env["IPBAND_BYTES"])
		}
		if env["IPBAND_SUBNET"] == a && env["IPBAND_NAME"] != "halifax" {
			t.Errorf("%s: name %q", k, env["IPBAND_NAME"])
		}
		if name == notify.Report {
			rep, _ := ev["report"].(map[string]any)
			conns, _ := rep["connections"].([]any)
			if env["IPBAND_EXCEEDED_SECONDS"] != "60.00" || len(conns) != 1 || rep["subnet"] != a {
				t.Errorf("report event: env %v, report %v", env, rep)
			}
		} else if _, ok := ev["report"]; ok {
			t.Errorf("%s carries a report", k)
		}
	}
}

// TestFailureLogged: a failing command is logged with its exit status and
// the first line of its standard error; a missing program likewise.
func TestFailureLogged(t *testing.T) {
	var l logs
	n, err := notify.New(notify.Options{Args: []string{script(t, "#!/bin/sh\necho >&2\necho 'boom: disk full' >&2\necho more >&2\nexit 3\n")}, Logf: l.logf})
	if err != nil {
		t.Fatal(err)
	}
	n.Period(period(0, line("10.0.0.0/24", "", 30, true)))
	n.Close(context.Background()) //nolint:errcheck // nothing dropped
	if c := n.Counts(); c.Failed != 1 || !strings.Contains(l.String(), "notify logging_start 10.0.0.0/24: command ") ||
		!strings.HasSuffix(l.String(), ": exit status 3: boom: disk full") {
		t.Errorf("counts %+v, log %q", c, l.String())
	}

	l = logs{}
	gone := script(t, "#!/bin/sh\n")
	n, err = notify.New(notify.Options{Args: []string{gone}, Logf: l.logf})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(gone) //nolint:errcheck // checked by the log
	n.Report(report.Report{Subnet: netip.MustParsePrefix("10.0.0.0/24")})
	n.Close(context.Background()) //nolint:errcheck // nothing dropped
	if !strings.Contains(l.String(), "notify report 10.0.0.0/24: command "+gone+": ") || !strings.Contains(l.String(), "no such file") {
		t.Errorf("log %q", l.String())
	}
	for _, args := range [][]string{{"/nonexistent/hook"}, {"no-such-hook-in-path"}, {"/etc/passwd"}} {
		if _, err := notify.New(notify.Options{Args: args}); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("New(%q): %v, want an error naming it", args, err)
		}
	}
	if _, err := notify.New(notify.Options{}); !errors.Is(err, notify.ErrNoCommand) {
		t.Errorf("New without a command: %v", err)
	}
}

// TestTimeoutKillsGroup: a command over its time is killed with the
// children it started.
func TestTimeoutKillsGroup(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	var l logs
	n, err := notify.New(notify.Options{
		Args:    []string{script(t, "#!/bin/sh\nsleep 60 &\necho $! > \"$1/child\"\nwait\n"), dir},
		Timeout: 300 * time.Millisecond, Logf: l.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.Report(report.Report{Subnet: netip.MustParsePrefix("10.0.0.0/24")})
	n.Close(context.Background()) //nolint:errcheck // nothing dropped
	if !strings.Contains(l.String(), "killed after 300ms") || n.Counts().Failed != 1 {
		t.Fatalf("counts %+v, log %q", n.Counts(), l.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "child"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for i := 0; syscall.Kill(pid, 0) == nil; i++ { // killed; gone once its parent (init) reaps it
		if i > 200 {
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // cleanup
			t.Fatalf("the command's child %d outlived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQueueFull: with one worker and room for one waiting event, a burst
// of events is not waited for: the excess is dropped, counted and logged.
func TestQueueFull(t *testing.T) {
	checkLeaks(t)
	var l logs
	release := filepath.Join(t.TempDir(), "go")
	n, err := notify.New(notify.Options{
		Args:    []string{script(t, "#!/bin/sh\nwhile [ ! -e \"$1\" ]; do sleep 0.01; done\n"), release},
		Workers: 1, QueueSize: 1, Logf: l.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		n.Report(report.Report{Subnet: netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", i))})
	}
	os.WriteFile(release, nil, 0o644) //nolint:errcheck // checked by the counts
	if err := n.Close(context.Background()); err != nil {
		t.Errorf("Close: %v (the drops were logged when they happened)", err)
	}
	c := n.Counts()
	if c.Dropped < 4 || c.Run+c.Dropped != 6 || c.Failed != 0 {
		t.Errorf("counts %+v: want at least 4 of 6 dropped, the others run", c)
	}
	if got := strings.Count(l.String(), ": dropped: "); uint64(got) != c.Dropped {
		t.Errorf("%d drops logged, %d counted:\n%s", got, c.Dropped, l.String())
	}
}

// TestCloseDeadline: Close gives up at its deadline, kills the command
// running and drops the waiting events.
func TestCloseDeadline(t *testing.T) {
	checkLeaks(t)
	var l logs
	n, err := notify.New(notify.Options{Args: []string{script(t, "#!/bin/sh\nexec sleep 60\n")}, Workers: 1, Logf: l.logf})
	if err != nil {
		t.Fatal(err)
	}
	n.Report(report.Report{Subnet: netip.MustParsePrefix("10.0.1.0/24")})
	n.Report(report.Report{Subnet: netip.MustParsePrefix("10.0.2.0/24")})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = n.Close(ctx)
	if c := n.Counts(); err == nil || c.Failed+c.Dropped != 2 || !strings.Contains(l.String(), "killed at exit") {
		t.Errorf("Close: %v, counts %+v, log %q", err, c, l.String())
	}
	n.Report(report.Report{}) // after Close: dropped, no panic
	if err2 := n.Close(context.Background()); err2 == nil || err2.Error() != err.Error() || !strings.Contains(err.Error(), "gave up on 2 event(s)") {
		t.Errorf("Close: %v, then %v", err, err2)
	}
}
