//go:build linux && (386 || arm)

package privilege

import "syscall"

// The system calls that set a thread's file system ids and groups: their
// 32-bit id forms (the plain ones take 16-bit ids here).
const (
	sysSetfsuid  = syscall.SYS_SETFSUID32
	sysSetfsgid  = syscall.SYS_SETFSGID32
	sysSetgroups = syscall.SYS_SETGROUPS32
)
