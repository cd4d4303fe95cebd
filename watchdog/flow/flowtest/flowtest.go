// Package flowtest reads, for tests, the committed recorded flow exports
// (testdata/flows-*.pcap): Ethernet frames carrying IPv4 UDP datagrams as
// a collector captured them.
package flowtest

import (
	"testing"

	"ipband/watchdog/pcapfile"
)

// udpPayload is where a datagram starts in a frame of a recording: after
// the Ethernet, IPv4 (no options) and UDP headers.
const udpPayload = 14 + 20 + 8

// Recorded returns the UDP payloads of the recorded export at path and
// their capture times, failing tb when it cannot read it.
func Recorded(tb testing.TB, path string) (dgs [][]byte, times []int64) {
	tb.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var rec pcapfile.Record
	for r.Next(&rec) == nil {
		dgs = append(dgs, append([]byte(nil), rec.Data[udpPayload:]...))
		times = append(times, rec.Time)
	}
	return dgs, times
}
