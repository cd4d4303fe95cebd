package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSuggestGolden replays the classic capture, whose rates the
// generator documents, with --suggest: in dynamic mode (thresholds from
// the sustained levels) and with the branch config and a link capacity
// (thresholds from the capacity, some of which the traffic exceeds).
func TestSuggestGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"suggest-classic-dynamic", []string{"-C", "--suggest", "--read", td + "/classic.pcap"}},
		{"suggest-classic-capacity", []string{"-c", td + "/classic.conf", "--suggest", "--suggest-capacity", "256kbit", "--read", td + "/classic.pcap"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ipband(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}

var (
	checkLine   = regexp.MustCompile(`(?m)^#   check: with this threshold the observed traffic would have given (\d+) reports? \(([0-9.]+) minutes over\)\nsubnet (\S+) (.*)$`)
	reportTitle = regexp.MustCompile(`(?m)^Network: (\S+)`)
)

// TestSuggestCheckMatchesReplay pastes the suggested subnet lines into a
// config and replays the capture with it: each subnet gets exactly the
// reports the suggestion's check said it would.
func TestSuggestCheckMatchesReplay(t *testing.T) {
	for _, args := range [][]string{
		{"-C", "--suggest", "--read", td + "/classic.pcap"},
		{"-c", td + "/classic.conf", "--suggest", "--suggest-capacity", "256kbit", "--read", td + "/classic.pcap"},
		{"-C", "--suggest", "--suggest-capacity", "300kbit", "--read", td + "/classic.pcap"},
	} {
		s := ipband(t, args...)
		if s.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, s.code, s.stderr)
		}
		conf := "average 60\nreport 300\ntop 1\n"
		want := map[string]int{}
		total := 0
		for _, m := range checkLine.FindAllStringSubmatch(s.stdout, -1) {
			n, _ := strconv.Atoi(m[1])
			addr := strings.TrimSuffix(m[3], "/24")
			want[addr] = n
			total += n
			conf += "subnet " + m[3] + " " + m[4] + "\n"
		}
		if len(want) < 5 {
			t.Fatalf("%v: only %d subnet lines:\n%s", args, len(want), s.stdout)
		}
		path := filepath.Join(t.TempDir(), "suggested.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ipband(t, "-c", path, "--read", td+"/classic.pcap", "-o", "OUT")
		if r.code != 0 {
			t.Fatalf("replay: exit %d: %s", r.code, r.stderr)
		}
		got := map[string]int{}
		for _, m := range reportTitle.FindAllStringSubmatch(r.outfile, -1) {
			got[m[1]]++
		}
		for addr, n := range want {
			if got[addr] != n {
				t.Errorf("%v: %s: the check said %d reports, the replay made %d", args, addr, n, got[addr])
			}
			delete(got, addr)
		}
		if len(got) != 0 {
			t.Errorf("%v: reports for subnets not suggested: %v", args, got)
		}
		if strings.Contains(strings.Join(args, " "), "kbit") && total == 0 {
			t.Errorf("%v: no report at all: the check compares nothing but zeros", args)
		}
	}
}

// TestSuggestFromStats checks that a suggestion from the stats stream of
// a replay is the suggestion of the replay itself.
func TestSuggestFromStats(t *testing.T) {
	stats := filepath.Join(t.TempDir(), "stats.jsonl")
	if r := ipband(t, "-C", "--read", td+"/classic.pcap", "--stats-file", stats, "-o", "OUT"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	live := ipband(t, "-C", "--suggest", "--suggest-capacity", "256kbit", "--read", td+"/classic.pcap")
	from := ipband(t, "-C", "--suggest", "--suggest-capacity", "256kbit", "--from-stats", stats)
	if live.code != 0 || from.code != 0 {
		t.Fatalf("exit %d, %d: %s %s", live.code, from.code, live.stderr, from.stderr)
	}
	if from.stdout != live.stdout || !strings.Contains(from.stdout, "\nsubnet 10.10.123.0/24 ") {
		t.Errorf("from the stats stream:\n%s\nfrom the capture:\n%s", from.stdout, live.stdout)
	}
}

// TestSuggestFromStatsAverageChanged checks a stats stream whose
// averaging period changed: the suggestion is that of the periods of the
// latest length alone, and says how many earlier ones it left out.
func TestSuggestFromStatsAverageChanged(t *testing.T) {
	dir := t.TempDir()
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before, after := filepath.Join(dir, "a30.jsonl"), filepath.Join(dir, "a60.jsonl")
	for _, c := range []struct{ file, avg string }{{before, "30"}, {after, "60"}} {
		if r := ipband(t, "-C", "-a", c.avg, "--read", td+"/classic.pcap", "--stats-file", c.file, "-o", "OUT"); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	both := filepath.Join(dir, "both.jsonl")
	if err := os.WriteFile(both, []byte(read(before)+read(after)), 0o644); err != nil {
		t.Fatal(err)
	}
	alone := ipband(t, "-C", "--suggest", "--from-stats", after)
	mixed := ipband(t, "-C", "--suggest", "--from-stats", both)
	if alone.code != 0 || mixed.code != 0 {
		t.Fatalf("exit %d, %d: %s %s", alone.code, mixed.code, alone.stderr, mixed.stderr)
	}
	n := 0 // the periods of the first stream, idle runs counted
	for _, m := range regexp.MustCompile(`"periods":(\d+)`).FindAllStringSubmatch(read(before), -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	note := fmt.Sprintf("# %d earlier periods of another length (the averaging period changed) are left out.\n", n)
	if !strings.Contains(mixed.stdout, note) {
		t.Errorf("no note of the %d-line stream's periods left out:\n%s", n, mixed.stdout)
	}
	if got := strings.Replace(mixed.stdout, note, "", 1); got != alone.stdout {
		t.Errorf("from both streams:\n%s\nfrom the latest alone:\n%s", mixed.stdout, alone.stdout)
	}
}

// TestSuggestFlags checks the flags' errors and the cap on dynamic
// subnets.
func TestSuggestFlags(t *testing.T) {
	r := ipband(t, "-C", "--suggest", "--suggest-top", "2", "--read", td+"/classic.pcap")
	if r.code != 0 || strings.Count(r.stdout, "\nsubnet ") != 2 || !strings.Contains(r.stdout, "\nsubnet 10.100.11.0/24 ") {
		t.Errorf("--suggest-top 2: exit %d, want the 2 busiest subnets:\n%s", r.code, r.stdout)
	}
	if _, err := os.Stat("ipband.txt"); err == nil {
		t.Error("--suggest wrote the default report file")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-C", "--suggest-top", "3", "--read", td + "/classic.pcap"}, "flag --suggest-top: needs --suggest"},
		{[]string{"-C", "--from-stats", "x", "-R", td + "/classic.pcap"}, "flag --from-stats: needs --suggest"},
		{[]string{"-C", "--suggest", "--suggest-top", "0", "--read", td + "/classic.pcap"}, `flag --suggest-top: "0"`},
		{[]string{"-C", "--suggest", "--suggest-capacity", "128k", "--read", td + "/classic.pcap"}, `flag --suggest-capacity: "128k": invalid value: unit "k"`},
		{[]string{"-C", "--suggest", "--from-stats", "/nonexistent", "--read", td + "/classic.pcap"}, "give --read or --from-stats"},
		{[]string{"-C", "--suggest", "--from-stats", "/nonexistent"}, "flag --from-stats: open /nonexistent"},
		{[]string{"-C", "--suggest", "--suggest-for", "1h", "--read", td + "/classic.pcap"}, "flag --suggest-for: a capture file"},
	} {
		r := ipband(t, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, exitUsage, tt.want)
		}
	}
}
