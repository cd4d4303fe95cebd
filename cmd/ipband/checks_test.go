package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFilterLinkTypes replays the same traffic in every link type with a
// filter: each must compile (LINUX_SLL2 is 276, beyond a byte; raw IP is
// 101, not a DLT_ value) and select the same packets as on Ethernet.
func TestFilterLinkTypes(t *testing.T) {
	tags := map[string]string{"vlan": "vlan and ", "qinq": "vlan and vlan and "}
	count := func(link string) (hostileSummary, hostileResult) {
		file := filepath.Join(td, "link-"+link+".pcap")
		r := hostileRun(t, "-C", "--read", file, "-f", tags[link]+"ip and udp", "-o", "OUT")
		sum, others := splitStderr(t, r.stderr, file)
		if r.code != exitOK || !sum.found || len(others) != 0 {
			t.Errorf("link %s: exit %d:\n%s", link, r.code, r.stderr)
		}
		return sum, r
	}
	want, _ := count("eth")
	eth := filepath.Join(td, "link-eth.pcap")
	all, _ := splitStderr(t, hostileRun(t, "-C", "--read", eth, "-o", "OUT").stderr, eth)
	if want.ip == 0 || want.ip >= all.ip {
		t.Fatalf("ethernet: the filter kept %d IP packets of %d", want.ip, all.ip)
	}
	for _, link := range linkTypes[1:] {
		if got, r := count(link); got != want {
			t.Errorf("link %s: %+v, want %+v as on Ethernet:\n%s", link, got, want, r.stderr)
		}
	}
}

// TestFilterEmptyRecord replays with a filter a capture whose records
// captured no byte: they are counted as malformed, never filtered, and
// the replay goes on to the end.
func TestFilterEmptyRecord(t *testing.T) {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1) // Ethernet
	for i, wire := range []uint32{60, 0, 1514} {
		b = le.AppendUint32(b, uint32(1+i))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0) // captured length
		b = le.AppendUint32(b, wire)
	}
	file := filepath.Join(t.TempDir(), "empty-records.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, filter := range []string{"udp", "not udp", "less 100"} {
		r := hostileRun(t, "-C", "--read", file, "-f", filter, "-o", "OUT")
		sum, others := splitStderr(t, r.stderr, file)
		if r.code != exitOK || len(others) != 0 || sum.packets != 3 || sum.malformed != 3 {
			t.Errorf("-f %q: exit %d, %+v, want 3 packets, 3 malformed:\n%s", filter, r.code, sum, r.stderr)
		}
		if strings.Contains(r.outfile, "Date:") {
			t.Errorf("-f %q: a report from empty records", filter)
		}
	}
}

// TestOutputsCheckedAtStart gives -o and -w paths ipband cannot write:
// it must exit 2 before capture with one line naming the setting, the
// path and the cause, start nothing and leave the paths as they were.
func TestOutputsCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	victim := filepath.Join(dir, "victim")
	link := filepath.Join(dir, "link.txt")
	for _, p := range []string{file, victim} {
		if err := os.WriteFile(p, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	confDir := filepath.Join(dir, "outfile.conf")
	if err := os.WriteFile(confDir, []byte("outfile "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	classic := filepath.Join(td, "classic.pcap")
	cases := []struct {
		name string
		args []string
		want string // the whole error line after "ipband: "
	}{
		{"outfile-directory", []string{"-C", "-o", dir}, "flag -o/--outfile: " + dir + ": is a directory"},
		{"outfile-missing-dir", []string{"-C", "-o", filepath.Join(missing, "x.txt")},
			"flag -o/--outfile: " + filepath.Join(missing, "x.txt") + ": directory " + missing + ": no such file or directory"},
		{"outfile-under-file", []string{"-C", "-o", filepath.Join(file, "x.txt")},
			"flag -o/--outfile: " + filepath.Join(file, "x.txt") + ": directory " + file + ": not a directory"},
		{"outfile-symlink", []string{"-C", "-o", link}, "flag -o/--outfile: " + link + ": is a symbolic link, not followed"},
		{"outfile-config", []string{"-c", confDir}, "outfile in " + confDir + ": " + dir + ": is a directory"},
		{"htmlfile-directory", []string{"-C", "-o", "OUT", "-w", dir}, "flag -w/--htmlfile: " + dir + ": is a directory"},
		{"htmlfile-missing-dir", []string{"-C", "-o", "OUT", "-w", filepath.Join(missing, "x.html")},
			"flag -w/--htmlfile: " + filepath.Join(missing, "x.html") + ": directory " + missing + ": no such file or directory"},
	}
	if os.Geteuid() == 0 {
		open := filepath.Join(dir, "open")
		if err := os.Mkdir(open, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(open, 0o1777); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			args []string
			want string
		}{"outfile-world-writable-dir-as-root", []string{"-C", "-o", filepath.Join(open, "x.txt")},
			"flag -o/--outfile: " + filepath.Join(open, "x.txt") + ": directory " + open + ": writable by other users, unsafe for root"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := hostileRun(t, append([]string{"--read", classic, "-d", "2"}, tc.args...)...)
			if r.code != exitUsage || r.stderr != "ipband: "+tc.want+"\n" {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, "ipband: "+tc.want+"\n")
			}
			if r.stdout != "" || len(r.files) != 0 {
				t.Errorf("something started: stdout %q, files %q", r.stdout, r.files)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, victim} {
		if b, _ := os.ReadFile(p); string(b) != "keep\n" {
			t.Errorf("%s changed: %q", p, b)
		}
	}
	if want := 4 + map[bool]int{true: 1}[os.Geteuid() == 0]; len(entries) != want {
		t.Errorf("%d entries left in the directory, want %d", len(entries), want)
	}
}

// TestStdoutClosedPipe runs the built command with -o - (and every packet
// traced, -d 3, far more than a pipe holds) into a pipe whose reader
// closes after one line, as `| head -1` does: ipband must not die of
// SIGPIPE but say once that its output is gone, capture to the end of the
// file, and exit 1 for the reports lost.
func TestStdoutClosedPipe(t *testing.T) {
	bin := buildIpband(t)
	classic := filepath.Join(td, "classic.pcap")
	cmd := exec.Command(bin, "-C", "--read", classic, "-b", "22", "-d", "3", "-o", "-")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ipband 0.9.0\n" {
		t.Errorf("first line %q, %v", line, err)
	}
	stdout.Close()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFail {
		t.Fatalf("ipband: %v (%v), want exit status 1; stderr:\n%s", err, cmd.ProcessState, stderr.String())
	}
	// The log's timestamps and subsystems are not what is tested here.
	plain := regexp.MustCompile(`(?m)^\S+ (ipband: .*?)( subsystem=\S+)?$`).ReplaceAllString(stderr.String(), "$1")
	lines := strings.Split(strings.TrimSuffix(plain, "\n"), "\n")
	want := []string{
		"ipband: standard output: write: broken pipe; keeping 1 report(s) in memory",
		"ipband: " + classic + ": 28932 packets: 28932 IP, 0 not IP, 0 malformed",
	}
	if len(lines) != 3 || lines[0] != want[0] || lines[1] != want[1] ||
		!regexp.MustCompile(`^ipband: standard output: \d+ report\(s\) could not be written$`).MatchString(lines[2]) {
		t.Errorf("stderr:\n%s\nwant:\n%s\nipband: standard output: N report(s) could not be written", stderr.String(), strings.Join(want, "\n"))
	}
}

// TestOutputsReadOnlyFS mounts a read-only file system in a mount
// namespace of its own and points -o and -w into it: exit 2 at start,
// naming the path.
func TestOutputsReadOnlyFS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare command")
	}
	bin := buildIpband(t)
	ro := t.TempDir()
	classic := filepath.Join(td, "classic.pcap")
	for _, tc := range []struct{ flag, path, want string }{
		{"-o", filepath.Join(ro, "out.txt"), "flag -o/--outfile: " + filepath.Join(ro, "out.txt") + ": read-only file system"},
		{"-w", filepath.Join(ro, "page.html"), "flag -w/--htmlfile: " + filepath.Join(ro, "page.html") + ": read-only file system"},
	} {
		script := `mount -t tmpfs -o ro,mode=755 ipband-test "$1" || exit 99; shift; exec "$@"`
		cmd := exec.Command(unshare, "-m", "sh", "-c", script, "sh", ro, bin, "-C", "--read", classic, "-o", "/dev/null", tc.flag, tc.path)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 99 {
			t.Skipf("cannot mount a read-only tmpfs: %s", stderr.String())
		}
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || stderr.String() != "ipband: "+tc.want+"\n" || stdout.String() != "" {
			t.Errorf("%s %s: %v, stderr %q, stdout %q; want exit 2 and %q", tc.flag, tc.path, err, stderr.String(), stdout.String(), tc.want)
		}
	}
}

// bigCapture writes a capture of two connections of 64 kB segments (as a
// host with TCP segmentation offload captures them), 16000 a minute for
// three minutes, over 977 MB a minute: 10.10.5.7 to 10.20.0.9:873, and a
// smaller one from 10.10.9.9 to 10.20.0.10:22.
func bigCapture(t *testing.T) string {
	t.Helper()
	le, be := binary.LittleEndian, binary.BigEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 96)
	b = le.AppendUint32(b, 1) // Ethernet
	frame := func(src, dst [4]byte, sport, dport uint16, wire int) []byte {
		f := make([]byte, 0, 54)
		f = append(f, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00)
		f = append(f, 0x45, 0)
		f = be.AppendUint16(f, uint16(wire-14))
		f = append(f, 0, 0, 0x40, 0, 64, 6, 0, 0)
		f = append(f, src[:]...)
		f = append(f, dst[:]...)
		f = be.AppendUint16(f, sport)
		f = be.AppendUint16(f, dport)
		return append(f, make([]byte, 16)...)
	}
	big := frame([4]byte{10, 10, 5, 7}, [4]byte{10, 20, 0, 9}, 40000, 873, 65534)
	small := frame([4]byte{10, 10, 9, 9}, [4]byte{10, 20, 0, 10}, 50000, 22, 1514)
	const n = 3 * 16000
	for i := range n {
		us := uint64(i) * 180_000_000 / n
		for _, f := range [][]byte{big, small} {
			wire := uint32(be.Uint16(f[16:]) + 14)
			b = le.AppendUint32(b, uint32(1_000_000_000+us/1e6))
			b = le.AppendUint32(b, uint32(us%1e6))
			b = le.AppendUint32(b, uint32(len(f)))
			b = le.AppendUint32(b, wire)
			b = append(b, f...)
		}
	}
	path := filepath.Join(t.TempDir(), "big.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWideColumnsAndOtherLengths replays connections of over 977 MB with a
// preloaded /16 among /24s: the report's KBYTES and the -d 2 table's kB
// columns widen so that every row stays under its header, and the /16 is
// shown with its length in the table, the page and the report, the /24s
// without.
func TestWideColumnsAndOtherLengths(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipband.conf")
	if err := os.WriteFile(cfg, []byte("subnet 10.10.0.0/16 bandwidth 10\nsubnet 10.20.0.0 bandwidth 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "status.html")
	file := bigCapture(t)
	r := hostileRun(t, "-c", cfg, "--read", file, "-a", "60", "-r", "60", "-d", "2", "-o", "OUT", "-w", page)
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}

	// The -d 2 tables: every line of a table has its columns where the
	// table's first line has them, and the closing line as long.
	var table []string
	tables := 0
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "*****"):
			if len(table) > 0 {
				tables++
				for _, tl := range table {
					for _, sep := range []string{" kB ", "/", " kBps"} {
						if strings.LastIndex(tl, sep) != strings.LastIndex(table[0], sep) {
							t.Errorf("table line %q: %q not under the first line's %q", tl, sep, table[0])
						}
					}
				}
				if len(l) != len(table[0]) {
					t.Errorf("closing line %d long, lines %d:\n%s", len(l), len(table[0]), strings.Join(table, "\n"))
				}
			}
			table = table[:0]
		case strings.HasSuffix(l, " kBps"):
			table = append(table, l)
		}
	}
	// Each subnet holds one end of both connections: 16000 × (65534 +
	// 1514) bytes a minute are 1047625 kB, 17460.42 kBps.
	if tables < 2 || !strings.Contains(r.stdout, "*10.10.0.0/16   1047625.00 kB 17460.42/ 10.00 kBps in     0.00 out 17460.42 kBps\n") ||
		!strings.Contains(r.stdout, "\n*10.20.0.0      1047625.00 kB 17460.42/ 10.00 kBps in 17460.42 out     0.00 kBps\n") {
		t.Errorf("want wide tables with 10.10.0.0/16 and 10.20.0.0:\n%s", r.stdout)
	}

	// The reports: rows under the header, the /16 with its length.
	reports := strings.SplitAfter(r.outfile, "\n\n")
	if len(reports) < 2 || !strings.Contains(r.outfile, "\nNetwork: 10.10.0.0/16\n") || !strings.Contains(r.outfile, "\nNetwork: 10.20.0.0\n") {
		t.Fatalf("reports:\n%s", r.outfile)
	}
	for _, rep := range reports {
		lines := strings.Split(rep, "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "FROM") {
				continue
			}
			kbEnd := strings.Index(l, "KBYTES") + len("KBYTES")
			for _, row := range lines[i+2:] {
				if strings.HasPrefix(row, "=") {
					if len(row) != len(l)+4 {
						t.Errorf("rule %d long, header %d", len(row), len(l))
					}
					break
				}
				if end := strings.LastIndex(row, ".") + 3; end != kbEnd {
					t.Errorf("kBytes end at %d, KBYTES at %d:\n%s\n%s", end, kbEnd, l, row)
				}
			}
		}
	}
	if !strings.Contains(r.outfile, "<  873>  tcp 1023968.75  rsync\n") {
		t.Errorf("no 977 MB connection row:\n%s", r.outfile)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">10.10.0.0/16</a></td>", ">10.20.0.0</a></td>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("page has no %s:\n%s", want, html)
		}
	}
}
