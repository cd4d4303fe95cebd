//go:build !linux

package privilege

import "fmt"

// Drop is supported on Linux only: elsewhere an empty name, or
// the user ipband already runs as, changes nothing, and any other user is
// an error.
func Drop(name string) error {
	_, drop, err := Target(name)
	if err != nil || !drop {
		return err
	}
	return fmt.Errorf("user %s: dropping privileges is supported on Linux only", name)
}
