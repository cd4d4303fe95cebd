//go:build cgo && linux

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeSyslog listens on /dev/log, as syslogd does, when the system has
// none, and returns the messages it got so far; it is nil when /dev/log
// exists (the system logger gets the messages) or cannot be made.
func fakeSyslog(t *testing.T) func() []string {
	t.Helper()
	if _, err := os.Stat("/dev/log"); err == nil {
		return nil
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "/dev/log", Net: "unixgram"})
	if err != nil {
		t.Logf("no syslog receiver: %v", err)
		return nil
	}
	var (
		mu   sync.Mutex
		msgs []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		b := make([]byte, 8192)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, string(b[:n]))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		c.Close()
		os.Remove("/dev/log")
		<-done
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// TestForkBadInterface checks that -F opens the capture before it
// detaches: a bad interface is an error of the parent, exit status 2.
func TestForkBadInterface(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(ipbandBinary(t), "-F", "-C", "-i", "nosuchif0", "-o", filepath.Join(dir, "out.txt"), "--pidfile", filepath.Join(dir, "pid"))
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != exitUsage || !strings.Contains(string(out), "nosuchif0") || strings.Contains(string(out), "background") {
		t.Errorf("ipband -F -i nosuchif0: exit %d, %q; want 2 and the interface named", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "pid")); err == nil {
		t.Error("a pid file was left by a daemon that did not start")
	}
}

// TestFork starts ipband with -F on the loopback interface: the parent
// returns once the child runs, with its process id; the child runs in a
// session of its own in /, without the descriptors its parent inherited,
// holds the pid file, logs to syslog (daemon facility), and on SIGTERM
// stops and removes the pid file. Without any syslog the child cannot
// log, does not start, and the parent says so with a non-zero status.
func TestFork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	dir := t.TempDir()
	bin := ipbandBinary(t)
	pidPath := filepath.Join(dir, "ipband.pid")
	args := []string{"-F", "-C", "-i", "lo", "-a", "1", "-w", "status.html", "-o", "out.txt", "--pidfile", pidPath}

	if _, err := os.Stat("/dev/log"); err != nil {
		t.Run("no-syslog", func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if exitCode(err) == 0 || !strings.Contains(string(out), "daemon did not start: syslog") {
				t.Errorf("without syslog: exit %d, %q; want non-zero and the child's reason", exitCode(err), out)
			}
		})
	}
	logs := fakeSyslog(t)

	inherited, err := os.Create(filepath.Join(dir, "inherited"))
	if err != nil {
		t.Fatal(err)
	}
	defer inherited.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // relative -w and -o: resolved before the child leaves for /
	cmd.ExtraFiles = []*os.File{inherited}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ipband -F: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 || !strings.Contains(string(out), "running in the background as process") {
		t.Fatalf("parent said %q", out)
	}
	pid, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		t.Fatalf("no process id in %q", out)
	}
	child, _ := os.FindProcess(pid)
	defer child.Signal(syscall.SIGKILL) //nolint:errcheck // cleanup if the test fails early
	_, sid, err := procStat(pid)
	if err != nil {
		t.Fatalf("child %d is not running: %v", pid, err)
	}
	if sid != pid {
		t.Errorf("child session %d, want its own (%d)", sid, pid)
	}
	if b, err := os.ReadFile(pidPath); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Errorf("pid file %q (%v), want %d", b, err, pid)
	}
	if cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); err != nil || cwd != "/" {
		t.Errorf("child working directory %q (%v), want /", cwd, err)
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + e.Name())
		if target == inherited.Name() {
			t.Errorf("child holds the descriptor its parent inherited (fd %s)", e.Name())
		}
		if n, _ := strconv.Atoi(e.Name()); n <= 2 && target != os.DevNull {
			t.Errorf("child fd %d is %s, want /dev/null", n, target)
		}
	}
	// The daemon captures: its status page appears, in the start directory.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "status.html")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon wrote no status page")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := child.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for syscall.Kill(pid, 0) == nil {
		if isZombie(pid) {
			break // stopped; reaped by init, not by us
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not stop on SIGTERM")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pid file left after SIGTERM: %v", err)
	}
	if logs != nil {
		var got []string
		for time.Now().Before(deadline) {
			got = logs()
			if len(got) > 0 && strings.Contains(strings.Join(got, "\n"), "stopping on SIGTERM") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		all := strings.Join(got, "\n")
		t.Logf("syslog: %d message(s)", len(got))
		// <30> is facility daemon (3), severity info (6).
		if !strings.Contains(all, "<30>") || !strings.Contains(all, "ipband") || !strings.Contains(all, "stopping on SIGTERM") {
			t.Errorf("syslog got:\n%s", all)
		}
	}
}

// isZombie reports whether pid has exited but not been reaped.
func isZombie(pid int) bool {
	state, _, err := procStat(pid)
	return err != nil || state == "Z"
}

// procStat returns the state and session id of pid from /proc.
func procStat(pid int) (state string, session int, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, err
	}
	s := string(b)
	// pid (comm) state ppid pgrp session ...; comm may hold spaces.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 4 {
		return "", 0, os.ErrInvalid
	}
	session, err = strconv.Atoi(f[3])
	return f[0], session, err
}

// TestForkNoSyslog starts ipband with -F on a host without a system logger
// (no /dev/log): the daemon cannot log, so it does not start, and the
// parent says why and what to do instead (--foreground, or the JSON log),
// exits non-zero and leaves no output file, empty or not, and no pid file.
func TestForkNoSyslog(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	if _, err := os.Stat("/dev/log"); err == nil {
		t.Skip("this host has a system logger at /dev/log")
	}
	dir := t.TempDir()
	cmd := exec.Command(ipbandBinary(t), "-F", "-C", "-i", "lo", "-o", "out.txt", "-w", "page.html",
		"--json-file", "r.json", "--stats-file", "s.json", "--pidfile", "ipband.pid")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	want := "ipband: daemon did not start: syslog: Unix syslog delivery error: -F logs to syslog, and there is no system logger at /dev/log: " +
		"run ipband in the foreground (--foreground) under a service manager, which keeps its log from standard error, with --log-format json for a JSON log\n"
	if exitCode(err) == 0 || string(out) != want {
		t.Errorf("exit %d, %q; want non-zero and %q", exitCode(err), out, want)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		t.Errorf("%s left behind by a daemon that did not start", e.Name())
	}
}
