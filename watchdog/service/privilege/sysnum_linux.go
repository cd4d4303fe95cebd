//go:build linux && !386 && !arm

package privilege

import "syscall"

// The system calls that set a thread's file system ids and groups.
const (
	sysSetfsuid  = syscall.SYS_SETFSUID
	sysSetfsgid  = syscall.SYS_SETFSGID
	sysSetgroups = syscall.SYS_SETGROUPS
)
