package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Problem is one thing verify found wrong. Lang/ID name the document when
// the problem is about one (ID 0 otherwise).
type Problem struct {
	Lang    string
	ID      int64
	Version int
	Msg     string
}

func (p Problem) String() string {
	switch {
	case p.ID != 0 && p.Version != 0:
		return fmt.Sprintf("%s/%d version %d: %s", p.Lang, p.ID, p.Version, p.Msg)
	case p.ID != 0:
		return fmt.Sprintf("%s/%d: %s", p.Lang, p.ID, p.Msg)
	}
	return p.Msg
}

// VerifyStats counts what verify checked.
type VerifyStats struct {
	Documents int
	Versions  int
	RawBytes  int64
	Pending   int
	Problems  int
}

// Verify re-reads the whole archive: bbolt's own page consistency check,
// then every stored raw page (decompressed, its body's SHA-256 compared
// with the digest recorded at fetch time), every parsed record (decoded,
// its identity checked), and the agreement of the indexes (documents,
// versions, change sequence, frontier). Each problem is passed to report;
// a problem never stops the check. A corrupted page that makes bbolt panic
// is reported as such.
func (db *DB) Verify(report func(Problem)) (st *VerifyStats, err error) {
	st = &VerifyStats{}
	add := func(p Problem) {
		st.Problems++
		report(p)
	}
	damaged := false
	err = db.bolt.View(func(tx *bolt.Tx) error {
		// A damaged page can make bbolt panic or read outside the mapped
		// file; turn both into a reported problem. The recover is inside
		// the transaction so that it is still closed properly.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				damaged = true
				add(Problem{Msg: fmt.Sprintf("the database file is damaged (%v); restore it from a backup, or copy what is readable with `bbolt compact`", r)})
			}
		}()
		db.verifyDocs(tx, st, add)
		db.verifyIndexes(tx, st, add)
		db.readAll(tx)
		return nil
	})
	if err != nil || damaged {
		return st, err
	}
	// bbolt's own page check runs in a goroutine of its own, where a
	// fault could not be recovered: it runs only once every page has been
	// read safely above.
	err = db.bolt.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			add(Problem{Msg: "page check: " + cerr.Error()})
		}
		db.touch(tx, releaseEvery) // the check read every page
		return nil
	})
	return st, err
}

// readAll reads every key and value of every bucket, so that a damaged
// page faults here (where it is recovered) rather than in bbolt's check.
func (db *DB) readAll(tx *bolt.Tx) {
	var sink byte
	tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			db.touch(tx, len(v)+costScanned)
			if len(k) > 0 {
				sink ^= k[0] ^ k[len(k)-1]
			}
			if len(v) > 0 {
				sink ^= v[0] ^ v[len(v)-1]
			}
			return nil
		})
	})
	_ = sink
}

func (db *DB) verifyDocs(tx *bolt.Tx, st *VerifyStats, add func(Problem)) {
	docs, raws, recs, changes := tx.Bucket(bDocs), tx.Bucket(bRaw), tx.Bucket(bRecords), tx.Bucket(bChanges)
	c := docs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		lang, id, ok := parseDocKey(k)
		if !ok {
			add(Problem{Msg: fmt.Sprintf("documents index: bad key %x", k)})
			continue
		}
		st.Documents++
		db.touch(tx, costLookup)
		var d Doc
		if err := json.Unmarshal(v, &d); err != nil {
			add(Problem{Lang: lang, ID: id, Msg: "bookkeeping entry does not decode: " + err.Error()})
			continue
		}
		if d.Lang != lang || d.ID != id {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("bookkeeping entry names %s/%d", d.Lang, d.ID)})
		}
		if d.Versions < 1 {
			add(Problem{Lang: lang, ID: id, Msg: "no stored version"})
		}
		if d.Seq == 0 || !bytes.Equal(changes.Get(u64(d.Seq)), k) {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("change sequence %d is not indexed", d.Seq)})
		}
		for n := 1; n <= d.Versions; n++ {
			st.Versions++
			vk := verKey(lang, id, n)
			prob := func(msg string) { add(Problem{Lang: lang, ID: id, Version: n, Msg: msg}) }
			var rec record.Record
			recBlob := recs.Get(vk)
			if recBlob == nil {
				prob("parsed record is missing")
			} else if p, err := db.codec.decode(recBlob); err != nil {
				prob("parsed record: " + err.Error())
			} else if err := json.Unmarshal(p, &rec); err != nil {
				prob("parsed record does not decode: " + err.Error())
			} else if rec.ID != id || rec.Lang != lang {
				prob(fmt.Sprintf("parsed record names %s/%d", rec.Lang, rec.ID))
			}
			rawBlob := raws.Get(vk)
			if rawBlob == nil {
				prob("raw page is missing")
				continue
			}
			db.touch(tx, len(rawBlob)+2*costLookup)
			p, err := db.codec.decode(rawBlob)
			if err != nil {
				prob("raw page: " + err.Error())
				continue
			}
			raw, err := unmarshalRaw(p)
			if err != nil {
				prob("raw page: " + err.Error())
				continue
			}
			st.RawBytes += int64(len(raw.Body))
			sum := sha256.Sum256(raw.Body)
			got := hex.EncodeToString(sum[:])
			if rec.RawSHA256 != "" && got != rec.RawSHA256 {
				prob(fmt.Sprintf("raw body digest %s does not match the recorded %s", got, rec.RawSHA256))
			}
			if n == d.Versions && d.RawSHA256 != "" && got != d.RawSHA256 {
				prob(fmt.Sprintf("raw body digest %s does not match the bookkeeping's %s", got, d.RawSHA256))
			}
		}
		if raws.Get(verKey(lang, id, d.Versions+1)) != nil {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("a raw page beyond version %d is stored", d.Versions)})
		}
	}
}

func (db *DB) verifyIndexes(tx *bolt.Tx, st *VerifyStats, add func(Problem)) {
	docs := tx.Bucket(bDocs)
	tx.Bucket(bChanges).ForEach(func(k, v []byte) error {
		lang, id, ok := parseDocKey(v)
		if !ok || len(k) != 8 {
			add(Problem{Msg: fmt.Sprintf("change index: bad entry %x -> %x", k, v)})
			return nil
		}
		var d Doc
		dv := docs.Get(v)
		if dv == nil {
			add(Problem{Lang: lang, ID: id, Msg: "change index names a document that is not archived"})
			return nil
		}
		if json.Unmarshal(dv, &d) == nil && !bytes.Equal(u64(d.Seq), k) {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("change index entry %x is stale (document's sequence is %d)", k, d.Seq)})
		}
		return nil
	})
	for _, b := range [][]byte{bRaw, bRecords} {
		name := string(b)
		tx.Bucket(b).ForEach(func(k, v []byte) error {
			lang, id, ok := parseDocKey(k)
			if !ok || len(k) != 14 {
				add(Problem{Msg: fmt.Sprintf("%s: bad key %x", name, k)})
				return nil
			}
			if docs.Get(k[:10]) == nil {
				add(Problem{Lang: lang, ID: id, Msg: name + " holds a version of a document the index does not know"})
			}
			return nil
		})
	}
	tx.Bucket(bPending).ForEach(func(k, v []byte) error {
		st.Pending++
		lang, id, _ := parseDocKey(k)
		var p Pending
		if err := json.Unmarshal(v, &p); err != nil {
			add(Problem{Lang: lang, ID: id, Msg: "frontier entry does not decode: " + err.Error()})
		}
		return nil
	})
}
