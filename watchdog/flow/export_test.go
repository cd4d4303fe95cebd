package flow

// SetMaxPlaced sets the bound of connections whose last record is held
// and returns a function that restores it.
func SetMaxPlaced(n int) (restore func()) {
	old := maxPlaced
	maxPlaced = n
	return func() { maxPlaced = old }
}
