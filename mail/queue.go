package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"ipband/report"
)

// ErrClosed is returned by Queue.Deliver after Close.
var ErrClosed = errors.New("mail: queue closed")

// sendTimeout bounds one send, so that a hung MTA cannot stall the queue
// for ever.
const sendTimeout = 2 * time.Minute

// Queue is the mail report.Sink: it composes each report's message when it
// is delivered and sends the messages, in order, from a goroutine of its
// own, so the capture path never waits on the MTA. The queue is an
// unbounded in-memory FIFO. Use NewQueue; the zero Queue is not usable. A
// Queue is safe for concurrent use.
type Queue struct {
	sender Sender
	to     []string
	footer []byte
	names  *report.Names
	logf   func(string, ...any)

	wake   chan struct{}   // 1-buffered: a message was queued
	stop   chan struct{}   // closed by Close: send what is queued, then exit
	ctx    context.Context // ends when Close gives up: stops the send under way
	cancel context.CancelFunc
	wg     sync.WaitGroup // the sending goroutine
	done   chan struct{}  // closed when the first Close has finished
	err    error          // the first Close's result, set before done is closed

	mu      sync.Mutex // guards the following fields
	pending []Message  // messages not yet sent, oldest first
	closed  bool       // Close has been called
}

var _ report.Sink = (*Queue)(nil)

// NewQueue returns a Queue that sends each delivered report to the
// recipients to through s, with footer at the end of every message and
// service names from names (see Compose), and starts its goroutine; call
// Close to stop it. Check to with CheckAddresses first: with bad addresses
// every Deliver fails. A failed send is reported through logf, which may be
// nil to discard. NewQueue keeps copies of to and footer.
func NewQueue(s Sender, to []string, footer []byte, names *report.Names, logf func(string, ...any)) *Queue {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		sender: s,
		to:     slices.Clone(to),
		footer: slices.Clone(footer),
		names:  names,
		logf:   logf,
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.run()
	}()
	return q
}

// Deliver composes the message for r and queues it; it never waits for the
// sending. It returns the Compose error for bad input, and ErrClosed after
// Close. The message is then sent in order after those queued before it; a
// send that fails, or takes more than two minutes, is logged with the
// message's subject and dropped.
func (q *Queue) Deliver(r report.Report) error {
	m, err := Compose(r, q.to, q.footer, q.names)
	if err != nil {
		return err
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.pending = append(q.pending, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close stops the queue: Deliver fails from now on, and the messages already
// queued are sent until ctx ends. If ctx ends first the send under way is
// stopped, and Close returns an error counting the messages not sent and
// wrapping ctx.Err(). Close returns when the queue's goroutine has exited.
// Close is idempotent: later calls wait for the first to finish (or for
// their own ctx) and return its result.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	first := !q.closed
	q.closed = true
	q.mu.Unlock()
	if !first {
		select {
		case <-q.done:
			return q.err
		case <-ctx.Done():
			return fmt.Errorf("mail: close: %w", ctx.Err())
		}
	}
	close(q.stop)
	exited := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-ctx.Done():
		q.cancel()
		<-exited
	}
	q.cancel()
	if n := q.Len(); n > 0 {
		q.err = fmt.Errorf("mail: close: %d %s not sent: %w", n, plural(n, "message"), ctx.Err())
	}
	close(q.done)
	return q.err
}

// Len returns the number of messages queued and not yet sent, the one being
// sent included. After Close it is the number that were never sent.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// run sends queued messages until Close: after stop it sends what is left,
// and it returns at once when q.ctx ends.
func (q *Queue) run() {
	for q.ctx.Err() == nil {
		if m, ok := q.head(); ok {
			q.send(m)
			continue
		}
		select {
		case <-q.wake:
		case <-q.stop:
			if q.Len() == 0 {
				return
			}
		case <-q.ctx.Done():
		}
	}
}

// head returns the oldest queued message, which stays queued until send is
// done with it.
func (q *Queue) head() (Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return Message{}, false
	}
	return q.pending[0], true
}

// send sends m, the head of the queue, and removes it from the queue unless
// Close stopped the send: then it stays queued, counted as not sent (and
// ready for the spool to come).
func (q *Queue) send(m Message) {
	ctx, cancel := context.WithTimeout(q.ctx, sendTimeout)
	err := q.sender.Send(ctx, m)
	cancel()
	if err != nil && q.ctx.Err() != nil {
		return
	}
	q.mu.Lock()
	q.pending[0] = Message{}
	q.pending = q.pending[1:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
	q.mu.Unlock()
	if err != nil {
		// Retries with backoff and an on-disk spool will go here; for
		// now the message is dropped.
		q.logf("mail: %q not sent: %v", m.Subject, err)
	}
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
