//go:build linux

package afpacket

import (
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Classic BPF loads relative to the network header, and the extension
// that loads the frame's protocol: the fanout program runs on frames
// received (data at the network header) and sent (data at the link
// header) alike, so it must not count on where the data starts.
const (
	skfNetOff = 0xfff00000 // SKF_NET_OFF, -0x100000
)

// pairHash is the fanout program: a hash of the frame's two IP
// addresses, the same both ways (XOR of the source and the destination,
// then folded), so that both directions of every conversation, and every
// fragment of a datagram (which carries no ports), land on one ring. A
// frame that is not IP goes to the first ring.
func pairHash() ([]bpf.RawInstruction, error) {
	ld := func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: skfNetOff + off, Size: 4} }
	xor := bpf.ALUOpX{Op: bpf.ALUOpXor}
	v6 := []bpf.Instruction{ld(8)} // source 8-23, destination 24-39
	for off := uint32(12); off < 40; off += 4 {
		v6 = append(v6, bpf.TAX{}, ld(off), xor)
	}
	fold := []bpf.Instruction{
		bpf.TAX{}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16}, xor,
		bpf.TAX{}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 8}, xor,
		bpf.RetA{},
	}
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtProto},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 5},
		ld(12), bpf.TAX{}, ld(16), xor, // IPv4: source 12, destination 16
		bpf.Jump{Skip: uint32(1 + len(v6))},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IPV6, SkipFalse: uint8(len(v6) + len(fold))},
	}
	prog = append(prog, v6...)
	prog = append(prog, fold...)
	prog = append(prog, bpf.RetConstant{Val: 0})
	return bpf.Assemble(prog)
}

// OpenGroup opens n rings on the interface c names, each as Open does,
// in one fanout group: the kernel hands each frame to one of them, chosen
// by a hash of its address pair (see pairHash; PACKET_FANOUT_CBPF), not
// by the kernel's flow hash, which puts the fragments of a datagram, with
// no ports, elsewhere than its first. The group's id is one the kernel
// gives no other group (PACKET_FANOUT_FLAG_UNIQUEID): a shared id would
// silently split the traffic with another process. Frames are never
// defragmented (no PACKET_FANOUT_FLAG_DEFRAG): that would lose bytes and
// hide incomplete datagrams. Until every ring has joined, the rings that
// have not see every frame: start reading once OpenGroup has returned.
func OpenGroup(c Config, n int) ([]*Ring, error) {
	if n < 1 || n > 1024 {
		return nil, fmt.Errorf("afpacket: a fanout group of %d rings", n)
	}
	raw, err := pairHash()
	if err != nil {
		return nil, fmt.Errorf("afpacket: fanout program: %w", err)
	}
	var rings []*Ring
	fail := func(err error) ([]*Ring, error) {
		for _, r := range rings {
			r.Close() //nolint:errcheck // the first error is the one to tell
		}
		return nil, err
	}
	id := 0
	for i := range n {
		r, err := Open(c)
		if err != nil {
			return fail(err)
		}
		rings = append(rings, r)
		if i == 0 {
			if id, err = r.startGroup(raw); err != nil {
				return fail(err)
			}
			continue
		}
		if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT, id|unix.PACKET_FANOUT_CBPF<<16); err != nil {
			return fail(fmt.Errorf("afpacket ring: join fanout group %d: %w", id, err))
		}
	}
	return rings, nil
}

// startGroup makes r the first member of a new fanout group with an id
// the kernel chose, running prog; it returns the id.
func (r *Ring) startGroup(prog []bpf.RawInstruction) (int, error) {
	if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT, (unix.PACKET_FANOUT_CBPF|unix.PACKET_FANOUT_FLAG_UNIQUEID)<<16); err != nil {
		return 0, fmt.Errorf("afpacket ring: fanout group: %w", err)
	}
	v, err := unix.GetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return 0, fmt.Errorf("afpacket ring: fanout group id: %w", err)
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fp); err != nil {
		return 0, fmt.Errorf("afpacket ring: fanout program: %w", err)
	}
	return v & 0xffff, nil
}
