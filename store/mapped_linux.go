//go:build linux

package store

import "golang.org/x/sys/unix"

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
