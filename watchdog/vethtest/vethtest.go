//go:build linux

// Package vethtest makes, for tests, a veth pair between two network
// namespaces of their own: end A (198.18.0.1/30) in namespace NsA and end
// B (198.18.0.2/30) in NsB. The addresses are from the benchmarking range
// and live only in these namespaces, so that live capture and link loss
// can be tested without touching the host's network.
package vethtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

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
