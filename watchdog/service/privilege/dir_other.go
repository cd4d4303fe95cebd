//go:build !unix

package privilege

import "io/fs"

// owner reports no owner where files have no Unix owner.
func owner(fs.FileInfo) (int, bool) { return 0, false }
