package main

import (
	"os"
	"os/exec"
	"syscall"
)

// daemonEnv marks the re-executed child of -F.
const daemonEnv = "IPBAND_DAEMON"

// daemonize starts ipband again in a new session with the same arguments,
// detached from the terminal (standard files on /dev/null), and returns
// the parent's exit status. Go cannot fork safely, so the child is a fresh
// process that sees daemonEnv and runs in the foreground of its session.
func daemonize(logf func(string, ...any)) int {
	self, err := os.Executable()
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	defer null.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	logf("running in the background as process %d", cmd.Process.Pid)
	return exitOK
}
