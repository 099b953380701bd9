package store

import (
	"sync"
	"unsafe"
)

// mapMeter measures a writer's mapped file pages (see touch).
type mapMeter struct {
	mu      sync.Mutex
	base    int64 // file pages resident after the last release (bytes)
	counted int64 // bytes counted since the last release, without a measure
	statm   statmFile
}

// resident returns the process's resident file pages in bytes (its
// executable's, shared libraries', the archive's), or -1 when it cannot
// be measured.
func (m *mapMeter) resident() int64 { return m.statm.fileResident() }

func (m *mapMeter) close() { m.statm.close() }

// statmField returns field i (0-based) of a /proc/PID/statm line: decimal
// page counts separated by spaces.
func statmField(b []byte, i int) (int64, bool) {
	field := 0
	var v int64
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if field == i {
				if digits++; digits > 18 {
					return 0, false
				}
				v = v*10 + int64(c-'0')
			}
		case c == ' ' || c == '\n':
			if field == i {
				return v, digits > 0
			}
			field++
		default:
			return 0, false
		}
	}
	return v, field == i && digits > 0
}

// ResidentMeter measures the process's resident file pages for a user of
// its own mappings (the search index's segments), the way a writer
// measures the archive's; not safe for concurrent use.
type ResidentMeter struct{ s statmFile }

// FileBytes returns the process's resident file-backed pages in bytes,
// or false where they cannot be measured.
func (m *ResidentMeter) FileBytes() (int64, bool) {
	n := m.s.fileResident()
	return n, n >= 0
}

// Close releases the meter's file.
func (m *ResidentMeter) Close() { m.s.close() }

// DropPages removes the pages of a read-only file mapping from this
// process's page tables (see dropMapped); the file and the page cache
// keep them.
func DropPages(b []byte) {
	if len(b) > 0 {
		dropMapped(uintptr(unsafe.Pointer(unsafe.SliceData(b))), int64(len(b)))
	}
}
