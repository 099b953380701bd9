package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Filter selects documents for Scan. Zero fields select everything.
type Filter struct {
	Lang    string  // "en" or "ru"
	IDs     []int64 // only these documents
	Since   uint64  // only documents changed after this sequence number
	From    string  // publication date >= From (YYYY-MM-DD)
	To      string  // publication date <= To
	Section string  // listing section (news) or publication section (News), case-insensitive
}

// Match reports whether d (an archived document) passes the filter.
func (f *Filter) Match(d *Doc) bool {
	if f.Lang != "" && d.Lang != f.Lang {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, d.ID) {
		return false
	}
	if f.Since > 0 && d.Seq <= f.Since {
		return false
	}
	if (f.From != "" || f.To != "") && d.Date == "" {
		return false
	}
	if f.From != "" && d.Date < f.From {
		return false
	}
	if f.To != "" && d.Date > f.To {
		return false
	}
	if f.Section != "" {
		ok := false
		for _, s := range append(slices.Clone(d.ListedIn), d.Sections...) {
			if strings.EqualFold(s, f.Section) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.Versions > 0
}

// scanChunk bounds how many documents one read transaction collects, so a
// long export never holds a transaction (and memory) for the whole archive.
const scanChunk = 128

// Scan calls fn with every archived document matching f and its current
// record, in (language, ID) order. Each record has Version set to the
// number of stored versions. Memory use does not grow with the archive:
// documents are read a chunk per transaction.
func (db *DB) Scan(f Filter, fn func(d *Doc, r *record.Record) error) error {
	return db.docChunks(f.Lang, func(batch []Doc) error {
		sel := batch[:0]
		var blobs [][]byte
		err := db.bolt.View(func(tx *bolt.Tx) error {
			recs := tx.Bucket(bRecords)
			for _, d := range batch {
				if !f.Match(&d) {
					continue
				}
				blob := recs.Get(verKey(d.Lang, d.ID, d.Versions))
				if blob == nil {
					return fmt.Errorf("%w: record %s/%d version %d is missing", ErrCorrupt, d.Lang, d.ID, d.Versions)
				}
				sel = append(sel, d)
				blobs = append(blobs, append([]byte(nil), blob...))
				db.touch(tx, len(blob)+costLookup)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range sel {
			p, err := db.codec.decode(blobs[i])
			if err != nil {
				return fmt.Errorf("record %s/%d: %w", sel[i].Lang, sel[i].ID, err)
			}
			var r record.Record
			if err := json.Unmarshal(p, &r); err != nil {
				return fmt.Errorf("%w: record %s/%d: %v", ErrCorrupt, sel[i].Lang, sel[i].ID, err)
			}
			r.Version = sel[i].Versions
			r.Normalize()
			if err := fn(&sel[i], &r); err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanDocs calls fn with the bookkeeping of every archived document, in
// (language, ID) order, without decoding records.
func (db *DB) ScanDocs(fn func(d *Doc) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDocs).ForEach(func(k, v []byte) error {
			var d Doc
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("%w: document %x: %v", ErrCorrupt, k, err)
			}
			db.touch(tx, costScanned)
			return fn(&d)
		})
	})
}

// HighWater is the highest change sequence number assigned so far; an
// export that includes every change up to now can hand it out as the mark
// for the next `--since`.
func (db *DB) HighWater() (uint64, error) {
	var n uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bChanges).Sequence()
		return nil
	})
	return n, err
}

// StorageStats describes how much space the stored pages take.
type StorageStats struct {
	Versions    int   // stored raw responses
	RawBytes    int64 // their size as received (head + body)
	StoredBytes int64 // their size compressed
	RecordBytes int64 // compressed parsed records
	FileBytes   int64 // the database file
}

// Storage measures the stored pages. It reads every raw blob header, so
// it takes a while on a large archive.
func (db *DB) Storage() (*StorageStats, error) {
	st := &StorageStats{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		st.FileBytes = tx.Size()
		if err := tx.Bucket(bRaw).ForEach(func(k, v []byte) error {
			st.Versions++
			st.StoredBytes += int64(len(v))
			db.touch(tx, len(v)+costScanned)
			if n, err := db.codec.frameSize(v); err == nil {
				st.RawBytes += n
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bRecords).ForEach(func(k, v []byte) error {
			st.RecordBytes += int64(len(v))
			return nil
		})
	})
	return st, err
}

// Capture is one stored version of a document: the raw response and the
// record parsed from it.
type Capture struct {
	Doc     *Doc
	Version int
	Raw     *Raw // URL and FetchedAt filled from the record
	Record  *record.Record
}

// ScanCaptures calls fn with every stored version (oldest first) of every
// document matching f, in (language, ID) order. Documents are listed a
// chunk per read transaction and captures read one at a time, so memory
// stays flat. With allVersions false only the current version of each
// document is passed.
func (db *DB) ScanCaptures(f Filter, allVersions bool, fn func(c *Capture) error) error {
	return db.docChunks(f.Lang, func(batch []Doc) error {
		for i := range batch {
			d := &batch[i]
			if !f.Match(d) {
				continue
			}
			first := 1
			if !allVersions {
				first = d.Versions
			}
			for n := first; n <= d.Versions; n++ {
				c, err := db.capture(d, n)
				if err != nil {
					return err
				}
				if err := fn(c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (db *DB) capture(d *Doc, n int) (*Capture, error) {
	var rawBlob []byte
	var rec *record.Record
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bRaw).Get(verKey(d.Lang, d.ID, n))
		if v == nil {
			return fmt.Errorf("%w: raw page %s/%d version %d is missing", ErrCorrupt, d.Lang, d.ID, n)
		}
		rawBlob = append([]byte(nil), v...)
		db.touch(tx, len(v)+2*costLookup)
		var err error
		rec, err = db.getRecord(tx, d.Lang, d.ID, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	raw, err := db.decodeRaw(rawBlob, rec)
	if err != nil {
		return nil, fmt.Errorf("raw page %s/%d version %d: %w", d.Lang, d.ID, n, err)
	}
	rec.Normalize()
	return &Capture{Doc: d, Version: n, Raw: raw, Record: rec}, nil
}

// docChunks calls fn with the bookkeeping of the documents of lang ("" =
// all), in key order, scanChunk documents per read transaction; fn runs
// outside the transaction.
func (db *DB) docChunks(lang string, fn func(batch []Doc) error) error {
	var from []byte
	if lang != "" {
		from = []byte(lang)
	}
	for {
		var batch []Doc
		var next []byte
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bDocs).Cursor()
			var k, v []byte
			if from == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if lang != "" && !bytes.HasPrefix(k, []byte(lang)) {
					return nil
				}
				if len(batch) == scanChunk {
					next = append([]byte(nil), k...)
					return nil
				}
				var d Doc
				if err := json.Unmarshal(v, &d); err != nil {
					return fmt.Errorf("%w: document %x: %v", ErrCorrupt, k, err)
				}
				db.touch(tx, costScanned)
				batch = append(batch, d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		from = next
	}
}
