package synth_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"ipband/cmd/pcapgen/internal/synth"
)

// smallCount keeps the generated scenarios (bench, flood) small in tests.
func smallCount(name string) int {
	if name == "bench" || name == "flood" || name == "flood-heavy" {
		return 10000
	}
	return 0
}

// broken are the scenarios whose files pcapgo cannot read to the end.
var broken = map[string]bool{
	"malformed-caplen":           true,
	"malformed-cut":              true,
	"malformed-pcapng-oversized": true,
}

func formatsOf(sc synth.Scenario) []synth.Format {
	if sc.PcapNGOnly {
		return []synth.Format{synth.FormatPcapNG}
	}
	return []synth.Format{synth.FormatPcap, synth.FormatPcapNG}
}

func TestScenarioList(t *testing.T) {
	want := []string{"classic", "dynamic", "ipv6", "fragments", "bench", "flood", "flood-heavy", "names",
		"malformed-frames", "malformed-caplen", "malformed-cut", "malformed-timejump",
		"malformed-pcapng-blocks", "malformed-pcapng-oversized"}
	var got []string
	for _, sc := range synth.Scenarios() {
		got = append(got, sc.Name)
		if sc.Summary == "" {
			t.Errorf("%s: no summary", sc.Name)
		}
		if _, err := synth.Lookup(sc.Name); err != nil {
			t.Errorf("Lookup(%q): %v", sc.Name, err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("scenarios = %q, want %q", got, want)
	}
	if _, err := synth.Lookup("nope"); !errors.Is(err, synth.ErrUnknownScenario) {
		t.Errorf("Lookup(nope) = %v, want ErrUnknownScenario", err)
	}
}

func TestDeterministic(t *testing.T) {
	for _, sc := range synth.Scenarios() {
		for _, f := range formatsOf(sc) {
			t.Run(sc.Name+"/"+f.String(), func(t *testing.T) {
				o := synth.Options{Count: smallCount(sc.Name), Seed: 7}
				wo := synth.WriterOptions{Format: f, Link: synth.LinkVLAN}
				a, _ := generate(t, sc.Name, o, wo)
				b, _ := generate(t, sc.Name, o, wo)
				if !bytes.Equal(a, b) {
					t.Fatalf("two runs differ (%d and %d bytes)", len(a), len(b))
				}
			})
		}
	}
}

func TestSeedMatters(t *testing.T) {
	for _, name := range []string{"classic", "dynamic", "ipv6", "bench", "flood", "malformed-timejump"} {
		o := synth.Options{Count: smallCount(name), Seed: 1}
		a, _ := generate(t, name, o, synth.WriterOptions{})
		o.Seed = 2
		b, _ := generate(t, name, o, synth.WriterOptions{})
		if bytes.Equal(a, b) {
			t.Errorf("%s: seeds 1 and 2 give the same file", name)
		}
	}
}

// TestRecordsMatchEvents reads every scenario back with pcapgo and checks
// each record against the event it came from: timestamp, original length
// equal to the requested wire length, caplen min(len, snaplen), and data the
// frame built for the event, cut.
func TestRecordsMatchEvents(t *testing.T) {
	for _, sc := range synth.Scenarios() {
		if broken[sc.Name] {
			continue
		}
		for _, f := range formatsOf(sc) {
			for _, link := range []synth.Link{synth.LinkEthernet, synth.LinkSLL2} {
				t.Run(sc.Name+"/"+f.String()+"/"+link.String(), func(t *testing.T) {
					o := synth.Options{Count: smallCount(sc.Name), Seed: 3, Link: link}
					wo := synth.WriterOptions{Format: f, Link: link}
					file, n := generate(t, sc.Name, o, wo)
					recs := mustRead(t, file, f)
					if len(recs) != n {
						t.Fatalf("read %d records, Generate reported %d", len(recs), n)
					}
					checkRecords(t, sc, o, link, recs)
				})
			}
		}
	}
}

func checkRecords(t *testing.T, sc synth.Scenario, o synth.Options, link synth.Link, recs []record) {
	t.Helper()
	malformed := len(sc.Name) > 9 && sc.Name[:9] == "malformed"
	i := 0
	for ev := range sc.Events(o) {
		if ev.Kind != synth.KindPacket {
			continue
		}
		if o.Count > 0 && i == o.Count {
			break
		}
		if i >= len(recs) {
			t.Fatalf("more events than the %d records", len(recs))
		}
		r := recs[i]
		if !r.ci.Timestamp.Equal(ev.Time) {
			t.Fatalf("record %d: time %v, event %v", i, r.ci.Timestamp, ev.Time)
		}
		if ev.Time.Nanosecond()%1000 != 0 {
			t.Fatalf("record %d: time %v is not whole microseconds", i, ev.Time)
		}
		if r.ci.Length != ev.Len {
			t.Fatalf("record %d: len %d, event asked for %d", i, r.ci.Length, ev.Len)
		}
		if want := min(ev.Len, sc.Snaplen); r.ci.CaptureLength != want {
			t.Fatalf("record %d: caplen %d, want %d", i, r.ci.CaptureLength, want)
		}
		frame, err := synth.BuildFrame(nil, link, &ev.Packet, ev.Len)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(r.data, frame[:r.ci.CaptureLength]) {
			t.Fatalf("record %d: data differs from the event's frame", i)
		}
		if !malformed && ev.Len < synth.MinLen(link, &ev.Packet) {
			t.Fatalf("record %d: %d-byte frame cuts the headers (min %d)", i, ev.Len, synth.MinLen(link, &ev.Packet))
		}
		i++
	}
	if i != len(recs) {
		t.Fatalf("%d events for %d records", i, len(recs))
	}
}

func TestFirstPacketAtStart(t *testing.T) {
	start := time.Date(2024, 2, 29, 23, 59, 30, 0, time.UTC)
	for _, name := range []string{"classic", "dynamic", "ipv6", "fragments", "bench", "flood",
		"malformed-frames", "malformed-timejump", "malformed-pcapng-blocks"} {
		sc, _ := synth.Lookup(name)
		for ev := range sc.Events(synth.Options{Count: 100, Start: start}) {
			if ev.Kind != synth.KindPacket {
				continue
			}
			if !ev.Time.Equal(start) {
				t.Errorf("%s: first packet at %v, want %v", name, ev.Time, start)
			}
			break
		}
	}
}

func TestCountCapsStream(t *testing.T) {
	for _, name := range []string{"classic", "bench", "flood", "flood-heavy", "fragments"} {
		_, n := generate(t, name, synth.Options{Count: 123}, synth.WriterOptions{})
		if n != 123 {
			t.Errorf("%s -n 123: %d packets", name, n)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		sc   string
		o    synth.Options
		wo   synth.WriterOptions
		want error
	}{
		{"pcapng-only as pcap", "malformed-pcapng-blocks", synth.Options{}, synth.WriterOptions{}, synth.ErrFormat},
		{"negative count", "bench", synth.Options{Count: -1}, synth.WriterOptions{}, synth.ErrCount},
		{"flood beyond 2^32", "flood", synth.Options{Count: 1<<32 + 1}, synth.WriterOptions{}, synth.ErrCount},
		{"snaplen too big", "classic", synth.Options{}, synth.WriterOptions{Snaplen: synth.MaxSnaplen + 1}, synth.ErrSnaplen},
		{"pcap before 1970", "classic", synth.Options{Start: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, synth.WriterOptions{}, synth.ErrTime},
		{"pcap after 2106", "classic", synth.Options{Start: time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)}, synth.WriterOptions{}, synth.ErrTime},
		{"unknown link", "classic", synth.Options{}, synth.WriterOptions{Link: 99}, synth.ErrUnknownLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := synth.Lookup(tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := synth.Generate(&buf, sc, tt.o, tt.wo); !errors.Is(err, tt.want) {
				t.Fatalf("Generate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseNames(t *testing.T) {
	for _, l := range synth.Links() {
		got, err := synth.ParseLink(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLink(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, s := range []string{"", "ETH", "ether", "sll3"} {
		if _, err := synth.ParseLink(s); !errors.Is(err, synth.ErrUnknownLink) {
			t.Errorf("ParseLink(%q) = %v, want ErrUnknownLink", s, err)
		}
	}
	for _, tt := range []struct {
		s    string
		f    synth.Format
		fail bool
	}{{"pcap", synth.FormatPcap, false}, {"pcapng", synth.FormatPcapNG, false}, {"PCAP", 0, true}, {"", 0, true}} {
		f, err := synth.ParseFormat(tt.s)
		if (err != nil) != tt.fail || (!tt.fail && f != tt.f) {
			t.Errorf("ParseFormat(%q) = %v, %v", tt.s, f, err)
		}
	}
}
