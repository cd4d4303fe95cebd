package main

import (
	"testing"

	"ipband/report"
)

// TestSummaryLine: the exit summary adds the subnets evicted when some
// were, and the packets dropped when some were or the capture is live.
// (The reader a live capture names is checked live, in
// TestReadersSameReports.)
func TestSummaryLine(t *testing.T) {
	tests := []struct {
		name string
		file string
		s    report.Stats
		live bool
		want string
	}{
		{"replay", "a.pcap", report.Stats{Packets: 10, IP: 8, Other: 1, Malformed: 1},
			false, "a.pcap: 10 packets: 8 IP, 1 not IP, 1 malformed"},
		{"replay evicted", "a.pcap", report.Stats{Packets: 10, IP: 10, EvictedSubnets: 7},
			false, "a.pcap: 10 packets: 10 IP, 0 not IP, 0 malformed, 7 subnets evicted"},
		{"live", liveName("eth0", nil), report.Stats{Packets: 3, IP: 3},
			true, "interface eth0: 3 packets: 3 IP, 0 not IP, 0 malformed, 0 dropped"},
		{"live all", liveName("", nil), report.Stats{Packets: 3, IP: 3, EvictedSubnets: 2, Dropped: 12},
			true, "live capture: 3 packets: 3 IP, 0 not IP, 0 malformed, 2 subnets evicted, 12 dropped"},
		{"names", "a.pcap", report.Stats{Packets: 9, IP: 9, DNSAnswers: 4, DNSIgnored: 2, DNSMalformed: 1, NamesEvicted: 3},
			false, "a.pcap: 9 packets: 9 IP, 0 not IP, 0 malformed; DNS: 4 answers used, 2 ignored, 1 malformed, 3 names evicted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summaryLine(tt.file, tt.s, tt.live); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
