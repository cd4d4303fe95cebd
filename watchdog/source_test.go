package watchdog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

const td = "../testdata"

// TestFileSourceCancel checks the cancel contract of replay: a done
// context stops the replay with no error, like the end of the file.
func TestFileSourceCancel(t *testing.T) {
	path := filepath.Join(td, "classic.pcap")
	whole, _ := newEngine(t, cfg())
	src, err := watchdog.OpenFileSource(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Run(context.Background(), whole, watchdog.RunOptions{}); err != nil {
		t.Fatalf("full replay: %v", err)
	}
	if whole.Stats().Packets == 0 {
		t.Fatal("full replay saw no packets")
	}

	e, _ := newEngine(t, cfg())
	src2, err := watchdog.OpenFileSource(path, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src2.Run(ctx, e, watchdog.RunOptions{}); err != nil {
		t.Errorf("cancelled replay: %v, want nil", err)
	}
	if got := e.Stats().Packets; got >= whole.Stats().Packets {
		t.Errorf("cancelled replay counted %d packets, the whole file has %d", got, whole.Stats().Packets)
	}
	if err := src2.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := src2.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFileSourceOpen checks that a bad filter or file is found at open.
func TestFileSourceOpen(t *testing.T) {
	path := filepath.Join(td, "loopback-lo.pcap")
	src, err := watchdog.OpenFileSource(path, "udp")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.LinkType() != watchdog.LinkTypeEthernet {
		t.Errorf("link type %v", src.LinkType())
	}
	if want := "file " + path + ", link type 1 (EN10MB)"; src.String() != want {
		t.Errorf("String() = %q, want %q", src, want)
	}
	if _, err := watchdog.OpenFileSource(path, "no such (filter"); err == nil || !strings.Contains(err.Error(), "filter") {
		t.Errorf("bad filter: %v", err)
	}
	if _, err := watchdog.OpenFileSource(filepath.Join(td, "networks"), ""); !errors.Is(err, pcapfile.ErrFormat) {
		t.Errorf("not a capture: %v, want ErrFormat", err)
	}
}

// TestFileSourceCancelPipe stops a replay that waits for data on a FIFO,
// as from tcpdump -w - | ipband --read /dev/stdin.
func TestFileSourceCancelPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	writer := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			close(writer)
			return
		}
		pw := pcapgo.NewWriter(w)
		pw.WriteFileHeader(65535, layers.LinkTypeEthernet) //nolint:errcheck // a read error fails the test
		frame := make([]byte, 60)
		pw.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: 60, Length: 60}, frame) //nolint:errcheck // as above
		writer <- w                                                                                            // kept open: the replay waits for more
	}()
	src, err := watchdog.OpenFileSource(fifo, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := <-writer
	if w == nil {
		return
	}
	defer w.Close()
	e, _ := newEngine(t, cfg())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, e, watchdog.RunOptions{}) }()
	time.Sleep(100 * time.Millisecond) // let it block in the read
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still blocked on the pipe after cancel")
	}
	if got := e.Stats().Packets; got != 1 {
		t.Errorf("%d packets counted, want the 1 written", got)
	}
}
