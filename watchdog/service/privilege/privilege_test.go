package privilege

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nobody returns the uid and gid of the user nobody, or skips the test.
func nobody(t *testing.T) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// TestMailCredential checks that mail commands never run as root: as root
// (with no drop) they get nobody's credential with no supplementary
// groups; as any other user they run as ipband does.
func TestMailCredential(t *testing.T) {
	cred, err := CommandCredential("")
	if err != nil {
		t.Fatal(err)
	}
	if dropping, err := CommandCredential("nobody"); dropping != nil || err != nil {
		t.Errorf("with a user to drop to: credential %+v (%v), want none", dropping, err)
	}
	if os.Geteuid() != 0 {
		if cred != nil {
			t.Errorf("not root: credential %+v, want none", cred)
		}
		return
	}
	uid, gid := nobody(t)
	if cred == nil || cred.UID != uint32(uid) || cred.GID != uint32(gid) || cred.Groups == nil || len(cred.Groups) != 0 {
		t.Errorf("root: credential %+v, want nobody's %d:%d with an empty group list", cred, uid, gid)
	}
}

// TestCheckDir checks the refusals of a directory ipband writes: not a
// directory, writable by its group or by others, owned by another user.
func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	me := os.Geteuid()
	if err := CheckDir(dir, me); err != nil {
		t.Errorf("a 0700 directory of our own: %v", err)
	}
	for _, mode := range []os.FileMode{0o770, 0o707, 0o1777} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		err := CheckDir(dir, me)
		if !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), "chmod go-w "+dir) {
			t.Errorf("mode %v: %v, want ErrUnsafeDir and the fix", mode, err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(dir, me+1); !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), "chown ") {
		t.Errorf("owned by another user: %v, want ErrUnsafeDir and the fix", err)
	}
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(file, me); err == nil {
		t.Error("a file was accepted as a directory")
	}
}
