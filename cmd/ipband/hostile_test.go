package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"ipband/watchdog"
)

// Hostile input: damaged captures, bad flags and configs, and outputs
// that fail. Whatever comes in, ipband must not panic or hang, must say
// what is wrong in one line that names the culprit, and must exit 0 (all
// read), 1 (something broke at run time) or 2 (nothing was started).

// hostileDeadline is how long one run may take before it counts as a
// hang. It is a hang detector, not a timing assertion: every run here
// takes well under a second.
const hostileDeadline = 60 * time.Second

// sharedCaptures is the directory of public test captures beside the
// repository.
var sharedCaptures = filepath.Join("..", "..", "..", "shared", "captures")

// hostileResult is what one guarded run produced.
type hostileResult struct {
	result
	files []string // what the run left in its temporary directory
}

// hostileRun runs ipband with args like ipband() ("OUT" is a report file
// in a fresh temporary directory), but in a goroutine: a panic fails the
// test with its stack, and a run that outlives hostileDeadline is
// cancelled and fails the test as a hang.
func hostileRun(t *testing.T, args ...string) hostileResult {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "report.txt")
	args = append([]string(nil), args...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "OUT", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	var stdout, stderr bytes.Buffer
	type outcome struct {
		code  int
		panic string
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{panic: fmt.Sprintf("%v\n%s", p, debug.Stack())}
			}
		}()
		done <- outcome{code: run(ctx, args, testEnv(&stdout, &stderr))}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		t.Fatalf("ipband %s: still running after %v (hang)", strings.Join(args, " "), hostileDeadline)
	}
	if o.panic != "" {
		t.Fatalf("ipband %s: panic: %s", strings.Join(args, " "), o.panic)
	}
	r := hostileResult{result: result{
		code:   o.code,
		stdout: strings.ReplaceAll(stdout.String(), out, "OUT"),
		stderr: strings.ReplaceAll(stderr.String(), out, "OUT"),
	}}
	if b, err := os.ReadFile(out); err == nil {
		r.outfile = string(b)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		r.files = append(r.files, e.Name())
	}
	return r
}

// replaySummary is the line run() writes at the end of every replay.
var replaySummary = regexp.MustCompile(`^ipband: (.+): (\d+) packets: (\d+) IP, (\d+) not IP, (\d+) malformed(?:, (\d+) subnets evicted)?(?:, (\d+) dropped)?` +
	`(?:; DNS: \d+ answers used, \d+ ignored, \d+ malformed)?(?:, \d+ names evicted)?$`)

// hostileSummary is the parsed replay summary line.
type hostileSummary struct {
	found                         bool
	packets, ip, other, malformed int
}

// splitStderr separates the replay summary line for file from the other
// lines of stderr.
func splitStderr(t *testing.T, stderr, file string) (sum hostileSummary, others []string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "ipband: replaying "+file+": ") || isShortReplay(l, file) { // start and end lines
			continue
		}
		if m := replaySummary.FindStringSubmatch(l); m != nil && m[1] == file {
			if sum.found {
				t.Errorf("two summary lines:\n%s", stderr)
			}
			sum = hostileSummary{found: true, packets: atoi(t, m[2]), ip: atoi(t, m[3]), other: atoi(t, m[4]), malformed: atoi(t, m[5])}
			continue
		}
		others = append(others, l)
	}
	return sum, others
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pcapRecords walks a little-endian microsecond pcap file by hand: the
// time of each whole record, and the byte offset of a record cut by the
// end of the file (-1 when there is none).
func pcapRecords(t *testing.T, path string) (times []time.Time, cutAt int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap file", path)
	}
	le := binary.LittleEndian
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			return times, off
		}
		caplen := int(le.Uint32(b[off+8:]))
		if caplen > len(b)-off-16 {
			return times, off
		}
		times = append(times, time.Unix(int64(le.Uint32(b[off:])), int64(le.Uint32(b[off+4:]))*1000))
		off += 16 + caplen
	}
	return times, -1
}

// pcapngPackets walks a little-endian pcapng file's blocks by hand: the
// number of enhanced packet blocks, and the offset of a block that claims
// more bytes than the file has left (-1 when there is none).
func pcapngPackets(t *testing.T, path string) (packets, badAt int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			return packets, off
		}
		typ, n := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if int64(n) > int64(len(b)-off) || n < 12 {
			return packets, off
		}
		if typ == 6 {
			packets++
		}
		off += int(n)
	}
	return packets, -1
}

// tableLine is a subnet line of the -d 2 table.
var tableLine = regexp.MustCompile(`^([* ])(\S+)\s+(\d+\.\d\d) kB\s+(\d+\.\d\d)/\s*(\d+\.\d\d) kBps` +
	` in\s+(\d+\.\d\d)(?:/\s*(?:\d+\.\d\d|-))? out\s+(\d+\.\d\d)(?:/\s*(?:\d+\.\d\d|-))? kBps$`)

// idleLine is the line of a table standing for further idle periods.
var idleLine = regexp.MustCompile(`^  \((\d+) more idle periods?, until (.+)\)$`)

// statsLine is the counters line of a table.
var statsLine = regexp.MustCompile(`^  \(malformed (\d+)[,)]`)

// hTable is one parsed -d 2 table.
type hTable struct {
	kB, kBps, threshold map[string]float64
	in, out             map[string]float64 // kBps
	logging             map[string]bool
	malformed           int
	repeat              int
	until               string
}

// hTables parses the -d 2 tables of stdout, in order.
func hTables(t *testing.T, stdout string) []hTable {
	t.Helper()
	var tabs []hTable
	fresh := func() hTable {
		return hTable{kB: map[string]float64{}, kBps: map[string]float64{}, threshold: map[string]float64{},
			in: map[string]float64{}, out: map[string]float64{}, logging: map[string]bool{}}
	}
	cur := fresh()
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, l := range strings.Split(stdout, "\n") {
		if m := tableLine.FindStringSubmatch(l); m != nil {
			cur.logging[m[2]] = m[1] == "*"
			cur.kB[m[2]], cur.kBps[m[2]], cur.threshold[m[2]] = num(m[3]), num(m[4]), num(m[5])
			cur.in[m[2]], cur.out[m[2]] = num(m[6]), num(m[7])
			continue
		}
		if m := statsLine.FindStringSubmatch(l); m != nil {
			cur.malformed = atoi(t, m[1])
			continue
		}
		if m := idleLine.FindStringSubmatch(l); m != nil {
			cur.repeat, cur.until = atoi(t, m[1]), m[2]
			continue
		}
		if len(l) >= 48 && strings.Trim(l, "*") == "" {
			tabs = append(tabs, cur)
			cur = fresh()
		}
	}
	return tabs
}

// hReport is one parsed classic text report.
type hReport struct {
	date      time.Time
	subnet    string
	threshold float64
	exceeded  float64 // minutes
	kB        float64 // sum of the rows
	rows      int
}

var (
	reportDate      = regexp.MustCompile(`(?m)^Date:   (.+)$`)
	reportNetwork   = regexp.MustCompile(`(?m)^Network: (\S+)`)
	reportThreshold = regexp.MustCompile(`(?m)^Bandwidth threshold: (\d+\.\d\d) kBps, exceeded for: (\d+\.\d\d) min$`)
)

// hReports parses the reports of a report file.
func hReports(t *testing.T, text string) []hReport {
	t.Helper()
	var reps []hReport
	for _, block := range strings.Split(text, "Date:")[1:] {
		block = "Date:" + block
		d, n, th := reportDate.FindStringSubmatch(block), reportNetwork.FindStringSubmatch(block), reportThreshold.FindStringSubmatch(block)
		if d == nil || n == nil || th == nil {
			t.Fatalf("report without its header lines:\n%s", block)
		}
		date, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", d[1], time.Local)
		if err != nil {
			t.Fatalf("report date: %v", err)
		}
		r := hReport{date: date, subnet: n[1]}
		r.threshold, _ = strconv.ParseFloat(th[1], 64)
		r.exceeded, _ = strconv.ParseFloat(th[2], 64)
		for _, l := range strings.Split(block, "\n") {
			if !strings.Contains(l, " <-> ") {
				continue
			}
			f := strings.Fields(l[strings.LastIndex(l, ">")+1:]) // PROT KBYTES [SERVICE]
			if len(f) < 2 {
				t.Fatalf("report row %q", l)
			}
			kB, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("report row %q: %v", l, err)
			}
			r.kB += kB
			r.rows++
		}
		reps = append(reps, r)
	}
	return reps
}

// checkReports checks every report against the -d 2 tables of the same
// run: the subnet was over its threshold and logging in each period the
// report says it was exceeded, it crossed in the period before, the
// rows add up to the bytes the tables counted for it in those periods,
// and the episode is at least the reporting period long. t0 is the first
// record's time.
func checkReports(t *testing.T, reps []hReport, tabs []hTable, t0 time.Time, avg, report time.Duration) {
	t.Helper()
	period := map[int]*hTable{}
	for i, k := 0, 0; i < len(tabs); i++ {
		period[k] = &tabs[i]
		k += 1 + tabs[i].repeat
	}
	for _, r := range reps {
		name := r.subnet + " at " + r.date.Format(time.DateTime)
		end := int(math.Round(float64(r.date.Sub(t0))/float64(avg))) - 1 // the period that fired
		n := int(math.Round(r.exceeded * 60 / avg.Seconds()))
		if time.Duration(n)*avg < report {
			t.Errorf("%s: exceeded for %.2f min, less than the reporting period %v", name, r.exceeded, report)
		}
		if r.rows == 0 {
			t.Errorf("%s: no connections", name)
		}
		var sum float64
		for k := end - n; k <= end; k++ {
			p := period[k]
			if p == nil {
				t.Errorf("%s: no table for period %d", name, k)
				continue
			}
			if !p.logging[r.subnet] || p.kBps[r.subnet] < r.threshold || p.threshold[r.subnet] != r.threshold {
				t.Errorf("%s: period %d: logging %v, %.2f/%.2f kBps; want over the report's threshold %.2f",
					name, k, p.logging[r.subnet], p.kBps[r.subnet], p.threshold[r.subnet], r.threshold)
			}
			if k > end-n { // the crossing period's bytes are not in the detail
				sum += p.kB[r.subnet]
			}
		}
		if tol := 0.01 * float64(r.rows+n+1); math.Abs(sum-r.kB) > tol {
			t.Errorf("%s: rows add up to %.2f kB, the tables counted %.2f kB in the %d periods exceeded", name, r.kB, sum, n)
		}
	}
}

// malformedCase is one generated damaged capture.
type malformedCase struct {
	file      string
	args      []string // besides -C --read FILE -d 2 -o OUT
	code      int
	packets   int    // records the reader delivers, from the generator's description
	malformed int    // frames counted as malformed in all
	closedBad int    // of those, in the periods that closed (the -d 2 tables)
	errFormat string // the one error line (Sprintf with the file and the record and offset); "" when none
	reports   int
}

// framesMalformed derives from the generator's description what
// malformed-frames must count: 200 good packets, one every 50 ms, and a
// damaged frame 25 ms after every fifth one (i%5 == 2), cycling through
// the 12 damaged kinds of its BadFrames list in order. A record with no
// captured byte is malformed (it cannot even be filtered). By the spec's
// rules a frame too short for its link header has no IP (not IP); an IPv4
// header cut before its addresses, with IHL < 5 or a version that is not 4,
// and an IPv6 header cut at 30 bytes are malformed; IHL 15 in 40 bytes, a
// total length past the frame, a cut TCP or ICMP header and 40 IPv6
// destination options headers are IP with ports 0 where cut. The last
// period (9 s to 10 s) stays open at the end of the file.
func framesMalformed() (total, closed int) {
	kinds := [12]bool{0: true, 3: true, 4: true, 6: true, 11: true}
	for i := range 200 {
		if i%5 != 2 || !kinds[(i/5)%12] {
			continue
		}
		total++
		if at := time.Duration(i)*50*time.Millisecond + 25*time.Millisecond; at < 9*time.Second {
			closed++
		}
	}
	return total, closed
}

// TestMalformedCaptures replays the generator's damaged captures with
// periods short enough that reports fire before any damage, and checks
// each run against what the file holds (read by hand here) and against
// its golden transcript.
func TestMalformedCaptures(t *testing.T) {
	framesBad, framesClosed := framesMalformed()
	cases := []malformedCase{
		// 240 records; 4 reports for each of 10.10.123.0 and 10.100.11.0
		// (crossing at 1 s, reports at 3, 5, 7, 9 s).
		{file: "malformed-frames.pcap", args: []string{"-a", "1", "-r", "2", "-b", "10"},
			packets: 240, malformed: framesBad, closedBad: framesClosed, reports: 8},
		// Two records whose caplen exceeds len, at 3 s and 6 s: both
		// malformed, both in closed periods; the file reads to its end.
		{file: "malformed-caplen.pcap", args: []string{"-a", "1", "-r", "2", "-b", "10"},
			packets: 202, malformed: 2, closedBad: 2, reports: 8},
		// 10 s of classic, then a cut record: one error line naming the
		// record after the last whole one, at its offset.
		{file: "malformed-cut.pcap", args: []string{"-a", "1", "-r", "2", "-b", "10"},
			code: 1, packets: -1, errFormat: "ipband: %s: record %d at byte %d: ", reports: 8},
		// Bursts at the start, in 2038, in 1971 and at start+20 s: the
		// 1971 and start+20 s packets are out of order and count in the
		// open period of the 2038 burst, which the end of file leaves
		// unevaluated: 4 reports a subnet in 2001 and in 2038.
		{file: "malformed-timejump.pcap", args: []string{"-a", "1", "-r", "2", "-b", "5"},
			packets: 312, reports: 16},
		// Unknown, custom and name resolution blocks are skipped.
		{file: "malformed-pcapng-blocks.pcapng", args: []string{"-a", "1", "-r", "2", "-b", "10"},
			packets: 200, reports: 8},
		// 100 packets (5 s), then a block claiming 3 GiB: one report per
		// subnet at 3 s, then one error line.
		{file: "malformed-pcapng-oversized.pcapng", args: []string{"-a", "1", "-r", "2", "-b", "10"},
			code: 1, packets: -1, errFormat: "ipband: %s: record %d at byte %d: pcapng: block length 3221225472 ", reports: 2},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(td, tc.file)
			args := append([]string{"-C", "--read", path, "-d", "2", "-o", "OUT"}, tc.args...)
			r := hostileRun(t, args...)
			golden(t, strings.TrimSuffix(strings.TrimSuffix(tc.file, ".pcap"), ".pcapng"), r.transcript(args))

			// What the file holds, read by hand.
			var (
				t0       time.Time
				wantErr  string
				packets  = tc.packets
				pcapTime []time.Time
			)
			if strings.HasSuffix(tc.file, ".pcapng") {
				n, bad := pcapngPackets(t, path)
				if tc.code != 0 {
					packets, wantErr = n, fmt.Sprintf(tc.errFormat, path, n+1, bad)
				} else if bad >= 0 || n != packets {
					t.Fatalf("%s: %d packet blocks, a bad block at %d; the generator says %d and none", path, n, bad, packets)
				}
				t0 = time.Date(2001, time.August, 6, 10, 0, 0, 0, time.UTC) // the generator's start
			} else {
				var cut int
				pcapTime, cut = pcapRecords(t, path)
				t0 = pcapTime[0]
				if tc.code != 0 {
					packets, wantErr = len(pcapTime), fmt.Sprintf(tc.errFormat, path, len(pcapTime)+1, cut)
				} else if cut >= 0 || len(pcapTime) != packets {
					t.Fatalf("%s: %d records, cut at %d; the generator says %d and none", path, len(pcapTime), cut, packets)
				}
			}

			if r.code != tc.code {
				t.Errorf("exit status %d, want %d", r.code, tc.code)
			}
			sum, others := splitStderr(t, r.stderr, path)
			if !sum.found {
				t.Fatalf("no replay summary line:\n%s", r.stderr)
			}
			switch {
			case wantErr == "" && len(others) != 0:
				t.Errorf("error lines on a file that reads to its end:\n%s", strings.Join(others, "\n"))
			case wantErr != "" && (len(others) != 1 || !strings.HasPrefix(others[0], wantErr)):
				t.Errorf("want exactly one error line starting %q, got:\n%s", wantErr, strings.Join(others, "\n"))
			}
			if sum.packets != packets || sum.ip+sum.other+sum.malformed != sum.packets {
				t.Errorf("summary: %d packets (%d IP, %d not IP, %d malformed), want %d", sum.packets, sum.ip, sum.other, sum.malformed, packets)
			}
			if sum.malformed != tc.malformed {
				t.Errorf("summary: %d malformed, want %d", sum.malformed, tc.malformed)
			}

			tabs := hTables(t, r.stdout)
			var tabBad int
			for _, p := range tabs {
				tabBad += p.malformed
			}
			if tabBad != tc.closedBad {
				t.Errorf("-d 2 tables count %d malformed, want %d", tabBad, tc.closedBad)
			}
			if tc.closedBad > 0 && !strings.Contains(r.stdout, "\n  (malformed ") {
				t.Errorf("no (malformed N) line in the -d 2 tables")
			}

			reps := hReports(t, r.outfile)
			if len(reps) != tc.reports {
				t.Errorf("%d reports, want %d", len(reps), tc.reports)
			}
			checkReports(t, reps, tabs, t0, time.Second, 2*time.Second)

			if tc.file == "malformed-timejump.pcap" {
				checkTimejump(t, r, tabs, reps, pcapTime)
			}
		})
	}
}

// checkTimejump checks the replay of malformed-timejump: the decades of
// empty periods between the bursts take one summary line, and reports
// come from both sides of 2^31 seconds.
func checkTimejump(t *testing.T, r hostileResult, tabs []hTable, reps []hReport, times []time.Time) {
	t.Helper()
	var rules int
	for _, l := range strings.Split(r.stdout, "\n") {
		if len(l) >= 48 && strings.Trim(l, "*") == "" {
			rules++
		}
	}
	if rules >= 100 || rules != len(tabs) {
		t.Errorf("%d lines of '*' (%d tables): the idle periods were not closed in one step", rules, len(tabs))
	}
	// The jump: the first record more than an hour after the one before.
	t0, last, jump := times[0], times[0], time.Time{}
	for _, ts := range times {
		if ts.Sub(last) > time.Hour {
			jump = ts
			break
		}
		last = ts
	}
	if jump.IsZero() {
		t.Fatal("no clock jump in the capture")
	}
	// Periods k(last)+1 .. k(jump)-1, in whole seconds from t0, are idle:
	// one table (after the one where the logging subnets drop out) stands
	// for all the others, and the next table is period k(jump).
	k := func(ts time.Time) int { return int(ts.Sub(t0) / time.Second) }
	var summaries, next int
	for i, p := range tabs {
		if p.repeat == 0 {
			continue
		}
		summaries++
		for _, q := range tabs[:i+1] {
			next += 1 + q.repeat
		}
		if want := t0.Add(time.Duration(k(jump)) * time.Second).Format("Mon Jan _2 15:04:05 2006"); p.until != want {
			t.Errorf("idle periods until %s, want %s", p.until, want)
		}
		if p.repeat < k(jump)-k(last)-3 {
			t.Errorf("%d more idle periods: the gap is %d periods", p.repeat, k(jump)-k(last)-1)
		}
	}
	if summaries != 1 || next != k(jump) {
		t.Errorf("%d idle summaries; the table after the gap is period %d, want %d", summaries, next, k(jump))
	}
	var early, late int
	rollover := time.Unix(1<<31, 0)
	for _, rep := range reps {
		switch {
		case rep.date.Before(t0) || rep.date.After(rollover.AddDate(1, 0, 0)):
			t.Errorf("report dated %v", rep.date)
		case rep.date.After(rollover):
			late++
		case rep.date.Before(t0.Add(time.Hour)):
			early++
		}
	}
	if early == 0 || late == 0 {
		t.Errorf("%d reports from the first burst, %d after 2^31 s; want some of both", early, late)
	}
}

// readmeRow is what the captures' README says of one file.
type readmeRow struct {
	packets  int    // -1 when not given
	expected string // "expected error: ..." from the notes, if any
}

// readCapturesReadme reads the table of the shared captures' README:
// file, category, source, link type, packets, duration, notes.
func readCapturesReadme(t *testing.T) map[string]readmeRow {
	t.Helper()
	rows := map[string]readmeRow{}
	f, err := os.Open(filepath.Join(sharedCaptures, "README.md"))
	if err != nil {
		t.Logf("no README for the shared captures: %v", err)
		return rows
	}
	defer f.Close()
	expected := regexp.MustCompile(`expected error: (.*?)\s*$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 9 || !strings.Contains(cells[1], "/") {
			continue
		}
		row := readmeRow{packets: -1}
		if n, err := strconv.Atoi(strings.TrimSpace(cells[5])); err == nil {
			row.packets = n
		}
		if m := expected.FindStringSubmatch(cells[7]); m != nil {
			row.expected = m[1]
		}
		rows[filepath.FromSlash(strings.TrimSpace(cells[1]))] = row
	}
	return rows
}

// sharedFiles lists the files of a directory of the shared captures, or
// skips the test when it is not there.
func sharedFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(sharedCaptures, dir))
	if err != nil {
		t.Skipf("shared captures not available (%v): these tests replay the public captures in %s", err, sharedCaptures)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		t.Skipf("no captures in %s", filepath.Join(sharedCaptures, dir))
	}
	return files
}

// TestHostileCaptures replays the public malformed and hostile captures:
// each must read to its end (exit 0, no error line) or stop with exactly
// one error line naming the file (exit 1 after a start, 2 when the file
// cannot be opened at all).
func TestHostileCaptures(t *testing.T) {
	readme := readCapturesReadme(t)
	for _, rel := range sharedFiles(t, "malformed") {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			path := filepath.Join(sharedCaptures, rel)
			r := hostileRun(t, "-C", "--read", path, "-o", "OUT", "-d", "2")
			sum, others := splitStderr(t, r.stderr, path)
			switch r.code {
			case exitOK:
				if len(others) != 0 {
					t.Errorf("exit 0 with error lines:\n%s", strings.Join(others, "\n"))
				}
			case exitFail, exitUsage:
				if len(others) != 1 || !strings.HasPrefix(others[0], "ipband: ") || !strings.Contains(others[0], path) {
					t.Errorf("exit %d: want exactly one error line naming %s, got:\n%s", r.code, path, strings.Join(others, "\n"))
				}
			default:
				t.Errorf("exit status %d", r.code)
			}
			if sum.found != (r.code != exitUsage) {
				t.Errorf("exit %d with summary line %v:\n%s", r.code, sum.found, r.stderr)
			}
			if r.code == exitUsage && (r.stdout != "" || len(r.files) != 0) {
				t.Errorf("exit 2 after starting: stdout %q, files %q", r.stdout, r.files)
			}
			row, ok := readme[rel]
			if ok && row.expected != "" && (len(others) != 1 || !strings.Contains(others[0], row.expected)) {
				t.Errorf("want the error %q the README expects, got:\n%s", row.expected, r.stderr)
			}
			if ok && sum.found && r.code == exitOK && row.packets >= 0 && sum.packets != row.packets {
				t.Errorf("%d packets, the README says %d", sum.packets, row.packets)
			}
			t.Logf("exit %d: %s", r.code, strings.ReplaceAll(strings.TrimSpace(r.stderr), "\n", " | "))
		})
	}
}

// TestPublicCaptures replays the public captures of ordinary traffic in
// every link type: all must read to their end.
func TestPublicCaptures(t *testing.T) {
	readme := readCapturesReadme(t)
	for _, dir := range []string{"ipv4-eth", "linktypes"} {
		for _, rel := range sharedFiles(t, dir) {
			t.Run(strings.ReplaceAll(rel, string(filepath.Separator), "_"), func(t *testing.T) {
				path := filepath.Join(sharedCaptures, rel)
				r := hostileRun(t, "-C", "--read", path, "-o", "OUT", "-d", "2")
				sum, others := splitStderr(t, r.stderr, path)
				if r.code != exitOK || len(others) != 0 || !sum.found {
					t.Fatalf("exit %d, want 0 with the summary line only:\n%s", r.code, r.stderr)
				}
				if row, ok := readme[rel]; ok && row.packets >= 0 && sum.packets != row.packets {
					t.Errorf("%d packets, the README says %d", sum.packets, row.packets)
				}
				// Every capture but the QinQ one (two ARP frames) carries IP.
				if sum.ip == 0 && !strings.Contains(rel, "qinq") {
					t.Errorf("no IP packet counted: %s", r.stderr)
				}
				if !strings.HasPrefix(r.stdout, "ipband "+version+"\n") {
					t.Errorf("no -d 2 option summary on stdout")
				}
				t.Logf("%s", strings.TrimSpace(r.stderr))
			})
		}
	}
}

// mfrCapture writes a pcap file of link type 182 (MFR, which ipband does
// not decode) holding one record, in dir.
func mfrCapture(t *testing.T, dir string) string {
	t.Helper()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 0)   // thiszone
	b = le.AppendUint32(b, 0)   // sigfigs
	b = le.AppendUint32(b, 262) // snaplen
	b = le.AppendUint32(b, 182) // link type MFR
	frame := []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
	b = le.AppendUint32(b, 997095600) // Mon Aug  6 10:00:00 2001
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(len(frame)))
	b = le.AppendUint32(b, uint32(len(frame)))
	b = append(b, frame...)
	path := filepath.Join(dir, "mfr.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadFlags gives each flag and config directive a bad value: ipband
// must exit 2 with exactly one line that names the flag or the file and
// line, and start nothing: no output, no report file.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	config := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := config("unknown.conf", "# comment\nbandwidth 5\n\nfoo bar\n")
	badSubnet := config("subnet.conf", "subnet 10.10.1.0 bandwidth 22\nsubnet 10.10.300.0\n")
	badBandwidth := config("bandwidth.conf", "bandwidth abc\n")
	badMask := config("maskbits.conf", "# the mask\nmaskbits 33\n")
	badAverage := config("average.conf", "report 60\naverage 0\n")
	missing := filepath.Join(dir, "missing.conf")
	mfr := mfrCapture(t, dir)
	noFile := filepath.Join(dir, "no-such.pcap")
	classic := filepath.Join(td, "classic.pcap")

	// Every case replays classic.pcap with -d 2 and a report file unless
	// it says otherwise: anything started would show on stdout or in the
	// file.
	base := []string{"-C", "--read", classic, "-d", "2", "-o", "OUT"}
	cases := []struct {
		name string
		args []string // after base, so that they win
		want []string // substrings of the one error line
	}{
		{"average-zero", []string{"-a", "0"}, []string{"flag -a/--average", `"0"`}},
		{"average-negative", []string{"-a", "-5"}, []string{"flag -a/--average", `"-5"`}},
		{"average-word", []string{"-a", "x"}, []string{"flag -a/--average", `"x"`}},
		{"average-fraction", []string{"--average", "1.5"}, []string{"flag -a/--average", `"1.5"`}},
		{"report-zero", []string{"-r", "0"}, []string{"flag -r/--report", `"0"`}},
		{"bandwidth-zero", []string{"-b", "0"}, []string{"flag -b/--bandwidth", `"0"`}},
		{"bandwidth-negative", []string{"-b", "-1"}, []string{"flag -b/--bandwidth", `"-1"`}},
		{"bandwidth-word", []string{"-b", "abc"}, []string{"flag -b/--bandwidth", `"abc"`}},
		{"bandwidth-nan", []string{"-b", "NaN"}, []string{"flag -b/--bandwidth", `"NaN"`}},
		{"bandwidth-inf", []string{"--bandwidth", "+Inf"}, []string{"flag -b/--bandwidth", `"+Inf"`}},
		{"bandwidth-unit", []string{"-b", "128k"}, []string{"flag -b/--bandwidth", `"128k"`, "176kbit"}},
		{"maskbits-zero", []string{"-m", "0"}, []string{"flag -m/--maskbits", `"0"`}},
		{"maskbits-33", []string{"-m", "33"}, []string{"flag -m/--maskbits", `"33"`}},
		{"maskbits6-zero", []string{"--maskbits6", "0"}, []string{"flag --maskbits6", `"0"`}},
		{"maskbits6-129", []string{"--maskbits6", "129"}, []string{"flag --maskbits6", `"129"`}},
		{"top-negative", []string{"-t", "-1"}, []string{"flag -t/--top", `"-1"`}},
		{"debug-4", []string{"-d", "4"}, []string{"flag -d/--debug", `"4"`}},
		{"localrange-bad", []string{"-L", "10.300."}, []string{"flag -L/--localrange", `"10.300."`}},
		{"localrange-empty", []string{"-L", ""}, []string{"flag -L/--localrange"}},
		{"mailto-space", []string{"-M", "a b@c"}, []string{"flag -M/--mailto", `"a b@c"`}},
		{"mtastring-empty", []string{"-T", ""}, []string{"flag -T/--mtastring"}},
		{"lenadj-huge", []string{"-J", "999999"}, []string{"flag -J/--lenadj", `"999999"`}},
		{"lenadj-beyond-link-header", []string{"-J", "-15"}, []string{"flag -J/--lenadj", "-15", "14-byte link header"}},
		{"max-subnets-zero", []string{"--max-subnets", "0"}, []string{"flag --max-subnets", `"0"`}},
		{"max-conns-zero", []string{"--max-conns", "0"}, []string{"flag --max-conns", `"0"`}},
		{"unknown-flag", []string{"--nope"}, []string{"--nope"}},
		{"missing-config", []string{"-c", missing}, []string{missing}},
		{"config-unknown-directive", []string{"-c", unknown}, []string{unknown + ":4:", `"foo"`}},
		{"config-bad-subnet", []string{"-c", badSubnet}, []string{badSubnet + ":2:", "subnet", `"10.10.300.0"`}},
		{"config-bad-bandwidth", []string{"-c", badBandwidth}, []string{badBandwidth + ":1:", "bandwidth", `"abc"`}},
		{"config-bad-maskbits", []string{"-c", badMask}, []string{badMask + ":2:", "maskbits", `"33"`}},
		{"config-bad-average", []string{"-c", badAverage}, []string{badAverage + ":2:", "average", `"0"`}},
		{"mailfoot-missing", []string{"-M", "x@y", "-l", "/nonexistent"}, []string{"mailfoot", "/nonexistent"}},
		{"read-missing", []string{"--read", noFile}, []string{noFile}},
		{"read-unsupported-link-type", []string{"--read", mfr}, []string{mfr, "unsupported link type 182 (MFR)"}},
		{"two-interfaces", []string{"eth0", "eth1"}, []string{"interface", `"eth0"`, `"eth1"`}},
	}
	var transcript strings.Builder
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string(nil), base...), tc.args...)
			if tc.name == "missing-config" || strings.HasPrefix(tc.name, "config-") {
				args = args[1:] // not -C
			}
			r := hostileRun(t, args...)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.code != exitUsage {
				t.Errorf("exit status %d, want 2", r.code)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "ipband: ") || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("want exactly one line on stderr, got:\n%s", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("error does not say %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" || len(r.files) != 0 {
				t.Errorf("something started: stdout %q, files %q", r.stdout, r.files)
			}
			fmt.Fprintf(&transcript, "%s: %s", tc.name, strings.ReplaceAll(r.stderr, dir, "TMP"))
		})
	}
	if !t.Failed() {
		golden(t, "badflag-messages", transcript.String())
	}
}

// TestGoodEdgeFlags checks values at the edge of what is allowed.
func TestGoodEdgeFlags(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap")
	// -J -14 takes away the whole Ethernet header: counted bytes are IP
	// bytes only, which still makes reports.
	r := hostileRun(t, "-c", filepath.Join(td, "classic.conf"), "--read", classic, "-J", "-14", "-o", "OUT")
	sum, others := splitStderr(t, r.stderr, classic)
	if r.code != exitOK || len(others) != 0 || !sum.found || !strings.Contains(r.outfile, "Date:") {
		t.Errorf("-J -14: exit %d, report file %d bytes:\n%s", r.code, len(r.outfile), r.stderr)
	}
}

// TestHelpAndVersion checks that -h lists every flag on stdout and -v
// prints the version, both with exit status 0.
func TestHelpAndVersion(t *testing.T) {
	r := hostileRun(t, "-h")
	if r.code != exitOK || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: ipband") {
		t.Fatalf("-h: exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
	fs := newFlags(&cli{}, io.Discard)
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(r.stdout, "--"+f.Name+" ") && !strings.Contains(r.stdout, "--"+f.Name+"[") {
			t.Errorf("usage does not list --%s", f.Name)
		}
		if f.Shorthand != "" && !strings.Contains(r.stdout, "  -"+f.Shorthand+", --"+f.Name) {
			t.Errorf("usage does not list -%s with --%s", f.Shorthand, f.Name)
		}
	})
	for _, o := range options {
		if fs.Lookup(o.long) == nil {
			t.Errorf("option --%s is not a flag", o.long)
		}
	}

	// The version, then libpcap's, as the classic -v printed them.
	wantVersion := "ipband 0.9.0\n" + watchdog.LibpcapVersion() + "\n"
	r = hostileRun(t, "-v")
	if r.code != exitOK || r.stderr != "" || r.stdout != wantVersion {
		t.Errorf("-v: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if lib := strings.TrimPrefix(r.stdout, "ipband 0.9.0\n"); !regexp.MustCompile(`^(libpcap version \d+\.\d+|built without libpcap)`).MatchString(lib) {
		t.Errorf("-v: no libpcap version in %q", r.stdout)
	}
	r = hostileRun(t, "--version")
	if r.code != exitOK || r.stdout != wantVersion {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestOutputFaults replays classic with outputs that fail: the capture
// still runs to its end, each fault is logged once, and the exit status
// says whether reports were lost.
func TestOutputFaults(t *testing.T) {
	conf := filepath.Join(td, "classic.conf")
	classic := filepath.Join(td, "classic.pcap")
	ok := hostileRun(t, "-c", conf, "--read", classic, "-o", "OUT")
	okSum, _ := splitStderr(t, ok.stderr, classic)
	reports := len(hReports(t, ok.outfile))
	if ok.code != exitOK || !okSum.found || reports != 2 {
		t.Fatalf("classic replay: exit %d, %d reports, want 0 and 2:\n%s", ok.code, reports, ok.stderr)
	}

	t.Run("dev-full", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skipf("no /dev/full: %v", err)
		}
		r := hostileRun(t, "-c", conf, "--read", classic, "-o", "/dev/full")
		sum, others := splitStderr(t, r.stderr, classic)
		if r.code != exitFail {
			t.Errorf("exit status %d, want 1", r.code)
		}
		if !sum.found || sum.packets != okSum.packets {
			t.Errorf("the replay did not run to its end (%d of %d packets):\n%s", sum.packets, okSum.packets, r.stderr)
		}
		if n := strings.Count(r.stderr, "no space left on device"); n != 1 {
			t.Errorf("the write failure is logged %d times, want once:\n%s", n, r.stderr)
		}
		last := others[len(others)-1]
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if want := fmt.Sprintf("ipband: report file /dev/full: %d report(s) could not be written", reports); lines[len(lines)-1] != last || !strings.HasPrefix(last, want) {
			t.Errorf("last line %q, want it to start %q:\n%s", lines[len(lines)-1], want, r.stderr)
		}
	})

	t.Run("html-enotdir", func(t *testing.T) {
		notDir := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(notDir, []byte("a file, not a directory\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		page := filepath.Join(notDir, "x.html")
		// Checked before the capture starts: exit 2, one line.
		r := hostileRun(t, "-c", conf, "--read", classic, "-o", "OUT", "-w", page)
		if r.code != exitUsage {
			t.Errorf("exit status %d, want 2", r.code)
		}
		if want := "ipband: flag -w/--htmlfile: " + page + ": directory " + notDir + ": not a directory\n"; r.stderr != want {
			t.Errorf("stderr %q, want %q", r.stderr, want)
		}
		if r.stdout != "" || len(r.files) != 0 {
			t.Errorf("something started: stdout %q, files %q", r.stdout, r.files)
		}
	})
}

// TestDocsCoverFlags checks that the manual page documents every flag and
// the example config every directive.
func TestDocsCoverFlags(t *testing.T) {
	man, err := os.ReadFile(filepath.Join("..", "..", "docs", "ipband.8"))
	if err != nil {
		t.Fatal(err)
	}
	roff := func(s string) string { return strings.ReplaceAll(s, "-", `\-`) }
	newFlags(&cli{}, io.Discard).VisitAll(func(f *pflag.Flag) {
		if !bytes.Contains(man, []byte(roff("--"+f.Name))) {
			t.Errorf("docs/ipband.8 does not document --%s (as %s)", f.Name, roff("--"+f.Name))
		}
		if f.Shorthand != "" && !bytes.Contains(man, []byte(roff("-"+f.Shorthand)+` ", " `+roff("--"+f.Name))) {
			t.Errorf("docs/ipband.8 does not document -%s with --%s", f.Shorthand, f.Name)
		}
	})
	example, err := os.ReadFile(filepath.Join("..", "..", "ipband.conf.example"))
	if err != nil {
		t.Fatal(err)
	}
	directives := []string{"subnet"}
	for _, o := range options {
		directives = append(directives, o.directive)
	}
	for _, d := range directives {
		// A directive line, possibly commented out: "maskbits 24", "#mailto ...".
		re := regexp.MustCompile(`(?m)^#?` + regexp.QuoteMeta(d) + `[ \t]+\S`)
		if !re.Match(example) {
			t.Errorf("ipband.conf.example has no %s line", d)
		}
	}
}
