//go:build cgo

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSuggestLive runs --suggest on the loopback interface for
// --suggest-for 4s while this goroutine sends 60 kB/s, and checks that it
// stops by itself and suggests a line for 127.0.0.0/24 over that rate.
func TestSuggestLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	var stdout, stderr lockedBuffer
	env := environment{stdout: &stdout, stderr: &stderr, networks: filepath.Join(td, "networks"),
		services: filepath.Join(td, "none"), protocols: filepath.Join(td, "none")}
	port, tx := loopbackUDP(t)
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-C", "-i", "lo", "-f", "udp and dst port " + port, "-a", "1", "-r", "1",
			"--suggest", "--suggest-for", "4s"}, env)
	}()
	payload := make([]byte, 1200)
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			out := stdout.String()
			m := regexp.MustCompile(`(?m)^subnet 127\.0\.0\.0/24 bandwidth ([0-9.]+)$`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no line for 127.0.0.0/24:\n%s\nstderr:\n%s", out, stderr.String())
			}
			if bw, _ := strconv.ParseFloat(m[1], 64); bw < 30 || !strings.Contains(out, "Confidence: indicative") {
				t.Errorf("bandwidth %v for about 60 kB/s, or no confidence word:\n%s", bw, out)
			}
			return
		case <-deadline:
			t.Fatal("--suggest-for 4s did not stop the run")
		case <-tick.C:
			tx.Write(payload) //nolint:errcheck // best effort traffic
		}
	}
}
