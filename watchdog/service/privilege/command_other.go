//go:build !unix

package privilege

import "os/exec"

// Isolate leaves cmd as it is: where there are no process groups the
// context kills the command alone, and Credential is not supported.
func Isolate(cmd *exec.Cmd, cred *Credential) {}
