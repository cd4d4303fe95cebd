//go:build unix

package mail

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroup runs cmd in a process group of its own and makes its context
// kill the whole group, so that a shell wrapper or an MTA's helper cannot
// outlive a cancelled send.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
