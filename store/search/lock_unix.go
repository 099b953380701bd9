//go:build unix

package search

import (
	"os"
	"syscall"
)

// lockDir takes the index directory's lock file for this process, or
// says it is taken.
func lockDir(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
