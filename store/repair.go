package store

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Repair: what verify finds, set right from what is sound.
//
// The sources are the stored versions (each pack entry carries its
// document's language and ID, its record and its page, and the page's
// SHA-256 in the record); everything else about a document is derived
// from them or is the crawl's own memory. Repair therefore
//
//   - drops every version that is damaged (a pack or staged entry that
//     does not decode, whose record names another document or whose page
//     does not match its digest); the good versions of a pack that held a
//     damaged one are staged again (a pack's entries are compressed
//     together, so one is not removed alone) and the damaged pack goes;
//   - keeps every good version: a version no bookkeeping names is given
//     back to its document;
//   - rebuilds a document's bookkeeping that is damaged (checksum, decode,
//     or a copy of a record field that differs from the record) from its
//     versions;
//   - puts every document that lost something back in the frontier, so
//     the next crawl or backfill fetches it again (and, for one whose
//     bookkeeping was rebuilt, learns its listings and update date anew);
//   - drops frontier, listing, host and run entries that are damaged
//     (a frontier entry of a known document is made anew; a listing whose
//     walk state is lost is walked again from its start; a host's robots.txt
//     is read again), and the analysis table (rebuilt by reparse);
//   - sets the change and pack counters above what they count, and gives
//     every value its checksum.
//
// It runs in one transaction: killed at any moment, the archive is as it
// was, and running repair again starts over.

// RepairAction is one thing repair did.
type RepairAction struct {
	Lang string `json:"lang,omitempty"`
	ID   int64  `json:"id,omitempty"`
	URL  string `json:"url,omitempty"`
	// What: dropped-version, recovered-version, rebuilt-bookkeeping,
	// removed-document, refetch, dropped-entry, restaged, counter.
	What string `json:"action"`
	Msg  string `json:"detail"`
}

func (a RepairAction) String() string {
	if a.ID != 0 {
		doc := fmt.Sprintf("%s/%d", a.Lang, a.ID)
		if a.URL != "" {
			doc += " (" + a.URL + ")"
		}
		return fmt.Sprintf("%s: %s: %s", doc, a.What, a.Msg)
	}
	return fmt.Sprintf("%s: %s", a.What, a.Msg)
}

// RepairStats counts what Repair did.
type RepairStats struct {
	Documents        int  `json:"documents"`         // documents in the archive after repair
	DroppedVersions  int  `json:"dropped_versions"`  // damaged versions removed
	KeptVersions     int  `json:"kept_versions"`     // versions kept
	Recovered        int  `json:"recovered"`         // good versions no bookkeeping named, given back
	Rebuilt          int  `json:"rebuilt"`           // bookkeeping entries rebuilt from the records
	Removed          int  `json:"removed"`           // documents left with no good version
	Refetch          int  `json:"refetch"`           // documents put back in the frontier
	DroppedEntries   int  `json:"dropped_entries"`   // damaged frontier, listing, host, run and analysis entries
	Restaged         int  `json:"restaged"`          // good versions moved out of a damaged pack
	AnalysisDropped  bool `json:"analysis_dropped"`  // the analysis table was dropped (run reparse)
	NothingToRepair  bool `json:"nothing_to_repair"` // the archive was consistent
	CountersSet      int  `json:"counters_set"`      // meta counters set right
	PageCheckProblem int  `json:"-"`
}

// ErrPagesDamaged means bbolt's own page check fails: the file's
// structure, not its contents, is damaged, and repair cannot write to it.
var ErrPagesDamaged = errors.New("the archive file's own pages are damaged")

// repEntry is one stored version as found in the packs.
type repEntry struct {
	at      loc
	lang    string
	id      int64
	rec     *record.Record
	bodyLen int
	bad     string // why it is dropped ("" = good)
}

// Repair repairs the archive (a writer's handle) and reports each action.
func (db *DB) Repair(report func(RepairAction)) (*RepairStats, error) {
	if db.opts.ReadOnly {
		return nil, fmt.Errorf("%w: repair needs the archive open for writing", ErrBadInput)
	}
	var salvaged []RepairAction
	lostUnknown := false // entries lost that no document's entry names
	if db.pagesDamaged != nil {
		acts, err := db.salvage()
		if err != nil {
			return nil, fmt.Errorf("%w (salvaging: %v)", db.pagesDamaged, err)
		}
		salvaged = acts
		for _, a := range acts {
			lostUnknown = lostUnknown || strings.Contains(a.Msg, "could not be read")
		}
		if err := db.CheckPages(); err != nil {
			return nil, fmt.Errorf("after salvaging: %w", err)
		}
		db.pagesDamaged = nil
		if err := db.ready(); err != nil {
			return nil, err
		}
	}
	if db.schema == 1 {
		return nil, fmt.Errorf("%w: the archive is still being migrated from schema 1; run a crawl first", ErrBadInput)
	}
	st := &RepairStats{}
	var actions []RepairAction
	err := db.update(func(tx *bolt.Tx) error {
		actions = actions[:0]
		*st = RepairStats{}
		var err error
		actions, err = db.repair(tx, st, lostUnknown)
		return err
	})
	if err != nil {
		return st, err
	}
	actions = append(salvaged, actions...)
	for _, a := range actions {
		report(a)
	}
	st.NothingToRepair = len(actions) == 0
	db.cache.reset()
	// Seal what the restaging filled.
	for _, lang := range langs {
		if err := db.sealFull(lang); err != nil {
			return st, err
		}
	}
	return st, nil
}

// CheckPages checks the file's own structure, as writers do before they
// write: the file is as long as its pages say (a truncated copy is not),
// every page of every bucket's tree can be read (a damaged page faults
// under recovery here, never in a goroutine of bbolt's), and then bbolt's
// own page check (tx.Check: every page reachable once, none both used and
// free, keys in order). It reads the page headers and keys, not the
// values (about 0.1 s on an 80,000-document archive of 155 MB; see the
// README). It returns ErrPagesDamaged with the first problems.
func (db *DB) CheckPages() error {
	var problems []string
	err := db.safeView(func(tx *bolt.Tx) error {
		if fi, err := os.Stat(db.path); err == nil && fi.Size() < tx.Size() {
			problems = append(problems, fmt.Sprintf("the file is cut short: %d bytes, its pages need %d", fi.Size(), tx.Size()))
			return nil
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			b.Stats() // walks every page of the bucket's tree
			return nil
		})
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		err = db.view(func(tx *bolt.Tx) error {
			for cerr := range tx.Check() {
				if len(problems) < 5 {
					problems = append(problems, cerr.Error())
				}
			}
			// The check read every page header through the map: let
			// them go (released pages are read again from the file).
			dropMapped(tx.DB().Info().Data, tx.Size())
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w: %s", db.path, ErrPagesDamaged, strings.Join(problems, "; "))
	}
	return nil
}

func (db *DB) repair(tx *bolt.Tx, st *RepairStats, lostUnknown bool) ([]RepairAction, error) {
	var acts []RepairAction
	act := func(a RepairAction) { acts = append(acts, a) }
	urlOf := map[docRef]string{}
	docAct := func(lang string, id int64, what, msg string) {
		act(RepairAction{Lang: lang, ID: id, What: what, Msg: msg})
	}

	// 1. Every stored version, checked.
	entries := map[loc]*repEntry{}
	byDoc := map[docRef][]*repEntry{}
	damagedPacks := map[uint64]bool{} // sealed packs with a damaged entry (or that do not decode)
	addEntry := func(l loc, e packEntry, pc *packContent, i int) {
		re := &repEntry{at: l, lang: e.lang, id: e.id, bodyLen: e.bodyLen}
		x := checkEntries1(pc, i)
		switch {
		case validLang(e.lang) != nil || e.id <= 0:
			re.bad = fmt.Sprintf("names no document (%q/%d)", e.lang, e.id)
		case x.recErr != nil:
			re.bad = "its record does not decode: " + x.recErr.Error()
		case x.rec.ID != e.id || x.rec.Lang != e.lang:
			re.bad = fmt.Sprintf("its record names %s/%d", x.rec.Lang, x.rec.ID)
		case x.headErr != nil:
			re.bad = "its page's head: " + x.headErr.Error()
		case x.rec.RawSHA256 != "" && x.rec.RawSHA256 != x.bodySHA:
			re.bad = fmt.Sprintf("its page's digest %s is not the recorded %s", x.bodySHA, x.rec.RawSHA256)
		}
		re.rec = x.rec
		entries[l] = re
		if re.bad == "" {
			r := docRef{e.lang, e.id}
			byDoc[r] = append(byDoc[r], re)
			if urlOf[r] == "" {
				urlOf[r] = x.rec.SourceURL
			}
		}
	}
	packs, stage := tx.Bucket(bPacks), tx.Bucket(bStage)
	var badPackKeys [][]byte
	if err := packs.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			badPackKeys = append(badPackKeys, bytes.Clone(k))
			return nil
		}
		id := binary.BigEndian.Uint64(k)
		db.touch(tx, len(v)+costScanned)
		pc, err := db.codec.decodePack(v, true)
		if err != nil {
			damagedPacks[id] = true
			lay, lerr := parsePackBlob(v)
			if lerr != nil {
				act(RepairAction{What: "dropped-pack", Msg: fmt.Sprintf("pack %d does not decode (%v); the versions it held are named below as missing", id, err)})
				lostUnknown = true
				return nil
			}
			for i, e := range lay.entries {
				entries[loc{id, i}] = &repEntry{at: loc{id, i}, lang: e.lang, id: e.id, bad: fmt.Sprintf("pack %d does not decode: %v", id, err)}
			}
			return nil
		}
		for i, e := range pc.entries {
			addEntry(loc{id, i}, e, pc, i)
			if entries[loc{id, i}].bad != "" {
				damagedPacks[id] = true
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, k := range badPackKeys {
		act(RepairAction{What: "dropped-entry", Msg: fmt.Sprintf("pack with a bad key %q", k)})
		if err := packs.Delete(k); err != nil {
			return nil, err
		}
	}
	// Staged entries: an open pack with a damaged or missing entry, or
	// entries of no open pack, is dismantled and its good entries staged
	// again.
	open := map[uint64]openPack{}
	openLang := map[uint64]string{}
	for _, lang := range langs {
		if op, ok := getOpenPack(tx, lang); ok {
			open[op.id], openLang[op.id] = op, lang
		} else if tx.Bucket(bMeta).Get(openPackKey(lang)) != nil {
			act(RepairAction{What: "dropped-entry", Msg: "the state of the open pack of " + lang + " does not decode"})
			if err := tx.Bucket(bMeta).Delete(openPackKey(lang)); err != nil {
				return nil, err
			}
		}
	}
	stagedOf := map[uint64][]loc{}
	damagedStage := map[uint64]bool{}
	var badStageKeys [][]byte
	if err := stage.ForEach(func(k, v []byte) error {
		if len(k) != 10 {
			badStageKeys = append(badStageKeys, bytes.Clone(k))
			return nil
		}
		l := loc{pack: binary.BigEndian.Uint64(k), slot: int(binary.BigEndian.Uint16(k[8:]))}
		stagedOf[l.pack] = append(stagedOf[l.pack], l)
		db.touch(tx, len(v)+costScanned)
		pc, err := db.codec.decodePack(v, true)
		if err == nil && len(pc.entries) != 1 {
			err = fmt.Errorf("%w: %d entries", ErrCorrupt, len(pc.entries))
		}
		if err != nil {
			damagedStage[l.pack] = true
			re := &repEntry{at: l, bad: "staged entry does not decode: " + err.Error()}
			if lay, lerr := parsePackBlob(v); lerr == nil && len(lay.entries) == 1 {
				re.lang, re.id = lay.entries[0].lang, lay.entries[0].id
			}
			entries[l] = re
			return nil
		}
		addEntry(l, pc.entries[0], pc, 0)
		if entries[l].bad != "" {
			damagedStage[l.pack] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, k := range badStageKeys {
		act(RepairAction{What: "dropped-entry", Msg: fmt.Sprintf("staged entry with a bad key %q", k)})
		if err := stage.Delete(k); err != nil {
			return nil, err
		}
	}
	for id, ls := range stagedOf {
		op, ok := open[id]
		if !ok || len(ls) != op.n {
			damagedStage[id] = true
			continue
		}
		for i, l := range ls {
			if l.slot != i {
				damagedStage[id] = true
			}
		}
	}
	for id, op := range open {
		if len(stagedOf[id]) != op.n {
			damagedStage[id] = true
		}
	}

	// 2. The bookkeeping.
	sums := hasSums(tx)
	docs := tx.Bucket(bDocs)
	type docState struct {
		d       *Doc
		damaged string // why the bookkeeping is rebuilt
		lost    []string
		reseq   bool // its change number is another's, or none
	}
	seqs := map[uint64]bool{}
	state := map[docRef]*docState{}
	named := map[loc]docRef{}
	var badDocKeys [][]byte
	if err := docs.ForEach(func(k, v []byte) error {
		lang, id, ok := parseDocKey(k)
		if !ok || len(k) != 10 || validLang(lang) != nil || id <= 0 {
			badDocKeys = append(badDocKeys, bytes.Clone(k))
			return nil
		}
		r := docRef{lang, id}
		ds := &docState{}
		state[r] = ds
		d, err := decodeDoc(lang, id, v)
		switch {
		case err != nil:
			ds.damaged = "its bookkeeping does not decode: " + err.Error()
			return nil
		case d.schema1:
			ds.damaged = "its bookkeeping is in the schema-1 layout"
			return nil
		}
		if _, present, _ := docSum(k, v); sums && !present {
			ds.damaged = "its bookkeeping has lost its checksum"
			return nil
		}
		if len(d.locs) != d.Versions {
			ds.damaged = fmt.Sprintf("its bookkeeping names %d versions but %d locations", d.Versions, len(d.locs))
			return nil
		}
		ds.d = d
		if d.Seq == 0 || seqs[d.Seq] {
			ds.reseq = true
		}
		seqs[d.Seq] = true
		if d.SourceURL != "" {
			urlOf[r] = d.SourceURL
		}
		return nil
	}); err != nil {
		return nil, err
	}
	lostUnknown = lostUnknown || len(badDocKeys) > 0 || len(badPackKeys) > 0 || len(badStageKeys) > 0
	for _, k := range badDocKeys {
		act(RepairAction{What: "dropped-entry", Msg: "document bookkeeping under " + badKey(k)})
		if err := docs.Delete(k); err != nil {
			return nil, err
		}
	}
	// The versions of each document: its bookkeeping's, where sound;
	// every good version of it in any case.
	final := map[docRef][]*repEntry{}
	for r, ds := range state {
		if ds.d == nil {
			continue
		}
		for i, l := range ds.d.locs {
			e := entries[l]
			switch {
			case e == nil:
				ds.lost = append(ds.lost, fmt.Sprintf("version %d is missing (pack %d entry %d)", i+1, l.pack, l.slot))
			case e.bad != "":
				ds.lost = append(ds.lost, fmt.Sprintf("version %d: %s", i+1, e.bad))
			case e.lang != r.lang || e.id != r.id:
				ds.lost = append(ds.lost, fmt.Sprintf("version %d: its location holds %s/%d", i+1, e.lang, e.id))
			case named[l] != (docRef{}):
				ds.lost = append(ds.lost, fmt.Sprintf("version %d: its location is also that of another version", i+1))
			default:
				named[l] = r
				final[r] = append(final[r], e)
			}
		}
	}
	for _, e := range entries {
		if e.bad != "" || named[e.at] != (docRef{}) {
			continue
		}
		r := docRef{e.lang, e.id}
		if ds := state[r]; ds == nil {
			state[r] = &docState{damaged: "it had no bookkeeping"}
		} else if ds.d != nil {
			// A good version its sound bookkeeping does not name.
			st.Recovered++
			docAct(r.lang, r.id, "recovered-version", fmt.Sprintf("a good version no bookkeeping named (pack %d entry %d) is kept", e.at.pack, e.at.slot))
			ds.damaged = "a version was not in its bookkeeping"
		}
	}
	// Damaged bookkeeping: every good version, in capture order.
	for r, ds := range state {
		if ds.damaged == "" {
			continue
		}
		vs := slices.Clone(byDoc[r])
		slices.SortStableFunc(vs, func(a, b *repEntry) int {
			ta, _ := capturedAt(a.rec)
			tb, _ := capturedAt(b.rec)
			if c := ta.Compare(tb); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(a.at.pack, b.at.pack), cmp.Compare(a.at.slot, b.at.slot))
		})
		final[r] = vs
	}
	// Versions the bookkeeping names in a pack that is to go.
	for _, e := range entries {
		if e.bad != "" {
			st.DroppedVersions++
			if named[e.at] == (docRef{}) && e.id > 0 && state[docRef{e.lang, e.id}] == nil {
				docAct(e.lang, e.id, "dropped-version", e.bad)
			}
		}
	}

	// 3. Restage the good versions of damaged packs and open packs.
	moved := map[loc]loc{}
	restage := func(from loc, e *repEntry, pc *packContent, i int) error {
		sb, err := db.stagedEntry(e.lang, e.id, bytes.Clone(pc.record(i)), bytes.Clone(pc.head(i)), bytes.Clone(pc.body(i)))
		if err != nil {
			return err
		}
		nl, err := db.stage(tx, e.lang, sb, pc.entries[i].size())
		if err != nil {
			return err
		}
		moved[from] = nl
		st.Restaged++
		if op, ok := getOpenPack(tx, e.lang); ok && db.packFull(op) {
			return db.seal(tx, e.lang, op)
		}
		return nil
	}
	// First dismantle the damaged open packs (their good entries read
	// before their keys go), then the sealed packs.
	type blobOf struct {
		l    loc
		blob []byte
	}
	var keep []blobOf
	for _, id := range sortedKeys(damagedStage) {
		for _, l := range stagedOf[id] {
			if v := stage.Get(stageKey(l.pack, l.slot)); v != nil {
				keep = append(keep, blobOf{l, bytes.Clone(v)})
			}
		}
		for _, l := range stagedOf[id] {
			if err := stage.Delete(stageKey(l.pack, l.slot)); err != nil {
				return nil, err
			}
		}
		if lang, ok := openLang[id]; ok {
			if err := tx.Bucket(bMeta).Delete(openPackKey(lang)); err != nil {
				return nil, err
			}
		}
		act(RepairAction{What: "restaged", Msg: fmt.Sprintf("the open pack %d held damaged or misplaced entries: its good versions are staged again", id)})
	}
	for _, b := range keep {
		e := entries[b.l]
		if e == nil || e.bad != "" {
			continue
		}
		pc, err := db.codec.decodePack(b.blob, true)
		if err != nil {
			return nil, err
		}
		if err := restage(b.l, e, pc, 0); err != nil {
			return nil, err
		}
	}
	for _, id := range sortedKeys(damagedPacks) {
		blob := packs.Get(packKey(id))
		if blob == nil {
			continue
		}
		if pc, err := db.codec.decodePack(bytes.Clone(blob), true); err == nil {
			for i := range pc.entries {
				l := loc{id, i}
				if e := entries[l]; e != nil && e.bad == "" {
					if err := restage(l, e, pc, i); err != nil {
						return nil, fmt.Errorf("restage pack %d entry %d: %w", id, i, err)
					}
				}
			}
		}
		if err := packs.Delete(packKey(id)); err != nil {
			return nil, err
		}
		act(RepairAction{What: "restaged", Msg: fmt.Sprintf("pack %d held damaged versions: removed, its good versions staged again", id)})
	}

	// 4. Write the bookkeeping of every document that changed.
	pend := tx.Bucket(bPending)
	m := tx.Bucket(bMeta)
	var refetch []docRef
	for r, ds := range state {
		vs := final[r]
		changed := ds.damaged != "" || len(ds.lost) > 0 || ds.reseq
		movedOnly := !changed
		if ds.reseq {
			docAct(r.lang, r.id, "counter", "its change number was another document's: given a new one")
		}
		for _, e := range vs {
			if _, ok := moved[e.at]; ok {
				changed = true
			}
		}
		var d *Doc
		if ds.damaged == "" && ds.d != nil {
			d = ds.d
			if len(vs) > 0 {
				cur := vs[len(vs)-1]
				if ms := docMismatches(d, cur.rec, cur.bodyLen); len(ms) > 0 || d.RawSHA256 != cur.rec.RawSHA256 {
					ds.damaged = "its bookkeeping differs from its record: " + strings.Join(ms, "; ")
					changed, movedOnly = true, false
				}
			}
		}
		for _, msg := range ds.lost {
			docAct(r.lang, r.id, "dropped-version", msg)
		}
		if !changed {
			st.KeptVersions += len(vs)
			continue
		}
		if len(vs) == 0 {
			if err := docs.Delete(docKey(r.lang, r.id)); err != nil {
				return nil, err
			}
			st.Removed++
			docAct(r.lang, r.id, "removed-document", "no good version is left; "+cmp.Or(ds.damaged, "its versions were damaged"))
		} else {
			if d == nil || ds.damaged != "" {
				d = rebuildDoc(r, vs, ds.d)
				st.Rebuilt++
				docAct(r.lang, r.id, "rebuilt-bookkeeping", fmt.Sprintf("%s; rebuilt from its %d good version(s)", ds.damaged, len(vs)))
			}
			d.locs = d.locs[:0]
			for _, e := range vs {
				l := e.at
				if nl, ok := moved[l]; ok {
					l = nl
				}
				d.locs = append(d.locs, l)
			}
			d.Versions = len(d.locs)
			setCurrent(d, vs[len(vs)-1])
			if !movedOnly {
				// A new change number: the next `export --since` carries it.
				if err := bumpSeq(tx, d); err != nil {
					return nil, err
				}
			}
			if err := putDoc(tx, d); err != nil {
				return nil, err
			}
			st.KeptVersions += len(vs)
		}
		if len(ds.lost) > 0 || ds.damaged != "" || len(vs) == 0 {
			refetch = append(refetch, r)
		}
	}
	// 5. The frontier and the other JSON buckets.
	pendURL := map[docRef]string{}
	var dropped [][]byte
	if err := pend.ForEach(func(k, v []byte) error {
		lang, id, ok := parseDocKey(k)
		var p Pending
		switch {
		case !ok || len(k) != 10 || validLang(lang) != nil || id <= 0:
			act(RepairAction{What: "dropped-entry", Msg: "frontier entry under " + badKey(k)})
		case json.Unmarshal(v, &p) != nil:
			docAct(lang, id, "dropped-entry", "its frontier entry does not decode")
			refetch = append(refetch, docRef{lang, id})
		case sumProblem(sums, k, v) != "" || p.Lang != lang || p.ID != id:
			docAct(lang, id, "dropped-entry", "its frontier entry was changed after it was written; made anew")
			refetch = append(refetch, docRef{lang, id})
		default:
			pendURL[docRef{lang, id}] = p.URL
			return nil
		}
		dropped = append(dropped, bytes.Clone(k))
		return nil
	}); err != nil {
		return nil, err
	}
	for _, k := range dropped {
		st.DroppedEntries++
		if err := pend.Delete(k); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC()
	seen := map[docRef]bool{}
	for _, r := range refetch {
		if seen[r] {
			continue
		}
		seen[r] = true
		key := docKey(r.lang, r.id)
		if _, ok := pendURL[r]; ok {
			// Already pending: due at once.
			var p Pending
			if _, err := getJSON(pend, key, &p); err == nil {
				p.NextTry, p.Reason = time.Time{}, cmp.Or(p.Reason, "updated")
				if err := putJSON(pend, key, &p); err != nil {
					return nil, err
				}
			}
		} else {
			p := Pending{Lang: r.lang, ID: r.id, URL: docPath(urlOf[r]), Reason: "updated", DiscoveredAt: now}
			if p.URL == "" {
				// Its address is lost with it: the listings say it.
				lostUnknown = true
			}
			if docs.Get(key) == nil {
				p.Reason = "new"
			}
			if d, _, _ := getDoc(tx, r.lang, r.id); d != nil {
				p.ListedIn = d.ListedIn
			} else if s := sectionOf(urlOf[r]); s != "" {
				p.ListedIn = []string{s}
			}
			if err := putJSON(pend, key, &p); err != nil {
				return nil, err
			}
		}
		st.Refetch++
		docAct(r.lang, r.id, "refetch", "put back in the frontier: the next crawl or backfill fetches it again")
	}
	for _, b := range stateBuckets {
		what := b.what
		if b.cost != "" {
			what += " (" + b.cost + ")"
		}
		bk := tx.Bucket(b.name)
		var bad [][]byte
		bk.ForEach(func(k, v []byte) error {
			if b.decode(v) != nil || sumProblem(sums, k, v) != "" {
				bad = append(bad, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range bad {
			act(RepairAction{What: "dropped-entry", Msg: fmt.Sprintf("damaged %s %s", what, b.entry(k))})
			st.DroppedEntries++
			if err := bk.Delete(k); err != nil {
				return nil, err
			}
		}
	}
	if bk := tx.Bucket(bAnalysis); bk != nil {
		var bad [][]byte
		bk.ForEach(func(k, v []byte) error {
			if sumProblem(sums, k, v) != "" {
				bad = append(bad, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range bad {
			act(RepairAction{What: "dropped-entry", Msg: fmt.Sprintf("damaged analysis table %q (rebuilt from the records)", k)})
			st.DroppedEntries++
			st.AnalysisDropped = true
			if err := bk.Delete(k); err != nil {
				return nil, err
			}
		}
	}

	// Documents lost with entries that named no document (a stretch of
	// the file that could not be read, a pack whose header is damaged):
	// the next crawl walks every listing in full and fetches what the
	// archive lacks.
	if lostUnknown {
		sec := tx.Bucket(bSections)
		type kvp struct {
			k  []byte
			st SectionState
		}
		var walks []kvp
		sec.ForEach(func(k, v []byte) error {
			var x SectionState
			if json.Unmarshal(v, &x) == nil {
				walks = append(walks, kvp{bytes.Clone(k), x})
			}
			return nil
		})
		for _, w := range walks {
			if !w.st.Complete && w.st.Cursor != nil && w.st.Cursor.Done == 0 {
				continue
			}
			w.st.Complete, w.st.Cursor, w.st.Head = false, nil, nil
			if err := putJSON(sec, w.k, &w.st); err != nil {
				return nil, err
			}
			act(RepairAction{What: "walk-again", Msg: fmt.Sprintf("listing %s: the next crawl walks it in full and fetches the documents lost with entries that named none", w.k)})
		}
	}

	// 6. Counters above what they count; checksums everywhere.
	var maxSeq uint64
	docs.ForEach(func(k, v []byte) error {
		if lang, id, ok := parseDocKey(k); ok {
			if d, err := decodeDoc(lang, id, v); err == nil && d.Seq > maxSeq {
				maxSeq = d.Seq
			}
		}
		return nil
	})
	if v := m.Get(kSeq); len(v) != 8 || binary.BigEndian.Uint64(v) < maxSeq {
		act(RepairAction{What: "counter", Msg: fmt.Sprintf("change high-water mark set to %d", maxSeq)})
		st.CountersSet++
		if err := m.Put(kSeq, u64(maxSeq)); err != nil {
			return nil, err
		}
	}
	var maxPack uint64
	if k, _ := packs.Cursor().Last(); len(k) == 8 {
		maxPack = binary.BigEndian.Uint64(k)
	}
	for _, lang := range langs {
		if op, ok := getOpenPack(tx, lang); ok && op.id > maxPack {
			maxPack = op.id
		}
	}
	if k, _ := stage.Cursor().Last(); len(k) == 10 && binary.BigEndian.Uint64(k) > maxPack {
		maxPack = binary.BigEndian.Uint64(k)
	}
	if v := m.Get(kPackSeq); (v != nil || maxPack > 0) && (len(v) != 8 || binary.BigEndian.Uint64(v) < maxPack) {
		act(RepairAction{What: "counter", Msg: fmt.Sprintf("pack counter set to %d", maxPack)})
		st.CountersSet++
		if err := m.Put(kPackSeq, u64(maxPack)); err != nil {
			return nil, err
		}
	}
	if v := m.Get(kApp); string(v) != appName {
		act(RepairAction{What: "counter", Msg: "application mark set"})
		if err := m.Put(kApp, []byte(appName)); err != nil {
			return nil, err
		}
	}
	if v := m.Get(kCreated); v != nil {
		if _, err := time.Parse(time.RFC3339, string(v)); err != nil {
			act(RepairAction{What: "counter", Msg: "creation time did not parse: set to now"})
			if err := m.Put(kCreated, []byte(now.Format(time.RFC3339))); err != nil {
				return nil, err
			}
		}
	}
	if err := resealAll(tx); err != nil {
		return nil, err
	}
	if string(m.Get(kSums)) != "1" {
		if err := m.Put(kSums, []byte("1")); err != nil {
			return nil, err
		}
	}
	// Name every document by its address.
	for i := range acts {
		if acts[i].ID != 0 && acts[i].URL == "" {
			r := docRef{acts[i].Lang, acts[i].ID}
			acts[i].URL = cmp.Or(urlOf[r], pendURL[r])
		}
	}
	slices.SortStableFunc(acts, func(a, b RepairAction) int {
		return cmp.Or(cmp.Compare(a.Lang, b.Lang), cmp.Compare(a.ID, b.ID))
	})
	for r := range state {
		if docs.Get(docKey(r.lang, r.id)) != nil {
			st.Documents++
		}
	}
	return acts, nil
}

// checkEntries1 checks entry i of a decoded pack.
func checkEntries1(pc *packContent, i int) entryCheck {
	var x entryCheck
	if rec, err := slimRecord(pc.record(i)); err != nil {
		x.recErr = err
	} else {
		x.rec, x.recID, x.recLang, x.recSHA = rec, rec.ID, rec.Lang, rec.RawSHA256
	}
	_, x.headErr = parseHead(pc.head(i))
	sum := sha256.Sum256(pc.body(i))
	x.bodySHA = hex.EncodeToString(sum[:])
	return x
}

// rebuildDoc makes the bookkeeping of a document from its good versions
// (oldest first); old is what survives of the damaged bookkeeping (nil
// when it does not decode), whose own memory (listings, update marks) is
// not trusted: the refetch brings it back.
func rebuildDoc(r docRef, vs []*repEntry, old *Doc) *Doc {
	d := &Doc{Lang: r.lang, ID: r.id}
	if s := sectionOf(vs[len(vs)-1].rec.SourceURL); s != "" {
		d.ListedIn = []string{s}
	}
	for _, e := range vs {
		if t, err := time.Parse(time.RFC3339Nano, e.rec.FetchedAt); err == nil && (d.FirstFetchedAt.IsZero() || t.Before(d.FirstFetchedAt)) {
			d.FirstFetchedAt = t.UTC()
		}
		d.CheckedAt = checkedAt(d.CheckedAt, parseTime(e.rec.FetchedAt), e.rec)
		d.UpdateMark = maxDate(d.UpdateMark, datePart(e.rec.Updated))
	}
	if old != nil {
		// A sound entry (it decoded and its checksum matched) rebuilt for
		// another reason keeps the crawl's memory of the document.
		d.ListedIn = mergeSections(slices.Clone(old.ListedIn), d.ListedIn)
		d.UpdateMark = maxDate(old.UpdateMark, d.UpdateMark)
		d.StaleTries, d.StaleFor = old.StaleTries, old.StaleFor
		if !old.FirstFetchedAt.IsZero() && old.FirstFetchedAt.Before(d.FirstFetchedAt) {
			d.FirstFetchedAt = old.FirstFetchedAt
		}
	}
	return d
}

// setCurrent copies the fields of the current version into d.
func setCurrent(d *Doc, e *repEntry) {
	r := e.rec
	d.FetchedAt = parseTime(r.FetchedAt)
	d.Source, d.CapturedAt = docSource(r)
	d.SourceURL = r.SourceURL
	d.RawSHA256 = r.RawSHA256
	d.RawSize = e.bodyLen
	d.Title, d.Sections = r.Title, r.Sections
	d.Date = ""
	if r.Date != nil {
		d.Date = *r.Date
	}
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t.UTC()
}

var sectionPath = regexp.MustCompile(`/events/president/([a-z_]+)/\d+`)

// sectionOf is the listing section of a document URL ("news" of
// /events/president/news/123), or "".
func sectionOf(u string) string {
	if m := sectionPath.FindStringSubmatch(u); m != nil {
		return m[1]
	}
	return ""
}

// docPath is the path of a document URL, the frontier's form.
func docPath(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return p.EscapedPath()
	}
	return ""
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CheckEntries reads every document's index entry and every frontier,
// listing and host state entry against its checksum (without the packs:
// about 50 ms for 80,000 documents), so that a writer refuses a damaged
// archive before its first request rather than fail halfway. It returns
// ErrCorrupt naming the damaged documents.
func (db *DB) CheckEntries() error {
	var bad []string
	n := 0
	note := func(s string) {
		n++
		if len(bad) < 10 {
			bad = append(bad, s)
		}
	}
	err := db.safeView(func(tx *bolt.Tx) error {
		sums := hasSums(tx)
		docs := tx.Bucket(bDocs)
		if err := docs.ForEach(func(k, v []byte) error {
			lang, id, ok := parseDocKey(k)
			if !ok || len(k) != 10 || validLang(lang) != nil {
				note("an index entry under " + badKey(k))
				return nil
			}
			d, err := decodeDoc(lang, id, v)
			if err == nil && !d.schema1 {
				if _, present, _ := docSum(k, v); sums && !present {
					err = fmt.Errorf("its index entry has lost its checksum")
				}
			}
			if err != nil {
				note(fmt.Sprintf("%s/%d", lang, id))
			}
			return nil
		}); err != nil {
			return err
		}
		db.touch(tx, releaseEvery/2)
		for _, name := range [][]byte{bPending, bSections, bHosts} { // a damaged run ledger entry hinders no crawl
			tx.Bucket(name).ForEach(func(k, v []byte) error {
				if sumProblem(sums, k, v) == "" {
					return nil
				}
				if lang, id, ok := parseDocKey(k); ok && len(k) == 10 && validLang(lang) == nil && string(name) == string(bPending) {
					note(fmt.Sprintf("%s/%d (its frontier entry)", lang, id))
				} else {
					note(fmt.Sprintf("%s entry %q", name, badKeyText(k)))
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w: %v", db.path, ErrCorrupt, err)
	}
	if n > 0 {
		more := ""
		if n > len(bad) {
			more = fmt.Sprintf(" and %d more", n-len(bad))
		}
		return fmt.Errorf("%s: %w: %d damaged entr%s: %s%s", db.path, ErrCorrupt, n, map[bool]string{true: "y", false: "ies"}[n == 1], strings.Join(bad, ", "), more)
	}
	return nil
}

// badKeyText is a key as text (a run's number, or the text of the key).
func badKeyText(k []byte) string {
	if len(k) == 8 {
		return fmt.Sprint(binary.BigEndian.Uint64(k))
	}
	return string(k)
}
