package report_test

import (
	"os"
	"path/filepath"
	"testing"

	"ipband/report"
)

func TestEmbeddedServices(t *testing.T) {
	tests := []struct {
		port  uint16
		proto uint8
		want  string
	}{
		{143, 6, "imap2"},
		{139, 6, "netbios-ssn"},
		{515, 6, "printer"},
		{138, 17, "netbios-dgm"},
		{23, 6, "telnet"},
		{53, 17, "domain"},
		{443, 6, "https"},
		{138, 6, ""},  // netbios-dgm is udp only
		{143, 1, ""},  // icmp has no services
		{143, 58, ""}, // nor has ipv6-icmp
		{4359, 6, ""},
		{0, 6, ""},
	}
	for _, names := range []*report.Names{report.EmbeddedNames(), nil} {
		for _, tt := range tests {
			if got := names.Service(tt.port, tt.proto); got != tt.want {
				t.Errorf("Service(%d, %d) = %q, want %q", tt.port, tt.proto, got, tt.want)
			}
		}
	}
}

func TestProtocol(t *testing.T) {
	tests := []struct {
		proto uint8
		want  string
	}{
		{0, "ip"},
		{1, "icmp"},
		{6, "tcp"},
		{17, "udp"},
		{47, "gre"},
		{50, "esp"},
		{58, "ipv6-icmp"},
		{132, "sctp"},
		{99, "99"},
		{255, "255"},
	}
	for _, names := range []*report.Names{report.EmbeddedNames(), nil, report.SystemNames("", "")} {
		for _, tt := range tests {
			if got := names.Protocol(tt.proto); got != tt.want {
				t.Errorf("Protocol(%d) = %q, want %q", tt.proto, got, tt.want)
			}
		}
	}
}

func TestRowService(t *testing.T) {
	tests := []struct {
		name string
		row  report.Row
		want string
	}{
		{"dst named", report.Row{SrcPort: 4359, DstPort: 143, Proto: 6}, "imap2"},
		{"src named first", report.Row{SrcPort: 515, DstPort: 23, Proto: 6}, "printer"},
		{"src named, dst not", report.Row{SrcPort: 515, DstPort: 979, Proto: 6}, "printer"},
		{"udp", report.Row{SrcPort: 138, DstPort: 138, Proto: 17}, "netbios-dgm"},
		{"none", report.Row{SrcPort: 4359, DstPort: 4360, Proto: 6}, ""},
		{"icmp", report.Row{SrcPort: 0, DstPort: 2048, Proto: 1}, ""},
		{"gre", report.Row{SrcPort: 23, DstPort: 23, Proto: 47}, ""},
	}
	names := report.EmbeddedNames()
	for _, tt := range tests {
		if got := names.RowService(tt.row); got != tt.want {
			t.Errorf("%s: RowService = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSystemNames(t *testing.T) {
	dir := t.TempDir()
	services := filepath.Join(dir, "services")
	protocols := filepath.Join(dir, "protocols")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(services, "# local services\n"+
		"myimap\t143/tcp\timap # site name wins\n"+
		"alt 143/tcp\n"+ // not the first name of 143/tcp
		"webcache 7777/tcp\n"+
		"broken 99999/tcp\n"+
		"noproto 7000\n"+
		"sctponly 9999/sctp\n")
	write(protocols, "myproto 253 MYPROTO\nignored 300\nicmp2 1 # a second name for 1 loses to the first\nicmp 1\n")
	missing := filepath.Join(dir, "nonexistent")

	tests := []struct {
		name                string
		names               *report.Names
		imap, telnet, cache string
		p1, p6, p253        string
		sctp                string
	}{
		{"system files", report.SystemNames(services, protocols), "myimap", "telnet", "webcache", "icmp2", "tcp", "myproto", ""},
		{"missing files", report.SystemNames(missing, missing), "imap2", "telnet", "", "icmp", "tcp", "253", ""},
		{"directories", report.SystemNames(dir, dir), "imap2", "telnet", "", "icmp", "tcp", "253", ""},
		{"embedded", report.EmbeddedNames(), "imap2", "telnet", "", "icmp", "tcp", "253", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.names
			for _, c := range []struct{ got, want string }{
				{n.Service(143, 6), tt.imap},
				{n.Service(23, 6), tt.telnet},
				{n.Service(7777, 6), tt.cache},
				{n.Service(9999, 6), tt.sctp},
				{n.Protocol(1), tt.p1},
				{n.Protocol(6), tt.p6},
				{n.Protocol(253), tt.p253},
			} {
				if c.got != c.want {
					t.Errorf("got %q, want %q", c.got, c.want)
				}
			}
		})
	}
}

// TestSystemNamesMissingSameAsEmbedded checks every tcp and udp port: with
// no system files, output is the embedded table's.
func TestSystemNamesMissingSameAsEmbedded(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	sys, emb := report.SystemNames(missing, missing), report.EmbeddedNames()
	named := 0
	for port := range 1 << 16 {
		for _, proto := range []uint8{6, 17} {
			s, e := sys.Service(uint16(port), proto), emb.Service(uint16(port), proto)
			if s != e {
				t.Fatalf("port %d/%d: system %q, embedded %q", port, proto, s, e)
			}
			if e != "" {
				named++
			}
		}
	}
	if named < 300 {
		t.Errorf("embedded table names %d ports, want at least 300", named)
	}
	for p := range 256 {
		if s, e := sys.Protocol(uint8(p)), emb.Protocol(uint8(p)); s != e {
			t.Fatalf("protocol %d: system %q, embedded %q", p, s, e)
		}
	}
}

func TestNamesAllocs(t *testing.T) {
	names := report.EmbeddedNames()
	row := report.Row{SrcPort: 4359, DstPort: 143, Proto: 6}
	allocs := testing.AllocsPerRun(100, func() {
		_ = names.RowService(row)
		_ = names.Protocol(99)
	})
	if allocs != 0 {
		t.Errorf("%v allocs, want 0", allocs)
	}
}

func BenchmarkRowService(b *testing.B) {
	b.ReportAllocs()
	names := report.EmbeddedNames()
	row := report.Row{SrcPort: 4359, DstPort: 143, Proto: 6}
	for b.Loop() {
		_ = names.RowService(row)
	}
}

func TestZeroNames(t *testing.T) {
	var n report.Names
	if got := n.Service(143, 6); got != "imap2" {
		t.Errorf("zero Names: Service(143, 6) = %q", got)
	}
	if got := n.Protocol(1); got != "icmp" {
		t.Errorf("zero Names: Protocol(1) = %q", got)
	}
}
