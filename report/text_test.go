package report_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"ipband/report"
)

// sampleReport is the sample report of the classic tool's page.
func sampleReport() report.Report {
	row := func(src string, sport uint16, dst string, dport uint16, proto uint8, kb float64) report.Row {
		return report.Row{Src: addr(src), SrcPort: sport, Dst: addr(dst), DstPort: dport, Proto: proto, Bytes: kbytes(kb)}
	}
	return report.Report{
		Time:      time.Date(2001, 8, 6, 11, 4, 37, 0, edt),
		Subnet:    prefix("10.10.123.0/24"),
		Name:      "halifax",
		Threshold: 22,
		Exceeded:  5 * time.Minute,
		Top:       20,
		KBps:      32.63,
		InKBps:    30.1,
		OutKBps:   2.53,
		Over:      report.OverTotal,
		Rows: []report.Row{
			row("10.10.123.173", 4359, "10.100.11.13", 143, 6, 9145.89),
			row("10.10.123.79", 4318, "128.10.11.200", 23, 6, 36.30),
			row("10.10.123.254", 1834, "10.200.11.2", 139, 6, 16.47),
			row("10.10.123.79", 138, "128.10.11.15", 138, 17, 5.83),
			row("10.10.123.254", 1833, "10.200.11.2", 139, 6, 3.64),
			row("10.10.123.71", 515, "128.10.11.200", 979, 6, 3.36),
			row("10.10.123.69", 515, "128.10.11.200", 789, 6, 3.00),
			row("10.10.123.173", 0, "10.100.11.13", 2048, 1, 2.96),
			row("10.10.123.78", 0, "10.100.11.13", 2048, 1, 2.96),
			row("10.10.123.173", 4366, "10.100.11.13", 143, 6, 2.76),
			row("10.10.123.79", 4520, "10.100.11.13", 143, 6, 2.75),
			row("10.10.104.254", 138, "10.10.123.117", 138, 17, 2.67),
			row("10.10.24.254", 138, "10.10.123.117", 138, 17, 2.67),
			row("10.10.60.254", 138, "10.10.123.117", 138, 17, 2.66),
			row("10.10.123.117", 138, "128.10.11.15", 138, 17, 2.65),
			row("10.10.123.78", 1325, "10.100.11.13", 143, 6, 2.65),
			row("10.10.123.254", 138, "10.10.124.73", 138, 17, 2.64),
			row("10.10.44.80", 138, "10.10.123.254", 138, 17, 2.64),
			row("10.10.44.75", 138, "10.10.123.254", 138, 17, 2.64),
			row("10.10.44.77", 138, "10.10.123.254", 138, 17, 2.64),
		},
	}
}

// namesReport is the sample report with the remote sides named, from
// every source, some with an ASN and country, one name with a control
// character.
func namesReport() report.Report {
	r := sampleReport()
	set := func(i int, name, src string, asn uint32, org, cc string) {
		r.Rows[i].Name, r.Rows[i].NameSource = name, src
		r.Rows[i].ASN, r.Rows[i].ASOrg, r.Rows[i].Country = asn, org, cc
	}
	set(0, "imap.mail.example.com", "dns", 64500, "Example Mail", "CA")
	set(1, "telnet.example.co.uk", "sni, confirmed", 64501, "Example UK", "GB")
	set(2, "files.corp.example", "ptr", 0, "", "")
	set(3, "claims.example.org", "sni, claimed", 64501, "Example UK", "GB")
	set(4, "plain.example.org", "http, claimed", 0, "", "")
	set(5, "printer.example.com", "http, confirmed", 64500, "Example Mail", "CA")
	set(6, "bad\nname.example.net", "dns", 0, "", "")
	return r
}

func ipv6Report() report.Report {
	r := sampleReport()
	r.Subnet = prefix("2001:db8:1::/48")
	r.Name = "lab"
	r.Top = 3
	r.Rows = []report.Row{
		{Src: addr("2001:db8:1::10"), SrcPort: 51234, Dst: addr("2001:db8:ffff:1234:5678:9abc:def0:1"), DstPort: 443, Proto: 6, Bytes: 5 << 20},
		{Src: addr("2001:db8:1::10"), Dst: addr("ff02::1"), DstPort: 128 << 8, Proto: 58, Bytes: 3000},
		{Src: addr("2001:db8:1::20"), SrcPort: 53, Dst: addr("2001:db8:2::53"), DstPort: 40000, Proto: 17, Bytes: 1024},
	}
	return r
}

func render(t *testing.T, r report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteText(&b, r, report.EmbeddedNames()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteTextGolden(t *testing.T) {
	accum := sampleReport()
	accum.Time = time.Date(2001, 8, 6, 11, 0, 0, 0, edt)
	accum.Accum = &report.Accumulated{
		Since:   time.Date(2001, 8, 6, 6, 0, 0, 0, edt),
		Total:   35 * time.Minute,
		Elapsed: 5 * time.Hour,
	}
	hidden := sampleReport()
	hidden.Rows = hidden.Rows[:3]
	hidden.Top = 3
	hidden.Hidden = report.Hidden{Conns: 12, Bytes: kbytes(345.68)}
	note := sampleReport()
	note.EvictedSubnets, note.Dropped = 2980746, 12
	top0 := sampleReport()
	top0.Top = 0
	top0.Name = ""
	top0.Rows = append(top0.Rows[:2:2],
		report.Row{Src: addr("10.10.123.5"), SrcPort: 40000, Dst: addr("10.1.1.1"), DstPort: 445, Proto: 6, Bytes: 100000},
		report.Row{Src: addr("10.10.123.5"), Dst: addr("10.1.1.1"), Proto: 47, Bytes: 100},
		report.Row{Src: addr("10.10.123.5"), Dst: addr("10.1.1.1"), Proto: 253, Bytes: 0},
	)

	tests := []struct {
		name string
		r    report.Report
	}{
		{"sample", sampleReport()},
		{"accum", accum},
		{"ipv6", ipv6Report()},
		{"hidden", hidden},
		{"note", note},
		{"top0", top0},
		{"names", namesReport()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "text_"+tt.name, render(t, tt.r))
		})
	}
}

// TestSampleReportMatchesSeed checks the sample golden against the sample
// report on the classic tool's page, line for line, but for ipband's
// "Rate:" line (the rates in and out), which follows the threshold line.
func TestSampleReportMatchesSeed(t *testing.T) {
	golden, err := os.ReadFile("testdata/text_sample.golden")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(golden), "\n")
	if len(lines) < 5 || lines[4] != "Rate: 32.63 kBps (in 30.10, out 2.53), over: total" {
		t.Fatalf("no rates line after the threshold line:\n%s", golden)
	}
	got := strings.Join(slices.Delete(lines, 4, 5), "\n")
	isRule := func(s string) bool { return len(s) == 79 && strings.Trim(s, "=") == "" }
	rules := 0
	want := seedLines(t,
		func(s string) bool { return strings.HasPrefix(s, "Date:") },
		func(s string) bool {
			if isRule(s) {
				rules++
			}
			return rules == 2
		})
	// The report is the seed's lines and one empty line after them.
	if w := strings.Join(want, "\n") + "\n\n"; string(got) != w {
		t.Errorf("golden differs from the seed (-seed +golden):\n%s", lineDiff(w, string(got)))
	}
	if len(want) != 28 {
		t.Errorf("seed section has %d lines, want 28 (20 rows)", len(want))
	}
}

func TestWriteTextLines(t *testing.T) {
	accum := sampleReport()
	accum.Time = time.Date(2001, 8, 6, 11, 0, 0, 0, edt)
	accum.Accum = &report.Accumulated{Since: time.Date(2001, 8, 6, 6, 0, 0, 0, edt), Total: 35 * time.Minute, Elapsed: 5 * time.Hour}
	noElapsed := sampleReport()
	noElapsed.Accum = &report.Accumulated{Since: noElapsed.Time}
	hidden1 := sampleReport()
	hidden1.Hidden = report.Hidden{Conns: 1, Bytes: 512}
	hidden2 := sampleReport()
	hidden2.Hidden = report.Hidden{Conns: 12, Bytes: kbytes(345.68)}
	top0 := sampleReport()
	top0.Top = 0
	evicted1 := sampleReport()
	evicted1.EvictedSubnets = 1
	dropped := sampleReport()
	dropped.Dropped = 12
	both := accum
	both.EvictedSubnets, both.Dropped = 2980746, 1
	long := sampleReport()
	long.Rows = []report.Row{{Src: addr("10.0.0.1"), SrcPort: 3389, Dst: addr("10.0.0.2"), DstPort: 50000, Proto: 6, Bytes: 2048}}
	unnamed := sampleReport()
	unnamed.Rows = []report.Row{{Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"), Proto: 99, Bytes: 1024}}

	tests := []struct {
		name    string
		r       report.Report
		want    []string // lines that must appear
		wantNot []string // substrings that must not
	}{
		{"accum", accum, []string{"Threshold exceeded time since Mon Aug  6 06:00:00 2001: 35.00 min (11.67%)"}, nil},
		{"accum no elapsed", noElapsed, []string{"Threshold exceeded time since Mon Aug  6 11:04:37 2001: 0.00 min (0.00%)"}, nil},
		{"no accum", sampleReport(), nil, []string{"Threshold exceeded"}},
		{"hidden one", hidden1, []string{"1 connection not shown (0.50 kBytes): table limit reached"}, nil},
		{"hidden many", hidden2, []string{"12 connections not shown (345.68 kBytes): table limit reached"}, nil},
		{"no hidden", sampleReport(), nil, []string{"not shown"}},
		{"top 20", sampleReport(), []string{"Showing top 20 connections"}, nil},
		{"evicted one", evicted1, []string{"Note: 1 subnet evicted in this episode"}, []string{"dropped"}},
		{"dropped only", dropped, []string{"Note: 12 packets dropped by the kernel in this episode"}, []string{"evicted"}},
		{"note under accum", both, []string{"Note: 2980746 subnets evicted, 1 packet dropped by the kernel in this episode"}, nil},
		{"no note", sampleReport(), nil, []string{"Note:"}},
		{"top 0", top0, nil, []string{"Showing"}},
		{"service cut to 11", long, []string{"10.0.0.1        < 3389> <-> 10.0.0.2        <50000>  tcp      2.00  ms-wbt-serv"}, nil},
		{"unnamed protocol", unnamed, []string{"10.0.0.1        <    0> <-> 10.0.0.2        <    0>   99      1.00  "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(render(t, tt.r))
			lines := strings.Split(got, "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("no line %q in\n%s", w, got)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
			if !strings.HasSuffix(got, "=\n\n") {
				t.Errorf("report does not end with a rule and an empty line: %q", got[max(0, len(got)-10):])
			}
		})
	}
}

// TestWriteTextIPv6Width checks that IPv6 rows widen both address columns,
// the header and the rules alike, and that "ipv6-icmp" widens PROT for the
// whole report.
func TestWriteTextIPv6Width(t *testing.T) {
	r := ipv6Report()
	width := 0
	for _, row := range r.Rows {
		width = max(width, len(row.Src.String()), len(row.Dst.String()))
	}
	got := strings.Split(string(render(t, r)), "\n")
	proto := len("ipv6-icmp") - 4 // beyond the classic 4 columns
	rule := 79 + 2*(width-15) + proto
	var header string
	for _, l := range got {
		if strings.HasPrefix(l, "FROM") {
			header = l
		}
		if strings.HasPrefix(l, "==") || strings.HasPrefix(l, "--") {
			if len(l) != rule {
				t.Errorf("rule %d long, want %d", len(l), rule)
			}
		}
	}
	pad := strings.Repeat(" ", proto)
	if want := "FROM" + strings.Repeat(" ", width-4) + " < PORT>     TO" + strings.Repeat(" ", width-2) + " < PORT>  " + pad + "PROT   KBYTES  SERVICE"; header != want {
		t.Errorf("header\n%q, want\n%q", header, want)
	}
	if want := "Network: 2001:db8:1::/48 <lab>"; got[1] != want {
		t.Errorf("network line %q, want %q", got[1], want)
	}
	wantRow := "2001:db8:1::10" + strings.Repeat(" ", width-14) + " <51234> <-> 2001:db8:ffff:1234:5678:9abc:def0:1 <  443>  " + pad + "tcp   5120.00  https"
	if got[8] != wantRow {
		t.Errorf("first row\n%q, want\n%q", got[8], wantRow)
	}
	if !strings.Contains(got[9], "<32768> ipv6-icmp      2.93  ") {
		t.Errorf("icmpv6 row %q", got[9])
	}
}

func TestTitleSubject(t *testing.T) {
	tests := []struct {
		name   string
		subnet string
		label  string
		want   string
	}{
		{"named", "10.10.123.0/24", "halifax", "10.10.123.0 <halifax>"},
		{"unnamed", "10.10.123.0/24", "", "10.10.123.0"},
		{"ipv6", "2001:db8:1::/48", "", "2001:db8:1::/48"},
		{"ipv6 named", "2001:db8:1::/48", "lab", "2001:db8:1::/48 <lab>"},
		{"header injection", "10.0.0.0/8", "x\r\nBcc: victim@example.com", "10.0.0.0 <x??Bcc: victim@example.com>"},
		{"controls", "10.0.0.0/8", "a\tb\x00c\x7fd\u0085e\u2028f", "10.0.0.0 <a?b?c?d?e?f>"},
		{"invalid utf-8", "10.0.0.0/8", "caf\xe9", "10.0.0.0 <caf?>"},
		{"utf-8 kept", "10.0.0.0/8", "Zürich", "10.0.0.0 <Zürich>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report.Report{Subnet: prefix(tt.subnet), Name: tt.label}
			if got := report.Title(r); got != tt.want {
				t.Errorf("Title = %q, want %q", got, tt.want)
			}
			if got, want := report.Subject(r), "Bandwidth report for "+tt.want; got != want {
				t.Errorf("Subject = %q, want %q", got, want)
			}
		})
	}
}

func TestWriteTextOneWrite(t *testing.T) {
	var w countingWriter
	if err := report.WriteText(&w, sampleReport(), nil); err != nil {
		t.Fatal(err)
	}
	if w.calls != 1 {
		t.Errorf("%d Write calls, want 1", w.calls)
	}
	errFull := errors.New("disk full")
	err := report.WriteText(failWriter{errFull}, sampleReport(), nil)
	if !errors.Is(err, errFull) {
		t.Errorf("error %v does not wrap the writer's", err)
	}
}

func TestAppendTextAllocs(t *testing.T) {
	names := report.EmbeddedNames()
	for _, r := range []report.Report{sampleReport(), ipv6Report()} {
		buf := report.AppendText(nil, r, names)
		allocs := testing.AllocsPerRun(100, func() {
			buf = report.AppendText(buf[:0], r, names)
		})
		if allocs != 0 {
			t.Errorf("AppendText %s: %v allocs, want 0", r.Subnet, allocs)
		}
	}
}

func BenchmarkAppendText(b *testing.B) {
	names := report.EmbeddedNames()
	for _, r := range []report.Report{sampleReport(), ipv6Report()} {
		b.Run(r.Subnet.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := report.AppendText(nil, r, names)
			for b.Loop() {
				buf = report.AppendText(buf[:0], r, names)
			}
		})
	}
}

type countingWriter struct {
	bytes.Buffer
	calls int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// FuzzTitle checks that any network name gives a one-line title, safe in
// a mail header, that keeps clean names unchanged.
func FuzzTitle(f *testing.F) {
	f.Add("halifax", true)
	f.Add("x\r\nBcc: a@example.com", false)
	f.Add("Zürich\u2028", true)
	f.Add("caf\xe9\x00", false)
	f.Fuzz(func(t *testing.T, name string, v4 bool) {
		r := report.Report{Subnet: prefix("2001:db8:1::/48"), Name: name}
		if v4 {
			r.Subnet = prefix("10.10.123.0/24")
		}
		got := report.Title(r)
		if !utf8.ValidString(got) {
			t.Fatalf("title %q is not UTF-8", got)
		}
		if strings.ContainsFunc(got, func(c rune) bool { return unicode.IsControl(c) || c == '\u2028' || c == '\u2029' }) {
			t.Fatalf("title %q has a control character", got)
		}
		sub := strings.TrimSuffix(r.Subnet.String(), "/24")
		if name == "" {
			if got != sub {
				t.Fatalf("title %q, want %q", got, sub)
			}
			return
		}
		if !strings.HasPrefix(got, sub+" <") || !strings.HasSuffix(got, ">") {
			t.Fatalf("title %q does not frame the name", got)
		}
		clean := utf8.ValidString(name) && !strings.ContainsFunc(name, func(c rune) bool { return unicode.IsControl(c) || c == '\u2028' || c == '\u2029' })
		if clean && got != sub+" <"+name+">" {
			t.Fatalf("clean name %q changed: %q", name, got)
		}
	})
}
