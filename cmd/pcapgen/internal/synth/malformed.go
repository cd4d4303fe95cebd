package synth

import (
	"encoding/binary"
	"iter"
	"time"
)

// The steady good traffic of the malformed scenarios: every 50 ms a packet
// between 10.100.11.13:143 and 10.10.123.173:4359; seven in eight are
// 1514-byte segments to the client, the eighth a bare ACK back. That is
// ~26 kBps for 10.10.123.0/24 in every second, so -a 1 -r 2 with a
// threshold of 10 reports every two seconds.
const goodGap = 50 * time.Millisecond

// goodPacket returns good packet i, at start + i*goodGap.
func goodPacket(o Options, i int) Event {
	srv, cli := v4(10, 100, 11, 13), v4(10, 10, 123, 173)
	ev := Event{Time: o.Start.Add(time.Duration(i) * goodGap), Len: 1514,
		Packet: conn(ProtoTCP, srv, 143, cli, 4359)}
	ev.Packet.Seq = uint32(i) * 1460
	if i%8 == 7 {
		ev.Packet = conn(ProtoTCP, cli, 4359, srv, 143)
		ev.Packet.NoPayload = true
		ev.Packet.Ack = uint32(i) * 1460
		ev.Len = max(60, MinLen(o.Link, &ev.Packet))
	}
	return ev
}

// BadFrame names one kind of damaged frame of the malformed-frames scenario.
type BadFrame struct {
	// Name says what is wrong.
	Name string
	// Len is the frame length on the wire.
	Len int
	// Packet is the datagram, with any deliberate defect.
	Packet Packet
}

// BadFrames returns the damaged frames malformed-frames cycles through, sized
// for link.
func BadFrames(link Link) []BadFrame {
	hl := link.HeaderLen()
	tcp := conn(ProtoTCP, v4(10, 10, 123, 66), 4400, v4(10, 100, 11, 13), 143)
	icmp := echo(v4(10, 10, 123, 66), v4(10, 100, 11, 13))
	udp6 := conn(ProtoUDP, v6(0x20010db800010002, 0x66), 5000, v6(0x20010db8ffff0001, 0x10), 5001)
	damaged := func(d Damage) Packet { p := tcp; p.Damage = d; return p }
	opts40 := udp6
	opts40.DestOpts = 40
	return []BadFrame{
		{"zero-length frame", 0, tcp},
		{"one-byte frame", 1, tcp},
		{"frame shorter than its link header", hl / 2, tcp},
		{"IPv4 header cut after 12 bytes", hl + 12, tcp},
		{"IPv4 header length 3 (12 bytes)", max(60, hl+40), damaged(DamageShortIHL)},
		{"IPv4 header length 15 (60 bytes) in a 40-byte datagram", hl + 40, damaged(DamageLongIHL)},
		{"IP version 6 under the IPv4 link type", max(60, hl+40), damaged(DamageVersion)},
		{"IPv4 total length 1000 bytes beyond the frame", hl + 100, damaged(DamageTotalLen)},
		{"TCP header cut after 10 bytes", hl + 30, tcp},
		{"ICMP echo cut after 3 bytes", hl + 23, icmp},
		{"IPv6 with 40 destination options headers", hl + 40 + 40*8 + 8 + 32, opts40},
		{"IPv6 header cut after 30 bytes", hl + 30, udp6},
	}
}

// malformedFrames is 10 seconds of good traffic (200 packets, see
// goodPacket) with a damaged frame 25 ms after every fifth good packet (40 in
// all), cycling through BadFrames.
func malformedFrames(o Options) iter.Seq[Event] {
	bad := BadFrames(o.Link)
	return func(yield func(Event) bool) {
		for i := range 200 {
			ev := goodPacket(o, i)
			if !yield(ev) {
				return
			}
			if i%5 == 2 {
				b := bad[(i/5)%len(bad)]
				if !yield(Event{Time: ev.Time.Add(25 * time.Millisecond), Len: b.Len, Packet: b.Packet}) {
					return
				}
			}
		}
	}
}

// malformedCaplen is 10 seconds of good traffic (200 packets) with two
// records whose captured length exceeds their original length: 25 ms after
// good packet 60 a 60-byte frame whose record claims len 20, and 25 ms after
// good packet 120 a 1514-byte frame whose record claims len 64 (caplen is
// 1514 unless the snap length is smaller).
func malformedCaplen(o Options) iter.Seq[Event] {
	p := conn(ProtoTCP, v4(10, 10, 123, 66), 4400, v4(10, 100, 11, 13), 143)
	return func(yield func(Event) bool) {
		for i := range 200 {
			ev := goodPacket(o, i)
			if !yield(ev) {
				return
			}
			var bad Event
			switch i {
			case 60:
				bad = Event{Len: max(60, MinLen(o.Link, &p)), OrigLen: 20, Packet: p}
			case 120:
				bad = Event{Len: 1514, OrigLen: 64, Packet: p}
			default:
				continue
			}
			bad.Time = ev.Time.Add(25 * time.Millisecond)
			if !yield(bad) {
				return
			}
		}
	}
}

// malformedCut is the classic scenario's first 10 seconds (about 330
// packets) followed by one more record cut in the middle of its data, where
// the file ends.
func malformedCut(o Options) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		end := o.Start.Add(10 * time.Second)
		for ev := range classic(o) {
			if !ev.Time.Before(end) {
				ev.Cut = true
				yield(ev)
				return
			}
			if !yield(ev) {
				return
			}
		}
	}
}

// malformedTimejump is four 10-second bursts of traffic whose clock jumps:
// at o.Start, at 2038-01-19T03:14:00Z (crossing 2^31 seconds since the
// epoch 8 s in), at 1971-01-01T00:00:00Z, and at o.Start+20s. Each burst
// starts with a packet at its exact instant and holds 78 packets: 60
// 1514-byte segments 10.100.11.13:143 -> 10.10.123.173:4359 with 8 bare ACKs
// back, 5 pings 10.10.123.173 -> 10.100.11.13, 5 smtp segments from
// 10.10.2.14.
func malformedTimejump(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0x71e7)
	srv, cli, mail := v4(10, 100, 11, 13), v4(10, 10, 123, 173), v4(10, 10, 2, 14)
	flows := []flow{
		sized(conn(ProtoTCP, srv, 143, cli, 4359), 60, 1514, 1514),
		bare(conn(ProtoTCP, cli, 4359, srv, 143), 8),
		sized(echo(cli, srv), 5, 98, 98),
		sized(conn(ProtoTCP, mail, 1100, srv, 25), 5, 600, 1514),
	}
	starts := []time.Time{
		o.Start,
		time.Date(2038, time.January, 19, 3, 14, 0, 0, time.UTC),
		time.Date(1971, time.January, 1, 0, 0, 0, 0, time.UTC),
		o.Start.Add(20 * time.Second),
	}
	return func(yield func(Event) bool) {
		var buf []Event
		for _, at := range starts {
			buf = spread(r, o.Link, at, 10*time.Second, flows, buf[:0])
			buf[0].Time = at
			for _, ev := range buf {
				if !yield(ev) {
					return
				}
			}
		}
	}
}

// Block types of malformed-pcapng-blocks.
const (
	blockNRB          = 0x00000004 // name resolution block
	blockCustom       = 0x00000BAD // custom block, may be copied
	blockCustomNoCopy = 0x40000BAD // custom block, must not be copied
	blockLocal        = 0x80000001 // local use
	blockReserved     = 0x00000F0F // reserved, unknown to every reader
)

// examplePEN is the IANA private enterprise number reserved for
// documentation (RFC 5612).
const examplePEN = 32473

// ExtraBlock is a non-packet pcapng block that malformed-pcapng-blocks
// inserts after After good packets.
type ExtraBlock struct {
	// After is the number of good packets written before the block.
	After int
	// Block is the whole block, both length fields included.
	Block []byte
}

// ExtraBlocks returns the blocks malformed-pcapng-blocks inserts, in order.
func ExtraBlocks() []ExtraBlock {
	custom := func(typ uint32, text string) []byte {
		body := binary.LittleEndian.AppendUint32(nil, examplePEN)
		return AppendBlock(nil, typ, append(body, text...))
	}
	var nrb []byte
	name := "mail.example.com\x00"
	nrb = binary.LittleEndian.AppendUint16(nrb, 1) // nrb_record_ipv4
	nrb = binary.LittleEndian.AppendUint16(nrb, uint16(4+len(name)))
	nrb = append(nrb, 10, 100, 11, 13)
	nrb = append(nrb, name...)
	nrb = append(nrb, make([]byte, (4-len(nrb)%4)%4)...)
	nrb = append(nrb, 0, 0, 0, 0) // nrb_record_end
	return []ExtraBlock{
		{25, AppendBlock(nil, blockNRB, nrb)},
		{50, custom(blockCustom, "synthetic custom block")},
		{100, custom(blockCustomNoCopy, "synthetic custom block, no copy")},
		{150, AppendBlock(nil, blockLocal, make([]byte, 20))},
		{175, AppendBlock(nil, blockReserved, []byte("reserved"))},
	}
}

// malformedBlocks is 10 seconds of good traffic (200 packets) in pcapng
// with the ExtraBlocks between packets: a name resolution block after packet
// 25, custom blocks (0x00000BAD, 0x40000BAD) after 50 and 100, a local-use
// block (0x80000001) after 150 and a reserved type (0x00000F0F) after 175.
// A reader must skip them and read all 200 packets.
func malformedBlocks(o Options) iter.Seq[Event] {
	extra := ExtraBlocks()
	return func(yield func(Event) bool) {
		for i := range 200 {
			for _, x := range extra {
				if x.After == i && !yield(Event{Kind: KindBlock, Block: x.Block}) {
					return
				}
			}
			if !yield(goodPacket(o, i)) {
				return
			}
		}
	}
}

// OversizedLen is the block length the oversized block of
// malformed-pcapng-oversized claims: 3 GiB.
const OversizedLen = 3 << 30

// malformedOversized is 5 seconds of good traffic (100 packets) in pcapng,
// then an enhanced packet block whose length fields claim 3 GiB
// (OversizedLen; caplen and len OversizedLen-32), followed by 256 bytes of a
// frame, where the file ends.
func malformedOversized(o Options) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for i := range 100 {
			if !yield(goodPacket(o, i)) {
				return
			}
		}
		at := o.Start.Add(100 * goodGap).UnixNano()
		b := binary.LittleEndian.AppendUint32(nil, 6)
		b = binary.LittleEndian.AppendUint32(b, OversizedLen)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(uint64(at)>>32))
		b = binary.LittleEndian.AppendUint32(b, uint32(at))
		b = binary.LittleEndian.AppendUint32(b, OversizedLen-32)
		b = binary.LittleEndian.AppendUint32(b, OversizedLen-32)
		gp := goodPacket(o, 0)
		frame, _ := BuildFrame(nil, o.Link, &gp.Packet, 1514)
		b = append(b, frame[:256]...)
		yield(Event{Kind: KindBlock, Block: b})
	}
}
