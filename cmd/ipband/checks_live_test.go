//go:build cgo

package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"

	"ipband/watchdog"
)

// TestDefaultInterfaceNamed opens libpcap's default device (no interface
// given) and stops at once: -d 1 must name the device opened.
func TestDefaultInterfaceNamed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW)")
	}
	dev, err := watchdog.DefaultDevice()
	if err != nil {
		t.Skipf("no default device: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // open, print the options, stop after the first read
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-C", "-d", "1", "-o", t.TempDir() + "/out.txt"}, testEnv(&stdout, &stderr))
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	m := regexp.MustCompile(`(?m)^    Capture: interface (.*), link type \d+ `).FindStringSubmatch(stdout.String())
	if m == nil || m[1] != dev {
		t.Errorf("want the capture on %q named; stdout:\n%s", dev, stdout.String())
	}
}
