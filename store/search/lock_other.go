//go:build !unix

package search

import "os"

// lockDir has no flock(2) to take here: a second serve of the same index
// fails on the bleve indexes' own file locks instead (after their
// bolt_timeout).
func lockDir(f *os.File) bool { return true }
