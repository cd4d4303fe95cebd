package subnet

import "net/netip"

// Get returns the preloaded subnet whose prefix is exactly p, or nil. Unlike
// Lookup it never matches a shorter or longer prefix and never creates a
// slot; in dynamic mode, where Lookup of the prefix's address finds or
// makes its slot, Get returns nil.
func (t *Table[S]) Get(p netip.Prefix) *Slot[S] {
	if t.fixed == nil {
		return nil
	}
	return t.fixed[p]
}
