//go:build unix

package mail

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// noFollow refuses a symbolic link as the last element of a path.
const noFollow = syscall.O_NOFOLLOW

// lockDir takes an exclusive lock on dir/.lock, so that two ipband
// processes never send the same spool. The lock goes with the process.
// The lock file keeps its name from run to run; it is never opened
// through a symbolic link. It belongs to owner: root checking a spool for
// the user it will drop to gives that user the lock file it made.
func lockDir(dir string, owner int) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 && owner != 0 {
		if err := f.Chown(owner, -1); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another ipband", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}
