package store

import (
	"bytes"
	"context"
	"encoding/binary"
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

// stagedBatch is how many staged entries one reparse transaction takes.
const stagedBatch = 64

// Reparse rebuilds every stored record (of lang, "" = all) from its raw
// response, offline, one pack per transaction (records and pages share
// packs: a pack whose records change is written again). A document whose
// current record changes gets a new change sequence number, so the next
// `export --since` includes it. onError is told about each version the
// parser refuses; the old record then stays. progress is called with the
// number of documents done so far.
func (db *DB) Reparse(lang string, fn ReparseFunc, onError func(lang string, id int64, version int, err error), progress func(done int)) (*ReparseStats, error) {
	st := &ReparseStats{}
	reported := 0
	for _, name := range [][]byte{bPacks, bStage} {
		var from []byte
		for {
			var next []byte
			err := db.update(func(tx *bolt.Tx) error {
				b := tx.Bucket(name)
				c := b.Cursor()
				k, v := c.First()
				if from != nil {
					k, v = c.Seek(from)
				}
				limit := stagedBatch
				if string(name) == string(bPacks) {
					limit = 1
				}
				var keys [][]byte
				for ; k != nil; k, v = c.Next() {
					if len(keys) == limit {
						next = bytes.Clone(k)
						break
					}
					l, err := parsePackBlob(v)
					if err != nil {
						return fmt.Errorf("%s %x: %w", name, k, err)
					}
					if len(l.entries) > 0 && (lang == "" || l.entries[0].lang == lang) {
						keys = append(keys, bytes.Clone(k))
					}
				}
				for _, k := range keys {
					if err := db.reparseBlob(tx, name, k, b.Get(k), fn, onError, st); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return st, err
			}
			if progress != nil && st.Documents > reported {
				progress(st.Documents)
				reported = st.Documents
			}
			if next == nil {
				break
			}
			from = next
		}
	}
	db.cache.reset()
	return st, nil
}

// reparseBlob reparses the versions of one pack (or staged entry) and
// writes it again when a record changed.
func (db *DB) reparseBlob(tx *bolt.Tx, bucket, key, blob []byte, fn ReparseFunc, onError func(string, int64, int, error), st *ReparseStats) error {
	db.touch(tx, len(blob)+costLookup)
	pc, err := db.codec.decodePack(blob, true)
	if err != nil {
		return fmt.Errorf("%s %x: %w", bucket, key, err)
	}
	packed := string(bucket) == string(bPacks)
	at := func(i int) loc {
		if packed {
			return loc{pack: binary.BigEndian.Uint64(key), slot: i}
		}
		return loc{pack: binary.BigEndian.Uint64(key), slot: int(binary.BigEndian.Uint16(key[8:]))}
	}
	recs := make([][]byte, len(pc.entries))
	changedAny := false
	for i, e := range pc.entries {
		recs[i] = pc.record(i)
		d, ok, err := getDoc(tx, e.lang, e.id)
		if err != nil {
			return err
		}
		n := 0
		if ok {
			for j, l := range d.locs {
				if l == at(i) {
					n = j + 1
				}
			}
		}
		if n == 0 {
			continue // not a version of the document it names: verify reports it
		}
		current := n == d.Versions
		if current {
			st.Documents++
		}
		s := &stored{entry: e, rec: recs[i], head: pc.head(i), body: pc.body(i)}
		old, err := s.record()
		if err != nil {
			return fmt.Errorf("%s/%d version %d: %w", e.lang, e.id, n, err)
		}
		raw, err := s.raw()
		if err != nil {
			return fmt.Errorf("raw page %s/%d version %d: %w", e.lang, e.id, n, err)
		}
		st.Versions++
		nr, err := fn(raw, old)
		if err == nil && (nr.ID != e.id || nr.Lang != e.lang) {
			err = fmt.Errorf("the page parses as document %s/%d", nr.Lang, nr.ID)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if err != nil {
			st.Failed++
			if onError != nil {
				onError(e.lang, e.id, n, err)
			}
			continue
		}
		// The fetch fields are the archive's, not the parser's.
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
		recs[i], changedAny = b, true
		if current && !record.SameContent(old, nr) {
			st.Changed++
			d.Title, d.Sections = nr.Title, nr.Sections
			d.Date = ""
			if nr.Date != nil {
				d.Date = *nr.Date
			}
			if err := bumpSeq(tx, d); err != nil {
				return err
			}
			if err := putDoc(tx, d); err != nil {
				return err
			}
		}
	}
	if !changedAny {
		return nil
	}
	nb, err := db.codec.encodePackBlob(pc, recs, packed)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put(key, nb)
}
