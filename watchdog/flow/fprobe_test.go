package flow_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/flow"
)

// TestFprobe exports live traffic with fprobe, which captures on an
// interface only (it cannot read a file): it captures 1000-byte UDP
// datagrams sent to 127.0.0.1 on lo and exports NetFlow v5 to a listener
// on 127.0.0.1 when told to stop. Every record's bytes are IP-layer
// bytes (1028 a packet, not the 1042 of the frame), and the engine counts
// exactly the bytes the records carry.
func TestFprobe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("fprobe captures on lo: needs root (CAP_NET_RAW)")
	}
	path, err := exec.LookPath("fprobe")
	if err != nil {
		t.Fatalf("fprobe is not installed (make deps installs it): %v", err)
	}
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := strconv.Itoa(sink.LocalAddr().(*net.UDPAddr).Port)
	cmd := exec.Command(path, "-l", "2", "-i", "lo", "-f", "udp and dst port "+port, "-s", "1", "-d", "1", "-e", "60",
		"-n", "5", rx.LocalAddr().String())
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // it has exited when the test gets there
	tx, err := net.Dial("udp", sink.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	time.Sleep(time.Second) // fprobe opens its capture
	payload := make([]byte, 1000)
	for range 200 {
		tx.Write(payload) //nolint:errcheck // the sink's buffer is not the subject
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Second)
	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // fprobe emits its flow cache on SIGTERM
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fprobe: %v\n%s", err, out)
	}
	var dgs []datagram
	buf := make([]byte, 65536)
	for {
		rx.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, from, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		dgs = append(dgs, datagram{from, append([]byte(nil), buf[:n]...)})
	}
	if len(dgs) == 0 {
		t.Fatalf("fprobe exported nothing:\n%s", out)
	}
	// What fprobe says it saw: packets and octets of its records.
	var pkts, octets uint64
	for _, d := range dgs {
		if binary.BigEndian.Uint16(d.data) != 5 {
			t.Fatalf("fprobe sent version %d", binary.BigEndian.Uint16(d.data))
		}
		for i := range int(binary.BigEndian.Uint16(d.data[2:])) {
			r := d.data[24+48*i:]
			pkts += uint64(binary.BigEndian.Uint32(r[16:]))
			octets += uint64(binary.BigEndian.Uint32(r[20:]))
		}
	}
	if pkts < 100 || octets != pkts*1028 {
		t.Fatalf("fprobe saw %d packets, %d octets; want at least 100 packets of 1028 IP bytes", pkts, octets)
	}
	rec := &recorder{}
	e, err := watchdog.New(watchdog.Config{Average: time.Minute, Report: 5 * time.Minute, MaxConns: 100,
		Subnets: subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 1000, MaxDynamic: 100}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	c := flow.NewCollector(flow.Options{Grace: 120 * time.Second, Skew: 300 * time.Second})
	now := time.Now().UnixNano()
	for _, d := range dgs {
		c.Datagram(e, d.from, now, d.data)
	}
	c.Finish(e)
	c.Stop(e, now+int64(time.Hour))
	if got := totals(rec)[netip.MustParsePrefix("127.0.0.0/24")]; got != octets {
		t.Errorf("127.0.0.0/24 counted %d bytes, fprobe's records %d", got, octets)
	}
}
