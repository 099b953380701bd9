package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
// documents are read a chunk per transaction. Each record is decompressed
// from its group of a few records; while fn handles one chunk, the next is
// read, decompressed and decoded by other goroutines (fn itself runs in
// the caller's goroutine, in order).
func (db *DB) Scan(f Filter, fn func(d *Doc, r *record.Record) error) error {
	type chunk struct {
		items []*scanItem
		err   error
	}
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	errStop := errors.New("stopped")
	go func() {
		defer close(chunks)
		err := db.docChunks(f.Lang, func(batch []*Doc) error {
			items, err := db.scanChunk(f, batch)
			if err != nil {
				return err
			}
			select {
			case chunks <- chunk{items: items}:
				return nil
			case <-stop:
				return errStop
			}
		})
		if err != nil && err != errStop {
			select {
			case chunks <- chunk{err: err}:
			case <-stop:
			}
		}
	}()
	defer func() {
		close(stop)
		for range chunks {
		}
	}()
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		for _, it := range c.items {
			if it.err != nil {
				return it.err
			}
			if err := fn(it.d, it.r); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanItem is one document of a Scan chunk.
type scanItem struct {
	d    *Doc
	rec  []byte    // the record's JSON, once known
	job  *groupJob // else the record group to decompress
	slot int       // the record's slot in its pack
	r    *record.Record
	err  error
}

// groupJob is a record group to decompress outside the transaction.
type groupJob struct {
	key   cacheKey
	lay   *packLayout // without frames
	g     int
	frame []byte // the compressed group, copied
	out   []byte
	err   error
}

// scanChunk reads the current records of the documents of batch matching
// f: the groups found in the cache, or copied, in one read transaction;
// then the groups are decompressed and the records decoded in parallel.
func (db *DB) scanChunk(f Filter, batch []*Doc) ([]*scanItem, error) {
	var items []*scanItem
	jobs := map[[2]uint64]*groupJob{}
	var jobList []*groupJob
	err := db.view(func(tx *bolt.Tx) error {
		packs := tx.Bucket(bPacks)
		for _, d := range batch {
			if !f.Match(d) {
				continue
			}
			it := &scanItem{d: d}
			items = append(items, it)
			var l loc
			if !d.schema1 && len(d.locs) == d.Versions && d.Versions > 0 {
				l = d.locs[d.Versions-1]
			}
			var blob []byte
			if packs != nil && l.pack != 0 {
				blob = packs.Get(packKey(l.pack))
			}
			if blob == nil {
				// Schema 1, staged, or damaged: the general way.
				s, err := db.readVersion(tx, d, d.Versions, false)
				if err != nil {
					return err
				}
				it.rec = s.rec
				continue
			}
			k := keyOf(l.pack, blob)
			g := l.slot / groupSize
			pc := db.cache.get(k)
			if pc != nil && l.slot < len(pc.entries) && pc.hasGroup(g) {
				if err := checkEntry(pc.packLayout, l, d); err != nil {
					return err
				}
				it.rec = pc.record(l.slot)
				continue
			}
			jk := [2]uint64{l.pack, uint64(g)}
			job := jobs[jk]
			if job == nil {
				lay, err := parsePackBlob(blob)
				if err != nil {
					return fmt.Errorf("pack %d: %w", l.pack, err)
				}
				if l.slot >= len(lay.entries) {
					return fmt.Errorf("%w: pack %d has no entry %d", ErrCorrupt, l.pack, l.slot)
				}
				db.touch(tx, len(lay.groups[g])+costLookup)
				job = &groupJob{key: k, lay: detach(lay), g: g, frame: bytes.Clone(lay.groups[g])}
				jobs[jk] = job
				jobList = append(jobList, job)
			}
			if err := checkEntry(job.lay, l, d); err != nil {
				return err
			}
			it.job, it.slot = job, l.slot
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	parallel(len(jobList), func(i int) {
		j := jobList[i]
		lay := *j.lay
		lay.groups = make([][]byte, groupsOf(len(j.lay.entries)))
		lay.groups[j.g] = j.frame
		j.out, j.err = db.codec.decodeGroup(&lay, j.g)
	})
	for _, j := range jobList {
		if j.err != nil {
			return nil, fmt.Errorf("pack %d: %w", j.key.pack, j.err)
		}
		db.cache.addGroup(j.key, j.lay, j.g, j.out)
	}
	parallel(len(items), func(i int) {
		it := items[i]
		if it.job != nil {
			from, _ := it.job.lay.groupRange(it.job.g)
			it.rec = it.job.out[it.job.lay.recOff[it.slot]-from : it.job.lay.recOff[it.slot+1]-from]
		}
		var r record.Record
		if err := json.Unmarshal(it.rec, &r); err != nil {
			it.err = fmt.Errorf("%w: record %s/%d: %v", ErrCorrupt, it.d.Lang, it.d.ID, err)
			return
		}
		r.Version = it.d.Versions
		r.Normalize()
		it.r = &r
	})
	return items, nil
}

// checkEntry checks that entry l.slot of a pack is a version of d.
func checkEntry(lay *packLayout, l loc, d *Doc) error {
	if l.slot >= len(lay.entries) {
		return fmt.Errorf("%w: pack %d has no entry %d", ErrCorrupt, l.pack, l.slot)
	}
	if e := lay.entries[l.slot]; e.lang != d.Lang || e.id != d.ID {
		return fmt.Errorf("%w: %s/%d version %d: its pack entry is %s/%d", ErrCorrupt, d.Lang, d.ID, d.Versions, e.lang, e.id)
	}
	return nil
}

// parallel runs fn(0) … fn(n-1) on up to 4 goroutines (as many as the
// process may run at once).
func parallel(n int, fn func(i int)) {
	w := min(runtime.GOMAXPROCS(0), 4, n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// ScanDocs calls fn with the bookkeeping of every archived document, in
// (language, ID) order, without decoding records.
func (db *DB) ScanDocs(fn func(d *Doc) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDocs).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			lang, id, ok := parseDocKey(k)
			if !ok {
				return fmt.Errorf("%w: document key %x", ErrCorrupt, k)
			}
			d, err := decodeDoc(lang, id, v)
			if err != nil {
				return err
			}
			db.touch(tx, costScanned/4)
			if err := fn(d); err != nil {
				return err
			}
		}
		return nil
	})
}

// HighWater is the highest change sequence number assigned so far; an
// export that includes every change up to now can hand it out as the mark
// for the next `--since`.
func (db *DB) HighWater() (uint64, error) {
	var n uint64
	err := db.view(func(tx *bolt.Tx) error {
		n = highWater(tx)
		return nil
	})
	return n, err
}

func highWater(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bMeta).Get(kSeq); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	if ch := tx.Bucket(bChangesV1); ch != nil {
		return ch.Sequence()
	}
	return 0
}

// Capture is one stored version of a document: the raw response and the
// record parsed from it. Raw.Body may be shared with the store's decoded
// data: read it, do not change it.
type Capture struct {
	Doc     *Doc
	Version int
	Raw     *Raw // URL and FetchedAt filled from the record
	Record  *record.Record
}

// ScanCaptures calls fn with every stored version of every document
// matching f (with allVersions false, only the current version of each),
// in the order they were stored: pack after pack, each decompressed once,
// then the staged versions. A document's versions come oldest first (a
// version is always stored after the one before). Memory stays flat: the
// selection is kept as locations (about 40 bytes per version), and one
// pack is decoded at a time. Versions of an archive not yet migrated from
// schema 1 come first, in (language, ID) order.
func (db *DB) ScanCaptures(f Filter, allVersions bool, fn func(c *Capture) error) error {
	// The selection, by pack: 16 bytes per version.
	type ref struct {
		id   int64
		n    int32
		slot int16
		lang [2]byte
	}
	byPack := map[uint64][]ref{}
	err := db.docChunks(f.Lang, func(batch []*Doc) error {
		for _, d := range batch {
			if !f.Match(d) {
				continue
			}
			first := 1
			if !allVersions {
				first = d.Versions
			}
			for n := first; n <= d.Versions; n++ {
				if d.schema1 {
					c, err := db.capture(d, n)
					if err != nil {
						return err
					}
					if err := fn(c); err != nil {
						return err
					}
					continue
				}
				if n > len(d.locs) {
					return fmt.Errorf("%w: %s/%d has %d versions but %d stored locations", ErrCorrupt, d.Lang, d.ID, d.Versions, len(d.locs))
				}
				l := d.locs[n-1]
				byPack[l.pack] = append(byPack[l.pack], ref{id: d.ID, n: int32(n), slot: int16(l.slot), lang: [2]byte{d.Lang[0], d.Lang[1]}})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	packs := make([]uint64, 0, len(byPack))
	for p := range byPack {
		packs = append(packs, p)
	}
	slices.Sort(packs)
	for _, p := range packs {
		refs := byPack[p]
		delete(byPack, p)
		slices.SortFunc(refs, func(a, b ref) int { return int(a.slot) - int(b.slot) })
		var caps []*Capture
		err := db.view(func(tx *bolt.Tx) error {
			var pc *packContent // nil: an open pack, whose versions are staged one by one
			if blob := tx.Bucket(bPacks).Get(packKey(p)); blob != nil {
				db.touch(tx, len(blob)+costLookup)
				var err error
				if pc, err = db.codec.decodePack(blob, true); err != nil {
					return fmt.Errorf("pack %d: %w", p, err)
				}
			}
			for _, r := range refs {
				c, err := db.captureAt(tx, loc{p, int(r.slot)}, pc, string(r.lang[:]), r.id, int(r.n))
				if err != nil {
					return err
				}
				caps = append(caps, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range caps {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// captureAt builds the capture of version n of lang/id stored at l, from
// the decoded pack pc (or, nil, its staged entry) inside tx.
func (db *DB) captureAt(tx *bolt.Tx, l loc, pc *packContent, lang string, id int64, n int) (*Capture, error) {
	d, ok, err := getDoc(tx, lang, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s/%d vanished during the scan", ErrCorrupt, lang, id)
	}
	var s *stored
	switch {
	case pc != nil && l.slot < len(pc.entries):
		s = &stored{entry: pc.entries[l.slot], rec: pc.record(l.slot), head: pc.head(l.slot), body: pc.body(l.slot)}
	case pc != nil:
		return nil, fmt.Errorf("%w: pack %d has no entry %d (%s/%d version %d)", ErrCorrupt, l.pack, l.slot, lang, id, n)
	default:
		if s, err = db.readLoc(tx, l, true); err != nil {
			return nil, err
		}
	}
	if s.entry.lang != lang || s.entry.id != id {
		return nil, fmt.Errorf("%w: %s/%d version %d: its pack entry is %s/%d", ErrCorrupt, lang, id, n, s.entry.lang, s.entry.id)
	}
	raw, err := s.rawShared()
	if err != nil {
		return nil, fmt.Errorf("raw page %s/%d version %d: %w", lang, id, n, err)
	}
	rec, err := s.record()
	if err != nil {
		return nil, err
	}
	rec.Normalize()
	return &Capture{Doc: d, Version: n, Raw: raw, Record: rec}, nil
}

// capture reads version n of d (schema 1).
func (db *DB) capture(d *Doc, n int) (*Capture, error) {
	var s *stored
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		s, err = db.readVersion(tx, d, n, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	raw, err := s.raw()
	if err != nil {
		return nil, fmt.Errorf("raw page %s/%d version %d: %w", d.Lang, d.ID, n, err)
	}
	rec, err := s.record()
	if err != nil {
		return nil, err
	}
	rec.Normalize()
	return &Capture{Doc: d, Version: n, Raw: raw, Record: rec}, nil
}

// docChunks calls fn with the bookkeeping of the documents of lang ("" =
// all), in key order, scanChunk documents per read transaction; fn runs
// outside the transaction.
func (db *DB) docChunks(lang string, fn func(batch []*Doc) error) error {
	var from []byte
	if lang != "" {
		from = []byte(lang)
	}
	for {
		var batch []*Doc
		var next []byte
		err := db.view(func(tx *bolt.Tx) error {
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
				l, id, ok := parseDocKey(k)
				if !ok {
					return fmt.Errorf("%w: document key %x", ErrCorrupt, k)
				}
				d, err := decodeDoc(l, id, v)
				if err != nil {
					return err
				}
				db.touch(tx, costScanned/4)
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
