package report_test

import (
	"net/netip"
	"os"
	"time"

	"ipband/report"
)

func ExampleWriteText() {
	r := report.Report{
		Time:      time.Date(2001, 8, 6, 11, 4, 37, 0, time.FixedZone("EDT", -4*60*60)),
		Subnet:    netip.MustParsePrefix("10.10.123.0/24"),
		Name:      "halifax",
		Threshold: 22,
		Exceeded:  5 * time.Minute,
		Top:       2,
		KBps:      32.63,
		InKBps:    30.1,
		OutKBps:   2.53,
		Over:      report.OverTotal,
		Rows: []report.Row{
			{Src: netip.MustParseAddr("10.10.123.173"), SrcPort: 4359, Dst: netip.MustParseAddr("10.100.11.13"), DstPort: 143, Proto: 6, Bytes: 9365391},
			{Src: netip.MustParseAddr("10.10.123.79"), SrcPort: 4318, Dst: netip.MustParseAddr("128.10.11.200"), DstPort: 23, Proto: 6, Bytes: 37171},
		},
	}
	report.WriteText(os.Stdout, r, report.EmbeddedNames())
	// Output:
	// Date:   Mon Aug  6 11:04:37 2001
	// Network: 10.10.123.0 <halifax>
	// Showing top 2 connections
	// Bandwidth threshold: 22.00 kBps, exceeded for: 5.00 min
	// Rate: 32.63 kBps (in 30.10, out 2.53), over: total
	// ===============================================================================
	// FROM            < PORT>     TO              < PORT>  PROT   KBYTES  SERVICE
	// -------------------------------------------------------------------------------
	// 10.10.123.173   < 4359> <-> 10.100.11.13    <  143>  tcp   9145.89  imap2
	// 10.10.123.79    < 4318> <-> 128.10.11.200   <   23>  tcp     36.30  telnet
	// ===============================================================================
}

func ExampleWriteTable() {
	end := time.Date(2001, 8, 7, 10, 54, 0, 0, time.UTC)
	p := &report.Period{
		Start: end.Add(-time.Minute),
		End:   end,
		Lines: []report.Line{
			{Subnet: netip.MustParsePrefix("10.10.81.0/24"), Bytes: 1093837, KBps: 17.80, Threshold: 22,
				InKBps: 12, OutKBps: 5.8},
			{Subnet: netip.MustParsePrefix("10.10.123.0/24"), Bytes: 1638400, KBps: 26.67, Threshold: 22, Logging: true,
				InKBps: 24.67, OutKBps: 2, ThresholdIn: 16, Over: report.OverTotal | report.OverIn},
		},
		Stats: report.Stats{Malformed: 3},
	}
	report.WriteTable(os.Stdout, p)
	// Output:
	//  10.10.81.0      1068.20 kB    17.80/ 22.00 kBps in    12.00/     - out     5.80 kBps
	// *10.10.123.0     1600.00 kB    26.67/ 22.00 kBps in    24.67/ 16.00 out     2.00 kBps
	//   (malformed 3)
	// *************************************************************************************
}

func ExampleSubject() {
	r := report.Report{Subnet: netip.MustParsePrefix("10.10.123.0/24"), Name: "halifax"}
	os.Stdout.WriteString(report.Subject(r) + "\n")
	// Output: Bandwidth report for 10.10.123.0 <halifax>
}
