package privilege

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// ErrUnsafeDir is wrapped in the error of CheckDir for a directory another
// user could plant files or symbolic links in.
var ErrUnsafeDir = errors.New("unsafe directory")

// CheckDir checks that dir, a directory ipband creates files in (the mail
// spool, the evidence directory), is safe to write as the user uid: a
// directory (the path may be a symbolic link an admin made; what it
// names is checked), owned by uid, and writable by no one else, neither
// its group nor other users, as Postfix requires of its queue. Anyone
// else who may write it could plant a symbolic link for ipband to follow
// or a file for it to send. The error names the path, what is wrong and
// the command that fixes it, and wraps ErrUnsafeDir.
func CheckDir(dir string, uid int) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "check", Path: dir, Err: syscall.ENOTDIR}
	}
	if o, ok := owner(fi); ok && o != uid {
		return fmt.Errorf("%s: %w: owned by %s, not by %s, who writes it: chown %s %s, or name a directory of its own",
			dir, ErrUnsafeDir, userName(o), userName(uid), userArg(uid), dir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s: %w: writable by other users (mode %04o): chmod go-w %s",
			dir, ErrUnsafeDir, perm, dir)
	}
	return nil
}

// userName names the user uid, or gives its number when it has no name.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

// userArg names the user uid for a command line: its name, or its number.
func userArg(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
