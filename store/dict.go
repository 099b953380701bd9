package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"

	bolt "go.etcd.io/bbolt"
)

// maxDictSamples bounds the pages a dictionary is trained on.
const maxDictSamples = 400

// maybeTrainDict trains the first compression dictionaries (pages,
// records) of a language once the archive holds enough of its pages, then
// recompresses the packs made without them. Pages of this site share most of
// their bytes (navigation, footer, scripts), so a dictionary trained on
// them shrinks a staged page to a fraction of what per-page zstd achieves,
// and the first pages of each pack too.
func (db *DB) maybeTrainDict(lang string) error {
	if db.opts.ReadOnly || db.hasDicts(lang) {
		return nil
	}
	db.trainMu.Lock()
	defer db.trainMu.Unlock()
	if db.hasDicts(lang) {
		return nil
	}
	// Count the language's versions once, then keep counting in memory:
	// samples are decoded only when the threshold is reached.
	if db.rawCount == nil {
		db.rawCount = map[string]int{}
	}
	n, counted := db.rawCount[lang]
	if !counted {
		var err error
		if n, err = db.versionsOf(lang); err != nil {
			return err
		}
	} else {
		n++ // the version just stored
	}
	db.rawCount[lang] = n
	if n < db.opts.DictTrainAfter {
		return nil
	}
	pages, recs, err := db.dictSamples(lang)
	if err != nil {
		return err
	}
	return db.installDicts(lang, pages, recs)
}

// dictSamples returns the pages (head and body) and the records of lang
// dictionaries are made of: among up to maxDictSamples stored versions,
// those pickTypical chooses by size (read from the pack headers), so that
// only they are decompressed.
func (db *DB) dictSamples(lang string) (pages, recs [][]byte, err error) {
	var locs []loc
	var sizes, recSizes []int
	err = db.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bPacks, bStage} {
			c := tx.Bucket(name).Cursor()
			for k, v := c.First(); k != nil && len(sizes) < maxDictSamples; k, v = c.Next() {
				l, err := parsePackBlob(v)
				if err != nil || len(l.entries) == 0 || l.entries[0].lang != lang {
					continue
				}
				for i, e := range l.entries {
					at := loc{pack: binary.BigEndian.Uint64(k), slot: i}
					if string(name) == string(bStage) {
						at.slot = int(binary.BigEndian.Uint16(k[8:]))
					}
					locs = append(locs, at)
					sizes = append(sizes, e.headLen+e.bodyLen)
					recSizes = append(recSizes, e.recLen)
				}
			}
		}
		return nil
	})
	if err != nil || len(sizes) == 0 {
		return nil, nil, err
	}
	// The packs read for them are not needed again, nor the decoders'
	// buffers (a writer decodes a pack's pages only to train).
	defer db.codec.dropStreams()
	defer db.cache.reset()
	err = db.view(func(tx *bolt.Tx) error {
		for _, i := range pickTypical(sizes) {
			s, err := db.readLoc(tx, locs[i], true)
			if err != nil {
				return err
			}
			pages = append(pages, append(bytes.Clone(s.head), s.body...))
		}
		for _, i := range pickTypical(recSizes) {
			s, err := db.readLoc(tx, locs[i], false)
			if err != nil {
				return err
			}
			recs = append(recs, bytes.Clone(s.rec))
		}
		return nil
	})
	return pages, recs, err
}

// hasDicts reports whether lang has both its dictionaries (an archive
// migrated from schema 1 has a page dictionary and no records one).
func (db *DB) hasDicts(lang string) bool {
	return db.codec.currentDict(lang) != noDict && db.codec.currentRecDict(lang) != noDict
}

// versionsOf counts the stored versions of lang.
func (db *DB) versionsOf(lang string) (int, error) {
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDocs).Cursor()
		prefix := []byte(lang)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			_, id, _ := parseDocKey(k)
			d, err := decodeDoc(lang, id, v)
			if err != nil {
				return err
			}
			n += d.Versions
		}
		return nil
	})
	return n, err
}

// TrainDict makes new dictionaries (pages, records) for lang from its
// stored versions, makes them current and recompresses every pack and
// staged entry of lang with them, whatever the number of pages. Older
// dictionaries stay: frames name theirs.
func (db *DB) TrainDict(lang string) error {
	db.trainMu.Lock()
	defer db.trainMu.Unlock()
	n, err := db.versionsOf(lang)
	if err != nil {
		return err
	}
	if n < 8 {
		return fmt.Errorf("only %d %s pages stored; a dictionary needs more", n, lang)
	}
	pages, recs, err := db.dictSamples(lang)
	if err != nil {
		return err
	}
	return db.installDicts(lang, pages, recs)
}

// installDicts stores a page dictionary and a records dictionary made of
// the samples, makes them current for lang, and recompresses lang's data.
func (db *DB) installDicts(lang string, pages, recs [][]byte) error {
	var last uint32
	if err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDicts).Cursor()
		if k, _ := c.Last(); k != nil {
			last = binary.BigEndian.Uint32(k)
		}
		return nil
	}); err != nil {
		return err
	}
	pageID, recID := last+1, last+2
	pd, rd := trainDict(pages), trainDict(recs)
	if len(rd) < 8 {
		rd = pd // records too small to make one of their own: the pages' serves
	}
	if err := db.codec.addDict(pageID, pd); err != nil {
		return err
	}
	if err := db.codec.addDict(recID, rd); err != nil {
		return err
	}
	key := func(id uint32) []byte {
		k := make([]byte, 4)
		binary.BigEndian.PutUint32(k, id)
		return k
	}
	if err := db.update(func(tx *bolt.Tx) error {
		d, m := tx.Bucket(bDicts), tx.Bucket(bMeta)
		if err := d.Put(key(pageID), pd); err != nil {
			return err
		}
		if err := d.Put(key(recID), rd); err != nil {
			return err
		}
		if err := m.Put(dictCurrentKey(lang), key(pageID)); err != nil {
			return err
		}
		return m.Put(recDictCurrentKey(lang), key(recID))
	}); err != nil {
		return err
	}
	db.codec.setCurrent(lang, pageID, false)
	db.codec.setCurrent(lang, recID, true)
	return db.recompress(lang)
}

// recompress rewrites the packs and staged entries of lang not compressed
// with its current dictionaries, a few per transaction. A crash in
// between leaves a mix, which is fine: every frame names its own
// dictionary.
func (db *DB) recompress(lang string) error {
	pageID, recID := db.codec.currentDict(lang), db.codec.currentRecDict(lang)
	for _, name := range [][]byte{bPacks, bStage} {
		var from []byte
		for {
			var next []byte
			err := db.update(func(tx *bolt.Tx) error {
				b := tx.Bucket(name)
				c := b.Cursor()
				type kv struct{ k, v []byte }
				var batch []kv
				size := 0
				k, v := c.First()
				if from != nil {
					k, v = c.Seek(from)
				}
				for ; k != nil && size < 8<<20; k, v = c.Next() {
					l, err := parsePackBlob(v)
					if err != nil || len(l.entries) == 0 || l.entries[0].lang != lang {
						continue
					}
					_, gd, _ := frameInfo(l.groups[0])
					if l.pageDict == pageID && gd == recID {
						continue
					}
					pc, err := db.codec.decodePack(v, true)
					if err != nil {
						return fmt.Errorf("%s %x: %w", name, k, err)
					}
					recs := make([][]byte, len(pc.entries))
					for i := range recs {
						recs[i] = pc.record(i)
					}
					blob, err := db.codec.encodePackBlob(pc, recs, l.withRecords)
					if err != nil {
						return err
					}
					batch = append(batch, kv{bytes.Clone(k), blob})
					size += pc.size()
					// A pack's decoding and encoding take a few MiB
					// beside the running crawl's heap, once per language:
					// collected pack by pack, they do not set a heap goal
					// (and a resident size) a third above the crawl's for
					// the rest of the run.
					runtime.GC()
				}
				if k != nil {
					next = bytes.Clone(k)
				}
				for _, e := range batch {
					if err := b.Put(e.k, e.v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if next == nil {
				break
			}
			from = next
		}
	}
	db.cache.reset()
	db.codec.dropStreams()
	runtime.GC() // the goal back to the crawl's own heap
	return nil
}

// DictInfo describes a stored compression dictionary.
type DictInfo struct {
	ID      uint32
	Size    int
	Current []string // languages whose pages it is current for
	Records []string // languages whose records it is current for
}

// Dicts lists the stored dictionaries.
func (db *DB) Dicts() ([]DictInfo, error) {
	var out []DictInfo
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bDicts).ForEach(func(k, v []byte) error {
			id := binary.BigEndian.Uint32(k)
			di := DictInfo{ID: id, Size: len(v)}
			for _, lang := range langs {
				if db.codec.currentDict(lang) == id {
					di.Current = append(di.Current, lang)
				}
				if db.codec.currentRecDict(lang) == id {
					di.Records = append(di.Records, lang)
				}
			}
			out = append(out, di)
			return nil
		})
	})
	return out, err
}
