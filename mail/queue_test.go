package mail_test

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ipmail "ipband/mail"
	"ipband/report"
)

// separator ends each message in the output of appendingMTA.
const separator = "--- end of message ---\n"

// appendingMTA returns a fake MTA that appends every message it reads to
// $D/out followed by separator, and the path of that file.
func appendingMTA(t *testing.T) (*ipmail.Command, string) {
	t.Helper()
	path, dir := fakeMTA(t, `{ cat; printf '%s\n' '`+strings.TrimSuffix(separator, "\n")+`'; } >> "$D/out"`)
	return &ipmail.Command{Args: []string{path, "-t", "-oi"}}, filepath.Join(dir, "out")
}

// delivered returns the messages appendingMTA wrote to out.
func delivered(t *testing.T, out string) []string {
	t.Helper()
	if !exists(out) {
		return nil
	}
	msgs := strings.SplitAfter(readFile(t, out), separator)
	if last := msgs[len(msgs)-1]; last != "" {
		t.Fatalf("output ends in an incomplete message %q", last)
	}
	msgs = msgs[:len(msgs)-1]
	for i, m := range msgs {
		msgs[i] = strings.TrimSuffix(m, separator)
	}
	return msgs
}

// subnetReport is sampleReport for subnet 10.10.n.0 named net-n.
func subnetReport(n int) report.Report {
	r := sampleReport()
	r.Subnet = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 10, byte(n), 0}), 24)
	r.Name = fmt.Sprintf("net-%d", n)
	return r
}

// logRecorder collects log lines; it is safe for concurrent use.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRecorder) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func TestQueueDeliversInOrder(t *testing.T) {
	c, out := appendingMTA(t)
	var log logRecorder
	footer := "-- \nipband at the NOC\n"
	q := ipmail.NewQueue(c, []string{"noc@example.com", "root"}, []byte(footer), nil, log.logf)
	const n = 6
	for i := range n {
		if err := q.Deliver(subnetReport(i)); err != nil {
			t.Fatalf("Deliver %d: %v", i, err)
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := delivered(t, out)
	if len(got) != n {
		t.Fatalf("MTA got %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		want := "To: noc@example.com, root\n" +
			fmt.Sprintf("Subject: Bandwidth report for 10.10.%d.0 <net-%d>\n", i, i) +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=us-ascii\n" +
			"\n" +
			reportText(t, subnetReport(i)) + footer
		if m != want {
			t.Errorf("message %d =\n%s\nwant\n%s", i, m, want)
		}
	}
	if l := log.get(); len(l) != 0 {
		t.Errorf("unexpected log lines %q", l)
	}
	if q.Len() != 0 {
		t.Errorf("Len() = %d after Close, want 0", q.Len())
	}
}

func TestQueueConcurrentDeliver(t *testing.T) {
	c, out := appendingMTA(t)
	q := ipmail.NewQueue(c, []string{"root"}, nil, nil, nil)
	const writers, each = 4, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := q.Deliver(subnetReport(w*each + i)); err != nil {
					t.Errorf("Deliver: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if err := q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := delivered(t, out)
	if len(got) != writers*each {
		t.Fatalf("MTA got %d messages, want %d", len(got), writers*each)
	}
	last := make([]int, writers) // per writer, the last subnet seen plus one
	for _, m := range got {
		var a, b, n int
		if _, err := fmt.Sscanf(m, "To: root\nSubject: Bandwidth report for %d.%d.%d.0", &a, &b, &n); err != nil {
			t.Fatalf("message %q: %v", m, err)
		}
		w := n / each
		if n+1 <= last[w] {
			t.Errorf("writer %d: report %d sent after report %d", w, n, last[w]-1)
		}
		last[w] = n + 1
	}
}

func TestQueueFailedSendIsLogged(t *testing.T) {
	path, dir := fakeMTA(t, `cat > /dev/null; echo run >> "$D/runs"; echo 'sendmail: queue full' >&2; exit 75`)
	var log logRecorder
	q := ipmail.NewQueue(&ipmail.Command{Args: []string{path, "-t", "-oi"}}, []string{"root"}, nil, nil, log.logf)
	for i := range 2 {
		if err := q.Deliver(subnetReport(i)); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v (a failed send is logged, not returned)", err)
	}
	if runs := readFile(t, filepath.Join(dir, "runs")); runs != "run\nrun\n" {
		t.Errorf("MTA ran %q, want twice", runs)
	}
	lines := log.get()
	if len(lines) != 2 {
		t.Fatalf("log = %q, want 2 lines", lines)
	}
	for i, l := range lines {
		for _, part := range []string{
			fmt.Sprintf("Bandwidth report for 10.10.%d.0 <net-%d>", i, i),
			"mail: command " + path, "exit status 75", "sendmail: queue full",
		} {
			if !strings.Contains(l, part) {
				t.Errorf("log line %q does not contain %q", l, part)
			}
		}
	}
}

func TestQueueHangingMTA(t *testing.T) {
	baseline := runtime.NumGoroutine()
	path, dir := fakeMTA(t, `echo started >> "$D/started"; sleep 60`)
	q := ipmail.NewQueue(&ipmail.Command{Args: []string{path}}, []string{"root"}, nil, nil, nil)
	if err := q.Deliver(subnetReport(1)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	started := filepath.Join(dir, "started")
	waitFor(t, "the MTA to start", func() bool { return exists(started) })

	// The MTA now hangs on the first message; Deliver must not wait for it.
	errc := make(chan error, 1)
	go func() {
		errc <- errors.Join(q.Deliver(subnetReport(2)), q.Deliver(subnetReport(3)))
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Deliver blocked behind a hanging MTA")
	}
	if n := q.Len(); n != 3 {
		t.Errorf("Len() = %d, want 3 (one in flight, two queued)", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := q.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3 messages not sent") {
		t.Errorf("Close = %v, want an error counting 3 messages not sent, wrapping DeadlineExceeded", err)
	}
	if again := q.Close(context.Background()); again == nil || again.Error() != err.Error() {
		t.Errorf("second Close = %v, want the first's result %v", again, err)
	}
	if err := q.Deliver(subnetReport(4)); !errors.Is(err, ipmail.ErrClosed) {
		t.Errorf("Deliver after Close = %v, want ErrClosed", err)
	}
	if runs := readFile(t, started); runs != "started\n" {
		t.Errorf("MTA runs %q, want one: Close must not start another send", runs)
	}
	waitFor(t, "the queue's goroutines to exit", func() bool { return runtime.NumGoroutine() <= baseline })
}

func TestQueueClose(t *testing.T) {
	c, out := appendingMTA(t)
	q := ipmail.NewQueue(c, []string{"root"}, nil, nil, nil)
	if err := q.Deliver(subnetReport(1)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
	}
	wg.Wait()
	// Every Close has returned, so the message is out.
	if got := len(delivered(t, out)); got != 1 {
		t.Errorf("MTA got %d messages, want 1", got)
	}
	if err := q.Deliver(subnetReport(2)); !errors.Is(err, ipmail.ErrClosed) {
		t.Errorf("Deliver after Close = %v, want ErrClosed", err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close again: %v", err)
	}
}

func TestQueueBadRecipients(t *testing.T) {
	c, out := appendingMTA(t)
	tests := []struct {
		name string
		to   []string
		want error
	}{
		{"header injection", []string{"a@b\nBcc: c@example.com"}, ipmail.ErrBadAddress},
		{"none", nil, ipmail.ErrNoRecipients},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ipmail.NewQueue(c, tt.to, nil, nil, nil)
			if err := q.Deliver(sampleReport()); !errors.Is(err, tt.want) {
				t.Errorf("Deliver = %v, want %v", err, tt.want)
			}
			if err := q.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	if got := delivered(t, out); len(got) != 0 {
		t.Errorf("MTA got %q, want nothing", got)
	}
}

func TestQueueHeaderInjectionInName(t *testing.T) {
	c, out := appendingMTA(t)
	q := ipmail.NewQueue(c, []string{"root"}, nil, nil, nil)
	names := []string{
		"halifax\r\nBcc: evil@example.com",
		"halifax\nBcc: evil@example.com",
		"halifax\rBcc: evil@example.com",
		"halifax\u2028Bcc: evil@example.com",
		"halifax\u0085Bcc: evil@example.com",
		"=?utf-8?q?x=0D=0ABcc:_evil@example.com?=",
	}
	for _, name := range names {
		r := sampleReport()
		r.Name = name
		if err := q.Deliver(r); err != nil {
			t.Fatalf("Deliver(name %q): %v", name, err)
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := delivered(t, out)
	if len(got) != len(names) {
		t.Fatalf("MTA got %d messages, want %d", len(got), len(names))
	}
	for i, raw := range got {
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Errorf("name %q: message does not parse: %v", names[i], err)
			continue
		}
		var keys []string
		for k := range msg.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"Content-Type", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
			t.Errorf("name %q: headers %q, want %q", names[i], keys, want)
		}
		if to := msg.Header.Get("To"); to != "root" {
			t.Errorf("name %q: To = %q, want root", names[i], to)
		}
	}
}
