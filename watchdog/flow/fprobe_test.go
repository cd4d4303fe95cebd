package flow_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	"ipband/watchdog/pcapfile"
	"ipband/watchdog/vethtest"
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
	dgs := stopFprobe(t, cmd, out, rx)
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

// stopFprobe stops fprobe a second after the last frame with SIGTERM,
// on which it exports its whole flow cache, and returns the datagrams rx
// received.
func stopFprobe(t *testing.T, cmd *exec.Cmd, out fmt.Stringer, rx *net.UDPConn) []datagram {
	t.Helper()
	time.Sleep(time.Second)
	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // fprobe emits its flow cache on SIGTERM
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fprobe: %v\n%s", err, out)
	}
	var dgs []datagram
	buf := make([]byte, 65536)
	for {
		rx.SetReadDeadline(time.Now().Add(500 * time.Millisecond)) //nolint:errcheck // a closed conn ends the loop
		n, from, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		dgs = append(dgs, datagram{from, append([]byte(nil), buf[:n]...)})
	}
	return dgs
}

// TestFprobeClassic exports testdata/classic.pcap with fprobe: fprobe
// captures on end A of a veth pair in namespaces of the test's own, the
// capture's frames are written to end B whole (the capture keeps 96
// bytes of each), paced so that no buffer overflows, and fprobe exports NetFlow v5 to a listener in end A's
// namespace. Each subnet's bytes over the run equal packet mode's
// IP-layer bytes, exactly. (The frames go by in a second: fprobe's records
// carry the time it saw them, so only the run's totals can be compared;
// per period is softflowd's and pmacct's test, which read the file.)
func TestFprobeClassic(t *testing.T) {
	p := vethtest.New(t, "n")
	path, err := exec.LookPath("fprobe")
	if err != nil {
		t.Fatalf("fprobe is not installed (make deps installs it): %v", err)
	}
	var rx *net.UDPConn
	lerr := make(chan error, 1)
	go func() {
		lerr <- p.InA(func() (err error) {
			rx, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			return err
		})
	}()
	if err := <-lerr; err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	rx.SetReadBuffer(8 << 20) //nolint:errcheck // the default may do
	cmd := exec.Command(path, "-l", "2", "-i", p.DevA, "-B", "32768", "-S", "128", "-q", "65536", "-s", "1", "-e", "60",
		"-n", "5", rx.LocalAddr().String())
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	p.StartInA(cmd)
	defer cmd.Process.Kill() //nolint:errcheck // it has exited when the test gets there
	time.Sleep(time.Second)  // fprobe opens its capture
	raw := p.RawFromB()
	// fprobe dates its records by when it saw the frames: the engine
	// starts before the first, so that no record starts before it.
	first := time.Now().Add(-time.Second).UnixNano()
	f, err := pcapfile.Open(classicPcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec pcapfile.Record
	var frame []byte
	frames := 0
	for ; ; frames++ {
		if err := f.Next(&rec); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		// The capture keeps the first bytes of each frame: the rest is
		// sent as zeros, so that the frame is as long as on the wire.
		frame = append(append(frame[:0], rec.Data...), make([]byte, int(rec.Len)-len(rec.Data))...)
		if err := raw.Send(frame, 1); err != nil {
			t.Fatal(err)
		}
		if frames%25 == 24 {
			time.Sleep(time.Millisecond)
		}
	}
	dgs := stopFprobe(t, cmd, out, rx)
	var pkts uint64
	for _, d := range dgs {
		for i := range int(binary.BigEndian.Uint16(d.data[2:])) {
			pkts += uint64(binary.BigEndian.Uint32(d.data[24+48*i+16:]))
		}
	}
	if pkts != uint64(frames) {
		t.Fatalf("fprobe's records hold %d packets of the %d frames written (%d datagrams):\n%s", pkts, frames, len(dgs), out)
	}
	flw, c := flowModeAt(t, dgs, time.Now().UnixNano(), first)
	for _, l := range c.SummaryLines() {
		t.Log(l)
	}
	want, got := totals(ipLayerMode(t, classicPcap)), totals(flw)
	for pfx, n := range want {
		if got[pfx] != n {
			t.Errorf("%s: %d bytes from fprobe's records, packet mode %d", pfx, got[pfx], n)
		}
	}
	if len(want) == 0 {
		t.Error("packet mode counted nothing")
	}
}
