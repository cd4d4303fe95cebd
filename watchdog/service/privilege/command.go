package privilege

import (
	"strings"
	"unicode"
)

const (
	// stderrLimit is how much of a command's standard error is kept.
	stderrLimit = 4 << 10
	// stderrLineLimit bounds the stderr line quoted in a log line.
	stderrLineLimit = 200
)

// Credential is a user and groups to run a command as. The zero
// Credential is root's.
type Credential struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups; nil for none
}

// FirstLine returns the first non-blank line of b (a command's standard
// error, for a log line), trimmed, valid UTF-8, with control characters
// replaced by spaces and cut at 200 bytes.
func FirstLine(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, line))
		if line == "" {
			continue
		}
		if len(line) > stderrLineLimit {
			line = strings.ToValidUTF8(line[:stderrLineLimit], "") + "..."
		}
		return line
	}
	return ""
}

// HeadBuffer keeps the first 4 KiB written to it, in B, and discards the
// rest, never failing, so that a chatty command is not blocked. The zero
// HeadBuffer is ready to use.
type HeadBuffer struct {
	B []byte
}

func (h *HeadBuffer) Write(p []byte) (int, error) {
	if room := stderrLimit - len(h.B); room > 0 {
		h.B = append(h.B, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
