// Package watchdog is the engine of ipband: it reads frames from a capture
// source, decodes the few header fields it needs by hand, tallies bytes per
// subnet and runs the classic watchdog cycle on packet time.
//
// # Data flow
//
// A Source yields frames: a FileSource replays a pcap or pcapng file read
// by package pcapfile, a LiveSource captures on an interface (Live, the
// only place that captures): through an AF_PACKET ring (package afpacket)
// on a Linux Ethernet-framed interface, through libpcap otherwise. Both
// have the same cancel contract: when the context is done, Run returns nil
// after the last frame it handed the engine. A Decoder turns each frame into a reused
// Packet without allocating. The Engine masks the addresses into subnets,
// adds the frame length to their counters and, for subnets in detail
// logging, to their connection tables. At the end of every averaging period
// it decides which subnets cross, stay over or drop below their thresholds,
// and hands period summaries and report.Report values to its Output.
//
// With Config.NameCache, the payload of a packet to or from port 53, and
// of a logging subnet's TCP packet, goes to a names book (package
// watchdog/names): DNS answers matched to their queries name the addresses
// they gave, for the client that asked; TLS server_name and HTTP Host are
// claims. Each report's rows get the remote side's name and its source.
//
// With workers, a Group has N Engines that never close a period count
// frames, each on a goroutine of its own, for one engine that decides:
// at each period's end the workers stop, their counts are summed into it
// and it closes the period as if it had counted every frame itself.
//
// Flow records from routers (package watchdog/flow) come in through
// Engine.Record: a record's bytes are spread over the periods its time
// span covers, counted by the same function as a packet's.
//
// Periods are driven by packet timestamps, so replaying a capture gives the
// same reports as capturing it live; a live idle link closes its periods from
// the Clock a LiveSource is given.
//
// # Other goroutines
//
// The engine belongs to the goroutine that runs its Source. Other
// goroutines reach it only through Reconfigure (a new Config, swapped in at
// the next period boundary, keeping the state of the subnets that remain)
// and Snapshot (the table of the open period, taken on the engine's
// goroutine at its next clock step); neither takes a lock per packet.
package watchdog
