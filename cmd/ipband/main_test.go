package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// td is the repository's testdata directory.
const td = "../../testdata"

func TestMain(m *testing.M) {
	// Report dates are local time; goldens are made in UTC.
	time.Local = time.UTC
	code := m.Run()
	removeBinary()
	os.Exit(code)
}

// result is what one run of ipband produced.
type result struct {
	code           int
	stdout, stderr string
	outfile        string // the report file, when the case names one
}

// testEnv runs ipband with the repository's networks file and no system
// services/protocols files, so names come from the embedded tables and
// output is the same on every machine.
func testEnv(stdout, stderr *bytes.Buffer) environment {
	return environment{
		stdout:    stdout,
		stderr:    stderr,
		networks:  filepath.Join(td, "networks"),
		services:  filepath.Join(td, "no-such-services"),
		protocols: filepath.Join(td, "no-such-protocols"),
	}
}

// ipband runs the command with args; "OUT" in args is replaced by a
// report file in a temporary directory, whose content is returned.
func ipband(t *testing.T, args ...string) result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.txt")
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "OUT", out)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, testEnv(&stdout, &stderr))
	r := result{code: code, stdout: strings.ReplaceAll(stdout.String(), out, "OUT"), stderr: strings.ReplaceAll(stderr.String(), out, "OUT")}
	if b, err := os.ReadFile(out); err == nil {
		r.outfile = string(b)
	}
	return r
}

// golden compares got with testdata/golden/name.golden, or rewrites it
// with -update.
func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join(td, "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/ipband -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s\n(rerun with -update after reviewing)", path, diff(string(want), got))
	}
}

// diff shows the first differing lines of want and got.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(same lines, different bytes)"
}

// transcript is the golden form of a run.
func (r result) transcript(args []string) string {
	var b strings.Builder
	b.WriteString("$ ipband " + strings.Join(args, " ") + "\n")
	b.WriteString("-- exit status " + strconv.Itoa(r.code) + " --\n")
	b.WriteString("-- stderr --\n" + r.stderr)
	b.WriteString("-- stdout --\n" + r.stdout)
	if r.outfile != "" {
		b.WriteString("-- report file --\n" + r.outfile)
	}
	return b.String()
}

// goldenCases replay the bundled captures; each is compared in full with
// its golden transcript.
var goldenCases = []struct {
	name string
	args []string
}{
	// Preloaded subnets from the config: two reports in one episode for
	// 10.10.123.0 <halifax>, 10.10.81.0 crossing and dropping, top 20, -A.
	{"classic-preloaded", []string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-d", "2", "-t", "20", "-A", "-o", "OUT"}},
	// The same capture in dynamic mode, reports on stdout after the tables.
	{"classic-dynamic", []string{"-C", "--read", td + "/classic.pcap", "-d", "2", "-b", "22", "-o", "-"}},
	// Local ranges in the three classic forms.
	{"dynamic-localrange", []string{"-C", "--read", td + "/dynamic.pcap", "-d", "2", "-b", "15", "-r", "180", "-L", "10.0.2.0-10.0.9.255:192.168.:172.16.0.0/12", "-o", "-"}},
	{"dynamic-all", []string{"-C", "--read", td + "/dynamic.pcap", "-d", "2", "-b", "15", "-r", "180", "-t", "5", "-o", "-"}},
	// Tiny table limits: evicted subnets and connections in the -d 2
	// counters, hidden connections noted in the report.
	{"limits", []string{"-C", "--read", td + "/classic.pcap", "-d", "2", "-b", "22", "--max-subnets", "6", "--max-conns", "4", "-o", "-"}},
	// IPv6 subnets with their own mask, preloaded by CIDR.
	{"ipv6", []string{"-c", td + "/ipv6.conf", "--read", td + "/ipv6.pcap", "-d", "2", "-o", "-"}},
	// Dynamic IPv6 /48s and IPv4 /24s limited by a mixed, comma-separated -L.
	{"ipv6-localrange", []string{"-C", "--read", td + "/ipv6.pcap", "-d", "2", "--maskbits6", "48", "-L", "2001:db8:1::/48, 192.0.2.0-192.0.2.255", "-b", "15", "-t", "5", "-o", "-"}},
	{"fragments", []string{"-C", "--read", td + "/fragments.pcap", "-d", "2", "-b", "1", "-a", "10", "-r", "20", "-o", "-"}},
	// -d 3: every packet, on the fragments capture (cut to 3 connections a report).
	{"trace", []string{"-C", "--read", td + "/fragments.pcap", "-d", "3", "-b", "1", "-a", "10", "-r", "20", "-t", "3", "-o", "-"}},
	// Names of the other side from DNS answers on the wire (CNAME chains, a
	// TTL that runs out between the reports, a spoofed and a mismatched
	// answer, DNS over TCP) and TLS/HTTP claims; in text and in JSON.
	{"names", []string{"-c", td + "/names.conf", "--read", td + "/names.pcap", "-d", "2", "-o", "-"}},
	{"names-json", []string{"-c", td + "/names.conf", "--read", td + "/names.pcap", "--json-file", "OUT", "-o", "/dev/null"}},
	// Real captures made with tcpdump on loopback (contrib/capture-loopback.sh):
	// lo is Ethernet, any is Linux cooked; IPv4 and IPv6.
	{"loopback-lo", []string{"-C", "--read", td + "/loopback-lo.pcap", "-d", "2", "-a", "2", "-r", "4", "-b", "50", "-t", "10", "-o", "-"}},
	{"loopback-any", []string{"-C", "--read", td + "/loopback-any.pcap", "-d", "2", "-a", "2", "-r", "4", "-b", "50", "-t", "10", "-o", "-"}},
	// A BPF filter compiled by libpcap, applied to each record in replay.
	{"loopback-filter", []string{"-C", "--read", td + "/loopback-lo.pcap", "-f", "icmp or udp", "-d", "2", "-a", "2", "-r", "2", "-b", "1", "-o", "-"}},
}

// linkTypes are the link types cmd/pcapgen writes the fragments scenario
// in: IPv4 with options, IPv6 extension headers and fragments.
var linkTypes = []string{"eth", "vlan", "qinq", "sll", "sll2", "raw", "null", "ppp"}

// TestLinkTypes replays the same traffic in every link type, and in
// pcapng. Each run is compared with its golden; and every packet must
// decode the same as on Ethernet: the -d 3 lines, without the frame
// length (which includes each link header), must be identical.
func TestLinkTypes(t *testing.T) {
	args := func(file string) []string {
		return []string{"-C", "--read", file, "-d", "3", "-b", "1", "-a", "10", "-r", "20", "-t", "5", "-o", "-"}
	}
	packets := func(stdout string) []string { // -d 3 lines without the length
		var out []string
		for _, l := range strings.Split(stdout, "\n") {
			f := strings.Fields(l)
			if len(f) > 2 && strings.Count(f[0], ":") == 2 && strings.Contains(f[0], ".") {
				out = append(out, f[0]+" "+strings.Join(f[2:], " "))
			}
		}
		return out
	}
	eth := ipband(t, args(td+"/link-eth.pcap")...)
	want := packets(eth.stdout)
	if eth.code != 0 || len(want) < 100 {
		t.Fatalf("ethernet replay: exit %d, %d packets:\n%s", eth.code, len(want), eth.stderr)
	}
	files := []string{"link-eth.pcapng"}
	for _, l := range linkTypes {
		files = append(files, "link-"+l+".pcap")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			r := ipband(t, args(td+"/"+f)...)
			if r.code != 0 || !strings.Contains(r.stdout, "Date:") {
				t.Fatalf("exit %d, no report: %s", r.code, r.stderr)
			}
			golden(t, strings.TrimSuffix(strings.ReplaceAll(f, ".", "-"), "-pcap"), r.transcript(args(td+"/"+f)))
			if got := packets(r.stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("packets decode differently from Ethernet:\n%s", diff(strings.Join(want, "\n"), strings.Join(got, "\n")))
			}
		})
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string(nil), tc.args...)
			r := ipband(t, args...)
			golden(t, tc.name, r.transcript(tc.args))
		})
	}
}

// TestOptionSummaryOutputs checks that -d 1 names ipband's own outputs when
// they are set (and only then: the goldens of -d 1 have none of them).
func TestOptionSummaryOutputs(t *testing.T) {
	dir := t.TempDir()
	jpath, spath := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.json")
	r := ipband(t, "-C", "--read", td+"/classic.pcap", "-o", "OUT", "-d", "1", "--json-file", jpath, "--stats-file", spath)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"JSON report file: " + jpath + "\n", "Stats stream file: " + spath + "\n",
		"Table limits: 16384 subnets, 10000 connections per subnet, 1500000 in all\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-d 1 has no %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Notify command") || strings.Contains(r.stdout, "Evidence directory") {
		t.Errorf("-d 1 names outputs that are not set:\n%s", r.stdout)
	}
}

// TestOptionSummary checks the -d 1 lines that only some settings show:
// a preloaded subnet's direction thresholds and link capacity, and how
// reports name the other side (none with namecache 0).
func TestOptionSummary(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		conf, want, absent string
	}{
		{"subnet 10.10.123.0 bandwidth 22 in 20 out 5 capacity 100\nnamecache 100\n",
			"    Preloaded subnets: 10.10.123.0/24 bandwidth 22.00 in 20.00 out 5.00 capacity 100.00\n" +
				"    Names of the other side: from the traffic (namecache 100)\n", ""},
		{"subnet 10.10.123.0 bandwidth 22 out 5\nnamecache 0\n",
			"    Preloaded subnets: 10.10.123.0/24 bandwidth 22.00 out 5.00\n", "Names of the other side"},
	} {
		path := filepath.Join(dir, "ipband.conf")
		if err := os.WriteFile(path, []byte(c.conf), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ipband(t, "-c", path, "--read", filepath.Join(td, "classic.pcap"), "-d", "1", "-o", "OUT")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, l := range strings.SplitAfter(c.want, "\n") {
			if !strings.Contains(r.stdout, l) {
				t.Errorf("%q: -d 1 lacks %q:\n%s", c.conf, l, r.stdout)
			}
		}
		if c.absent != "" && strings.Contains(r.stdout, c.absent) {
			t.Errorf("%q: -d 1 shows %q:\n%s", c.conf, c.absent, r.stdout)
		}
	}
}
