package parquet_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store/parquet"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func TestWriterAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	recs := corpus(t, 20)

	// An aborted export leaves nothing behind, not even temporary files.
	w, err := parquet.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:5] {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("aborted export left %v", entries)
	}

	// A committed export replaces the previous files whole; until Commit
	// the old ones stay.
	write := func(rs []*record.Record) *parquet.Writer {
		w, err := parquet.Create(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	if err := write(recs).Commit(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, parquet.DocumentsFile))
	w = write(recs[:3])
	if now, _ := os.ReadFile(filepath.Join(dir, parquet.DocumentsFile)); string(now) != string(before) {
		t.Fatal("documents.parquet changed before Commit")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	docs := readTable(t, filepath.Join(dir, parquet.DocumentsFile))
	defer docs.Release()
	if docs.NumRows() != 3 {
		t.Errorf("after the second export: %d rows, want 3", docs.NumRows())
	}
	if err := w.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	if err := w.Write(recs[0]); err == nil {
		t.Error("Write after Commit succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want 2", len(entries))
	}

	// No record: both files exist with the schema and no row.
	empty := filepath.Join(t.TempDir(), "empty")
	w, err = parquet.Create(empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{parquet.DocumentsFile, parquet.TurnsFile} {
		tbl := readTable(t, filepath.Join(empty, f))
		if tbl.NumRows() != 0 || tbl.Schema().NumFields() < 8 {
			t.Errorf("%s: %d rows, %d columns", f, tbl.NumRows(), tbl.Schema().NumFields())
		}
		tbl.Release()
	}
}

func TestWriterRejectsBadDates(t *testing.T) {
	for _, r := range []*record.Record{
		{ID: 1, Lang: "en", Date: record.Str("2020-13-01")},
		{ID: 1, Lang: "en", Published: record.Str("yesterday")},
		{ID: 1, Lang: "en", FetchedAt: "2020-01-01 10:00"},
	} {
		if _, err := parquet.DocumentOf(r); err == nil {
			t.Errorf("DocumentOf(%+v) accepted a bad date", r)
		}
	}
}

// BenchmarkWrite measures the Parquet writer alone (records per second,
// allocations); the whole export is measured by .ci/bench-export.
func BenchmarkWrite(b *testing.B) {
	recs := corpus(b, 500)
	dir := b.TempDir()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		w, err := parquet.Create(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
