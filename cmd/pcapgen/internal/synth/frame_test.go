package synth_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"ipband/cmd/pcapgen/internal/synth"
)

var (
	src4 = netip.MustParseAddr("10.10.123.173")
	dst4 = netip.MustParseAddr("10.100.11.13")
	src6 = netip.MustParseAddr("2001:db8:1:2::a")
	dst6 = netip.MustParseAddr("2001:db8:ffff:1::10")
)

// samplePackets are datagrams every link type must carry intact.
func samplePackets() []struct {
	name string
	p    synth.Packet
	len  int
} {
	return []struct {
		name string
		p    synth.Packet
		len  int
	}{
		{"tcp4", synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4, SrcPort: 4359, DstPort: 143}, 1514},
		{"tcp4 bare", synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4, SrcPort: 4359, DstPort: 143, NoPayload: true}, 64},
		{"udp4 options", synth.Packet{Proto: synth.ProtoUDP, Src: src4, Dst: dst4, SrcPort: 138, DstPort: 138, Options: true}, 243},
		{"icmp4 echo", synth.Packet{Proto: synth.ProtoICMP, Src: src4, Dst: dst4, ICMPType: 8, EchoID: 1, EchoSeq: 2}, 98},
		{"tcp6", synth.Packet{Proto: synth.ProtoTCP, Src: src6, Dst: dst6, SrcPort: 50000, DstPort: 443}, 1514},
		{"udp6 ext", synth.Packet{Proto: synth.ProtoUDP, Src: src6, Dst: dst6, SrcPort: 5000, DstPort: 53, HopByHop: true, DestOpts: 2}, 200},
		{"icmp6 echo", synth.Packet{Proto: synth.ProtoICMPv6, Src: src6, Dst: dst6, ICMPType: 128}, 118},
	}
}

// TestLinksDecode builds each sample on each link type and decodes it with
// gopacket from the link layer: the same addresses, ports and types come
// back, with valid checksums and no decoding error.
func TestLinksDecode(t *testing.T) {
	for _, link := range synth.Links() {
		for _, tt := range samplePackets() {
			t.Run(link.String()+"/"+tt.name, func(t *testing.T) {
				frame, err := synth.BuildFrame(nil, link, &tt.p, tt.len)
				if err != nil {
					t.Fatal(err)
				}
				if len(frame) != tt.len {
					t.Fatalf("frame is %d bytes, want %d", len(frame), tt.len)
				}
				checkLinkHeader(t, link, frame, tt.p.Src.Is6())
				p := decode(t, link, frame)
				if e := p.ErrorLayer(); e != nil {
					t.Fatalf("decode: %v", e.Error())
				}
				src, dst, ok := addrs(p)
				if !ok || src != tt.p.Src || dst != tt.p.Dst {
					t.Fatalf("decoded %v -> %v, want %v -> %v", src, dst, tt.p.Src, tt.p.Dst)
				}
				checkTransport(t, p, &tt.p)
			})
		}
	}
}

// checkLinkHeader checks the fields of each link header that gopacket does
// not decode or that the generator sets by design (VLAN ids, SLL fields).
func checkLinkHeader(t *testing.T, link synth.Link, f []byte, v6 bool) {
	t.Helper()
	etype := uint16(0x0800)
	if v6 {
		etype = 0x86dd
	}
	be := binary.BigEndian.Uint16
	switch link {
	case synth.LinkVLAN:
		if be(f[12:]) != 0x8100 || be(f[14:])&0xfff != 120 || be(f[16:]) != etype {
			t.Errorf("vlan header % x", f[:18])
		}
	case synth.LinkQinQ:
		if be(f[12:]) != 0x88a8 || be(f[14:])&0xfff != 1000 || be(f[16:]) != 0x8100 || be(f[18:])&0xfff != 120 || be(f[20:]) != etype {
			t.Errorf("qinq header % x", f[:22])
		}
	case synth.LinkSLL2:
		if be(f[0:]) != etype || be(f[8:]) != 1 || f[11] != 6 {
			t.Errorf("sll2 header % x", f[:20])
		}
	case synth.LinkNull:
		want := uint32(2)
		if v6 {
			want = 24
		}
		if binary.LittleEndian.Uint32(f) != want {
			t.Errorf("null header % x", f[:4])
		}
	case synth.LinkPPP:
		want := uint16(0x0021)
		if v6 {
			want = 0x0057
		}
		if f[0] != 0xff || f[1] != 0x03 || be(f[2:]) != want {
			t.Errorf("ppp header % x", f[:4])
		}
	}
}

func checkTransport(t *testing.T, p gopacket.Packet, want *synth.Packet) {
	t.Helper()
	var nl gopacket.NetworkLayer = p.NetworkLayer()
	switch want.Proto {
	case synth.ProtoTCP:
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok || uint16(tcp.SrcPort) != want.SrcPort || uint16(tcp.DstPort) != want.DstPort {
			t.Fatalf("tcp layer %v", tcp)
		}
		if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
			t.Fatal(err)
		}
		checkChecksum(t, tcp, tcp.Checksum)
	case synth.ProtoUDP:
		udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || uint16(udp.SrcPort) != want.SrcPort || uint16(udp.DstPort) != want.DstPort {
			t.Fatalf("udp layer %v", udp)
		}
		if int(udp.Length) != len(udp.Contents)+len(udp.Payload) {
			t.Errorf("udp length %d, segment %d", udp.Length, len(udp.Contents)+len(udp.Payload))
		}
		if err := udp.SetNetworkLayerForChecksum(nl); err != nil {
			t.Fatal(err)
		}
		checkChecksum(t, udp, udp.Checksum)
	case synth.ProtoICMP:
		ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		if !ok || ic.TypeCode != layers.CreateICMPv4TypeCode(want.ICMPType, want.ICMPCode) || ic.Id != want.EchoID || ic.Seq != want.EchoSeq {
			t.Fatalf("icmp layer %v", ic)
		}
		checkChecksum(t, ic, ic.Checksum)
	case synth.ProtoICMPv6:
		ic, ok := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
		if !ok || ic.TypeCode != layers.CreateICMPv6TypeCode(want.ICMPType, want.ICMPCode) {
			t.Fatalf("icmpv6 layer %v", ic)
		}
		if err := ic.SetNetworkLayerForChecksum(nl); err != nil {
			t.Fatal(err)
		}
		checkChecksum(t, ic, ic.Checksum)
	}
	if ip, ok := nl.(*layers.IPv4); ok {
		checkChecksum(t, ip, ip.Checksum)
	}
}

// checkChecksum re-serializes a decoded layer with computed checksums and
// compares the result with the checksum in the frame.
func checkChecksum(t *testing.T, l gopacket.SerializableLayer, got uint16) {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	var payload []byte
	if dl, ok := l.(gopacket.Layer); ok {
		payload = dl.LayerPayload()
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, l, gopacket.Payload(payload)); err != nil {
		t.Fatalf("re-serialize %T: %v", l, err)
	}
	var want uint16
	b := buf.Bytes()
	switch l.(type) {
	case *layers.TCP:
		want = binary.BigEndian.Uint16(b[16:])
	case *layers.UDP:
		want = binary.BigEndian.Uint16(b[6:])
	case *layers.ICMPv4, *layers.ICMPv6:
		want = binary.BigEndian.Uint16(b[2:])
	case *layers.IPv4:
		want = binary.BigEndian.Uint16(b[10:])
	}
	if got != want {
		t.Errorf("%T checksum %#04x, want %#04x", l, got, want)
	}
}

// TestBuildFrameLengths checks wire lengths, padding and cut frames.
func TestBuildFrameLengths(t *testing.T) {
	tcp := synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4, SrcPort: 1, DstPort: 2}
	bare := tcp
	bare.NoPayload = true
	icmp := synth.Packet{Proto: synth.ProtoICMP, Src: src4, Dst: dst4, ICMPType: 8}
	tests := []struct {
		name     string
		link     synth.Link
		p        synth.Packet
		len      int
		ipLen    int // IPv4 total length field
		zeroFrom int // bytes from here on are zero
	}{
		{"full", synth.LinkEthernet, tcp, 1514, 1500, 54},
		{"bare ack padded to 60", synth.LinkEthernet, bare, 60, 40, 54},
		{"bare ack on raw", synth.LinkRaw, bare, 60, 40, 40},
		{"tcp header cut", synth.LinkEthernet, tcp, 14 + 30, 30, 44},
		{"icmp cut after 3 bytes", synth.LinkEthernet, icmp, 14 + 23, 23, 37},
		{"ip header cut", synth.LinkEthernet, tcp, 14 + 12, -1, 26},
		{"one byte", synth.LinkEthernet, tcp, 1, -1, 1},
		{"zero bytes", synth.LinkSLL, tcp, 0, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := synth.BuildFrame(make([]byte, 0, 4), tt.link, &tt.p, tt.len)
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != tt.len {
				t.Fatalf("len %d, want %d", len(f), tt.len)
			}
			hl := tt.link.HeaderLen()
			if tt.ipLen >= 0 {
				if got := int(binary.BigEndian.Uint16(f[hl+2:])); got != tt.ipLen {
					t.Errorf("IP total length %d, want %d", got, tt.ipLen)
				}
			}
			if i := bytes.IndexFunc(f[tt.zeroFrom:], func(r rune) bool { return r != 0 }); i >= 0 {
				t.Errorf("non-zero byte at %d after the headers", tt.zeroFrom+i)
			}
		})
	}
}

func TestBuildFrameReusesBuffer(t *testing.T) {
	p := samplePackets()[0].p
	buf := make([]byte, 0, 2048)
	first, _ := synth.BuildFrame(buf, synth.LinkEthernet, &p, 1514)
	p2 := p
	p2.Src = src4.Next()
	second, _ := synth.BuildFrame(first, synth.LinkEthernet, &p2, 100)
	if &first[0] != &second[0] {
		t.Error("BuildFrame did not reuse a large enough buffer")
	}
	again, _ := synth.BuildFrame(nil, synth.LinkEthernet, &p2, 100)
	if !bytes.Equal(second, again) {
		t.Error("a reused buffer gives a different frame")
	}
}

func TestBuildFrameDamage(t *testing.T) {
	tests := []struct {
		d          synth.Damage
		b0         byte
		totalDelta int
	}{
		{synth.DamageNone, 0x45, 0},
		{synth.DamageShortIHL, 0x43, 0},
		{synth.DamageLongIHL, 0x4f, 0},
		{synth.DamageVersion, 0x65, 0},
		{synth.DamageTotalLen, 0x45, 1000},
	}
	for _, tt := range tests {
		p := synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4, Damage: tt.d}
		f, err := synth.BuildFrame(nil, synth.LinkEthernet, &p, 100)
		if err != nil {
			t.Fatal(err)
		}
		if binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			t.Errorf("damage %d: ethertype %#x", tt.d, binary.BigEndian.Uint16(f[12:]))
		}
		if f[14] != tt.b0 || int(binary.BigEndian.Uint16(f[16:])) != 86+tt.totalDelta {
			t.Errorf("damage %d: first byte %#x, total length %d", tt.d, f[14], binary.BigEndian.Uint16(f[16:]))
		}
	}
}

func TestBuildFrameErrors(t *testing.T) {
	good := synth.Packet{Proto: synth.ProtoTCP, Src: src4, Dst: dst4}
	mixed := good
	mixed.Dst = dst6
	noAddr := synth.Packet{Proto: synth.ProtoTCP}
	badFrag := good
	badFrag.Frag, badFrag.FragOffset = synth.FragLater, 13
	tests := []struct {
		name string
		p    synth.Packet
		len  int
		want error
	}{
		{"negative length", good, -1, synth.ErrLength},
		{"too long", good, synth.MaxFrameLen + 1, synth.ErrLength},
		{"mixed families", mixed, 100, synth.ErrAddress},
		{"no addresses", noAddr, 100, synth.ErrAddress},
		{"odd fragment offset", badFrag, 100, synth.ErrPacket},
	}
	for _, tt := range tests {
		if _, err := synth.BuildFrame(nil, synth.LinkEthernet, &tt.p, tt.len); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestWriterRejects(t *testing.T) {
	w, err := synth.NewWriter(io.Discard, synth.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&synth.Event{Kind: synth.KindBlock, Block: []byte{1}}); !errors.Is(err, synth.ErrFormat) {
		t.Errorf("block in pcap: %v", err)
	}
	ev := synth.Event{Time: synth.DefaultStart(), Len: 100, Cut: true, Packet: samplePackets()[0].p}
	if err := w.Write(&ev); err != nil {
		t.Fatal(err)
	}
	ev.Cut = false
	if err := w.Write(&ev); !errors.Is(err, synth.ErrEnded) {
		t.Errorf("write after cut: %v", err)
	}
	if _, err := synth.NewWriter(io.Discard, synth.WriterOptions{Snaplen: -1}); !errors.Is(err, synth.ErrSnaplen) {
		t.Errorf("snaplen -1: %v", err)
	}
}

// TestWriterZeroAllocs pins the per-packet cost of writing: no allocation.
func TestWriterZeroAllocs(t *testing.T) {
	for _, f := range []synth.Format{synth.FormatPcap, synth.FormatPcapNG} {
		w, err := synth.NewWriter(io.Discard, synth.WriterOptions{Format: f, Snaplen: 96, Link: synth.LinkQinQ})
		if err != nil {
			t.Fatal(err)
		}
		ev := synth.Event{Time: synth.DefaultStart(), Len: 1514, Packet: samplePackets()[5].p}
		if allocs := testing.AllocsPerRun(1000, func() {
			ev.Time = ev.Time.Add(time.Microsecond)
			if err := w.Write(&ev); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%v: %v allocations per packet", f, allocs)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, f := range []synth.Format{synth.FormatPcap, synth.FormatPcapNG} {
		b.Run(f.String(), func(b *testing.B) {
			w, err := synth.NewWriter(io.Discard, synth.WriterOptions{Format: f, Snaplen: 96})
			if err != nil {
				b.Fatal(err)
			}
			ev := synth.Event{Time: synth.DefaultStart(), Len: 1514, Packet: samplePackets()[0].p}
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(&ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerateBench measures the bench scenario end to end (events,
// frames, pcap records), per packet.
func BenchmarkGenerateBench(b *testing.B) {
	sc, _ := synth.Lookup("bench")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := synth.Generate(io.Discard, sc, synth.Options{Count: 100000}, synth.WriterOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/packet")
}

// FuzzBuildFrame builds frames from arbitrary descriptions: never a panic,
// always exactly the asked length, and when the frame holds the headers and
// nothing is damaged, gopacket decodes the same addresses back.
func FuzzBuildFrame(f *testing.F) {
	f.Add(uint8(0), false, uint8(6), 1514, uint8(0), uint8(0), uint8(0), 0)
	f.Add(uint8(2), true, uint8(17), 200, uint8(1), uint8(2), uint8(0), 0)
	f.Add(uint8(5), true, uint8(58), 10, uint8(0), uint8(40), uint8(0), 0)
	f.Add(uint8(7), false, uint8(1), 23, uint8(0), uint8(0), uint8(3), 0)
	f.Add(uint8(4), false, uint8(17), 600, uint8(0), uint8(0), uint8(0), 1480)
	f.Add(uint8(6), true, uint8(17), 562, uint8(1), uint8(1), uint8(0), 1448)
	f.Fuzz(func(t *testing.T, link uint8, v6 bool, proto uint8, n int, flags, opts, damage uint8, fragOff int) {
		l := synth.Link(link % 8)
		p := synth.Packet{Proto: proto, Src: src4, Dst: dst4, SrcPort: 1, DstPort: 2,
			Options: flags&1 != 0, HopByHop: flags&2 != 0, NoPayload: flags&4 != 0,
			DestOpts: int(opts % 64), Damage: synth.Damage(damage % 5)}
		if v6 {
			p.Src, p.Dst = src6, dst6
		}
		switch {
		case fragOff > 0 && flags&8 != 0:
			p.Frag, p.FragOffset = synth.FragLater, fragOff
		case fragOff > 0:
			p.Frag, p.FragTotal = synth.FragFirst, fragOff
		}
		frame, err := synth.BuildFrame(nil, l, &p, n)
		if err != nil {
			if n >= 0 && n <= synth.MaxFrameLen && fragOff%8 == 0 && fragOff <= 65528 {
				t.Fatalf("BuildFrame(%+v, %d): %v", p, n, err)
			}
			return
		}
		if len(frame) != n {
			t.Fatalf("frame of %d bytes, asked %d", len(frame), n)
		}
		if p.Damage != synth.DamageNone && !v6 || n < synth.MinLen(l, &p) {
			return
		}
		src, dst, ok := addrs(decode(t, l, frame))
		if !ok || src != p.Src || dst != p.Dst {
			t.Fatalf("decoded %v -> %v from %+v on %v", src, dst, p, l)
		}
	})
}
