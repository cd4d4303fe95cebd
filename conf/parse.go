package conf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"gopkg.in/ini.v1"
)

// iniOptions make gopkg.in/ini.v1 read the classic syntax: `key value`
// split at the first space or tab, every value kept (repeated keys as
// shadows, duplicates included), whole-line # comments only, no quoting,
// no continuation lines.
func iniOptions() ini.LoadOptions {
	return ini.LoadOptions{
		Insensitive:                true,
		AllowShadows:               true,
		AllowDuplicateShadowValues: true,
		AllowBooleanKeys:           true,
		IgnoreContinuation:         true,
		IgnoreInlineComment:        true,
		PreserveSurroundedQuote:    true,
		KeyValueDelimiters:         " \t",
	}
}

// Load reads the config file at path. A file that is missing or cannot be
// read is an error naming path; so is any error in it, with its line.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError names path
	}
	defer f.Close()
	return Parse(f, path)
}

// LoadDefault reads DefaultPath when it exists, and returns Default() with
// no error when it does not.
func LoadDefault() (*Config, error) { return loadDefault(DefaultPath) }

// loadDefault is LoadDefault reading path.
func loadDefault(path string) (*Config, error) {
	c, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	return c, err
}

// Parse reads a config file in the classic syntax from r, starting from
// Default(); name is the file's name for messages and Config.Source.
//
// Each line is blank, a comment (its first non-blank character is #), or
// `key value`: a directive name in any case, white space, and the value
// up to the end of the line with surrounding white space removed. Only
// whole lines are comments: a # inside a value is part of it. Directives
// are applied through Set in file order, so a later line overrides an
// earlier one, except that subnet and localrange lines accumulate.
//
// The first error stops parsing. It is an *Error naming the file, line and
// directive, and wrapping one of this package's sentinels or an address
// error of package subnet. An ini [section] header, a ';' comment, or a
// value starting with a backquote or """ is ErrSyntax.
func Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, MaxFileSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	c := Default()
	c.Source = name
	lines, end, lineErr := scan(data)
	if err := c.applyINI(data[:end], lines); err != nil {
		err.File = name
		return nil, err
	}
	if lineErr != nil {
		lineErr.File = name
		return nil, lineErr
	}
	return c, nil
}

// directive is one `key value` line found by scan: the index from the key
// and its occurrence to the line number, which ini.v1 does not keep.
type directive struct {
	key  string // lower case
	line int    // 1-based
}

// scan reads data line by line as ini.v1 will, and lists its directive
// lines in order. It stops at the first line that is not valid in the
// classic syntax or that ini.v1 would read in its own way (a section, a
// ';' comment, quoting), and returns that line's error and the offset
// where the line starts; else end is len(data) and the error is nil. So
// ini.v1 given data[:end] reads exactly the returned directives, each with
// a non-empty value.
func scan(data []byte) (dirs []directive, end int, err *Error) {
	text := string(data)
	for n, off := 1, 0; off < len(text); n++ {
		raw, _, _ := strings.Cut(text[off:], "\n")
		d, err := scanLine(raw, n)
		if err != nil {
			return dirs, off, err
		}
		if d.key != "" {
			dirs = append(dirs, d)
		}
		off += len(raw) + 1
	}
	return dirs, len(data), nil
}

// scanLine reads line n: a directive, or the zero directive for a blank or
// comment line. Its trimming matches ini.v1's parser.
func scanLine(raw string, n int) (directive, *Error) {
	s := strings.TrimLeftFunc(raw, unicode.IsSpace)
	if s == "" || s[0] == '#' {
		return directive{}, nil
	}
	lineErr := func(key string, err error) (directive, *Error) {
		return directive{}, &Error{Line: n, Key: key, Err: err}
	}
	switch s[0] {
	case '[':
		return lineErr("", fmt.Errorf("%w: section headers are not supported: %q", ErrSyntax, strings.TrimSpace(s)))
	case ';':
		return lineErr("", fmt.Errorf("%w: comments start with '#', not ';'", ErrSyntax))
	}
	keyText, value, hasValue := s, "", false
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		keyText, value, hasValue = s[:i], s[i+1:], true
	}
	keyText = strings.TrimSpace(keyText)
	key := strings.ToLower(keyText)
	if !isDirective(key) {
		return lineErr("", fmt.Errorf("%w %q", ErrUnknownDirective, keyText))
	}
	value = strings.TrimLeftFunc(value, unicode.IsSpace)
	switch {
	case !hasValue || strings.TrimSpace(value) == "":
		return lineErr(key, ErrMissingValue)
	case value[0] == '`' || strings.HasPrefix(value, `"""`):
		return lineErr(key, fmt.Errorf("%w: a value may not start with a backquote or \"\"\"", ErrSyntax))
	}
	return directive{key: key, line: n}, nil
}

// applyINI reads data with ini.v1 and applies its values through the
// setters in the order of dirs, the directives scan found in data.
func (c *Config) applyINI(data []byte, dirs []directive) *Error {
	if len(dirs) == 0 {
		return nil
	}
	f, err := ini.LoadSources(iniOptions(), data)
	if err != nil {
		return &Error{Err: err}
	}
	sec := f.Section("")
	values := make(map[string][]string)
	for _, k := range sec.Keys() {
		values[k.Name()] = k.ValueWithShadows()
	}
	for _, d := range dirs {
		vs := values[d.key]
		if len(vs) == 0 {
			return &Error{Line: d.line, Key: d.key, Err: errLostValue}
		}
		values[d.key] = vs[1:]
		if err := apply(c.setter(d.key), vs[0], d.line); err != nil {
			return &Error{Line: d.line, Key: d.key, Err: err}
		}
	}
	for k, vs := range values {
		if len(vs) > 0 {
			return &Error{Key: k, Err: errLostValue}
		}
	}
	return nil
}

// errLostValue reports that ini.v1 and scan disagree on the lines of a
// file: a bug, never expected.
var errLostValue = errors.New("internal error: config reader lost track of lines")
