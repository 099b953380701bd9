package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func TestOpen_NewFile_CreatesBucketsAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, err := store.Open(path, testOpts())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if db.Size() <= 0 {
		t.Errorf("Size() = %d, want > 0", db.Size())
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		for _, name := range store.AllBuckets {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %q missing from a new archive", name)
			}
		}
		m := tx.Bucket([]byte(store.BucketMeta))
		if m == nil {
			return errors.New("no meta bucket")
		}
		if got, want := string(m.Get([]byte(store.KeySchema))), fmt.Sprint(store.SchemaVersion); got != want {
			t.Errorf("schema_version = %q, want %q", got, want)
		}
		if got := string(m.Get([]byte("application"))); got != "kremlin-archive" {
			t.Errorf("application = %q, want kremlin-archive", got)
		}
		if _, err := time.Parse(time.RFC3339, string(m.Get([]byte("created_at")))); err != nil {
			t.Errorf("created_at: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen_Reopen_KeepsData(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 7}, 0)
	db = reopen(t, db, testOpts())
	if d := mustDoc(t, db, "en", 7); d.Versions != 1 {
		t.Errorf("after reopen Versions = %d, want 1", d.Versions)
	}
}

// editMeta writes key=value into the meta bucket of a closed archive.
func editMeta(t *testing.T, path, key, value string) {
	t.Helper()
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(store.BucketMeta)).Put([]byte(key), []byte(value))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_SchemaVersion_Refused(t *testing.T) {
	tests := []struct {
		version string
		want    error
		hint    string
	}{
		{"3", store.ErrSchema, "newer"},
		{"99", store.ErrSchema, "newer"},
		{"0", store.ErrSchema, "not a schema"},
		{"abc", store.ErrNotArchive, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			db, err := store.Open(path, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			editMeta(t, path, store.KeySchema, tt.version)
			for _, ro := range []bool{false, true} {
				db, err := store.Open(path, &store.Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("Open(ReadOnly=%v) of schema %q succeeded, want %v", ro, tt.version, tt.want)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("Open(ReadOnly=%v) of schema %q: %v, want %v", ro, tt.version, err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.hint) {
					t.Errorf("Open(ReadOnly=%v) of schema %q: %q does not say %q", ro, tt.version, err, tt.hint)
				}
			}
		})
	}
}

func TestOpen_NotArchive_Refused(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 2000)), 0o644)
		}},
		{"short file", func(t *testing.T, path string) { os.WriteFile(path, []byte("hello"), 0o644) }},
		{"zeros", func(t *testing.T, path string) { os.WriteFile(path, make([]byte, 64<<10), 0o644) }},
		{"html page", func(t *testing.T, path string) { os.WriteFile(path, realisticPage("en", 1, 1), 0o644) }},
		{"bbolt of another program", func(t *testing.T, path string) {
			b, err := bolt.Open(path, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.Update(func(tx *bolt.Tx) error {
				bk, _ := tx.CreateBucket([]byte("pages"))
				return bk.Put([]byte("k"), []byte("v"))
			})
		}},
		{"bbolt with a meta bucket of another program", func(t *testing.T, path string) {
			b, err := bolt.Open(path, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.Update(func(tx *bolt.Tx) error {
				bk, _ := tx.CreateBucket([]byte("meta"))
				return bk.Put([]byte("version"), []byte("3"))
			})
		}},
	}
	for _, tt := range tests {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/readonly=%v", tt.name, ro), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "x.db")
				tt.write(t, path)
				before, _ := os.ReadFile(path)
				db, err := store.Open(path, &store.Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("Open succeeded, want ErrNotArchive")
				}
				if !errors.Is(err, store.ErrNotArchive) {
					t.Errorf("Open: %v, want ErrNotArchive", err)
				}
				after, _ := os.ReadFile(path)
				if string(before) != string(after) {
					t.Errorf("Open changed a file it refused")
				}
			})
		}
	}
}

func TestOpen_ReadOnly_MissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err == nil {
		db.Close()
		t.Fatal("Open(ReadOnly) of a missing file succeeded")
	}
	if !errors.Is(err, store.ErrNoArchive) {
		t.Errorf("Open(ReadOnly) of a missing file: %v, want ErrNoArchive", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(ReadOnly) created %s", path)
	}
}

func TestOpen_ReadOnly_EmptyBboltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err == nil {
		db.Close()
		t.Fatal("Open(ReadOnly) of an empty bbolt file succeeded")
	}
	if !errors.Is(err, store.ErrNoArchive) {
		t.Errorf("Open(ReadOnly) of an empty bbolt file: %v, want ErrNoArchive", err)
	}
}

// Regression (fixed): store.go:118-122 (Open) only checks that the file exists; a zero-length file
// (e.g. `touch archive.db`, or a disk that filled up at creation) reaches
// bolt.Open, which tries to initialise it through the read-only descriptor
// and fails with "write …: bad file descriptor" instead of ErrNoArchive.
func TestOpen_ReadOnly_ZeroLengthFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zero.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err == nil {
		db.Close()
		t.Fatal("Open(ReadOnly) of a 0-byte file succeeded")
	}
	if !errors.Is(err, store.ErrNoArchive) {
		t.Errorf("Open(ReadOnly) of a 0-byte file: %v, want ErrNoArchive", err)
	}
}

func TestOpen_ReadWrite_ZeroLengthFileBecomesArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zero.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db := mustOpenPath(t, path, testOpts())
	put(t, db, doc{id: 1}, 0)
}

func TestOpen_ReadOnly_ReadsAndRefusesWrites(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 5, title: "Five"}, 0)
	path := db.Path()
	db.Close()

	ro := mustOpenPath(t, path, &store.Options{ReadOnly: true})
	r, err := ro.Record("en", 5, 0)
	if err != nil || r == nil || r.Title != "Five" {
		t.Fatalf("Record on a read-only archive = %+v, %v; want title Five", r, err)
	}
	if _, err := ro.PutDocument(doc{id: 6}.fetched(), 0); err == nil {
		t.Error("PutDocument on a read-only archive succeeded")
	}
	if err := ro.SaveSectionState(&store.SectionState{Lang: "en", Section: "news"}); err == nil {
		t.Error("SaveSectionState on a read-only archive succeeded")
	}
	// Two read-only opens share the lock.
	ro2, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	ro2.Close()
}

// Two writers exclude each other, also in one process; a reader does not
// need the writer to stop (lock_test.go has the reader's side).
func TestOpen_SameProcess_SecondWriterLocked(t *testing.T) {
	db := mustOpen(t)
	start := time.Now()
	db2, err := store.Open(db.Path(), &store.Options{})
	took := time.Since(start)
	if err == nil {
		db2.Close()
		t.Fatal("second writer Open in the same process succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second writer Open: %v, want ErrLocked", err)
	}
	if took > time.Second {
		t.Errorf("second writer Open took %v, want ≤ 1s", took)
	}
	ro, err := store.Open(db.Path(), &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reader Open while a writer has the archive: %v", err)
	}
	ro.Close()
	// The first handle still works.
	put(t, db, doc{id: 1}, 0)
}

func TestOpen_LockTimeout_Honoured(t *testing.T) {
	db := mustOpen(t)
	start := time.Now()
	db2, err := store.Open(db.Path(), &store.Options{LockTimeout: 700 * time.Millisecond})
	took := time.Since(start)
	if err == nil {
		db2.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second Open: %v, want ErrLocked", err)
	}
	if took < 500*time.Millisecond || took > 2*time.Second {
		t.Errorf("second Open with LockTimeout 700ms gave up after %v", took)
	}
}

func init() {
	// holder: opens the archive named by STORE_TEST_PATH, says "locked",
	// and keeps it open until killed.
	childRoles["holder"] = func() int {
		db, err := store.Open(os.Getenv("STORE_TEST_PATH"), &store.Options{NoSync: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer db.Close()
		fmt.Println("locked")
		time.Sleep(time.Minute)
		return 0
	}
}

func TestOpen_OtherProcess_Locked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	cmd, out := child(t, "holder", "STORE_TEST_PATH="+path)
	waitLine(t, cmd, out, "locked", 30*time.Second)

	start := time.Now()
	db, err := store.Open(path, &store.Options{})
	took := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("writer Open while another process writes succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("writer Open while locked: %v, want ErrLocked", err)
	}
	if took > time.Second {
		t.Errorf("writer Open while locked took %v, want ≤ 1s", took)
	}
	// A reader gets the file from the writer.
	ro, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reader Open while another process writes: %v", err)
	}
	if _, err := ro.Runs(0); err != nil {
		t.Errorf("Runs through the reader: %v", err)
	}
	ro.Close()

	// The kernel drops the lock when the holder dies: no stale lock.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	db = mustOpenPath(t, path, testOpts())
	put(t, db, doc{id: 1}, 0)
}

func TestOpen_MissingBucket_CreatedOnReadWriteOpen(t *testing.T) {
	db := mustOpen(t)
	path := db.Path()
	db.Close()
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(store.BucketHosts)) }); err != nil {
		t.Fatal(err)
	}
	b.Close()

	db = mustOpenPath(t, path, testOpts())
	if err := db.UpdateHostState("en.kremlin.ru", func(h *store.HostState) { h.Cooldowns = 1 }); err != nil {
		t.Fatalf("UpdateHostState after the bucket was recreated: %v", err)
	}
}

// A bbolt file without any bucket is what a first Open leaves when it dies
// between creating the file and committing the buckets: a read-write Open
// adopts it (refusing would leave the path unusable).
func TestOpen_EmptyBboltFile_AdoptedReadWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	db := mustOpenPath(t, path, testOpts())
	put(t, db, doc{id: 3}, 0)
	if d := mustDoc(t, db, "en", 3); d.Versions != 1 {
		t.Errorf("Versions = %d", d.Versions)
	}
}
