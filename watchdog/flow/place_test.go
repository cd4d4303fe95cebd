package flow_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"ipband/watchdog/flow"
)

// connRecord is one record of a connection of 10.10.123.5, its span in
// seconds from t10.
type connRecord struct {
	host       string
	from, to   int
	octets     uint64
	exportedAt int // seconds from t10
}

// sendRecords sends each record in its own IPFIX message, at its export
// time, into a collector with grace whose engine starts at t10, and
// closes every period; it returns the bytes of 10.10.123.0/24 per period
// and the collector.
func sendRecords(t *testing.T, grace time.Duration, recs []connRecord) ([]uint64, *flow.Collector, string) {
	t.Helper()
	e, c, rec := newCollector(t, flow.Options{Grace: grace, Skew: time.Hour})
	var trace bytes.Buffer
	c.SetTrace(&trace)
	e.Start(t10.UnixNano())
	for i, r := range recs {
		at := t10.Add(time.Duration(r.exportedAt) * time.Second)
		m := (&msg{version: 10, export: uint32(at.Unix()), seq: uint32(i)}).
			template(2, 256, flowFields()...).
			set(256, flowData(r.host, "10.100.11.13", r.octets,
				t10.Add(time.Duration(r.from)*time.Second), t10.Add(time.Duration(r.to)*time.Second)))
		c.Datagram(e, exporterAddr, at.UnixNano(), m.bytes())
	}
	c.Finish(e)
	c.Stop(e, t10.Add(time.Hour).UnixNano())
	var out []uint64
	for k := int64(0); k < 5; k++ {
		out = append(out, perPeriod(rec)[k][sub123])
	}
	return out, c, trace.String()
}

// TestPlaceStep checks that a change of rate inside a record is placed
// where its neighbours put it: a connection at 1 kB/s until 100 s, then
// at 10 kB/s, exported in records of 60 s from 10 s, with the default
// grace and a longer one. Spread evenly, period 1 would have 285000
// bytes and period 2 555000.
func TestPlaceStep(t *testing.T) {
	recs := []connRecord{
		{"10.10.123.5", 10, 70, 60000, 71},
		{"10.10.123.5", 70, 130, 30000 + 300000, 131},
		{"10.10.123.5", 130, 190, 600000, 191},
	}
	for _, grace := range []time.Duration{120 * time.Second, 300 * time.Second} {
		t.Run(grace.String(), func(t *testing.T) {
			got, c, _ := sendRecords(t, grace, recs)
			want := []uint64{50000, 240000, 600000, 100000, 0}
			for k := range want {
				if d := int64(got[k]) - int64(want[k]); d < -2 || d > 2 {
					t.Errorf("bytes per period %v, want %v", got, want)
					break
				}
			}
			if x := c.Exporters()[0]; x.LateBytes != 0 || x.Records != 3 {
				t.Errorf("exporter %+v: want 3 records, no late bytes", x)
			}
		})
	}
}

// TestPlaceEven checks the records spread evenly: a burst inside one
// record (faster than both neighbours), neighbours apart by a gap (the
// connection was idle between), a rate within noise (5%) of a
// neighbour's, and records of different connections.
func TestPlaceEven(t *testing.T) {
	for _, c := range []struct {
		name string
		recs []connRecord
		want []uint64
	}{
		{"burst inside", []connRecord{
			{"10.10.123.5", 10, 70, 60000, 71},
			{"10.10.123.5", 70, 130, 600000, 131},
			{"10.10.123.5", 130, 190, 60000, 191},
		}, []uint64{50000, 10000 + 500000, 100000 + 50000, 10000, 0}},
		{"idle between", []connRecord{
			{"10.10.123.5", 10, 70, 60000, 71},
			{"10.10.123.5", 80, 130, 275000, 131},
			{"10.10.123.5", 140, 190, 500000, 191},
		}, []uint64{50000, 10000 + 220000, 55000 + 400000, 100000, 0}},
		{"within noise of a neighbour", []connRecord{ // 98 kB/s after 100: no step
			{"10.10.123.5", 10, 70, 6000000, 71},
			{"10.10.123.5", 70, 130, 5880000, 131},
			{"10.10.123.5", 130, 190, 600000, 191},
		}, []uint64{5000000, 1000000 + 4900000, 980000 + 500000, 100000, 0}},
		{"other connections", []connRecord{
			{"10.10.123.5", 10, 70, 60000, 71},
			{"10.10.123.6", 70, 130, 330000, 131},
			{"10.10.123.7", 130, 190, 600000, 191},
		}, []uint64{50000, 10000 + 275000, 55000 + 500000, 100000, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, _ := sendRecords(t, 300*time.Second, c.recs)
			for k := range c.want {
				if d := int64(got[k]) - int64(c.want[k]); d < -2 || d > 2 {
					t.Errorf("bytes per period %v, want %v", got, c.want)
					break
				}
			}
		})
	}
}

// TestPlaceHeldUntilJudged checks that a record whose successor does not
// come is counted before its first period is judged: the clock moves on
// (a datagram of another connection at 300 s), and no byte is late.
func TestPlaceHeldUntilJudged(t *testing.T) {
	got, c, trace := sendRecords(t, 120*time.Second, []connRecord{
		{"10.10.123.5", 10, 70, 60000, 71},
		{"10.10.1.5", 295, 299, 100, 300},
	})
	if got[0] != 50000 || got[1] != 10000 {
		t.Errorf("bytes per period %v, want 50000 and 10000 first", got)
	}
	if x := c.Exporters()[0]; x.LateBytes != 0 {
		t.Errorf("late bytes %d, want 0", x.LateBytes)
	}
	if !strings.Contains(trace, "10.10.123.5:4000 > 10.100.11.13:443 60000 bytes\n") {
		t.Errorf("trace has no line for the held record:\n%s", trace)
	}
}

// TestPlaceBound checks that past the bound of connections held, records
// of new connections count at once, evenly, and that it is logged once.
func TestPlaceBound(t *testing.T) {
	defer flow.SetMaxPlaced(4)()
	var logs []string
	e, c, rec := newCollector(t, flow.Options{Grace: 300 * time.Second, Skew: time.Hour,
		Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	var trace bytes.Buffer
	c.SetTrace(&trace)
	e.Start(t10.UnixNano())
	at := t10.Add(71 * time.Second)
	for i := range 6 {
		m := (&msg{version: 10, export: uint32(at.Unix()), seq: uint32(i)}).
			template(2, 256, flowFields()...).
			set(256, flowData(fmt.Sprintf("10.10.123.%d", 10+i), "10.100.11.13", 6000, t10.Add(10*time.Second), t10.Add(70*time.Second)))
		c.Datagram(e, exporterAddr, at.UnixNano(), m.bytes())
	}
	if n := strings.Count(trace.String(), "\n"); n != 2 {
		t.Errorf("%d records counted at once, want the 2 past the bound:\n%s", n, trace.String())
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "4 connections") {
		t.Errorf("logs %q, want one naming the bound", logs)
	}
	c.Finish(e)
	c.Stop(e, t10.Add(time.Hour).UnixNano())
	if n := strings.Count(trace.String(), "\n"); n != 6 {
		t.Errorf("%d records counted at the end, want 6", n)
	}
	if got := totals(rec)[sub123]; got != 36000 {
		t.Errorf("10.10.123.0/24: %d bytes, want 36000", got)
	}
}
