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
)

// TestFork builds ipband and starts it with -F on the loopback interface:
// the parent must return at once with the child's process id, and the
// child must run on in a session of its own, detached from the terminal,
// until it is told to stop with SIGTERM.
func TestFork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ipband")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-F", "-C", "-i", "lo", "-a", "1", "-w", filepath.Join(dir, "status.html"), "-o", filepath.Join(dir, "out.txt"))
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
	// The daemon captures: its status page appears within a few periods.
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
