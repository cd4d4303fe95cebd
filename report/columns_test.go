package report_test

import (
	"bytes"
	"strings"
	"testing"

	"ipband/report"
)

// wideReport has values wider than every classic column: a connection of
// over 977 MB (1000000 kBytes), one of 5 TB, and ipv6-icmp.
func wideReport() report.Report {
	r := sampleReport()
	r.Top = 4
	r.Rows = []report.Row{
		{Src: addr("10.10.123.173"), SrcPort: 4359, Dst: addr("10.100.11.13"), DstPort: 873, Proto: 6, Bytes: 5 << 40},
		{Src: addr("10.10.123.79"), SrcPort: 4318, Dst: addr("128.10.11.200"), DstPort: 22, Proto: 6, Bytes: 1_000_000 * 1024},
		{Src: addr("10.10.123.79"), Dst: addr("10.10.123.1"), DstPort: 128 << 8, Proto: 58, Bytes: 3000},
		{Src: addr("10.10.123.254"), SrcPort: 138, Dst: addr("10.200.11.2"), DstPort: 138, Proto: 17, Bytes: 1024},
	}
	return r
}

// checkTextColumns checks that every row of a rendered report has its
// protocol and kBytes under the header's PROT and KBYTES, and that the
// rules are as long as the header plus 4, as in the classic report.
func checkTextColumns(t *testing.T, text string, rows []report.Row) {
	t.Helper()
	lines := strings.Split(text, "\n")
	h := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM") {
			h = i
		}
	}
	if h < 1 || h+2+len(rows) >= len(lines) {
		t.Fatalf("no header or rows:\n%s", text)
	}
	header := lines[h]
	protEnd := strings.Index(header, "PROT") + len("PROT")
	kbEnd := strings.Index(header, "KBYTES") + len("KBYTES")
	for _, i := range []int{h - 1, h + 1, h + 2 + len(rows)} {
		if len(lines[i]) != len(header)+4 {
			t.Errorf("rule %q is %d long, want %d", lines[i], len(lines[i]), len(header)+4)
		}
	}
	for i := range rows {
		l := lines[h+2+i]
		f := strings.Fields(l)
		// FROM < PORT> <-> TO < PORT> PROT KBYTES SERVICE: the protocol and
		// the kBytes are the fields after the second port.
		var proto, kbytes string
		for j := range f {
			if strings.HasSuffix(f[j], ">") && j > 3 && f[j] != "<->" {
				proto, kbytes = f[j+1], f[j+2]
				break
			}
		}
		if got := strings.Index(l, " "+proto+" ") + 1 + len(proto); got != protEnd-1 {
			t.Errorf("row %d: protocol %q ends at %d, want %d (under PROT):\n%s\n%s", i, proto, got, protEnd-1, header, l)
		}
		if got := strings.Index(l, " "+kbytes+"  ") + 1 + len(kbytes); got != kbEnd {
			t.Errorf("row %d: kBytes %q end at %d, want %d (under KBYTES):\n%s\n%s", i, kbytes, got, kbEnd, header, l)
		}
	}
}

// TestWriteTextWideColumns renders values wider than the classic columns:
// KBYTES and PROT widen for the whole report, and every row stays under
// its header.
func TestWriteTextWideColumns(t *testing.T) {
	r := wideReport()
	got := render(t, r)
	golden(t, "text_wide", got)
	checkTextColumns(t, string(got), r.Rows)
	// The classic sample keeps the classic columns.
	s := sampleReport()
	checkTextColumns(t, string(render(t, s)), s.Rows)
}

// widePeriod has lines wider than every classic -d 2 column: 10 MB/s for
// a minute, 100 MB/s, a threshold of 1000 kBps and more.
func widePeriod() *report.Period {
	p := samplePeriod()
	p.Lines = []report.Line{
		{Subnet: prefix("10.10.2.0/24"), Bytes: kbytes(25.63), KBps: 0.43, Threshold: 10},
		{Subnet: prefix("10.10.81.0/24"), Bytes: 600 << 20, KBps: 10240, Threshold: 22, Logging: true},
		{Subnet: prefix("10.10.1.0/24"), Bytes: 6000 << 20, KBps: 102400, Threshold: 12500},
	}
	return p
}

// TestWriteTableWideColumns checks that wide values widen their -d 2
// column for the whole table: every line has its kB, kBps and threshold
// at the same place, and the closing line is as long as the lines.
func TestWriteTableWideColumns(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    *report.Period
	}{{"wide", widePeriod()}, {"sample", samplePeriod()}} {
		got := table(t, tt.p)
		if tt.name == "wide" {
			golden(t, "table_wide", got)
		}
		lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		first := lines[0]
		for _, l := range lines[1 : len(lines)-1] {
			for _, sep := range []string{" kB ", "/", " kBps"} {
				if strings.Index(l, sep) != strings.Index(first, sep) {
					t.Errorf("%s: %q at %d, first line at %d:\n%s\n%s", tt.name, sep, strings.Index(l, sep), strings.Index(first, sep), first, l)
				}
			}
		}
		if rule := lines[len(lines)-1]; len(rule) != len(first) || strings.Trim(rule, "*") != "" {
			t.Errorf("%s: closing line %d long, lines %d", tt.name, len(rule), len(first))
		}
	}
}

// TestSubnetOtherLength checks that an IPv4 subnet whose length is not the
// mask in force is shown with its length in the report, the title, the
// table and the page, and one at the mask by its address alone.
func TestSubnetOtherLength(t *testing.T) {
	r := sampleReport()
	r.Subnet, r.MaskBits = prefix("10.10.0.0/16"), 24
	if got, want := report.Title(r), "10.10.0.0/16 <halifax>"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if !bytes.Contains(render(t, r), []byte("\nNetwork: 10.10.0.0/16 <halifax>\n")) {
		t.Errorf("report:\n%s", render(t, r))
	}
	for _, tt := range []struct {
		subnet string
		mask   int
		want   string
	}{
		{"10.10.123.0/24", 24, "10.10.123.0"},
		{"10.10.0.0/16", 16, "10.10.0.0"},
		{"10.10.0.0/16", 0, "10.10.0.0"},
		{"10.10.123.128/25", 24, "10.10.123.128/25"},
		{"2001:db8:1::/48", 24, "2001:db8:1::/48"},
	} {
		r.Subnet, r.MaskBits = prefix(tt.subnet), tt.mask
		if got := report.Title(r); got != tt.want+" <halifax>" {
			t.Errorf("%s at mask %d: title %q, want %q", tt.subnet, tt.mask, got, tt.want+" <halifax>")
		}
	}

	p := samplePeriod()
	p.MaskBits = 24
	p.Lines[0].Subnet = prefix("10.10.0.0/16")
	p.Lines[1].Subnet = prefix("100.100.100.0/22") // 16 characters: widens the column
	got := string(table(t, p))
	if !strings.HasPrefix(got, " 10.10.0.0/16       25.63 kB ") || !strings.Contains(got, "\n 100.100.100.0/22    5.82 kB ") ||
		!strings.Contains(got, "\n 10.10.122.0       237.23 kB ") {
		t.Errorf("table:\n%s", got)
	}
	var page bytes.Buffer
	h := report.NewStatusPage("-", "status", report.PageOptions{Stdout: &page}, nil)
	if err := h.Period(p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">10.10.0.0/16<", ">100.100.100.0/22<", ">10.10.122.0<"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("page has no %s", want)
		}
	}
}
