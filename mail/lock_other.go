//go:build !unix

package mail

import (
	"io"
	"os"
	"path/filepath"
)

// lockDir checks that a file can be created in dir; there is no lock.
func lockDir(dir string) (io.Closer, error) {
	return os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
}
