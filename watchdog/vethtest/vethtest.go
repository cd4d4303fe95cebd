//go:build linux

// Package vethtest makes, for tests, a veth pair between two network
// namespaces of their own: end A (198.18.0.1/30) in namespace NsA and end
// B (198.18.0.2/30) in NsB; a Raw socket on end B sends whole frames
// (UDPFrame builds them) for a capture on end A. The addresses are from the benchmarking range
// and live only in these namespaces, so that live capture and link loss
// can be tested without touching the host's network.
package vethtest

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Pair is a veth pair between two namespaces that New made.
type Pair struct {
	t            testing.TB
	NsA, NsB     string // the namespaces
	DevA, DevB   string // the ends
	AddrA, AddrB string // their IPv4 addresses
}

// New makes the namespaces and the pair, up, or skips the test when it
// cannot (not root, no ip command, no namespaces in this sandbox). tag
// (one letter) keeps the names of different test binaries apart. Cleanup
// removes the namespaces, and so the pair.
func New(t testing.TB, tag string) *Pair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces and live capture need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the ip command (iproute2) is missing: make deps installs it")
	}
	id := os.Getpid() % 100000
	p := &Pair{t: t,
		NsA: fmt.Sprintf("ipband-%s%d-a", tag, id), NsB: fmt.Sprintf("ipband-%s%d-b", tag, id),
		DevA: fmt.Sprintf("ipb%s%da", tag, id), DevB: fmt.Sprintf("ipb%s%db", tag, id),
		AddrA: "198.18.0.1", AddrB: "198.18.0.2",
	}
	if out, err := exec.Command("ip", "netns", "add", p.NsA).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", p.NsA).Run() }) //nolint:errcheck // best effort
	p.ip("netns", "add", p.NsB)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", p.NsB).Run() }) //nolint:errcheck // best effort
	p.ip("-n", p.NsA, "link", "set", "lo", "up")
	p.Add()
	return p
}

// ip runs the ip command, failing the test if it fails.
func (p *Pair) ip(args ...string) {
	p.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		p.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Add makes the pair, with its addresses, up (again, after Del).
func (p *Pair) Add() {
	p.t.Helper()
	p.ip("-n", p.NsA, "link", "add", p.DevA, "type", "veth", "peer", "name", p.DevB, "netns", p.NsB)
	p.ip("-n", p.NsA, "addr", "add", p.AddrA+"/30", "dev", p.DevA)
	p.ip("-n", p.NsB, "addr", "add", p.AddrB+"/30", "dev", p.DevB)
	p.ip("-n", p.NsA, "link", "set", p.DevA, "up")
	p.ip("-n", p.NsB, "link", "set", p.DevB, "up")
}

// Del deletes the pair (both ends), as a link that goes away.
func (p *Pair) Del() {
	p.t.Helper()
	p.ip("-n", p.NsA, "link", "del", p.DevA)
}

// Down sets end A down, as a link that stops without going away.
func (p *Pair) Down() {
	p.t.Helper()
	p.ip("-n", p.NsA, "link", "set", p.DevA, "down")
}

// Up sets end A up again after Down.
func (p *Pair) Up() {
	p.t.Helper()
	p.ip("-n", p.NsA, "link", "set", p.DevA, "up")
}

// InA moves the calling goroutine's thread into NsA for good and runs fn
// there: call it from a goroutine of its own, whose thread then ends with
// it. What fn opens there (sockets, captures, processes it starts) stays in
// NsA.
func (p *Pair) InA(fn func() error) error {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	f, err := os.Open("/run/netns/" + p.NsA)
	if err != nil {
		return err
	}
	err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
	f.Close()
	if err != nil {
		return fmt.Errorf("setns %s: %w", p.NsA, err)
	}
	return fn()
}

// inA runs fn in NsA on a goroutine of its own and waits for it, failing
// the test on its error.
func (p *Pair) inA(fn func() error) {
	p.t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- p.InA(fn) }()
	if err := <-ch; err != nil {
		p.t.Fatal(err)
	}
}

// DialFromA returns a UDP socket in NsA connected to port on end B's
// address; it may be used from any goroutine, and is closed at cleanup.
func (p *Pair) DialFromA(port int) *net.UDPConn {
	p.t.Helper()
	var c *net.UDPConn
	p.inA(func() (err error) {
		c, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.ParseIP(p.AddrB), Port: port})
		return err
	})
	p.t.Cleanup(func() { c.Close() })
	return c
}

// StartInA starts cmd in NsA: it is forked from a thread moved into NsA,
// so that cmd may run as another user (cmd.SysProcAttr) without the
// privilege that entering a namespace needs.
func (p *Pair) StartInA(cmd *exec.Cmd) {
	p.t.Helper()
	p.inA(cmd.Start)
}

// InB is InA for NsB.
func (p *Pair) InB(fn func() error) error {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	f, err := os.Open("/run/netns/" + p.NsB)
	if err != nil {
		return err
	}
	err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
	f.Close()
	if err != nil {
		return fmt.Errorf("setns %s: %w", p.NsB, err)
	}
	return fn()
}

// SrcMAC is the source address of the frames UDPFrame builds, which tells
// them apart from what the namespaces send on their own.
var SrcMAC = [6]byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}

// UDPFrame returns a broadcast Ethernet frame from SrcMAC carrying an
// IPv4 UDP datagram of payload bytes from AddrB, port 4000, to dst, port,
// behind the VLAN tags given as TPID, TCI pairs, outermost first.
func (p *Pair) UDPFrame(dst string, port uint16, payload int, tags ...uint16) []byte {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	b = append(b, SrcMAC[:]...)
	for _, v := range tags {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+payload))
	copy(ip[12:16], net.ParseIP(p.AddrB).To4())
	copy(ip[16:20], net.ParseIP(dst).To4())
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	b = append(b, ip...)
	b = binary.BigEndian.AppendUint16(b, 4000)
	b = binary.BigEndian.AppendUint16(b, port)
	b = binary.BigEndian.AppendUint16(b, uint16(8+payload))
	b = append(b, 0, 0)
	for i := range payload {
		b = append(b, byte(i))
	}
	return b
}

// Raw is a packet socket on end B that writes whole frames, VLAN tags
// and all, for end A to receive as they are.
type Raw struct {
	fd int
	to unix.SockaddrLinklayer
}

// RawFromB opens a Raw on end B; it is closed at cleanup.
func (p *Pair) RawFromB() *Raw {
	p.t.Helper()
	r := &Raw{}
	ch := make(chan error, 1)
	go func() {
		ch <- p.InB(func() error {
			ifi, err := net.InterfaceByName(p.DevB)
			if err != nil {
				return err
			}
			r.to = unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6, Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
			r.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
			return err
		})
	}()
	if err := <-ch; err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { unix.Close(r.fd) })
	return r
}

// Flood writes frame n times back to back, as fast as this sender can
// (sendmmsg, 256 frames a call): end A's backlog and its readers' buffers
// may overflow, which is what a measurement of drops wants. It returns how
// long the sending took.
func (r *Raw) Flood(frame []byte, n int) (time.Duration, error) {
	const batch = 256
	iov := unix.Iovec{Base: &frame[0]}
	iov.SetLen(len(frame))
	sa := unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Ifindex: int32(r.to.Ifindex), Halen: r.to.Halen}
	copy(sa.Addr[:], r.to.Addr[:])
	hdrs := make([]unix.Mmsghdr, batch)
	for i := range hdrs {
		hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&sa))
		hdrs[i].Hdr.Namelen = uint32(unsafe.Sizeof(sa))
		hdrs[i].Hdr.Iov = &iov
		hdrs[i].Hdr.SetIovlen(1)
	}
	start := time.Now()
	for sent := 0; sent < n; {
		k, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(min(batch, n-sent)), 0, 0, 0)
		if errno != 0 {
			runtime.KeepAlive(&sa)
			return time.Since(start), fmt.Errorf("frame %d: %w", sent, errno)
		}
		sent += int(k)
	}
	runtime.KeepAlive(&sa)
	runtime.KeepAlive(&iov)
	runtime.KeepAlive(frame)
	return time.Since(start), nil
}

// Send writes frame n times, pausing now and then so that end A's
// backlog never overflows: end A receives exactly what was sent.
func (r *Raw) Send(frame []byte, n int) error {
	for i := range n {
		if err := unix.Sendto(r.fd, frame, 0, &r.to); err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if i%200 == 199 {
			time.Sleep(200 * time.Microsecond)
		}
	}
	return nil
}
