package privilege

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// Identity is a user ipband runs as, or starts commands as. The zero
// Identity is no user.
type Identity struct {
	Name     string
	UID, GID int // the user's id and primary group
}

// CommandUser is the user a mail or notify command runs as when ipband
// itself runs as root with no user to drop to: commands never run as
// root.
const CommandUser = "nobody"

// Lookup finds a user by name, or by numeric id when name is all digits
// and no user has that name.
func Lookup(name string) (Identity, error) {
	u, err := user.Lookup(name)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
	}
	var unknownID user.UnknownUserIdError
	switch {
	case errors.As(err, &unknown), errors.As(err, &unknownID):
		return Identity{}, fmt.Errorf("user %s: no such user", name)
	case err != nil:
		return Identity{}, fmt.Errorf("user %s: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return Identity{}, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return Identity{}, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	return Identity{Name: u.Username, UID: uid, GID: gid}, nil
}

// Target resolves the user to drop to and says whether a drop is needed:
// not when name is empty or is the user ipband already runs as.
// Switching to another user needs root, and root is not a user to drop to.
func Target(name string) (Identity, bool, error) {
	if name == "" {
		return Identity{}, false, nil
	}
	id, err := Lookup(name)
	if err != nil {
		return Identity{}, false, err
	}
	euid := os.Geteuid()
	switch {
	case euid != 0 && id.UID == euid && os.Getuid() == euid:
		return id, false, nil // already that user (a service manager started us so)
	case euid != 0:
		return Identity{}, false, fmt.Errorf("user %s: ipband runs as uid %d, and only root can switch to another user", name, euid)
	case id.UID == 0:
		return Identity{}, false, fmt.Errorf("user %s: is root; name an unprivileged user to run as", name)
	}
	return id, true, nil
}

// Check makes Drop's checks of name without switching: the parent of -F
// checks what its child will do.
func Check(name string) error {
	_, _, err := Target(name)
	return err
}

// CommandCredential returns the credential a mail or notify command is
// started with: nil, the command running as ipband's own user, when
// ipband is not root or will drop to user (the drop comes before any
// command runs); when ipband stays root, the credential of the user
// nobody with no supplementary groups, so that a command never runs as
// root. It fails when ipband stays root and there is no user nobody.
func CommandCredential(user string) (*Credential, error) {
	if os.Geteuid() != 0 || user != "" {
		return nil, nil
	}
	id, err := Lookup(CommandUser)
	if err != nil {
		return nil, fmt.Errorf("ipband runs as root with no user/--user, and commands never run as root: %w", err)
	}
	return &Credential{UID: uint32(id.UID), GID: uint32(id.GID), Groups: []uint32{}}, nil
}

// Writer returns the user id ipband writes its files as: the user it will
// drop to (name), else the user it runs as.
func Writer(name string) (int, error) {
	id, drop, err := Target(name)
	if err != nil {
		return 0, err
	}
	if drop {
		return id.UID, nil
	}
	return os.Geteuid(), nil
}

// HandOver gives the directory tree at path to user, whom ipband will
// drop to: a directory created and checked as root, before the capture
// opens, and written after the drop. It does nothing when ipband is not
// root or stays root, or when path does not exist. A tree owned by
// neither root nor user is not taken from its owner: the error, wrapping
// ErrUnsafeDir, names it and the fix.
func HandOver(path, user string) error {
	if os.Geteuid() != 0 || user == "" {
		return nil
	}
	id, err := Lookup(user)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if o, ok := owner(fi); ok && o != 0 && o != id.UID {
		return fmt.Errorf("%s: %w: owned by %s, neither root nor %s: chown -R %s %s, or name a directory of its own",
			path, ErrUnsafeDir, userName(o), id.Name, id.Name, path)
	}
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, id.UID, id.GID)
	})
}
