//go:build unix

package report

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// checkFlags keep CheckFile from blocking on a FIFO with no reader.
const checkFlags = syscall.O_NONBLOCK

// unsafeDir reports whether, for a process running as root, the directory
// fi is writable by others or by a group other than root's, as logrotate
// judges it.
func unsafeDir(fi fs.FileInfo) bool {
	if os.Geteuid() != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	perm := fi.Mode().Perm()
	return perm&0o002 != 0 || perm&0o020 != 0 && (!ok || st.Gid != 0)
}
