package mail

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"ipband/watchdog/service/privilege"
)

// FailedDir is the directory, inside the spool directory, that holds the
// messages that failed for good: NAME.eml, the message as it was to be
// sent, and NAME.eml.error, why (the server's answer or the command's
// exit).
const FailedDir = "failed"

// spoolExt ends the name of every spooled message; tmpPrefix starts the
// name of one being written.
const (
	spoolExt  = ".eml"
	tmpPrefix = ".tmp-"
	lockName  = ".lock"
)

// spool is the directory of messages waiting to be sent. Each message is
// one file, named after the time it was queued (so that names sort oldest
// first) and holding the message exactly as it is sent. A file is written
// under a temporary name, synced, renamed and the directory synced, so a
// crash leaves either the whole message or none.
type spool struct {
	dir  string
	lock io.Closer // held while the queue runs
}

// openSpool creates dir (0700) and dir/failed when missing, checks that
// both belong to owner and that no one else may write them (a symbolic link
// at failed is refused), checks that files can be created in it, takes its
// lock and removes what a crash left half-written.
func openSpool(dir string, owner int) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := privilege.CheckDir(dir, owner); err != nil {
		return nil, err
	}
	failed := filepath.Join(dir, FailedDir)
	if err := os.Mkdir(failed, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if fi, err := os.Lstat(failed); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w: not a directory (a symbolic link is refused): remove it", failed, privilege.ErrUnsafeDir)
	}
	if err := privilege.CheckDir(failed, owner); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir, owner)
	if err != nil {
		return nil, err
	}
	s := &spool{dir: dir, lock: lock}
	if err := s.probe(); err != nil {
		lock.Close()
		return nil, err
	}
	names, err := s.list(func(n string) bool { return strings.HasPrefix(n, tmpPrefix) })
	if err != nil {
		lock.Close()
		return nil, err
	}
	for _, n := range names {
		os.Remove(filepath.Join(dir, n)) //nolint:errcheck // a leftover of a crash
	}
	return s, nil
}

// createExcl creates path for writing, mode 0600, never through a symbolic
// link and never over a file that exists: every file ipband creates in
// the spool has a name of its own.
func createExcl(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
}

// writeExcl writes data to the new file path, as createExcl creates it.
func writeExcl(path string, data []byte) error {
	f, err := createExcl(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// probe checks that a file can be created and synced in the spool, under
// a name of its own.
func (s *spool) probe() error {
	var r [6]byte
	rand.Read(r[:]) //nolint:errcheck // crypto/rand does not fail
	p := filepath.Join(s.dir, tmpPrefix+"probe-"+hex.EncodeToString(r[:]))
	f, err := createExcl(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if rerr := os.Remove(p); err == nil {
		err = rerr
	}
	return err
}

// list returns the names in the spool directory that keep accepts, sorted.
func (s *spool) list(keep func(string) bool) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && keep(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// messages returns the names of the spooled messages, oldest first.
func (s *spool) messages() ([]string, error) {
	return s.list(func(n string) bool {
		_, ok := spoolTime(n)
		return ok
	})
}

// newName returns a fresh message name for a message queued at t.
func newName(t time.Time) string {
	var r [6]byte
	rand.Read(r[:]) //nolint:errcheck // crypto/rand does not fail
	return fmt.Sprintf("%019d-%s%s", t.UnixNano(), hex.EncodeToString(r[:]), spoolExt)
}

// spoolTime returns the time a message named name was queued.
func spoolTime(name string) (time.Time, bool) {
	stamp, rest, ok := strings.Cut(name, "-")
	if !ok || len(stamp) != 19 || !strings.HasSuffix(rest, spoolExt) || strings.HasPrefix(name, ".") {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil || ns < 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// write stores data as the message name, durably.
func (s *spool) write(name string, data []byte) error {
	tmp := filepath.Join(s.dir, tmpPrefix+name)
	f, err := createExcl(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, name))
	}
	if err != nil {
		os.Remove(tmp) //nolint:errcheck // the error that matters is err
		return err
	}
	return syncDir(s.dir)
}

// read returns the message name.
func (s *spool) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, name))
}

// remove deletes the message name.
func (s *spool) remove(name string) error {
	err := os.Remove(filepath.Join(s.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// fail moves the message name to the failed directory with why beside it;
// data is written there instead when the message was never spooled (name
// not in the spool). It returns the message's new path.
func (s *spool) fail(name string, data []byte, why string) (string, error) {
	dst := filepath.Join(s.dir, FailedDir, name)
	if err := writeExcl(dst+".error", []byte(why+"\n")); err != nil {
		return dst, err
	}
	var err error
	if data != nil {
		err = writeExcl(dst, data)
	} else {
		err = os.Rename(filepath.Join(s.dir, name), dst)
	}
	if err == nil {
		err = syncDir(filepath.Join(s.dir, FailedDir))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	return dst, err
}

// close releases the spool's lock.
func (s *spool) close() error {
	return s.lock.Close()
}

// syncDir flushes the directory dir, so that a rename in it survives a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseSpooled reads the envelope and subject of a spooled message from the
// From, To and Subject headers that Message.Bytes wrote.
func parseSpooled(data []byte) (Envelope, string, error) {
	head, _, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return Envelope{}, "", errors.New("no end of header")
	}
	fields := map[string]string{}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Buffer(nil, len(head)+1)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if last != "" {
				fields[last] += line
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return Envelope{}, "", fmt.Errorf("bad header line %q", line)
		}
		last = strings.ToLower(k)
		fields[last] = strings.TrimLeft(v, " ")
	}
	var env Envelope
	env.From = strings.TrimSpace(fields["from"])
	for a := range strings.SplitSeq(fields["to"], ",") {
		if a = strings.TrimSpace(a); a != "" {
			env.To = append(env.To, a)
		}
	}
	if err := CheckAddresses(env.To); err != nil {
		return env, "", err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(fields["subject"])
	if err != nil {
		subject = fields["subject"]
	}
	return env, subject, nil
}
