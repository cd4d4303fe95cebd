package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMailHandOff replays the branch capture with -M, -T and -l: a real
// program standing in for sendmail receives one message per report, with
// the classic subject and the footer, while the report file gets the same
// reports without it.
func TestMailHandOff(t *testing.T) {
	dir := t.TempDir()
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
