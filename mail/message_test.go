package mail_test

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"ipband/mail"
	"ipband/report"
)

// sampleReport is the report of the classic sample: 10.10.123.0 <halifax>.
func sampleReport() report.Report {
	return report.Report{
		Time:      time.Date(2001, 8, 6, 11, 4, 37, 0, time.UTC),
		Subnet:    netip.MustParsePrefix("10.10.123.0/24"),
		Name:      "halifax",
		Threshold: 22,
		Exceeded:  5 * time.Minute,
		Top:       20,
		Rows: []report.Row{{
			Src: netip.MustParseAddr("10.10.123.173"), SrcPort: 4359,
			Dst: netip.MustParseAddr("10.100.11.13"), DstPort: 143,
			Proto: 6, Bytes: 9365391,
		}},
	}
}

// reportText is the classic text of r, as the report package renders it.
func reportText(t *testing.T, r report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteText(&b, r, nil); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	return b.String()
}

func TestCompose(t *testing.T) {
	r := sampleReport()
	text := reportText(t, r)
	if !strings.Contains(text, "10.10.123.173") || !strings.HasSuffix(text, "\n") {
		t.Fatalf("unexpected report text %q", text)
	}
	tests := []struct {
		name, footer, body string
	}{
		{"no footer", "", text},
		{"footer", "-- \nNOC, ext 4242\n", text + "-- \nNOC, ext 4242\n"},
		{"footer without newline", "call the NOC", text + "call the NOC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := []string{"noc@example.com", "root"}
			m, err := mail.Compose(r, to, []byte(tt.footer), nil)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if want := "Bandwidth report for 10.10.123.0 <halifax>"; m.Subject != want {
				t.Errorf("Subject = %q, want %q", m.Subject, want)
			}
			if string(m.Body) != tt.body {
				t.Errorf("Body = %q, want %q", m.Body, tt.body)
			}
			to[0] = "changed@example.com"
			if m.To[0] != "noc@example.com" || len(m.To) != 2 {
				t.Errorf("To = %q, want a copy of the recipients", m.To)
			}
		})
	}
}

func TestComposeUnnamed(t *testing.T) {
	r := sampleReport()
	r.Name = ""
	m, err := mail.Compose(r, []string{"root"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Bandwidth report for 10.10.123.0"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
}

func TestComposeBadRecipients(t *testing.T) {
	tests := []struct {
		name string
		to   []string
		want error
	}{
		{"none", nil, mail.ErrNoRecipients},
		{"injected header", []string{"a@b\nBcc: c@d"}, mail.ErrBadAddress},
		{"second bad", []string{"ok@example.com", "x y@example.com"}, mail.ErrBadAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.Compose(sampleReport(), tt.to, nil, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("Compose(%q) error = %v, want %v", tt.to, err, tt.want)
			}
		})
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"noc@example.com", true},
		{"root", true},
		{"first.last+ipband@mail.example.org", true},
		{"o'brien@example.com", true},
		{"", false},
		{"a@b\nBcc: c", false},
		{"a@b\r\nBcc: c", false},
		{"a@b\rc", false},
		{"a b@example.com", false},
		{"a\t@example.com", false},
		{"a@example.com,b@example.com", false},
		{"Name <a@example.com>", false},
		{"<a@example.com>", false},
		{`"a"@example.com`, false},
		{"a@example.com (comment)", false},
		{"group:a@example.com;", false},
		{`a\@example.com`, false},
		{"a@[192.0.2.1]", false},
		{"a\x00@example.com", false},
		{"a\x7f@example.com", false},
		{"ü@example.com", false},
		{strings.Repeat("a", 251) + "@b.c", false},
		{strings.Repeat("a", 250) + "@b.c", true},
	}
	for _, tt := range tests {
		err := mail.CheckAddress(tt.addr)
		if tt.ok && err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", tt.addr, err)
		}
		if !tt.ok && !errors.Is(err, mail.ErrBadAddress) {
			t.Errorf("CheckAddress(%q) = %v, want ErrBadAddress", tt.addr, err)
		}
	}
}

func TestSplitAddresses(t *testing.T) {
	tests := []struct {
		s    string
		want []string
		err  error
	}{
		{"noc@example.com", []string{"noc@example.com"}, nil},
		{"noc@example.com, root ,\tops@example.org", []string{"noc@example.com", "root", "ops@example.org"}, nil},
		{"a@example.com,,b@example.com", nil, mail.ErrBadAddress},
		{"a@example.com,", nil, mail.ErrBadAddress},
		{"", nil, mail.ErrNoRecipients},
		{" \t ", nil, mail.ErrNoRecipients},
		{" , ", nil, mail.ErrBadAddress},
		{"a@example.com, b c@example.com", nil, mail.ErrBadAddress},
		{"a@example.com\nBcc: x@example.com", nil, mail.ErrBadAddress},
	}
	for _, tt := range tests {
		got, err := mail.SplitAddresses(tt.s)
		if !errors.Is(err, tt.err) || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("SplitAddresses(%q) = %q, %v; want %q, %v", tt.s, got, err, tt.want, tt.err)
		}
	}
}

func TestMessageBytes(t *testing.T) {
	tests := []struct {
		name string
		m    mail.Message
		want string
	}{{
		name: "ascii",
		m: mail.Message{
			To:      []string{"noc@example.com", "root"},
			Subject: "Bandwidth report for 10.10.123.0 <halifax>",
			Body:    []byte("line one\nline two\n"),
		},
		want: "To: noc@example.com, root\n" +
			"Subject: Bandwidth report for 10.10.123.0 <halifax>\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n" +
			"line one\nline two\n",
	}, {
		name: "utf-8 body, CRLF and lone CR, no final newline",
		m: mail.Message{
			To:      []string{"root"},
			Subject: "s",
			Body:    []byte("Grüße\r\nfrom\rMünchen"),
		},
		want: "To: root\n" +
			"Subject: s\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"Content-Transfer-Encoding: 8bit\n" +
			"\n" +
			"Grüße\nfrom\nMünchen\n",
	}, {
		name: "subject with line breaks",
		m: mail.Message{
			To:      []string{"root"},
			Subject: "report\r\nBcc: evil@example.com",
		},
		want: "To: root\n" +
			"Subject: report  Bcc: evil@example.com\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n",
	}, {
		name: "non-ASCII subject",
		m: mail.Message{
			To:      []string{"root"},
			Subject: "Bandwidth report for 10.1.2.0 <Zürich>",
			Body:    []byte("x\n"),
		},
		want: "To: root\n" +
			"Subject: Bandwidth report for 10.1.2.0 =?utf-8?q?<Z=C3=BCrich>?=\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n" +
			"x\n",
	}, {
		name: "encoded-word lookalike stays text",
		m:    mail.Message{To: []string{"root"}, Subject: "=?x?"},
		want: "To: root\n" +
			"Subject: =?x?\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n",
	}, {
		name: "bad recipients left out",
		m: mail.Message{
			To:      []string{"a@b\nBcc: c@d", "root", "x@y>"},
			Subject: "s",
		},
		want: "To: root\n" +
			"Subject: s\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n",
	}, {
		name: "no recipients",
		m:    mail.Message{Subject: "s"},
		want: "Subject: s\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n",
	}, {
		name: "long recipient list folds",
		m: mail.Message{
			To: []string{
				"first.recipient@example.com", "second.recipient@example.com",
				"third.recipient@example.com",
			},
			Subject: "s",
		},
		want: "To: first.recipient@example.com, second.recipient@example.com,\n" +
			" third.recipient@example.com\n" +
			"Subject: s\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"\n",
	}, {
		name: "NUL and long line quoted-printable",
		m: mail.Message{
			To:      []string{"root"},
			Subject: "s",
			Body:    []byte("a\x00b\n"),
		},
		want: "To: root\n" +
			"Subject: s\n" +
			"Auto-Submitted: auto-generated\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=utf-8\n" +
			"Content-Transfer-Encoding: quoted-printable\n" +
			"\n" +
			"a=00b\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.m.Bytes()); got != tt.want {
				t.Errorf("Bytes() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMessageBytesLongSubjectFolds(t *testing.T) {
	words := strings.Repeat("word ", 30)
	m := mail.Message{To: []string{"root"}, Subject: words + "Zürich"}
	b := m.Bytes()
	head, _, _ := bytes.Cut(b, []byte("\n\n"))
	for line := range strings.Lines(string(head)) {
		if len(line) > 79 {
			t.Errorf("header line longer than 78: %q", line)
		}
	}
	m.Subject = words
	head, _, _ = bytes.Cut(m.Bytes(), []byte("\n\n"))
	if got := strings.ReplaceAll(string(head), "\n ", " "); !strings.Contains(got, "\nSubject: "+words+"\n") {
		t.Errorf("unfolded header %q does not hold the subject %q", got, words)
	}
}

func TestMessageValidate(t *testing.T) {
	if err := (mail.Message{}).Validate(); !errors.Is(err, mail.ErrNoRecipients) {
		t.Errorf("zero Message: Validate() = %v, want ErrNoRecipients", err)
	}
	if err := (mail.Message{To: []string{"root", "a@b\nBcc: c"}}).Validate(); !errors.Is(err, mail.ErrBadAddress) {
		t.Errorf("Validate() = %v, want ErrBadAddress", err)
	}
	if err := (mail.Message{To: []string{"root"}}).Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}
