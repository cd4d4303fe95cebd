//go:build cgo && linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUserDrop runs ipband as root on lo with --user nobody: once it
// captures, every thread of the process runs as nobody and nobody's group,
// with no supplementary group and no permitted, effective or ambient
// capability, and the report file it creates in a directory only nobody
// may write is created and written by nobody.
func TestUserDrop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dropping to another user needs root; run the tests as root to check it")
	}
	uid, gid := nobody(t)
	bin := buildIpband(t)
	top := t.TempDir()
	if err := os.Chmod(filepath.Dir(top), 0o755); err != nil { // let nobody reach its directory
		t.Fatal(err)
	}
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(top, "reports")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.txt")

	port, tx := loopbackUDP(t)
	var stdout, stderr lockedBuffer
	cmd := exec.Command(bin, "-C", "-i", "lo", "-f", "udp and dst port "+port, "-a", "1", "-r", "1", "-b", "1",
		"-o", out, "--user", "nobody")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // stopped below when the test passes
	payload := make([]byte, 1200)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(readFile(out), "Network: 127.0.0.0") {
		if time.Now().After(deadline) {
			t.Fatalf("no report after 30 s; stderr:\n%s", stderr.String())
		}
		tx.Write(payload) //nolint:errcheck // the capture counts what arrives
		time.Sleep(20 * time.Millisecond)
	}

	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/*/status")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", cmd.Process.Pid, err)
	}
	ids := func(id int) string { s := strconv.Itoa(id); return s + "\t" + s + "\t" + s + "\t" + s }
	want := map[string]string{"Uid": ids(uid), "Gid": ids(gid), "Groups": "",
		"CapEff": "0000000000000000", "CapPrm": "0000000000000000", "CapAmb": "0000000000000000"}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				got[k] = strings.TrimSpace(v)
			}
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s %q, want %q", path, k, got[k], w)
			}
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err != nil {
		t.Fatal(err)
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("report file owned by %d:%d, want nobody's %d:%d", st.Uid, st.Gid, uid, gid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("ipband: %v; stderr:\n%s", err, stderr.String())
	}
}

// TestUnprivileged runs ipband as nobody: a live capture fails at start
// with a hint at what it needs, --user naming nobody itself is accepted,
// and --user naming anyone else is refused.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting ipband as another user needs root")
	}
	uid, gid := nobody(t)
	bin := buildIpband(t)
	if err := os.Chmod(filepath.Dir(filepath.Dir(bin)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	pcap, err := filepath.Abs(filepath.Join(td, "classic.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"capture", []string{"-C", "-i", "lo", "-o", os.DevNull}, exitUsage,
			"ipband: interface lo: Permission Denied: capture on lo needs root or CAP_NET_RAW and CAP_NET_ADMIN (see ipband(8))\n"},
		{"self", []string{"-C", "--read", pcap, "-o", os.DevNull, "--user", "nobody"}, exitOK, "28932 packets"},
		{"other", []string{"-C", "--read", pcap, "-o", os.DevNull, "--user", "root"}, exitUsage,
			"ipband: flag --user or user: user root: ipband runs as uid " + strconv.Itoa(uid) + ", and only root can switch to another user\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(bin, tt.args...)
			cmd.Stderr = &stderr
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), tt.code, tt.msg)
			}
		})
	}
}

// TestUserUnknown checks that an unknown user stops ipband at start with
// exit status 2, naming the flag or directive.
func TestUserUnknown(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-C", "--read", filepath.Join(td, "classic.pcap"), "-o", os.DevNull,
		"--user", "no-such-user-here"}, testEnv(&stdout, &stderr))
	if want := "ipband: flag --user or user: user no-such-user-here: no such user\n"; code != exitUsage || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr.String(), exitUsage, want)
	}
}

// TestUserDropMail replays the branch capture as root with --user nobody
// and -M: the spool, created and checked as root before the capture opens,
// is handed to nobody, the queue opened after the drop writes it, and the
// mail command, run as nobody, gets every report.
func TestUserDropMail(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dropping to nobody needs root")
	}
	uid, _ := nobody(t)
	bin := buildIpband(t)
	dir := commandDir(t)
	mta := filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\ncat > " + dir + "/msg.$$\nid -u > " + dir + "/uid.$$\n"
	if err := os.WriteFile(mta, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(dir, "spool")
	cmd := exec.Command(bin, "-c", filepath.Join(td, "classic.conf"), "--read", filepath.Join(td, "classic.pcap"),
		"-o", os.DevNull, "-M", "noc@example.com", "-T", mta, "--spool-dir", spool, "--user", "nobody")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ipband: %v\n%s", err, out)
	}
	msgs, _ := filepath.Glob(filepath.Join(dir, "msg.*"))
	uids, _ := filepath.Glob(filepath.Join(dir, "uid.*"))
	if len(msgs) != 2 || len(uids) != 2 {
		t.Fatalf("%d messages, %d uid files, want 2 of each; output:\n%s", len(msgs), len(uids), out)
	}
	for _, f := range uids {
		if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) != strconv.Itoa(uid) {
			t.Errorf("the mail command ran as uid %q, want nobody's %d", b, uid)
		}
	}
	fi, err := os.Stat(spool)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || fi.Mode().Perm() != 0o700 {
		t.Errorf("spool owned by %d, mode %v; want nobody's, 0700", st.Uid, fi.Mode().Perm())
	}
}

// TestUserChecksOutputs replays the branch capture as root with --user
// nobody: an output in a directory nobody cannot write stops ipband at
// start with exit status 2, naming the flag and the user, where it used to
// pass the check made as root and lose every report. In a directory of
// nobody's the run works, and the JSON and stats files, opened before the
// drop, are nobody's too, so that a reopen on SIGHUP can open them.
func TestUserChecksOutputs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dropping to nobody needs root")
	}
	uid, _ := nobody(t)
	top := t.TempDir()
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil { // let nobody reach its directory
			t.Fatal(err)
		}
	}
	rootDir, nobodyDir := filepath.Join(top, "root"), filepath.Join(top, "nobody")
	for _, d := range []string{rootDir, nobodyDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(nobodyDir, uid, -1); err != nil {
		t.Fatal(err)
	}
	bin := ipbandBinary(t)
	run := func(args ...string) (int, string) { // as its own process: it drops root
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		return exitCode(cmd.Run()), stderr.String()
	}
	base := []string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "--user", "nobody"}
	for _, tt := range []struct{ flag, file string }{
		{"-o/--outfile", "-o"},
		{"-w/--htmlfile", "-w"},
		{"--json-file", "--json-file"},
		{"--stats-file", "--stats-file"},
		{"--pidfile", "--pidfile"},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			args := append(slices.Clone(base), "-o", filepath.Join(nobodyDir, "r.txt"), tt.file, filepath.Join(rootDir, "out"))
			code, stderr := run(args...)
			want := "ipband: flag " + tt.flag + ": " + filepath.Join(rootDir, "out") + ": permission denied (as user nobody, who writes it after the drop)\n"
			if code != exitUsage || stderr != want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, exitUsage, want)
			}
		})
	}
	files := []string{"r.txt", "r.json", "s.json", "page.html"}
	args := append(slices.Clone(base), "-o", filepath.Join(nobodyDir, files[0]), "--json-file", filepath.Join(nobodyDir, files[1]),
		"--stats-file", filepath.Join(nobodyDir, files[2]), "-w", filepath.Join(nobodyDir, files[3]))
	if code, stderr := run(args...); code != exitOK {
		t.Fatalf("in nobody's directory: exit %d, stderr:\n%s", code, stderr)
	}
	for _, f := range files {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(nobodyDir, f), &st); err != nil {
			t.Fatal(err)
		}
		if int(st.Uid) != uid {
			t.Errorf("%s owned by uid %d, want nobody's %d", f, st.Uid, uid)
		}
	}
}

// TestUserReadsSecretsAsRoot replays the branch capture as root with
// --user nobody and mail over STARTTLS and AUTH, the password and CA files
// root's own, mode 0600, in a directory only root may enter, as the README
// sets them up: they are read before the drop, and the mail goes out.
func TestUserReadsSecretsAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dropping to nobody needs root")
	}
	srv := startMailServer(t, false)
	top := t.TempDir()
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil { // let nobody reach its spool
			t.Fatal(err)
		}
	}
	secrets := filepath.Join(top, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-c", td + "/classic.conf", "--read", td + "/classic.pcap", "-o", os.DevNull,
		"-M", "noc@example.com", "--user", "nobody"}, smtpFlags(t, secrets, srv.Addr)...)
	for i, a := range args {
		if a == "--spool-dir" {
			args[i+1] = filepath.Join(top, "spool")
		}
	}
	if err := os.Chmod(filepath.Join(secrets, "ca.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(ipbandBinary(t), args...)
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if msgs := srv.Messages(); len(msgs) != 2 || msgs[0].User != "ipband" || !msgs[0].TLS {
		t.Errorf("%d messages (%+v), want 2 sent over TLS as ipband", len(msgs), msgs)
	}
}
