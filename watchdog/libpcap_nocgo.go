//go:build !cgo

package watchdog

// LibpcapVersion says that the build has no libpcap.
func LibpcapVersion() string { return "built without libpcap (cgo disabled)" }

// DefaultDevice returns ErrNoLibpcap.
func DefaultDevice() (string, error) { return "", ErrNoLibpcap }
