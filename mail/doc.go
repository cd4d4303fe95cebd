// Package mail delivers ipband reports by mail, so that no report's mail is
// lost: it composes each message, writes it to an on-disk spool, and sends
// it through a Sender, retrying until the server or command accepts it.
//
// # Composing
//
// Compose turns a report.Report into a Message: the subject is
// report.Subject, the body is the classic text report followed by the mail
// footer (the footer goes to mail only, never to the output file).
// Message.Bytes renders an RFC 5322 message (From, To, Subject, Date,
// Message-ID, Auto-Submitted: auto-generated, text/plain in UTF-8) whose
// header values can never carry a line break or another header, whatever
// the report's subnet name holds. CheckAddress is the one rule for
// addresses, used by the config loader too.
//
//	m, err := mail.Compose(r, []string{"noc@example.com"}, footer, names)
//
// # Sending
//
// A Sender delivers one rendered message. SMTP submits it with
// github.com/emersion/go-smtp: STARTTLS (required), implicit TLS or none,
// with the certificate verified, and AUTH PLAIN or LOGIN. Command is the
// classic sender: it runs the MTA command line (-T, default
// "/usr/sbin/sendmail -t -oi") directly, with no shell, writes the message
// to its standard input, and counts a command that exits without reading it
// all as a failed attempt; Command.Credential runs it as another user.
// Errors say whether trying again may help (Temporary).
//
//	s := &mail.SMTP{Addr: "mail.example.com:587", User: "ipband", Password: pw}
//	c, err := mail.NewCommand("/usr/sbin/sendmail -t -oi")
//
// # Queueing
//
// Queue is the mail report.Output. Report composes the message and writes
// it, synced, to the spool directory before it returns; the queue's own
// goroutine sends the spooled messages oldest first and removes each one
// only once it was accepted. Temporary failures are retried with
// exponential backoff and jitter for up to five days; permanent ones move
// the message to the spool's failed directory with the reason. The spool
// is bounded (the oldest waiting message is dropped when it is full), is
// resent by the next Open, and is locked against a second process. Close
// tries for as long as its context allows and leaves the rest spooled.
//
//	q, err := mail.Open(mail.Options{Sender: s, To: to, SpoolDir: "/var/spool/ipband", Logf: logf})
//	err = q.Report(r)
//	err = q.Close(ctx) // an error only for mail lost in this run
package mail
