package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ReparseFunc rebuilds a record from a stored raw response. old is the
// stored record of the same version (its fetch fields are to be kept).
type ReparseFunc func(raw *Raw, old *record.Record) (*record.Record, error)

// ReparseStats counts what Reparse did.
type ReparseStats struct {
	Documents int // documents looked at
	Versions  int // versions reparsed
	Changed   int // documents whose current record changed
	Failed    int // versions the parser refused (their old record is kept)
}

// Reparse rebuilds every stored record (of lang, "" = all) from its raw
// response, offline, a batch of documents per transaction. A document
// whose current record changes gets a new change sequence number, so the
// next `export --since` includes it. onError is told about each version
// the parser refuses; the old record then stays.
func (db *DB) Reparse(lang string, fn ReparseFunc, onError func(lang string, id int64, version int, err error), progress func(done int)) (*ReparseStats, error) {
	st := &ReparseStats{}
	var from []byte
	if lang != "" {
		from = []byte(lang)
	}
	for {
		var keys [][]byte
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bDocs).Cursor()
			var k []byte
			if from == nil {
				k, _ = c.First()
			} else {
				k, _ = c.Seek(from)
			}
			for ; k != nil && len(keys) < 64; k, _ = c.Next() {
				if lang != "" && string(k[:2]) != lang {
					break
				}
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		if len(keys) == 0 {
			return st, nil
		}
		if err := db.reparseBatch(keys, fn, onError, st); err != nil {
			return st, err
		}
		if progress != nil {
			progress(st.Documents)
		}
		last := keys[len(keys)-1]
		from = append(append([]byte(nil), last...), 0) // the key after last
	}
}

func (db *DB) reparseBatch(keys [][]byte, fn ReparseFunc, onError func(string, int64, int, error), st *ReparseStats) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		docs, raws, recs := tx.Bucket(bDocs), tx.Bucket(bRaw), tx.Bucket(bRecords)
		for _, key := range keys {
			lang, id, _ := parseDocKey(key)
			var d Doc
			ok, err := getJSON(docs, key, &d)
			if err != nil || !ok {
				return err
			}
			st.Documents++
			currentChanged := false
			for n := 1; n <= d.Versions; n++ {
				vk := verKey(lang, id, n)
				old, err := db.getRecord(tx, lang, id, n)
				if err != nil {
					return err
				}
				blob := raws.Get(vk)
				if blob == nil {
					return fmt.Errorf("%w: raw page %s/%d version %d is missing", ErrCorrupt, lang, id, n)
				}
				db.touch(tx, len(blob)+2*costLookup)
				raw, err := db.decodeRaw(append([]byte(nil), blob...), old)
				if err != nil {
					return fmt.Errorf("raw page %s/%d version %d: %w", lang, id, n, err)
				}
				st.Versions++
				nr, err := fn(raw, old)
				if err == nil && (nr.ID != id || nr.Lang != lang) {
					err = fmt.Errorf("the page parses as document %s/%d", nr.Lang, nr.ID)
				}
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					return err
				}
				if err != nil {
					st.Failed++
					if onError != nil {
						onError(lang, id, n, err)
					}
					continue
				}
				nr.FetchedAt, nr.SourceURL, nr.RawSHA256 = old.FetchedAt, old.SourceURL, old.RawSHA256
				nr.Source, nr.CapturedAt = old.Source, old.CapturedAt
				nr.Version = 0
				b, err := record.Marshal(nr)
				if err != nil {
					return err
				}
				// Compare what will be stored (JSON replaces invalid UTF-8).
				nr = &record.Record{}
				if err := json.Unmarshal(b, nr); err != nil {
					return err
				}
				if record.SameContent(old, nr) && old.ParserVersion == nr.ParserVersion {
					continue
				}
				if err := recs.Put(vk, db.codec.encode(b, noDict)); err != nil {
					return err
				}
				if n == d.Versions && !record.SameContent(old, nr) {
					currentChanged = true
					d.Title, d.Sections = nr.Title, nr.Sections
					d.Date = ""
					if nr.Date != nil {
						d.Date = *nr.Date
					}
				}
			}
			if currentChanged {
				st.Changed++
				if err := bumpSeq(tx, &d, key); err != nil {
					return err
				}
				if err := putJSON(docs, key, &d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
