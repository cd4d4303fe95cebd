//go:build unix

package report_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"ipband/report"
)

// withUmask runs fn with the process umask set to mask.
func withUmask(mask int, fn func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

// mode returns the permission bits of path, which must exist.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Fatalf("%s: %v, want a regular file", path, fi.Mode())
	}
	return fi.Mode().Perm()
}

// TestCreateModeUmask checks that the report file is created 0640 less
// the umask, and the status page 0644 whatever the umask: it is there to
// be served by a web server.
func TestCreateModeUmask(t *testing.T) {
	for _, mask := range []int{0o022, 0o027, 0o077, 0o002, 0} {
		withUmask(mask, func() {
			dir := t.TempDir()
			want := fs.FileMode(0o640 &^ mask)
			out, page := filepath.Join(dir, "ipband.txt"), filepath.Join(dir, "ipband.html")
			if err := report.NewFileSink(out, nil, nil).Deliver(nthReport(0)); err != nil {
				t.Fatal(err)
			}
			if err := report.NewHTMLFile(page, "status", nil).Write(samplePeriod()); err != nil {
				t.Fatal(err)
			}
			if got := mode(t, out); got != want {
				t.Errorf("umask %03o: report file mode %v, want %v", mask, got, want)
			}
			if got := mode(t, page); got != report.DefaultPageMode {
				t.Errorf("umask %03o: page mode %v, want %v", mask, got, report.DefaultPageMode)
			}
		})
	}
}

// TestHTMLFileMode checks that the status page and its reports page get
// PageOptions.Mode on every rewrite, whatever mode they had.
func TestHTMLFileMode(t *testing.T) {
	page := filepath.Join(t.TempDir(), "ipband.html")
	h := report.NewStatusPage(page, "status", report.PageOptions{Mode: 0o640}, nil)
	for _, p := range []string{page, h.ReportsPath()} {
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Write(samplePeriod()); err != nil {
		t.Fatal(err)
	}
	if err := h.Report(nthReport(0)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{page, h.ReportsPath()} {
		if got := mode(t, p); got != 0o640 {
			t.Errorf("%s: mode %v after a rewrite, want 0640 as pagemode says", filepath.Base(p), got)
		}
	}
}

// TestHTMLFileSymlink plants a symbolic link at the page's path: the page
// replaces the link and the link's target is untouched.
func TestHTMLFileSymlink(t *testing.T) {
	dir := t.TempDir()
	victim, page := filepath.Join(dir, "victim"), filepath.Join(dir, "ipband.html")
	if err := os.WriteFile(victim, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, page); err != nil {
		t.Fatal(err)
	}
	if err := report.NewHTMLFile(page, "status", nil).Write(samplePeriod()); err != nil {
		t.Fatal(err)
	}
	mode(t, page) // a regular file now
	if got := readFile(t, victim); got != "keep\n" || mode(t, victim) != 0o600 {
		t.Errorf("the link's target changed: %q", got)
	}
}

// TestHTMLFileDirectory gives the page the path of a directory: the fault
// is named as such, once.
func TestHTMLFileDirectory(t *testing.T) {
	page := t.TempDir()
	var logs logRecorder
	h := report.NewHTMLFile(page, "status", logs.logf)
	for range 2 {
		if err := h.Write(samplePeriod()); !errors.Is(err, syscall.EISDIR) {
			t.Fatalf("error %v, want EISDIR", err)
		}
	}
	logs.expect(t, page+": rename: is a directory")
	if entries, _ := os.ReadDir(page); len(entries) != 0 {
		t.Errorf("left %d files in the directory", len(entries))
	}
}

// TestCheckFile checks report file paths before capture: good ones pass
// and leave the directory as it was, bad ones fail with the path and the
// cause.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("old reports\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want error // nil: passes
	}{
		{"-", nil},
		{filepath.Join(dir, "new.txt"), nil},
		{file, nil},
		{"/dev/full", nil}, // it opens: writes fail later, and are retried
		{dir, syscall.EISDIR},
		{filepath.Join(dir, "missing", "x.txt"), syscall.ENOENT},
		{filepath.Join(file, "x.txt"), syscall.ENOTDIR},
		{link, report.ErrSymlink},
		{dangling, report.ErrSymlink},
	}
	for _, tc := range cases {
		err := report.CheckFile(tc.path)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("CheckFile(%s): %v", tc.path, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("CheckFile(%s): %v, want %v", tc.path, err, tc.want)
		case err != nil && !strings.Contains(err.Error(), tc.path):
			t.Errorf("CheckFile(%s): %v does not name the path", tc.path, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || readFile(t, file) != "old reports\n" {
		t.Errorf("the check changed the directory: %d entries, file %q", len(entries), readFile(t, file))
	}
}

// TestCheckPage checks status page paths before capture.
func TestCheckPage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want error
	}{
		{"", nil},
		{filepath.Join(dir, "new.html"), nil},
		{link, nil}, // replaced, not followed
		{dir, syscall.EISDIR},
		{filepath.Join(dir, "missing", "x.html"), syscall.ENOENT},
		{filepath.Join(file, "x.html"), syscall.ENOTDIR},
	}
	for _, tc := range cases {
		err := report.CheckPage(tc.path)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("CheckPage(%s): %v", tc.path, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("CheckPage(%s): %v, want %v", tc.path, err, tc.want)
		case err != nil && !strings.Contains(err.Error(), tc.path):
			t.Errorf("CheckPage(%s): %v does not name the path", tc.path, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the check left %d entries, want 2", len(entries))
	}
}

// TestCheckUnsafeDir checks, as root, that outputs in a directory others
// can write are refused, as logrotate refuses them, and that a directory
// writable by root's group only is accepted.
func TestCheckUnsafeDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root is protected")
	}
	for _, tc := range []struct {
		perm   fs.FileMode
		gid    int
		unsafe bool
	}{
		{0o755, 0, false},
		{0o775, 0, false},
		{0o775, 1, true},
		{0o777, 0, true},
		{0o777 | fs.ModeSticky, 0, true},
	} {
		dir := filepath.Join(t.TempDir(), "d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 0, tc.gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, tc.perm); err != nil {
			t.Fatal(err)
		}
		for name, check := range map[string]func(string) error{"CheckFile": report.CheckFile, "CheckPage": report.CheckPage} {
			err := check(filepath.Join(dir, "out"))
			if got := errors.Is(err, report.ErrUnsafeDir); got != tc.unsafe || !tc.unsafe && err != nil {
				t.Errorf("%s in a directory %v group %d: %v, unsafe %v", name, tc.perm, tc.gid, err, tc.unsafe)
			}
		}
	}
}
