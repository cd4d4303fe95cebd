package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// MaxPending is the most report text, in bytes, a FileSink keeps in memory
// while its output fails: 16 MiB. Beyond it the oldest pending reports are
// dropped (the newest report is always kept), counted and logged.
const MaxPending = 16 << 20

// ErrPending is wrapped, with the cause, in the error of a delivery that
// could not be written: the report is kept in memory and written later.
var ErrPending = errors.New("report: output failed, report kept in memory")

// Logf logs one message, printf style, for a person to read: a line
// without trailing newline and without the program's name, which the
// logger adds. A nil Logf discards messages.
type Logf func(format string, args ...any)

// condition remembers the fault an output is in, so that each fault is
// logged once, when it starts, changes or ends, not every period.
type condition struct {
	logf Logf
	name string // the output, as logs name it
	key  string // the fault ("write: no space left on device"), "" when ok
}

// fail records a fault; it logs "name: fault" + detail when the fault is
// new.
func (c *condition) fail(op string, err error, detail string) {
	key := describe(op, err)
	if key == c.key {
		return
	}
	c.key = key
	c.log("%s: %s%s", c.name, key, detail)
}

// recover ends a fault, logging "name: writable again" + detail.
func (c *condition) recover(detail string) {
	if c.key == "" {
		return
	}
	c.key = ""
	c.log("%s: writable again%s", c.name, detail)
}

func (c *condition) log(format string, args ...any) {
	if c.logf != nil {
		c.logf(format, args...)
	}
}

// describe names a fault by its operation and cause, without the path:
// "open: not a directory".
func describe(op string, err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Op + ": " + le.Err.Error()
	}
	return op + ": " + err.Error()
}

// FileSink appends reports, as WriteText renders them, to a file or a
// writer. It keeps working through faults: the file is opened (O_APPEND,
// O_CREATE, O_NOFOLLOW: a symbolic link is refused with ErrSymlink; mode
// 0640 less the umask) for each delivery and closed again, so a file
// removed or rotated while running is recreated with the next report; when
// opening or writing fails, the report text is kept in memory, in order,
// and written before the next report and on Retry. Pending text is bounded
// by MaxPending; beyond it the oldest reports are dropped.
//
// Each report goes out in a single Write of its whole text, and is in the
// file whole or not at all: a write that stops part way (a full disk) is
// cut off again, the file truncated back to the end of the last whole
// report, and the report stays pending, written again later in one piece.
// A writer sink that cannot be truncated (a pipe) keeps what was written.
//
// Faults are logged once per condition: when one starts ("out.txt: write:
// no space left on device; keeping 1 report(s) in memory"), when it
// changes to another, and when the output works again ("out.txt: writable
// again; wrote 3 pending report(s)"). A FileSink is safe for concurrent
// use.
//
// The zero FileSink is not usable: make one with NewFileSink or
// NewWriterSink.
type FileSink struct {
	path  string    // opened per delivery when w is nil
	w     io.Writer // the output, for a writer sink
	names *Names

	mu      sync.Mutex // guards all following fields
	cond    condition
	pending [][]byte // report texts not yet written, oldest first
	size    int      // bytes in pending
	dropped int      // pending reports dropped in the current fault
	scratch []byte   // rendering buffer, reused when a report is written at once
}

// NewFileSink returns a sink appending reports to the file at path; "-"
// means standard output. Names are looked up in names (nil means
// EmbeddedNames()); faults are logged with logf (nil discards them).
func NewFileSink(path string, names *Names, logf Logf) *FileSink {
	if path == "-" {
		s := NewWriterSink(os.Stdout, names, logf)
		s.cond.name = "standard output"
		return s
	}
	return &FileSink{path: path, names: names, cond: condition{logf: logf, name: path}}
}

// NewWriterSink returns a sink writing reports to w, which it never
// closes; otherwise it behaves as NewFileSink.
func NewWriterSink(w io.Writer, names *Names, logf Logf) *FileSink {
	return &FileSink{w: w, names: names, cond: condition{logf: logf, name: "output"}}
}

// SetName sets how the sink's fault messages name its output ("standard
// output"); NewWriterSink names it "output", NewFileSink its path.
func (s *FileSink) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cond.name = name
}

// Deliver renders r and appends it to the output after any pending
// reports. When that fails the report is kept in memory and the returned
// error wraps ErrPending and the cause; the sink has already logged the
// fault if it is new, so callers need not log it again.
func (s *FileSink) Deliver(r Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scratch = AppendText(s.scratch[:0], r, s.names)
	return s.flush(s.scratch)
}

// Retry writes the pending reports, if any. Its error is as Deliver's.
func (s *FileSink) Retry() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 && s.cond.key == "" {
		return nil
	}
	return s.flush(nil)
}

// Pending returns the number of reports kept in memory, waiting for the
// output to work again.
func (s *FileSink) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// flush writes the pending reports and then text (nil for none), keeping
// what could not be written.
func (s *FileSink) flush(text []byte) error {
	out, closeOut, err := s.open()
	if err != nil {
		return s.failed("open", err, text)
	}
	wrote := 0
	for _, p := range s.pending {
		if err = appendRecord(out, p); err != nil {
			break
		}
		s.size -= len(p)
		wrote++
	}
	s.pending = s.pending[:copy(s.pending, s.pending[wrote:])]
	if err == nil && text != nil {
		if err = appendRecord(out, text); err == nil {
			text = nil
		}
	}
	cerr := closeOut()
	if err != nil {
		return s.failed("write", err, text)
	}
	if cerr != nil {
		return s.failed("close", cerr, nil)
	}
	detail := ""
	if wrote > 0 || s.dropped > 0 {
		detail = fmt.Sprintf("; wrote %d pending report(s)", wrote)
	}
	if s.dropped > 0 {
		detail += fmt.Sprintf(", %d dropped", s.dropped)
	}
	s.cond.recover(detail)
	s.dropped = 0
	return nil
}

// open opens the output for one delivery.
func (s *FileSink) open() (io.Writer, func() error, error) {
	if s.w != nil {
		return s.w, func() error { return nil }, nil
	}
	f, err := openAppend(s.path, os.O_CREATE)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// writeAll writes b with one Write call.
func writeAll(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// recordFile is a file appended to a record at a time: an *os.File opened
// with O_APPEND, or a test's file that fails mid-record.
type recordFile interface {
	io.Writer
	io.Seeker
	Truncate(size int64) error
}

// appendRecord appends one record (a report, a JSON line, a stats line) to
// w, opened with O_APPEND, with one Write call, so that the record is in
// the file whole or not at all: when the write stops part way (a full
// disk fills up at a page boundary), the part written is cut off again,
// truncating the file back to where the record started, so that the next
// record is not appended to a fragment. A w that cannot be truncated (a
// pipe, a terminal) keeps what was written. The error is the write's; a
// failed truncation is joined to it.
func appendRecord(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err == nil || n <= 0 {
		return err
	}
	f, ok := w.(recordFile)
	if !ok {
		return err
	}
	// With O_APPEND the offset is the end of what this write appended.
	end, serr := f.Seek(0, io.SeekCurrent)
	if serr != nil {
		return err // not a regular file: nothing to cut
	}
	if terr := f.Truncate(end - int64(n)); terr != nil {
		return errors.Join(err, fmt.Errorf("cutting off a partial record: %w", terr))
	}
	return err
}

// failed keeps text (when not nil) pending, logs the fault if it is new,
// and returns the delivery error.
func (s *FileSink) failed(op string, err error, text []byte) error {
	if text != nil {
		s.pending = append(s.pending, bytes.Clone(text))
		s.size += len(text)
	}
	drop := 0
	for s.size > MaxPending && len(s.pending)-drop > 1 {
		s.size -= len(s.pending[drop])
		s.pending[drop] = nil
		drop++
	}
	if drop > 0 {
		s.pending = s.pending[:copy(s.pending, s.pending[drop:])]
		if s.dropped == 0 {
			s.cond.log("%s: dropped the oldest pending report(s): over %d MiB kept in memory", s.cond.name, MaxPending>>20)
		}
		s.dropped += drop
	}
	s.cond.fail(op, err, fmt.Sprintf("; keeping %d report(s) in memory", len(s.pending)))
	return fmt.Errorf("%w: %w", ErrPending, err)
}

// HTMLFile is the -w status page file. Each Write renders the page to a
// temporary file in the same directory (created anew, never through a
// symbolic link, then given the page's mode: PageOptions.Mode, by default
// DefaultPageMode, 0644, whatever the umask) and renames it over the page, so a web server never serves a
// half-written page; a symbolic link at the page's path is replaced, not
// followed. Faults are logged once per
// condition, as FileSink logs them, and the next period tries again. An
// HTMLFile is safe for concurrent use.
//
// The zero HTMLFile is not usable: make one with NewHTMLFile.
type HTMLFile struct {
	path, title string
	mode        fs.FileMode // of the page and its reports page

	mu   sync.Mutex // guards cond
	cond condition
	st   *pageState // guarded by mu: history and recent reports (page.go)
}

// NewHTMLFile returns the status page file at path, with the given page
// title; faults are logged with logf (nil discards them).
func NewHTMLFile(path, title string, logf Logf) *HTMLFile {
	return &HTMLFile{path: path, title: title, mode: DefaultPageMode, cond: condition{logf: logf, name: path}}
}

// Write replaces the page with the page of period p.
func (h *HTMLFile) Write(p *Period) error { return h.period(p) }

// DefaultPageMode is the mode of the status page and its reports page
// when PageOptions.Mode is 0: the page is there to be served by a web
// server, so other users may read it.
const DefaultPageMode fs.FileMode = 0o644

// replaceFile writes b to a temporary file beside path, sets its mode
// (whatever the umask) and renames it to path. A directory at path is
// refused with syscall.EISDIR.
func replaceFile(path string, b []byte, mode fs.FileMode) error {
	if err := notDir(path, "rename"); err != nil {
		return err
	}
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = writeAll(f, b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
