package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"

	"ipband/report"
)

// fullFile is a file on a disk that fills up: while room is not negative,
// a write stores at most room bytes and fails with ENOSPC after them, as
// a write crossing into a page a full tmpfs cannot give does. It can be
// truncated, as an *os.File opened with O_APPEND can, and its offset is
// always its end.
type fullFile struct {
	bytes.Buffer
	room int // bytes a write may store before it fails; -1 for no limit
}

func (f *fullFile) Write(p []byte) (int, error) {
	if f.room < 0 || len(p) <= f.room {
		if f.room >= 0 {
			f.room -= len(p)
		}
		return f.Buffer.Write(p)
	}
	n, _ := f.Buffer.Write(p[:f.room])
	f.room = 0
	return n, syscall.ENOSPC
}

func (f *fullFile) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekCurrent {
		return 0, errors.New("fullFile: only Seek(0, io.SeekCurrent)")
	}
	return int64(f.Len()), nil
}

func (f *fullFile) Truncate(size int64) error {
	if size < 0 || size > int64(f.Len()) {
		return errors.New("fullFile: truncate beyond the end")
	}
	f.Buffer.Truncate(int(size))
	return nil
}

// TestRecordsWholeOnFullDisk fills the disk mid-record for each line and
// report output: the fragment written is cut off again, so the file holds
// whole records only, and once there is room the next record (and, for
// the text report, the pending one) follows the last whole one.
func TestRecordsWholeOnFullDisk(t *testing.T) {
	t.Run("report file", func(t *testing.T) {
		f := &fullFile{room: len(text(nthReport(0))) + 100} // the second report is cut after 100 bytes
		s := report.NewWriterSink(f, nil, nil)
		if err := s.Deliver(nthReport(0)); err != nil {
			t.Fatal(err)
		}
		if err := s.Deliver(nthReport(1)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("delivery on a full disk: %v, want ENOSPC", err)
		}
		if got, want := f.String(), text(nthReport(0)); got != want {
			t.Fatalf("after the failed write the file holds:\n%s", lineDiff(want, got))
		}
		f.room = -1
		if err := s.Deliver(nthReport(2)); err != nil {
			t.Fatal(err)
		}
		if got, want := f.String(), text(nthReport(0), nthReport(1), nthReport(2)); got != want {
			t.Errorf("file differs:\n%s", lineDiff(want, got))
		}
	})
	lines := func(t *testing.T, f *fullFile, write func(i int) error) {
		t.Helper()
		if err := write(0); err != nil {
			t.Fatal(err)
		}
		f.room = 20
		if err := write(1); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("line on a full disk: %v, want ENOSPC", err)
		}
		f.room = -1
		if err := write(2); err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(f.String(), "\n"), "\n")
		if len(got) != 2 {
			t.Fatalf("%d lines, want 2 (the one on a full disk lost whole):\n%s", len(got), f.String())
		}
		for i, l := range got {
			if !json.Valid([]byte(l)) {
				t.Errorf("line %d is not JSON: %q", i+1, l)
			}
		}
	}
	t.Run("json file", func(t *testing.T) {
		f := &fullFile{room: -1}
		j := report.NewJSONWriter(f, nil, nil)
		lines(t, f, func(i int) error { return j.Report(nthReport(i)) })
	})
	t.Run("stats file", func(t *testing.T) {
		f := &fullFile{room: -1}
		s := report.NewStatsWriter(f, nil)
		lines(t, f, func(int) error { return s.Period(samplePeriod()) })
	})
}
