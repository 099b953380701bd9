package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the buckets described in doc.go. A
// database of any other version is refused.
const SchemaVersion = 1

// Bucket names.
var (
	bMeta     = []byte("meta")
	bDicts    = []byte("dicts")
	bDocs     = []byte("docs")
	bRaw      = []byte("raw")
	bRecords  = []byte("records")
	bChanges  = []byte("changes")
	bPending  = []byte("pending")
	bSections = []byte("sections")
	bHosts    = []byte("hosts")
	bRuns     = []byte("runs")

	allBuckets = [][]byte{bMeta, bDicts, bDocs, bRaw, bRecords, bChanges, bPending, bSections, bHosts, bRuns}
)

// Keys of the meta bucket.
var (
	kSchema  = []byte("schema_version")
	kCreated = []byte("created_at")
	kApp     = []byte("application")
)

const appName = "kremlin-archive"

// Errors returned by Open.
var (
	// ErrLocked means another process has the database open.
	ErrLocked = errors.New("another kremlin-archive run holds the archive")
	// ErrSchema means the database was written by an incompatible version.
	ErrSchema = errors.New("unsupported archive schema version")
	// ErrNotArchive means the file is not a kremlin-archive database.
	ErrNotArchive = errors.New("not a kremlin-archive database")
	// ErrNoArchive means a read-only command was pointed at a missing file.
	ErrNoArchive = errors.New("no archive at this path")
)

// Options for Open.
type Options struct {
	// ReadOnly opens the file with a shared lock and no writes.
	ReadOnly bool
	// LockTimeout is how long Open waits for another process to release
	// the file. Zero means 300ms: fail at once, never hang.
	LockTimeout time.Duration
	// DictTrainAfter is how many raw pages of one language are stored
	// before a compression dictionary is trained on them (0 = 200).
	DictTrainAfter int
	// NoSync skips fsync on commit (tests and benchmarks only).
	NoSync bool
	// Day maps a time to the site's calendar day (YYYY-MM-DD), the
	// calendar of the update dates in its listings (Europe/Moscow for
	// kremlin.ru). Nil means UTC.
	Day func(time.Time) string
}

// DB is the archive: one bbolt file.
type DB struct {
	bolt *bolt.DB
	path string
	opts Options

	codec *codec

	trainMu  sync.Mutex
	rawCount map[string]int // raw pages per language until its dictionary exists (under trainMu)
	touched  atomic.Int64   // bytes read or written through the map since the last release
}

// Every page bbolt reads through its map stays resident in this process,
// and the kernel maps up to 64 KiB around each page fault ("fault
// around"). Reads and writes are therefore counted (touch) with these
// estimates, and past releaseEvery the mapped pages are released
// (dropMapped), so resident memory stays flat however large the archive.
const (
	releaseEvery = 8 << 20
	costLookup   = 64 << 10 // one random Get/Put: one fault, 64 KiB around it
	costScanned  = 10 << 10 // one small value read in key order
)

// touch counts n bytes handled inside tx and, past releaseEvery, releases
// the mapped pages of the file. tx must be open: bbolt cannot remap the
// file while a transaction is open, so the mapping is stable.
func (db *DB) touch(tx *bolt.Tx, n int) {
	if db.touched.Add(int64(n)) < releaseEvery {
		return
	}
	db.touched.Store(0)
	dropMapped(db.bolt.Info().Data, tx.Size())
}

// Open opens (creating it when absent, unless read-only) the archive at path.
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 300 * time.Millisecond
	}
	if o.DictTrainAfter <= 0 {
		o.DictTrainAfter = 200
	}
	if o.Day == nil {
		o.Day = func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	}
	if o.ReadOnly {
		fi, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoArchive)
		}
		if err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("%s: %w (the file is empty)", path, ErrNoArchive)
		}
	}
	bdb, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:         o.LockTimeout,
		ReadOnly:        o.ReadOnly,
		NoSync:          o.NoSync,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 64 << 20,
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%s: %w (the lock is held by another process; wait for it to finish or stop it)", path, ErrLocked)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, fmt.Errorf("%s: %w: %v", path, ErrNotArchive, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, opts: o}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, err
	}
	c, err := loadCodec(bdb)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	db.codec = c
	return db, nil
}

// init creates the buckets of a new file and checks the schema of an old one.
func (db *DB) init() error {
	var version string
	var hasBuckets bool
	err := safeView(db.bolt, func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			version = string(m.Get(kSchema))
		}
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			hasBuckets = true
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("%s: %w: %v", db.path, ErrNotArchive, err)
	}
	switch {
	case version == "" && hasBuckets:
		return fmt.Errorf("%s: %w (it has buckets but no schema version)", db.path, ErrNotArchive)
	case version == "" && db.opts.ReadOnly:
		return fmt.Errorf("%s: %w (the file is empty)", db.path, ErrNoArchive)
	case version == "":
		return db.bolt.Update(func(tx *bolt.Tx) error {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			m := tx.Bucket(bMeta)
			if err := m.Put(kSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
				return err
			}
			if err := m.Put(kApp, []byte(appName)); err != nil {
				return err
			}
			return m.Put(kCreated, []byte(time.Now().UTC().Format(time.RFC3339)))
		})
	}
	v, err := strconv.Atoi(version)
	if err != nil {
		return fmt.Errorf("%s: %w: schema version %q is not a number", db.path, ErrNotArchive, version)
	}
	if v != SchemaVersion {
		hint := "this archive was written by a newer kremlin-archive; upgrade kremlin-archive to read it"
		if v < SchemaVersion {
			hint = "this archive was written by an older kremlin-archive; there is no automatic migration from it"
		}
		return fmt.Errorf("%s: %w %d (this program reads version %d): %s", db.path, ErrSchema, v, SchemaVersion, hint)
	}
	if db.opts.ReadOnly {
		return nil
	}
	// A newer build may add buckets; create the missing ones.
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// safeView runs fn in a read transaction, turning a panic or a memory
// fault caused by a damaged page into an error. The recover sits inside
// the transaction so that it is closed properly either way.
func safeView(b *bolt.DB, fn func(tx *bolt.Tx) error) error {
	return b.View(func(tx *bolt.Tx) (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the database file is damaged: %v", r)
			}
		}()
		return fn(tx)
	})
}

// Path is the file the archive lives in.
func (db *DB) Path() string { return db.path }

// Close closes the file, waiting for open transactions.
func (db *DB) Close() error { return db.bolt.Close() }

// Size is the size of the database file in bytes.
func (db *DB) Size() int64 {
	var n int64
	db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// docKey is the key of a document: 2 bytes of language + 8 bytes of ID
// (big-endian, so keys iterate in numeric order within a language).
func docKey(lang string, id int64) []byte {
	k := make([]byte, 10)
	copy(k, lang)
	binary.BigEndian.PutUint64(k[2:], uint64(id))
	return k
}

func parseDocKey(k []byte) (lang string, id int64, ok bool) {
	if len(k) < 10 {
		return "", 0, false
	}
	return string(k[:2]), int64(binary.BigEndian.Uint64(k[2:10])), true
}

// verKey is docKey + 4 bytes of version number.
func verKey(lang string, id int64, version int) []byte {
	k := make([]byte, 14)
	copy(k, docKey(lang, id))
	binary.BigEndian.PutUint32(k[10:], uint32(version))
	return k
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// langs are the languages the archive knows (the two hosts).
var langs = []string{"en", "ru"}

func validLang(lang string) error {
	if lang != "en" && lang != "ru" {
		return fmt.Errorf("bad language %q (want en or ru)", lang)
	}
	return nil
}
