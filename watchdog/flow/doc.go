// Package flow is ipband's second source: flow records exported by routers
// (NetFlow v5, NetFlow v9, IPFIX and sFlow v5, told apart by the version
// field of each datagram) instead of captured frames. A ListenSource
// receives them on UDP listeners; a FileSource replays a capture of them.
// Both are watchdog.Sources feeding watchdog.Engine.Record through a
// Collector, which keeps each exporter's templates, sampling rates, clock
// offset and health counters, and holds each connection's latest record
// until the next comes so that a change of rate inside a record is placed
// in the right period (place.go).
//
// Templates and sFlow datagrams are decoded with goflow2's decoders, with
// guards against the inputs known to crash them; NetFlow v5 records and
// v9/IPFIX data records are read in place, without allocating.
package flow
