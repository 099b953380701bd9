package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// maxStepBack bounds how far a resumed walk steps back to find its place
// when the listing has shifted towards the front (items removed).
const maxStepBack = 5

// walkKind is what a walk of a listing is for, and so where it stops.
type walkKind int

const (
	walkHead  walkKind = iota // from page 1 to the first page with nothing new (outside the recent window)
	walkFull                  // to the last page
	walkRange                 // from the page holding --to to the page past --from
)

// walk discovers the documents of one listing. Every walk keeps a cursor
// (next page + the IDs of the page just processed) in the store, saved in
// the same transaction as each page's documents, so a run stopped at any
// moment — kill -9 included — resumes where it stopped:
//
//   - a full walk (a backfill, or the first crawl of a listing) goes from
//     page 1 to the last page (SectionState.Cursor);
//   - every other run first walks from page 1 and stops at the first page
//     holding nothing new, after the pages with items younger than the
//     recent window (SectionState.Head); an earlier such walk that was
//     interrupted is continued after it; then an unfinished full walk is
//     continued.
func (w *worker) walk(ctx context.Context, site Site, section string) error {
	st, err := w.c.db.SectionState(site.Lang, section)
	if err != nil {
		return err
	}
	if w.ro.ranged() {
		return w.rangedWalk(ctx, site, section, st)
	}
	if st.Cursor == nil && !st.Complete {
		st.Cursor = newCursor(w.ro.Mode.String())
	}
	if st.Cursor != nil && st.Cursor.Done == 0 {
		// A full walk that has not started covers the head too.
		w.g.log.Info("walking the whole listing", "lang", site.Lang, "section", section)
		return w.follow(ctx, site, st, st.Cursor, walkFull, "", "")
	}
	if st.Head != nil {
		// An earlier walk of the newest pages was interrupted: finish it
		// first, so its position is never replaced by a newer one.
		w.g.log.Info("continuing an interrupted walk of the newest pages", "lang", site.Lang, "section", section, "page", st.Head.Page)
		if err := w.follow(ctx, site, st, st.Head, walkHead, "", ""); err != nil {
			return err
		}
	}
	st.Head = newCursor("head")
	if err := w.follow(ctx, site, st, st.Head, walkHead, "", ""); err != nil {
		return err
	}
	if st.Cursor != nil {
		w.g.log.Info("resuming the unfinished walk of the listing", "lang", site.Lang, "section", section, "page", st.Cursor.Page)
		return w.follow(ctx, site, st, st.Cursor, walkFull, "", "")
	}
	return nil
}

func newCursor(mode string) *store.Cursor {
	return &store.Cursor{Page: 1, StartedAt: time.Now().UTC(), Mode: mode}
}

// startBackfill begins a new full walk of every listing of site, unless
// one is already under way: then the listings it has finished count as
// done and are only checked from page 1, and the others continue. The
// cursors of all listings are created together, so a backfill interrupted
// in one listing never walks the others again.
func (w *worker) startBackfill(site Site) error {
	var states []*store.SectionState
	for _, section := range site.Sections {
		st, err := w.c.db.SectionState(site.Lang, section)
		if err != nil {
			return err
		}
		if st.Cursor != nil {
			return nil // a backfill is under way
		}
		states = append(states, st)
	}
	for _, st := range states {
		st.Cursor = newCursor("backfill")
		if err := w.c.db.SaveSectionState(st); err != nil {
			return err
		}
	}
	return nil
}

// follow walks a listing from cur.Page, saving cur with each page, until
// the end that kind sets. A walk
// resumed from a saved cursor starts one page early (one page of overlap)
// and checks its place with inPlace: items added at the top push pages
// down (overlap finds the place), items removed pull them up (the walk
// steps back).
func (w *worker) follow(ctx context.Context, site Site, st *store.SectionState, cur *store.Cursor, kind walkKind, from, to string) error {
	recentSince := ""
	if w.c.opts.RecentWindow > 0 {
		recentSince = kremlin.Day(time.Now().Add(-w.c.opts.RecentWindow))
	}
	p := max(cur.Page, 1)
	resumed := cur.Done > 0 && len(cur.PrevIDs) > 0 && p > 1
	overlap := resumed // the first page is one already processed: never the end of a head walk
	if resumed {
		p-- // one page of overlap: the last page processed, as it is now
	}
	stepBack, counted := 0, false
	seen := &idSet{} // IDs seen in this walk (walkEnd)
	key := walkKey(site.Lang, st.Section)
	for {
		lst, err := w.listing(ctx, site, st.Section, p)
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && se.Status == http.StatusNotFound && p > 1 && stepBack < maxStepBack {
				// The listing is shorter than it was: items were removed.
				p--
				stepBack++
				continue
			}
			return err
		}
		if kind != walkHead && !counted && lst.Pages > 0 {
			w.sized(key, int64(lst.Pages-p+1))
			counted = true
		}
		if resumed {
			ok, err := w.inPlace(site.Lang, lst, cur.PrevIDs)
			if err != nil {
				return err
			}
			if !ok && p > 1 && stepBack < maxStepBack {
				p--
				stepBack++
				continue
			}
			resumed = false
		}
		end := walkEnd(lst, p, seen)
		last := end != ""
		if last && lst.Next != "" {
			w.g.log.Warn("listing walk stopped although the page links to a next one", "lang", site.Lang, "section", st.Section, "page", p, "why", end)
		}
		cur.Page, cur.PrevIDs, cur.Pages = p+1, itemIDs(lst.Items), lst.Pages
		cur.Done++
		st.Pages, st.LastWalk, st.LastItems = lst.Pages, time.Now().UTC(), len(lst.Items)
		rangeDone := kind == walkRange && (last || (from != "" && len(lst.Items) > 0 && allBefore(lst.Items, from)))
		switch {
		case kind == walkRange && rangeDone:
			st.Ranged = nil
		case kind != walkRange && last:
			// The whole listing has been seen: every walk of it is over.
			st.Complete, st.CompletedAt, st.Cursor, st.Head = true, time.Now().UTC(), nil, nil
		}
		if kind != walkHead {
			w.pageWalked(key)
		}
		res, err := w.record(site, st, lst.Items, from, to)
		if err != nil {
			return err
		}
		if err := w.fetchAll(ctx, liveSource{w}, site, res.Fetch); err != nil {
			return err
		}
		switch kind {
		case walkHead:
			// Older pages may hold recent items only if this page's oldest
			// item is recent.
			recent := recentSince != "" && len(lst.Items) > 0 && lst.Items[len(lst.Items)-1].Date >= recentSince
			if last || (res.AllKnown() && !recent && !overlap) {
				if st.Head != nil {
					st.Head = nil
					if err := w.c.db.SaveSectionState(st); err != nil {
						return err
					}
				}
				return nil
			}
		case walkFull:
			if last {
				w.walkEnded(key)
				w.g.log.Info("listing walked to its end", "lang", site.Lang, "section", st.Section, "pages", cur.Done, "why", end)
				return nil
			}
		case walkRange:
			if rangeDone {
				w.walkEnded(key)
				w.g.log.Info("date range walked", "lang", site.Lang, "section", st.Section, "pages", cur.Done)
				return nil
			}
		}
		overlap = false
		p++
	}
}

// inPlace checks the first page of a resumed walk: it must overlap the
// page processed last, or hold nothing the archive lacks. Otherwise the
// listing has shifted towards the front and the walk must step back.
func (w *worker) inPlace(lang string, lst *kremlin.Listing, prev []int64) (bool, error) {
	ids := itemIDs(lst.Items)
	for _, id := range ids {
		if slices.Contains(prev, id) {
			return true, nil
		}
	}
	known, err := w.c.db.Known(lang, ids)
	if err != nil {
		return false, err
	}
	return len(known) == len(ids), nil
}

// rangedWalk backfills the documents published between from and to: it
// finds the page holding `to` by bisection, then walks towards older
// pages until every item is older than `from`.
func (w *worker) rangedWalk(ctx context.Context, site Site, section string, st *store.SectionState) error {
	from, to := w.ro.From, w.ro.To
	cur := st.Ranged
	if cur == nil || cur.From != from || cur.To != to {
		start, err := w.findPage(ctx, site, section, to)
		if err != nil {
			return err
		}
		cur = &store.Cursor{Page: start, From: from, To: to, StartedAt: time.Now().UTC(), Mode: "backfill"}
		st.Ranged = cur
		w.g.log.Info("backfilling a date range", "lang", site.Lang, "section", section, "from", from, "to", to, "first_page", start)
	}
	return w.follow(ctx, site, st, cur, walkRange, from, to)
}

// findPage returns the first listing page holding an item dated on or
// before day (newest first), by bisection over page numbers.
func (w *worker) findPage(ctx context.Context, site Site, section, day string) (int, error) {
	if day == "" {
		return 1, nil
	}
	first, err := w.listing(ctx, site, section, 1)
	if err != nil {
		return 0, err
	}
	if len(first.Items) == 0 || first.Items[len(first.Items)-1].Date <= day || first.Pages <= 1 {
		return 1, nil
	}
	lo, hi := 2, first.Pages // the answer is in [lo, hi]
	for lo < hi {
		mid := (lo + hi) / 2
		lst, err := w.listing(ctx, site, section, mid)
		if err != nil {
			return 0, err
		}
		if len(lst.Items) == 0 || lst.Items[len(lst.Items)-1].Date <= day {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// listing fetches and parses one listing page. A response that is not
// the listing page asked for (an anti-bot page, a cut or empty body, a
// page without items that is not the last one, another page of the
// listing) is fetched again after a backoff, at most `retries` times;
// then the walk stops with a ListingError and resumes on the next run.
func (w *worker) listing(ctx context.Context, site Site, section string, page int) (*kremlin.Listing, error) {
	u, err := site.resolve(kremlin.ListingPath(section, page))
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		lst, retry, err := w.listingOnce(ctx, site, section, page, u)
		if err == nil || !retry || attempt >= w.c.opts.Retries {
			return lst, err
		}
		w.c.stats.Retries.Add(1)
		d := w.g.backoff(attempt + 1)
		w.g.log.Info("listing page was not the page asked for; fetching again", "url", u.String(), "why", err, "attempt", attempt+1, "of", w.c.opts.Retries, "wait", d.Round(time.Millisecond), "until", w.g.until())
		w.g.announced()
	}
}

// listingOnce makes one attempt; retry says whether another may help.
func (w *worker) listingOnce(ctx context.Context, site Site, section string, page int, u *url.URL) (lst *kremlin.Listing, retry bool, err error) {
	lerr := func(err error) error {
		return &ListingError{Lang: site.Lang, Section: section, Page: page, Err: err}
	}
	raw, err := w.g.get(ctx, u)
	if err != nil {
		if ctx.Err() != nil || hostStopped(err) {
			return nil, false, err
		}
		return nil, false, lerr(err)
	}
	body, err := w.decodeBody(raw)
	if err != nil {
		return nil, false, lerr(err)
	}
	lst, err = kremlin.ParseListing(body, raw.URL)
	if err != nil {
		kind := kremlin.Classify(body, raw.URL)
		if kind == kremlin.KindChallenge {
			w.c.stats.Throttled.Add(1)
			if rerr := w.g.refusal("anti-bot page instead of listing " + raw.URL); rerr != nil {
				return nil, false, rerr
			}
		}
		if derr := w.observe(kind == kremlin.KindUnknown, raw.URL); derr != nil {
			return nil, false, derr
		}
		return nil, true, lerr(fmt.Errorf("GET %s: %w (%s)", raw.URL, err, kind))
	}
	if lst.Page != 0 && lst.Page != page {
		if lst.Page < page && lst.Next == "" && page > 1 {
			// The listing has fewer pages than when this walk began and the
			// site answered with its last page: accept it as the end.
			w.g.log.Info("listing is shorter than before; treating the last page as the end", "url", raw.URL, "asked", page, "got", lst.Page)
		} else {
			return nil, true, lerr(fmt.Errorf("GET %s: the page says it is page %d of the listing", raw.URL, lst.Page))
		}
	}
	if err := w.g.accepted(); err != nil {
		return nil, false, err
	}
	if len(lst.Items) == 0 || len(lst.Warnings) > 0 {
		w.c.stats.Warnings.Add(1)
		w.g.log.Warn("parse health", "url", raw.URL, "items", len(lst.Items), "warnings", lst.Warnings)
	}
	if err := w.observe(len(lst.Items) == 0, raw.URL); err != nil {
		return nil, false, err
	}
	if len(lst.Items) == 0 && lst.Next != "" {
		return nil, true, lerr(fmt.Errorf("GET %s: listing page without items", raw.URL))
	}
	w.c.stats.Listings.Add(1)
	// Documents are fetched from the site's base URL, at the path built
	// from their ID; item links are only a hint (itemPath).
	pageURL, _ := url.Parse(raw.URL)
	for i := range lst.Items {
		lst.Items[i].Href = itemPath(pageURL, section, lst.Items[i])
	}
	return lst, false, nil
}

// record stores a listing page's items (those within [from, to]) and the
// section state in one transaction.
func (w *worker) record(site Site, st *store.SectionState, items []kremlin.ListItem, from, to string) (*store.ListingResult, error) {
	listed := make([]store.ListedItem, 0, len(items))
	for _, it := range items {
		if it.Date != "" && ((from != "" && it.Date < from) || (to != "" && it.Date > to)) {
			continue
		}
		listed = append(listed, store.ListedItem{ID: it.ID, URL: it.Href, Date: it.Date, Updated: it.Updated})
	}
	return w.c.db.RecordListing(site.Lang, st.Section, listed, time.Now(), st, w.ro.RunID)
}

func itemIDs(items []kremlin.ListItem) []int64 {
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func allBefore(items []kremlin.ListItem, day string) bool {
	for _, it := range items {
		if it.Date == "" || it.Date >= day {
			return false
		}
	}
	return true
}
