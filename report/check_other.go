//go:build !unix

package report

import "io/fs"

// noFollow is not available: symbolic links are followed.
const noFollow = 0

// checkFlags are the extra flags of CheckFile's open: none.
const checkFlags = 0

// unsafeDir reports false: there is no root to protect.
func unsafeDir(fs.FileInfo) bool { return false }
