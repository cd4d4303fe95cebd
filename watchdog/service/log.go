package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strconv"
	"sync"
	"time"
	"unicode"

	"ipband/report"
)

// Log formats for NewLogger.
const (
	FormatText = "text" // "TIME ipband: message key=value", one line a record
	FormatJSON = "json" // slog's JSON, one object a line
)

// ErrLogFormat is returned by NewLogger for an unknown format.
var ErrLogFormat = errors.New("service: unknown log format")

// LogOptions choose where and how the program logs.
type LogOptions struct {
	// Format is FormatText or FormatJSON ("" is FormatText).
	Format string
	// Syslog sends every record to the system logger (daemon facility),
	// formatted as Format without the timestamp, which syslog adds.
	Syslog bool
	// W gets the records when Syslog is false: standard error.
	W io.Writer
	// NoTime leaves the timestamp out of text records (tests that compare
	// output byte for byte).
	NoTime bool
	// Tag is the program name in text records and syslog ("ipband").
	Tag string
}

// NewLogger returns the program's logger for o. Faults are logged at
// warning or error level, each with its subsystem attribute (see Logf);
// syslog gets the matching priority.
func NewLogger(o LogOptions) (*slog.Logger, error) {
	if o.Tag == "" {
		o.Tag = "ipband"
	}
	w := o.W
	var sl *syslog.Writer
	if o.Syslog {
		var err error
		sl, err = syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, o.Tag)
		if err != nil {
			return nil, fmt.Errorf("syslog: %w", err)
		}
		w = io.Discard
	}
	switch o.Format {
	case "", FormatText:
		return slog.New(&lineHandler{w: w, tag: o.Tag, time: !o.NoTime && !o.Syslog, syslog: sl, mu: new(sync.Mutex)}), nil
	case FormatJSON:
		if sl != nil {
			return slog.New(&syslogJSON{sl: sl}), nil
		}
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), nil
	}
	return nil, fmt.Errorf("%w %q: want %s or %s", ErrLogFormat, o.Format, FormatText, FormatJSON)
}

// Logf returns the report.Logf for one subsystem ("capture", "mail",
// "report-file"): each call logs one warning with the subsystem attribute.
// This is the one Logf type the packages take.
func Logf(l *slog.Logger, subsystem string) report.Logf {
	l = l.With("subsystem", subsystem)
	return func(format string, args ...any) {
		l.Warn(fmt.Sprintf(format, args...))
	}
}

// lineHandler writes a record as one line: "[TIME ]TAG: message
// key=value ...", or sends "message key=value" to syslog.
type lineHandler struct {
	w      io.Writer
	tag    string
	time   bool
	syslog *syslog.Writer
	attrs  []byte      // preformatted attributes of With
	mu     *sync.Mutex // guards w, shared by handlers made by With
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		c.attrs = appendAttr(c.attrs, a)
	}
	return &c
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b []byte
	if h.time && h.syslog == nil {
		t := r.Time
		if t.IsZero() {
			t = time.Now()
		}
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00 ")
	}
	if h.syslog == nil {
		b = append(b, h.tag...)
		b = append(b, ": "...)
	}
	b = append(b, r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, a)
		return true
	})
	if h.syslog != nil {
		return toSyslog(h.syslog, r.Level, string(b))
	}
	b = append(b, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

// appendAttr appends " key=value", quoting a value with spaces.
func appendAttr(b []byte, a slog.Attr) []byte {
	if a.Equal(slog.Attr{}) {
		return b
	}
	b = append(b, ' ')
	b = append(b, a.Key...)
	b = append(b, '=')
	v := a.Value.Resolve().String()
	if v == "" || needsQuote(v) {
		return strconv.AppendQuote(b, v)
	}
	return append(b, v...)
}

func needsQuote(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// toSyslog sends msg with the priority of level.
func toSyslog(w *syslog.Writer, level slog.Level, msg string) error {
	switch {
	case level >= slog.LevelError:
		return w.Err(msg)
	case level >= slog.LevelWarn:
		return w.Warning(msg)
	case level >= slog.LevelInfo:
		return w.Info(msg)
	default:
		return w.Debug(msg)
	}
}

// syslogJSON sends each record to syslog as a JSON object.
type syslogJSON struct {
	sl    *syslog.Writer
	attrs []slog.Attr
}

func (h *syslogJSON) Enabled(context.Context, slog.Level) bool { return true }
func (h *syslogJSON) WithGroup(string) slog.Handler            { return h }
func (h *syslogJSON) WithAttrs(as []slog.Attr) slog.Handler {
	return &syslogJSON{sl: h.sl, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *syslogJSON) Handle(ctx context.Context, r slog.Record) error {
	var buf jsonLine
	j := slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // syslog stamps the time
			}
			return a
		},
	}).WithAttrs(h.attrs)
	if err := j.Handle(ctx, r); err != nil {
		return err
	}
	return toSyslog(h.sl, r.Level, string(buf))
}

// jsonLine collects one JSON record without its newline.
type jsonLine []byte

func (j *jsonLine) Write(p []byte) (int, error) {
	n := len(p)
	if n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	*j = append(*j, p...)
	return n, nil
}
