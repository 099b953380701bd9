package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Problem is one thing verify found wrong. Lang/ID name the document when
// the problem is about one (ID 0 otherwise).
type Problem struct {
	Lang    string
	ID      int64
	Version int
	// URL is the document's address (its stored copy's, else its
	// frontier entry's), when known.
	URL string
	Msg string
}

func (p Problem) String() string {
	doc := fmt.Sprintf("%s/%d", p.Lang, p.ID)
	if p.URL != "" {
		doc += " (" + p.URL + ")"
	}
	switch {
	case p.ID != 0 && p.Version != 0:
		return fmt.Sprintf("%s version %d: %s", doc, p.Version, p.Msg)
	case p.ID != 0:
		return fmt.Sprintf("%s: %s", doc, p.Msg)
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

// Verify re-reads the whole archive: every pack and staged entry
// decompressed (zstd's own checksum checked), every record decoded and its
// identity checked, every raw body's SHA-256 compared with the digest
// recorded at fetch time; every version of every document accounted for
// in exactly one pack entry and every pack entry by one version; the
// change numbers, the open packs and the frontier; then bbolt's own page
// check. Each problem is passed to report; a problem never stops the
// check. A corrupted page that makes bbolt panic is reported as such.
func (db *DB) Verify(report func(Problem)) (st *VerifyStats, err error) {
	st = &VerifyStats{}
	add := func(p Problem) {
		st.Problems++
		report(p)
	}
	// The problems of the archive's contents are reported once every
	// document's address is known (from its bookkeeping, its records or
	// its frontier entry), so each names its document with its URL.
	var found []Problem
	urls := map[docRef]string{}
	flush := func() {
		for _, p := range found {
			if p.URL == "" && p.ID != 0 {
				p.URL = urls[docRef{p.Lang, p.ID}]
			}
			add(p)
		}
		found = nil
	}
	damaged := false
	err = db.view(func(tx *bolt.Tx) error {
		add := func(p Problem) { found = append(found, p) }
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
		refs := db.verifyDocs(tx, st, urls, add)
		db.verifyPacks(tx, refs, st, urls, add)
		db.verifyIndexes(tx, st, urls, add)
		db.verifyMeta(tx, add)
		db.readAll(tx)
		return nil
	})
	flush()
	if err != nil || damaged {
		return st, err
	}
	// bbolt's own page check runs in a goroutine of its own, where a
	// fault could not be recovered: it runs only once every page has been
	// read safely above.
	err = db.view(func(tx *bolt.Tx) error {
		// The check reads every page through the map: release them as it
		// goes (it is safe while the check reads: a released page is read
		// again from the file), so that resident memory stays flat.
		done := make(chan struct{})
		released := make(chan struct{})
		go func() {
			defer close(released)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					dropMapped(tx.DB().Info().Data, tx.Size())
				}
			}
		}()
		for cerr := range tx.Check() {
			add(Problem{Msg: "page check: " + cerr.Error()})
		}
		close(done)
		<-released
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
			db.touch(tx, len(v)+costScanned/4)
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

// verRef is what the bookkeeping says a pack entry holds.
type verRef struct {
	lang    string
	id      int64
	n       int
	current bool
	sha     string // the bookkeeping's digest, for the current version
	fields  uint64 // fieldsHash of the bookkeeping, for the current version
}

// docRef names a document.
type docRef struct {
	lang string
	id   int64
}

// verifyDocs checks the bookkeeping of every document and returns the
// versions it names, by location. Schema-1 documents are checked whole.
func (db *DB) verifyDocs(tx *bolt.Tx, st *VerifyStats, urls map[docRef]string, add func(Problem)) map[loc]verRef {
	refs := map[loc]verRef{}
	seqs := map[uint64]int64{}
	hw := highWater(tx)
	sums := hasSums(tx)
	c := tx.Bucket(bDocs).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		lang, id, ok := parseDocKey(k)
		if !ok || len(k) != 10 || validLang(lang) != nil {
			add(Problem{Msg: "documents index: " + badKey(k)})
			continue
		}
		st.Documents++
		db.touch(tx, costScanned/4)
		d, err := decodeDoc(lang, id, v)
		if err != nil {
			add(Problem{Lang: lang, ID: id, Msg: "bookkeeping entry does not decode: " + err.Error()})
			continue
		}
		urls[docRef{lang, id}] = d.SourceURL
		if _, present, _ := docSum(k, v); sums && !d.schema1 && !present {
			add(Problem{Lang: lang, ID: id, Msg: "bookkeeping entry has lost its checksum (changed after it was written)"})
		}
		for _, x := range []struct{ name, v string }{{"update mark", d.UpdateMark}, {"stale-for date", d.StaleFor}, {"date", d.Date}} {
			if x.v != "" && !isDate(x.v) {
				add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("bookkeeping %s %q is not a date", x.name, x.v)})
			}
		}
		if d.Lang != lang || d.ID != id {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("bookkeeping entry names %s/%d", d.Lang, d.ID)})
		}
		if d.Versions < 1 {
			add(Problem{Lang: lang, ID: id, Msg: "no stored version"})
		}
		switch {
		case d.Seq == 0 || d.Seq > hw:
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("change sequence %d is outside 1..%d", d.Seq, hw)})
		case seqs[d.Seq] != 0:
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("change sequence %d is also that of document %d", d.Seq, seqs[d.Seq])})
		default:
			seqs[d.Seq] = id
		}
		if d.schema1 {
			db.verifyV1Doc(tx, d, st, add)
			continue
		}
		if len(d.locs) != d.Versions {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("%d versions but %d stored locations", d.Versions, len(d.locs))})
		}
		for i, l := range d.locs {
			r := verRef{lang: lang, id: id, n: i + 1, current: i+1 == d.Versions}
			if r.current {
				r.sha = d.RawSHA256
				r.fields = fieldsHash(d.Title, d.Date, d.Sections, d.SourceURL, d.Source, d.CapturedAt, d.RawSize, d.FetchedAt)
			}
			if o, dup := refs[l]; dup {
				add(Problem{Lang: lang, ID: id, Version: i + 1, Msg: fmt.Sprintf("stored at pack %d entry %d, where %s/%d version %d is", l.pack, l.slot, o.lang, o.id, o.n)})
				continue
			}
			refs[l] = r
		}
	}
	return refs
}

// verifyPacks decodes every pack and staged entry and checks each entry
// against the version the bookkeeping says it is.
func (db *DB) verifyPacks(tx *bolt.Tx, refs map[loc]verRef, st *VerifyStats, urls map[docRef]string, add func(Problem)) {
	packs, stage := tx.Bucket(bPacks), tx.Bucket(bStage)
	if packs == nil || stage == nil {
		return // schema 1
	}
	sealed := map[uint64]bool{}
	check := func(where string, l loc, e packEntry, x *entryCheck) {
		if x.rec != nil && x.rec.SourceURL != "" && urls[docRef{e.lang, e.id}] == "" {
			urls[docRef{e.lang, e.id}] = x.rec.SourceURL
		}
		r, ok := refs[l]
		if !ok {
			add(Problem{Lang: e.lang, ID: e.id, Msg: fmt.Sprintf("%s holds a version no document names (%d bytes of page)", where, e.bodyLen)})
			return
		}
		delete(refs, l)
		st.Versions++
		prob := func(msg string) { add(Problem{Lang: r.lang, ID: r.id, Version: r.n, Msg: msg}) }
		if e.lang != r.lang || e.id != r.id {
			prob(fmt.Sprintf("%s holds %s/%d instead", where, e.lang, e.id))
			return
		}
		if x.recErr != nil {
			prob("parsed record does not decode: " + x.recErr.Error())
		} else if x.recID != r.id || x.recLang != r.lang {
			prob(fmt.Sprintf("parsed record names %s/%d", x.recLang, x.recID))
		}
		if x.headErr != nil {
			prob("raw page: " + x.headErr.Error())
		}
		st.RawBytes += int64(e.bodyLen)
		if x.recSHA != "" && x.bodySHA != x.recSHA {
			prob(fmt.Sprintf("raw body digest %s does not match the recorded %s", x.bodySHA, x.recSHA))
		}
		if r.current && r.sha != "" && x.bodySHA != r.sha {
			prob(fmt.Sprintf("raw body digest %s does not match the bookkeeping's %s", x.bodySHA, r.sha))
		}
		if r.current && x.rec != nil && r.fields != recordFieldsHash(x.rec, e.bodyLen) {
			// Only then is the bookkeeping read again, to say what differs.
			if d, _, err := getDoc(tx, r.lang, r.id); err == nil && d != nil {
				for _, m := range docMismatches(d, x.rec, e.bodyLen) {
					prob("bookkeeping does not match the current record: " + m)
				}
			}
		}
	}
	// Packs are copied out of the map here (where a damaged page faults
	// under recovery), then decompressed and checked on other goroutines,
	// a batch at a time, and reported in order.
	type job struct {
		id   uint64
		blob []byte
		pc   *packContent
		xs   []entryCheck
		err  error
	}
	var batch []*job
	flush := func() {
		parallel(len(batch), func(i int) {
			j := batch[i]
			j.pc, j.err = db.codec.decodePack(j.blob, true)
			if j.err == nil {
				j.xs = checkEntries(j.pc)
			}
		})
		for _, j := range batch {
			if j.err != nil {
				id := j.id
				db.lostEntries(refs, func(l loc) bool { return l.pack == id }, fmt.Sprintf("pack %d: %v", id, j.err), add)
				continue
			}
			for i, e := range j.pc.entries {
				check(fmt.Sprintf("pack %d entry %d", j.id, i), loc{j.id, i}, e, &j.xs[i])
			}
		}
		batch = batch[:0]
	}
	c := packs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			add(Problem{Msg: fmt.Sprintf("packs: bad key %x", k)})
			continue
		}
		id := binary.BigEndian.Uint64(k)
		sealed[id] = true
		db.touch(tx, len(v)+costScanned)
		batch = append(batch, &job{id: id, blob: bytes.Clone(v)})
		if len(batch) == 8 {
			flush()
		}
	}
	flush()
	open := map[uint64]openPack{}
	for _, lang := range langs {
		if op, ok := getOpenPack(tx, lang); ok {
			open[op.id] = op
			if sealed[op.id] {
				add(Problem{Msg: fmt.Sprintf("the open pack %d of %s is also sealed", op.id, lang)})
			}
		}
	}
	staged := map[uint64]int{}
	c = stage.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 10 {
			add(Problem{Msg: fmt.Sprintf("stage: bad key %x", k)})
			continue
		}
		l := loc{pack: binary.BigEndian.Uint64(k), slot: int(binary.BigEndian.Uint16(k[8:]))}
		where := fmt.Sprintf("staged entry %d of pack %d", l.slot, l.pack)
		if _, ok := open[l.pack]; !ok {
			add(Problem{Msg: where + " belongs to no open pack"})
		}
		staged[l.pack]++
		db.touch(tx, len(v)+costScanned)
		pc, err := db.codec.decodePack(v, true)
		if err == nil && len(pc.entries) != 1 {
			err = fmt.Errorf("%w: %d entries", ErrCorrupt, len(pc.entries))
		}
		if err != nil {
			db.lostEntries(refs, func(x loc) bool { return x == l }, fmt.Sprintf("%s: %v", where, err), add)
			continue
		}
		check(where, l, pc.entries[0], &checkEntries(pc)[0])
	}
	for id, op := range open {
		if staged[id] != op.n {
			add(Problem{Msg: fmt.Sprintf("the open pack %d has %d staged entries, its state says %d", id, staged[id], op.n)})
		}
	}
	for l, r := range refs {
		add(Problem{Lang: r.lang, ID: r.id, Version: r.n, Msg: fmt.Sprintf("stored version is missing (pack %d entry %d)", l.pack, l.slot)})
	}
}

// entryCheck is what can be checked of a pack entry without the indexes.
type entryCheck struct {
	recErr          error
	rec             *record.Record
	recID           int64
	recLang, recSHA string
	headErr         error
	bodySHA         string
}

// checkEntries decodes every record and digests every body of a decoded
// pack.
func checkEntries(pc *packContent) []entryCheck {
	out := make([]entryCheck, len(pc.entries))
	for i := range pc.entries {
		x := &out[i]
		if rec, err := slimRecord(pc.record(i)); err != nil {
			x.recErr = err
		} else {
			x.rec, x.recID, x.recLang, x.recSHA = rec, rec.ID, rec.Lang, rec.RawSHA256
		}
		_, x.headErr = parseHead(pc.head(i))
		sum := sha256.Sum256(pc.body(i))
		x.bodySHA = hex.EncodeToString(sum[:])
	}
	return out
}

// recordIndexFields are the fields of a record that verify and repair
// compare with the bookkeeping: decoding only these (the whole JSON is
// still checked) spares allocating the text, turns and tags.
type recordIndexFields struct {
	ID         int64    `json:"id"`
	Lang       string   `json:"lang"`
	Title      string   `json:"title"`
	Date       *string  `json:"date"`
	Updated    *string  `json:"updated"`
	Sections   []string `json:"sections"`
	FetchedAt  string   `json:"fetched_at"`
	SourceURL  string   `json:"source_url"`
	RawSHA256  string   `json:"raw_sha256"`
	Source     string   `json:"source"`
	CapturedAt string   `json:"captured_at"`
}

// slimRecord decodes a stored record's index fields.
func slimRecord(b []byte) (*record.Record, error) {
	var f recordIndexFields
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	return &record.Record{ID: f.ID, Lang: f.Lang, Title: f.Title, Date: f.Date, Updated: f.Updated, Sections: f.Sections,
		FetchedAt: f.FetchedAt, SourceURL: f.SourceURL, RawSHA256: f.RawSHA256, Source: f.Source, CapturedAt: f.CapturedAt}, nil
}

// lostEntries reports the versions stored in a blob that does not decode.
func (db *DB) lostEntries(refs map[loc]verRef, in func(loc) bool, msg string, add func(Problem)) {
	n := 0
	for l, r := range refs {
		if in(l) {
			add(Problem{Lang: r.lang, ID: r.id, Version: r.n, Msg: "lost with " + msg})
			delete(refs, l)
			n++
		}
	}
	if n == 0 {
		add(Problem{Msg: msg})
	}
}

// verifyV1Doc checks a document still in the schema-1 layout.
func (db *DB) verifyV1Doc(tx *bolt.Tx, d *Doc, st *VerifyStats, add func(Problem)) {
	for n := 1; n <= d.Versions; n++ {
		st.Versions++
		prob := func(msg string) { add(Problem{Lang: d.Lang, ID: d.ID, Version: n, Msg: msg}) }
		s, err := db.readV1(tx, d.Lang, d.ID, n, true)
		if err != nil {
			prob(err.Error())
			continue
		}
		rec, err := s.record()
		if err != nil {
			prob("parsed record does not decode: " + err.Error())
			continue
		}
		if rec.ID != d.ID || rec.Lang != d.Lang {
			prob(fmt.Sprintf("parsed record names %s/%d", rec.Lang, rec.ID))
		}
		st.RawBytes += int64(len(s.body))
		sum := sha256.Sum256(s.body)
		got := hex.EncodeToString(sum[:])
		if rec.RawSHA256 != "" && got != rec.RawSHA256 {
			prob(fmt.Sprintf("raw body digest %s does not match the recorded %s", got, rec.RawSHA256))
		}
		if n == d.Versions && d.RawSHA256 != "" && got != d.RawSHA256 {
			prob(fmt.Sprintf("raw body digest %s does not match the bookkeeping's %s", got, d.RawSHA256))
		}
	}
}

func (db *DB) verifyIndexes(tx *bolt.Tx, st *VerifyStats, urls map[docRef]string, add func(Problem)) {
	docs := tx.Bucket(bDocs)
	for _, b := range [][]byte{bRawV1, bRecordsV1} {
		bk := tx.Bucket(b)
		if bk == nil {
			continue
		}
		name := string(b)
		bk.ForEach(func(k, v []byte) error {
			lang, id, ok := parseDocKey(k)
			if !ok || len(k) != 14 {
				add(Problem{Msg: fmt.Sprintf("%s: bad key %x", name, k)})
				return nil
			}
			if dv := docs.Get(k[:10]); dv == nil || dv[0] != '{' {
				add(Problem{Lang: lang, ID: id, Msg: name + " holds a version of a document the index does not know"})
			}
			return nil
		})
	}
	sums := hasSums(tx)
	tx.Bucket(bPending).ForEach(func(k, v []byte) error {
		st.Pending++
		lang, id, ok := parseDocKey(k)
		if !ok || len(k) != 10 || validLang(lang) != nil {
			add(Problem{Msg: "frontier: " + badKey(k)})
			return nil
		}
		var p Pending
		if err := json.Unmarshal(v, &p); err != nil {
			add(Problem{Lang: lang, ID: id, Msg: "frontier entry does not decode: " + err.Error()})
			return nil
		}
		if urls[docRef{lang, id}] == "" {
			urls[docRef{lang, id}] = p.URL
		}
		if msg := sumProblem(sums, k, v); msg != "" {
			add(Problem{Lang: lang, ID: id, Msg: "frontier entry " + msg})
		} else if p.Lang != lang || p.ID != id {
			add(Problem{Lang: lang, ID: id, Msg: fmt.Sprintf("frontier entry names %s/%d", p.Lang, p.ID)})
		}
		return nil
	})
	for _, b := range stateBuckets {
		bk := tx.Bucket(b.name)
		if bk == nil {
			continue
		}
		bk.ForEach(func(k, v []byte) error {
			name := b.what + " " + b.entry(k)
			if err := b.decode(v); err != nil {
				add(Problem{Msg: name + " does not decode: " + err.Error()})
			} else if msg := sumProblem(sums, k, v); msg != "" {
				add(Problem{Msg: name + " " + msg})
			}
			return nil
		})
	}
	if bk := tx.Bucket(bAnalysis); bk != nil {
		bk.ForEach(func(k, v []byte) error {
			if msg := sumProblem(sums, k, v); msg != "" {
				add(Problem{Msg: fmt.Sprintf("analysis table %q %s (rebuilt by `kremlin-archive reparse` or `repair`)", k, msg)})
			}
			return nil
		})
	}
}

// sumProblem says what is wrong with the checksum of JSON value v at key
// ("" when nothing is).
func sumProblem(sums bool, k, v []byte) string {
	present, ok := jsonSum(k, v)
	switch {
	case present && !ok:
		return "does not match its checksum (changed after it was written)"
	case !present && sums:
		return "has lost its checksum (changed after it was written)"
	}
	return ""
}

// badKey describes a key that is not a document's, without hex.
func badKey(k []byte) string {
	if lang, id, ok := parseDocKey(k); ok {
		return fmt.Sprintf("bad key (language %q, ID %d, %d bytes)", lang, id, len(k))
	}
	return fmt.Sprintf("bad key %q", k)
}

// isDate reports whether s is a YYYY-MM-DD date.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

// fieldsHash digests the fields a document's bookkeeping copies from its
// current record, so verify compares them without keeping every
// document's bookkeeping in memory (fetch times to the second: records
// carry them so).
func fieldsHash(title, date string, sections []string, sourceURL, source string, captured time.Time, rawSize int, fetched time.Time) uint64 {
	h := fnv.New64a()
	for _, s := range append([]string{title, date, sourceURL, source}, sections...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(captured.UnixNano()))
	binary.LittleEndian.PutUint64(b[8:], uint64(rawSize))
	binary.LittleEndian.PutUint64(b[16:], uint64(fetched.Truncate(time.Second).Unix()))
	if fetched.IsZero() {
		binary.LittleEndian.PutUint64(b[16:], 0)
	}
	h.Write(b[:])
	return h.Sum64()
}

// recordFieldsHash is fieldsHash of what the bookkeeping should hold for
// record r, whose page has bodyLen bytes.
func recordFieldsHash(r *record.Record, bodyLen int) uint64 {
	date := ""
	if r.Date != nil {
		date = *r.Date
	}
	src, captured := docSource(r)
	fetched, _ := time.Parse(time.RFC3339Nano, r.FetchedAt)
	return fieldsHash(r.Title, date, r.Sections, r.SourceURL, src, captured, bodyLen, fetched)
}

// docMismatches lists the fields of the bookkeeping d that differ from
// the current version's record r (whose page has bodyLen bytes): the
// copies of the record's fields the filters and reports use.
func docMismatches(d *Doc, r *record.Record, bodyLen int) []string {
	var out []string
	diff := func(field, have, want string) {
		if have != want {
			out = append(out, fmt.Sprintf("%s is %q, the record says %q", field, have, want))
		}
	}
	diff("title", d.Title, r.Title)
	date := ""
	if r.Date != nil {
		date = *r.Date
	}
	diff("date", d.Date, date)
	diff("sections", strings.Join(d.Sections, "|"), strings.Join(r.Sections, "|"))
	diff("source URL", d.SourceURL, r.SourceURL)
	if d.RawSize != bodyLen {
		out = append(out, fmt.Sprintf("raw size is %d, the page has %d bytes", d.RawSize, bodyLen))
	}
	src, captured := docSource(r)
	diff("source", d.Source, src)
	if !d.CapturedAt.Equal(captured) {
		out = append(out, fmt.Sprintf("capture time is %s, the record says %s", d.CapturedAt.Format(time.RFC3339), r.CapturedAt))
	}
	if t, err := time.Parse(time.RFC3339Nano, r.FetchedAt); err == nil && (d.FetchedAt.Sub(t) >= time.Second || t.Sub(d.FetchedAt) >= time.Second) {
		out = append(out, fmt.Sprintf("fetch time is %s, the record says %s", d.FetchedAt.Format(time.RFC3339Nano), r.FetchedAt))
	}
	return out
}

// verifyMeta checks the archive's own counters against the buckets they
// count.
func (db *DB) verifyMeta(tx *bolt.Tx, add func(Problem)) {
	m := tx.Bucket(bMeta)
	if v := m.Get(kSums); v != nil && string(v) != "1" {
		add(Problem{Msg: fmt.Sprintf("meta: checksums mark is %q, not \"1\"", v)})
	}
	if v := m.Get(kApp); string(v) != appName {
		add(Problem{Msg: fmt.Sprintf("meta: application is %q, not %q", v, appName)})
	}
	if v := m.Get(kCreated); v != nil {
		if _, err := time.Parse(time.RFC3339, string(v)); err != nil {
			add(Problem{Msg: fmt.Sprintf("meta: creation time %q does not parse", v)})
		}
	}
	if v := m.Get(kSeq); v != nil && len(v) != 8 {
		add(Problem{Msg: fmt.Sprintf("meta: change high-water mark has %d bytes, not 8", len(v))})
	}
	packs := tx.Bucket(bPacks)
	if packs == nil {
		return
	}
	if v := m.Get(kPackSeq); v != nil {
		if len(v) != 8 {
			add(Problem{Msg: fmt.Sprintf("meta: pack counter has %d bytes, not 8", len(v))})
		} else {
			seq := binary.BigEndian.Uint64(v)
			if k, _ := packs.Cursor().Last(); len(k) == 8 && binary.BigEndian.Uint64(k) > seq {
				add(Problem{Msg: fmt.Sprintf("meta: pack counter %d is below the highest pack %d", seq, binary.BigEndian.Uint64(k))})
			}
			for _, lang := range langs {
				if op, ok := getOpenPack(tx, lang); ok && op.id > seq {
					add(Problem{Msg: fmt.Sprintf("meta: pack counter %d is below the open pack %d of %s", seq, op.id, lang)})
				}
			}
		}
	}
	dicts := tx.Bucket(bDicts)
	for _, lang := range langs {
		for _, key := range [][]byte{dictCurrentKey(lang), recDictCurrentKey(lang)} {
			if v := m.Get(key); v != nil && (dicts == nil || dicts.Get(v) == nil) {
				add(Problem{Msg: fmt.Sprintf("meta: %s names a dictionary the archive does not have", key)})
			}
		}
	}
}

// stateBuckets are the buckets of JSON state that verify checks and
// repair drops when damaged: what an entry is, and what dropping it
// costs.
var stateBuckets = []bucketState{
	{bSections, "listing state", "the listing is walked again from its start", func(v []byte) error { var x SectionState; return json.Unmarshal(v, &x) }},
	{bHosts, "host state", "robots.txt is read again", func(v []byte) error { var x HostState; return json.Unmarshal(v, &x) }},
	{bRuns, "run ledger entry", "", func(v []byte) error { var x Run; return json.Unmarshal(v, &x) }},
}

type bucketState struct {
	name   []byte
	what   string
	cost   string // "" when nothing
	decode func([]byte) error
}

// entry names the entry of key k: a run by its number, others by key.
func (b bucketState) entry(k []byte) string {
	if string(b.name) == string(bRuns) && len(k) == 8 {
		return fmt.Sprint(binary.BigEndian.Uint64(k))
	}
	return fmt.Sprintf("%q", k)
}
