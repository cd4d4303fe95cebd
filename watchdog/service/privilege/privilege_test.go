package privilege

import (
	"os"
	"os/user"
	"strconv"
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
