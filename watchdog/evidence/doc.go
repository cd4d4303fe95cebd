// Package evidence writes the frames of subnets in detail logging to one
// pcapng file per episode (the evidencedir directive), so that the
// connections of a report can be checked in Wireshark or replayed.
//
// The comment of each file's section header names the subnet and the
// start of its episode (FormatEpisode, ParseEpisode):
//
//	ipband evidence: subnet 10.10.123.0/24 episode-start 2001-08-06T10:01:00.000000000Z
//
// so that replaying the file (ipband --read) with the same thresholds
// puts the subnet in detail logging from that instant and makes the same
// reports, row for row (watchdog.Engine.StartEpisode).
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
