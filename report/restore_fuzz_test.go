package report

import (
	"bytes"
	"testing"
)

// FuzzReadStats feeds the stats stream reader arbitrary lines: it must
// never panic, and every period it returns must be usable by a History
// (an end after its start, a repeat count that is not negative).
func FuzzReadStats(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"start":"2001-08-07T10:53:00-04:00","end":"2001-08-07T10:54:00-04:00","periods":1,"subnets":[{"subnet":"10.10.2.0/24","name":"","bytes":26245,"kbps":0.43,"threshold_kbps":10,"logging":false}],"packets":1}`,
		`{"start":"2026-03-01T11:59:00Z","end":"2026-03-01T12:09:00Z","periods":10,"subnets":[]}`,
		`{"start":"2026-03-01T11:59:00Z","end":"2026-03-01T11:59:00Z"}`,
		`{"start":"2026-03-01T11:59:00Z","end":"2026-03-01T12:00:00Z","periods":-5,"subnets":[{"subnet":"2001:db8::/64","bytes":1}]}`,
		`{"subnets":[{"subnet":"10.0.0.300/24"}]}`,
		"{not json\n\n{}",
		`{"start":"2026-03-01T11:59:00Z","end":"2026-03-01T12:00:00Z","periods":100000000000}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		periods, bad, _ := readStats(bytes.NewReader(b), false)
		if bad < 0 {
			t.Fatal("negative bad count")
		}
		h := NewHistory(4, nil)
		for _, p := range periods {
			if !p.End.After(p.Start) || p.Repeat < 0 {
				t.Fatalf("unusable period %+v", p)
			}
			h.Add(p)
		}
	})
}
