package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// fileMode is the mode output files are created with, less the umask:
// readable by the owner's group, by no one else.
const fileMode = 0o640

// ErrSymlink is the cause of an output file that is a symbolic link:
// output files are opened without following links, so that a link planted
// in a directory others can write does not make ipband write elsewhere.
var ErrSymlink = errors.New("is a symbolic link, not followed")

// ErrUnsafeDir is the cause of an output file, for a process running as
// root, in a directory that other users can write, as logrotate refuses
// one: they could put a file of their choice in its place.
var ErrUnsafeDir = errors.New("writable by other users, unsafe for root")

// CheckFile checks, before capture starts, that a FileSink can append to
// the report file at path: its directory exists and, for root, is not
// writable by other users (ErrUnsafeDir); path is not a directory nor a
// symbolic link (ErrSymlink); and the file can be opened for appending or
// created. It leaves nothing behind: a file it had to create is removed.
// "-" (standard output) passes. Errors read "PATH: cause" and wrap the
// cause (syscall.EISDIR, ENOENT, EROFS, ...).
func CheckFile(path string) error {
	if path == "-" {
		return nil
	}
	return checked(path, func() error {
		f, err := openAppend(path, checkFlags)
		if errors.Is(err, fs.ErrNotExist) {
			if f, err = openAppend(path, os.O_CREATE|os.O_EXCL); err == nil {
				defer os.Remove(path)
			}
		}
		if err != nil {
			return err
		}
		return f.Close()
	})
}

// CheckPage checks, before capture starts, that an HTMLFile can write the
// status page at path: its directory exists, is not unsafe for root
// (ErrUnsafeDir) and takes a temporary file, and path is not a directory.
// It leaves nothing behind. "" (no page) passes. Errors are as
// CheckFile's.
func CheckPage(path string) error {
	if path == "" {
		return nil
	}
	return checked(path, func() error {
		if err := notDir(path, "rename"); err != nil {
			return err
		}
		f, err := createTemp(path)
		if err != nil {
			return err
		}
		f.Close()
		return os.Remove(f.Name())
	})
}

// checked checks the directory of path, then runs check; an error reads
// "PATH: cause".
func checked(path string, check func() error) error {
	err := checkDir(path)
	if err == nil {
		err = check()
	}
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// checkDir checks that the directory of path exists and is safe; its
// error reads "directory DIR: cause".
func checkDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err == nil && unsafeDir(fi) {
		err = ErrUnsafeDir
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	return nil
}

// notDir returns a *fs.PathError with syscall.EISDIR for op when path is
// a directory.
func notDir(path, op string) error {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return &fs.PathError{Op: op, Path: path, Err: syscall.EISDIR}
	}
	return nil
}

// openAppend opens path for appending, without following a symbolic link
// (ErrSymlink), with extra flags; a file it creates gets fileMode less
// the umask.
func openAppend(path string, extra int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|noFollow|extra, fileMode)
	if errors.Is(err, syscall.ELOOP) && isLink(path) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	return f, err
}

// createTemp creates a new temporary file beside path, for writing, with
// fileMode less the umask, never through a symbolic link.
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, fileMode)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
}

// isLink reports whether path is a symbolic link.
func isLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}
