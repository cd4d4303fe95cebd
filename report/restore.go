package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"
)

// MaxRestore is the most of the stats stream's end, in bytes, that
// RestoreHistory reads: 16 MiB, a day of periods for a few dozen subnets.
const MaxRestore = 16 << 20

// statsLine is the part of a stats stream line (statsfile) that the
// history needs. The stream's field names are these tags and nowhere else:
//
//	{"start":"…","end":"…","periods":1,
//	 "subnets":[{"subnet":"10.0.0.0/24","name":"","bytes":N,"kbps":F,
//	             "threshold_kbps":F,"logging":false}], …counters}
//
// "periods" (a run of idle periods in one line) may be absent, meaning 1;
// the rate is recomputed from "bytes", which the stream does not round.
type statsLine struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Periods int64     `json:"periods"`
	Subnets []struct {
		Subnet    netip.Prefix `json:"subnet"`
		Name      string       `json:"name"`
		Bytes     uint64       `json:"bytes"`
		Threshold float64      `json:"threshold_kbps"`
		Logging   bool         `json:"logging"`
		InBytes   uint64       `json:"in_bytes"`
		OutBytes  uint64       `json:"out_bytes"`
		ThreshIn  float64      `json:"threshold_in_kbps"`
		ThreshOut float64      `json:"threshold_out_kbps"`
	} `json:"subnets"`
}

// RestoreHistory adds to h the periods of the stats stream at path that
// ended within DayWindow of its last line, reading at most its last
// MaxRestore bytes. A missing file restores nothing and is not an error.
// Lines that do not parse are skipped and counted in the error (the rest
// is restored), which names the file and the first bad line's number
// within what was read.
func RestoreHistory(h *History, path string) (int, error) {
	return restore(path, "restore history", h.Add)
}

// RestoreWindow adds to w the periods of the stats stream at path that
// ended within WindowSpan of its last line, as RestoreHistory does for a
// History, so that the 95th percentiles survive a restart.
func RestoreWindow(w *RateWindow, path string) (int, error) {
	return restore(path, "restore rate window", w.Add)
}

// restore hands add the periods of the stats stream at path that ended
// within a day of its last line; what names the operation in errors.
func restore(path, what string, add func(*Period)) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	r, skipFirst, err := tail(f, MaxRestore)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", what, path, err)
	}
	periods, bad, first := readStats(r, skipFirst)
	n := 0
	if len(periods) > 0 {
		cut := endOfRepeat(periods[len(periods)-1]).Add(-DayWindow)
		for _, p := range periods {
			if endOfRepeat(p).After(cut) {
				add(p)
				n++
			}
		}
	}
	if bad > 0 {
		return n, fmt.Errorf("%s: %s: %d line(s) skipped, the first at line %d of the last %d bytes", what, path, bad, first, MaxRestore)
	}
	return n, nil
}

// ReadStats reads a whole stats stream (statsfile) into the periods it
// summarises, in order. Lines that do not parse are skipped; the error
// counts them and names the first by its line number, and the periods
// read are returned with it.
func ReadStats(r io.Reader) ([]*Period, error) {
	periods, bad, first := readStats(r, false)
	if bad > 0 {
		return periods, fmt.Errorf("%d line(s) skipped, the first at line %d", bad, first)
	}
	return periods, nil
}

// tail returns a reader of at most the last max bytes of f, and whether
// it starts inside a line.
func tail(f *os.File, max int64) (io.Reader, bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if fi.Size() <= max {
		return f, false, nil
	}
	if _, err := f.Seek(fi.Size()-max, io.SeekStart); err != nil {
		return nil, false, err
	}
	return io.LimitReader(f, max), true, nil
}

// readStats parses stats lines into periods. It returns the number of bad
// lines and the number of the first.
func readStats(r io.Reader, skipFirst bool) ([]*Period, int, int) {
	var out []*Period
	bad, first := 0, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxRestore)
	for n := 1; sc.Scan(); n++ {
		if skipFirst && n == 1 {
			continue
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		p, err := parseStatsLine(line)
		if err != nil {
			if bad == 0 {
				first = n
			}
			bad++
			continue
		}
		out = append(out, p)
	}
	return out, bad, first
}

// parseStatsLine turns one stats line into the Period it summarises.
func parseStatsLine(line []byte) (*Period, error) {
	var s statsLine
	if err := json.Unmarshal(line, &s); err != nil {
		return nil, err
	}
	if s.Periods < 1 {
		s.Periods = 1
	}
	if !s.End.After(s.Start) {
		return nil, fmt.Errorf("end %v not after start %v", s.End, s.Start)
	}
	avg := s.End.Sub(s.Start) / time.Duration(s.Periods)
	if avg <= 0 {
		return nil, fmt.Errorf("%d periods in %v", s.Periods, s.End.Sub(s.Start))
	}
	p := &Period{Start: s.Start, End: s.Start.Add(avg), Repeat: s.Periods - 1}
	for _, l := range s.Subnets {
		p.Lines = append(p.Lines, Line{
			Subnet: l.Subnet, Name: l.Name, Bytes: l.Bytes,
			KBps:      float64(l.Bytes) / 1024 / avg.Seconds(),
			Threshold: l.Threshold, Logging: l.Logging,
			InBytes: l.InBytes, OutBytes: l.OutBytes,
			InKBps:      float64(l.InBytes) / 1024 / avg.Seconds(),
			OutKBps:     float64(l.OutBytes) / 1024 / avg.Seconds(),
			ThresholdIn: l.ThreshIn, ThresholdOut: l.ThreshOut,
		})
	}
	return p, nil
}
