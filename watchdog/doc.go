// Package watchdog is the engine of ipband: it reads frames from a capture
// source, decodes the few header fields it needs by hand, tallies bytes per
// subnet and runs the classic watchdog cycle on packet time.
//
// # Data flow
//
// A Source (a pcap or pcapng file, or a live interface through libpcap) yields
// frames. A Decoder turns each frame into a reused Packet without allocating.
// The Engine masks the addresses into subnets, adds the frame length to their
// counters and, for subnets in detail logging, to their connection tables. At
// the end of every averaging period it decides which subnets cross, stay over
// or drop below their thresholds, and hands period summaries and
// report.Report values to its Output.
//
// Periods are driven by packet timestamps, so replaying a capture gives the
// same reports as capturing it live; a live idle link closes its periods from
// the clock the engine is given.
package watchdog
