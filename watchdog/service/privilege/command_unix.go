//go:build unix

package privilege

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Isolate runs cmd in a process group of its own, as cred when not nil,
// and makes its context kill the whole group, so that a shell wrapper or a
// helper it starts cannot outlive a cancelled or timed-out run. The mail
// command and the notify command are both started this way.
func Isolate(cmd *exec.Cmd, cred *Credential) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cred != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: cred.UID, Gid: cred.GID, Groups: cred.Groups, NoSetGroups: false}
	}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
