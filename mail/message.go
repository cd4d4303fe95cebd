package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"ipband/report"
)

// ErrBadAddress is returned, wrapped with the offending address, for a
// recipient address that could not be put in a header safely.
var ErrBadAddress = errors.New("mail: bad address")

// ErrNoRecipients is returned when a message has no recipient.
var ErrNoRecipients = errors.New("mail: no recipients")

const (
	// maxAddressLen is the longest address accepted: the RFC 5321 limit on a
	// forward path less its angle brackets.
	maxAddressLen = 254
	// maxSubjectRunes bounds the subject; longer subjects are cut.
	maxSubjectRunes = 200
	// foldAt is the header line length after which Bytes folds (RFC 5322
	// recommends 78).
	foldAt = 78
	// maxBodyLine is the longest body line, without its line ending, sent
	// as 7bit or 8bit; longer lines make the body quoted-printable.
	maxBodyLine = 998
	// addressSpecials are the RFC 5322 specials, less "@" and ".", that an
	// address may not contain: they would make it a display name, a
	// comment, a group, a quoted string or a list.
	addressSpecials = `()<>[]:;,\"`
)

// Message is one mail message ready to send. The zero Message has no
// recipient and is rejected by Validate.
type Message struct {
	// To are the recipients: bare addresses such as "noc@example.com", or a
	// local user name such as "root", without display names or angle
	// brackets. CheckAddress states what is accepted.
	To []string
	// Subject is the subject as plain text. Bytes replaces its control
	// characters (line breaks included) with spaces and encodes non-ASCII
	// text.
	Subject string
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

// CheckAddress reports whether a can be used as a recipient address. An
// address is accepted when it is 1 to 254 bytes of printable ASCII with no
// whitespace and none of the RFC 5322 specials ( ) < > [ ] : ; , \ " (so no
// display names, comments, quoted local parts, domain literals or lists);
// "@" and "." are not checked further, so that a local user name such as
// "root" is accepted and the MTA judges the rest. The error wraps
// ErrBadAddress and quotes the address.
func CheckAddress(a string) error {
	if a == "" {
		return fmt.Errorf("%w: empty address", ErrBadAddress)
	}
	if len(a) > maxAddressLen {
		return fmt.Errorf("%w %.40q...: longer than %d bytes", ErrBadAddress, a, maxAddressLen)
	}
	for i := 0; i < len(a); i++ {
		if why := addressByte(a[i]); why != "" {
			return fmt.Errorf("%w %q: %s at byte %d", ErrBadAddress, a, why, i)
		}
	}
	return nil
}

// addressByte says why c may not appear in an address, or "" when it may.
func addressByte(c byte) string {
	switch {
	case c == ' ' || c == '\t':
		return "whitespace"
	case c < 0x20 || c == 0x7f:
		return "control character"
	case c >= 0x80:
		return "non-ASCII byte"
	case strings.IndexByte(addressSpecials, c) >= 0:
		return fmt.Sprintf("%q", c)
	}
	return ""
}

// CheckAddresses checks every address in to with CheckAddress, and returns
// an error wrapping ErrNoRecipients when to is empty.
func CheckAddresses(to []string) error {
	if len(to) == 0 {
		return ErrNoRecipients
	}
	for _, a := range to {
		if err := CheckAddress(a); err != nil {
			return err
		}
	}
	return nil
}

// SplitAddresses parses the classic comma-separated recipient list (-M,
// mailto): "noc@example.com, root". Spaces around each address are dropped
// and empty items are skipped; every address is checked with CheckAddress,
// and a list with no address is an error wrapping ErrNoRecipients.
func SplitAddresses(s string) ([]string, error) {
	var to []string
	for a := range strings.SplitSeq(s, ",") {
		a = strings.Trim(a, " \t")
		if a == "" {
			continue
		}
		if err := CheckAddress(a); err != nil {
			return nil, err
		}
		to = append(to, a)
	}
	if len(to) == 0 {
		return nil, ErrNoRecipients
	}
	return to, nil
}

// Validate reports whether m can be sent: it has at least one recipient and
// every recipient passes CheckAddress.
func (m Message) Validate() error {
	return CheckAddresses(m.To)
}

// Bytes renders m as an RFC 5322 message with LF line endings, the form that
// "sendmail -t -oi" reads: the To, Subject, MIME-Version and Content-Type
// headers (and Content-Transfer-Encoding when the body is not 7-bit), a
// blank line and the body.
//
// No header value can end a header line early: recipients that fail
// CheckAddress are left out (To is omitted when none is left; Validate
// reports them), the subject's control characters become spaces, and a
// subject with non-ASCII text, or with "=?" that a reader would take for an
// encoded word, is sent as RFC 2047 encoded words. The subject is cut at 200
// characters and long headers are folded.
//
// The body is labelled charset=utf-8 when it has a byte of 0x80 or above,
// else us-ascii; it goes as 8bit when it has such bytes, and as
// quoted-printable when it holds a NUL byte or a line longer than 998 bytes.
// A non-empty body always ends with a line break.
func (m Message) Bytes() []byte {
	var b bytes.Buffer
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
	body, charset, encoding := encodeBody(m.Body)
	b.WriteString("MIME-Version: 1.0\n")
	b.WriteString("Content-Type: text/plain; charset=" + charset + "\n")
	if encoding != "" {
		b.WriteString("Content-Transfer-Encoding: " + encoding + "\n")
	}
	b.WriteByte('\n')
	b.Write(body)
	return b.Bytes()
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

// subjectWords returns the header words for subject s: the sanitised text
// split at its spaces when it is printable ASCII, else encoded words.
func subjectWords(s string) []string {
	s = sanitizeSubject(s)
	if isPlainText(s) {
		return strings.Split(s, " ")
	}
	return encodeWords(s)
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
// ASCII that does not look like the start of an encoded word.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return !strings.Contains(s, "=?")
}

// encodeWords encodes s (valid UTF-8) as RFC 2047 "Q" encoded words of at
// most 66 bytes each, so that even the first, after "Subject: ", keeps its
// line within the 76 characters RFC 2047 allows; a character is never split
// between words.
func encodeWords(s string) []string {
	const prefix, suffix = "=?utf-8?q?", "?="
	const room = 66 - len(prefix) - len(suffix)
	var words []string
	var w []byte
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		var enc []byte
		switch {
		case r == ' ':
			enc = []byte{'_'}
		case r < utf8.RuneSelf && isQSafe(byte(r)):
			enc = []byte{byte(r)}
		default:
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				enc = fmt.Appendf(enc, "=%02X", c)
			}
		}
		if len(w)+len(enc) > room {
			words = append(words, prefix+string(w)+suffix)
			w = w[:0]
		}
		w = append(w, enc...)
	}
	return append(words, prefix+string(w)+suffix)
}

// isQSafe reports whether c may stand for itself in a Q encoded word in
// any header position (RFC 2047 section 5, rule 3).
func isQSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!*+-/", c) >= 0
}

// encodeBody normalises the line endings of body to LF, ends it with a line
// break, and chooses its charset and transfer encoding ("" for 7bit).
func encodeBody(body []byte) (out []byte, charset, encoding string) {
	out = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte("\r"), []byte("\n"))
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	charset = "us-ascii"
	eight := slices.ContainsFunc(out, func(c byte) bool { return c >= 0x80 })
	if eight {
		charset, encoding = "utf-8", "8bit"
	}
	if !needsQuoting(out) {
		return out, charset, encoding
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(out) // writes to a bytes.Buffer do not fail
	w.Close()
	return bytes.ReplaceAll(qp.Bytes(), []byte("\r\n"), []byte("\n")), charset, "quoted-printable"
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
