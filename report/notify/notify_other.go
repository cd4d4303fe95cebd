//go:build !unix

package notify

import "os/exec"

// killGroup leaves cmd as it is: where there are no process groups its
// context kills the command only.
func killGroup(*exec.Cmd) {}
