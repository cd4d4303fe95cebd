package mail

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strings"
	"time"
	"unicode"

	"ipband/report"
)

const (
	// maxSubjectRunes bounds the subject; longer subjects are cut.
	maxSubjectRunes = 200
	// foldAt is the header line length after which Bytes folds (RFC 5322
	// recommends 78).
	foldAt = 78
	// maxBodyLine is the longest body line, without its line ending, sent
	// as 7bit or 8bit; longer lines make the body quoted-printable.
	maxBodyLine = 998
)

// Message is one mail message ready to send. The zero Message has no
// recipient and is rejected by Validate.
type Message struct {
	// From is the sender: a bare address that CheckAddress accepts, used
	// for the From header and the SMTP envelope. "" leaves From out (the
	// MTA then adds its own).
	From string
	// To are the recipients: bare addresses such as "noc@example.com", or a
	// local user name such as "root", without display names or angle
	// brackets. CheckAddress states what is accepted.
	To []string
	// Subject is the subject as plain text. Bytes replaces its control
	// characters (line breaks included) with spaces and encodes non-ASCII
	// text.
	Subject string
	// Date is when the message was written; the zero Date leaves the Date
	// header out.
	Date time.Time
	// ID is the Message-ID without its angle brackets, such as
	// "20261201T091649.3f2a@example.com"; "" leaves it out. It must be
	// printable ASCII without white space or angle brackets, else it is
	// left out too.
	ID string
	// Body is the message text. Bytes turns CRLF and lone CR line endings
	// into LF.
	Body []byte
}

// Compose builds the message for report r: the subject is report.Subject(r)
// and the body is the classic text report (report.WriteText with names)
// followed by footer, which is the mail footer file and goes to mail only.
// A footer that does not start on a new line is put on one. Compose returns
// an error wrapping ErrNoRecipients or ErrBadAddress when to is empty or
// holds an address that CheckAddress rejects. The Message does not share
// memory with to or footer.
func Compose(r report.Report, to []string, footer []byte, names *report.Names) (Message, error) {
	if err := CheckAddresses(to); err != nil {
		return Message{}, err
	}
	var body bytes.Buffer
	if err := report.WriteText(&body, r, names); err != nil {
		return Message{}, fmt.Errorf("mail: compose: %w", err)
	}
	if len(footer) > 0 {
		if body.Len() > 0 && !bytes.HasSuffix(body.Bytes(), []byte("\n")) {
			body.WriteByte('\n')
		}
		body.Write(footer)
	}
	return Message{To: slices.Clone(to), Subject: report.Subject(r), Body: body.Bytes()}, nil
}

// Validate reports whether m can be sent: it has at least one recipient and
// every recipient passes CheckAddress.
func (m Message) Validate() error {
	return CheckAddresses(m.To)
}

// Bytes renders m as an RFC 5322 message with LF line endings, the form that
// "sendmail -t -oi" reads (an SMTP client turns them into CRLF): the From,
// To, Subject, Date, Message-ID, Auto-Submitted: auto-generated,
// MIME-Version and Content-Type (text/plain; charset=utf-8) headers, with
// Content-Transfer-Encoding when the body is not 7-bit, a blank line and the
// body.
//
// No header value can end a header line early: From and recipients that
// fail CheckAddress are left out (To is omitted when none is left; Validate
// reports them), the subject's control characters become spaces, and a
// subject with non-ASCII text is sent as RFC 2047 encoded words
// (mime.QEncoding). The subject is cut at 200 characters and long headers
// are folded.
//
// The body goes as 8bit when it has a byte of 0x80 or above, and as
// quoted-printable when it holds a NUL byte or a line longer than 998
// bytes. A non-empty body always ends with a line break.
func (m Message) Bytes() []byte {
	var b bytes.Buffer
	if m.From != "" && CheckAddress(m.From) == nil {
		b.WriteString("From: " + m.From + "\n")
	}
	var to []string
	for _, a := range m.To {
		if CheckAddress(a) == nil {
			to = append(to, a+",")
		}
	}
	if len(to) > 0 {
		last := len(to) - 1
		to[last] = strings.TrimSuffix(to[last], ",")
		writeHeader(&b, "To:", to)
	}
	writeHeader(&b, "Subject:", subjectWords(m.Subject))
	if !m.Date.IsZero() {
		b.WriteString("Date: " + m.Date.Format(time.RFC1123Z) + "\n")
	}
	if validID(m.ID) {
		b.WriteString("Message-ID: <" + m.ID + ">\n")
	}
	b.WriteString("Auto-Submitted: auto-generated\n")
	body, encoding := encodeBody(m.Body)
	b.WriteString("MIME-Version: 1.0\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\n")
	if encoding != "" {
		b.WriteString("Content-Transfer-Encoding: " + encoding + "\n")
	}
	b.WriteByte('\n')
	b.Write(body)
	return b.Bytes()
}

// validID reports whether id can go between the angle brackets of a
// Message-ID: 1 to 200 bytes of printable ASCII with an '@' and no white
// space, angle brackets or quotes.
func validID(id string) bool {
	if id == "" || len(id) > 200 || !strings.Contains(id, "@") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>"\`, c) >= 0 {
			return false
		}
	}
	return true
}

// writeHeader writes name and the words separated by single spaces, folding
// before a word that would take the line past foldAt. An empty word (from a
// run of spaces) never starts a continuation line, so no line is only
// whitespace; removing each line break that precedes a space restores
// name and the words joined by spaces.
func writeHeader(b *bytes.Buffer, name string, words []string) {
	b.WriteString(name)
	line, content := len(name), false
	for _, w := range words {
		if content && w != "" && line+1+len(w) > foldAt {
			b.WriteByte('\n')
			line = 0
		}
		b.WriteByte(' ')
		b.WriteString(w)
		line += 1 + len(w)
		content = content || w != ""
	}
	b.WriteByte('\n')
}

// subjectWords returns the header words for subject s, sanitised and split
// at its spaces. When it has non-ASCII text, the span from the first to the
// last word that is not printable ASCII (or that holds "=?", which a reader
// would take for an encoded word) is replaced by its mime.QEncoding encoded
// words; the words around it stay as they are, so "Bandwidth report for"
// is still readable in the raw message.
func subjectWords(s string) []string {
	words := strings.Split(sanitizeSubject(s), " ")
	first, last, ascii := -1, -1, true
	for i, w := range words {
		plain := isPlainText(w)
		ascii = ascii && plain
		if !plain || strings.Contains(w, "=?") {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if ascii {
		return words
	}
	enc := strings.Split(mime.QEncoding.Encode("utf-8", strings.Join(words[first:last+1], " ")), " ")
	return slices.Concat(words[:first], enc, words[last+1:])
}

// sanitizeSubject makes s valid UTF-8, replaces every control character
// with a space and cuts it at maxSubjectRunes.
func sanitizeSubject(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxSubjectRunes {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isPlainText reports whether s can go in a header as it is: printable
// ASCII.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// encodeBody normalises the line endings of body to LF, ends it with a line
// break, and chooses its transfer encoding ("" for 7bit).
func encodeBody(body []byte) (out []byte, encoding string) {
	out = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte("\r"), []byte("\n"))
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	if slices.ContainsFunc(out, func(c byte) bool { return c >= 0x80 }) {
		encoding = "8bit"
	}
	if !needsQuoting(out) {
		return out, encoding
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(out) // writes to a bytes.Buffer do not fail
	w.Close()
	return bytes.ReplaceAll(qp.Bytes(), []byte("\r\n"), []byte("\n")), "quoted-printable"
}

// needsQuoting reports whether body (LF line endings) has a NUL byte or a
// line too long to send as it is.
func needsQuoting(body []byte) bool {
	if bytes.IndexByte(body, 0) >= 0 {
		return true
	}
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) > maxBodyLine {
			return true
		}
	}
	return false
}
