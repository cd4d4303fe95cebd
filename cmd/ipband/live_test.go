//go:build cgo

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLiveCommand runs the whole command on the loopback interface: the
// capture goroutine with its clock closing idle periods, the report file
// and HTML page written every period, while this goroutine sends traffic.
// Run under -race it is the race test of the live engine.
func TestLiveCommand(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	dir := t.TempDir()
	out, html := filepath.Join(dir, "report.txt"), filepath.Join(dir, "status.html")
	var stdout, stderr lockedBuffer
	env := environment{stdout: &stdout, stderr: &stderr, networks: filepath.Join(td, "networks"),
		services: filepath.Join(td, "none"), protocols: filepath.Join(td, "none")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, tx := loopbackUDP(t)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-C", "-i", "lo", "-f", "udp and dst port " + port, "-a", "1", "-r", "1", "-b", "1",
			"-o", out, "-w", html, "-d", "2"}, env)
	}()

	payload := make([]byte, 1200)
	deadline := time.Now().Add(30 * time.Second)
	// Send until the report file holds a report (the capture may take a
	// moment to start).
	for !strings.Contains(readFile(out), "Network: 127.0.0.0 <loopback>") {
		if time.Now().After(deadline) {
			t.Fatalf("no report after 30 s; stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
		}
		if _, err := tx.Write(payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Quiet now: the clock alone must close periods, and the subnet drop.
	for !strings.HasSuffix(stdout.String(), " 127.0.0.0          0.00 kB     0.00/  1.00 kBps in     0.00 out     0.00 kBps\n"+strings.Repeat("*", 78)+"\n") &&
		!strings.HasSuffix(stdout.String(), "\n"+strings.Repeat("*", 48)+"\n"+strings.Repeat("*", 48)+"\n") {
		if time.Now().After(deadline) {
			t.Fatalf("idle periods did not close; stdout:\n%s", stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ipband did not stop after its context was cancelled")
	}
	// Stopped, the live page says so at once and no longer refreshes.
	if page := readFile(html); !strings.Contains(page, "127.0.0.0") || strings.Contains(page, `http-equiv="refresh"`) ||
		!strings.Contains(page, "ipband stopped after the period ending") {
		t.Errorf("status page:\n%s", page)
	}
	if r := readFile(out); !strings.Contains(r, "udp") || !strings.Contains(r, port) {
		t.Errorf("report:\n%s", r)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
