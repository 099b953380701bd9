//go:build !linux

package store

// dropMapped is a no-op where MADV_DONTNEED on a shared file mapping is
// not known to be safe; resident memory then includes the archive pages
// the process has read, which the kernel reclaims under pressure.
func dropMapped(addr uintptr, n int64) {}

// statmFile has no measure outside Linux.
type statmFile struct{}

func (s *statmFile) fileResident() int64 { return -1 }
func (s *statmFile) close()              {}
