//go:build !unix

package mail

import (
	"io"
	"os"
	"path/filepath"
)

// noFollow is O_NOFOLLOW where the system has one.
const noFollow = 0

// lockDir checks that a file can be created in dir; there is no lock.
func lockDir(dir string, _ int) (io.Closer, error) {
	return os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
}
