package watchdog_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

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
