package conf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
)

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
// Default(); name is the file's name for messages, Config.Source and
// Config.Origin.
//
// Each line is blank, a comment (its first non-blank character is #), or a
// directive: a name in any case, then white space, '=' or both (`average
// 30`, `average=30`, `average = 30`), then the value up to the end of the
// line or to a # that follows white space (`bandwidth 22  # 128k line`),
// with surrounding white space removed. A value in double quotes loses
// them, and may then hold " #" (`mtastring "/usr/sbin/sendmail -t -oi"`).
// Directives are applied through the setters of Set in file order, so a
// later line overrides an earlier one, except that subnet and localrange
// lines accumulate.
//
// The first error stops parsing. It is an *Error naming the file, line and
// directive, and wrapping one of this package's sentinels or an address
// error of package subnet. An ini [section] header, a ';' comment, or a
// quoted value with no closing quote or with text after it is ErrSyntax.
func Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: over %d bytes", ErrTooLarge, MaxFileSize)}
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")

	c := Default()
	c.Source = name
	for n := 1; text != ""; n++ {
		var raw string
		raw, text, _ = strings.Cut(text, "\n")
		if err := c.parseLine(raw, n, name); err != nil {
			err.File = name
			return nil, err
		}
	}
	return c, nil
}

// parseLine applies line n of file name, raw.
func (c *Config) parseLine(raw string, n int, name string) *Error {
	keyText, value, err := splitLine(raw)
	key := strings.ToLower(keyText)
	switch {
	case err != nil && keyText == "":
		return &Error{Line: n, Err: err}
	case keyText == "":
		return nil // blank or comment
	case !isDirective(key):
		return &Error{Line: n, Err: fmt.Errorf("%w %q", ErrUnknownDirective, keyText)}
	case err != nil:
		return &Error{Line: n, Key: key, Err: err}
	}
	if err := apply(c.setter(key), value, n); err != nil {
		return &Error{Line: n, Key: key, Err: err}
	}
	c.setOrigin(key, name+":"+strconv.Itoa(n))
	return nil
}

// splitLine splits a line into its directive name as written and its
// value, without comment, quotes or surrounding white space; the name is
// "" for a blank or comment line. The error is about the line when the
// name is "", else about the value.
func splitLine(raw string) (key, value string, err error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "" || s[0] == '#':
		return "", "", nil
	case s[0] == '[':
		return "", "", fmt.Errorf("%w: section headers are not supported: %q", ErrSyntax, s)
	case s[0] == ';':
		return "", "", fmt.Errorf("%w: comments start with '#', not ';'", ErrSyntax)
	}
	i := strings.IndexFunc(s, func(r rune) bool { return r == '=' || unicode.IsSpace(r) })
	switch {
	case i == 0:
		return "", "", fmt.Errorf("%w: no directive before '='", ErrSyntax)
	case i < 0:
		return s, "", nil
	}
	key, rest := s[:i], strings.TrimLeftFunc(s[i:], unicode.IsSpace)
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeftFunc(rest[1:], unicode.IsSpace)
	}
	if strings.HasPrefix(rest, `"`) {
		value, err = unquote(rest)
		return key, value, err
	}
	return key, cutComment(rest), nil
}

// cutComment returns s up to a # that starts s or follows white space.
func cutComment(s string) string {
	for i, r := range s {
		if r == '#' && (i == 0 || isBlank(s[i-1])) {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// isBlank reports whether b is a space or a tab.
func isBlank(b byte) bool { return b == ' ' || b == '\t' }

// unquote returns the text between the double quote that starts s and the
// next one, which only white space or a comment may follow.
func unquote(s string) (string, error) {
	inner, after, ok := strings.Cut(s[1:], `"`)
	if !ok {
		return "", fmt.Errorf("%w: no closing quote: %s", ErrSyntax, s)
	}
	if after = strings.TrimSpace(after); after != "" && after[0] != '#' {
		return "", fmt.Errorf("%w: text after the closing quote: %s", ErrSyntax, s)
	}
	return inner, nil
}
