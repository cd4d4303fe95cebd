package flow_test

import (
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// datagram is one export datagram as received.
type datagram struct {
	from netip.AddrPort
	data []byte
}

// exportWith runs an exporter command, with "ADDR" in its arguments
// replaced by a UDP listener on 127.0.0.1, and returns the datagrams it
// sent, in order, once it has exited.
func exportWith(t *testing.T, name string, args ...string) []datagram {
	t.Helper()
	return exportPrepared(t, name, nil, args...)
}

// exportPrepared is exportWith, calling prepare with the listener's
// address before the exporter starts (to write its config file).
func exportPrepared(t *testing.T, name string, prepare func(addr string), args ...string) []datagram {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make deps installs it): %v", name, err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Exporters reading a file send as fast as they read: a buffer for all
	// of it (SO_RCVBUFFORCE, past net.core.rmem_max, as root).
	if rc, err := conn.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 64<<20)
		})
	}
	addr := conn.LocalAddr().String()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "ADDR", addr)
	}
	if prepare != nil {
		prepare(addr)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	// pmacctd exits 1 when its plugin has ended before its core ("no more
	// plugins active"), as it does at the end of a file now and then.
	if err != nil && !(name == "pmacctd" && strings.Contains(string(out), "no more plugins active")) {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	var got []datagram
	buf := make([]byte, 65536)
	for {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		got = append(got, datagram{from, append([]byte(nil), buf[:n]...)})
	}
	if len(got) == 0 {
		t.Fatalf("%s sent nothing:\n%s", name, out)
	}
	return got
}
