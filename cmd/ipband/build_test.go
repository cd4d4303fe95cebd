package main

import (
	"os/exec"
	"path/filepath"
	"testing"
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
