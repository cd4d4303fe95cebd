//go:build linux

package privilege

import (
	"fmt"
	"runtime"
	"syscall"
)

// AsUser runs check with the file system permissions of the user ipband
// will drop to (name): the kernel judges every open, create and remove
// check makes as it will judge them after the drop, so that an output the
// user cannot write stops ipband at start rather than losing every report.
// When no drop is needed (name empty, or the user ipband runs as) check
// runs as it is. check must make its system calls on the goroutine it is
// called on.
//
// It runs check on a goroutine locked to a thread of its own whose file
// system user and group, and supplementary groups, are the user's; the
// thread is never given back to the scheduler: it ends with the goroutine.
func AsUser(name string, check func() error) error {
	id, drop, err := Target(name)
	if err != nil {
		return err
	}
	if !drop {
		return check()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := becomeOnThread(id); err != nil {
			done <- fmt.Errorf("user %s: %w", id.Name, err)
			return
		}
		done <- check()
	}()
	return <-done
}

// becomeOnThread gives the calling thread, and only it, id's file system
// user and group and no supplementary group. setfsuid to a user other
// than root clears the file system capabilities (CAP_DAC_OVERRIDE and the
// like) of the thread.
func becomeOnThread(id Identity) error {
	if _, _, e := syscall.RawSyscall(sysSetgroups, 0, 0, 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	syscall.RawSyscall(sysSetfsgid, uintptr(id.GID), 0, 0)
	syscall.RawSyscall(sysSetfsuid, uintptr(id.UID), 0, 0)
	// setfsuid and setfsgid return the previous id, never an error: ask
	// again (with an invalid id, which changes nothing) to confirm.
	uid, _, _ := syscall.RawSyscall(sysSetfsuid, ^uintptr(0), 0, 0)
	gid, _, _ := syscall.RawSyscall(sysSetfsgid, ^uintptr(0), 0, 0)
	if int(uid) != id.UID || int(gid) != id.GID {
		return fmt.Errorf("file system ids %d:%d, want %d:%d", uid, gid, id.UID, id.GID)
	}
	return nil
}
