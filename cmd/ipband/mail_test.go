package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"ipband/mail/mailtest"
)

// TestMailHandOff replays the branch capture with -M, -T and -l: a real
// program standing in for sendmail receives one message per report, with
// the classic subject and the footer, while the report file gets the same
// reports without it.
func TestMailHandOff(t *testing.T) {
	dir := commandDir(t)
	mta := filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\nn=$(ls " + dir + "/msg.* 2>/dev/null | wc -l)\ncat > " + dir + "/msg.$n\necho \"$@\" > " + dir + "/args\n"
	if err := os.WriteFile(mta, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	foot := filepath.Join(dir, "footer")
	if err := os.WriteFile(foot, []byte("-- \nNOC on call: ext. 4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT",
		"-M", "noc@example.com,root", "-T", mta+" -t -oi", "-l", foot, "--spool-dir", filepath.Join(dir, "spool"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var msgs []string
	for i := 0; i < 2; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "msg."+string(rune('0'+i))))
		if err != nil {
			t.Fatalf("message %d: %v (stderr: %s)", i, err, r.stderr)
		}
		msgs = append(msgs, string(b))
	}
	if _, err := os.Stat(filepath.Join(dir, "msg.2")); err == nil {
		t.Error("more messages than reports")
	}
	reports := strings.Split(strings.TrimSuffix(r.outfile, "\n\n"), "\n\n")
	if len(reports) != 2 {
		t.Fatalf("%d reports in the file, want 2", len(reports))
	}
	for i, m := range msgs {
		head, body, ok := strings.Cut(m, "\n\n")
		if !ok {
			t.Fatalf("message %d has no header/body split:\n%s", i, m)
		}
		for _, h := range []string{"To: noc@example.com, root", "Subject: Bandwidth report for 10.10.123.0 <halifax>"} {
			if !strings.Contains(head, h+"\n") {
				t.Errorf("message %d header lacks %q:\n%s", i, h, head)
			}
		}
		if want := reports[i] + "\n\n-- \nNOC on call: ext. 4242\n"; body != want {
			t.Errorf("message %d body:\n%s\nwant the report and the footer:\n%s", i, body, want)
		}
	}
	if strings.Contains(r.outfile, "NOC on call") {
		t.Error("the footer went into the report file")
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "args")); string(args) != "-t -oi\n" {
		t.Errorf("mail command arguments %q", args)
	}
}

// startMailServer starts an SMTP server on 127.0.0.1 with STARTTLS and
// AUTH for user "ipband", password "s3cret"; with stall, DATA stalls
// mid-message until the test ends.
func startMailServer(t *testing.T, stall bool) *mailtest.Server {
	t.Helper()
	return mailtest.Start(t, mailtest.Config{Users: map[string]string{"ipband": "s3cret"}, Stall: stall})
}

// text is a received message with LF line endings.
func text(m mailtest.Received) string { return strings.ReplaceAll(string(m.Data), "\r\n", "\n") }

// smtpFlags writes the CA and password files an admin would, and returns
// the flags that use them with the server at addr and a spool in dir.
func smtpFlags(t *testing.T, dir, addr string) []string {
	t.Helper()
	ca := mailtest.WriteCA(t, dir)
	pass := filepath.Join(dir, "smtp.pass")
	if err := os.WriteFile(pass, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--smtp", addr, "--smtp-user", "ipband", "--smtp-pass-file", pass, "--smtp-tls-ca", ca,
		"--mail-from", "ipband@gw.example.com", "--spool-dir", filepath.Join(dir, "spool")}
}

// TestMailSMTP replays the branch capture with mail submitted over
// STARTTLS and AUTH: the server gets one message per report, whose body
// is the report as the file has it, followed by the footer.
func TestMailSMTP(t *testing.T) {
	srv := startMailServer(t, false)
	dir := t.TempDir()
	foot := filepath.Join(dir, "footer")
	if err := os.WriteFile(foot, []byte("-- \nNOC on call: ext. 4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-o", "OUT",
		"-M", "noc@example.com,ops@example.org", "-l", foot}, smtpFlags(t, dir, srv.Addr)...)
	r := ipband(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	reports := strings.Split(strings.TrimSuffix(r.outfile, "\n\n"), "\n\n")
	msgs := srv.Messages()
	if len(msgs) != 2 || len(reports) != 2 {
		t.Fatalf("%d messages for %d reports; stderr:\n%s", len(msgs), len(reports), r.stderr)
	}
	for i, m := range msgs {
		if !m.TLS || m.User != "ipband" || !slices.Equal(m.To, []string{"noc@example.com", "ops@example.org"}) {
			t.Errorf("message %d: TLS %v, user %q, to %q", i, m.TLS, m.User, m.To)
		}
		head, body, _ := strings.Cut(text(m), "\n\n")
		for _, h := range []string{"From: ipband@gw.example.com", "To: noc@example.com, ops@example.org",
			"Subject: Bandwidth report for 10.10.123.0 <halifax>", "Auto-Submitted: auto-generated",
			"Content-Type: text/plain; charset=utf-8"} {
			if !strings.Contains(head+"\n", h+"\n") {
				t.Errorf("message %d header lacks %q:\n%s", i, h, head)
			}
		}
		if want := reports[i] + "\n\n-- \nNOC on call: ext. 4242\n"; body != want {
			t.Errorf("message %d body:\n%s\nwant:\n%s", i, body, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "spool", "[0-9]*.eml")); len(left) != 0 {
		t.Errorf("spool holds %q after delivery", left)
	}
}

// TestMailKilledAndRestarted: ipband is killed (SIGKILL) while its mail
// is stuck on a stalled server; started again, it delivers what the first
// run spooled, then its own.
func TestMailKilledAndRestarted(t *testing.T) {
	dir := t.TempDir()
	bin := buildIpband(t)
	stalled := startMailServer(t, true)
	spool := filepath.Join(dir, "spool")
	base := []string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-o", filepath.Join(dir, "out.txt"),
		"-M", "noc@example.com", "--mail-timeout", "10m"}
	cmd := exec.Command(bin, append(base, smtpFlags(t, dir, stalled.Addr)...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // may be dead already
	select {
	case <-stalled.Stalled():
	case <-time.After(30 * time.Second):
		t.Fatalf("no message reached the server; stderr:\n%s", stderr.String())
	}
	spooled := func() []string { // complete messages, not one being written
		m, _ := filepath.Glob(filepath.Join(spool, "[0-9]*.eml"))
		return m
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(spooled()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	ids := messageIDs(t, spooled())
	if len(ids) != 2 {
		t.Fatalf("spool holds %d messages, want 2", len(ids))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("ipband was not killed: %v", err)
	}

	srv := startMailServer(t, false)
	out, err := exec.Command(bin, append(base, smtpFlags(t, dir, srv.Addr)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "2 messages waiting in the spool "+spool+" from an earlier run") {
		t.Errorf("second run does not say it resends the spool:\n%s", out)
	}
	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("server got %d messages, want 2 spooled + 2 new:\n%s", len(msgs), out)
	}
	var got []string
	for _, m := range msgs[:2] {
		got = append(got, header(text(m), "Message-ID"))
	}
	if !slices.Equal(got, ids) {
		t.Errorf("first messages delivered %q, want the spooled %q", got, ids)
	}
	if left := spooled(); len(left) != 0 {
		t.Errorf("spool still holds %q", left)
	}
}

// header returns the value of the header name in message m.
func header(m, name string) string {
	head, _, _ := strings.Cut(m, "\n\n")
	for line := range strings.SplitSeq(head, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return ""
}

// messageIDs returns the Message-IDs of the message files.
func messageIDs(t *testing.T, files []string) []string {
	t.Helper()
	var ids []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, header(string(b), "Message-ID"))
	}
	return ids
}

// TestMailCommandOutcomes replays with a mail command that fails: exit 75
// leaves the mail spooled (exit status 0, said in the log), exit 1 loses
// it to failed/ (exit status 1, said once per message).
func TestMailCommandOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name, script string
		code         int
		log          string
		left, failed int
	}{
		{"tempfail", "cat > /dev/null; exit 75", 0, "2 messages left in the spool", 2, 0},
		{"fails", "cat > /dev/null; echo 'User unknown' >&2; exit 1", 1, "mail: 2 messages failed for good", 0, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := commandDir(t)
			mta := filepath.Join(dir, "sendmail")
			if err := os.WriteFile(mta, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			spool := filepath.Join(dir, "spool")
			r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "-o", "OUT", "-M", "root",
				"-T", mta, "--spool-dir", spool, "--mail-timeout", "2s", "--mail-retry", "50ms")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.log) {
				t.Errorf("exit %d, want %d, with %q in:\n%s", r.code, tt.code, tt.log, r.stderr)
			}
			left, _ := filepath.Glob(filepath.Join(spool, "[0-9]*.eml"))
			failed, _ := filepath.Glob(filepath.Join(spool, "failed", "[0-9]*.eml"))
			if len(left) != tt.left || len(failed) != tt.failed {
				t.Errorf("%d left in the spool, %d failed; want %d, %d", len(left), len(failed), tt.left, tt.failed)
			}
			if n := strings.Count(r.stderr, "failed for good, kept in"); n != tt.failed {
				t.Errorf("%d failure lines, want %d:\n%s", n, tt.failed, r.stderr)
			}
		})
	}
}

// TestMailStartupChecks: each mail problem an admin can make stops ipband
// at start with exit status 2 and one line naming the flag or directive,
// before anything is written.
func TestMailStartupChecks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	noExec := filepath.Join(dir, "sendmail-not-executable")
	for _, p := range []string{file, noExec} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spool := []string{"--spool-dir", filepath.Join(dir, "spool")}
	srv := "127.0.0.1:1"
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing mail command", []string{"-T", "/nonexistent/sendmail -t"}, []string{"flag -T/--mtastring or mtastring", "/nonexistent/sendmail", "no such file"}},
		{"mail command not in PATH", []string{"-T", "ipband-no-such-sendmail"}, []string{"flag -T/--mtastring", "ipband-no-such-sendmail", "not found"}},
		{"mail command not executable", []string{"-T", noExec}, []string{"flag -T/--mtastring", noExec, "permission denied"}},
		{"non-ASCII address", []string{"-M", "ü@example.com"}, []string{"flag -M/--mailto", `"ü@example.com"`, "non-ASCII"}},
		{"bad sender", []string{"--mail-from", "Ipband <ipband@x>"}, []string{"flag --mail-from", `"Ipband <ipband@x>"`}},
		{"unwritable spool", []string{"--spool-dir", filepath.Join(file, "spool")}, []string{"flag --spool-dir or spooldir", file}},
		{"password file missing", []string{"--smtp", srv, "--smtp-user", "u", "--smtp-pass-file", filepath.Join(dir, "no-pass")}, []string{"flag --smtp-pass-file or smtppassfile", "no-pass", "no such file"}},
		{"user without password file", []string{"--smtp", srv, "--smtp-user", "u"}, []string{"flag --smtp-user or smtpuser", "--smtp-pass-file"}},
		{"bad CA file", []string{"--smtp", srv, "--smtp-tls-ca", file}, []string{"flag --smtp-tls-ca or smtptlsca", file, "no PEM certificate"}},
		{"local user over SMTP", []string{"--smtp", srv, "-M", "root"}, []string{"flag -M/--mailto or mailto", `"root"`, "user@domain"}},
		{"bad smtp address", []string{"--smtp", "mail.example.com"}, []string{"flag --smtp", "HOST:PORT"}},
		{"bad tls mode", []string{"--smtp", srv, "--smtp-tls", "ssl"}, []string{"flag --smtp-tls", `"ssl"`}},
		{"bad spool size", []string{"--spool-max", "lots"}, []string{"flag --spool-max", `"lots"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-C", "--read", td + "/classic.pcap", "-o", "OUT", "-M", "noc@example.com", "-T", "/bin/cat"}, spool...)
			r := ipband(t, append(args, tc.args...)...)
			if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, want 2 with one line; stderr:\n%s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			if r.outfile != "" {
				t.Error("reports were written")
			}
		})
	}
}

// TestMailCheckedBeforeFork: with -F a bad mail setting stops ipband
// before it detaches, while its error can still be seen.
func TestMailCheckedBeforeFork(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-T", filepath.Join(dir, "no-sendmail")}, "flag -T/--mtastring or mtastring"},
		{[]string{"-T", "/bin/cat", "--spool-dir", filepath.Join(td, "classic.pcap", "spool")}, "flag --spool-dir or spooldir"},
		{[]string{"--smtp", "127.0.0.1:1", "--smtp-user", "u", "--smtp-pass-file", filepath.Join(dir, "none")}, "flag --smtp-pass-file"},
	} {
		r := ipband(t, append([]string{"-C", "-F", "-i", "lo", "-o", "OUT", "-M", "noc@example.com"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "background") {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming %s before detaching", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestMailAiosmtpd replays the branch capture with mail submitted to
// Debian's aiosmtpd, STARTTLS and AUTH required, offering AUTH LOGIN
// only, whose challenges go-sasl's LOGIN client refused: both reports
// arrive over TLS, as the user, and ipband exits 0.
func TestMailAiosmtpd(t *testing.T) {
	srv := mailtest.StartAiosmtpd(t, "ipband", "s3cret", "LOGIN")
	dir := t.TempDir()
	args := append([]string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-o", "OUT",
		"-M", "noc@example.com", "--mail-timeout", "30s"}, smtpFlags(t, dir, srv.Addr)...)
	r := ipband(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	msgs := srv.Messages(t)
	reports := strings.Split(strings.TrimSuffix(r.outfile, "\n\n"), "\n\n")
	if len(msgs) != 2 || len(reports) != 2 {
		t.Fatalf("%d messages for %d reports; stderr:\n%s", len(msgs), len(reports), r.stderr)
	}
	for i, m := range msgs {
		if !m.TLS || m.User != "ipband" || !strings.Contains(text(m), reports[i]) {
			t.Errorf("message %d: TLS %v, user %q, body holds the report: %v", i, m.TLS, m.User, strings.Contains(text(m), reports[i]))
		}
	}
	// ipband names itself (its host name) in every EHLO, before STARTTLS
	// as after it.
	hellos := srv.Hellos()
	if len(hellos) < 2 {
		t.Fatalf("EHLO lines %q, want two per session", hellos)
	}
	for i, h := range hellos {
		want := localName() + " plain"
		if i%2 == 1 {
			want = localName() + " tls"
		}
		if h != want {
			t.Errorf("EHLO line %d %q, want %q", i+1, h, want)
		}
	}
}
