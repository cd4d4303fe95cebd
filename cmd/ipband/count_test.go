package main

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// tally is an independent count of a capture: bytes per /24 per period,
// and bytes per connection in a time window, read with gopacket's own
// reader and layers (nothing of ipband's reader or decoder).
type tally struct {
	t0      time.Time
	periods []map[string]uint64 // subnet -> bytes
	in, out []map[string]uint64 // subnet -> bytes to it, from it
}

type connTally map[string]uint64 // "lo:port hi:port proto" -> bytes

// countCapture reads path and tallies it in periods of avg.
func countCapture(t *testing.T, path string, avg time.Duration, window func(ts time.Time) bool, subnet netip.Prefix) (*tally, connTally) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tl := &tally{}
	conns := connTally{}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if tl.t0.IsZero() {
			tl.t0 = ci.Timestamp
		}
		k := int(ci.Timestamp.Sub(tl.t0) / avg)
		for len(tl.periods) <= k {
			tl.periods = append(tl.periods, map[string]uint64{})
			tl.in = append(tl.in, map[string]uint64{})
			tl.out = append(tl.out, map[string]uint64{})
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Lazy)
		ip, ok := pkt.NetworkLayer().(*layers.IPv4)
		if !ok {
			continue
		}
		src, _ := netip.AddrFromSlice(ip.SrcIP)
		dst, _ := netip.AddrFromSlice(ip.DstIP)
		s24, d24 := netip.PrefixFrom(src, 24).Masked(), netip.PrefixFrom(dst, 24).Masked()
		n := uint64(ci.Length)
		tl.periods[k][s24.Addr().String()] += n
		if d24 != s24 {
			tl.periods[k][d24.Addr().String()] += n
		}
		tl.out[k][s24.Addr().String()] += n
		tl.in[k][d24.Addr().String()] += n
		if window(ci.Timestamp) && (subnet.Contains(src) || subnet.Contains(dst)) {
			conns[connName(pkt, src, dst)] += n
		}
	}
	return tl, conns
}

// connName names a packet's connection the way reports list it: the lower
// address first with its port.
func connName(pkt gopacket.Packet, src, dst netip.Addr) string {
	var sp, dp int
	var proto string
	switch l := pkt.TransportLayer().(type) {
	case *layers.TCP:
		sp, dp, proto = int(l.SrcPort), int(l.DstPort), "tcp"
	case *layers.UDP:
		sp, dp, proto = int(l.SrcPort), int(l.DstPort), "udp"
	default:
		if ic, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
			dp, proto = int(ic.TypeCode), "icmp"
		}
	}
	if c := dst.Compare(src); c < 0 || c == 0 && dp < sp {
		src, dst, sp, dp = dst, src, dp, sp
	}
	return fmt.Sprintf("%s:%d %s:%d %s", src, sp, dst, dp, proto)
}

// TestCountsMatchCapture checks the -d 2 numbers of a replay against the
// independent count: every subnet, every closed period, to the printed
// hundredth of a kB, and its rates in and out to the printed hundredth of
// a kB/s; the open, partial last period is not shown.
func TestCountsMatchCapture(t *testing.T) {
	const file = td + "/classic.pcap"
	tl, _ := countCapture(t, file, time.Minute, func(time.Time) bool { return false }, netip.Prefix{})
	r := ipband(t, "-C", "--read", file, "-d", "2", "-b", "100000", "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := hTables(t, r.stdout)
	if want := len(tl.periods) - 1; len(got) != want {
		t.Fatalf("%d tables, want %d closed periods", len(got), want)
	}
	lines := 0
	for k, table := range got {
		want := tl.periods[k]
		if len(table.kB) != len(want) {
			t.Errorf("period %d: %d subnets, want %d", k, len(table.kB), len(want))
		}
		for sub, bytes := range want {
			kB, ok := table.kB[sub]
			if g, w := fmt.Sprintf("%.2f", kB), fmt.Sprintf("%.2f", float64(bytes)/1024); !ok || g != w {
				t.Errorf("period %d %s: %s kB (shown: %v), independent count %s kB", k, sub, g, ok, w)
			}
			for _, d := range []struct {
				name      string
				got, want float64
			}{{"in", table.in[sub], float64(tl.in[k][sub])}, {"out", table.out[sub], float64(tl.out[k][sub])}} {
				if g, w := fmt.Sprintf("%.2f", d.got), fmt.Sprintf("%.2f", d.want/1024/60); g != w {
					t.Errorf("period %d %s: %s %s kB/s, independent count %s", k, sub, d.name, g, w)
				}
			}
			lines++
		}
	}
	if lines < 50 {
		t.Fatalf("only %d subnet lines compared", lines)
	}
}

// TestReportMatchesCapture checks the first report of the congested subnet
// against the independent count of its connections from the start of
// logging (end of period 0) to the report (end of period 5).
func TestReportMatchesCapture(t *testing.T) {
	const file = td + "/classic.pcap"
	probe := ipband(t, "-C", "--read", file, "-o", "/dev/null")
	if probe.code != 0 {
		t.Fatal(probe.stderr)
	}
	halifax := netip.MustParsePrefix("10.10.123.0/24")
	var t0 time.Time
	_, conns := countCapture(t, file, time.Minute, func(ts time.Time) bool {
		if t0.IsZero() {
			t0 = ts
		}
		d := ts.Sub(t0)
		return d >= time.Minute && d < 6*time.Minute
	}, halifax)
	r := ipband(t, "-c", td+"/classic.conf", "--read", file, "-t", "0", "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	first := strings.SplitN(r.outfile, "\n\n", 2)[0]
	if !strings.Contains(first, "Network: 10.10.123.0 <halifax>") || !strings.Contains(first, "exceeded for: 5.00 min") {
		t.Fatalf("first report is not halifax's 5-minute report:\n%s", first)
	}
	rows := 0
	for _, l := range strings.Split(first, "\n") {
		// "10.10.123.173   < 4359> <-> 10.100.11.13    <  143>  tcp   9145.89  imap2"
		f := strings.Fields(strings.NewReplacer("<->", "<->", "<", " ", ">", " ").Replace(l))
		if len(f) < 7 || f[2] != "<->" {
			continue
		}
		name := fmt.Sprintf("%s:%s %s:%s %s", f[0], f[1], f[3], f[4], f[5])
		want, ok := conns[name]
		if !ok {
			t.Errorf("report row %q not in the capture's window", name)
			continue
		}
		if w := fmt.Sprintf("%.2f", float64(want)/1024); f[6] != w {
			t.Errorf("%s: %s kB, independent count %s kB", name, f[6], w)
		}
		delete(conns, name)
		rows++
	}
	if rows < 10 {
		t.Fatalf("only %d rows compared", rows)
	}
	if len(conns) != 0 {
		t.Errorf("connections in the capture missing from the report: %v", conns)
	}
}
