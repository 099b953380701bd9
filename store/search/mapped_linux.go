//go:build linux

package search

import "golang.org/x/sys/unix"

// dropPages removes the pages of a read-only file mapping from this
// process's page tables; the file and the page cache keep them.
func dropPages(b []byte) {
	if len(b) > 0 {
		unix.Madvise(b, unix.MADV_DONTNEED)
	}
}
