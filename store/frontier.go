package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
)

// ListedItem is one entry of a listing page, as the crawler saw it.
type ListedItem struct {
	ID      int64
	URL     string // root-relative path or absolute URL of the item link
	Date    string // YYYY-MM-DD published
	Updated string // YYYY-MM-DD span.updated, "" when absent
}

// ListingResult says what a listing page meant for the archive.
type ListingResult struct {
	// Fetch are the page's documents to fetch now, in page order: new
	// ones, updated ones, and earlier pending ones that are due.
	Fetch []Pending
	// New and Updated count the page's items added to the frontier by
	// this call; Known counts items archived and current; Queued counts
	// items that were already pending.
	New, Updated, Known, Queued int
}

// AllKnown reports whether the page held nothing the archive lacked.
func (r *ListingResult) AllKnown() bool { return r.New == 0 && r.Updated == 0 }

// RecordListing records one listing page in one transaction: documents
// not yet archived (or archived with an older update date than the listing
// shows) join the frontier, archived ones remember the section, and the
// section's state (cursor) is saved. When the process dies after this
// commit, the frontier still holds every document of the page.
func (db *DB) RecordListing(lang, section string, items []ListedItem, now time.Time, state *SectionState, runID uint64) (*ListingResult, error) {
	if err := validLang(lang); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	res := &ListingResult{}
	err := db.update(func(tx *bolt.Tx) error {
		*res = ListingResult{}
		pend := tx.Bucket(bPending)
		runStart := runStartOf(tx, runID)
		seen := map[int64]bool{}
		for _, it := range items {
			if it.ID <= 0 || seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			db.touch(tx, 2*costLookup)
			key := docKey(lang, it.ID)
			var p Pending
			queued, err := getJSON(pend, key, &p)
			if err != nil {
				return err
			}
			if queued {
				res.Queued++
				if p.Failed() && it.URL != "" && it.URL != p.URL {
					// A failing document takes the URL of its latest
					// listing entry: an odd link seen once is not kept for good.
					p.URL = it.URL
				}
				p.ListedIn = mergeSections(p.ListedIn, []string{section})
				p.ListedUpdated = maxDate(p.ListedUpdated, it.Updated)
				if err := putJSON(pend, key, &p); err != nil {
					return err
				}
				if !p.NextTry.After(now) {
					res.Fetch = append(res.Fetch, p)
				}
				continue
			}
			d, archived, err := getDoc(tx, lang, it.ID)
			if err != nil {
				return err
			}
			if archived {
				if n := mergeSections(d.ListedIn, []string{section}); len(n) != len(d.ListedIn) {
					d.ListedIn = n
					if err := putDoc(tx, d); err != nil {
						return err
					}
				}
				if db.current(d, it.Updated, now, runStart) {
					res.Known++
					continue
				}
			}
			p = Pending{
				Lang: lang, ID: it.ID, URL: it.URL,
				ListedIn:      []string{section},
				ListedUpdated: it.Updated,
				Reason:        "new",
				DiscoveredAt:  now,
			}
			if archived {
				p.Reason = "updated"
				p.ListedIn = mergeSections(append([]string(nil), d.ListedIn...), p.ListedIn)
				res.Updated++
			} else {
				res.New++
			}
			if err := putJSON(pend, key, &p); err != nil {
				return err
			}
			res.Fetch = append(res.Fetch, p)
		}
		if state != nil {
			if err := putSectionState(tx, state); err != nil {
				return err
			}
		}
		return countRun(tx, runID, func(r *Run) { r.ListingPages++ })
	})
	if err != nil {
		return nil, fmt.Errorf("record listing %s/%s: %w", lang, section, err)
	}
	return res, nil
}

// current reports whether the stored copy of d is current for a listing
// entry showing update date listed (date-only, the site's calendar). It
// is not when the listing shows a newer date than the copy's; nor when
// the copy was fetched on the very day of that update and the day has
// ended since: the page may have changed again later that day (pages are
// often completed hours after publication), so it is fetched once more.
//
// A copy fetched during this run (since runStart) is current whatever the
// listing says: a document is fetched at most once per run.
func (db *DB) current(d *Doc, listed string, now, runStart time.Time) bool {
	if listed == "" || (!runStart.IsZero() && !d.CheckedAt.Before(runStart)) {
		return true
	}
	if listed > maxDate(d.UpdateMark, d.StaleFor) {
		return false
	}
	return !(listed >= db.opts.Day(d.CheckedAt) && db.opts.Day(now) > listed)
}

// AddPending puts documents into the frontier directly (e.g. IDs given on
// the command line). Documents already pending are left as they are.
func (db *DB) AddPending(ps []Pending) error {
	return db.update(func(tx *bolt.Tx) error {
		pend := tx.Bucket(bPending)
		for i := range ps {
			key := docKey(ps[i].Lang, ps[i].ID)
			if pend.Get(key) != nil {
				continue
			}
			if err := putJSON(pend, key, &ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// FailFetch records a failed attempt to fetch a pending document: the
// error, the HTTP status (0 for none) and when to try again. The document
// stays in the frontier; nothing else changes.
func (db *DB) FailFetch(lang string, id int64, errText string, status int, at, next time.Time, runID uint64) (*Pending, error) {
	var p Pending
	err := db.update(func(tx *bolt.Tx) error {
		pend := tx.Bucket(bPending)
		key := docKey(lang, id)
		ok, err := getJSON(pend, key, &p)
		if err != nil {
			return err
		}
		if !ok {
			p = Pending{Lang: lang, ID: id, Reason: "new", DiscoveredAt: at}
		}
		p.Attempts++
		p.LastError = redact.Secrets(errText) // shown by stats and show: no credentials
		p.LastStatus = status
		p.LastTry = at
		p.NextTry = next
		if err := putJSON(pend, key, &p); err != nil {
			return err
		}
		return countRun(tx, runID, func(r *Run) { r.Failed++ })
	})
	return &p, err
}

// DuePending returns the pending documents of lang whose next attempt is
// due at now, oldest discovery first (lang "" = all languages).
func (db *DB) DuePending(lang string, now time.Time) ([]Pending, error) {
	all, err := db.PendingList(lang)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if !p.NextTry.After(now) {
			out = append(out, p)
		}
	}
	return out, nil
}

// PendingList returns every pending document of lang ("" = all).
func (db *DB) PendingList(lang string) ([]Pending, error) {
	var out []Pending
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bPending).Cursor()
		var k, v []byte
		if lang == "" {
			k, v = c.First()
		} else {
			k, v = c.Seek([]byte(lang))
		}
		for ; k != nil; k, v = c.Next() {
			if lang != "" && string(k[:2]) != lang {
				break
			}
			var p Pending
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%w: frontier entry %x: %v", ErrCorrupt, k, err)
			}
			db.touch(tx, costScanned)
			out = append(out, p)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].DiscoveredAt.Equal(out[j].DiscoveredAt) {
			return out[i].DiscoveredAt.Before(out[j].DiscoveredAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, err
}

// Known returns the IDs among ids that are archived or pending in lang.
func (db *DB) Known(lang string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := db.view(func(tx *bolt.Tx) error {
		docs, pend := tx.Bucket(bDocs), tx.Bucket(bPending)
		for _, id := range ids {
			db.touch(tx, 2*costLookup)
			k := docKey(lang, id)
			if docs.Get(k) != nil || pend.Get(k) != nil {
				out[id] = true
			}
		}
		return nil
	})
	return out, err
}

// FoundDoc is a document found in the Wayback Machine's CDX index with
// the captures of it worth fetching.
type FoundDoc struct {
	ID       int64
	URL      string // root-relative path of the document page
	Section  string // the listing section its URL lies in ("" = RecordCaptures' section)
	Captures []WaybackCapture
}

// WaybackSection is the name under which SectionState keeps the walk of
// the Wayback Machine's index of a language's host: one walk covers all
// its listing sections.
const WaybackSection = "@wayback"

// CaptureMerge combines the captures a frontier entry holds with newly
// found ones and returns those to keep, in the order to try them. It
// never sees a rejected capture.
type CaptureMerge func(have, add []WaybackCapture) []WaybackCapture

// RecordCaptures records one batch of the Wayback Machine's CDX index in
// one transaction, as RecordListing does a listing page: documents not
// archived join the frontier with their captures (or add them to their
// frontier entry), archived ones remember their section (FoundDoc.Section,
// else section), and state (the walk's CDX cursor) is saved. With history, archived documents are
// queued too, with every capture: each one is kept as a version, in
// capture order, when its content differs from the versions around it.
func (db *DB) RecordCaptures(lang, section string, found []FoundDoc, history bool, merge CaptureMerge, now time.Time, state *SectionState, runID uint64) (*ListingResult, error) {
	if err := validLang(lang); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	res := &ListingResult{}
	err := db.update(func(tx *bolt.Tx) error {
		*res = ListingResult{}
		pend := tx.Bucket(bPending)
		for _, f := range found {
			if f.ID <= 0 || len(f.Captures) == 0 {
				continue
			}
			db.touch(tx, 2*costLookup)
			key := docKey(lang, f.ID)
			var p Pending
			queued, err := getJSON(pend, key, &p)
			if err != nil {
				return err
			}
			d := &Doc{}
			archived := false
			if !queued {
				var got *Doc
				if got, archived, err = getDoc(tx, lang, f.ID); err != nil {
					return err
				}
				if archived {
					d = got
				}
			}
			add := f.Captures
			section := section
			if f.Section != "" {
				section = f.Section
			}
			switch {
			case queued:
				res.Queued++
				p.ListedIn = mergeSections(p.ListedIn, []string{section})
				p.History = p.History || history
			case archived:
				if n := mergeSections(d.ListedIn, []string{section}); len(n) != len(d.ListedIn) {
					d.ListedIn = n
					if err := putDoc(tx, d); err != nil {
						return err
					}
				}
				if !history {
					res.Known++
					continue
				}
				p = Pending{Lang: lang, ID: f.ID, URL: f.URL, ListedIn: append([]string(nil), d.ListedIn...), Reason: "history", DiscoveredAt: now, History: true}
				res.Updated++
			default:
				p = Pending{Lang: lang, ID: f.ID, URL: f.URL, ListedIn: []string{section}, Reason: "new", DiscoveredAt: now, History: history}
				res.New++
			}
			add = withoutRejected(add, p.Rejected)
			p.Captures = merge(p.Captures, add)
			if err := putJSON(pend, key, &p); err != nil {
				return err
			}
			if !p.NextTry.After(now) {
				res.Fetch = append(res.Fetch, p)
			}
		}
		if state != nil {
			if err := putSectionState(tx, state); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record captures %s/%s: %w", lang, section, err)
	}
	return res, nil
}

// withoutRejected drops the captures rejected names, by capture or by
// payload digest.
func withoutRejected(cs []WaybackCapture, rejected []string) []WaybackCapture {
	if len(rejected) == 0 {
		return cs
	}
	bad := make(map[string]bool, len(rejected))
	for _, r := range rejected {
		bad[r] = true
	}
	var out []WaybackCapture
	for _, c := range cs {
		if bad[c.Key()] || (c.Digest != "" && bad["sha1:"+c.Digest]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// UpdatePending rewrites a frontier entry (its captures still to fetch,
// the captures rejected). An entry that has left the frontier meanwhile
// is not brought back.
func (db *DB) UpdatePending(p *Pending) error {
	if err := validLang(p.Lang); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return db.update(func(tx *bolt.Tx) error {
		pend := tx.Bucket(bPending)
		key := docKey(p.Lang, p.ID)
		if pend.Get(key) == nil {
			return nil
		}
		return putJSON(pend, key, p)
	})
}

// RemovePending takes a document out of the frontier (a history import
// whose last captures were not the document, the document itself being
// archived).
func (db *DB) RemovePending(lang string, id int64) error {
	return db.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).Delete(docKey(lang, id))
	})
}
