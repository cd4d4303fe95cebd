package tui

// WithLock runs f while v cannot draw: a test reads the simulated screen's
// cells, which tcell shares with the drawing, in f.
func WithLock(v *View, f func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f()
}
