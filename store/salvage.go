package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/big"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Salvage: an archive file whose own pages are damaged (bbolt's page
// check fails: a page header, a branch or the freelist changed, or the
// file cut short) cannot be written to: bbolt would build on the damaged
// pages. Repair copies every entry that can still be read into a new file
// (each bucket walked in key order; a page that cannot be read is stepped
// over by seeking past it), keeps the damaged file as <db>.damaged, puts
// the new one in its place, and then repairs what the copy lost like any
// other damage: the documents concerned are fetched again.

// The largest key and value the archive writes, with room to spare (a
// pack is about a megabyte): an element claiming more is damaged.
const (
	maxSalvageKey   = 1 << 10
	maxSalvageValue = 64 << 20
)

// kv is one entry of a bucket.
type kv struct{ k, v []byte }

// salvage replaces the archive file with a copy of what can be read from
// it. It returns what it could not copy, for the report.
func (db *DB) salvage() ([]RepairAction, error) {
	h := &db.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := db.closeFile(); err != nil {
		return nil, err
	}
	if h.readers != nil {
		const what = "waiting for readers of the archive to finish before repairing it"
		if _, err := db.waitLock(h.turn, true, time.Time{}, what); err != nil {
			return nil, err
		}
		if _, err := db.waitLock(h.readers, true, time.Time{}, what); err != nil {
			unlock(h.turn)
			return nil, err
		}
	}
	acts, err := db.copyReadable()
	if h.readers != nil {
		unlock(h.readers)
		unlock(h.turn)
	}
	if err != nil {
		return acts, err
	}
	if err := db.openFile(false); err != nil {
		return acts, err
	}
	return acts, nil
}

func (db *DB) copyReadable() ([]RepairAction, error) {
	var acts []RepairAction
	src, err := bolt.Open(db.path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%s: %w: bbolt cannot open it (%v); restore it from a backup", db.path, ErrPagesDamaged, err)
	}
	tmp := db.path + ".salvage"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		src.Close()
		return nil, err
	}
	names := map[string]bool{}
	for _, n := range append(allBuckets, bAnalysis, bRawV1, bRecordsV1, bChangesV1) {
		names[string(n)] = true
	}
	_ = readSafely(src, func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names[string(name)] = true
			return nil
		})
	})
	copied := 0
	for name := range names {
		kvs, seq, lost := salvageBucket(src, []byte(name))
		if lost != "" {
			acts = append(acts, RepairAction{What: "salvage", Msg: fmt.Sprintf("bucket %s: %s", name, lost)})
		}
		if kvs == nil && seq == 0 && !bytesIn(allBuckets, name) {
			continue
		}
		for len(kvs) > 0 || seq > 0 {
			n := min(len(kvs), 2000)
			if err := dst.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				if seq > 0 {
					if err := b.SetSequence(seq); err != nil {
						return err
					}
					seq = 0
				}
				b.FillPercent = 1
				for _, e := range kvs[:n] {
					if err := b.Put(e.k, e.v); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				src.Close()
				dst.Close()
				return acts, err
			}
			copied += n
			kvs = kvs[n:]
		}
	}
	src.Close()
	if err := dst.Sync(); err != nil {
		dst.Close()
		return acts, err
	}
	if err := dst.Close(); err != nil {
		return acts, err
	}
	kept := db.path + ".damaged"
	if err := os.Rename(db.path, kept); err != nil {
		return acts, err
	}
	if err := os.Rename(tmp, db.path); err != nil {
		return acts, err
	}
	if d, err := os.Open(filepath.Dir(db.path)); err == nil {
		d.Sync()
		d.Close()
	}
	acts = append(acts, RepairAction{What: "salvage", Msg: fmt.Sprintf("the file's own pages were damaged: %d readable entries copied into a new file; the damaged file is kept as %s (delete it once the archive is verified clean)", copied, kept)})
	return acts, nil
}

func bytesIn(list [][]byte, s string) bool {
	for _, b := range list {
		if string(b) == s {
			return true
		}
	}
	return false
}

// readSafely runs fn in a read transaction, a damaged page (panic or
// memory fault) returned as an error.
func readSafely(b *bolt.DB, fn func(tx *bolt.Tx) error) error {
	return b.View(func(tx *bolt.Tx) (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("damaged page: %v", r)
			}
		}()
		return fn(tx)
	})
}

// salvageBucket reads every entry of bucket name that can be read, in
// key order, stepping over the pages that cannot.
func salvageBucket(b *bolt.DB, name []byte) (kvs []kv, seq uint64, lost string) {
	var from []byte // nil: from the first key
	skips := 0
	for {
		var last []byte
		err := readSafely(b, func(tx *bolt.Tx) error {
			bk := tx.Bucket(name)
			if bk == nil {
				return nil
			}
			if from == nil {
				seq = bk.Sequence()
			}
			c := bk.Cursor()
			var k, v []byte
			if from == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if v == nil {
					continue // a nested bucket: the archive has none
				}
				if len(k) > maxSalvageKey || len(v) > maxSalvageValue {
					// A damaged element header: its sizes are garbage.
					return fmt.Errorf("an entry of impossible size")
				}
				e := kv{bytes.Clone(k), bytes.Clone(v)}
				if n := len(kvs); n > 0 && bytes.Compare(e.k, kvs[n-1].k) <= 0 {
					return fmt.Errorf("keys out of order")
				}
				kvs = append(kvs, e)
				last = e.k
			}
			return nil
		})
		if err == nil {
			if skips > 0 {
				lost = fmt.Sprintf("%d damaged stretch(es) of entries could not be read", skips)
			}
			return kvs, seq, lost
		}
		skips++
		if last == nil && len(kvs) > 0 {
			last = kvs[len(kvs)-1].k
		}
		next := probePast(b, name, last)
		if next == nil || skips > 10000 {
			return kvs, seq, fmt.Sprintf("%d damaged stretch(es) of entries could not be read; the rest of the bucket after them is lost", skips)
		}
		from = next
	}
}

// probePast finds the smallest key from which the bucket reads again
// after last (nil: from the start), seeking at growing distances and
// then narrowing down; nil when none is found.
func probePast(b *bolt.DB, name, last []byte) []byte {
	base := last
	if base == nil {
		base = make([]byte, 10)
	}
	at := func(step *big.Int) []byte {
		n := new(big.Int).SetBytes(base)
		n.Add(n, step)
		out := n.Bytes()
		if len(out) > len(base) {
			return nil // past the largest key of this length
		}
		k := make([]byte, len(base))
		copy(k[len(base)-len(out):], out)
		return k
	}
	ok := func(k []byte) bool {
		err := readSafely(b, func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			kk, v := c.Seek(k)
			if len(kk) > maxSalvageKey || len(v) > maxSalvageValue {
				return fmt.Errorf("an entry of impossible size")
			}
			if kk != nil {
				_ = bytes.Clone(v)
			}
			return nil
		})
		return err == nil
	}
	lo := big.NewInt(0) // fails (or is last itself)
	var hi *big.Int
	for i := 0; i < 8*len(base)+1; i++ {
		step := new(big.Int).Lsh(big.NewInt(1), uint(i))
		k := at(step)
		if k == nil {
			return nil
		}
		if ok(k) {
			hi = step
			break
		}
		lo = step
	}
	if hi == nil {
		return nil
	}
	one := big.NewInt(1)
	for new(big.Int).Sub(hi, lo).Cmp(one) > 0 {
		mid := new(big.Int).Add(lo, hi)
		mid.Rsh(mid, 1)
		if ok(at(mid)) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return at(hi)
}

// preOpenCheck reads the file's meta pages and freelist header directly
// (not through bbolt, which maps the file and faults on a page past its
// end) and returns ErrPagesDamaged when bbolt could not open the file
// safely: no valid meta page, the file shorter than its pages, the
// freelist or the root outside them. A new or empty file passes.
func preOpenCheck(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt says what is wrong (or creates it)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", path, ErrPagesDamaged, fmt.Sprintf(format, args...))
	}
	type meta struct {
		pageSize                   uint32
		root, freelist, pgid, txid uint64
	}
	read := func(off int64) (meta, bool) {
		var b [16 + 64]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			return meta{}, false
		}
		m := b[16:]
		le := binary.LittleEndian
		if le.Uint32(m[0:]) != 0xED0CDAED || le.Uint32(m[4:]) != 2 {
			return meta{}, false
		}
		h := fnv.New64a()
		h.Write(m[:56])
		if h.Sum64() != le.Uint64(m[56:]) {
			return meta{}, false
		}
		return meta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
	}
	m0, ok0 := read(0)
	if !ok0 && fi.Size() < 4096 {
		return nil // not a bbolt file: bbolt says so
	}
	ps := int64(4096)
	if ok0 && m0.pageSize >= 512 && m0.pageSize <= 1<<16 {
		ps = int64(m0.pageSize)
	}
	m1, ok1 := read(ps)
	var m meta
	switch {
	case ok0 && ok1:
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
	case ok0:
		m = m0
	case ok1:
		m = m1
	default:
		return nil // bbolt refuses it itself (ErrInvalid): not an archive
	}
	ps = int64(m.pageSize)
	if ps < 512 || ps > 1<<16 {
		return damaged("its meta page gives a page size of %d", ps)
	}
	if need := int64(m.pgid) * ps; fi.Size() < need {
		return damaged("the file is cut short: %d bytes, its pages need %d", fi.Size(), need)
	}
	if m.root >= m.pgid || m.root < 2 {
		return damaged("its root page %d is outside its %d pages", m.root, m.pgid)
	}
	if m.freelist != ^uint64(0) {
		if m.freelist >= m.pgid || m.freelist < 2 {
			return damaged("its freelist page %d is outside its %d pages", m.freelist, m.pgid)
		}
		var h [16]byte
		if _, err := f.ReadAt(h[:], int64(m.freelist)*ps); err != nil {
			return damaged("its freelist page cannot be read: %v", err)
		}
		le := binary.LittleEndian
		if le.Uint16(h[8:]) != 0x10 {
			return damaged("page %d is not the freelist its meta page names", m.freelist)
		}
		if over := uint64(le.Uint32(h[12:])); m.freelist+over >= m.pgid {
			return damaged("the freelist runs past the file's %d pages", m.pgid)
		}
	}
	return nil
}
