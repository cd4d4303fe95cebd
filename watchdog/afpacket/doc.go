// Package afpacket captures frames on a Linux network interface through a
// TPACKET_V3 ring of a packet socket, without libpcap and without cgo: the
// kernel writes frames into blocks of a memory-mapped ring, and Ring.Next
// hands them out in place, one at a time, with no allocation, no lock and
// no system call per frame.
//
// # What it does that libpcap does
//
//   - The outer VLAN tag, which the kernel takes out of the frame and keeps
//     in the ring's metadata (tp_vlan_tci, tp_vlan_tpid), is put back in
//     the frame in place, and the frame's length on the wire counts it.
//   - The kernel's counters (PACKET_STATISTICS), which reset each time they
//     are read, are accumulated in Stats: frames the filter passed, frames
//     dropped because the ring was full, and how often the ring froze.
//   - A classic BPF program (compiled by libpcap, or written by hand) is
//     attached to the socket with SO_ATTACH_FILTER before the socket sees a
//     frame; it also sets how many bytes of each frame are copied.
//   - On the loopback device each frame is seen once, not once leaving and
//     once arriving.
//
// # Usage
//
//	r, err := afpacket.Open(afpacket.Config{Interface: "eth0"})
//	...
//	var f afpacket.Frame
//	for {
//		err := r.Next(&f) // f.Data is valid until the next call
//		...
//	}
//
// # Fanout over cores
//
// OpenGroup opens several rings on one interface in a fanout group of
// their own (an id the kernel gives no other group), and the kernel hands
// each frame to one ring, chosen by a classic BPF program
// (PACKET_FANOUT_CBPF) that hashes the frame's two IP addresses the same
// both ways: both directions of a conversation and every fragment of a
// datagram land on one ring, which one reader then owns.
//
// # Readers
//
// A Ring belongs to the goroutine that reads it. Another goroutine stops a
// reader with Stop; Close unmaps the ring, and must be called only when no
// reader is in Next or holds a frame (by the reader itself once Next
// returned ErrStopped, or after it ended).
//
// Only Ethernet-framed interfaces (ARPHRD_ETHER and the loopback device)
// are supported: Open returns an error matching ErrUnsupported for others,
// and for names that are no device (such as "any"), so that the caller can
// capture through libpcap instead.
package afpacket
