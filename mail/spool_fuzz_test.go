package mail

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseSpooled: a spooled message written by Message.Bytes gives back
// its envelope and subject (less white space at its ends), and no input makes parseSpooled panic.
func FuzzParseSpooled(f *testing.F) {
	f.Add("ipband@gw.example.com", "noc@example.com,root", "Bandwidth report for 10.10.123.0 <halifax>", []byte("body\n"))
	f.Add("", "a@b.c", "Bandwidth report for 10.1.2.0 <Zürich>", []byte{})
	f.Add("x@y", strings.Repeat("long.recipient@example.com,", 8)+"z@example.com", strings.Repeat("word ", 60)+"ü", []byte("\n\n"))
	f.Fuzz(func(t *testing.T, from, to, subject string, body []byte) {
		m := Message{From: from, To: strings.Split(to, ","), Subject: subject, Body: body}
		parseSpooled([]byte(from + to + subject + string(body))) //nolint:errcheck // must not panic
		if m.Validate() != nil || (from != "" && CheckAddress(from) != nil) {
			return
		}
		env, subj, err := parseSpooled(m.Bytes())
		if err != nil {
			t.Fatalf("parseSpooled(Bytes of %+v): %v", m, err)
		}
		if env.From != from || !slices.Equal(env.To, m.To) {
			t.Errorf("envelope %+v, want from %q to %q", env, from, m.To)
		}
		if want := strings.TrimSpace(sanitizeSubject(subject)); strings.TrimSpace(subj) != want {
			t.Errorf("subject %q, want %q", subj, want)
		}
	})
}
