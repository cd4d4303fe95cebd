package synth

import (
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// DefaultStart returns the start time used when Options.Start is zero:
// 2001-08-06T10:00:00Z.
func DefaultStart() time.Time {
	return time.Date(2001, time.August, 6, 10, 0, 0, 0, time.UTC)
}

// Options tune a scenario run. The zero Options is usable: seed 0, the
// scenario's default count, DefaultStart and Ethernet.
type Options struct {
	// Count is the number of packets: for scenarios with a default count
	// (bench, flood) it sets how many are made; for the others it stops the
	// stream after Count packets. Zero means the scenario's default.
	Count int
	// Seed seeds the scenario's PCG generator.
	Seed uint64
	// Start is the time of the first packet (for most scenarios; see each
	// scenario's doc). Zero means DefaultStart.
	Start time.Time
	// Link is the link type the frames will be written with; scenarios use
	// it to size frames whose IP content must be exact (fragments, runts).
	Link Link
}

// Scenario is a named, documented generator of events.
type Scenario struct {
	// Name is what -s takes.
	Name string
	// Summary is the one-line description --list prints.
	Summary string
	// Count is the default packet count, or 0 when the scenario has a
	// natural length.
	Count int
	// Snaplen is the default snap length.
	Snaplen int
	// Format is the default file format.
	Format Format
	// PcapNGOnly marks scenarios whose damage only pcapng can carry.
	PcapNGOnly bool
	// MaxCount is the largest count the scenario can make, or 0 for no
	// limit.
	MaxCount int

	events func(o Options) iter.Seq[Event]
}

// Scenarios returns every scenario, in the order --list prints them.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "classic", Snaplen: 68, events: classic,
			Summary: "15 min branch network 10.10.0.0/16: 10.10.123.0 >= 30 kBps in minutes 0-12 then quiet, 10.10.81.0 > 22 kBps in minutes 2-3 only"},
		{Name: "dynamic", Snaplen: 68, events: dynamic,
			Summary: "10 min, 30 local /24s in 10/8, 172.16/12, 192.168/16 and remotes in 192.0.2/24, 198.51.100/24, 203.0.113/24; 10.0.2.0 hot minutes 1-7, 192.168.10.0 hot minutes 3-4"},
		{Name: "ipv6", Snaplen: 128, events: ipv6,
			Summary: "10 min IPv6, 2001:db8:1::/48 sites to 2001:db8:ffff::/48 servers; 2001:db8:1:2::/64 hot minutes 1-7; extension headers, ICMPv6 echo, some IPv4"},
		{Name: "fragments", Snaplen: DefaultSnaplen, events: fragments,
			Summary: "60 s of fragmented UDP (IPv4, IPv4 with options, IPv6, IPv6 with extension headers: first + non-first fragment) and IPv4 TCP with options"},
		{Name: "bench", Count: 2000000, Snaplen: 96, events: bench,
			Summary: "benchmark load over 20 min: 200 /24s in 10.10.0.0/16, random remotes, ~10% IPv6, TCP/UDP/ICMP 80/17/3, 10.10.7.0 carries half the packets (> 1000 kBps at the default count)"},
		{Name: "flood", Count: 1000000, MaxCount: min(1<<32, math.MaxInt), Snaplen: 96, events: flood,
			Summary: "2 min dynamic-mode flood: every packet from a different random IPv4 source to 10.10.123.10:80"},
		{Name: "flood-heavy", Count: 2000000, MaxCount: min(1<<32, math.MaxInt), Snaplen: 96, events: floodHeavy,
			Summary: "1 min flood as flood (33,000 packets/s at the default count) hiding 10.10.50.10 -> 198.51.100.80 at 14600 bytes/s, 1460-byte frames"},
		{Name: "names", Snaplen: 256, events: names,
			Summary: "5 min of 10.20.1.0/24 clients resolving names through 10.20.0.53 (CNAME chains, a TTL that expires, a spoofed and a mismatched answer, DNS over TCP), then TLS server_name and HTTP Host claims"},
		{Name: "malformed-frames", Snaplen: DefaultSnaplen, events: malformedFrames,
			Summary: "10 s of good traffic (10.10.123.0 ~26 kBps) interleaved with runts, bad IHL, wrong version, bad lengths, cut headers and 40 IPv6 destination options"},
		{Name: "malformed-caplen", Snaplen: DefaultSnaplen, events: malformedCaplen,
			Summary: "10 s of good traffic with two records whose caplen exceeds len (at 3 s and 6 s); readers that reject such records stop there"},
		{Name: "malformed-cut", Snaplen: 68, events: malformedCut,
			Summary: "the first 10 s of classic, then the file ends in the middle of a record"},
		{Name: "malformed-timejump", Snaplen: DefaultSnaplen, events: malformedTimejump,
			Summary: "10 s bursts of traffic at the start, 2038-01-19T03:14:00Z (crossing 2^31 s), 1971-01-01T00:00:00Z, then start+20s"},
		{Name: "malformed-pcapng-blocks", Format: FormatPcapNG, PcapNGOnly: true, Snaplen: DefaultSnaplen, events: malformedBlocks,
			Summary: "pcapng, 10 s of good traffic with custom, local-use, unknown and name resolution blocks between packets"},
		{Name: "malformed-pcapng-oversized", Format: FormatPcapNG, PcapNGOnly: true, Snaplen: DefaultSnaplen, events: malformedOversized,
			Summary: "pcapng, 5 s of good traffic, then an enhanced packet block claiming 3 GiB and the end of the file"},
	}
}

// Lookup returns the scenario called name, or an error wrapping
// ErrUnknownScenario.
func Lookup(name string) (Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("scenario %q: %w", name, ErrUnknownScenario)
}

// Events returns the scenario's event stream for o, with o's zero fields
// replaced by defaults. The stream is the same every time for the same o.
func (s Scenario) Events(o Options) iter.Seq[Event] {
	o = s.defaults(o)
	return s.events(o)
}

func (s Scenario) defaults(o Options) Options {
	if o.Count == 0 {
		o.Count = s.Count
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	return o
}

// Generate writes scenario s to w as a capture file and returns the number
// of packet records written. A zero wo.Snaplen means the scenario's default.
func Generate(w io.Writer, s Scenario, o Options, wo WriterOptions) (int, error) {
	o = s.defaults(o)
	if o.Count < 0 || s.MaxCount > 0 && o.Count > s.MaxCount {
		return 0, fmt.Errorf("count %d: %w", o.Count, ErrCount)
	}
	if s.PcapNGOnly && wo.Format != FormatPcapNG {
		return 0, fmt.Errorf("scenario %s needs pcapng: %w", s.Name, ErrFormat)
	}
	if wo.Snaplen == 0 {
		wo.Snaplen = s.Snaplen
	}
	o.Link = wo.Link
	wr, err := NewWriter(w, wo)
	if err != nil {
		return 0, err
	}
	for ev := range s.events(o) {
		if o.Count > 0 && ev.Kind == KindPacket && wr.Packets() >= o.Count {
			break
		}
		if err := wr.Write(&ev); err != nil {
			return wr.Packets(), fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	return wr.Packets(), wr.Flush()
}

// newRand returns the PCG generator of one scenario: the stream constant
// keeps scenarios apart for the same seed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// v4 returns the IPv4 address a.b.c.d.
func v4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }

// v6 returns the IPv6 address whose high and low 64 bits are hi and lo.
func v6(hi, lo uint64) netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// conn returns a packet template of protocol proto between two endpoints.
func conn(proto uint8, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) Packet {
	return Packet{Proto: proto, Src: src, SrcPort: sport, Dst: dst, DstPort: dport}
}

// echo returns an echo request template from src to dst (ICMP or ICMPv6).
func echo(src, dst netip.Addr) Packet {
	if src.Is4() {
		return Packet{Proto: ProtoICMP, Src: src, Dst: dst, ICMPType: 8, EchoID: 0x200}
	}
	return Packet{Proto: ProtoICMPv6, Src: src, Dst: dst, ICMPType: 128, EchoID: 0x200}
}

// flow is a packet template repeated n times in a window, with frame
// lengths drawn uniformly from lo..hi. lo == 0 means a headers-only frame of
// 60 bytes (a bare ACK). Lengths are raised to MinLen, so that no flow cuts
// its headers on any link type.
type flow struct {
	p      Packet
	n      int
	lo, hi int
}

// bare returns a flow of n headers-only frames (60 bytes on Ethernet).
func bare(p Packet, n int) flow { return flow{p: p, n: n} }

// sized returns a flow of n frames of lo..hi bytes.
func sized(p Packet, n, lo, hi int) flow { return flow{p: p, n: n, lo: lo, hi: hi} }

// spread appends the packets of flows spread over [from, from+span) to out,
// sorted by time (ties in flow order). Within a flow, packet i falls at a
// random point of the i-th of n equal slots, in whole microseconds.
func spread(r *rand.Rand, link Link, from time.Time, span time.Duration, flows []flow, out []Event) []Event {
	us := span.Microseconds()
	start := len(out)
	for _, f := range flows {
		p := f.p
		for i := range f.n {
			lo, hi := us*int64(i)/int64(f.n), us*int64(i+1)/int64(f.n)
			at := lo + r.Int64N(max(hi-lo, 1))
			q := p
			ln := f.lo
			if ln == 0 {
				ln = 60
				q.NoPayload = true
			} else if f.hi > f.lo {
				ln += r.IntN(f.hi - f.lo + 1)
			}
			ln = max(ln, MinLen(link, &q))
			out = append(out, Event{Time: from.Add(time.Duration(at) * time.Microsecond), Len: ln, Packet: q})
			if !q.NoPayload {
				p.Seq += uint32(ln - MinLen(link, &q))
			}
			p.EchoSeq++
		}
	}
	slices.SortStableFunc(out[start:], func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out
}

// windows yields the events of n consecutive windows of span, each planned
// by plan(k). The first packet is pinned to o.Start, so that periods measured
// from the first packet line up with the windows.
func windows(o Options, r *rand.Rand, n int, span time.Duration, plan func(k int) []flow) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		var buf []Event
		for k := range n {
			from := o.Start.Add(time.Duration(k) * span)
			buf = spread(r, o.Link, from, span, plan(k), buf[:0])
			if k == 0 && len(buf) > 0 {
				buf[0].Time = from
			}
			for _, ev := range buf {
				if !yield(ev) {
					return
				}
			}
		}
	}
}
