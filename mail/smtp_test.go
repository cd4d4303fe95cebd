package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	ipmail "ipband/mail"
	"ipband/mail/mailtest"
	"ipband/report"
)

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

// count returns how many lines hold s.
func (l *logRecorder) count(s string) int {
	n := 0
	for _, line := range l.get() {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// smtpSender returns an SMTP sender for s that trusts the test certificate.
func smtpSender(s *mailtest.Server, mode ipmail.TLSMode) *ipmail.SMTP {
	pool := mailtest.CertPool()
	return &ipmail.SMTP{Addr: s.Addr, TLS: mode, TLSConfig: &tls.Config{RootCAs: pool}, LocalName: "gw.example.com"}
}

// testQueue opens a queue in a new spool directory with short retry
// intervals, logging to log; fill sets more options. Close is called at
// cleanup.
func testQueue(t *testing.T, log *logRecorder, o ipmail.Options) *ipmail.Queue {
	t.Helper()
	if o.SpoolDir == "" {
		o.SpoolDir = filepath.Join(t.TempDir(), "spool")
	}
	if o.To == nil {
		o.To = []string{"noc@example.com"}
	}
	if o.From == "" {
		o.From = "ipband@gw.example.com"
	}
	if o.Retry == 0 {
		o.Retry, o.RetryMax = 10*time.Millisecond, 40*time.Millisecond
	}
	o.Logf = log.logf
	q, err := ipmail.Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { q.Close(context.Background()) }) //nolint:errcheck // the tests check Close themselves
	return q
}

// spoolFiles returns the names of the messages in dir (not in failed/).
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "[0-9]*.eml")) // not .tmp- files being written
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// crlfToLF turns the CRLF line endings of SMTP DATA back into LF.
func crlfToLF(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

// TestSMTPStartTLSAuth delivers a report through STARTTLS and AUTH PLAIN to
// two recipients and checks every byte the server received: the envelope,
// the headers, and the body, which is the text report and the footer.
func TestSMTPStartTLSAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{Users: map[string]string{"ipband": "s3cret pass"}})
	var log logRecorder
	sender := smtpSender(srv, ipmail.StartTLS)
	sender.User, sender.Password = "ipband", "s3cret pass"
	now := time.Date(2026, 12, 1, 9, 16, 49, 0, time.UTC)
	footer := "-- \nNOC on call: ext. 4242\n"
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{
		Sender: sender, To: []string{"noc@example.com", "ops@example.org"}, From: "ipband@gw.example.com",
		Footer: []byte(footer), SpoolDir: spool, Now: func() time.Time { return now },
	})
	r := sampleReport()
	if err := q.Report(r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message to be sent", func() bool { return q.Counts().Sent == 1 })
	if err := q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.TLS || got.User != "ipband" || got.From != "ipband@gw.example.com" ||
		!slices.Equal(got.To, []string{"noc@example.com", "ops@example.org"}) {
		t.Errorf("session: TLS %v, user %q, MAIL FROM %q, RCPT TO %q", got.TLS, got.User, got.From, got.To)
	}
	data := crlfToLF(got.Data)
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	for k, want := range map[string]string{
		"From":           "ipband@gw.example.com",
		"To":             "noc@example.com, ops@example.org",
		"Subject":        "Bandwidth report for 10.10.123.0 <halifax>",
		"Date":           "Tue, 01 Dec 2026 09:16:49 +0000",
		"Auto-Submitted": "auto-generated",
		"Mime-Version":   "1.0",
		"Content-Type":   "text/plain; charset=utf-8",
	} {
		if v := msg.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if id := msg.Header.Get("Message-Id"); !regexp.MustCompile(`^<20261201T091649\.[0-9a-f]{16}@gw\.example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	if len(msg.Header) != 8 {
		t.Errorf("headers %v, want exactly 8", msg.Header)
	}
	body, _ := bytes.CutPrefix(data, data[:bytes.Index(data, []byte("\n\n"))+2])
	if want := reportText(t, r) + footer; string(body) != want {
		t.Errorf("body:\n%s\nwant the text report and the footer:\n%s", body, want)
	}
	if f := spoolFiles(t, spool); len(f) != 0 {
		t.Errorf("spool still holds %q after delivery", f)
	}
	if c := q.Counts(); c != (ipmail.Counts{Sent: 1}) {
		t.Errorf("Counts = %+v", c)
	}
}

// TestSMTPAuthLogin authenticates with LOGIN when the server offers only
// that.
func TestSMTPAuthLogin(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{Users: map[string]string{"ipband": "pw"}, Mechs: []string{sasl.Login}})
	s := smtpSender(srv, ipmail.StartTLS)
	s.User, s.Password = "ipband", "pw"
	if err := s.Send(context.Background(), ipmail.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, []byte("Subject: x\n\nbody\n")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].User != "ipband" || string(crlfToLF(m[0].Data)) != "Subject: x\n\nbody\n" {
		t.Errorf("server got %+v", m)
	}
}

// TestSMTPImplicitTLS submits over TLS from the first byte (port 465
// style).
func TestSMTPImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{ImplicitTLS: true, Users: map[string]string{"u": "p"}})
	var log logRecorder
	s := smtpSender(srv, ipmail.ImplicitTLS)
	s.User, s.Password = "u", "p"
	q := testQueue(t, &log, ipmail.Options{Sender: s})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message to be sent", func() bool { return q.Counts().Sent == 1 })
	if m := srv.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "u" {
		t.Errorf("server got %+v", m)
	}
}

// TestSMTPNoTLS submits in the clear with smtptls none.
func TestSMTPNoTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{NoTLS: true})
	s := &ipmail.SMTP{Addr: srv.Addr, TLS: ipmail.NoTLS}
	if err := s.Send(context.Background(), ipmail.Envelope{To: []string{"b@example.com"}}, []byte("\nbody\n")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].TLS || m[0].From != "" {
		t.Errorf("server got %+v", m)
	}
}

// TestSMTPRefusesInsecure checks that with starttls a server without
// STARTTLS, or with a certificate that does not verify, gets nothing, and
// that the failure is temporary (the admin can fix it; the mail waits).
func TestSMTPRefusesInsecure(t *testing.T) {
	plain := mailtest.Start(t, mailtest.Config{NoTLS: true})
	tlsSrv := mailtest.Start(t, mailtest.Config{})
	tests := []struct {
		name string
		s    *ipmail.SMTP
		want string
	}{
		{"no STARTTLS", smtpSender(plain, ipmail.StartTLS), "STARTTLS"},
		{"untrusted certificate", &ipmail.SMTP{Addr: tlsSrv.Addr}, "certificate"},
		{"wrong server name", &ipmail.SMTP{Addr: tlsSrv.Addr, TLSConfig: &tls.Config{RootCAs: smtpSender(tlsSrv, 0).TLSConfig.RootCAs, ServerName: "mail.example.com"}}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Send(context.Background(), ipmail.Envelope{To: []string{"b@example.com"}}, []byte("\nbody\n"))
			var se *ipmail.SMTPError
			if !errors.As(err, &se) || !se.Temporary() || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Send = %v, want a temporary *SMTPError about %s", err, tt.want)
			}
		})
	}
	if n := len(plain.Messages()) + len(tlsSrv.Messages()); n != 0 {
		t.Errorf("%d messages went through without verified TLS", n)
	}
}

// TestSMTPRecipients: a message goes to the recipients the server accepts;
// when it refuses them all the failure is permanent.
func TestSMTPRecipients(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{RejectRcpt: map[string]bool{"gone@example.com": true}})
	s := smtpSender(srv, ipmail.StartTLS)
	var log logRecorder
	s.Logf = log.logf
	err := s.Send(context.Background(), ipmail.Envelope{To: []string{"gone@example.com", "noc@example.com"}}, []byte("\nx\n"))
	if err != nil {
		t.Fatalf("Send with one good recipient: %v", err)
	}
	if log.count("not to the refused <gone@example.com>: SMTP error 550") != 1 {
		t.Errorf("refused recipient not logged: %q", log.get())
	}
	if m := srv.Messages(); len(m) != 1 || !slices.Equal(m[0].To, []string{"noc@example.com"}) {
		t.Errorf("server got %+v", m)
	}
	err = s.Send(context.Background(), ipmail.Envelope{To: []string{"gone@example.com"}}, []byte("\nx\n"))
	var se *ipmail.SMTPError
	if !errors.As(err, &se) || se.Temporary() || se.Code != 550 || se.Step != "rcpt to" || !strings.Contains(err.Error(), "no such user here") {
		t.Errorf("Send to a refused recipient = %v, want a permanent 550 at rcpt to", err)
	}
}

// TestSMTPReplyClasses checks which replies are temporary.
func TestSMTPReplyClasses(t *testing.T) {
	tests := []struct {
		name string
		cfg  mailtest.Config
		code int
		temp bool
		user string // the sender authenticates as user/p when not ""
	}{
		{"421 at MAIL", mailtest.Config{MailReplies: []error{&smtp.SMTPError{Code: 421, Message: "closing"}}}, 421, true, ""},
		{"451 at end of DATA", mailtest.Config{DataReplies: []error{&smtp.SMTPError{Code: 451, Message: "try later"}}}, 451, true, ""},
		{"552 at end of DATA", mailtest.Config{DataReplies: []error{&smtp.SMTPError{Code: 552, Message: "too big"}}}, 552, false, ""},
		{"535 at AUTH", mailtest.Config{Users: map[string]string{"u": "other"}}, 535, true, "u"},
		{"530 at MAIL", mailtest.Config{MailReplies: []error{&smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}}}, 530, true, ""},
		{"550 at MAIL", mailtest.Config{MailReplies: []error{&smtp.SMTPError{Code: 550, Message: "sender refused"}}}, 550, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.cfg)
			s := smtpSender(srv, ipmail.StartTLS)
			s.User, s.Password = tt.user, "p"
			err := s.Send(context.Background(), ipmail.Envelope{To: []string{"b@example.com"}}, []byte("\nx\n"))
			var se *ipmail.SMTPError
			if !errors.As(err, &se) || se.Code != tt.code || se.Temporary() != tt.temp {
				t.Errorf("Send = %v (%#v), want code %d temporary %v", err, se, tt.code, tt.temp)
			}
		})
	}
}

// TestSMTPDown: a refused connection is a temporary failure.
func TestSMTPDown(t *testing.T) {
	s := &ipmail.SMTP{Addr: mailtest.FreeAddr(t)}
	err := s.Send(context.Background(), ipmail.Envelope{To: []string{"b@example.com"}}, []byte("\nx\n"))
	var se *ipmail.SMTPError
	if !errors.As(err, &se) || !se.Temporary() || se.Step != "connect" {
		t.Errorf("Send = %v, want a temporary connect failure", err)
	}
}

// TestSMTPStallTimesOut: a server that stalls in the middle of DATA cannot
// hold Send past its context.
func TestSMTPStallTimesOut(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{Stall: true})
	s := smtpSender(srv, ipmail.StartTLS)
	// The context ends once the server holds the message, however long the
	// handshake took: then only the context can end Send.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-srv.Stalled():
		case <-time.After(30 * time.Second):
		}
		cancel()
	}()
	err := s.Send(ctx, ipmail.Envelope{To: []string{"b@example.com"}}, bytes.Repeat([]byte("0123456789abcdef\n"), 1<<14))
	var se *ipmail.SMTPError
	if !errors.As(err, &se) || !se.Temporary() || !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, want a temporary failure wrapping the cancelled context", err)
	}
	select {
	case <-srv.Stalled():
	default:
		t.Fatal("Send ended before the server stalled in DATA")
	}
	if m := srv.Messages(); len(m) != 0 {
		t.Errorf("server got %d messages", len(m))
	}
}

// reportFor is sampleReport with its subnet named net-n.
func reportFor(n int) report.Report {
	r := sampleReport()
	r.Name = fmt.Sprintf("net-%d", n)
	return r
}

// readIDs returns the Message-IDs of the messages the server got, in order.
func readIDs(t *testing.T, msgs []mailtest.Received) []string {
	t.Helper()
	var ids []string
	for _, m := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(crlfToLF(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
	}
	return ids
}

// spoolIDs returns the Message-IDs of the messages in the spool dir.
func spoolIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	for _, f := range spoolFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
	}
	return ids
}

// TestSMTPAiosmtpd submits a message to a second, independent server,
// Debian's aiosmtpd, with STARTTLS and AUTH required: with PLAIN offered
// (and LOGIN) PLAIN is used; with LOGIN alone, whose challenges aiosmtpd
// words its own way, the login still succeeds. Each time the message
// arrives over TLS, as the user.
func TestSMTPAiosmtpd(t *testing.T) {
	for _, mechs := range [][]string{{"PLAIN", "LOGIN"}, {"LOGIN"}} {
		t.Run(strings.Join(mechs, "+"), func(t *testing.T) {
			srv := mailtest.StartAiosmtpd(t, "ipband", "s3cret", mechs...)
			s := &ipmail.SMTP{Addr: srv.Addr, TLS: ipmail.StartTLS, TLSConfig: &tls.Config{RootCAs: mailtest.CertPool()},
				LocalName: "gw.example.com", User: "ipband", Password: "s3cret"}
			env := ipmail.Envelope{From: "ipband@gw.example.com", To: []string{"noc@example.com"}}
			msg := []byte("Subject: test\n\nhello\n")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.Send(ctx, env, msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages(t)
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if !m.TLS || m.User != "ipband" || m.From != env.From || !slices.Equal(m.To, env.To) ||
				!strings.Contains(string(m.Data), "hello") {
				t.Errorf("received %+v", m)
			}
			// The client names itself in both EHLOs, before STARTTLS too.
			if got, want := srv.Hellos(), []string{"gw.example.com plain", "gw.example.com tls"}; !slices.Equal(got, want) {
				t.Errorf("EHLO lines %q, want %q", got, want)
			}
			bad := &ipmail.SMTP{Addr: srv.Addr, TLS: ipmail.StartTLS, TLSConfig: &tls.Config{RootCAs: mailtest.CertPool()},
				LocalName: "gw.example.com", User: "ipband", Password: "wrong"}
			err := bad.Send(ctx, env, msg)
			var se *ipmail.SMTPError
			if !errors.As(err, &se) || se.Step != "auth" || se.Code != 535 {
				t.Errorf("wrong password: %v, want a 535 at the auth step", err)
			}
		})
	}
}
