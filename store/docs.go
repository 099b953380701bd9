package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Doc is the archive's bookkeeping for one document in one language.
type Doc struct {
	Lang     string `json:"lang"`
	ID       int64  `json:"id"`
	Versions int    `json:"versions"` // stored versions; the current one is Versions
	Seq      uint64 `json:"seq"`      // change sequence number of the last stored change

	// ListedIn are the listing sections the document was seen in
	// ("news", "transcripts"), in the order first seen.
	ListedIn []string `json:"listed_in"`
	// UpdateMark is the "last updated" date (YYYY-MM-DD) of the stored
	// copy: the page's own stamp (the listing's date when the page has
	// none). A listing entry with a newer span.updated means the site has
	// changed the document since.
	UpdateMark string `json:"update_mark,omitempty"`
	// StaleTries counts fetches in a row that returned a page older than
	// its listing entry said (a cache, or a listing updated first); after
	// maxStaleTries the listing's date is accepted as StaleFor.
	StaleTries int    `json:"stale_tries,omitempty"`
	StaleFor   string `json:"stale_for,omitempty"`

	// Current version, copied here for filters and reports.
	Date      string    `json:"date,omitempty"`
	Title     string    `json:"title,omitempty"`
	Sections  []string  `json:"sections,omitempty"`
	FetchedAt time.Time `json:"fetched_at"`
	Source    string    `json:"source,omitempty"` // record.Source of the current version ("" = live)
	SourceURL string    `json:"source_url"`
	RawSHA256 string    `json:"raw_sha256"`
	RawSize   int       `json:"raw_size"`
	// CapturedAt is when the current version's page was captured: the
	// Wayback Machine's capture time, zero for live copies (FetchedAt).
	CapturedAt time.Time `json:"captured_at,omitzero"`

	FirstFetchedAt time.Time `json:"first_fetched_at"`
	CheckedAt      time.Time `json:"checked_at"` // last fetch, changed or not

	locs    []loc // where each version is stored (schema 2), oldest first
	schema1 bool  // read from a schema-1 entry: versions in the raw and records buckets
}

// Pending is a document discovered in a listing and not yet archived (or
// archived and due for a refetch because the site updated it). Failed
// fetches stay here with their error until a later attempt succeeds.
type Pending struct {
	Lang          string    `json:"lang"`
	ID            int64     `json:"id"`
	URL           string    `json:"url"` // as listed: root-relative path or absolute URL
	ListedIn      []string  `json:"listed_in"`
	ListedUpdated string    `json:"listed_updated,omitempty"`
	Reason        string    `json:"reason"` // "new" or "updated"
	DiscoveredAt  time.Time `json:"discovered_at"`

	Attempts   int       `json:"attempts,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	LastStatus int       `json:"last_status,omitempty"`
	LastTry    time.Time `json:"last_try,omitzero"`
	NextTry    time.Time `json:"next_try,omitzero"`

	// Captures are the Wayback Machine captures of the document still to
	// fetch, in the order to try them (found in the CDX index). Rejected
	// lists captures ("<timestamp> <URL>") and payload digests
	// ("sha1:<digest>") that turned out not to be the document: they are
	// never tried again. History marks captures queued by
	// `backfill --history`: each one is fetched and kept as a version
	// when its content differs.
	Captures []WaybackCapture `json:"captures,omitempty"`
	Rejected []string         `json:"rejected,omitempty"`
	History  bool             `json:"history,omitempty"`
}

// WaybackCapture is one Wayback Machine capture of a document page.
type WaybackCapture struct {
	Timestamp string `json:"ts"`               // 14 digits, UTC
	URL       string `json:"url"`              // the original URL captured
	Digest    string `json:"digest,omitempty"` // base32 SHA-1 of the payload (CDX)
	Length    int    `json:"len,omitempty"`    // size of the archived record (CDX), 0 when unknown
}

// Key names the capture in Pending.Rejected.
func (c WaybackCapture) Key() string { return c.Timestamp + " " + c.URL }

// Failed reports whether at least one fetch of p has failed.
func (p *Pending) Failed() bool { return p.Attempts > 0 }

// Outcome of storing a fetched document.
type Outcome int

const (
	OutcomeNew       Outcome = iota + 1 // first copy of the document
	OutcomeUpdated                      // a new version: the content changed
	OutcomeUnchanged                    // same content as the current version; nothing stored
	OutcomeStale                        // an older page than the current version (a cache); nothing stored
	// OutcomeEarlier: a Wayback Machine capture made before the current
	// version, whose content differs from the versions around it: kept as
	// an earlier version, in capture order; the current one stays.
	OutcomeEarlier
)

// stored reports whether the outcome stored a version of the document.
func (o Outcome) stored() bool {
	return o == OutcomeNew || o == OutcomeUpdated || o == OutcomeEarlier
}

func (o Outcome) String() string {
	switch o {
	case OutcomeNew:
		return "new"
	case OutcomeUpdated:
		return "updated"
	case OutcomeUnchanged:
		return "unchanged"
	case OutcomeStale:
		return "stale"
	case OutcomeEarlier:
		return "earlier"
	}
	return "?"
}

// Fetched is a fetched and parsed document, ready to store.
type Fetched struct {
	Raw    *Raw
	Record *record.Record // fetch fields filled in
	// From the pending entry (listing) the fetch was made for.
	ListedIn      []string
	ListedUpdated string
	// Pending, when not nil, replaces the document's frontier entry in
	// the same transaction instead of removing it: the captures still to
	// fetch of a Wayback history import.
	Pending *Pending
}

// maxStaleTries is how many fetches may return a page older than its
// listing entry before the listing's date is taken as seen.
const maxStaleTries = 3

// ErrBadInput is returned for calls the store refuses to act on.
var ErrBadInput = errors.New("bad input")

// PutDocument stores a fetched document in one transaction: the raw
// response, the parsed record, the document's bookkeeping, the change
// sequence, the removal of its pending entry and the run's counters
// (run 0 = none). When the content is the same as the current version,
// nothing but the bookkeeping changes (OutcomeUnchanged).
//
// Two steps, kept apart: decideVersion says whether the fetch is a new
// version (the archive's policy), addVersion stores one (the layout).
func (db *DB) PutDocument(f *Fetched, runID uint64) (Outcome, error) {
	p, err := db.preparePut(f, runID)
	if err != nil {
		return 0, err
	}
	var outcome Outcome
	var packFull bool // the language's open pack is full: seal it
	err = db.updateDoc(func(tx *bolt.Tx) error {
		var err error
		outcome, packFull, err = db.putTx(tx, p)
		return err
	}, p)
	if err != nil {
		return 0, fmt.Errorf("store %s/%d: %w", f.Record.Lang, f.Record.ID, err)
	}
	return outcome, db.afterPut(f.Record.Lang, outcome, packFull)
}

// docPut is a document ready to store: PutDocument's transaction needs
// nothing else, and the group journal (journal.go) keeps what it needs
// to build one again.
type docPut struct {
	f     *Fetched
	runID uint64
	// light has the record's fields Source, CapturedAt and Updated as
	// they will be stored; stored returns the whole record as stored.
	light  *record.Record
	stored func() (*record.Record, error)
	blob   []byte // the staged entry
	size   int    // record, head and body bytes
}

// preparePut checks a fetched document, and encodes and compresses it
// (outside the write transaction).
func (db *DB) preparePut(f *Fetched, runID uint64) (*docPut, error) {
	rec := f.Record
	if rec == nil || f.Raw == nil || rec.ID <= 0 {
		return nil, fmt.Errorf("%w: document without record, raw response or ID", ErrBadInput)
	}
	if err := validLang(rec.Lang); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	if rec.RawSHA256 == "" {
		rec.RawSHA256 = f.Raw.SHA256()
	}
	recJSON, err := record.Marshal(rec)
	if err != nil {
		return nil, err
	}
	head := f.Raw.Head()
	blob, err := db.stagedEntry(rec.Lang, rec.ID, recJSON, head, f.Raw.Body)
	if err != nil {
		return nil, err
	}
	return newDocPut(f, runID, recJSON, blob, len(recJSON)+len(head)+len(f.Raw.Body))
}

func newDocPut(f *Fetched, runID uint64, recJSON, blob []byte, size int) (*docPut, error) {
	rec := f.Record
	p := &docPut{f: f, runID: runID, blob: blob, size: size}
	// Compare what will be stored, not what was given: JSON replaces
	// invalid UTF-8, and the stored copy has been through it. The whole
	// record is compared only with a current version (decoded then); the
	// bookkeeping needs three fields, the same after JSON when they are
	// valid UTF-8.
	var full *record.Record
	p.stored = func() (*record.Record, error) {
		if full == nil {
			var r record.Record
			if err := json.Unmarshal(recJSON, &r); err != nil {
				return nil, err
			}
			full = &r
		}
		return full, nil
	}
	p.light = &record.Record{Source: rec.Source, CapturedAt: rec.CapturedAt, Updated: rec.Updated}
	if !utf8.ValidString(rec.Source) || !utf8.ValidString(rec.CapturedAt) || (rec.Updated != nil && !utf8.ValidString(*rec.Updated)) {
		var err error
		if p.light, err = p.stored(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// putTx is PutDocument's transaction: it stores p in tx and says what
// the fetch was, and whether the language's open pack is now full.
func (db *DB) putTx(tx *bolt.Tx, p *docPut) (outcome Outcome, packFull bool, err error) {
	f, rec := p.f, p.f.Record
	key := docKey(rec.Lang, rec.ID)
	d, exists, err := getDoc(tx, rec.Lang, rec.ID)
	if err != nil {
		return 0, false, err
	}
	if !exists {
		d = &Doc{Lang: rec.Lang, ID: rec.ID, FirstFetchedAt: f.Raw.FetchedAt}
	}
	var at int
	if outcome, at, err = db.decideVersion(tx, d, f, p.light, p.stored); err != nil {
		return 0, false, err
	}
	switch outcome {
	case OutcomeEarlier:
		if err := db.insertVersion(tx, d, at, p.blob, p.size); err != nil {
			return 0, false, err
		}
	case OutcomeNew, OutcomeUpdated:
		if err := db.addVersion(tx, d, f, p.blob, p.size); err != nil {
			return 0, false, err
		}
	}
	if outcome.stored() {
		op, ok := getOpenPack(tx, rec.Lang)
		packFull = ok && db.packFull(op)
	}
	if err := putDocFill(tx, d, db.grouping()); err != nil {
		return 0, false, err
	}
	if f.Pending != nil {
		if err := putJSON(tx.Bucket(bPending), key, f.Pending); err != nil {
			return 0, false, err
		}
	} else if err := tx.Bucket(bPending).Delete(key); err != nil {
		return 0, false, err
	}
	db.touch(tx, len(p.blob)+4*costLookup)
	err = countRun(tx, p.runID, func(r *Run) {
		switch outcome {
		case OutcomeNew:
			r.New++
		case OutcomeUpdated, OutcomeEarlier:
			r.Updated++
		case OutcomeUnchanged, OutcomeStale:
			r.Unchanged++
		}
		if outcome.stored() {
			r.countSource(p.light.Source)
		}
	})
	return outcome, packFull, err
}

// afterPut seals the language's open pack when it is full and trains
// its dictionaries when it is time, after a document is stored.
func (db *DB) afterPut(lang string, outcome Outcome, packFull bool) error {
	if outcome.stored() {
		// The seal is a transaction of its own (sealFull looks again);
		// known full here, no read transaction per document asks.
		if packFull {
			if err := db.sealFull(lang); err != nil {
				return fmt.Errorf("seal a pack of %s pages: %w", lang, err)
			}
		}
		if err := db.maybeTrainDict(lang); err != nil {
			return fmt.Errorf("train compression dictionary: %w", err)
		}
	}
	return nil
}

// decideVersion updates the bookkeeping of d for a fetch of it (listings
// it was seen in, update marks, stale tries) and says what the fetch is
// (versionOutcome; for a Wayback capture made before the current version,
// earlierPlace), and for OutcomeEarlier the place (1-based) of the new
// version. stored returns the record as it will be stored; light has its
// fields Source, CapturedAt and Updated as they will be stored.
func (db *DB) decideVersion(tx *bolt.Tx, d *Doc, f *Fetched, light *record.Record, storedRec func() (*record.Record, error)) (Outcome, int, error) {
	stored := light
	d.ListedIn = mergeSections(d.ListedIn, f.ListedIn)
	d.CheckedAt = checkedAt(d.CheckedAt, f.Raw.FetchedAt, stored)
	pageMark := datePart(stored.Updated)
	if pageMark == "" {
		pageMark = f.ListedUpdated // the page has no stamp: trust the listing
	}
	if f.ListedUpdated > pageMark {
		// The page is older than its listing entry says: fetch it again
		// on later runs, a few times, before taking the listing's word.
		if d.StaleTries++; d.StaleTries >= maxStaleTries {
			d.StaleFor, d.StaleTries = f.ListedUpdated, 0
		}
	} else {
		d.StaleTries = 0
	}
	d.UpdateMark = maxDate(d.UpdateMark, pageMark)
	var cur *record.Record
	if d.Versions > 0 {
		var err error
		if cur, err = db.getRecord(tx, d, d.Versions); err != nil {
			return 0, 0, fmt.Errorf("read current version of %s/%d: %w", d.Lang, d.ID, err)
		}
		if stored, err = storedRec(); err != nil {
			return 0, 0, err
		}
	}
	outcome := versionOutcome(cur, stored)
	if cur != nil && stored.Source == record.SourceWayback && capturedBefore(stored, cur) {
		// A capture made before the current version: its place in the
		// history decides.
		return db.earlierPlace(tx, d, stored)
	}
	return outcome, d.Versions + 1, nil
}

// versionOutcome decides what a fetched copy is to the archive, given
// the current version (nil when there is none):
//
//   - the same content (every record field but the fetch metadata) as the
//     current version: unchanged, nothing is stored;
//   - captured before the current version was (a Wayback Machine capture
//     older than the archived copy), or carrying an older "Last updated"
//     stamp (a cache): stale, never made current (PutDocument then gives
//     an earlier Wayback capture its place in the history: earlierPlace);
//   - otherwise a new version, which becomes current.
//
// So a Wayback copy never replaces a newer copy, live or not, and a later
// live fetch whose content differs becomes a new version.
func versionOutcome(cur, incoming *record.Record) Outcome {
	switch {
	case cur == nil:
		return OutcomeNew
	case record.SameContent(cur, incoming):
		return OutcomeUnchanged
	case capturedBefore(incoming, cur):
		return OutcomeStale
	case olderStamp(incoming.Updated, cur.Updated):
		return OutcomeStale
	}
	return OutcomeUpdated
}

// earlierPlace finds where a Wayback capture made before the current
// version of d belongs: after the last version captured no later than
// it. When its content is that of the version before or after that place,
// it adds nothing (OutcomeUnchanged); otherwise it is an earlier version
// (OutcomeEarlier) to insert at the place returned.
func (db *DB) earlierPlace(tx *bolt.Tx, d *Doc, incoming *record.Record) (Outcome, int, error) {
	at := 1
	var prev, next *record.Record
	for v := d.Versions; v >= 1; v-- {
		r, err := db.getRecord(tx, d, v)
		if err != nil {
			return 0, 0, err
		}
		if !capturedBefore(incoming, r) {
			at, prev = v+1, r
			break
		}
		next = r
	}
	if (prev != nil && record.SameContent(prev, incoming)) || (next != nil && record.SameContent(next, incoming)) {
		return OutcomeUnchanged, 0, nil
	}
	return OutcomeEarlier, at, nil
}

// capturedBefore reports whether copy a was captured before copy b
// (captured_at, fetched_at when absent; false when either is unknown).
func capturedBefore(a, b *record.Record) bool {
	ta, oka := capturedAt(a)
	tb, okb := capturedAt(b)
	return oka && okb && ta.Before(tb)
}

func capturedAt(r *record.Record) (time.Time, bool) {
	s := r.CapturedAt
	if s == "" {
		s = r.FetchedAt
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// checkedAt is when the archive last saw the page as the site serves
// it: the fetch time of a live copy; for a Wayback copy the capture time,
// which never moves the mark back. The listing walks compare it with the
// site's update dates.
func checkedAt(prev, fetched time.Time, r *record.Record) time.Time {
	if r.Source != record.SourceWayback {
		return fetched
	}
	t, ok := capturedAt(r)
	if !ok {
		return fetched
	}
	if prev.After(t) {
		return prev
	}
	return t
}

// docSource is what a document's bookkeeping says of where its current
// version came from: "" for a live copy, else record.Source and the
// capture time.
func docSource(r *record.Record) (string, time.Time) {
	if r.Source == "" || r.Source == record.SourceLive {
		return "", time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, r.CapturedAt)
	return r.Source, t.UTC()
}

// insertVersion stores an earlier version of d (its staged blob, raw size
// size) at position at (1..Versions): the versions from at on move one
// place up; the current version (the last) stays current, and the
// document gets a new change number (its version count changed).
func (db *DB) insertVersion(tx *bolt.Tx, d *Doc, at int, blob []byte, size int) error {
	if d.schema1 || len(d.locs) != d.Versions || at < 1 || at > d.Versions {
		return fmt.Errorf("%w: %s/%d: no place %d among %d versions (%d stored)", ErrCorrupt, d.Lang, d.ID, at, d.Versions, len(d.locs))
	}
	l, err := db.stage(tx, d.Lang, blob, size)
	if err != nil {
		return err
	}
	d.locs = slices.Insert(d.locs, at-1, l)
	d.Versions++
	return bumpSeq(tx, d)
}

// addVersion stores a new current version of d: its staged blob (raw
// size size) joins the open pack of its language, the bookkeeping takes
// the version's fields, and the document gets a new change number.
func (db *DB) addVersion(tx *bolt.Tx, d *Doc, f *Fetched, blob []byte, size int) error {
	if d.schema1 {
		return fmt.Errorf("%w: %s/%d is still in the schema-1 layout", ErrCorrupt, d.Lang, d.ID)
	}
	rec := f.Record
	l, err := db.stage(tx, rec.Lang, blob, size)
	if err != nil {
		return err
	}
	d.Versions++
	d.locs = append(d.locs, l)
	if err := bumpSeq(tx, d); err != nil {
		return err
	}
	d.FetchedAt = f.Raw.FetchedAt
	d.Source, d.CapturedAt = docSource(rec)
	d.SourceURL = f.Raw.URL
	d.RawSHA256 = rec.RawSHA256
	d.RawSize = len(f.Raw.Body)
	d.Title = rec.Title
	d.Sections = rec.Sections
	d.Date = ""
	if rec.Date != nil {
		d.Date = *rec.Date
	}
	return nil
}

// bumpSeq gives the document the next change sequence number.
func bumpSeq(tx *bolt.Tx, d *Doc) error {
	m := tx.Bucket(bMeta)
	seq := getU64(m, kSeq) + 1
	d.Seq = seq
	return m.Put(kSeq, u64(seq))
}

// getDoc reads the bookkeeping of a document inside tx.
func getDoc(tx *bolt.Tx, lang string, id int64) (*Doc, bool, error) {
	v := tx.Bucket(bDocs).Get(docKey(lang, id))
	if v == nil {
		return nil, false, nil
	}
	d, err := decodeDoc(lang, id, v)
	return d, d != nil, err
}

// putDoc stores the bookkeeping of a document.
func putDoc(tx *bolt.Tx, d *Doc) error { return putDocFill(tx, d, false) }

// putDocFill is putDoc in a transaction that may hold many documents
// (grouped: see fillFor).
func putDocFill(tx *bolt.Tx, d *Doc, grouped bool) error {
	if d.schema1 {
		return fmt.Errorf("%w: %s/%d is still in the schema-1 layout", ErrCorrupt, d.Lang, d.ID)
	}
	b := tx.Bucket(bDocs)
	key := docKey(d.Lang, d.ID)
	b.FillPercent = fillFor(b, key, grouped)
	return b.Put(key, encodeDoc(d))
}

// fillFor says how full bbolt should leave the pages it splits when key
// is written. A backfill walks each listing newest first, so documents
// arrive in falling ID order: each one becomes the first of its language,
// and a page split with the default fill (half) leaves half-empty pages
// behind for good. Prepending, the split leaves the old keys' page full;
// appending (a crawl's new documents), it fills the page before starting
// the next; in between, and for updates, the default.
//
// A group commit (grouped) prepends up to a listing page's documents at
// once, and bbolt splits a node front to back, every page but the last
// filled to the same share: a tenth would cut the group's keys into
// pages holding a tenth of a page each, full pages leave a partly filled
// page behind each group. Groups of 1 to 20 documents of both languages
// (a backfill's) fill the pages best with the default share: 68% against
// 54% (a tenth) and 50% (full), on 10,000 documents.
func fillFor(b *bolt.Bucket, key []byte, grouped bool) float64 {
	c := b.Cursor()
	next, _ := c.Seek(key)
	switch {
	case next != nil && bytes.Equal(next, key):
		return bolt.DefaultFillPercent
	case next == nil || !bytes.Equal(next[:2], key[:2]):
		return 1
	}
	if prev, _ := c.Prev(); prev == nil || !bytes.Equal(prev[:2], key[:2]) {
		if grouped {
			return bolt.DefaultFillPercent
		}
		return 0.1
	}
	return bolt.DefaultFillPercent
}

// Doc returns the bookkeeping of a document, or nil when it is not archived.
func (db *DB) Doc(lang string, id int64) (*Doc, error) {
	var d *Doc
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		d, _, err = getDoc(tx, lang, id)
		return err
	})
	return d, err
}

// Version is one stored version of a document.
type Version struct {
	N      int
	Record *record.Record
}

// ErrNoVersion is returned for a version number a document does not have.
var ErrNoVersion = errors.New("no such version")

// Record returns version n of a document's parsed record (n = 0: current);
// nil when the document is not archived.
func (db *DB) Record(lang string, id int64, n int) (*record.Record, error) {
	var r *record.Record
	err := db.view(func(tx *bolt.Tx) error {
		d, ok, err := getDoc(tx, lang, id)
		if err != nil || !ok {
			return err
		}
		if n == 0 {
			n = d.Versions
		}
		r, err = db.getRecord(tx, d, n)
		return err
	})
	return r, err
}

// RawResponse returns version n of a document's raw response (n = 0:
// current); nil when the document is not archived or has no version n.
func (db *DB) RawResponse(lang string, id int64, n int) (*Raw, error) {
	var raw *Raw
	err := db.view(func(tx *bolt.Tx) error {
		d, ok, err := getDoc(tx, lang, id)
		if err != nil || !ok {
			return err
		}
		if n == 0 {
			n = d.Versions
		}
		if n < 1 || n > d.Versions {
			return nil
		}
		s, err := db.readVersion(tx, d, n, true)
		if err != nil {
			return err
		}
		raw, err = s.raw()
		return err
	})
	return raw, err
}

// Versions returns every stored version of a document, oldest first.
func (db *DB) Versions(lang string, id int64) ([]Version, error) {
	var out []Version
	err := db.view(func(tx *bolt.Tx) error {
		d, ok, err := getDoc(tx, lang, id)
		if err != nil || !ok {
			return err
		}
		for n := 1; n <= d.Versions; n++ {
			r, err := db.getRecord(tx, d, n)
			if err != nil {
				return fmt.Errorf("version %d: %w", n, err)
			}
			out = append(out, Version{N: n, Record: r})
		}
		return nil
	})
	return out, err
}

// readVersion reads version n of d inside tx: the record, and the raw
// response too when raw.
func (db *DB) readVersion(tx *bolt.Tx, d *Doc, n int, raw bool) (*stored, error) {
	if n < 1 || n > d.Versions {
		return nil, fmt.Errorf("%w: %s/%d has %d version(s), not a version %d", ErrNoVersion, d.Lang, d.ID, d.Versions, n)
	}
	if d.schema1 {
		return db.readV1(tx, d.Lang, d.ID, n, raw)
	}
	if len(d.locs) != d.Versions {
		return nil, fmt.Errorf("%w: %s/%d has %d versions but %d stored locations", ErrCorrupt, d.Lang, d.ID, d.Versions, len(d.locs))
	}
	s, err := db.readLoc(tx, d.locs[n-1], raw)
	if err != nil {
		return nil, fmt.Errorf("%s/%d version %d: %w", d.Lang, d.ID, n, err)
	}
	if s.entry.lang != d.Lang || s.entry.id != d.ID {
		return nil, fmt.Errorf("%w: %s/%d version %d: its pack entry is %s/%d", ErrCorrupt, d.Lang, d.ID, n, s.entry.lang, s.entry.id)
	}
	return s, nil
}

// readV1 reads a version stored in the schema-1 layout.
func (db *DB) readV1(tx *bolt.Tx, lang string, id int64, n int, raw bool) (*stored, error) {
	vk := verKey(lang, id, n)
	s := &stored{entry: packEntry{lang: lang, id: id}}
	var v []byte
	if b := tx.Bucket(bRecordsV1); b != nil {
		v = b.Get(vk)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: record %s/%d version %d is missing", ErrCorrupt, lang, id, n)
	}
	db.touch(tx, len(v)+costLookup)
	var err error
	if s.rec, err = db.codec.decodeV1(v); err != nil {
		return nil, fmt.Errorf("record %s/%d version %d: %w", lang, id, n, err)
	}
	if !raw {
		return s, nil
	}
	v = nil
	if b := tx.Bucket(bRawV1); b != nil {
		v = b.Get(vk)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: raw page %s/%d version %d is missing", ErrCorrupt, lang, id, n)
	}
	db.touch(tx, len(v)+costLookup)
	p, err := db.codec.decodeV1(v)
	if err != nil {
		return nil, fmt.Errorf("raw page %s/%d version %d: %w", lang, id, n, err)
	}
	i := bytes.Index(p, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: raw page %s/%d version %d: no end of header", ErrCorrupt, lang, id, n)
	}
	s.head, s.body = p[:i+4], p[i+4:]
	return s, nil
}

// record decodes the stored record of s.
func (s *stored) record() (*record.Record, error) {
	var r record.Record
	if err := json.Unmarshal(s.rec, &r); err != nil {
		return nil, fmt.Errorf("%w: record %s/%d: %v", ErrCorrupt, s.entry.lang, s.entry.id, err)
	}
	return &r, nil
}

// raw decodes the stored raw response of s; URL and FetchedAt come from
// the record. The body is the caller's copy.
func (s *stored) raw() (*Raw, error) {
	r, err := s.rawShared()
	if err != nil {
		return nil, err
	}
	r.Body = bytes.Clone(r.Body)
	return r, nil
}

// rawShared is raw with the body shared with the decoded pack (which is
// never changed): for scans, whose callers only read it.
func (s *stored) rawShared() (*Raw, error) {
	r, err := parseHead(s.head)
	if err != nil {
		return nil, err
	}
	r.Body = s.body
	rec, err := s.record()
	if err != nil {
		return nil, err
	}
	r.URL = rec.SourceURL
	r.FetchedAt, _ = time.Parse(time.RFC3339Nano, rec.FetchedAt)
	return r, nil
}

func (db *DB) getRecord(tx *bolt.Tx, d *Doc, n int) (*record.Record, error) {
	s, err := db.readVersion(tx, d, n, false)
	if err != nil {
		return nil, err
	}
	return s.record()
}

// getJSON decodes the value at key into v; ok is false when absent.
func getJSON(b *bolt.Bucket, key []byte, v any) (ok bool, err error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("%w: %s key %x: %v", ErrCorrupt, "bucket", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, sealJSON(key, data))
}

// mergeSections appends the sections of add missing from have.
func mergeSections(have, add []string) []string {
	for _, s := range add {
		if s != "" && !slices.Contains(have, s) {
			have = append(have, s)
		}
	}
	return have
}

// olderStamp reports whether update stamp a is earlier than b (both RFC
// 3339; false when either is missing or does not parse).
func olderStamp(a, b *string) bool {
	if a == nil || b == nil {
		return false
	}
	ta, err1 := time.Parse(time.RFC3339, *a)
	tb, err2 := time.Parse(time.RFC3339, *b)
	return err1 == nil && err2 == nil && ta.Before(tb)
}

// datePart returns the YYYY-MM-DD of an RFC 3339 time (local date as
// written), or "".
func datePart(ts *string) string {
	if ts == nil || len(*ts) < 10 {
		return ""
	}
	return (*ts)[:10]
}

// maxDate returns the latest of YYYY-MM-DD dates ("" is earliest).
func maxDate(dates ...string) string {
	m := ""
	for _, d := range dates {
		if d > m {
			m = d
		}
	}
	return m
}
