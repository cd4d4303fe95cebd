//go:build !linux

package afpacket

// Ring is a capture ring; there is none on this system.
type Ring struct{}

// Open returns ErrUnsupported: packet rings are Linux's.
func Open(Config) (*Ring, error) { return nil, &unsupportedError{"afpacket ring: Linux only"} }

// Next returns ErrStopped.
func (*Ring) Next(*Frame) error { return ErrStopped }

// Stop does nothing.
func (*Ring) Stop() {}

// Stats returns zero counters.
func (*Ring) Stats() (Stats, error) { return Stats{}, nil }

// Size returns 0.
func (*Ring) Size() int { return 0 }

// Close does nothing.
func (*Ring) Close() error { return nil }

// OpenGroup returns ErrUnsupported: packet rings are Linux's.
func OpenGroup(Config, int) ([]*Ring, error) {
	return nil, &unsupportedError{"afpacket ring: Linux only"}
}
