package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// buildIpband builds the command into a temporary directory and returns
// the binary's path, for tests that run it as a process of its own
// (signals, -F, privileges, a second network namespace).
func buildIpband(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ipband")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// commandDir returns a new directory for a test's stand-in mail command
// and what it writes. Run as root, ipband starts mail commands as the user
// nobody, never as root (see privilege.CommandCredential): the directory is open to
// every user, under a parent that every user can traverse.
func commandDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipband-command-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nobody returns the uid and gid of the user nobody, or skips the test.
func nobody(t *testing.T) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// loopbackUDP listens on a free UDP port of 127.0.0.1 and returns the port,
// for a live test's filter (only the test's own traffic counts), and a
// socket sending to it. Both are closed at cleanup.
func loopbackUDP(t *testing.T) (port string, tx *net.UDPConn) {
	t.Helper()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Close() })
	return strconv.Itoa(rx.LocalAddr().(*net.UDPAddr).Port), tx
}

// udpFrame is an Ethernet frame of n bytes carrying UDP from 10.0.0.1 to
// 10.0.0.2.
func udpFrame(t *testing.T, n int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 0, 0, 1), DstIP: net.IPv4(10, 0, 0, 2)}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	udp.SetNetworkLayerForChecksum(ip) //nolint:errcheck // IPv4 is a network layer
	buf := gopacket.NewSerializeBuffer()
	payload := gopacket.Payload(make([]byte, n-14-20-8))
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, payload); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in
// different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
