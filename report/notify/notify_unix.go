//go:build unix

package notify

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroup runs cmd in a process group of its own and makes its context
// kill the whole group, so that a script's children cannot outlive its
// timeout.
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
