package report_test

import (
	"bytes"
	"strings"
	"testing"

	"ipband/report"
)

func TestWriteOptions(t *testing.T) {
	opts := []report.Option{
		{"Debug level", "1"},
		{"Configuration file", "/etc/ipband.conf"},
		{"Averaging period (sec)", "60"},
		{"Reporting period (sec)", "300"},
		{"Bandwidth threshold (kBps)", "10.00"},
		{"Pcap filter string", "net 10.10.0.0/16"},
		{"Report mail to", ""},
		{"Evil", "a\nb"},
	}
	var b bytes.Buffer
	if err := report.WriteOptions(&b, "2.0.0", opts); err != nil {
		t.Fatal(err)
	}
	golden(t, "options", b.Bytes())

	got := strings.Split(b.String(), "\n")
	for i, want := range map[int]string{
		0:  "ipband 2.0.0",
		2:  "Option values:",
		3:  "    Debug level: 1",
		8:  "    Pcap filter string: net 10.10.0.0/16",
		9:  "    Report mail to: (none)",
		10: "    Evil: a?b",
	} {
		if got[i] != want {
			t.Errorf("line %d = %q, want %q", i, got[i], want)
		}
	}
	if len(got) != 3+len(opts)+2 {
		t.Errorf("%d lines, want %d", len(got), 3+len(opts)+2)
	}
}
