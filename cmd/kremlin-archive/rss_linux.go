//go:build linux

package main

import (
	"bytes"
	"debug/elf"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// releaseExecutable removes from this process's page tables the pages
// of its own executable file mapped so far (its code and read-only data;
// never the writable data). Starting up touches much of the file: the
// package initialisers of every library linked in, and the kernel maps
// the neighbours of each page it faults in, ~20 MiB resident before the
// first instruction of a command. A long run (crawl, backfill) then uses
// a few MiB of that code; the pages it needs are faulted back in from the
// page cache (where the others stay too), so only its resident memory
// changes.
func releaseExecutable() {
	exe, ok := releasableExecutable()
	if !ok {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	for _, line := range bytes.Split(maps, []byte("\n")) {
		// start-end perms offset dev inode path
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[5]) != exe || len(f[1]) < 2 || f[1][0] != 'r' || f[1][1] != '-' {
			continue
		}
		r := bytes.SplitN(f[0], []byte("-"), 2)
		if len(r) != 2 {
			continue
		}
		start, err1 := strconv.ParseUint(string(r[0]), 16, 64)
		end, err2 := strconv.ParseUint(string(r[1]), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}

// releasableExecutable is the executable's path, and whether its pages
// may be released (read once: a crawl releases them again and again).
var releasableExecutable = sync.OnceValues(func() (string, bool) {
	exe, err := os.Executable()
	if err != nil || hasRELRO(exe) {
		return "", false
	}
	return exe, true
})

// hasRELRO reports whether the executable has a segment the dynamic
// loader writes (relocations) and then makes read-only: a position-
// independent or externally linked build. Dropping those pages would
// bring back the file's unrelocated bytes, so such a build keeps all its
// pages (the go tool's default build has none). Unknown counts as yes.
func hasRELRO(exe string) bool {
	f, err := elf.Open(exe)
	if err != nil {
		return true
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		return true // ET_DYN: position-independent, relocated at load
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_GNU_RELRO {
			return true
		}
	}
	return false
}
