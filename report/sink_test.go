package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ipband/report"
)

// logRecorder is a report.Logf that keeps the messages.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, fmt.Sprintf(format, args...))
}

func (l *logRecorder) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// expectLogs checks the messages logged so far.
func (l *logRecorder) expect(t *testing.T, want ...string) {
	t.Helper()
	got := l.messages()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("logged\n%q\nwant\n%q", got, want)
	}
}

// nthReport is a distinct small report.
func nthReport(n int) report.Report {
	r := sampleReport()
	r.Time = r.Time.Add(time.Duration(n) * 5 * time.Minute)
	r.Rows = r.Rows[:n%5+1]
	return r
}

func text(rs ...report.Report) string {
	var b []byte
	for _, r := range rs {
		b = report.AppendText(b, r, nil)
	}
	return string(b)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileSinkAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipband.txt")
	var logs logRecorder
	s := report.NewFileSink(path, nil, logs.logf)
	for i := range 3 {
		if err := s.Deliver(nthReport(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := readFile(t, path), text(nthReport(0), nthReport(1), nthReport(2)); got != want {
		t.Errorf("file differs:\n%s", lineDiff(want, got))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("mode %v, want at most 0640", fi.Mode().Perm())
	}
	if s.Pending() != 0 || s.Retry() != nil {
		t.Errorf("pending %d after good deliveries", s.Pending())
	}
	logs.expect(t)
}

func TestFileSinkDiskFull(t *testing.T) {
	var logs logRecorder
	s := report.NewFileSink("/dev/full", nil, logs.logf)
	for i := range 4 {
		err := s.Deliver(nthReport(i))
		if !errors.Is(err, report.ErrPending) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("delivery %d: error %v, want ErrPending and ENOSPC", i, err)
		}
		if s.Pending() != i+1 {
			t.Fatalf("pending %d, want %d", s.Pending(), i+1)
		}
	}
	if err := s.Retry(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Retry: %v", err)
	}
	logs.expect(t, "/dev/full: write: no space left on device; keeping 1 report(s) in memory")
}

func TestFileSinkRemovedWhileRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipband.txt")
	var logs logRecorder
	s := report.NewFileSink(path, nil, logs.logf)
	if err := s.Deliver(nthReport(1)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(nthReport(2)); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), text(nthReport(2)); got != want {
		t.Errorf("recreated file differs:\n%s", lineDiff(want, got))
	}
	logs.expect(t)
}

// TestFileSinkUnwritableDirectory uses a path whose parent is a regular
// file (ENOTDIR even for root), then replaces it by a directory.
func TestFileSinkUnwritableDirectory(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "reports")
	if err := os.WriteFile(parent, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "ipband.txt")
	var logs logRecorder
	s := report.NewFileSink(path, nil, logs.logf)
	for i := range 2 {
		if err := s.Deliver(nthReport(i)); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("delivery %d: error %v, want ENOTDIR", i, err)
		}
	}
	fault := path + ": open: not a directory; keeping 1 report(s) in memory"
	logs.expect(t, fault)
	if s.Pending() != 2 {
		t.Fatalf("pending %d, want 2", s.Pending())
	}

	if err := os.Remove(parent); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(); err != nil {
		t.Fatal(err)
	}
	if s.Pending() != 0 {
		t.Errorf("pending %d after recovery", s.Pending())
	}
	recovered := path + ": writable again; wrote 2 pending report(s)"
	logs.expect(t, fault, recovered)
	if err := s.Deliver(nthReport(2)); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), text(nthReport(0), nthReport(1), nthReport(2)); got != want {
		t.Errorf("file differs:\n%s", lineDiff(want, got))
	}
	logs.expect(t, fault, recovered)
}

// TestFileSinkConditionChanges switches the report file's path between a
// planted symbolic link, a path under a regular file and nothing at all:
// each fault is logged once, the link is never followed, and the reports
// kept meanwhile are written once the path works.
func TestFileSinkConditionChanges(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	path := filepath.Join(sub, "ipband.txt")
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reset := func() {
		t.Helper()
		if err := os.RemoveAll(sub); err != nil {
			t.Fatal(err)
		}
	}
	var logs logRecorder
	s := report.NewFileSink(path, nil, logs.logf)

	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Deliver(nthReport(i)); !errors.Is(err, report.ErrSymlink) {
			t.Fatalf("error %v, want ErrSymlink", err)
		}
	}
	reset()
	if err := os.WriteFile(sub, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 4; i++ {
		if err := s.Deliver(nthReport(i)); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("error %v, want ENOTDIR", err)
		}
	}
	reset()
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(nthReport(4)); err != nil {
		t.Fatal(err)
	}
	logs.expect(t,
		path+": open: is a symbolic link, not followed; keeping 1 report(s) in memory",
		path+": open: not a directory; keeping 3 report(s) in memory",
		path+": writable again; wrote 4 pending report(s)",
	)
	want := text(nthReport(0), nthReport(1), nthReport(2), nthReport(3), nthReport(4))
	if got := readFile(t, path); got != want {
		t.Errorf("file differs:\n%s", lineDiff(want, got))
	}
	if got := readFile(t, victim); got != "" {
		t.Errorf("the symbolic link was followed: its target holds %d bytes", len(got))
	}
}

// flakyWriter fails while fail is set, after writing partial bytes of the
// failed write.
type flakyWriter struct {
	bytes.Buffer
	fail    bool
	partial int
	calls   int
}

var errFlaky = errors.New("flaky")

func (w *flakyWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.fail {
		n, _ := w.Buffer.Write(p[:min(w.partial, len(p))])
		return n, errFlaky
	}
	return w.Buffer.Write(p)
}

func TestWriterSinkPartialWrite(t *testing.T) {
	var logs logRecorder
	w := &flakyWriter{fail: true, partial: 10}
	s := report.NewWriterSink(w, nil, logs.logf)
	if err := s.Deliver(nthReport(0)); !errors.Is(err, errFlaky) {
		t.Fatalf("error %v", err)
	}
	w.fail = false
	if err := s.Deliver(nthReport(1)); err != nil {
		t.Fatal(err)
	}
	// The partial write stays in the output; the whole report follows it.
	want := text(nthReport(0))[:10] + text(nthReport(0), nthReport(1))
	if got := w.String(); got != want {
		t.Errorf("output differs:\n%s", lineDiff(want, got))
	}
	if w.calls != 3 {
		t.Errorf("%d Write calls, want 3 (one per report and attempt)", w.calls)
	}
	logs.expect(t,
		"output: write: flaky; keeping 1 report(s) in memory",
		"output: writable again; wrote 1 pending report(s)")
}

func TestWriterSinkPendingBound(t *testing.T) {
	big := func(n int) report.Report {
		r := sampleReport()
		r.Time = r.Time.Add(time.Duration(n) * time.Hour)
		for len(r.Rows) < 40000 {
			r.Rows = append(r.Rows, r.Rows[:20]...)
		}
		return r
	}
	size := len(text(big(0)))
	keep := report.MaxPending / size
	const deliveries = 8
	if keep >= deliveries || keep < 2 {
		t.Fatalf("report size %d: test needs %d < %d", size, keep, deliveries)
	}
	var logs logRecorder
	w := &flakyWriter{fail: true}
	s := report.NewWriterSink(w, nil, logs.logf)
	for i := range deliveries {
		if err := s.Deliver(big(i)); !errors.Is(err, report.ErrPending) {
			t.Fatalf("error %v", err)
		}
	}
	if s.Pending() != keep {
		t.Fatalf("pending %d, want %d", s.Pending(), keep)
	}
	w.fail = false
	if err := s.Retry(); err != nil {
		t.Fatal(err)
	}
	var want []report.Report
	for i := deliveries - keep; i < deliveries; i++ {
		want = append(want, big(i))
	}
	if w.String() != text(want...) {
		t.Error("output is not the newest pending reports in order")
	}
	logs.expect(t,
		"output: write: flaky; keeping 1 report(s) in memory",
		"output: dropped the oldest pending report(s): over 16 MiB kept in memory",
		fmt.Sprintf("output: writable again; wrote %d pending report(s), %d dropped", keep, deliveries-keep))
}

func TestFileSinkConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipband.txt")
	s := report.NewFileSink(path, report.EmbeddedNames(), nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Deliver(nthReport(i)); err != nil {
				t.Error(err)
			}
			_ = s.Retry()
			_ = s.Pending()
		}()
	}
	wg.Wait()
	got := readFile(t, path)
	for i := range 8 {
		if !strings.Contains(got, text(nthReport(i))) {
			t.Errorf("report %d missing or cut", i)
		}
	}
}

func TestHTMLFile(t *testing.T) {
	dir := t.TempDir()
	parent := filepath.Join(dir, "www")
	if err := os.WriteFile(parent, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "ipband.html")
	var logs logRecorder
	h := report.NewHTMLFile(path, "status", logs.logf)
	p := samplePeriod()
	for range 3 {
		if err := h.Write(p); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("error %v, want ENOTDIR", err)
		}
	}
	fault := path + ": open: not a directory"
	logs.expect(t, fault)

	if err := os.Remove(parent); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	logs.expect(t, fault, path+": writable again")

	if got := readFile(t, path); !strings.Contains(got, "<title>status</title>") || !strings.HasSuffix(got, "</html>\n") {
		t.Errorf("page is not the status page:\n%s", got)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the page (temporary files left?)", len(entries))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != report.DefaultPageMode {
		t.Errorf("mode %v, want %v, for a web server to read it", fi.Mode().Perm(), report.DefaultPageMode)
	}
}

var _ io.Writer = (*flakyWriter)(nil)
