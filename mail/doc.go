// Package mail delivers ipband reports by mail: it composes the message,
// hands it to a Sender, and queues deliveries so that the capture path never
// waits on a mail transfer agent.
//
// # Composing
//
// Compose turns a report.Report into a Message: the subject is
// report.Subject, the body is the classic text report followed by the mail
// footer (the footer goes to mail only, never to the output file). Addresses
// are checked when composing; Message.Bytes renders an RFC 5322 message whose
// header values can never carry a line break or another header, whatever the
// report's subnet name holds.
//
//	m, err := mail.Compose(r, []string{"noc@example.com"}, footer, names)
//
// # Sending
//
// A Sender delivers one Message. Command is the classic sender: it runs the
// MTA command line (-T, default "/usr/sbin/sendmail -t -oi") directly, with no
// shell, and writes the message to its standard input.
//
//	c, err := mail.NewCommand("/usr/sbin/sendmail -t -oi")
//	err = c.Send(ctx, m)
//
// # Queueing
//
// Queue is a report.Sink. Deliver composes the message at once, so bad input
// is reported to the caller, and leaves the sending to the queue's own
// goroutine; Close delivers what is queued until its context ends.
//
//	q := mail.NewQueue(c, to, footer, names, logger.Printf)
//	defer q.Close(ctx)
//	err = q.Deliver(r)
//
// A send that fails is logged and dropped for now; retries with backoff and an
// on-disk spool will sit between Queue and Sender, and an SMTP sender will
// implement Sender beside Command.
package mail
