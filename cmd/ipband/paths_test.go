//go:build cgo && linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ipband/mail/mailtest"
)

// TestForkRelativePaths starts ipband with -F from a directory, naming
// every file and directory it reads or writes by a relative path: the
// config file, the report, page, JSON and stats files, the footer, the
// password and CA files, the spool, the evidence directory, the networks
// file and the pid file. The daemon changes to /; the files must still be
// the ones in the start directory: written before and, after a logrotate
// style rename and SIGHUP, reopened there, mail sent through the spool
// there, evidence written there, and the pid file removed there at
// SIGTERM.
func TestForkRelativePaths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	logs := fakeSyslog(t)
	srv := startMailServer(t, false)
	dir := t.TempDir()
	write := func(name, s string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("ipband.conf", "bandwidth 1\n", 0o644)
	write("foot", "-- \nrelative footer\n", 0o644)
	write("smtp.pass", "s3cret\n", 0o600)
	write("nets", "loopnet 127.0.0.0\n", 0o644)
	// A notify program by a relative path: the daemon runs it from /.
	write("hook.sh", "#!/bin/sh\necho \"$IPBAND_EVENT\" >> "+filepath.Join(dir, "out", "notified")+"\n", 0o755)
	mailtest.WriteCA(t, dir)
	for _, d := range []string{"out", "ev"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The hook runs as the unprivileged command user: it must reach the
	// start directory and append to its file.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("out/notified", "", 0o644)
	if err := os.Chmod(filepath.Join(dir, "out", "notified"), 0o666); err != nil {
		t.Fatal(err)
	}
	port, tx := loopbackUDP(t)
	cmd := exec.Command(ipbandBinary(t), "-F", "-c", "ipband.conf", "-i", "lo", "-f", "udp and dst port "+port,
		"-a", "1", "-r", "1", "-o", "out/r.txt", "-w", "out/status.html", "--json-file", "out/r.json",
		"--stats-file", "out/s.json", "--evidence-dir", "ev", "--pidfile", "ipband.pid", "--networks", "nets",
		"-M", "noc@example.com", "-l", "foot", "--smtp", srv.Addr, "--smtp-user", "ipband",
		"--smtp-pass-file", "smtp.pass", "--smtp-tls-ca", "ca.pem", "--mail-from", "ipband@gw.example.com",
		"--spool-dir", "spool", "--notify", "./hook.sh")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ipband -F: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	pid, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		t.Fatalf("no process id in %q", out)
	}
	child, _ := os.FindProcess(pid)
	defer child.Signal(syscall.SIGKILL) //nolint:errcheck // cleanup if the test fails early

	payload := make([]byte, 1200)
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				var l []string
				if logs != nil {
					l = logs()
				}
				t.Fatalf("timed out waiting for %s; syslog:\n%s", what, strings.Join(l, "\n"))
			}
			tx.Write(payload) //nolint:errcheck // the capture counts what arrives
			time.Sleep(20 * time.Millisecond)
		}
	}
	has := func(name, s string) func() bool {
		return func() bool { return strings.Contains(readFile(filepath.Join(dir, name)), s) }
	}
	files := []struct{ name, want string }{
		{"out/r.txt", "Network: 127.0.0.0"},
		{"out/r.json", `"subnet":"127.0.0.0/24"`},
		{"out/s.json", `"subnets"`},
		{"out/status.html", "127.0.0.0"},
	}
	for _, f := range files {
		until(f.name, has(f.name, f.want))
	}
	until("a mail", func() bool { return len(srv.Messages()) > 0 })
	until("a notification from ./hook.sh", has("out/notified", "logging_start"))
	if m := text(srv.Messages()[0]); !strings.Contains(m, "relative footer") || !strings.Contains(m, "loopnet") {
		t.Errorf("the mail lacks the footer or the network name:\n%s", m)
	}
	if fi, err := os.Stat(filepath.Join(dir, "spool")); err != nil || !fi.IsDir() {
		t.Errorf("no spool in the start directory: %v", err)
	}
	until("an evidence file", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "ev", "*.pcapng"))
		return len(m) > 0
	})
	if b, err := os.ReadFile(filepath.Join(dir, "ipband.pid")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Errorf("pid file %q (%v), want %d", b, err, pid)
	}

	// logrotate: rename, SIGHUP, and every file is reopened in place.
	for _, f := range files {
		if err := os.Rename(filepath.Join(dir, f.name), filepath.Join(dir, f.name+".1")); err != nil {
			t.Fatal(err)
		}
	}
	write("ipband.conf", "bandwidth 1\n# reloaded\n", 0o644)
	if err := child.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	sent := len(srv.Messages())
	for _, f := range files {
		until(f.name+" after SIGHUP", has(f.name, f.want))
	}
	until("a mail after SIGHUP", func() bool { return len(srv.Messages()) > sent })
	if err := child.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	until("the daemon to stop", func() bool { return syscall.Kill(pid, 0) != nil || isZombie(pid) })
	if _, err := os.Stat(filepath.Join(dir, "ipband.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left in the start directory after SIGTERM: %v", err)
	}
	if logs != nil {
		if all := strings.Join(logs(), "\n"); strings.Contains(all, "no such file") {
			t.Errorf("the daemon missed a file:\n%s", all)
		}
	}
	for _, p := range []string{"/out", "/ev", "/spool", "/nets", "/ipband.conf"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists: a relative path was resolved from / after -F", p)
		}
	}
}
