package synth_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"ipband/cmd/pcapgen/internal/synth"
)

func rates(tl tally, s string, minutes int) []float64 {
	r := make([]float64, minutes)
	for m := range r {
		r[m] = tl.kBps(s, m)
	}
	return r
}

// TestClassicTally decodes the classic capture with gopacket and checks the
// bytes per /24 per minute against what the scenario documents.
func TestClassicTally(t *testing.T) {
	for _, link := range []synth.Link{synth.LinkEthernet, synth.LinkQinQ, synth.LinkRaw} {
		t.Run(link.String(), func(t *testing.T) {
			file, n := generate(t, "classic", synth.Options{Seed: 1}, synth.WriterOptions{Link: link})
			if n < 4000 || n > 32000 {
				t.Errorf("classic has %d packets, want 4,000-32,000", n)
			}
			recs := mustRead(t, file, synth.FormatPcap)
			start := synth.DefaultStart()
			if !recs[0].ci.Timestamp.Equal(start) {
				t.Errorf("first packet at %v, want %v", recs[0].ci.Timestamp, start)
			}
			if last := recs[len(recs)-1].ci.Timestamp; last.Sub(start) >= 15*time.Minute || last.Sub(start) < 14*time.Minute {
				t.Errorf("last packet at %v, want in the 15th minute", last)
			}
			tl := newTally(t, recs, link, start, 15)
			for m := range 15 {
				hot, r81 := tl.kBps("10.10.123.0/24", m), tl.kBps("10.10.81.0/24", m)
				if m <= 12 && hot < 30 {
					t.Errorf("minute %d: 10.10.123.0 at %.2f kBps, want >= 30", m, hot)
				}
				if m >= 13 && hot >= 1 {
					t.Errorf("minute %d: 10.10.123.0 at %.2f kBps, want < 1", m, hot)
				}
				if (m == 2 || m == 3) != (r81 > 22) {
					t.Errorf("minute %d: 10.10.81.0 at %.2f kBps; over 22 only in minutes 2-3", m, r81)
				}
				for _, s := range []string{"10.10.2.0/24", "10.10.44.0/24", "10.10.1.0/24", "10.10.24.0/24"} {
					if r := tl.kBps(s, m); r < 0.1 || r > 8 {
						t.Errorf("minute %d: %s at %.2f kBps, want 0.1-8", m, s, r)
					}
				}
			}
			for s := range tl {
				if s.Addr().Is4() && netip.MustParsePrefix("10.10.0.0/16").Contains(s.Addr()) {
					switch s.String() {
					case "10.10.123.0/24", "10.10.81.0/24", "10.10.2.0/24", "10.10.44.0/24", "10.10.1.0/24", "10.10.24.0/24":
					default:
						t.Errorf("unexpected local subnet %v", s)
					}
				}
			}
			// The watchdog rule with -a 60 -r 300 and threshold 22.
			starts, reports, drops := episodes(rates(tl, "10.10.123.0/24", 15), 22, 5)
			if !slices.Equal(starts, []int{0}) || !slices.Equal(reports, []int{5, 10}) || !slices.Equal(drops, []int{13}) {
				t.Errorf("10.10.123.0: logs %v, reports %v, drops %v; want [0] [5 10] [13]", starts, reports, drops)
			}
			starts, reports, drops = episodes(rates(tl, "10.10.81.0/24", 15), 22, 5)
			if !slices.Equal(starts, []int{2}) || reports != nil || !slices.Equal(drops, []int{4}) {
				t.Errorf("10.10.81.0: logs %v, reports %v, drops %v; want [2] [] [4]", starts, reports, drops)
			}
		})
	}
}

// TestClassicFlows checks the hot subnet's documented connections are there,
// in both directions for TCP.
func TestClassicFlows(t *testing.T) {
	file, _ := generate(t, "classic", synth.Options{Count: 3000}, synth.WriterOptions{})
	type key struct {
		src, dst     netip.Addr
		sport, dport uint16
		proto        string
	}
	seen := map[key]int{}
	for _, r := range mustRead(t, file, synth.FormatPcap) {
		p := decode(t, synth.LinkEthernet, r.data)
		src, dst, _ := addrs(p)
		k := key{src: src, dst: dst}
		switch l := p.TransportLayer().(type) {
		case *layers.TCP:
			k.sport, k.dport, k.proto = uint16(l.SrcPort), uint16(l.DstPort), "tcp"
		case *layers.UDP:
			k.sport, k.dport, k.proto = uint16(l.SrcPort), uint16(l.DstPort), "udp"
		default:
			if ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
				k.dport, k.proto = uint16(ic.TypeCode), "icmp"
			}
		}
		seen[k]++
	}
	a := netip.MustParseAddr
	for _, k := range []key{
		{a("10.10.123.173"), a("10.100.11.13"), 4359, 143, "tcp"},
		{a("10.100.11.13"), a("10.10.123.173"), 143, 4359, "tcp"},
		{a("10.10.123.79"), a("128.10.11.200"), 4318, 23, "tcp"},
		{a("128.10.11.200"), a("10.10.123.79"), 23, 4318, "tcp"},
		{a("10.10.123.254"), a("10.200.11.2"), 1834, 139, "tcp"},
		{a("10.200.11.2"), a("10.10.123.254"), 139, 1834, "tcp"},
		{a("10.10.123.79"), a("128.10.11.15"), 138, 138, "udp"},
		{a("10.10.123.71"), a("128.10.11.200"), 515, 979, "tcp"},
		{a("10.10.123.173"), a("10.100.11.13"), 0, 2048, "icmp"},
		{a("10.10.123.78"), a("10.100.11.13"), 0, 2048, "icmp"},
		{a("10.10.123.10"), a("10.10.123.20"), 1023, 2049, "udp"},
		{a("10.10.123.20"), a("10.10.123.10"), 2049, 1023, "udp"},
	} {
		if seen[k] == 0 {
			t.Errorf("no packets of %+v", k)
		}
	}
}

func TestDynamicTally(t *testing.T) {
	file, _ := generate(t, "dynamic", synth.Options{Seed: 5}, synth.WriterOptions{})
	recs := mustRead(t, file, synth.FormatPcap)
	tl := newTally(t, recs, synth.LinkEthernet, synth.DefaultStart(), 10)
	hot := map[string][2]int{ // first and last hot minute
		"10.0.2.0/24": {1, 7}, "203.0.113.0/24": {1, 7},
		"192.168.10.0/24": {3, 4}, "198.51.100.0/24": {3, 4},
	}
	locals := 0
	for s := range tl {
		private := s.Addr().IsPrivate()
		if private {
			locals++
		} else if !slices.Contains([]string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}, s.String()) {
			t.Errorf("unexpected remote subnet %v", s)
		}
		span, isHot := hot[s.String()]
		for m := range 10 {
			r := tl.kBps(s.String(), m)
			want := isHot && m >= span[0] && m <= span[1]
			if want && r < 10 || !want && r >= 3 {
				t.Errorf("%v minute %d: %.2f kBps (hot: %v)", s, m, r, want)
			}
		}
	}
	if locals != 30 {
		t.Errorf("%d local subnets, want 30", locals)
	}
	starts, reports, drops := episodes(rates(tl, "10.0.2.0/24", 10), 7, 5)
	if !slices.Equal(starts, []int{1}) || !slices.Equal(reports, []int{6}) || !slices.Equal(drops, []int{8}) {
		t.Errorf("10.0.2.0: logs %v, reports %v, drops %v", starts, reports, drops)
	}
}

func TestIPv6Tally(t *testing.T) {
	for _, link := range []synth.Link{synth.LinkEthernet, synth.LinkNull} {
		file, _ := generate(t, "ipv6", synth.Options{Seed: 5}, synth.WriterOptions{Link: link, Format: synth.FormatPcapNG})
		recs := mustRead(t, file, synth.FormatPcapNG)
		tl := newTally(t, recs, link, synth.DefaultStart(), 10)
		var v4, v6 int
		for s := range tl {
			if s.Addr().Is4() {
				v4++
			} else {
				v6++
			}
			for m := range 10 {
				r := tl.kBps(s.String(), m)
				hot := (s.String() == "2001:db8:1:2::/64" || s.String() == "2001:db8:ffff:1::/64") && m >= 1 && m <= 7
				if hot && r < 10 || !hot && r >= 1.5 {
					t.Errorf("%v minute %d: %.2f kBps (hot: %v)", s, m, r, hot)
				}
			}
		}
		if v4 != 2 || v6 < 8 {
			t.Errorf("%d IPv4 and %d IPv6 subnets, want 2 and >= 8", v4, v6)
		}
		var ext, echo int
		for _, r := range recs {
			p := decode(t, link, r.data)
			if p.Layer(layers.LayerTypeIPv6HopByHop) != nil && p.Layer(layers.LayerTypeIPv6Destination) != nil {
				ext++
			}
			if ic, ok := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok && ic.TypeCode.Type() == layers.ICMPv6TypeEchoRequest {
				echo++
			}
		}
		if ext == 0 || echo != 6*6*10 {
			t.Errorf("%d packets with extension headers, %d ICMPv6 echoes (want > 0 and 360)", ext, echo)
		}
	}
}

func TestBenchShape(t *testing.T) {
	const n = 10000
	file, got := generate(t, "bench", synth.Options{Count: n}, synth.WriterOptions{})
	if got != n {
		t.Fatalf("%d packets, want %d", got, n)
	}
	recs := mustRead(t, file, synth.FormatPcap)
	start := synth.DefaultStart()
	hotNet := netip.MustParsePrefix("10.10.7.0/24")
	local := netip.MustParsePrefix("10.10.0.0/16")
	var hot, v6, small, big, tcp, udp, icmp int
	subnets := map[netip.Prefix]bool{}
	for i, r := range recs {
		if r.ci.CaptureLength > 96 {
			t.Fatalf("record %d: caplen %d > 96", i, r.ci.CaptureLength)
		}
		if want := start.Add(time.Duration(i) * 120 * time.Millisecond); !r.ci.Timestamp.Equal(want) {
			t.Fatalf("record %d at %v, want %v", i, r.ci.Timestamp, want)
		}
		p := decode(t, synth.LinkEthernet, r.data)
		src, dst, ok := addrs(p)
		if !ok {
			t.Fatalf("record %d: no IP layer", i)
		}
		if hotNet.Contains(src) || hotNet.Contains(dst) {
			hot++
			continue
		}
		switch {
		case src.Is6():
			v6++
		case local.Contains(src):
			subnets[subnet24(src)] = true
		case local.Contains(dst):
			subnets[subnet24(dst)] = true
		default:
			t.Fatalf("record %d: %v -> %v has no local end", i, src, dst)
		}
		switch {
		case r.ci.Length <= 100:
			small++
		case r.ci.Length >= 1400:
			big++
		}
		switch {
		case p.Layer(layers.LayerTypeTCP) != nil:
			tcp++
		case p.Layer(layers.LayerTypeUDP) != nil:
			udp++
		case p.Layer(layers.LayerTypeICMPv4) != nil || p.Layer(layers.LayerTypeICMPv6) != nil:
			icmp++
		}
	}
	rest := n - hot
	within := func(name string, got int, lo, hi float64, of int) {
		if f := float64(got) / float64(of); f < lo || f > hi {
			t.Errorf("%s: %.3f of %d, want %.2f-%.2f", name, f, of, lo, hi)
		}
	}
	within("hot share", hot, 0.47, 0.53, n)
	within("IPv6", v6, 0.07, 0.13, rest)
	within("small frames", small, 0.38, 0.52, rest)
	within("big frames", big, 0.38, 0.52, rest)
	within("tcp", tcp, 0.76, 0.84, rest)
	within("udp", udp, 0.14, 0.20, rest)
	within("icmp", icmp, 0.015, 0.045, rest)
	if len(subnets) < 190 {
		t.Errorf("%d other local /24s, want ~199", len(subnets))
	}
}

// TestBenchHotRate checks, from the event stream at the default count, that
// 10.10.7.0/24 is over 1000 kBps in every minute and no other /24 is near.
func TestBenchHotRate(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000,000 events")
	}
	sc, _ := synth.Lookup("bench")
	start := synth.DefaultStart()
	hotNet := netip.MustParsePrefix("10.10.7.0/24")
	var hot [20]int
	other := map[netip.Prefix]*[20]int{}
	for ev := range sc.Events(synth.Options{}) {
		m := int(ev.Time.Sub(start) / time.Minute)
		p := &ev.Packet
		if hotNet.Contains(p.Src) || hotNet.Contains(p.Dst) {
			hot[m] += ev.Len
			continue
		}
		for _, a := range []netip.Addr{p.Src, p.Dst} {
			if a.Is4() && a.As4()[0] == 10 {
				s := subnet24(a)
				if other[s] == nil {
					other[s] = new([20]int)
				}
				other[s][m] += ev.Len
			}
		}
	}
	for m, b := range hot {
		if r := float64(b) / 1024 / 60; r < 1000 {
			t.Errorf("minute %d: 10.10.7.0 at %.1f kBps, want >= 1000", m, r)
		}
	}
	for s, v := range other {
		for m, b := range v {
			if r := float64(b) / 1024 / 60; r >= 7 {
				t.Errorf("minute %d: %v at %.1f kBps, want < 7", m, s, r)
			}
		}
	}
}

func TestFloodDistinctSources(t *testing.T) {
	const n = 20000
	file, _ := generate(t, "flood", synth.Options{Count: n, Seed: 9}, synth.WriterOptions{})
	recs := mustRead(t, file, synth.FormatPcap)
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	srcs := map[netip.Addr]bool{}
	dst := netip.MustParseAddr("10.10.123.10")
	for i, r := range recs {
		p := decode(t, synth.LinkEthernet, r.data)
		s, d, _ := addrs(p)
		if d != dst || srcs[s] {
			t.Fatalf("record %d: %v -> %v (repeated source: %v)", i, s, d, srcs[s])
		}
		srcs[s] = true
		if tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); !ok || !tcp.SYN || tcp.DstPort != 80 {
			t.Fatalf("record %d: not a SYN to port 80", i)
		}
	}
	if span := recs[n-1].ci.Timestamp.Sub(recs[0].ci.Timestamp); span < 119*time.Second || span >= 120*time.Second {
		t.Errorf("flood spans %v, want just under 2 minutes", span)
	}
}

func TestFragments(t *testing.T) {
	for _, link := range synth.Links() {
		t.Run(link.String(), func(t *testing.T) {
			file, _ := generate(t, "fragments", synth.Options{Link: link}, synth.WriterOptions{Link: link})
			recs := mustRead(t, file, synth.FormatPcap)
			if len(recs) != 300 {
				t.Fatalf("%d records, want 300", len(recs))
			}
			type frag struct{ first, later int } // payload bytes of the first fragment; offset of the later
			byID := map[uint32]*frag{}
			var options int
			for i, r := range recs {
				p := decode(t, link, r.data)
				if e := p.ErrorLayer(); e != nil {
					t.Fatalf("record %d: %v", i, e.Error())
				}
				var id uint32
				var first bool
				var off, payload int
				if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
					if ip.IHL == 6 {
						options++
					}
					if ip.Flags&layers.IPv4MoreFragments == 0 && ip.FragOffset == 0 {
						continue
					}
					id, first, off, payload = uint32(ip.Id), ip.FragOffset == 0, int(ip.FragOffset)*8, len(ip.Payload)
				} else if fr, ok := p.Layer(layers.LayerTypeIPv6Fragment).(*layers.IPv6Fragment); ok {
					id, first, off, payload = fr.Identification, fr.FragmentOffset == 0, int(fr.FragmentOffset)*8, len(fr.Payload)
				} else {
					t.Fatalf("record %d: neither an IPv4 packet nor an IPv6 fragment", i)
				}
				f := byID[id]
				if f == nil {
					f = &frag{}
					byID[id] = f
				}
				if first {
					// gopacket does not decode the transport layer of a
					// fragment: read the UDP header by hand.
					f.first = payload
					udp := p.NetworkLayer().LayerPayload()
					if p.Layer(layers.LayerTypeIPv6Fragment) != nil {
						udp = p.Layer(layers.LayerTypeIPv6Fragment).LayerPayload()
					}
					if sport, ulen := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[4:]); sport < 5000 || ulen != 2008 {
						t.Errorf("record %d: first fragment's UDP header % x", i, udp[:8])
					}
				} else {
					f.later = off
				}
			}
			if len(byID) != 120 {
				t.Errorf("%d fragmented datagrams, want 120", len(byID))
			}
			for id, f := range byID {
				if f.first == 0 || f.first != f.later {
					t.Errorf("datagram %#x: first fragment carries %d bytes, later one at offset %d", id, f.first, f.later)
				}
			}
			if options != 60+60 {
				t.Errorf("%d IPv4 packets with options, want 120", options)
			}
		})
	}
}

func TestFloodHeavy(t *testing.T) {
	const n = 30000
	file, _ := generate(t, "flood-heavy", synth.Options{Count: n, Seed: 9}, synth.WriterOptions{})
	recs := mustRead(t, file, synth.FormatPcap)
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	heavy, dst := netip.MustParseAddr("10.10.50.10"), netip.MustParseAddr("10.10.123.10")
	start := recs[0].ci.Timestamp
	var perSecond [60]int
	srcs := map[netip.Addr]bool{}
	for i, r := range recs {
		s, d, _ := addrs(decode(t, synth.LinkEthernet, r.data))
		switch {
		case s == heavy:
			perSecond[r.ci.Timestamp.Sub(start)/time.Second] += r.ci.Length
		case d == dst && !srcs[s]:
			srcs[s] = true
		default:
			t.Fatalf("record %d: %v -> %v: neither heavy nor a new flood source", i, s, d)
		}
		if i > 0 && r.ci.Timestamp.Before(recs[i-1].ci.Timestamp) {
			t.Fatalf("record %d: time goes back", i)
		}
	}
	for sec, b := range perSecond {
		if b != 14600 {
			t.Errorf("second %d: heavy subnet sent %d bytes, want 14600", sec, b)
		}
	}
	if len(srcs) != n-600 {
		t.Errorf("%d flood sources, want %d", len(srcs), n-600)
	}
}
