package metrics_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"
)

// checkLeaks fails the test when, once its other cleanups have run, more
// goroutines are running than when it started.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		for i := 0; ; i++ {
			http.DefaultClient.CloseIdleConnections()
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if i == 100 {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines still running, %d before the test:\n%s", n, before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
