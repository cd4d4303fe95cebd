package notify_test

import (
	"testing"

	"go.uber.org/goleak"
)

// checkLeaks fails the test when, once its other cleanups have run, a
// goroutine it started is still running.
func checkLeaks(t *testing.T) {
	t.Helper()
	running := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, running) })
}
