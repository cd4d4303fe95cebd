package report_test

import (
	"fmt"
	"net/netip"
	"time"

	"ipband/report"
)

func ExampleAppendJSON() {
	end := time.Date(2001, 8, 6, 11, 5, 0, 0, time.FixedZone("EDT", -4*3600))
	r := report.Report{
		Time:      end,
		Start:     end.Add(-5 * time.Minute),
		Subnet:    netip.MustParsePrefix("10.10.123.0/24"),
		Name:      "halifax",
		Threshold: 22,
		KBps:      32.5,
		InKBps:    30,
		OutKBps:   2.5,
		Over:      report.OverTotal,
		Exceeded:  5 * time.Minute,
		Top:       1,
		Rows: []report.Row{{
			Src: netip.MustParseAddr("10.10.123.173"), SrcPort: 4359,
			Dst: netip.MustParseAddr("10.100.11.13"), DstPort: 143,
			Proto: 6, Bytes: 9365391,
		}},
	}
	fmt.Printf("%s\n", report.AppendJSON(nil, r, report.EmbeddedNames()))
	// Output:
	// {"version":1,"time":"2001-08-06T11:05:00-04:00","start":"2001-08-06T11:00:00-04:00","subnet":"10.10.123.0/24","name":"halifax","threshold_kbps":22,"kbps":32.5,"in_kbps":30,"out_kbps":2.5,"over":["total"],"exceeded_seconds":300,"top":1,"connections":[{"src":"10.10.123.173","src_port":4359,"dst":"10.100.11.13","dst_port":143,"proto":6,"proto_name":"tcp","bytes":9365391,"service":"imap2"}],"hidden":{"connections":0,"bytes":0},"evicted_subnets":0,"dropped":0}
}

func ExampleAppendPeriodJSON() {
	end := time.Date(2001, 8, 7, 10, 54, 0, 0, time.UTC)
	p := &report.Period{
		Start: end.Add(-time.Minute),
		End:   end,
		Lines: []report.Line{{Subnet: netip.MustParsePrefix("10.10.81.0/24"), Name: "toronto", Bytes: 1093837, KBps: 17.8, Threshold: 22,
			InBytes: 737280, OutBytes: 356557, InKBps: 12, OutKBps: 5.8}},
		Stats: report.Stats{Packets: 1500, IP: 1500},
	}
	fmt.Printf("%s\n", report.AppendPeriodJSON(nil, p))
	// Output:
	// {"version":1,"start":"2001-08-07T10:53:00Z","end":"2001-08-07T10:54:00Z","periods":1,"subnets":[{"subnet":"10.10.81.0/24","name":"toronto","bytes":1093837,"kbps":17.8,"threshold_kbps":22,"logging":false,"in_bytes":737280,"out_bytes":356557,"in_kbps":12,"out_kbps":5.8,"over":[]}],"packets":1500,"ip":1500,"not_ip":0,"malformed":0,"evicted_subnets":0,"evicted_connections":0,"dropped":0}
}
