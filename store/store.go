package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout of the buckets described below. A database
// of a newer version is refused; one of version 1 is migrated by the first
// writer that opens it (and read as it is until then).
//
// Schema 2 buckets:
//
//	meta      schema_version, application, created_at, dict_current_<lang>,
//	          seq (the change high-water mark), pack_seq, open_pack_<lang>
//	dicts     dictionary ID (u32) -> raw dictionary content
//	docs      lang + ID -> the document's bookkeeping (doccodec.go)
//	packs     pack ID (u64) -> sealed pack (pack.go)
//	stage     pack ID + slot -> one staged version of an open pack
//	pending   lang + ID -> frontier entry (JSON)
//	sections  lang/section -> listing state (JSON)
//	hosts     host -> host state (JSON)
//	runs      run ID (u64) -> run ledger entry (JSON)
//
// Schema 1 kept raw pages and records in the raw and records buckets
// (lang + ID + version -> one compressed blob each), the bookkeeping as
// JSON and a changes index (seq -> lang + ID).
const SchemaVersion = 2

// Bucket names.
var (
	bMeta     = []byte("meta")
	bDicts    = []byte("dicts")
	bDocs     = []byte("docs")
	bPacks    = []byte("packs")
	bStage    = []byte("stage")
	bPending  = []byte("pending")
	bSections = []byte("sections")
	bHosts    = []byte("hosts")
	bRuns     = []byte("runs")

	allBuckets = [][]byte{bMeta, bDicts, bDocs, bPacks, bStage, bPending, bSections, bHosts, bRuns}

	// Schema 1 only.
	bRawV1     = []byte("raw")
	bRecordsV1 = []byte("records")
	bChangesV1 = []byte("changes")
)

// Keys of the meta bucket.
var (
	kSchema    = []byte("schema_version")
	kCreated   = []byte("created_at")
	kApp       = []byte("application")
	kSeq       = []byte("seq")
	kMigrating = []byte("migrating_from_1")
)

const appName = "kremlin-archive"

// Errors returned by Open.
var (
	// ErrLocked means another process holds the archive: another writer
	// (for a writer), or a writer that did not let go of the file within
	// LockTimeout (for a reader).
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
	// ReadOnly opens the archive for reading, also while a writer runs
	// (see handle.go): the file is held from Open to Close, and every read
	// sees the same state.
	ReadOnly bool
	// OnDemand (with ReadOnly) opens the file for each operation, or each
	// Snapshot, and closes it after: for long-running readers (serve),
	// which must not keep a writer waiting between requests.
	OnDemand bool
	// LockTimeout is how long Open waits: a writer for another writer's
	// run lock (zero: 300ms, fail at once), a reader for the file
	// (zero: 30s).
	LockTimeout time.Duration
	// DictTrainAfter is how many raw pages of one language are stored
	// before a compression dictionary is trained on them (0 = 200).
	DictTrainAfter int
	// PackBytes is the raw size of a pack of compressed pages and records
	// (0 = 1 MiB): larger packs compress better and are slower to read
	// one document from.
	PackBytes int
	// GroupCommit (writers) lets the documents PutDocument stores share
	// a transaction for up to this long (see group.go). A killed process
	// loses none of them (the group journal, journal.go); a power loss
	// may lose the last group, whose documents stay in the frontier and
	// are fetched again. Zero commits each document on its own.
	GroupCommit time.Duration
	// NoSync skips fsync on commit (tests and benchmarks only).
	NoSync bool
	// Day maps a time to the site's calendar day (YYYY-MM-DD), the
	// calendar of the update dates in its listings (Europe/Moscow for
	// kremlin.ru). Nil means UTC.
	Day func(time.Time) string
	// Logger receives what the store does on its own: migrating an
	// archive, waiting for readers. Nil discards it.
	Logger *slog.Logger
	// Salvage (repair only) opens for writing an archive whose own pages
	// are damaged, which writers otherwise refuse (ErrPagesDamaged):
	// Repair then copies what can be read into a new file first.
	Salvage bool
}

// DB is the archive: one bbolt file.
type DB struct {
	path string
	opts Options
	h    handle

	codec *codec
	cache packCache

	trainMu  sync.Mutex
	rawCount map[string]int // versions per language until its dictionary exists (under trainMu)
	touched  atomic.Int64   // bytes read or written through the map since the last release (or check)
	mapMeter mapMeter       // a writer's measure of its mapped file pages
	group    group          // documents stored and not yet committed (GroupCommit)

	schema int // the schema read at Open (1 until a writer migrated the file)

	pagesDamaged error // the page check's verdict, for a Salvage writer
}

// Every page bbolt reads through its map stays resident in this process,
// and the kernel maps up to 64 KiB around each page fault ("fault
// around"). Reads and writes are therefore counted (touch) with these
// estimates, and the mapped pages are released (dropMapped), so resident
// memory stays flat however large the archive.
//
// A reader scanning the whole archive (export, verify) releases every
// 32 MiB counted: releasing more often makes the pages every lookup needs
// (the B+tree's upper levels) fault in again and again (measured on
// 80,000 documents: 11 s of CPU for a JSONL export, 16 s at 4 MiB).
//
// A writer, whose resident memory is the one with a target, measures
// instead of estimating: every writerCheck bytes counted it reads how much
// of the process's resident memory is file pages (fileResident), and
// releases the map once that has grown by writerMapBudget since the last
// release. An estimate cannot keep it flat: the faults a lookup costs
// grow with the B+trees (a backfill's map held ~4 MiB between releases
// every 8 MiB counted at 7,235 documents, ~8 MiB at 80,000). Where the
// measure is not available the writer releases every releaseWriter bytes
// counted.
const (
	releaseWriter   = 8 << 20
	releaseReader   = 32 << 20
	releaseEvery    = releaseReader // what forces a release
	writerCheck     = 512 << 10
	writerMapBudget = 2 << 20
	costLookup      = 64 << 10 // one random Get/Put: one fault, 64 KiB around it
	costScanned     = 10 << 10 // one small value read in key order
)

// touch counts n bytes handled inside tx and, past the threshold,
// releases the mapped pages of the file. tx must be open: bbolt cannot
// remap the file while a transaction is open, so the mapping is stable.
func (db *DB) touch(tx *bolt.Tx, n int) {
	if db.opts.ReadOnly {
		if db.touched.Add(int64(n)) < releaseReader {
			return
		}
		db.touched.Store(0)
		dropMapped(tx.DB().Info().Data, tx.Size())
		return
	}
	if db.touched.Add(int64(n)) < writerCheck {
		return
	}
	counted := db.touched.Swap(0)
	m := &db.mapMeter
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.resident()
	if r < 0 {
		// No measure: release every releaseWriter bytes counted.
		if m.counted += counted; m.counted >= releaseWriter {
			m.counted = 0
			dropMapped(tx.DB().Info().Data, tx.Size())
		}
		return
	}
	if r-m.base < writerMapBudget {
		m.base = min(m.base, r) // less than after the last release: a remap dropped pages
		return
	}
	dropMapped(tx.DB().Info().Data, tx.Size())
	m.base = m.resident()
}

// Open opens (creating it when absent, unless read-only) the archive at
// path. A writer takes the run lock (ErrLocked when another writer has it)
// and migrates an archive of schema 1; a reader waits up to LockTimeout
// for a running writer to let go of the file.
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.OnDemand {
		o.ReadOnly = true
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 300 * time.Millisecond
		if o.ReadOnly {
			o.LockTimeout = 30 * time.Second
		}
	}
	if o.DictTrainAfter <= 0 {
		o.DictTrainAfter = 200
	}
	if o.PackBytes <= 0 {
		o.PackBytes = defaultPackBytes
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
	db := &DB{path: path, opts: o, codec: newCodec()}
	if !o.ReadOnly {
		db.cache.budget = writerPackCacheBytes
	}
	if err := db.open(); err != nil {
		db.shutdown()
		return nil, err
	}
	return db, nil
}

func (db *DB) open() error {
	if err := db.openSidecars(); err != nil {
		return fmt.Errorf("%s: %w", db.path, err)
	}
	if !db.opts.ReadOnly {
		if err := db.takeRunLock(); err != nil {
			return err
		}
	}
	db.h.mu.Lock()
	err := db.openFile(true)
	db.h.mu.Unlock()
	if errors.Is(err, ErrPagesDamaged) && db.opts.Salvage {
		db.pagesDamaged = err
		return nil // Repair salvages the file first
	}
	if err != nil {
		return err
	}
	if !db.opts.ReadOnly {
		// A writer builds on the file's pages: it refuses damaged ones
		// (cheap enough to check on every run: see CheckPages).
		if err := db.CheckPages(); err != nil {
			if !db.opts.Salvage {
				return err
			}
			db.pagesDamaged = err
			return nil // Repair salvages the file first
		}
	}
	return db.ready()
}

// ready finishes opening a sound file: its schema, dictionaries, a
// writer's migration and checksums, and the writer's watch for readers.
func (db *DB) ready() error {
	if err := db.init(); err != nil {
		return err
	}
	if err := db.view(func(tx *bolt.Tx) error { return db.codec.load(tx) }); err != nil {
		return err
	}
	if !db.opts.ReadOnly && db.schema == 1 {
		if err := db.migrate(); err != nil {
			return fmt.Errorf("%s: migrating the archive to schema %d: %w (run the command again to resume)", db.path, SchemaVersion, err)
		}
	}
	if !db.opts.ReadOnly {
		if err := db.addSums(); err != nil {
			return fmt.Errorf("%s: adding checksums to the archive's bookkeeping: %w", db.path, err)
		}
	}
	if !db.opts.ReadOnly && !db.opts.Salvage {
		if err := db.openJournal(); err != nil {
			return fmt.Errorf("%s: %w", db.path, err)
		}
	}
	if db.opts.OnDemand {
		db.h.mu.Lock()
		db.closeFile()
		db.h.mu.Unlock()
	}
	if !db.opts.ReadOnly && db.h.readers != nil && db.h.stop == nil {
		db.h.stop, db.h.watcherDone = make(chan struct{}), make(chan struct{})
		go db.watch()
	}
	if db.grouping() && db.group.stop == nil {
		db.startFlusher()
	}
	return nil
}

// init creates the buckets of a new file and checks the schema of an old one.
func (db *DB) init() error {
	var version string
	var hasBuckets, migrating bool
	err := db.safeView(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			version = string(m.Get(kSchema))
			migrating = m.Get(kMigrating) != nil
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
		db.schema = SchemaVersion
		return db.update(func(tx *bolt.Tx) error {
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
			if err := m.Put(kSums, []byte("1")); err != nil {
				return err
			}
			return m.Put(kCreated, []byte(time.Now().UTC().Format(time.RFC3339)))
		})
	}
	v, err := strconv.Atoi(version)
	if err != nil {
		return fmt.Errorf("%s: %w: schema version %q is not a number", db.path, ErrNotArchive, version)
	}
	if v < 1 {
		return fmt.Errorf("%s: %w %d: not a schema kremlin-archive ever wrote", db.path, ErrSchema, v)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%s: %w %d (this program reads versions 1 to %d): this archive was written by a newer kremlin-archive; upgrade kremlin-archive to read it",
			db.path, ErrSchema, v, SchemaVersion)
	}
	db.schema = v
	if migrating {
		db.schema = 1 // an interrupted migration: resume it
	}
	if db.opts.ReadOnly {
		return nil
	}
	// A newer build may add buckets; create the missing ones.
	return db.update(func(tx *bolt.Tx) error {
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
func (db *DB) safeView(fn func(tx *bolt.Tx) error) error {
	return db.view(func(tx *bolt.Tx) (err error) {
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

// Close closes the file, waiting for open transactions, and releases the
// locks.
func (db *DB) Close() error { return db.shutdown() }

// Size is the size of the archive file on disk, in bytes.
func (db *DB) Size() int64 {
	if fi, err := os.Stat(db.path); err == nil {
		return fi.Size()
	}
	return 0
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
