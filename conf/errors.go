package conf

import (
	"errors"
	"strconv"
	"strings"
)

// Errors returned by Set, Parse and Validate, wrapped with the offending
// value; test for them with errors.Is. Errors from parsing addresses and
// ranges come from package subnet and wrap its own sentinels.
var (
	// ErrUnknownDirective reports a key that is not a directive.
	ErrUnknownDirective = errors.New("unknown directive")
	// ErrMissingValue reports a directive with nothing after the key.
	ErrMissingValue = errors.New("missing value")
	// ErrInvalidValue reports a value of the wrong form: not a number, not
	// yes or no, not a mail address, or extra words.
	ErrInvalidValue = errors.New("invalid value")
	// ErrOutOfRange reports a well-formed value outside its allowed range.
	ErrOutOfRange = errors.New("out of range")
	// ErrSyntax reports a line the classic syntax does not have: an ini
	// [section] header, a ';' comment, or a double-quoted value with no
	// closing quote or with text after it.
	ErrSyntax = errors.New("syntax error")
	// ErrConflict reports values that are each valid but not together,
	// such as a reporting period shorter than the averaging period.
	ErrConflict = errors.New("conflicting values")
	// ErrTooLarge reports a config file over MaxFileSize bytes.
	ErrTooLarge = errors.New("file too large")
)

// MaxFileSize is the largest config file Parse reads, in bytes.
const MaxFileSize = 16 << 20

// Error is an error in a config file, at a line, in a directive. Its message
// reads `FILE:LINE: KEY: message`, as in
//
//	/etc/ipband.conf:12: subnet: "10.10.300.0": invalid address
//
// Line is 0 when the error is about the whole file (it cannot be read), and
// Key is "" when the line has no valid directive, and these parts are then
// left out of the message.
type Error struct {
	File string // name given to Parse, or the path given to Load
	Line int    // 1-based line number, or 0
	Key  string // directive in lower case, or ""
	Err  error  // what is wrong
}

// Error returns the message `FILE:LINE: KEY: message`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File == "" {
			b.WriteString("line ")
		} else {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("error")
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
