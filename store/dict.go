package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxDictSamples bounds the pages a dictionary is trained on.
const maxDictSamples = 400

// maybeTrainDict trains the first compression dictionary of a language
// once the archive holds enough of its pages, then recompresses the pages
// stored without one. Pages of this site share most of their bytes
// (navigation, footer, scripts), so a dictionary trained on them shrinks
// each page to a fraction of what per-page zstd achieves.
func (db *DB) maybeTrainDict(lang string) error {
	if db.opts.ReadOnly || db.codec.currentDict(lang) != noDict {
		return nil
	}
	db.trainMu.Lock()
	defer db.trainMu.Unlock()
	if db.codec.currentDict(lang) != noDict {
		return nil
	}
	// Count the language's pages once, then keep counting in memory:
	// samples are decoded only when the threshold is reached.
	if db.rawCount == nil {
		db.rawCount = map[string]int{}
	}
	n, counted := db.rawCount[lang]
	if !counted {
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bRaw).Cursor()
			prefix := []byte(lang)
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		n++ // the page just stored
	}
	db.rawCount[lang] = n
	if n < db.opts.DictTrainAfter {
		return nil
	}
	samples, err := db.dictSamples(lang, true)
	if err != nil {
		return err
	}
	return db.installDict(lang, samples)
}

// dictSamples decodes up to maxDictSamples stored pages of lang (only
// those stored without a dictionary when plainOnly).
func (db *DB) dictSamples(lang string, plainOnly bool) ([][]byte, error) {
	var samples [][]byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRaw).Cursor()
		prefix := []byte(lang)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(samples) < maxDictSamples; k, v = c.Next() {
			if plainOnly && blobDict(v) != noDict {
				continue
			}
			p, err := db.codec.decode(v)
			if err != nil {
				return err
			}
			samples = append(samples, p)
			db.touch(tx, len(v)+costScanned)
		}
		return nil
	})
	return samples, err
}

// TrainDict makes a new dictionary for lang from its stored pages, makes
// it current and recompresses every page of lang with it, whatever the
// number of pages. Older dictionaries stay: blobs name theirs.
func (db *DB) TrainDict(lang string) error {
	db.trainMu.Lock()
	defer db.trainMu.Unlock()
	samples, err := db.dictSamples(lang, false)
	if err != nil {
		return err
	}
	if len(samples) < 8 {
		return fmt.Errorf("only %d %s pages stored; a dictionary needs more", len(samples), lang)
	}
	return db.installDict(lang, samples)
}

func (db *DB) installDict(lang string, samples [][]byte) error {
	var id uint32
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDicts).Cursor()
		if k, _ := c.Last(); k != nil {
			id = binary.BigEndian.Uint32(k)
		}
		return nil
	}); err != nil {
		return err
	}
	id++
	d := trainDict(samples)
	if err := db.codec.addDict(id, d); err != nil {
		return err
	}
	key := make([]byte, 4)
	binary.BigEndian.PutUint32(key, id)
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bDicts).Put(key, d); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(dictCurrentKey(lang), key)
	}); err != nil {
		return err
	}
	db.codec.setCurrent(lang, id)
	return db.recompress(lang, id)
}

// recompress rewrites the raw pages of lang not compressed with dictionary
// id, a batch per transaction. A crash in between leaves a mix, which is
// fine: every blob names its own dictionary.
func (db *DB) recompress(lang string, id uint32) error {
	prefix := []byte(lang)
	var from []byte = prefix
	for {
		var next []byte
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bRaw)
			c := b.Cursor()
			type kv struct{ k, v []byte }
			var batch []kv
			k, v := c.Seek(from)
			for ; k != nil && bytes.HasPrefix(k, prefix) && len(batch) < 100; k, v = c.Next() {
				if blobDict(v) == id {
					continue
				}
				p, err := db.codec.decode(v)
				if err != nil {
					return err
				}
				batch = append(batch, kv{append([]byte(nil), k...), db.codec.encode(p, id)})
			}
			if k != nil && bytes.HasPrefix(k, prefix) {
				next = append([]byte(nil), k...)
			}
			for _, e := range batch {
				if err := b.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || next == nil {
			return err
		}
		from = next
	}
}

// DictInfo describes a stored compression dictionary.
type DictInfo struct {
	ID      uint32
	Size    int
	Current []string // languages it is current for
}

// Dicts lists the stored dictionaries.
func (db *DB) Dicts() ([]DictInfo, error) {
	var out []DictInfo
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDicts).ForEach(func(k, v []byte) error {
			id := binary.BigEndian.Uint32(k)
			di := DictInfo{ID: id, Size: len(v)}
			for _, lang := range langs {
				if db.codec.currentDict(lang) == id {
					di.Current = append(di.Current, lang)
				}
			}
			out = append(out, di)
			return nil
		})
	})
	return out, err
}
