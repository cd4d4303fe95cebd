package mail_test

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	ipmail "ipband/mail"
	"ipband/mail/mailtest"
)

// TestQueueServerDownThenUp: the server is down when the report comes; the
// message waits in the spool and is delivered once the server is up.
func TestQueueServerDownThenUp(t *testing.T) {
	addr := mailtest.FreeAddr(t)
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: &ipmail.SMTP{Addr: addr, TLS: ipmail.NoTLS}, SpoolDir: spool})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed attempt", func() bool { return log.count("not sent, retrying") > 0 })
	if f := spoolFiles(t, spool); len(f) != 1 || q.Counts().Waiting != 1 {
		t.Fatalf("spool %q, counts %+v: want the message waiting", f, q.Counts())
	}
	srv := mailtest.StartOn(t, addr, mailtest.Config{NoTLS: true})
	waitFor(t, "delivery after the server came up", func() bool { return q.Counts().Sent == 1 })
	if m := srv.Messages(); len(m) != 1 || !bytes.Contains(m[0].Data, []byte("10.10.123.173")) {
		t.Errorf("server got %d messages", len(m))
	}
	if f := spoolFiles(t, spool); len(f) != 0 {
		t.Errorf("spool still holds %q", f)
	}
	if log.count("sending works again") != 1 {
		t.Errorf("no recovery line in %q", log.get())
	}
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestQueueTemporaryReplies: 421 to MAIL FROM, then 451 to the data, then
// success: the message is delivered once, on the third attempt.
func TestQueueTemporaryReplies(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{
		MailReplies: []error{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}},
		DataReplies: []error{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "local error"}},
	})
	var log logRecorder
	q := testQueue(t, &log, ipmail.Options{Sender: smtpSender(srv, ipmail.StartTLS)})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return q.Counts().Sent == 1 })
	mails, datas := srv.Counts()
	if len(srv.Messages()) != 1 || mails != 3 || datas != 2 {
		t.Errorf("server: %d messages, %d MAIL FROM, %d DATA; want 1, 3, 2", len(srv.Messages()), mails, datas)
	}
	if log.count("421") != 1 || log.count("451") != 1 {
		t.Errorf("want one log line for each temporary failure: %q", log.get())
	}
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestQueuePermanentFailure: a 550 to the data moves the message to
// failed/ with the server's answer, logs it once, and Close says it was
// lost.
func TestQueuePermanentFailure(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{DataReplies: []error{
		&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "message rejected as spam"},
	}})
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: smtpSender(srv, ipmail.StartTLS), SpoolDir: spool})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure", func() bool { return q.Counts().Failed == 1 })
	if _, datas := srv.Counts(); datas != 1 {
		t.Errorf("%d attempts, want 1: a permanent failure is not retried", datas)
	}
	failed, _ := filepath.Glob(filepath.Join(spool, ipmail.FailedDir, "*.eml"))
	if len(failed) != 1 || len(spoolFiles(t, spool)) != 0 {
		t.Fatalf("failed/ holds %q, spool %q", failed, spoolFiles(t, spool))
	}
	why := readFile(t, failed[0]+".error")
	if !strings.Contains(why, "550") || !strings.Contains(why, "message rejected as spam") {
		t.Errorf("reason %q lacks the server's answer", why)
	}
	if msg := readFile(t, failed[0]); !strings.Contains(msg, "Subject: Bandwidth report for 10.10.123.0 <halifax>") {
		t.Errorf("failed message %q", msg)
	}
	if n := log.count("failed for good"); n != 1 {
		t.Errorf("%d log lines about the failure, want 1: %q", n, log.get())
	}
	err := q.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 message failed for good") {
		t.Errorf("Close = %v, want the failed message counted", err)
	}
}

// TestQueueRestartResendsSpool: messages that could not be sent stay in
// the spool when the queue closes, Close says which, and a new queue on
// the same spool sends them, with their original Message-IDs.
func TestQueueRestartResendsSpool(t *testing.T) {
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	down := &ipmail.SMTP{Addr: mailtest.FreeAddr(t), TLS: ipmail.NoTLS}
	q := testQueue(t, &log, ipmail.Options{Sender: down, SpoolDir: spool, Retry: time.Hour})
	for i := 1; i <= 2; i++ {
		if err := q.Report(reportFor(i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close = %v, want nil: the messages are safely spooled", err)
	}
	ids := spoolIDs(t, spool)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("spool holds Message-IDs %q, want 2 distinct", ids)
	}
	want := `2 messages left in the spool ` + spool + `, to be sent at the next start: "Bandwidth report for 10.10.123.0 <net-1>", "Bandwidth report for 10.10.123.0 <net-2>"`
	if log.count(want) != 1 {
		t.Errorf("no line %q in %q", want, log.get())
	}

	srv := mailtest.Start(t, mailtest.Config{NoTLS: true})
	var log2 logRecorder
	q2 := testQueue(t, &log2, ipmail.Options{Sender: &ipmail.SMTP{Addr: srv.Addr, TLS: ipmail.NoTLS}, SpoolDir: spool})
	waitFor(t, "the spool to be sent", func() bool { return q2.Counts().Sent == 2 })
	if got := readIDs(t, srv.Messages()); !slices.Equal(got, ids) {
		t.Errorf("server got Message-IDs %q, want the spooled %q in order", got, ids)
	}
	if log2.count("2 messages waiting in the spool") != 1 {
		t.Errorf("start-up does not say it resends the spool: %q", log2.get())
	}
}

// TestQueueSpoolFull: past spoolmax the oldest waiting messages are dropped,
// each with one log line, counted, and said by Close.
func TestQueueSpoolFull(t *testing.T) {
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	down := &ipmail.SMTP{Addr: mailtest.FreeAddr(t), TLS: ipmail.NoTLS}
	// Measure one message to size the spool for three and a half.
	q := testQueue(t, &log, ipmail.Options{Sender: down, SpoolDir: spool, Retry: time.Hour})
	if err := q.Report(reportFor(1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to fail", func() bool { return log.count("not sent, retrying") > 0 })
	fi, err := os.Stat(filepath.Join(spool, spoolFiles(t, spool)[0]))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	q.Close(ctx) //nolint:errcheck // left spooled
	q = testQueue(t, &log, ipmail.Options{Sender: down, SpoolDir: spool, Retry: time.Hour, SpoolMax: fi.Size()*7/2 + 10})
	waitFor(t, "the first attempt to fail", func() bool { return log.count("not sent, retrying") > 1 })
	for i := 2; i <= 5; i++ {
		if err := q.Report(reportFor(i)); err != nil {
			t.Fatal(err)
		}
	}
	if c := q.Counts(); c.Dropped != 2 || c.Waiting != 3 {
		t.Errorf("Counts = %+v, want 2 dropped and 3 waiting", c)
	}
	for i, name := range []string{"net-1", "net-2"} {
		if log.count("full (spoolmax") != 2 || log.count("dropped the oldest waiting message \"Bandwidth report for 10.10.123.0 <"+name+">\"") != 1 {
			t.Errorf("drop %d: no log line for %s in %q", i+1, name, log.get())
		}
	}
	var subjects []string
	for _, f := range spoolFiles(t, spool) {
		msg, err := mail.ReadMessage(strings.NewReader(readFile(t, filepath.Join(spool, f))))
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, msg.Header.Get("Subject"))
	}
	want := []string{"Bandwidth report for 10.10.123.0 <net-3>", "Bandwidth report for 10.10.123.0 <net-4>", "Bandwidth report for 10.10.123.0 <net-5>"}
	if !slices.Equal(subjects, want) {
		t.Errorf("spool holds %q, want %q", subjects, want)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := q.Close(ctx); err == nil || !strings.Contains(err.Error(), "2 messages dropped because the spool was full") {
		t.Errorf("Close = %v, want the dropped messages counted", err)
	}
}

// TestQueueCloseStalledServer: Close gives up on a server that stalls in
// DATA when its context ends, and the message stays spooled (not lost).
func TestQueueCloseStalledServer(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{Stall: true})
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: smtpSender(srv, ipmail.StartTLS), SpoolDir: spool, SendTimeout: time.Minute})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Stalled():
	case <-time.After(30 * time.Second):
		t.Fatal("the message never reached DATA")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if f := spoolFiles(t, spool); len(f) != 1 {
		t.Errorf("spool holds %q, want the message", f)
	}
	if log.count(`1 message left in the spool`) != 1 {
		t.Errorf("log %q", log.get())
	}
}

// TestQueueExpire: a message that keeps failing temporarily past Expire
// fails for good.
func TestQueueExpire(t *testing.T) {
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: &ipmail.SMTP{Addr: mailtest.FreeAddr(t)}, SpoolDir: spool, Expire: 50 * time.Millisecond})
	if err := q.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message to expire", func() bool { return q.Counts().Failed == 1 })
	failed, _ := filepath.Glob(filepath.Join(spool, ipmail.FailedDir, "*.eml.error"))
	if len(failed) != 1 || !strings.Contains(readFile(t, failed[0]), "gave up after 50ms") {
		t.Errorf("failed/ holds %q", failed)
	}
}

// TestOpenChecks: bad recipients, a bad sender address and a spool that
// cannot be made are refused by Open, naming the problem.
func TestOpenChecks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &ipmail.Command{Args: []string{"/bin/true"}}
	tests := []struct {
		name string
		o    ipmail.Options
		want string
		is   error
	}{
		{"no recipients", ipmail.Options{Sender: c, SpoolDir: dir}, "no recipients", ipmail.ErrNoRecipients},
		{"header injection", ipmail.Options{Sender: c, To: []string{"a@b\nBcc: c@example.com"}, SpoolDir: dir}, "bad address", ipmail.ErrBadAddress},
		{"non-ASCII", ipmail.Options{Sender: c, To: []string{"ü@example.com"}, SpoolDir: dir}, "non-ASCII", ipmail.ErrBadAddress},
		{"bad from", ipmail.Options{Sender: c, To: []string{"root"}, From: "ipband@@x", SpoolDir: dir}, "ipband@@x", ipmail.ErrBadAddress},
		{"local name over SMTP", ipmail.Options{Sender: &ipmail.SMTP{Addr: "127.0.0.1:25"}, To: []string{"root"}, SpoolDir: dir}, `"root": want user@domain for SMTP`, ipmail.ErrBadAddress},
		{"spool under a file", ipmail.Options{Sender: c, To: []string{"root"}, SpoolDir: filepath.Join(file, "spool")}, file, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ipmail.Open(tt.o)
			if err == nil {
				q.Close(context.Background()) //nolint:errcheck // nothing queued
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Open = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestOpenLocksSpool: two queues never share a spool.
func TestOpenLocksSpool(t *testing.T) {
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	testQueue(t, &log, ipmail.Options{Sender: &ipmail.Command{Args: []string{"/bin/true"}}, SpoolDir: spool})
	_, err := ipmail.Open(ipmail.Options{Sender: &ipmail.Command{Args: []string{"/bin/true"}}, To: []string{"root"}, SpoolDir: spool})
	if err == nil || !strings.Contains(err.Error(), "in use by another ipband") {
		t.Errorf("second Open = %v, want the spool in use", err)
	}
	fi, err := os.Stat(spool)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("spool mode %v, %v; want 0700", fi.Mode(), err)
	}
	if err := ipmail.Check(ipmail.Options{Sender: &ipmail.Command{Args: []string{"/bin/true"}}, To: []string{"root"}, SpoolDir: spool}); err == nil || !strings.Contains(err.Error(), "in use by another ipband") {
		t.Errorf("Check on a spool in use = %v", err)
	}
}

// TestCheck makes Open's checks without starting a queue, and leaves the
// spool free for the queue that follows.
func TestCheck(t *testing.T) {
	spool := filepath.Join(t.TempDir(), "spool")
	o := ipmail.Options{Sender: &ipmail.Command{Args: []string{"/bin/true"}}, To: []string{"root"}, SpoolDir: spool}
	if err := ipmail.Check(o); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spool, ipmail.FailedDir)); err != nil {
		t.Errorf("Check did not create the spool: %v", err)
	}
	bad := o
	bad.To = []string{"ü@example.com"}
	if err := ipmail.Check(bad); !errors.Is(err, ipmail.ErrBadAddress) {
		t.Errorf("Check with a bad address = %v", err)
	}
	var log logRecorder
	testQueue(t, &log, o)
}

// TestQueueHeaderInjectionInName: a subnet name crafted to add headers
// adds none.
func TestQueueHeaderInjectionInName(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{})
	var log logRecorder
	q := testQueue(t, &log, ipmail.Options{Sender: smtpSender(srv, ipmail.StartTLS), To: []string{"noc@example.com"}})
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
		if err := q.Report(r); err != nil {
			t.Fatalf("Report(name %q): %v", name, err)
		}
	}
	waitFor(t, "delivery", func() bool { return q.Counts().Sent == uint64(len(names)) })
	for i, m := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(crlfToLF(m.Data)))
		if err != nil {
			t.Errorf("name %q: message does not parse: %v", names[i], err)
			continue
		}
		var keys []string
		for k := range msg.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
			t.Errorf("name %q: headers %q, want %q", names[i], keys, want)
		}
		if !slices.Equal(m.To, []string{"noc@example.com"}) {
			t.Errorf("name %q: RCPT TO %q", names[i], m.To)
		}
	}
}

// TestQueueSpoolLost: when the spool cannot be written (here it was
// removed), the fault is logged once, messages wait in memory and are
// still sent; those never sent are counted as lost by Close.
func TestQueueSpoolLost(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{NoTLS: true})
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: &ipmail.SMTP{Addr: srv.Addr, TLS: ipmail.NoTLS}, SpoolDir: spool})
	if err := os.RemoveAll(spool); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if err := q.Report(reportFor(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "delivery from memory", func() bool { return q.Counts().Sent == 2 })
	if n := log.count("keeping messages in memory"); n != 1 {
		t.Errorf("%d lines about the spool fault, want 1: %q", n, log.get())
	}
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close = %v, want nil: all was sent", err)
	}

	var log2 logRecorder
	spool2 := filepath.Join(t.TempDir(), "spool")
	q2 := testQueue(t, &log2, ipmail.Options{Sender: &ipmail.SMTP{Addr: mailtest.FreeAddr(t), TLS: ipmail.NoTLS}, SpoolDir: spool2, Retry: time.Hour})
	if err := os.RemoveAll(spool2); err != nil {
		t.Fatal(err)
	}
	if err := q2.Report(sampleReport()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := q2.Close(ctx); err == nil || !strings.Contains(err.Error(), "1 message not sent and not spooled") {
		t.Errorf("Close = %v, want the message counted as lost", err)
	}
}
