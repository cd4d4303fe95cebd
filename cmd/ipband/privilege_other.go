//go:build !linux

package main

import "fmt"

// dropPrivileges is supported on Linux only: elsewhere an empty name, or
// the user ipband already runs as, changes nothing, and any other user is
// an error.
func dropPrivileges(name string) error {
	_, drop, err := dropTarget(name)
	if err != nil || !drop {
		return err
	}
	return fmt.Errorf("user %s: dropping privileges is supported on Linux only", name)
}
