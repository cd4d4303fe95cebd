// Package evidence writes the frames of subnets in detail logging to one
// pcap file per episode (the evidencedir directive), so that the
// connections of a report can be checked in Wireshark or replayed.
//
// A Dir is the engine's watchdog.Evidence. The engine calls it on the
// capture goroutine; Dir copies each frame into a preallocated ring and
// returns at once, and a goroutine of its own writes the files. When the
// ring is full frames are dropped and counted, never waited for. Files are
// capped in size each and in all; the oldest finished files are deleted
// first to make room.
//
// # Usage
//
//	d, err := evidence.Open(evidence.Options{Dir: "/var/lib/ipband/evidence", LinkType: 1, Snaplen: 512})
//	engine.SetEvidence(d)
//	...
//	d.Close()
package evidence
