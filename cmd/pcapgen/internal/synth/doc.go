// Package synth generates deterministic synthetic packet captures.
//
// A [Scenario] is a stream of [Event] values: a timestamp, the frame's length
// on the wire and a description of the IP datagram it carries ([Packet]).
// A [Writer] turns each event into a frame for the chosen [Link] type, cuts it
// at the snap length and writes it as a pcap or pcapng record. Scenarios draw
// their randomness from a PCG generator seeded by [Options.Seed], and their
// clock from [Options.Start], so the same options always give the same bytes.
//
// # Usage
//
//	sc, _ := synth.Lookup("classic")
//	n, err := synth.Generate(out, sc, synth.Options{Seed: 1, Start: synth.DefaultStart()},
//		synth.WriterOptions{Link: synth.LinkEthernet, Format: synth.FormatPcap})
//
// # Frame lengths
//
// An event's Len is the frame length on the wire for every link type: the IP
// datagram fills the frame after the link header. A [Packet] with NoPayload
// carries headers only and the rest of the frame is zero link-layer padding,
// as an Ethernet NIC pads a short frame to 60 bytes. When Len is shorter than
// the headers the frame is cut to Len bytes (a runt, used by the malformed
// scenarios); see [BuildFrame].
package synth
