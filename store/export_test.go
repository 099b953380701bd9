package store

// Hooks for the external tests (package store_test). They read the
// archive's internals without changing them.

import (
	"encoding/binary"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// ScanChunk is the number of documents Scan reads per transaction.
const ScanChunk = scanChunk

// Bucket names, for tests that edit the file through bbolt directly.
var (
	BucketMeta     = string(bMeta)
	BucketDicts    = string(bDicts)
	BucketDocs     = string(bDocs)
	BucketRaw      = string(bRaw)
	BucketRecords  = string(bRecords)
	BucketChanges  = string(bChanges)
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

// DocKey and VerKey are the key encodings of the docs and raw/records buckets.
func DocKey(lang string, id int64) []byte        { return docKey(lang, id) }
func VerKey(lang string, id int64, n int) []byte { return verKey(lang, id, n) }

// BlobDict is the dictionary ID a stored blob names.
func BlobDict(b []byte) uint32 { return blobDict(b) }

// BlobHeaderN is the size of a blob's header (format byte + dictionary ID).
const BlobHeaderN = blobHeaderN

// RawBlob returns a copy of the stored (compressed) raw blob of a version.
func (db *DB) RawBlob(lang string, id int64, n int) []byte {
	var out []byte
	db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bRaw).Get(verKey(lang, id, n)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out
}

// RecordBlob returns a copy of the stored (compressed) record blob of a version.
func (db *DB) RecordBlob(lang string, id int64, n int) []byte {
	var out []byte
	db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bRecords).Get(verKey(lang, id, n)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out
}

// RawBlobDicts counts the raw blobs of lang by the dictionary they name.
func (db *DB) RawBlobDicts(lang string) map[uint32]int {
	out := map[uint32]int{}
	db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRaw).ForEach(func(k, v []byte) error {
			if string(k[:2]) == lang {
				out[blobDict(v)]++
			}
			return nil
		})
	})
	return out
}

// CurrentDict is the dictionary new raw pages of lang are compressed with.
func (db *DB) CurrentDict(lang string) uint32 { return db.codec.currentDict(lang) }

// StoredCurrentDict is the dictionary the meta bucket names for lang.
func (db *DB) StoredCurrentDict(lang string) uint32 {
	var id uint32
	db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(dictCurrentKey(lang)); len(v) == 4 {
			id = binary.BigEndian.Uint32(v)
		}
		return nil
	})
	return id
}

// ChangeEntry is one entry of the changes index.
type ChangeEntry struct {
	Seq  uint64
	Lang string
	ID   int64
}

// Changes lists the changes index in sequence order.
func (db *DB) Changes() []ChangeEntry {
	var out []ChangeEntry
	db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bChanges).ForEach(func(k, v []byte) error {
			lang, id, _ := parseDocKey(v)
			out = append(out, ChangeEntry{Seq: binary.BigEndian.Uint64(k), Lang: lang, ID: id})
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// EncodeForTest compresses p with dictionary id, as the store would.
func (db *DB) EncodeForTest(p []byte, id uint32) []byte { return db.codec.encode(p, id) }

// PutRawBlobForTest overwrites the raw blob of a version.
func (db *DB) PutRawBlobForTest(lang string, id int64, n int, blob []byte) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bRaw).Put(verKey(lang, id, n), blob)
	})
}

// MarshalRaw and UnmarshalRaw expose the stored form of a raw response.
func MarshalRaw(r *Raw) []byte            { return marshalRaw(r) }
func UnmarshalRaw(p []byte) (*Raw, error) { return unmarshalRaw(p) }
