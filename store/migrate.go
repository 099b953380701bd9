package store

// Migration from schema 1 (one compressed blob per raw page and per
// record, JSON bookkeeping, a changes index) to schema 2 (packs, binary
// bookkeeping, the change counter in meta), in place, by the first writer
// that opens a schema-1 archive.
//
// The first transaction marks the file as schema 2 "migrating" (so that an
// older kremlin-archive refuses it rather than misreading it) and carries
// the change counter over. Then documents move a batch per transaction, in
// key order: each version's page and record are read from the schema-1
// buckets, staged into packs (sealed as they fill), the bookkeeping is
// rewritten with the versions' locations, and the schema-1 blobs deleted.
// A document is thus either wholly in the old layout or wholly in the new
// one, and a reader reads both (decodeDoc tells them apart), so a
// migration interrupted at any point is consistent: the next writer
// resumes it where meta's cursor says. The last transaction drops the
// schema-1 buckets. The file is then compacted once (the old blobs' pages
// are free but would stay in the file), into a copy renamed over it.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

var kMigrateFrom = []byte("migrate_from_1_cursor")

// migrateBatch bounds one migration transaction.
var (
	migrateBatchDocs  = 256
	migrateBatchBytes = 16 << 20
	// migrateHook, when set (tests), is called before each batch; an
	// error stops the migration there, as a crash would.
	migrateHook func(batch int) error
)

func (db *DB) migrate() error {
	log := db.log()
	total := 0
	err := db.update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		total = tx.Bucket(bDocs).Stats().KeyN
		if m.Get(kMigrating) != nil {
			return nil // resuming
		}
		var seq uint64
		if ch := tx.Bucket(bChangesV1); ch != nil {
			seq = ch.Sequence()
		}
		if err := m.Put(kSeq, u64(seq)); err != nil {
			return err
		}
		if err := m.Put(kSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		return m.Put(kMigrating, []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return err
	}
	log.Info("migrating the archive to the packed layout (schema 2); an interrupted migration resumes", "db", db.path, "documents", total)
	start, lastLog := time.Now(), time.Now()
	done := 0
	for batch := 0; ; batch++ {
		if migrateHook != nil {
			if err := migrateHook(batch); err != nil {
				return err
			}
		}
		var finished bool
		err := db.update(func(tx *bolt.Tx) error {
			n, end, err := db.migrateBatch(tx)
			done += n
			finished = end
			return err
		})
		if err != nil {
			return err
		}
		if finished {
			break
		}
		if time.Since(lastLog) > 10*time.Second {
			log.Info("migrating", "done", done, "of", total)
			lastLog = time.Now()
		}
	}
	if err := db.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bRawV1, bRecordsV1, bChangesV1} {
			if tx.Bucket(b) != nil {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
		}
		m := tx.Bucket(bMeta)
		if err := m.Delete(kMigrateFrom); err != nil {
			return err
		}
		return m.Delete(kMigrating)
	}); err != nil {
		return err
	}
	db.schema = SchemaVersion
	// Schema 1 had no records dictionary: make the dictionaries now, so
	// that the packs are recompressed before the file is compacted.
	for _, lang := range langs {
		if err := db.maybeTrainDict(lang); err != nil {
			return fmt.Errorf("train compression dictionaries: %w", err)
		}
	}
	before := db.Size()
	if err := db.compact(); err != nil {
		// The archive is migrated and consistent; only its free pages stay.
		log.Warn("the migrated archive could not be compacted; it keeps its size, and later writes reuse the space", "err", err)
	}
	log.Info("archive migrated to schema 2", "documents", done, "duration", time.Since(start).Round(time.Millisecond).String(),
		"bytes_before", before, "bytes_after", db.Size())
	return nil
}

// migrateBatch moves the next schema-1 documents to packs; end is true
// when none is left.
func (db *DB) migrateBatch(tx *bolt.Tx) (n int, end bool, err error) {
	m := tx.Bucket(bMeta)
	docs := tx.Bucket(bDocs)
	var keys [][]byte
	c := docs.Cursor()
	k, v := c.First()
	if from := m.Get(kMigrateFrom); from != nil {
		k, v = c.Seek(from)
	}
	var next []byte
	for ; k != nil; k, v = c.Next() {
		if len(keys) == migrateBatchDocs {
			next = bytes.Clone(k)
			break
		}
		if len(v) > 0 && v[0] == '{' {
			keys = append(keys, bytes.Clone(k))
		}
	}
	size := 0
	for i, key := range keys {
		if size >= migrateBatchBytes {
			next = key
			keys = keys[:i]
			break
		}
		s, err := db.migrateDoc(tx, key)
		if err != nil {
			return n, false, err
		}
		size += s
		n++
	}
	if next == nil {
		return n, true, nil
	}
	return n, false, m.Put(kMigrateFrom, next)
}

// migrateDoc moves one schema-1 document; it returns the raw size moved.
func (db *DB) migrateDoc(tx *bolt.Tx, key []byte) (int, error) {
	lang, id, _ := parseDocKey(key)
	d, err := decodeDoc(lang, id, tx.Bucket(bDocs).Get(key))
	if err != nil {
		return 0, err
	}
	if err := validLang(lang); err != nil {
		return 0, fmt.Errorf("%w: document key %x: %v", ErrCorrupt, key, err)
	}
	size := 0
	d.locs = nil
	for n := 1; n <= d.Versions; n++ {
		s, err := db.readV1(tx, lang, id, n, true)
		if err != nil {
			return 0, fmt.Errorf("%s/%d version %d: %w (verify lists what is damaged)", lang, id, n, err)
		}
		blob, err := db.stagedEntry(lang, id, s.rec, s.head, s.body)
		if err != nil {
			return 0, err
		}
		sz := len(s.rec) + len(s.head) + len(s.body)
		l, err := db.stage(tx, lang, blob, sz)
		if err != nil {
			return 0, err
		}
		if op, ok := getOpenPack(tx, lang); ok && db.packFull(op) {
			if err := db.seal(tx, lang, op); err != nil {
				return 0, err
			}
		}
		d.locs = append(d.locs, l)
		size += sz
		vk := verKey(lang, id, n)
		for _, b := range [][]byte{bRawV1, bRecordsV1} {
			if bk := tx.Bucket(b); bk != nil {
				if err := bk.Delete(vk); err != nil {
					return 0, err
				}
			}
		}
	}
	d.schema1 = false
	return size, putDoc(tx, d)
}

// compact rewrites the file without its free pages: into a copy (bbolt's
// Compact, pages filled), synced, renamed over the archive. Readers are
// kept out meanwhile. On failure the archive is left as it was.
func (db *DB) compact() error {
	h := &db.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.readers != nil {
		if _, err := db.waitLock(h.turn, true, time.Time{}, "waiting for readers before compacting"); err != nil {
			return err
		}
		defer unlock(h.turn)
		if _, err := db.waitLock(h.readers, true, time.Time{}, "waiting for readers before compacting"); err != nil {
			return err
		}
		defer unlock(h.readers)
	}
	if h.bolt == nil {
		b, err := db.boltOpen(&bolt.Options{NoSync: db.opts.NoSync, FreelistType: bolt.FreelistMapType, InitialMmapSize: 64 << 20, Timeout: db.opts.LockTimeout})
		if err != nil {
			return err
		}
		b.AllocSize = allocSize
		h.bolt = b
	}
	tmp := db.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{NoSync: db.opts.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	dst.AllocSize = allocSize
	if err := bolt.Compact(dst, h.bolt, 32<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return err
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := h.bolt.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	h.bolt = nil
	renameErr := os.Rename(tmp, db.path)
	if renameErr == nil {
		if d, err := os.Open(filepath.Dir(db.path)); err == nil {
			d.Sync()
			d.Close()
		}
	} else {
		os.Remove(tmp)
	}
	b, err := db.boltOpen(&bolt.Options{NoSync: db.opts.NoSync, FreelistType: bolt.FreelistMapType, InitialMmapSize: 64 << 20, Timeout: db.opts.LockTimeout})
	if err != nil {
		return err
	}
	b.AllocSize = allocSize
	h.bolt = b
	db.cache.reset()
	return renameErr
}
