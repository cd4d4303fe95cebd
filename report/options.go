package report

import (
	"fmt"
	"io"
)

// Option is one line of the -d 1 option summary: a setting's name, as a
// person reads it ("Averaging period (sec)"), and its value in text.
type Option struct {
	Name, Value string
}

// WriteOptions writes the -d 1 option summary, with one Write call:
//
//	ipband 1.0
//
//	Option values:
//	    Averaging period (sec): 60
//	    Report mail to: (none)
//
// followed by an empty line. An empty Value prints "(none)". Control
// characters in names and values are replaced by '?', so each option stays
// on its line.
func WriteOptions(w io.Writer, version string, opts []Option) error {
	b := make([]byte, 0, 64+48*len(opts))
	b = append(b, "ipband "...)
	b = appendSafe(b, version)
	b = append(b, "\n\nOption values:\n"...)
	for _, o := range opts {
		b = append(b, "    "...)
		b = appendSafe(b, o.Name)
		b = append(b, ": "...)
		if o.Value == "" {
			b = append(b, "(none)"...)
		} else {
			b = appendSafe(b, o.Value)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write options: %w", err)
	}
	return nil
}
