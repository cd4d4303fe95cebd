//go:build unix

package mail

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// setProcAttr runs cmd in a process group of its own, as cred when not
// nil, and makes its context kill the whole group, so that a shell wrapper
// or an MTA's helper cannot outlive a cancelled send.
func setProcAttr(cmd *exec.Cmd, cred *Credential) {
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
