//go:build !linux

package privilege

// AsUser runs check as it is: elsewhere than on Linux ipband does not
// drop to another user (Drop refuses), so there is no other user to check
// as.
func AsUser(name string, check func() error) error {
	if _, _, err := Target(name); err != nil {
		return err
	}
	return check()
}
