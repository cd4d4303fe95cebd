package watchdog

import "fmt"

// FilterError is a BPF filter expression that libpcap could not compile,
// for a capture file's link type or a live interface.
type FilterError struct {
	Expr string // the expression as given
	Err  error  // libpcap's reason
}

func (e *FilterError) Error() string { return fmt.Sprintf("filter %q: %v", e.Expr, e.Err) }

func (e *FilterError) Unwrap() error { return e.Err }
