//go:build !unix

package mail

import "os/exec"

// killGroup leaves cmd as it is: where there are no process groups the
// context kills the command alone.
func killGroup(cmd *exec.Cmd) {}
