package report

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// lineFile appends lines of JSON to a file it keeps open between writes,
// or to a writer ("-", standard output). Each line goes out in one Write
// call, with O_APPEND, so lines of concurrent writers never interleave,
// and is in the file whole or not at all (appendRecord): a write cut short
// by a full disk is truncated away. A line that cannot be written is lost, counted and logged once per
// fault; a file that failed is opened again for the next line. reopen
// closes the file and opens it again by name, after log rotation.
type lineFile struct {
	path string
	w    io.Writer // the output for "-", else nil

	mu   sync.Mutex // guards all following fields
	f    *os.File   // the open file, or nil
	cond condition
	lost uint64 // lines lost in the current fault
}

// openLineFile opens path for appending ("-" is standard output) and
// returns the file, or an error naming path when it cannot be opened.
func openLineFile(path, name string, logf Logf) (*lineFile, error) {
	l := &lineFile{path: path, cond: condition{logf: logf, name: name}}
	if path == "-" {
		l.w = os.Stdout
		return l, nil
	}
	f, err := openAppend(path, os.O_CREATE)
	if err != nil {
		return nil, err
	}
	l.f = f
	return l, nil
}

// newLineWriter returns a lineFile writing to w, which it never closes.
func newLineWriter(w io.Writer, name string, logf Logf) *lineFile {
	return &lineFile{path: "-", w: w, cond: condition{logf: logf, name: name}}
}

// write appends line, which ends in a newline.
func (l *lineFile) write(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.w
	if w == nil {
		if l.f == nil {
			f, err := openAppend(l.path, os.O_CREATE)
			if err != nil {
				return l.failed("open", err)
			}
			l.f = f
		}
		w = l.f
	}
	if err := appendRecord(w, line); err != nil {
		if l.f != nil {
			l.f.Close() //nolint:errcheck // the write error is the one to report
			l.f = nil
		}
		return l.failed("write", err)
	}
	detail := ""
	if l.lost > 0 {
		detail = fmt.Sprintf("; %d line(s) lost", l.lost)
	}
	l.cond.recover(detail)
	l.lost = 0
	return nil
}

// failed counts a lost line and logs the fault if it is new.
func (l *lineFile) failed(op string, err error) error {
	l.lost++
	l.cond.fail(op, err, "; line lost")
	return fmt.Errorf("%s: %w", l.cond.name, err)
}

// reopen closes the file and opens it again by name.
func (l *lineFile) reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		return nil
	}
	var cerr error
	if l.f != nil {
		cerr = l.f.Close()
		l.f = nil
	}
	f, err := openAppend(l.path, os.O_CREATE)
	if err != nil {
		l.cond.fail("open", err, "")
		return fmt.Errorf("%s: %w", l.cond.name, err)
	}
	l.f = f
	if cerr != nil {
		return fmt.Errorf("%s: close: %w", l.cond.name, cerr)
	}
	return nil
}

// close closes the file; later writes open it again.
func (l *lineFile) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", l.cond.name, err)
	}
	return nil
}
