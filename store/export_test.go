package store

// Hooks for the external tests (package store_test). They read the
// archive's internals without changing them, except where named ForTest.

import (
	"encoding/binary"
	"io"

	"github.com/klauspost/compress/zstd"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// ScanChunk is the number of documents Scan reads per transaction.
const ScanChunk = scanChunk

// Bucket names, for tests that edit the file through bbolt directly.
var (
	BucketMeta     = string(bMeta)
	BucketDicts    = string(bDicts)
	BucketDocs     = string(bDocs)
	BucketPacks    = string(bPacks)
	BucketStage    = string(bStage)
	BucketPending  = string(bPending)
	BucketSections = string(bSections)
	BucketHosts    = string(bHosts)
	BucketRuns     = string(bRuns)
	AllBuckets     = func() []string {
		var out []string
		for _, b := range allBuckets {
			out = append(out, string(b))
		}
		return out
	}()
	KeySchema = string(kSchema)
)

// DocKey is the key encoding of the docs bucket.
func DocKey(lang string, id int64) []byte { return docKey(lang, id) }

// PackKey and StageKey are the keys of the packs and stage buckets.
func PackKey(id uint64) []byte              { return packKey(id) }
func StageKey(pack uint64, slot int) []byte { return stageKey(pack, slot) }

// Loc says where version n of a document is stored: pack and slot, and
// whether the pack is sealed (else the version is staged).
func (db *DB) Loc(lang string, id int64, n int) (pack uint64, slot int, sealed bool) {
	db.view(func(tx *bolt.Tx) error {
		d, ok, err := getDoc(tx, lang, id)
		if err != nil || !ok || n < 1 || n > len(d.locs) {
			return err
		}
		l := d.locs[n-1]
		pack, slot = l.pack, l.slot
		sealed = tx.Bucket(bPacks).Get(packKey(l.pack)) != nil
		return nil
	})
	return
}

// StoredBlob returns a copy of the blob holding version n of a document:
// its pack, or its staged entry.
func (db *DB) StoredBlob(lang string, id int64, n int) []byte {
	pack, slot, sealed := db.Loc(lang, id, n)
	var out []byte
	db.view(func(tx *bolt.Tx) error {
		var v []byte
		if sealed {
			v = tx.Bucket(bPacks).Get(packKey(pack))
		} else {
			v = tx.Bucket(bStage).Get(stageKey(pack, slot))
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out
}

// BlobEntries lists the (lang, id) of the entries of a pack blob.
func BlobEntries(blob []byte) ([]string, error) {
	l, err := parsePackBlob(blob)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range l.entries {
		out = append(out, e.lang+"/"+strconv.FormatInt(e.id, 10))
	}
	return out, err
}

// BlobDict is the page dictionary a pack blob uses.
func BlobDict(blob []byte) uint32 {
	l, err := parsePackBlob(blob)
	if err != nil {
		return 0
	}
	return l.pageDict
}

// BlobRecordDict is the dictionary the record groups of a blob name.
func BlobRecordDict(blob []byte) uint32 {
	l, err := parsePackBlob(blob)
	if err != nil || len(l.groups) == 0 {
		return 0
	}
	_, d, _ := frameInfo(l.groups[0])
	return d
}

// PackDicts counts the sealed packs of lang by the page dictionary they
// use (staged entries use none).
func (db *DB) PackDicts(lang string) map[uint32]int {
	out := map[uint32]int{}
	db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bPacks).ForEach(func(k, v []byte) error {
			if l, err := parsePackBlob(v); err == nil && len(l.entries) > 0 && l.entries[0].lang == lang {
				out[l.pageDict]++
			}
			return nil
		})
	})
	return out
}

// OpenPackState is the open pack of lang: ID, staged entries, raw bytes.
func (db *DB) OpenPackState(lang string) (id uint64, n, size int, ok bool) {
	db.view(func(tx *bolt.Tx) error {
		var op openPack
		op, ok = getOpenPack(tx, lang)
		id, n, size = op.id, op.n, op.bytes
		return nil
	})
	return
}

// PutBlobForTest overwrites the blob holding version n of a document.
func (db *DB) PutBlobForTest(lang string, id int64, n int, blob []byte) error {
	pack, slot, sealed := db.Loc(lang, id, n)
	return db.update(func(tx *bolt.Tx) error {
		if sealed {
			return tx.Bucket(bPacks).Put(packKey(pack), blob)
		}
		return tx.Bucket(bStage).Put(stageKey(pack, slot), blob)
	})
}

// CurrentDict is the dictionary new pages of lang are compressed with.
func (db *DB) CurrentDict(lang string) uint32 { return db.codec.currentDict(lang) }

// StoredCurrentDict is the dictionary the meta bucket names for lang.
func (db *DB) StoredCurrentDict(lang string) uint32 {
	var id uint32
	db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(dictCurrentKey(lang)); len(v) == 4 {
			id = binary.BigEndian.Uint32(v)
		}
		return nil
	})
	return id
}

// Schema is the schema the archive was read as at Open.
func (db *DB) Schema() int { return db.schema }

// ReencodeBlobForTest compresses a pack blob (or staged entry) again with
// page and records dictionary dict (0: none), as the store would.
func (db *DB) ReencodeBlobForTest(blob []byte, dict uint32) []byte {
	pc, err := db.codec.decodePack(blob, true)
	if err != nil {
		panic(err)
	}
	recs := make([][]byte, len(pc.entries))
	for i := range recs {
		recs[i] = pc.record(i)
	}
	l, _ := parsePackBlob(blob)
	out, err := db.codec.buildBlobWith(dict, dict, pc.entries, recs, l.withRecords, len(pc.pages), func(w io.Writer) error {
		_, err := w.Write(pc.pages)
		return err
	})
	if err != nil {
		panic(err)
	}
	return out
}

// SetFrameDictForTest rewrites the dictionary ID in the header of a
// blob's first record frame (which has no checksum), as a damaged byte
// would.
func SetFrameDictForTest(blob []byte, dict uint32) []byte {
	out := append([]byte(nil), blob...)
	l, err := parsePackBlob(out)
	if err != nil || len(l.groups) == 0 {
		panic("not a pack blob")
	}
	at := len(out) - len(l.pages)
	for _, g := range l.groups {
		at -= len(g)
	}
	frame := out[at:]
	fhd := frame[4]
	at = 5
	if fhd&(1<<5) == 0 {
		at++ // window descriptor
	}
	id := zstdDictID(dict)
	switch fhd & 3 {
	case 1:
		frame[at] = byte(id)
	case 2:
		binary.LittleEndian.PutUint16(frame[at:], uint16(id))
	case 3:
		binary.LittleEndian.PutUint32(frame[at:], id)
	default:
		panic("the frame names no dictionary")
	}
	return out
}

// PlainSizeForTest is the size of p compressed on its own with zstd's
// fastest level, without a dictionary.
func (db *DB) PlainSizeForTest(p []byte) int {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return len(enc.EncodeAll(p, nil))
}

// DocValueForTest is the stored form of d; DecodeDocForTest reads one.
func DocValueForTest(d *Doc) []byte { return encodeDoc(d) }
func DecodeDocForTest(lang string, id int64, v []byte) (*Doc, error) {
	return decodeDoc(lang, id, v)
}

// LocsForTest and SetLocsForTest read and set where d's versions are
// stored, as (pack, slot) pairs.
func (d *Doc) LocsForTest() [][2]uint64 {
	var out [][2]uint64
	for _, l := range d.locs {
		out = append(out, [2]uint64{l.pack, uint64(l.slot)})
	}
	return out
}

func (d *Doc) SetLocsForTest(ls [][2]uint64) {
	d.locs = nil
	for _, l := range ls {
		d.locs = append(d.locs, loc{l[0], int(l[1])})
	}
}

// OpenPackForTest is the meta key and value of an open pack's state.
func OpenPackForTest(lang string, id uint64, n, size int) (key, value []byte) {
	v := u64(id)
	v = binary.AppendUvarint(v, uint64(n))
	v = binary.AppendUvarint(v, uint64(size))
	return openPackKey(lang), v
}

// SetMigrationForTest makes migration batches of n documents and calls
// hook before each (nil: none); it returns a function restoring both.
func SetMigrationForTest(n int, hook func(batch int) error) (restore func()) {
	oldN, oldHook := migrateBatchDocs, migrateHook
	migrateBatchDocs, migrateHook = n, hook
	return func() { migrateBatchDocs, migrateHook = oldN, oldHook }
}

// HasBucket reports whether the archive has a top-level bucket.
func (db *DB) HasBucket(name string) bool {
	var ok bool
	db.view(func(tx *bolt.Tx) error { ok = tx.Bucket([]byte(name)) != nil; return nil })
	return ok
}

// MetaValue is a value of the meta bucket.
func (db *DB) MetaValue(key string) string {
	var v string
	db.view(func(tx *bolt.Tx) error { v = string(tx.Bucket(bMeta).Get([]byte(key))); return nil })
	return v
}
