package store

// Packs: the stored form of raw pages and parsed records.
//
// Neighbouring documents of one language share most of their bytes (the
// site's navigation, footer, scripts; names, places and phrases), so they
// are compressed together, the way restic packs blobs: a pack holds the
// versions stored one after another, up to about Options.PackBytes of
// raw pages and records.
//
// The records of a pack are compressed in groups of groupSize (each group
// its own zstd frame, with the language's records dictionary), so that a
// record is read by decompressing a few kilobytes: an export in ID order
// reads records from all over the archive (the site's IDs follow the
// dates only from 2014 on, and a backfill stores documents in date order).
// The pages (response head and body per document) form one zstd frame
// whose dictionary is the language's page dictionary followed by the
// pack's records: a record is text taken from its page, so the page
// costs little beyond its record (measured on real pages: as little as
// with records and pages in one frame, 0.281 against 0.282, where pages
// apart from their records take 0.329).
//
// A pack blob is self-describing, so that verify (and a later repair) can
// account for every version without the indexes:
//
//	byte     format (packFormat)
//	uvarint  n, the number of entries
//	n times: 2 bytes language, uvarint ID, uvarint record length,
//	         uvarint head length, uvarint body length
//	uvarint  the page dictionary (0: none)
//	byte     flags: 1 = the pages frame's dictionary includes the records
//	uvarint  g = ceil(n / groupSize), then g frame lengths (uvarint)
//	g record frames, then the pages frame (head 0, body 0, head 1, …)
//
// Writes arrive one document per transaction, and a document committed
// must survive a kill -9. Each new version is therefore first staged: its
// own small blob of the same format (one entry, its page compressed
// quickly with the page dictionary alone) in the stage bucket under
// (pack, slot), in the document's transaction. The version's location
// (pack, slot) is final from then on. Once a language's open pack is
// full, a transaction of its own seals it: the staged entries are
// decompressed, compressed together into the pack, and removed. A reader
// finds a version in the packs bucket, or else in the stage bucket.

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	bolt "go.etcd.io/bbolt"
)

const (
	packFormat byte = 2
	// defaultPackBytes is the raw size of a pack (before compression):
	// about 30 median pages with their records. On the fake site's pages
	// packs of 1 and 2 MiB take 0.047 and 0.044 of the raw size (and
	// more of the file is free staging space with the larger ones); one
	// page of a 1 MiB pack is read in about a millisecond, from half a
	// megabyte decompressed on average.
	defaultPackBytes = 1 << 20
	// maxPackSlots bounds the entries of a pack.
	maxPackSlots = 4096
	// groupSize is the number of records per record frame: a record is
	// read from its group (on the fake site's records, groups of 4, 8 and
	// 16 take 0.0139, 0.0125 and 0.0111 of the raw size).
	groupSize = 8
	// flagWithRecords marks a pages frame whose dictionary includes the
	// pack's records.
	flagWithRecords byte = 1
	// flagS2 marks a staged entry: its frames are S2 blocks (faster than
	// zstd's fastest level, a little larger; staging is temporary), each
	// preceded by the CRC-32C of its content.
	flagS2 byte = 2
)

// loc is where a version is stored.
type loc struct {
	pack uint64
	slot int
}

// packEntry is one version in a pack.
type packEntry struct {
	lang                     string
	id                       int64
	recLen, headLen, bodyLen int
}

func (e *packEntry) size() int { return e.recLen + e.headLen + e.bodyLen }

// packKey is the key of a pack; stageKey of a staged entry.
func packKey(id uint64) []byte { return u64(id) }

func stageKey(pack uint64, slot int) []byte {
	k := make([]byte, 10)
	binary.BigEndian.PutUint64(k, pack)
	binary.BigEndian.PutUint16(k[8:], uint16(slot))
	return k
}

// packLayout is a parsed blob. Its frames are slices of the blob (inside
// a transaction: bbolt's memory).
type packLayout struct {
	entries     []packEntry
	pageDict    uint32
	withRecords bool
	s2          bool
	groups      [][]byte // record frames
	pages       []byte   // the pages frame
	recOff      []int    // record i is recOff[i]:recOff[i+1] of the records (all groups)
	rawOff      []int    // head i starts at rawOff[i] in the pages; rawOff[n] is their size
}

func groupsOf(n int) int { return (n + groupSize - 1) / groupSize }

func newLayout(entries []packEntry) *packLayout {
	l := &packLayout{entries: entries, recOff: make([]int, len(entries)+1), rawOff: make([]int, len(entries)+1)}
	for i, e := range entries {
		l.recOff[i+1] = l.recOff[i] + e.recLen
		l.rawOff[i+1] = l.rawOff[i] + e.headLen + e.bodyLen
	}
	return l
}

// groupRange is the span of group g in the records.
func (l *packLayout) groupRange(g int) (from, to int) {
	return l.recOff[g*groupSize], l.recOff[min((g+1)*groupSize, len(l.entries))]
}

// parsePackBlob reads a blob's header; its frames are not decoded.
func parsePackBlob(b []byte) (*packLayout, error) {
	bad := func(what string) (*packLayout, error) {
		return nil, fmt.Errorf("%w: pack header: %s", ErrCorrupt, what)
	}
	if len(b) < 2 || b[0] != packFormat {
		return nil, fmt.Errorf("%w: not a pack", ErrCorrupt)
	}
	p := b[1:]
	uv := func() (uint64, bool) {
		v, k := binary.Uvarint(p)
		if k <= 0 || v > 1<<40 {
			return 0, false
		}
		p = p[k:]
		return v, true
	}
	n, ok := uv()
	if !ok || n > maxPackSlots {
		return bad("entry count")
	}
	entries := make([]packEntry, n)
	for i := range entries {
		if len(p) < 2 {
			return bad("entries cut short")
		}
		e := &entries[i]
		e.lang = string(p[:2])
		p = p[2:]
		var v [4]uint64
		for j := range v {
			if v[j], ok = uv(); !ok {
				return bad("entry")
			}
		}
		e.id, e.recLen, e.headLen, e.bodyLen = int64(v[0]), int(v[1]), int(v[2]), int(v[3])
	}
	l := newLayout(entries)
	dict, ok := uv()
	if !ok || dict > 1<<31 || len(p) < 1 {
		return bad("dictionary")
	}
	l.pageDict = uint32(dict)
	l.withRecords = p[0]&flagWithRecords != 0
	l.s2 = p[0]&flagS2 != 0
	if l.s2 && (l.withRecords || l.pageDict != noDict) {
		return bad("flags")
	}
	p = p[1:]
	g, ok := uv()
	if !ok || int(g) != groupsOf(len(entries)) {
		return bad("record groups")
	}
	lens := make([]int, g)
	total := 0
	for i := range lens {
		v, ok := uv()
		if !ok {
			return bad("record group length")
		}
		lens[i] = int(v)
		total += lens[i]
	}
	if total > len(p) {
		return bad("record groups cut short")
	}
	l.groups = make([][]byte, g)
	for i, n := range lens {
		l.groups[i], p = p[:n:n], p[n:]
	}
	l.pages = p
	return l, nil
}

// packContent is what has been decoded of a blob: some record groups,
// and the pages up to some point. It does not refer to the blob, so it
// can be kept (cache) after its transaction; once made it is not changed
// (a fuller decode is a new packContent).
type packContent struct {
	*packLayout          // frames nil: not kept
	recs        [][]byte // decoded record groups (nil: not decoded)
	pages       []byte   // decoded pages, a prefix of them or nil
}

func (pc *packContent) size() int { return pc.recOff[len(pc.entries)] + pc.rawOff[len(pc.entries)] }

// record returns record slot (its group must be decoded).
func (pc *packContent) record(slot int) []byte {
	g := slot / groupSize
	from, _ := pc.groupRange(g)
	return pc.recs[g][pc.recOff[slot]-from : pc.recOff[slot+1]-from]
}

func (pc *packContent) head(slot int) []byte {
	return pc.pages[pc.rawOff[slot] : pc.rawOff[slot]+pc.entries[slot].headLen]
}

func (pc *packContent) body(slot int) []byte {
	o := pc.rawOff[slot] + pc.entries[slot].headLen
	return pc.pages[o : o+pc.entries[slot].bodyLen]
}

// records returns all the records, concatenated (every group decoded).
func (pc *packContent) records() []byte {
	out := make([]byte, 0, pc.recOff[len(pc.entries)])
	for _, r := range pc.recs {
		out = append(out, r...)
	}
	return out
}

func (pc *packContent) hasGroup(g int) bool { return pc.recs[g] != nil }

func (pc *packContent) hasAllGroups() bool {
	for _, r := range pc.recs {
		if r == nil {
			return false
		}
	}
	return true
}

// decodeGroup decompresses record group g of a blob.
func (c *codec) decodeGroup(l *packLayout, g int) ([]byte, error) {
	from, to := l.groupRange(g)
	var out []byte
	var err error
	if l.s2 {
		out, err = decodeS2(l.groups[g], to-from)
	} else {
		out, err = c.decodeAll(l.groups[g], make([]byte, 0, to-from))
	}
	if err != nil {
		return nil, fmt.Errorf("record group %d: %w", g, err)
	}
	if len(out) != to-from {
		return nil, fmt.Errorf("%w: record group %d holds %d bytes, the header says %d", ErrCorrupt, g, len(out), to-from)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// pageDictContent is the dictionary of a blob's pages frame: the page
// dictionary, followed by the records for a sealed pack.
func (c *codec) pageDictContent(l *packLayout, records []byte) ([]byte, error) {
	var d []byte
	if l.pageDict != noDict {
		d = c.dict(l.pageDict)
		if d == nil {
			return nil, fmt.Errorf("%w: needs dictionary %d, which the archive does not have", ErrCorrupt, l.pageDict)
		}
	}
	if !l.withRecords {
		return nil, nil // the frame names its dictionary itself
	}
	return append(append(make([]byte, 0, len(d)+len(records)), d...), records...), nil
}

// decodePages decompresses the pages of a blob up to need bytes (-1: all
// of them, checking the frame's checksum). records are the pack's
// records, concatenated (needed when its pages frame uses them).
func (c *codec) decodePages(l *packLayout, records []byte, need int) ([]byte, error) {
	size := l.rawOff[len(l.entries)]
	if l.s2 {
		out, err := decodeS2(l.pages, size)
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		return out, nil
	}
	if fs, _, err := frameInfo(l.pages); err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	} else if fs >= 0 && fs != int64(size) {
		return nil, fmt.Errorf("%w: pages frame holds %d bytes, the header says %d", ErrCorrupt, fs, size)
	}
	dict, err := c.pageDictContent(l, records)
	if err != nil {
		return nil, err
	}
	if dict == nil {
		out, err := c.decodeAll(l.pages, make([]byte, 0, size))
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		if len(out) != size {
			return nil, fmt.Errorf("%w: pages frame holds %d bytes, the header says %d", ErrCorrupt, len(out), size)
		}
		return out, nil
	}
	d, err := c.streamDecoder(bytes.NewReader(l.pages), dict)
	if err != nil {
		return nil, err
	}
	defer c.putStreamDecoder(d)
	n := need
	if n < 0 || n > size {
		n = size
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(d, out); err != nil {
		return nil, fmt.Errorf("%w: pages: %v", ErrCorrupt, err)
	}
	if need < 0 {
		// The end of the frame, where its checksum is checked.
		var one [1]byte
		if k, err := d.Read(one[:]); k != 0 || err != io.EOF {
			return nil, fmt.Errorf("%w: pages: the frame does not end where its header says (%v)", ErrCorrupt, err)
		}
	}
	return out, nil
}

// decodePack decodes a blob: its records, and its pages too (checking
// every frame's checksum) when full.
func (c *codec) decodePack(blob []byte, full bool) (*packContent, error) {
	l, err := parsePackBlob(blob)
	if err != nil {
		return nil, err
	}
	pc := &packContent{packLayout: l, recs: make([][]byte, len(l.groups))}
	for g := range l.groups {
		if pc.recs[g], err = c.decodeGroup(l, g); err != nil {
			return nil, err
		}
	}
	if full {
		if pc.pages, err = c.decodePages(l, pc.records(), -1); err != nil {
			return nil, err
		}
	}
	pc.packLayout = detach(l)
	return pc, nil
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encodeS2 is a staged frame: the CRC-32C of p, then p as an S2 block.
func encodeS2(p []byte) []byte {
	return appendS2(nil, p)
}

// appendS2 appends the staged frame of p to dst.
func appendS2(dst, p []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 4+s2.MaxEncodedLen(len(p)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(p, crcTable))
	return dst[:n+4+len(s2.Encode(dst[n+4:cap(dst)], p))]
}

// scratch holds buffers reused from one staged page to the next (a
// page in, its S2 frame out), so that staging allocates little more than
// the blob it makes.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// putScratch gives a buffer back, unless a rare large page made it
// large.
func putScratch(b *[]byte) {
	if cap(*b) <= 1<<20 {
		scratch.Put(b)
	}
}

// decodeS2 reverses encodeS2, checking the size (size bytes) and the CRC.
func decodeS2(f []byte, size int) ([]byte, error) {
	return decodeS2Into(nil, f, size)
}

// decodeS2Into is decodeS2 decoding into buf when it is large enough.
func decodeS2Into(buf, f []byte, size int) ([]byte, error) {
	if len(f) < 4 {
		return nil, fmt.Errorf("%w: S2 frame of %d bytes", ErrCorrupt, len(f))
	}
	if n, err := s2.DecodedLen(f[4:]); err != nil || n != size {
		return nil, fmt.Errorf("%w: S2 frame of %d bytes, the header says %d (%v)", ErrCorrupt, n, size, err)
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	out, err := s2.Decode(buf[:size], f[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if crc32.Checksum(out, crcTable) != binary.BigEndian.Uint32(f) {
		return nil, fmt.Errorf("%w: S2 frame: checksum mismatch", ErrCorrupt)
	}
	return out, nil
}

// detach returns a copy of a layout without its frames (which are the
// blob's bytes).
func detach(l *packLayout) *packLayout {
	c := *l
	c.groups, c.pages = nil, nil
	return &c
}

// buildBlob compresses a blob of lang: entries with their records recs,
// and their pages (pagesSize bytes written by writePages). A sealed pack
// compresses its record groups with the records dictionary, and its
// pages with the page dictionary followed by its records (zstd); a staged
// entry is compressed quickly with S2.
func (c *codec) buildBlob(lang string, entries []packEntry, recs [][]byte, sealed bool, pagesSize int, writePages func(w io.Writer) error) ([]byte, error) {
	return c.buildBlobWith(c.currentDict(lang), c.currentRecDict(lang), entries, recs, sealed, pagesSize, writePages)
}

// buildBlobWith is buildBlob with the given dictionaries.
func (c *codec) buildBlobWith(pageDict, recDict uint32, entries []packEntry, recs [][]byte, sealed bool, pagesSize int, writePages func(w io.Writer) error) ([]byte, error) {
	var groups [][]byte
	var pages []byte
	var flags byte
	if !sealed {
		var buf []byte
		for i := 0; i < len(recs); i += groupSize {
			buf = buf[:0]
			for _, r := range recs[i:min(i+groupSize, len(recs))] {
				buf = append(buf, r...)
			}
			groups = append(groups, encodeS2(buf))
		}
		in, enc := scratch.Get().(*[]byte), scratch.Get().(*[]byte)
		defer putScratch(in)
		defer putScratch(enc)
		b := bytes.NewBuffer((*in)[:0])
		b.Grow(pagesSize)
		if err := writePages(b); err != nil {
			return nil, err
		}
		*in = b.Bytes()
		*enc = appendS2((*enc)[:0], *in)
		pages, pageDict, flags = *enc, noDict, flagS2
	} else {
		c.packMu.Lock()
		defer c.packMu.Unlock()
		rd := c.dict(recDict)
		for i := 0; i < len(recs); i += groupSize {
			group := recs[i:min(i+groupSize, len(recs))]
			size := 0
			for _, r := range group {
				size += len(r)
			}
			f, err := c.sealedFrame(zstdDictID(recDict), rd, size, func(w io.Writer) error {
				for _, r := range group {
					if _, err := w.Write(r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			groups = append(groups, bytes.Clone(f))
		}
		d := c.dict(pageDict)
		if d == nil {
			pageDict = noDict
		}
		dict := make([]byte, 0, len(d)+pagesSize/4)
		dict = append(dict, d...)
		for _, r := range recs {
			dict = append(dict, r...)
		}
		flags = flagWithRecords
		f, err := c.sealedFrame(packDictZstdID, dict, pagesSize, writePages)
		if err != nil {
			return nil, err
		}
		pages = f // copied into the blob below, under packMu
	}
	hdr := make([]byte, 0, 16+len(entries)*12+len(groups)*3)
	hdr = append(hdr, packFormat)
	hdr = binary.AppendUvarint(hdr, uint64(len(entries)))
	for _, e := range entries {
		hdr = append(hdr, e.lang[0], e.lang[1])
		hdr = binary.AppendUvarint(hdr, uint64(e.id))
		hdr = binary.AppendUvarint(hdr, uint64(e.recLen))
		hdr = binary.AppendUvarint(hdr, uint64(e.headLen))
		hdr = binary.AppendUvarint(hdr, uint64(e.bodyLen))
	}
	hdr = binary.AppendUvarint(hdr, uint64(pageDict))
	hdr = append(hdr, flags)
	hdr = binary.AppendUvarint(hdr, uint64(len(groups)))
	size := len(hdr) + len(pages)
	for _, g := range groups {
		hdr = binary.AppendUvarint(hdr, uint64(len(g)))
		size += len(g)
	}
	out := make([]byte, 0, size+len(groups)*3)
	out = append(out, hdr...)
	for _, g := range groups {
		out = append(out, g...)
	}
	return append(out, pages...), nil
}

// encodePackBlob compresses decoded entries (records and pages as in a
// packContent) again: after a reparse, or with new dictionaries.
func (c *codec) encodePackBlob(pc *packContent, recs [][]byte, sealed bool) ([]byte, error) {
	entries := make([]packEntry, len(pc.entries))
	copy(entries, pc.entries)
	for i := range entries {
		entries[i].recLen = len(recs[i])
	}
	return c.buildBlob(entries[0].lang, entries, recs, sealed, len(pc.pages), func(w io.Writer) error {
		_, err := w.Write(pc.pages)
		return err
	})
}

// stagedEntry builds the staged blob of one version.
func (db *DB) stagedEntry(lang string, id int64, rec, head, body []byte) ([]byte, error) {
	e := packEntry{lang: lang, id: id, recLen: len(rec), headLen: len(head), bodyLen: len(body)}
	return db.codec.buildBlob(lang, []packEntry{e}, [][]byte{rec}, false, len(head)+len(body), func(w io.Writer) error {
		if _, err := w.Write(head); err != nil {
			return err
		}
		_, err := w.Write(body)
		return err
	})
}

// packCache keeps recently decoded packs (what of them was decoded), so
// that neighbours in a scan decode each pack about once.
type packCache struct {
	mu     sync.Mutex
	budget int
	used   int
	lru    *list.List // of *cacheItem, most recent first
	items  map[cacheKey]*list.Element
}

type cacheKey struct {
	pack uint64
	n    int
}

type cacheItem struct {
	key cacheKey
	pc  *packContent
	n   int // bytes held
}

// Cache budgets: readers scan (export, verify) and keep a few packs; a
// writer only reads the current record of a refetched document.
const (
	packCacheBytes       = 4 << 20
	writerPackCacheBytes = 3 << 20
)

// keyOf is the cache key of a pack blob: its ID and length (reading its
// bytes would fault its pages in). A pack is only rewritten by reparse and
// recompression, which reset the cache, and a reader resets it whenever
// it opens the file again.
func keyOf(id uint64, blob []byte) cacheKey {
	return cacheKey{pack: id, n: len(blob)}
}

func (c *packCache) reset() {
	c.mu.Lock()
	c.lru, c.items, c.used = nil, nil, 0
	c.mu.Unlock()
}

func (c *packCache) get(k cacheKey) *packContent {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		return nil
	}
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheItem).pc
}

func (c *packCache) put(k cacheKey, pc *packContent) {
	n := len(pc.pages)
	for _, r := range pc.recs {
		n += len(r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items, c.lru = map[cacheKey]*list.Element{}, list.New()
		if c.budget == 0 {
			c.budget = packCacheBytes
		}
	}
	if el, ok := c.items[k]; ok {
		c.used -= el.Value.(*cacheItem).n
		c.lru.Remove(el)
		delete(c.items, k)
	}
	if n > c.budget/2 {
		return
	}
	c.items[k] = c.lru.PushFront(&cacheItem{k, pc, n})
	c.used += n
	for c.used > c.budget {
		el := c.lru.Back()
		it := el.Value.(*cacheItem)
		c.used -= it.n
		c.lru.Remove(el)
		delete(c.items, it.key)
	}
}

// addGroup adds a decompressed record group of the blob key (layout lay,
// without frames) to the cache.
func (c *packCache) addGroup(k cacheKey, lay *packLayout, g int, rec []byte) {
	pc := c.get(k)
	next := &packContent{packLayout: lay, recs: make([][]byte, groupsOf(len(lay.entries)))}
	if pc != nil {
		next.packLayout, next.pages = pc.packLayout, pc.pages
		copy(next.recs, pc.recs)
	}
	next.recs[g] = rec
	c.put(k, next)
}

// stored is one stored version, read back.
type stored struct {
	entry packEntry
	rec   []byte // record JSON
	head  []byte // HTTP response head (nil unless raw was asked for)
	body  []byte
}

// readLoc reads the version stored at l inside tx: the record, and the
// page too when raw. The slices returned are not bbolt's (they outlive
// the transaction) and must not be changed.
func (db *DB) readLoc(tx *bolt.Tx, l loc, raw bool) (*stored, error) {
	if blob := tx.Bucket(bPacks).Get(packKey(l.pack)); blob != nil {
		s, err := db.readPacked(tx, l, blob, raw)
		if err != nil {
			return nil, fmt.Errorf("pack %d: %w", l.pack, err)
		}
		return s, nil
	}
	blob := tx.Bucket(bStage).Get(stageKey(l.pack, l.slot))
	if blob == nil {
		return nil, fmt.Errorf("%w: pack %d entry %d is missing", ErrCorrupt, l.pack, l.slot)
	}
	db.touch(tx, len(blob)+costLookup)
	pc, err := db.codec.decodePack(blob, raw)
	if err == nil && len(pc.entries) != 1 {
		err = fmt.Errorf("%w: %d entries", ErrCorrupt, len(pc.entries))
	}
	if err != nil {
		return nil, fmt.Errorf("staged entry %d/%d: %w", l.pack, l.slot, err)
	}
	s := &stored{entry: pc.entries[0], rec: pc.record(0)}
	if raw {
		s.head, s.body = pc.head(0), pc.body(0)
	}
	return s, nil
}

// readPacked reads entry l.slot of a sealed pack: its record group and,
// when raw, the pages up to it (which need every record of the pack, the
// pages' dictionary), from the cache or the blob.
func (db *DB) readPacked(tx *bolt.Tx, l loc, blob []byte, raw bool) (*stored, error) {
	k := keyOf(l.pack, blob)
	pc := db.cache.get(k)
	var lay *packLayout
	layout := func() (*packLayout, error) {
		if lay == nil {
			var err error
			if lay, err = parsePackBlob(blob); err != nil {
				return nil, err
			}
			db.touch(tx, len(blob)+costLookup)
		}
		return lay, nil
	}
	if pc == nil {
		lay, err := layout()
		if err != nil {
			return nil, err
		}
		pc = &packContent{packLayout: detach(lay), recs: make([][]byte, len(lay.groups))}
	}
	if l.slot >= len(pc.entries) {
		return nil, fmt.Errorf("%w: no entry %d", ErrCorrupt, l.slot)
	}
	g := l.slot / groupSize
	need := 0
	if raw {
		need = pc.rawOff[l.slot+1]
	}
	if !pc.hasGroup(g) || (raw && (!pc.hasAllGroups() || len(pc.pages) < need)) {
		lay, err := layout()
		if err != nil {
			return nil, err
		}
		next := &packContent{packLayout: pc.packLayout, recs: append([][]byte(nil), pc.recs...), pages: pc.pages}
		for i := range next.recs {
			if next.recs[i] == nil && (i == g || raw) {
				if next.recs[i], err = db.codec.decodeGroup(lay, i); err != nil {
					return nil, err
				}
			}
		}
		if raw && len(next.pages) < need {
			// A second page of this pack: a scan; decode all of it, once.
			if pc.pages != nil {
				need = -1
			}
			if next.pages, err = db.codec.decodePages(lay, next.records(), need); err != nil {
				return nil, err
			}
		}
		pc = next
		db.cache.put(k, pc)
	}
	s := &stored{entry: pc.entries[l.slot], rec: pc.record(l.slot)}
	if raw {
		s.head, s.body = pc.head(l.slot), pc.body(l.slot)
	}
	return s, nil
}

// openPack is the state of a language's open pack (meta open_pack_<lang>).
type openPack struct {
	id    uint64
	n     int // staged entries
	bytes int // their raw size
}

func openPackKey(lang string) []byte { return []byte("open_pack_" + lang) }

var kPackSeq = []byte("pack_seq")

func getOpenPack(tx *bolt.Tx, lang string) (openPack, bool) {
	v := tx.Bucket(bMeta).Get(openPackKey(lang))
	if len(v) < 8 {
		return openPack{}, false
	}
	op := openPack{id: binary.BigEndian.Uint64(v)}
	n, k := binary.Uvarint(v[8:])
	b, k2 := binary.Uvarint(v[8+max(k, 0):])
	if k <= 0 || k2 <= 0 {
		return openPack{}, false
	}
	op.n, op.bytes = int(n), int(b)
	return op, true
}

func putOpenPack(tx *bolt.Tx, lang string, op openPack) error {
	v := u64(op.id)
	v = binary.AppendUvarint(v, uint64(op.n))
	v = binary.AppendUvarint(v, uint64(op.bytes))
	return tx.Bucket(bMeta).Put(openPackKey(lang), v)
}

// stage adds a staged entry blob of lang (raw size size) to the open
// pack of its language, opening a new pack when there is none, and
// returns its location.
func (db *DB) stage(tx *bolt.Tx, lang string, blob []byte, size int) (loc, error) {
	op, ok := getOpenPack(tx, lang)
	if !ok {
		m := tx.Bucket(bMeta)
		op = openPack{id: getU64(m, kPackSeq) + 1}
		if err := m.Put(kPackSeq, u64(op.id)); err != nil {
			return loc{}, err
		}
	}
	if op.n >= maxPackSlots {
		return loc{}, fmt.Errorf("%w: open pack %d of %s is full", ErrCorrupt, op.id, lang)
	}
	l := loc{pack: op.id, slot: op.n}
	st := tx.Bucket(bStage)
	st.FillPercent = 0.9 // keys only grow (pack, slot)
	if err := st.Put(stageKey(l.pack, l.slot), blob); err != nil {
		return loc{}, err
	}
	op.n++
	op.bytes += size
	return l, putOpenPack(tx, lang, op)
}

// packFull reports whether an open pack is ready to be sealed.
func (db *DB) packFull(op openPack) bool {
	return op.bytes >= db.opts.PackBytes || op.n >= maxPackSlots
}

// sealFull seals the open pack of lang when it is full, in a
// transaction of its own.
func (db *DB) sealFull(lang string) error {
	var full bool
	if err := db.view(func(tx *bolt.Tx) error {
		op, ok := getOpenPack(tx, lang)
		full = ok && db.packFull(op)
		return nil
	}); err != nil || !full {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		op, ok := getOpenPack(tx, lang)
		if !ok || !db.packFull(op) {
			return nil // sealed meanwhile
		}
		return db.seal(tx, lang, op)
	})
}

// seal compresses the staged entries of an open pack into the pack,
// removes them and closes the pack. The pages are streamed into the
// encoder, staged entry after staged entry: the pack is never whole in
// memory.
func (db *DB) seal(tx *bolt.Tx, lang string, op openPack) error {
	st := tx.Bucket(bStage)
	var parts []*packLayout
	prefix := u64(op.id)
	c := st.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if int(binary.BigEndian.Uint16(k[8:])) != len(parts) {
			return fmt.Errorf("%w: staged entries of pack %d are not contiguous at %x", ErrCorrupt, op.id, k)
		}
		l, err := parsePackBlob(v)
		if err == nil && len(l.entries) != 1 {
			err = fmt.Errorf("%w: %d entries", ErrCorrupt, len(l.entries))
		}
		if err != nil {
			return fmt.Errorf("staged entry %x: %w", k, err)
		}
		db.touch(tx, len(v)+costScanned)
		parts = append(parts, l)
	}
	if len(parts) != op.n {
		return fmt.Errorf("%w: open pack %d of %s has %d staged entries, its state says %d", ErrCorrupt, op.id, lang, len(parts), op.n)
	}
	entries := make([]packEntry, len(parts))
	recs := make([][]byte, len(parts))
	pagesSize := 0
	for i, l := range parts {
		entries[i] = l.entries[0]
		rec, err := db.codec.decodeGroup(l, 0)
		if err != nil {
			return fmt.Errorf("staged entry %d of pack %d: %w", i, op.id, err)
		}
		recs[i] = rec
		pagesSize += l.rawOff[1]
	}
	blob, err := db.codec.buildBlob(lang, entries, recs, true, pagesSize, func(w io.Writer) error {
		var buf []byte
		for i, l := range parts {
			var pages []byte
			var err error
			if l.s2 {
				// One buffer for every entry: the encoder copies what it
				// is given.
				pages, err = decodeS2Into(buf, l.pages, l.rawOff[1])
				buf = pages
			} else {
				pages, err = db.codec.decodePages(l, nil, -1)
			}
			if err != nil {
				return fmt.Errorf("staged entry %d of pack %d: %w", i, op.id, err)
			}
			if _, err := w.Write(pages); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for slot := range parts {
		if err := st.Delete(stageKey(op.id, slot)); err != nil {
			return err
		}
	}
	if err := db.putPack(tx, op.id, blob); err != nil {
		return err
	}
	return tx.Bucket(bMeta).Delete(openPackKey(lang))
}

// putPack stores a pack blob: packs are appended in key order, so their
// leaf pages are filled.
func (db *DB) putPack(tx *bolt.Tx, id uint64, blob []byte) error {
	b := tx.Bucket(bPacks)
	if last, _ := b.Cursor().Last(); last == nil || bytes.Compare(packKey(id), last) > 0 {
		b.FillPercent = 1
	}
	db.touch(tx, len(blob)+costLookup)
	return b.Put(packKey(id), blob)
}

func getU64(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
