//go:build !linux

package search

// dropPages is a no-op where MADV_DONTNEED on a file mapping is not known
// to be harmless; the kernel reclaims the pages under memory pressure.
func dropPages(b []byte) {}
