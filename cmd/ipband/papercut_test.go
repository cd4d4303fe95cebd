package main

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Start-up checks an admin trips over: values that conflict, files named
// but missing, flags that cannot go together, and classic config files.

// writeConf writes a config file named name in dir.
func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkRefused checks that a run exited 2 with one line on stderr saying
// each of want, and started nothing.
func checkRefused(t *testing.T, r hostileResult, want ...string) {
	t.Helper()
	if r.code != exitUsage {
		t.Errorf("exit status %d, want 2; stderr:\n%s", r.code, r.stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "ipband: ") {
		t.Errorf("want exactly one line on stderr, got:\n%s", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("error does not say %q:\n%s", w, r.stderr)
		}
	}
	if r.stdout != "" || len(r.files) != 0 {
		t.Errorf("something started: stdout %q, files %q", r.stdout, r.files)
	}
}

// TestReportShorterThanAverage checks that -r below -a is refused, naming
// both values and where each came from.
func TestReportShorterThanAverage(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	periods := writeConf(t, dir, "periods.conf", "# periods\naverage 120\nreport = 600\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"flags", []string{"-C", "-a", "60", "-r", "30"}, []string{"report 30 (flag -r/--report)", "average 60 (flag -a/--average)"}},
		{"flag-and-default", []string{"-C", "--report", "59"}, []string{"report 59 (flag -r/--report)", "average 60 (default)"}},
		{"flag-and-file", []string{"-c", periods, "-r", "60"}, []string{"report 60 (flag -r/--report)", "average 120 (" + periods + ":2)"}},
		{"file-and-flag", []string{"-c", periods, "-a", "900"}, []string{"report 600 (" + periods + ":3)", "average 900 (flag -a/--average)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hostileRun(t, append(tt.args, "--read", classic, "-d", "2", "-o", "OUT")...)
			checkRefused(t, r, append(tt.want, "the reporting period cannot be less than the averaging period")...)
		})
	}
	// Equal periods are fine.
	if r := hostileRun(t, "-C", "--read", classic, "-a", "60", "-r", "60", "-o", "OUT"); r.code != exitOK {
		t.Errorf("-a 60 -r 60: exit %d:\n%s", r.code, r.stderr)
	}
}

// TestBadFilterOrigin checks that a filter that does not compile stops
// ipband at start, in replay as in live capture, naming the flag or the
// config line it came from.
func TestBadFilterOrigin(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	cfg := writeConf(t, dir, "filter.conf", "# only web\n\nfilter tcp port 80 and # and udp\n")
	r := hostileRun(t, "-c", cfg, "--read", classic, "-d", "2", "-o", "OUT")
	checkRefused(t, r, cfg+":3: ", `filter "tcp port 80 and"`)
	r = hostileRun(t, "-C", "--read", classic, "-f", "udp or", "-d", "2", "-o", "OUT")
	checkRefused(t, r, "flag -f/--filter: ", `filter "udp or"`)
	// A filter of the wrong link type: ether on a raw-IP capture.
	r = hostileRun(t, "-C", "--read", filepath.Join(td, "link-raw.pcap"), "-f", "ether host 00:00:5e:00:53:01", "-o", "OUT")
	checkRefused(t, r, "flag -f/--filter: ", "ether host")

	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	r = hostileRun(t, "-c", cfg, "-i", "lo", "-o", "OUT")
	checkRefused(t, r, cfg+":3: ", `filter "tcp port 80 and"`)
	r = hostileRun(t, "-C", "lo", "--filter", "udp or", "-o", "OUT")
	checkRefused(t, r, "flag -f/--filter: ", `filter "udp or"`)
}

// TestNetworksFile checks that a networks file named with --networks must
// be readable, while the default one may be missing.
func TestNetworksFile(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	missing := filepath.Join(dir, "no-networks")
	r := hostileRun(t, "-C", "--read", classic, "--networks", missing, "-d", "2", "-o", "OUT")
	checkRefused(t, r, "flag --networks", missing)
	r = hostileRun(t, "-C", "--read", classic, "--networks", dir, "-d", "2", "-o", "OUT")
	checkRefused(t, r, "flag --networks", dir)
	if os.Geteuid() != 0 { // root reads a file of mode 0
		unreadable := writeConf(t, dir, "networks", "halifax 10.10.123\n")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		r = hostileRun(t, "-C", "--read", classic, "--networks", unreadable, "-o", "OUT")
		checkRefused(t, r, "flag --networks", unreadable)
	}

	// A named file is used; the default file may be absent, silently.
	r = hostileRun(t, "-c", filepath.Join(td, "classic.conf"), "--read", classic, "--networks", filepath.Join(td, "networks"), "-o", "OUT")
	if r.code != exitOK || !strings.Contains(r.outfile, "<halifax>") {
		t.Errorf("--networks testdata/networks: exit %d, names missing:\n%s", r.code, r.stderr)
	}
	var stdout, stderr strings.Builder
	env := testEnv(nil, nil)
	env.stdout, env.stderr, env.networks = &stdout, &stderr, missing
	out := filepath.Join(dir, "report.txt")
	code := run(t.Context(), []string{"-c", filepath.Join(td, "classic.conf"), "--read", classic, "-o", out}, env)
	if sum, others := splitStderr(t, stderr.String(), classic); code != exitOK || !sum.found || len(others) != 0 {
		t.Errorf("default networks file absent: exit %d, stderr:\n%s", code, stderr.String())
	}
}

// TestReadWithInterface checks that --read refuses an interface given on
// the command line, and ignores one from the config file.
func TestReadWithInterface(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	r := hostileRun(t, "-C", "--read", classic, "-i", "eth0", "-o", "OUT")
	checkRefused(t, r, "flag -R/--read", "flag -i/--interface")
	r = hostileRun(t, "-C", "-R", classic, "eth0", "-o", "OUT")
	checkRefused(t, r, "flag -R/--read", `interface argument "eth0"`)

	shared := writeConf(t, dir, "live.conf", "interface eth9\nbandwidth 22\n")
	r = hostileRun(t, "-c", shared, "--read", classic, "-o", "OUT")
	if sum, others := splitStderr(t, r.stderr, classic); r.code != exitOK || !sum.found || len(others) != 0 {
		t.Errorf("config interface with --read: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestAccumulateWithoutSubnets checks the one warning -A gives in dynamic
// mode, where it does nothing.
func TestAccumulateWithoutSubnets(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	warning := regexp.MustCompile(`^ipband: (.+): accumulate has no effect without subnet lines`)
	accum := writeConf(t, dir, "accum.conf", "bandwidth 22\naccumulate ok # classic spelling\n")
	tests := []struct {
		args   []string
		origin string // "" when no warning is wanted
	}{
		{[]string{"-C", "-A"}, "flag -A/--accumulate"},
		{[]string{"-c", accum}, accum + ":2"},
		{[]string{"-c", filepath.Join(td, "classic.conf"), "-A"}, ""},
		{[]string{"-C"}, ""},
	}
	for _, tt := range tests {
		r := hostileRun(t, append(tt.args, "--read", classic, "-o", "OUT")...)
		sum, others := splitStderr(t, r.stderr, classic)
		if r.code != exitOK || !sum.found || !strings.Contains(r.outfile, "Date:") {
			t.Errorf("%q: exit %d, no reports:\n%s", tt.args, r.code, r.stderr)
			continue
		}
		switch {
		case tt.origin == "" && len(others) != 0:
			t.Errorf("%q: want no warning, got %q", tt.args, others)
		case tt.origin != "" && (len(others) != 1 || warning.FindStringSubmatch(others[0]) == nil || warning.FindStringSubmatch(others[0])[1] != tt.origin):
			t.Errorf("%q: want one warning naming %s, got %q", tt.args, tt.origin, others)
		}
	}
}

// TestClassicConfigForms replays the bundled capture with the bundled
// config rewritten in the other forms the classic parser accepted: the
// reports are the same.
func TestClassicConfigForms(t *testing.T) {
	dir := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	data, err := os.ReadFile(filepath.Join(td, "classic.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) < 2 || strings.HasPrefix(f[0], "#"):
			b.WriteString(line)
		case i%3 == 0:
			b.WriteString(f[0] + "=" + strings.Join(f[1:], " ") + "\t# a comment")
		case i%3 == 1:
			b.WriteString(f[0] + " = \"" + strings.Join(f[1:], " ") + "\"")
		default:
			b.WriteString(line + "   # " + f[0])
		}
		b.WriteString("\n")
	}
	b.WriteString("mtastring \"/usr/sbin/sendmail -t -oi\" # the default\npromisc ok\n")
	forms := writeConf(t, dir, "forms.conf", b.String())

	args := func(cfg string) []string {
		return []string{"-c", cfg, "--read", classic, "-d", "2", "-t", "20", "-A", "-o", "OUT"}
	}
	want := hostileRun(t, args(filepath.Join(td, "classic.conf"))...)
	got := hostileRun(t, args(forms)...)
	if got.code != exitOK || got.outfile != want.outfile || !strings.Contains(got.outfile, "Date:") {
		t.Errorf("classic forms: exit %d, reports differ:\n%s\nconfig:\n%s", got.code, diff(want.outfile, got.outfile), b.String())
	}
	if strip := func(s string) string { return strings.ReplaceAll(s, forms, "CONF") }; strip(got.stdout) != strings.ReplaceAll(want.stdout, filepath.Join(td, "classic.conf"), "CONF") {
		t.Errorf("classic forms: -d 2 output differs:\n%s", diff(want.stdout, strip(got.stdout)))
	}
}

// TestExampleConfigIsDynamic replays with the shipped example config, as
// make install puts it in /etc: every directive in it is commented out,
// so the run is the same as with no config at all (dynamic mode, the
// defaults).
func TestExampleConfigIsDynamic(t *testing.T) {
	classic := filepath.Join(td, "classic.pcap")
	example := filepath.Join("..", "..", "ipband.conf.example")
	noConfig := hostileRun(t, "-C", "--read", classic, "-d", "2", "-o", "OUT")
	withExample := hostileRun(t, "-c", example, "--read", classic, "-d", "2", "-o", "OUT")
	configLine := regexp.MustCompile(`(?m)^.*Configuration file.*\n`)
	if withExample.code != exitOK || withExample.stderr != noConfig.stderr ||
		configLine.ReplaceAllString(withExample.stdout, "") != configLine.ReplaceAllString(noConfig.stdout, "") ||
		withExample.outfile != noConfig.outfile || !strings.Contains(noConfig.outfile, "Date:") {
		t.Errorf("the example config changes the run: exit %d\n%s\n%s", withExample.code, withExample.stderr,
			diff(configLine.ReplaceAllString(noConfig.stdout, ""), configLine.ReplaceAllString(withExample.stdout, "")))
	}
	// Dynamic mode: the table lists subnets that no subnet line names.
	if !strings.Contains(withExample.stdout, "10.100.11.0 ") {
		t.Errorf("example config: not in dynamic mode:\n%s", withExample.stdout)
	}
}

// thresholdCapture writes an Ethernet capture in dir: each second from
// t0, 10.1.1.1 sends frames of exactly 1024 bytes and 10.5.5.1 two frames
// of 1280 bytes, and 10.3.3.1 sends 1023 bytes, all to 192.0.2.1; a last
// frame closes the third second.
func thresholdCapture(t *testing.T, dir string) string {
	t.Helper()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1) // Ethernet
	t0 := time.Date(2001, 8, 6, 10, 0, 0, 0, time.UTC)
	record := func(at time.Time, src string, size int) {
		frame := make([]byte, size)
		copy(frame, []byte{0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x5e, 0, 0x53, 2, 0x08, 0x00})
		ip := frame[14:]
		ip[0], ip[8], ip[9] = 0x45, 64, 17 // IPv4, TTL, UDP
		binary.BigEndian.PutUint16(ip[2:], uint16(size-14))
		s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr("192.0.2.1").As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		binary.BigEndian.PutUint16(ip[20:], 4000)
		binary.BigEndian.PutUint16(ip[22:], 53)
		binary.BigEndian.PutUint16(ip[24:], uint16(size-34))
		b = le.AppendUint32(b, uint32(at.Unix()))
		b = le.AppendUint32(b, uint32(at.Nanosecond()/1000))
		b = le.AppendUint32(b, uint32(size))
		b = le.AppendUint32(b, uint32(size))
		b = append(b, frame...)
	}
	for s := range 3 {
		at := t0.Add(time.Duration(s) * time.Second)
		record(at, "10.1.1.1", 1024)
		record(at.Add(100*time.Millisecond), "10.3.3.1", 1023)
		record(at.Add(200*time.Millisecond), "10.5.5.1", 1280)
		record(at.Add(300*time.Millisecond), "10.5.5.1", 1280)
	}
	record(t0.Add(3*time.Second), "10.9.9.1", 100)
	path := filepath.Join(dir, "threshold.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestThresholdBoundary pins that a subnet whose rate equals its threshold
// is over it (kBps >= threshold): 1024 bytes in a 1 s period is exactly
// 1.00 kBps, 2560 bytes exactly 2.50 kBps; both are logged and reported,
// while 1023 bytes (0.999 kBps) never is.
func TestThresholdBoundary(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConf(t, dir, "boundary.conf", "subnet 10.1.1.0 bandwidth 1\nsubnet 10.3.3.0 bandwidth 1\nsubnet 10.5.5.0 bandwidth 2.5\naverage 1\nreport 1\n")
	r := hostileRun(t, "-c", cfg, "--read", thresholdCapture(t, dir), "-d", "2", "-o", "OUT")
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"*10.1.1.0 ", "*10.5.5.0 "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-d 2 table has no %q (a subnet at its threshold logging):\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "*10.3.3.0") || strings.Contains(r.outfile, "Network: 10.3.3.0") {
		t.Errorf("10.3.3.0, under its threshold, is logged or reported:\n%s\n%s", r.stdout, r.outfile)
	}
	for _, want := range []string{"Network: 10.1.1.0", "Bandwidth threshold: 1.00 kBps", "Network: 10.5.5.0", "Bandwidth threshold: 2.50 kBps"} {
		if !strings.Contains(r.outfile, want) {
			t.Errorf("report file has no %q:\n%s", want, r.outfile)
		}
	}
}
