package privilege

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// TestAsUser creates a file as nobody through AsUser, as root: the file
// is nobody's, a directory only root may write refuses it, and no other
// goroutine's thread keeps nobody's file system ids afterwards.
func TestAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("checking as another user needs root")
	}
	uid, _ := nobody(t)
	top := t.TempDir()
	if err := os.Chmod(filepath.Dir(top), 0o755); err != nil { // let nobody reach it
		t.Fatal(err)
	}
	if err := os.Chmod(top, 0o777); err != nil {
		t.Fatal(err)
	}
	private := filepath.Join(top, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	create := func(p string) func() error {
		return func() error {
			f, err := os.Create(p)
			if err == nil {
				err = f.Close()
			}
			return err
		}
	}
	if err := AsUser("nobody", create(filepath.Join(top, "f"))); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(top, "f"), &st); err != nil || int(st.Uid) != uid {
		t.Errorf("file made as nobody: owner %d (%v), want %d", st.Uid, err, uid)
	}
	if err := AsUser("nobody", create(filepath.Join(private, "f"))); !os.IsPermission(err) {
		t.Errorf("creating in a directory of root's 0700 as nobody: %v, want permission denied", err)
	}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := filepath.Join(private, strconv.Itoa(i))
			if err := create(p)(); err != nil {
				t.Errorf("as root after AsUser: %v", err)
			}
		}()
	}
	wg.Wait()
}
