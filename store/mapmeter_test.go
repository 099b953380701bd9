package store

import (
	"path/filepath"
	"runtime"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestStatmField(t *testing.T) {
	tests := []struct {
		line string
		i    int
		want int64
		ok   bool
	}{
		{"11523 3320 2049 317 0 1650 0\n", 2, 2049, true},
		{"11523 3320 2049 317 0 1650 0\n", 0, 11523, true},
		{"11523 3320 2049 317 0 1650 0\n", 6, 0, true},
		{"11523 3320 2049 317 0 1650 0", 6, 0, true},
		{"11523 3320\n", 2, 0, false},
		{"11523 3x20 2049\n", 2, 0, false},
		{"", 0, 0, false},
		{"1 2 99999999999999999999 4\n", 2, 0, false},
	}
	for _, tc := range tests {
		got, ok := statmField([]byte(tc.line), tc.i)
		if got != tc.want || ok != tc.ok {
			t.Errorf("statmField(%q, %d) = %d, %v; want %d, %v", tc.line, tc.i, got, ok, tc.want, tc.ok)
		}
	}
}

// TestFileResidentMeasures checks that a writer can measure its mapped
// file pages where it releases them by that measure (Linux).
func TestFileResidentMeasures(t *testing.T) {
	var s statmFile
	defer s.close()
	got := s.fileResident()
	if runtime.GOOS != "linux" {
		if got != -1 {
			t.Fatalf("fileResident on %s = %d, want -1 (no measure)", runtime.GOOS, got)
		}
		return
	}
	if got <= 0 {
		t.Fatalf("fileResident = %d, want the process's resident file pages (its executable's at least)", got)
	}
	if again := s.fileResident(); again <= 0 {
		t.Fatalf("second fileResident (same open file) = %d", again)
	}
}

// TestWriterReleasesByMeasure checks that a writer's count of bytes
// handled leads to a measure, and the first measure to a release (the
// base: resident file pages just after it).
func TestWriterReleasesByMeasure(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("measured release on Linux only")
	}
	db, err := Open(filepath.Join(t.TempDir(), "a.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	touch := func(n int) {
		if err := db.update(func(tx *bolt.Tx) error { db.touch(tx, n); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	touch(writerCheck - 1)
	if b := db.mapMeter.base; b != 0 {
		t.Fatalf("measured before writerCheck bytes: base %d", b)
	}
	touch(1)
	if b := db.mapMeter.base; b <= 0 {
		t.Fatalf("after writerCheck bytes: base %d, want the resident file pages after a release", b)
	}
}
