package mail_test

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	ipmail "ipband/mail"
)

// headerNames are the headers Bytes may write, and whether each is required.
var headerNames = map[string]bool{
	"From": false, "To": false, "Subject": true, "Date": false, "Message-ID": false,
	"Auto-Submitted": true, "MIME-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": false,
}

// splitMessage splits a message written by Bytes into its unfolded headers
// and its body, failing on any header line that is not well formed.
func splitMessage(t *testing.T, b []byte) (map[string]string, []byte) {
	head, body, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		t.Fatalf("no blank line after the header in %q", b)
	}
	headers := map[string]string{}
	var name string
	for line := range strings.SplitSeq(string(head), "\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d bytes: %q", len(line), line)
		}
		for i := 0; i < len(line); i++ {
			if line[i] < 0x20 || line[i] > 0x7e {
				t.Fatalf("header line %q has byte %#x", line, line[i])
			}
		}
		if strings.HasPrefix(line, " ") {
			if name == "" || strings.TrimSpace(line) == "" {
				t.Fatalf("bad continuation line %q", line)
			}
			headers[name] += line
			continue
		}
		n, v, ok := strings.Cut(line, ": ")
		if _, known := headerNames[n]; !ok || !known {
			t.Fatalf("unexpected header line %q", line)
		}
		if _, dup := headers[n]; dup {
			t.Fatalf("header %s repeated", n)
		}
		name, headers[n] = n, v
	}
	for n, required := range headerNames {
		if _, ok := headers[n]; required && !ok {
			t.Fatalf("no %s header in %q", n, head)
		}
	}
	return headers, body
}

// wantSubject is the subject as Bytes should carry it: valid UTF-8, control
// characters as spaces, at most 200 characters.
func wantSubject(s string) string {
	var b strings.Builder
	for i, r := range []rune(strings.ToValidUTF8(s, "\uFFFD")) {
		if i == 200 {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wantBody is body with LF line endings, ending in one when not empty.
func wantBody(body []byte) []byte {
	b := bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}

// isPrintableASCII reports whether s is printable ASCII only.
func isPrintableASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
}

func FuzzMessageBytes(f *testing.F) {
	f.Add("noc@example.com,root", "Bandwidth report for 10.10.123.0 <halifax>", []byte("Date:   Mon Aug  6 11:04:37 2001\nNetwork: 10.10.123.0 <halifax>\n"))
	f.Add("a@b\nBcc: c", "x\r\nBcc: evil@example.com", []byte("body\r\n-- \r\nfooter"))
	f.Add("root", "Bandwidth report for 2001:db8::/48 <Zürich>", []byte("Grüße\n"))
	f.Add("", "=?utf-8?q?x?=  two  spaces ", []byte("a\x00b\n"+strings.Repeat("x", 1200)))
	f.Add(strings.Repeat("long.recipient@example.com,", 8), strings.Repeat("word ", 60), []byte("trailing space \nand tab\t\n"))
	f.Add("x@y", "\xff\xfe invalid \x85 utf-8", []byte("\xff\n"))
	f.Fuzz(func(t *testing.T, to, subject string, body []byte) {
		m := ipmail.Message{To: strings.Split(to, ","), Subject: subject, Body: body}
		b := m.Bytes()
		if _, err := mail.ReadMessage(bytes.NewReader(b)); err != nil {
			t.Fatalf("net/mail cannot read %q: %v", b, err)
		}
		headers, gotBody := splitMessage(t, b)

		wantTo := slices.DeleteFunc(slices.Clone(m.To), func(a string) bool { return ipmail.CheckAddress(a) != nil })
		if got, ok := headers["To"]; ok != (len(wantTo) > 0) || got != strings.Join(wantTo, ", ") {
			t.Errorf("To = %q (present %v), want %q", got, ok, wantTo)
		}

		subj, want := headers["Subject"], wantSubject(subject)
		if !isPrintableASCII(want) {
			dec, err := new(mime.WordDecoder).DecodeHeader(subj)
			if err != nil || dec != want {
				t.Errorf("Subject %q decodes to %q, %v; want %q", subj, dec, err, want)
			}
		} else if subj != want {
			t.Errorf("Subject = %q, want %q", subj, want)
		}

		norm := wantBody(body)
		switch cte := headers["Content-Transfer-Encoding"]; cte {
		case "quoted-printable":
			dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(gotBody)))
			if err != nil || !bytes.Equal(dec, norm) {
				t.Errorf("quoted-printable body decodes to %q, %v; want %q", dec, err, norm)
			}
		case "", "8bit":
			if !bytes.Equal(gotBody, norm) {
				t.Errorf("body = %q, want %q", gotBody, norm)
			}
			if bytes.IndexByte(gotBody, 0) >= 0 || slices.ContainsFunc(bytes.Split(gotBody, []byte("\n")), func(l []byte) bool { return len(l) > 998 }) {
				t.Errorf("%q body holds NUL or a long line", cte)
			}
			if eight := slices.ContainsFunc(gotBody, func(c byte) bool { return c >= utf8.RuneSelf }); eight != (cte == "8bit") {
				t.Errorf("Content-Transfer-Encoding %q for a body with 8-bit bytes %v", cte, eight)
			}
		default:
			t.Errorf("unexpected Content-Transfer-Encoding %q", cte)
		}
		if bytes.IndexByte(gotBody, '\r') >= 0 {
			t.Errorf("body holds CR: %q", gotBody)
		}
		if ct := headers["Content-Type"]; ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q, want charset utf-8", ct)
		}
		if got := headers["Auto-Submitted"]; got != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", got)
		}
	})
}

func FuzzSplitAddresses(f *testing.F) {
	f.Add("noc@example.com")
	f.Add("noc@example.com, root ,ops@example.org")
	f.Add("a@b\nBcc: c")
	f.Add("Name <a@example.com>, \"q\"@x")
	f.Add(" , ,")
	f.Fuzz(func(t *testing.T, s string) {
		to, err := ipmail.SplitAddresses(s)
		if err != nil {
			if to != nil {
				t.Errorf("SplitAddresses(%q) = %q with error %v", s, to, err)
			}
			return
		}
		if len(to) == 0 {
			t.Fatalf("SplitAddresses(%q) = no addresses and no error", s)
		}
		for _, a := range to {
			if err := ipmail.CheckAddress(a); err != nil {
				t.Errorf("SplitAddresses(%q) returned %q: %v", s, a, err)
			}
		}
		again, err := ipmail.SplitAddresses(strings.Join(to, ","))
		if err != nil || !slices.Equal(again, to) {
			t.Errorf("round trip of %q: %q, %v", to, again, err)
		}
		headers, _ := splitMessage(t, ipmail.Message{To: to}.Bytes())
		if got := headers["To"]; got != strings.Join(to, ", ") {
			t.Errorf("To header %q, want %q", got, strings.Join(to, ", "))
		}
	})
}
