//go:build linux

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropMapped tells the kernel this process no longer needs the pages of
// [addr, addr+n) mapped: for bbolt's read-only shared file mapping that
// only removes them from the process's page tables (they stay in the page
// cache and in the file, and are faulted back in when read again). It
// keeps resident memory flat while a backfill or an export touches every
// page of a growing archive.
func dropMapped(addr uintptr, n int64) {
	if addr == 0 || n <= 0 {
		return
	}
	unix.Syscall(unix.SYS_MADVISE, addr, uintptr(n), unix.MADV_DONTNEED)
}

// statmFile reads /proc/self/statm, kept open: one pread per measure.
type statmFile struct {
	f      *os.File
	failed bool
	buf    [128]byte
}

// fileResident returns the resident file-backed (and shared memory)
// pages of the process in bytes: the third field of /proc/self/statm.
// Unlike /proc/self/smaps it costs the kernel no walk of the page
// tables. -1 when it cannot be read.
func (s *statmFile) fileResident() int64 {
	if s.failed {
		return -1
	}
	if s.f == nil {
		f, err := os.Open("/proc/self/statm")
		if err != nil {
			s.failed = true
			return -1
		}
		s.f = f
	}
	n, err := s.f.ReadAt(s.buf[:], 0)
	if n == 0 && err != nil {
		s.failed = true
		return -1
	}
	pages, ok := statmField(s.buf[:n], 2)
	if !ok {
		s.failed = true
		return -1
	}
	return pages * int64(os.Getpagesize())
}

func (s *statmFile) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
