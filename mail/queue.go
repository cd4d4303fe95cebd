package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"ipband/report"
)

// ErrClosed is returned by Queue.Report after Close.
var ErrClosed = errors.New("mail: queue closed")

// Defaults of Options.
const (
	DefaultSpoolDir    = "/var/spool/ipband"
	DefaultSpoolMax    = 64 << 20
	DefaultRetry       = 30 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultExpire      = 5 * 24 * time.Hour
	DefaultSendTimeout = 2 * time.Minute
)

// Options configure a Queue. Sender and To are required; every other zero
// field means its default.
type Options struct {
	// Sender delivers each message: a *Command or an *SMTP.
	Sender Sender
	// To are the recipients (-M, mailto), checked with CheckAddresses.
	To []string
	// From is the sender address (mailfrom); "" means DefaultFrom().
	From string
	// Footer is appended to every message (-l, mailfoot).
	Footer []byte
	// Names resolves service names in the report text; nil means
	// report.EmbeddedNames().
	Names *report.Names
	// SpoolDir holds the messages not yet sent (spooldir); it is created
	// 0700 when missing. Default DefaultSpoolDir.
	SpoolDir string
	// SpoolOwner is the user id that must own the spool directory and its
	// failed directory, which no one else may write; 0 means the process's
	// effective user. A process that checks a spool as root for the user
	// it will drop to sets it to that user.
	SpoolOwner int
	// SpoolMax caps the bytes of waiting messages (spoolmax); when a new
	// message takes the spool past it the oldest waiting messages are
	// dropped. Default DefaultSpoolMax (64 MiB).
	SpoolMax int64
	// Retry is the wait after the first temporary failure (mailretry); it
	// doubles with each further failure up to RetryMax (mailretrymax), with
	// ±20% jitter. Defaults 30 s and 1 h.
	Retry, RetryMax time.Duration
	// Expire is how long a message is retried before it counts as failed
	// for good (mailexpire). Default 5 days.
	Expire time.Duration
	// SendTimeout bounds one attempt. Default 2 minutes.
	SendTimeout time.Duration
	// Logf logs what happens to the mail; nil discards.
	Logf report.Logf
	// Now is the clock of Date headers, spool names and expiry; nil means
	// time.Now.
	Now func() time.Time
}

// Counts are a Queue's counters since Open, for metrics and the exit
// summary.
type Counts struct {
	// Waiting is the number of messages not yet sent: in the spool (the one
	// being sent included) or, when the spool could not be written, in
	// memory.
	Waiting uint64
	// Sent counts the messages the sender accepted.
	Sent uint64
	// Failed counts the messages that failed for good and went to the
	// failed directory.
	Failed uint64
	// Dropped counts the waiting messages dropped to keep the spool under
	// SpoolMax.
	Dropped uint64
}

// Queue is the mail output: each report becomes a message that is written
// to the spool, and synced, before Report returns; a goroutine of the
// queue's own sends the spooled messages oldest first and removes each one
// only once the sender accepted it. The capture path never waits on a mail
// server or command.
//
// A temporary failure (see Sender) holds all sending for a while, doubling
// from Retry to RetryMax with jitter, and the same message is tried again;
// after Expire it fails for good. A permanent failure moves the message to
// SpoolDir/failed with the reason beside it, logged once. Messages left in
// the spool by an earlier run are sent first.
//
// Memory holds only the name, size and subject of each waiting message;
// bodies are read back from the spool to be sent. Only when the spool
// cannot be written is a message kept in memory, within the same SpoolMax.
//
// Use Open; the zero Queue is not usable. A Queue is safe for concurrent
// use.
type Queue struct {
	o     Options
	logf  report.Logf
	spool *spool

	wake   chan struct{}   // 1-buffered: a message was queued
	stop   chan struct{}   // closed by Close: one last pass, then exit
	ctx    context.Context // ends when Close gives up: stops the send under way
	cancel context.CancelFunc
	wg     sync.WaitGroup // the sending goroutine
	done   chan struct{}  // closed when the first Close has finished
	err    error          // the first Close's result, set before done is closed

	mu         sync.Mutex // guards the following fields
	waiting    []*entry   // oldest first
	busy       *entry     // the entry being sent, nil when none
	size       int64      // bytes of the waiting messages
	closed     bool       // Close has been called
	counts     Counts     // Waiting is computed on demand
	spoolFault string     // the spool's write error, "" when it works
}

// entry is one waiting message.
type entry struct {
	name    string    // its file in the spool, and in failed/
	data    []byte    // the message when the spool could not take it, else nil
	env     Envelope  // whom it goes to
	subject string    // for log lines
	size    int64     // bytes
	queued  time.Time // when it was first queued
}

var (
	_ report.Output = (*Queue)(nil)
	_ report.Closer = (*Queue)(nil)
)

// OpenError is an error of Open, with the option at fault.
type OpenError struct {
	// Option is the Options field at fault: "Sender", "To", "From" or
	// "SpoolDir".
	Option string
	Err    error
}

// Error returns the message of e.Err.
func (e *OpenError) Error() string { return e.Err.Error() }

// Unwrap returns e.Err.
func (e *OpenError) Unwrap() error { return e.Err }

// Open checks o (with an *SMTP sender, every address needs a domain),
// opens the spool (creating it 0700, checking that it can be
// written, and locking it against another ipband), loads the messages an
// earlier run left there and starts sending. Call Close to stop. Errors
// are *OpenError, naming the option at fault: the recipients, the sender
// address or the spool directory.
func Open(o Options) (*Queue, error) {
	o, sp, err := prepare(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		o: o, logf: o.Logf, spool: sp,
		wake: make(chan struct{}, 1), stop: make(chan struct{}),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	if q.logf == nil {
		q.logf = func(string, ...any) {}
	}
	if err := q.load(); err != nil {
		sp.close() //nolint:errcheck // the load error is the one to report
		cancel()
		return nil, &OpenError{"SpoolDir", fmt.Errorf("mail: spool %s: %w", o.SpoolDir, err)}
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.run()
	}()
	return q, nil
}

// Check makes the checks of Open without starting a queue: the addresses,
// and the spool (created when missing, written to, and free of another
// ipband's lock, which Check takes and releases). A daemon calls it before
// it detaches, so that a bad setting stops it with the error in sight.
func Check(o Options) error {
	_, sp, err := prepare(o)
	if err != nil {
		return err
	}
	return sp.close()
}

// prepare checks o, fills its defaults and opens the spool.
func prepare(o Options) (Options, *spool, error) {
	if o.Sender == nil {
		return o, nil, &OpenError{"Sender", errors.New("mail: no sender")}
	}
	if err := CheckAddresses(o.To); err != nil {
		return o, nil, &OpenError{"To", err}
	}
	if o.From == "" {
		o.From = DefaultFrom()
	}
	if err := CheckAddress(o.From); err != nil {
		return o, nil, &OpenError{"From", err}
	}
	if _, ok := o.Sender.(*SMTP); ok {
		if err := needDomains(o.From, o.To); err != nil {
			return o, nil, err
		}
	}
	o.To, o.Footer = slices.Clone(o.To), slices.Clone(o.Footer)
	setDefaults(&o)
	owner := o.SpoolOwner
	if owner == 0 {
		owner = os.Geteuid()
	}
	sp, err := openSpool(o.SpoolDir, owner)
	if err != nil {
		return o, nil, &OpenError{"SpoolDir", fmt.Errorf("mail: spool %s: %w", o.SpoolDir, err)}
	}
	return o, sp, nil
}

// needDomains checks that every address has a domain, as an SMTP server
// needs: only a local MTA qualifies a bare user name such as "root".
func needDomains(from string, to []string) error {
	if !strings.Contains(from, "@") {
		return &OpenError{"From", &AddressError{Addr: from, Why: "want user@domain for SMTP"}}
	}
	for _, a := range to {
		if !strings.Contains(a, "@") {
			return &OpenError{"To", &AddressError{Addr: a, Why: "want user@domain for SMTP"}}
		}
	}
	return nil
}

// setDefaults fills the zero fields of o.
func setDefaults(o *Options) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.SpoolDir == "" {
		o.SpoolDir = DefaultSpoolDir
	}
	if o.SpoolMax <= 0 {
		o.SpoolMax = DefaultSpoolMax
	}
	def(&o.Retry, DefaultRetry)
	def(&o.RetryMax, DefaultRetryMax)
	def(&o.Expire, DefaultExpire)
	def(&o.SendTimeout, DefaultSendTimeout)
	o.RetryMax = max(o.RetryMax, o.Retry)
	if o.Now == nil {
		o.Now = time.Now
	}
}

// DefaultFrom returns the default sender address: "ipband@" and the host
// name, or "ipband@localhost" when the host name is not usable in an
// address.
func DefaultFrom() string {
	h, err := os.Hostname()
	if err != nil || CheckAddress("ipband@"+h) != nil {
		return "ipband@localhost"
	}
	return "ipband@" + h
}

// load queues the messages found in the spool, oldest first. A file that
// is not a message ipband wrote goes to the failed directory.
func (q *Queue) load() error {
	names, err := q.spool.messages()
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := q.spool.read(n)
		if err != nil {
			return err
		}
		env, subject, err := parseSpooled(data)
		if err != nil {
			dst, _ := q.spool.fail(n, nil, "not a message ipband can send: "+err.Error())
			q.logf("mail: spool file %s is not a message ipband can send (%v): moved to %s", n, err, dst)
			continue
		}
		t, _ := spoolTime(n)
		e := &entry{name: n, env: env, subject: subject, size: int64(len(data)), queued: t}
		q.waiting = append(q.waiting, e)
		q.size += e.size
	}
	q.trim(nil)
	if n := len(q.waiting); n > 0 {
		q.logf("mail: %d %s waiting in the spool %s from an earlier run: sending", n, plural(n, "message"), q.o.SpoolDir)
	}
	return nil
}

// Name returns "mail".
func (q *Queue) Name() string { return "mail" }

// Period does nothing: mail is sent for reports only.
func (q *Queue) Period(*report.Period) error { return nil }

// Report composes the message for r (From, To, Date, Message-ID and
// Subject headers; the text report and the footer as the body), writes it
// to the spool and syncs it, and queues it; it never waits for the
// sending. It returns the Compose error for bad input, and ErrClosed after
// Close. When the spool cannot be written the fault is logged once and the
// message is kept in memory instead.
func (q *Queue) Report(r report.Report) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	now := q.o.Now()
	m, err := Compose(r, q.o.To, q.o.Footer, q.o.Names)
	if err != nil {
		return err
	}
	m.From, m.Date, m.ID = q.o.From, now, messageID(now, q.o.From)
	data := m.Bytes()
	e := &entry{
		name: newName(now), env: Envelope{From: m.From, To: m.To},
		subject: sanitizeSubject(m.Subject), size: int64(len(data)), queued: now,
	}
	werr := q.spool.write(e.name, data)
	if werr != nil {
		e.data = data
	}
	q.mu.Lock()
	q.spoolCondition(werr)
	if q.closed {
		q.mu.Unlock()
		return ErrClosed // a spooled message goes at the next start
	}
	q.waiting = append(q.waiting, e)
	q.size += e.size
	q.trim(e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// spoolCondition logs when writing to the spool starts or stops failing;
// q.mu is held.
func (q *Queue) spoolCondition(err error) {
	key := ""
	if err != nil {
		key = err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) { // the fault, not the file it hit
			key = pe.Op + ": " + pe.Err.Error()
		}
	}
	switch {
	case err != nil && key != q.spoolFault:
		q.spoolFault = key
		q.logf("mail: spool %s: %s: keeping messages in memory until it works again", q.o.SpoolDir, key)
	case err == nil && q.spoolFault != "":
		q.spoolFault = ""
		q.logf("mail: spool %s: writable again", q.o.SpoolDir)
	}
}

// trim drops the oldest waiting messages, other than the one being sent
// and keep, while the spool is over SpoolMax; q.mu is held (or the queue
// not yet started).
func (q *Queue) trim(keep *entry) {
	for q.size > q.o.SpoolMax {
		i := slices.IndexFunc(q.waiting, func(e *entry) bool { return e != q.busy && e != keep })
		if i < 0 {
			return
		}
		e := q.waiting[i]
		q.waiting = slices.Delete(q.waiting, i, i+1)
		q.size -= e.size
		q.counts.Dropped++
		if e.data == nil {
			q.spool.remove(e.name) //nolint:errcheck // a leftover is sent again at the next start
		}
		q.logf("mail: spool %s is full (spoolmax %d bytes): dropped the oldest waiting message %q of %s; %d dropped so far",
			q.o.SpoolDir, q.o.SpoolMax, e.subject, e.queued.Format(time.RFC3339), q.counts.Dropped)
	}
}

// Counts returns the queue's counters.
func (q *Queue) Counts() Counts {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.counts
	c.Waiting = uint64(len(q.waiting))
	return c
}

// Len returns the number of messages not yet sent (Counts().Waiting).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// Close stops the queue: Report fails from now on, and the waiting
// messages are tried once more, oldest first, until one fails or ctx ends
// (the send under way is then stopped). What is left stays in the spool
// for the next start, and is logged with its count and subjects. Close
// returns an error only for mail lost in this run: messages that could not
// be spooled and were not sent, messages dropped when the spool was full,
// and messages that failed for good. Close is idempotent: later calls wait
// for the first to finish (or for their own ctx) and return its result.
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
	q.err = q.summarize()
	q.spool.close() //nolint:errcheck // a lock file
	close(q.done)
	return q.err
}

// summarize logs what Close leaves in the spool and returns the error for
// what was lost.
func (q *Queue) summarize() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var left []string
	inMemory := 0
	for _, e := range q.waiting {
		if e.data != nil {
			inMemory++
		} else {
			left = append(left, e.subject)
		}
	}
	if n := len(left); n > 0 {
		q.logf("mail: %d %s left in the spool %s, to be sent at the next start: %s",
			n, plural(n, "message"), q.o.SpoolDir, quoteList(left, 5))
	}
	var lost []string
	if inMemory > 0 {
		lost = append(lost, fmt.Sprintf("%d %s not sent and not spooled", inMemory, plural(inMemory, "message")))
	}
	if n := q.counts.Dropped; n > 0 {
		lost = append(lost, fmt.Sprintf("%d %s dropped because the spool was full", n, plural(int(n), "message")))
	}
	if n := q.counts.Failed; n > 0 {
		lost = append(lost, fmt.Sprintf("%d %s failed for good (kept in %s)", n, plural(int(n), "message"),
			filepath.Join(q.o.SpoolDir, FailedDir)))
	}
	if len(lost) == 0 {
		return nil
	}
	return errors.New("mail: " + strings.Join(lost, ", "))
}

// quoteList quotes the first n items of list, and counts the rest.
func quoteList(list []string, n int) string {
	var b strings.Builder
	for i, s := range list {
		if i == n {
			fmt.Fprintf(&b, " and %d more", len(list)-n)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", s)
	}
	return b.String()
}

// run sends the waiting messages until Close. A temporary failure holds
// sending (backoff); after stop it makes one pass that ends at the first
// failure, and it returns at once when q.ctx ends.
func (q *Queue) run() {
	var hold time.Time // no attempt before this
	failures := 0      // consecutive temporary failures
	var fault string   // the last temporary failure logged
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for q.ctx.Err() == nil {
		stopping := isClosed(q.stop)
		if q.Len() == 0 {
			if stopping {
				return
			}
			select {
			case <-q.wake:
			case <-q.stop:
			case <-q.ctx.Done():
			}
			continue
		}
		if d := hold.Sub(q.o.Now()); d > 0 && !stopping {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-q.wake:
			case <-q.stop:
			case <-q.ctx.Done():
			}
			timer.Stop()
			continue
		}
		e := q.claim()
		if e == nil {
			continue
		}
		err := q.attempt(e)
		switch {
		case errors.Is(err, os.ErrNotExist):
			q.vanished(e)
		case err == nil:
			q.finish(e, nil)
			if failures > 0 {
				q.logf("mail: sending works again: %q sent after %d failed %s", e.subject, failures, plural(failures, "attempt"))
			}
			failures, hold, fault = 0, time.Time{}, ""
		case !temporary(err):
			q.finish(e, err)
			failures, hold = 0, time.Time{}
		case q.ctx.Err() != nil || stopping:
			q.release()
			return
		default:
			failures++
			now := q.o.Now()
			wait := q.backoff(failures)
			hold = now.Add(wait)
			if age := now.Sub(e.queued); age >= q.o.Expire {
				q.finish(e, fmt.Errorf("gave up after %s of temporary failures: %w", q.o.Expire, err))
				continue
			}
			q.release()
			if msg := err.Error(); msg != fault {
				fault = msg
				q.logf("mail: %q not sent, retrying in %s (then backing off up to %s): %v",
					e.subject, wait.Round(time.Millisecond), q.o.RetryMax, err)
			}
		}
	}
}

// claim marks the oldest waiting message as being sent and returns it, or
// nil when there is none.
func (q *Queue) claim() *entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		return nil
	}
	q.busy = q.waiting[0]
	return q.busy
}

// release ends a failed attempt: the message stays waiting.
func (q *Queue) release() {
	q.mu.Lock()
	q.busy = nil
	q.mu.Unlock()
}

// attempt sends e once.
func (q *Queue) attempt(e *entry) error {
	data := e.data
	if data == nil {
		var err error
		if data, err = q.spool.read(e.name); err != nil {
			return fmt.Errorf("mail: spool: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(q.ctx, q.o.SendTimeout)
	defer cancel()
	return q.o.Sender.Send(ctx, e.env, data)
}

// finish removes e, the message being sent, from the queue: sent when err
// is nil, else failed for good and moved to the failed directory.
func (q *Queue) finish(e *entry, err error) {
	var ferr error
	dst := ""
	if err == nil {
		if e.data == nil {
			ferr = q.spool.remove(e.name)
		}
	} else {
		dst, ferr = q.spool.fail(e.name, e.data, err.Error())
	}
	q.mu.Lock()
	q.busy = nil
	if i := slices.Index(q.waiting, e); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		q.size -= e.size
	}
	if err == nil {
		q.counts.Sent++
	} else {
		q.counts.Failed++
	}
	q.mu.Unlock()
	switch {
	case err != nil && ferr != nil:
		q.logf("mail: %q failed for good: %v (and could not be kept in %s: %v)", e.subject, err, filepath.Dir(dst), ferr)
	case err != nil:
		q.logf("mail: %q failed for good, kept in %s: %v", e.subject, dst, err)
	case ferr != nil:
		q.logf("mail: %q sent, but its spool file stays (it will be sent again at the next start): %v", e.subject, ferr)
	}
}

// vanished forgets e, whose spool file was removed by someone else.
func (q *Queue) vanished(e *entry) {
	q.mu.Lock()
	q.busy = nil
	if i := slices.Index(q.waiting, e); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		q.size -= e.size
	}
	q.counts.Dropped++
	q.mu.Unlock()
	q.logf("mail: %q dropped: its spool file %s was removed", e.subject, e.name)
}

// backoff returns the wait after the n-th consecutive temporary failure:
// Retry doubled n-1 times, at most RetryMax, ±20%.
func (q *Queue) backoff(n int) time.Duration {
	d := q.o.Retry
	for i := 1; i < n && d < q.o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, q.o.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// temporary reports whether err is worth retrying: every error but one
// whose Temporary method says false.
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return !errors.Is(err, ErrBadAddress) && !errors.Is(err, ErrNoRecipients) && !errors.Is(err, ErrNoCommand)
}

// isClosed reports whether c is closed.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// messageID returns a new Message-ID (without angle brackets) for a message
// written at t from the address from.
func messageID(t time.Time, from string) string {
	var r [8]byte
	rand.Read(r[:]) //nolint:errcheck // crypto/rand does not fail
	domain := "localhost"
	if _, d, ok := strings.Cut(from, "@"); ok {
		domain = d
	}
	return t.UTC().Format("20060102T150405") + "." + hex.EncodeToString(r[:]) + "@" + domain
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
