// Package search is the full-text index of the archive: one bleve index
// per language beside the archive file (kremlin.db.index/en, …/ru), built
// from the archive's records and brought up to date from its change
// sequence. Documents and their speaker turns are entries of their own,
// so that a speaker filter finds what that speaker said, not merely a page
// on which they spoke.
//
// The index never holds the archive open: each update opens it (through
// the caller's opener, read-only), reads a chunk of changed documents and
// closes it again, so a crawl can take the file between two chunks.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ErrBusy means another process uses the index directory.
var ErrBusy = errors.New("another kremlin-archive serve uses this index")

// Index is the search index of one archive.
type Index struct {
	dir  string
	lock *os.File
	log  *slog.Logger
	// set is the bleve indexes; nil until the first update creates them
	// (their mappings hold the archive's common terms, see bigrams)
	set atomic.Pointer[indexSet]

	labels labelSet

	upd         sync.Mutex // one update at a time
	resolve     Resolver
	commonTerms map[string][]string // Options.CommonTerms
	hinted      bool                // hintReindex said it

	closeMu sync.Mutex
	closed  bool
	stop    chan struct{} // ends releaseLoop
	kick    chan struct{} // asks releaseLoop to check now
	looping sync.WaitGroup

	mu       sync.Mutex
	state    State
	progress Progress
	gen      uint64 // bumped by every change, for caches

	spk   speakerCache
	cache resultCache
}

// State is what the index holds, kept in state.json beside it.
type State struct {
	MappingVersion int `json:"mapping_version"`
	// Seq is the archive's change sequence number up to which every
	// change is indexed.
	Seq uint64 `json:"seq"`
	// Complete is false while the first build runs.
	Complete bool      `json:"complete"`
	BuiltAt  time.Time `json:"built_at,omitzero"`
	// CommonSample is, per language, how many documents the common
	// terms were found in (see commonTerms); absent when given.
	CommonSample map[string]int `json:"common_sample,omitempty"`
	UpdatedAt    time.Time      `json:"updated_at,omitzero"`
	// Docs counts the indexed documents per language (not persisted).
	Docs map[string]uint64 `json:"-"`
}

// indexSet is the bleve indexes of both languages and both kinds of
// entry, and the common terms of each language (see bigrams).
type indexSet struct {
	idx    map[string]bleve.Index // by lang/type: "en/doc", "en/turn", "ru/doc", "ru/turn"
	common map[string]map[string]bool
}

// bi is the index of lang's entries of type typ, or nil before the first
// update.
func (ix *Index) bi(lang, typ string) bleve.Index {
	if s := ix.set.Load(); s != nil {
		return s.idx[lang+"/"+typ]
	}
	return nil
}

// common is the set of lang's common terms.
func (ix *Index) common(lang string) map[string]bool {
	if s := ix.set.Load(); s != nil {
		return s.common[lang]
	}
	return nil
}

var types = []string{typeDoc, typeTurn}

// Progress of a running update.
type Progress struct {
	Running bool
	Done    int // documents indexed by this update
	Total   int // documents this update indexes
	Started time.Time
}

// Options for Open.
type Options struct {
	Log *slog.Logger
	// CommonTerms, when not nil, are the common terms of each language
	// (see bigrams) of an index this opening creates, instead of those
	// found in the archive (a language missing from it has none).
	CommonTerms map[string][]string
	// Resolve, when set, returns for an open archive the function that
	// fills a record's speaker keys the way `export` does (archive-level
	// resolution); records are indexed as stored otherwise.
	Resolve Resolver
}

// Resolver returns, for an open archive, a function that completes a
// record (its speaker keys) before it is indexed or shown.
type Resolver func(db *store.DB) (func(*record.Record) error, error)

// DefaultDir is the index directory of an archive: beside it, with
// ".index" appended.
func DefaultDir(dbPath string) string { return dbPath + ".index" }

// Open opens the index in dir, creating it (empty) when absent and
// emptying it when it was made by another MappingVersion. The directory is
// locked for this process.
func Open(dir string, o Options) (*Index, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("index %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", dir, err)
	}
	if !lockDir(lock) {
		lock.Close()
		return nil, fmt.Errorf("index %s: %w", dir, ErrBusy)
	}
	ix := &Index{dir: dir, lock: lock, log: o.Log, resolve: o.Resolve, commonTerms: o.CommonTerms, stop: make(chan struct{}), kick: make(chan struct{}, 1)}
	if err := ix.open(); err != nil {
		ix.Close()
		return nil, err
	}
	ix.looping.Add(1)
	go func() {
		defer ix.looping.Done()
		ix.releaseLoop(ix.stop)
	}()
	return ix, nil
}

func (ix *Index) open() error {
	st, err := readState(filepath.Join(ix.dir, "state.json"))
	complete := err == nil && st.MappingVersion == MappingVersion
	created := complete // its parts were made
	if complete {
		var missing []string
		for _, l := range Langs {
			for _, typ := range types {
				if _, err := os.Stat(filepath.Join(ix.dir, l+"-"+typ, "index_meta.json")); err != nil {
					missing = append(missing, l+"-"+typ)
				}
			}
		}
		switch {
		case len(missing) == len(Langs)*len(types) && st.Seq == 0:
			created = false // built from an empty archive: no part made yet
		case len(missing) > 0:
			ix.log.Info("part of the index is missing; rebuilding it", "dir", ix.dir, "missing", strings.Join(missing, ", "))
			complete = false
		}
	} else if err == nil {
		ix.log.Info("the index was made by another version; rebuilding it", "dir", ix.dir,
			"version", st.MappingVersion, "want", MappingVersion)
	}
	if !complete {
		if err := ix.reset(); err != nil {
			return err
		}
		st = State{MappingVersion: MappingVersion}
		if err := writeState(filepath.Join(ix.dir, "state.json"), &st); err != nil {
			return err
		}
	} else if created {
		set, err := ix.newSet(func(_, _, p string) (bleve.Index, error) { return bleve.OpenUsing(p, indexConfig()) })
		if err != nil {
			return fmt.Errorf("%w (remove the directory or run serve --reindex)", err)
		}
		ix.set.Store(set)
	}
	if err := ix.labels.load(filepath.Join(ix.dir, "labels.json")); err != nil {
		return fmt.Errorf("index %s: labels: %w", ix.dir, err)
	}
	st.Docs = map[string]uint64{}
	ix.state = st
	return ix.countDocs()
}

// reset removes every bleve index and the labels from the directory.
func (ix *Index) reset() error {
	for _, l := range Langs {
		for _, sub := range []string{l, l + "-" + typeDoc, l + "-" + typeTurn} {
			if err := os.RemoveAll(filepath.Join(ix.dir, sub)); err != nil {
				return err
			}
		}
	}
	os.Remove(filepath.Join(ix.dir, "labels.json"))
	return nil
}

// indexConfig is the configuration of every bleve index. unsafe_batch: a
// batch returns once its documents are searchable, without waiting for
// them to be written and synced to disk; the persister writes many
// batches at once. Update advances the index's sequence number only to
// what the persister reported written (see written), so a crash loses no
// change.
func indexConfig() map[string]interface{} {
	return map[string]interface{}{"bolt_timeout": "2s", "unsafe_batch": true}
}

// create makes the bleve indexes, empty, with the common terms of each
// language.
func (ix *Index) create(common map[string][]string) error {
	if err := ix.reset(); err != nil {
		return err
	}
	set, err := ix.newSet(func(l, typ, p string) (bleve.Index, error) {
		m, err := newMapping(l, typ, common[l])
		if err != nil {
			return nil, err
		}
		return bleve.NewUsing(p, m, scorch.Name, scorch.Name, indexConfig())
	})
	if err != nil {
		return err
	}
	ix.set.Store(set)
	return nil
}

// newSet makes the bleve index of every language and kind of entry with
// mk (which opens or creates the one at path), closing those it made when
// one fails. A language's common terms are those its document index's
// mapping holds.
func (ix *Index) newSet(mk func(lang, typ, path string) (bleve.Index, error)) (*indexSet, error) {
	set := &indexSet{idx: map[string]bleve.Index{}, common: map[string]map[string]bool{}}
	for _, l := range Langs {
		for _, typ := range types {
			p := filepath.Join(ix.dir, l+"-"+typ)
			bi, err := mk(l, typ, p)
			if err != nil {
				for _, bi := range set.idx {
					bi.Close()
				}
				return nil, fmt.Errorf("index %s: %w", p, err)
			}
			set.idx[l+"/"+typ] = bi
		}
		set.common[l] = commonOf(set.idx[l+"/"+typeDoc].Mapping())
	}
	return set, nil
}

// Close closes the index and releases its directory.
func (ix *Index) Close() error {
	ix.closeMu.Lock()
	defer ix.closeMu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	close(ix.stop)
	ix.looping.Wait()
	var first error
	if set := ix.set.Load(); set != nil {
		for _, bi := range set.idx {
			if err := bi.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	if ix.lock != nil {
		ix.lock.Close()
	}
	return first
}

// Dir is the index directory.
func (ix *Index) Dir() string { return ix.dir }

// State returns what the index holds.
func (ix *Index) State() State {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.state
	st.Docs = map[string]uint64{}
	for k, v := range ix.state.Docs {
		st.Docs[k] = v
	}
	return st
}

// Progress returns the progress of the running update, if any.
func (ix *Index) Progress() Progress {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.progress
}

func (ix *Index) generation() uint64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.gen
}

func (ix *Index) countDocs() error {
	docs := map[string]uint64{}
	for _, l := range Langs {
		bi := ix.bi(l, typeDoc)
		if bi == nil {
			continue
		}
		n, err := bi.DocCount()
		if err != nil {
			return err
		}
		docs[l] = n
	}
	ix.mu.Lock()
	ix.state.Docs = docs
	ix.mu.Unlock()
	return nil
}

func readState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

func writeState(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Opener opens the archive read-only; the index closes it after each chunk.
type Opener func() (*store.DB, error)

// chunkSize is how many documents one update reads per opening of the
// archive and indexes per batch. A batch's analysed text (terms and their
// positions) is most of a build's live heap, which serve's soft memory
// limit keeps the collector close to: 150 rather than 300 documents made
// the 80,000-document build 377 rather than 311 documents per CPU-second.
const chunkSize = 150

type ref struct {
	lang string
	id   int64
	seq  uint64
}

// Update indexes every document the archive changed since the index's
// sequence number, in change order, a chunk per opening of the archive;
// the index's sequence number advances after each chunk, so an
// interrupted update resumes where it stopped. It returns how many
// documents it indexed. An error from open (the archive is locked by a
// crawl, say) stops the update; what was indexed stays.
func (ix *Index) Update(ctx context.Context, open Opener) (int, error) {
	ix.upd.Lock()
	defer ix.upd.Unlock()
	since := ix.State().Seq
	db, err := open()
	if err != nil {
		return 0, err
	}
	hw, err := db.HighWater()
	if err != nil || hw <= since {
		db.Close()
		if err == nil && !ix.State().Complete {
			err = ix.finish(hw)
		}
		return 0, err
	}
	var todo []ref
	err = db.ScanDocs(func(d *store.Doc) error {
		if d.Versions > 0 && d.Seq > since {
			todo = append(todo, ref{d.Lang, d.ID, d.Seq})
		}
		return nil
	})
	db.Close()
	if err != nil {
		return 0, err
	}
	slices.SortFunc(todo, func(a, b ref) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	fresh := since == 0 && ix.State().Docs["en"]+ix.State().Docs["ru"] == 0
	if ix.set.Load() == nil {
		common := ix.commonTerms
		var sampled map[string]int
		if common == nil {
			if common, sampled, err = commonTerms(open, todo); err != nil {
				return 0, err
			}
		}
		if err := ix.create(common); err != nil {
			return 0, err
		}
		ix.log.Info("index created", "dir", ix.dir, "common_terms_en", len(common["en"]), "common_terms_ru", len(common["ru"]))
		fresh = true
		ix.mu.Lock()
		ix.state.CommonSample = sampled
		ix.mu.Unlock()
	}
	defer ix.hintReindex()
	ix.mu.Lock()
	ix.progress = Progress{Running: true, Total: len(todo), Started: time.Now()}
	ix.mu.Unlock()
	defer func() {
		ix.mu.Lock()
		ix.progress.Running = false
		ix.mu.Unlock()
	}()
	// Read the next chunk from the archive while this one is indexed.
	type read struct {
		chunk []ref
		items []item
		err   error
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reads := make(chan read, 1)
	go func() {
		defer close(reads)
		for rest := todo; len(rest) > 0; {
			n := min(chunkSize, len(rest))
			items, err := readChunk(open, rest[:n], ix.resolve)
			select {
			case reads <- read{rest[:n], items, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
			rest = rest[n:]
		}
	}()
	done := 0
	var pending []*written // chunks indexed, oldest first, not yet known to be on disk
	// persisted records the sequence number of the chunks the persister
	// wrote (all, when wait is set) in state.json.
	persisted := func(wait bool) error {
		n := 0
		var seq uint64
		for _, w := range pending {
			err, ok := w.wait(wait)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			n++
			seq = w.seq
		}
		if n == 0 {
			return nil
		}
		pending = pending[n:]
		if err := ix.labels.save(filepath.Join(ix.dir, "labels.json")); err != nil {
			return err
		}
		ix.mu.Lock()
		ix.state.Seq = seq
		ix.state.UpdatedAt = time.Now().UTC()
		st := ix.state
		ix.mu.Unlock()
		return writeState(filepath.Join(ix.dir, "state.json"), &st)
	}
	// Whatever stops the update, what the persister wrote is recorded.
	for rd := range reads {
		if err := ctx.Err(); err != nil {
			return done, errors.Join(err, persisted(true))
		}
		if rd.err != nil {
			return done, errors.Join(rd.err, persisted(true))
		}
		chunk := rd.chunk
		w := newWritten(chunk[len(chunk)-1].seq)
		if err := ix.indexItems(rd.items, fresh, w); err != nil {
			return done, err
		}
		pending = append(pending, w)
		done += len(chunk)
		ix.mu.Lock()
		ix.progress.Done = done
		ix.gen++
		ix.mu.Unlock()
		if err := persisted(false); err != nil {
			return done, err
		}
		if err := ix.countDocs(); err != nil {
			return done, err
		}
	}
	if err := ctx.Err(); err != nil {
		return done, errors.Join(err, persisted(true))
	}
	if err := persisted(true); err != nil {
		return done, err
	}
	return done, ix.finish(hw)
}

// written follows the batches of one chunk to disk: the persister calls
// back once per batch when it has written it.
type written struct {
	seq     uint64       // the chunk's last sequence number
	batches atomic.Int32 // batches of the chunk
	errs    chan error   // one per batch written
	got     int32
}

func newWritten(seq uint64) *written {
	return &written{seq: seq, errs: make(chan error, len(Langs)*len(types))}
}

// track makes b report to w when it is on disk.
func (w *written) track(b *bleve.Batch) {
	w.batches.Add(1)
	b.SetPersistedCallback(func(err error) { w.errs <- err })
}

// persistWait is how long an update waits for the persister to report
// its last batches written, even when its context ends (a server being
// stopped): what is not reported is indexed again by the next update.
const persistWait = 30 * time.Second

// wait reports whether every batch of the chunk is on disk, waiting for
// them (at most persistWait) when block is set.
func (w *written) wait(block bool) (error, bool) {
	var timeout <-chan time.Time
	if block {
		timeout = time.After(persistWait)
	}
	for w.got < w.batches.Load() {
		var err error
		if block {
			select {
			case err = <-w.errs:
			case <-timeout:
				return nil, false
			}
		} else {
			select {
			case err = <-w.errs:
			default:
				return nil, false
			}
		}
		w.got++
		if err != nil {
			return fmt.Errorf("index: writing to disk: %w", err), false
		}
	}
	return nil, true
}

// hintReindex says, once, when the common terms were found in too few
// documents for the archive the index now holds.
func (ix *Index) hintReindex() {
	st := ix.State()
	if ix.hinted || st.CommonSample == nil {
		return
	}
	for _, l := range Langs {
		if st.CommonSample[l] < minCommonSample && st.Docs[l] >= 10*minCommonSample {
			ix.hinted = true
			ix.log.Info("the index was first built from a small archive: `kremlin-archive serve --reindex` makes phrase searches faster",
				"lang", l, "documents_then", st.CommonSample[l], "documents_now", st.Docs[l])
			return
		}
	}
}

// finish records that every change up to hw is indexed.
func (ix *Index) finish(hw uint64) error {
	ix.mu.Lock()
	if hw > ix.state.Seq {
		ix.state.Seq = hw
	}
	if !ix.state.Complete {
		ix.state.Complete = true
		ix.state.BuiltAt = time.Now().UTC()
	}
	ix.state.UpdatedAt = time.Now().UTC()
	ix.gen++
	st := ix.state
	ix.mu.Unlock()
	return writeState(filepath.Join(ix.dir, "state.json"), &st)
}

type item struct {
	d *store.Doc
	r *record.Record
}

// readChunk reads the documents of chunk from the archive, in one opening.
func readChunk(open Opener, chunk []ref, resolve Resolver) ([]item, error) {
	db, err := open()
	if err != nil {
		return nil, err
	}
	complete := func(*record.Record) error { return nil }
	if resolve != nil {
		if complete, err = resolve(db); err != nil {
			db.Close()
			return nil, err
		}
	}
	var items []item
	for _, c := range chunk {
		d, err := db.Doc(c.lang, c.id)
		if err != nil {
			db.Close()
			return nil, err
		}
		if d == nil || d.Versions == 0 {
			continue
		}
		r, err := db.Record(c.lang, c.id, d.Versions)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("index %s: %w", DocKey(c.lang, c.id), err)
		}
		r.Version = d.Versions
		if err := complete(r); err != nil {
			db.Close()
			return nil, err
		}
		r.Normalize()
		items = append(items, item{d, r})
	}
	return items, db.Close()
}

// indexItems indexes documents, one batch per language (both at once).
func (ix *Index) indexItems(items []item, fresh bool, w *written) error {
	var wg sync.WaitGroup
	errs := make([]error, len(Langs))
	for li, l := range Langs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[li] = ix.indexLang(l, items, fresh, w)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (ix *Index) indexLang(l string, items []item, fresh bool, w *written) error {
	docs, turns := ix.bi(l, typeDoc), ix.bi(l, typeTurn)
	db, tb := docs.NewBatch(), turns.NewBatch()
	for _, it := range items {
		if it.r.Lang != l {
			continue
		}
		doc, ts, err := entries(it.d, it.r, &ix.labels)
		if err != nil {
			return err
		}
		if !fresh {
			if err := staleTurns(docs, tb, it.r, len(ts)); err != nil {
				return err
			}
		}
		if err := db.Index(doc.id, doc.fields); err != nil {
			return err
		}
		for _, e := range ts {
			if err := tb.Index(e.id, e.fields); err != nil {
				return err
			}
		}
	}
	// Both at once: each batch builds its segment on one core.
	var wg sync.WaitGroup
	var errs [2]error
	for i, x := range []struct {
		bi bleve.Index
		b  *bleve.Batch
	}{{turns, tb}, {docs, db}} {
		if x.b.Size() == 0 {
			continue
		}
		w.track(x.b)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = x.bi.Batch(x.b)
		}()
	}
	wg.Wait()
	return errors.Join(errs[:]...)
}

// staleTurns deletes (in b, a batch of the turn index) the turn entries
// of the indexed version of r beyond its n turns.
func staleTurns(docs bleve.Index, b *bleve.Batch, r *record.Record, n int) error {
	doc, err := docs.Document(DocKey(r.Lang, r.ID))
	if err != nil || doc == nil {
		return err
	}
	old := 0
	doc.VisitFields(func(f index.Field) {
		if f.Name() == fTurns {
			if nf, ok := f.(index.NumericField); ok {
				if v, err := nf.Number(); err == nil {
					old = int(v)
				}
			}
		}
	})
	for i := n; i < old; i++ {
		b.Delete(turnKey(r.Lang, r.ID, i))
	}
	return nil
}
