package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the ipband binary the tests that send signals build once;
// TestMain removes it.
var (
	binDir   string
	binOnce  sync.Once
	binErr   error
	binBuilt string
)

// ipbandBinary builds the command once per test run and returns its path.
func ipbandBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ipband-test-")
		if binErr != nil {
			return
		}
		binBuilt = filepath.Join(binDir, "ipband")
		out, err := exec.Command("go", "build", "-o", binBuilt, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binBuilt
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "build: " + e.err.Error() + "\n" + e.out }

// removeBinary removes what ipbandBinary built.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}
