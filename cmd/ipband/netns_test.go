//go:build cgo && linux

package main

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

// vethPair is a veth pair between two network namespaces made by the test:
// end A (198.18.0.1/30) in namespace nsA, end B (198.18.0.2/30) in nsB.
// Addresses are from the benchmarking range, and live only in these
// namespaces.
type vethPair struct {
	t            *testing.T
	nsA, nsB     string
	devA, devB   string
	addrA, addrB string
}

// newVethPair makes the namespaces and the pair, or skips the test when
// it cannot (not root, no ip command, no namespaces in this sandbox).
// Cleanup removes the namespaces and so the pair.
func newVethPair(t *testing.T) *vethPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces and live capture need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the ip command (iproute2) is missing: make deps installs it")
	}
	id := os.Getpid() % 100000
	v := &vethPair{t: t,
		nsA: fmt.Sprintf("ipband-t%d-a", id), nsB: fmt.Sprintf("ipband-t%d-b", id),
		devA: fmt.Sprintf("ipbt%da", id), devB: fmt.Sprintf("ipbt%db", id),
		addrA: "198.18.0.1", addrB: "198.18.0.2",
	}
	if out, err := exec.Command("ip", "netns", "add", v.nsA).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", v.nsA).Run() }) //nolint:errcheck // best effort
	v.ip("netns", "add", v.nsB)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", v.nsB).Run() }) //nolint:errcheck // best effort
	v.ip("-n", v.nsA, "link", "set", "lo", "up")
	v.add()
	return v
}

// ip runs the ip command, failing the test if it fails.
func (v *vethPair) ip(args ...string) {
	v.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		v.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// add makes the pair, with its addresses, up.
func (v *vethPair) add() {
	v.t.Helper()
	v.ip("-n", v.nsA, "link", "add", v.devA, "type", "veth", "peer", "name", v.devB, "netns", v.nsB)
	v.ip("-n", v.nsA, "addr", "add", v.addrA+"/30", "dev", v.devA)
	v.ip("-n", v.nsB, "addr", "add", v.addrB+"/30", "dev", v.devB)
	v.ip("-n", v.nsA, "link", "set", v.devA, "up")
	v.ip("-n", v.nsB, "link", "set", v.devB, "up")
}

// del deletes the pair (both ends).
func (v *vethPair) del() {
	v.t.Helper()
	v.ip("-n", v.nsA, "link", "del", v.devA)
}

// dialFromA returns a UDP socket in namespace nsA connected to port on
// end B's address. The socket is made on a thread moved into nsA, which
// ends with its goroutine; the socket stays in nsA and may be used from
// any goroutine.
func (v *vethPair) dialFromA(port int) *net.UDPConn {
	v.t.Helper()
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		f, err := os.Open("/run/netns/" + v.nsA)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns %s: %w", v.nsA, err)}
			return
		}
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.ParseIP(v.addrB), Port: port})
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		v.t.Fatal(r.err)
	}
	v.t.Cleanup(func() { r.c.Close() })
	return r.c
}

// startInA starts cmd in namespace nsA: it is forked from a thread moved
// into nsA, so that cmd may run as another user (cmd.SysProcAttr) without
// the privilege that entering a namespace needs.
func (v *vethPair) startInA(cmd *exec.Cmd) {
	v.t.Helper()
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		f, err := os.Open("/run/netns/" + v.nsA)
		if err != nil {
			ch <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns %s: %w", v.nsA, err)
			return
		}
		ch <- cmd.Start()
	}()
	if err := <-ch; err != nil {
		v.t.Fatal(err)
	}
}
