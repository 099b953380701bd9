package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// maxStepBack bounds how far a resumed walk steps back to find its place
// when the listing has shifted towards the front (items removed).
const maxStepBack = 5

// walk discovers the documents of one listing.
//
// A full walk (backfill, or the first crawl of a listing) goes from page 1
// to the last page, keeping a cursor in the store in the same transaction
// as each page's documents, so a run killed at any moment resumes where it
// stopped. Every other walk starts at page 1 and stops at the first page
// holding nothing new — after the pages whose items are younger than the
// recent window — and then continues an unfinished full walk, if any.
func (w *worker) walk(ctx context.Context, site Site, section string) error {
	st, err := w.c.db.SectionState(site.Lang, section)
	if err != nil {
		return err
	}
	if w.ro.ranged() {
		return w.rangedWalk(ctx, site, section, st)
	}
	if st.Cursor == nil && (w.ro.Mode == ModeBackfill || !st.Complete) {
		st.Cursor = &store.Cursor{Page: 1, StartedAt: time.Now().UTC(), Mode: w.ro.Mode.String()}
		w.g.log.Info("walking the whole listing", "lang", site.Lang, "section", section)
		return w.sweep(ctx, site, st, st.Cursor, "", "")
	}
	if err := w.head(ctx, site, st); err != nil {
		return err
	}
	if st.Cursor != nil {
		w.g.log.Info("resuming the unfinished walk of the listing", "lang", site.Lang, "section", section, "page", st.Cursor.Page)
		return w.sweep(ctx, site, st, st.Cursor, "", "")
	}
	return nil
}

// head walks from page 1 until a page holds only archived documents and
// no item younger than the recent window.
func (w *worker) head(ctx context.Context, site Site, st *store.SectionState) error {
	recentSince := kremlin.Day(time.Now().Add(-w.c.opts.RecentWindow))
	for p := 1; ; p++ {
		lst, err := w.listing(ctx, site, st.Section, p)
		if err != nil {
			return err
		}
		st.Pages, st.LastWalk, st.LastItems = lst.Pages, time.Now().UTC(), len(lst.Items)
		last := lst.Next == ""
		if last {
			st.Complete, st.CompletedAt, st.Cursor = true, time.Now().UTC(), nil
		}
		res, err := w.record(site, st, lst.Items, "", "")
		if err != nil {
			return err
		}
		if err := w.fetchAll(ctx, site, res.Fetch); err != nil {
			return err
		}
		if last {
			return nil
		}
		recent := slices.ContainsFunc(lst.Items, func(it kremlin.ListItem) bool { return it.Date >= recentSince })
		if res.AllKnown() && !recent {
			return nil
		}
	}
}

// sweep walks from cur.Page to the end of the listing (or of the date
// range), saving cur with each page.
func (w *worker) sweep(ctx context.Context, site Site, st *store.SectionState, cur *store.Cursor, from, to string) error {
	p := max(cur.Page, 1)
	resumed := cur.Done > 0 && len(cur.PrevIDs) > 0 && p > 1
	if resumed {
		p-- // one page of overlap: the last page processed, as it is now
	}
	stepBack, counted := 0, false
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
		if !counted && lst.Pages > 0 {
			w.c.stats.PagesTotal.Add(int64(max(lst.Pages-p+1, 0)))
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
		last := lst.Next == ""
		done := false
		if from != "" && len(lst.Items) > 0 && allBefore(lst.Items, from) {
			done = true
		}
		cur.Page, cur.PrevIDs, cur.Pages = p+1, itemIDs(lst.Items), lst.Pages
		cur.Done++
		st.Pages, st.LastWalk = lst.Pages, time.Now().UTC()
		if last || done {
			if from == "" && to == "" {
				st.Complete, st.CompletedAt, st.Cursor = true, time.Now().UTC(), nil
			} else {
				st.Ranged = nil
			}
		}
		w.c.stats.PagesDone.Add(1)
		res, err := w.record(site, st, lst.Items, from, to)
		if err != nil {
			return err
		}
		if err := w.fetchAll(ctx, site, res.Fetch); err != nil {
			return err
		}
		if last || done {
			w.g.log.Info("listing walked to its end", "lang", site.Lang, "section", st.Section, "pages", cur.Done)
			return nil
		}
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
	return w.sweep(ctx, site, st, cur, from, to)
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
		w.g.log.Info("listing page was not the page asked for; fetching again", "url", u.String(), "why", err, "wait", d.Round(time.Millisecond))
	}
}

// listingOnce makes one attempt; retry says whether another may help.
func (w *worker) listingOnce(ctx context.Context, site Site, section string, page int, u *url.URL) (lst *kremlin.Listing, retry bool, err error) {
	lerr := func(err error) error {
		return &ListingError{Lang: site.Lang, Section: section, Page: page, Err: err}
	}
	raw, err := w.g.get(ctx, u)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrUnavailable) {
			return nil, false, err
		}
		return nil, false, lerr(err)
	}
	lst, err = kremlin.ParseListing(raw.Body, raw.URL)
	if err != nil {
		kind := kremlin.Classify(raw.Body, raw.URL)
		if kind == kremlin.KindChallenge {
			w.c.stats.Throttled.Add(1)
			if rerr := w.g.refusal("anti-bot page instead of listing " + raw.URL); rerr != nil {
				return nil, false, rerr
			}
		}
		if derr := w.observe(kind == kremlin.KindUnknown || kind == kremlin.KindDocument, raw.URL); derr != nil {
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
	w.g.refusals = 0
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
	// Item links are served root-relative; a mirror may rewrite them as
	// relative or absolute URLs. Keep the path: it is fetched from the
	// site's base URL.
	pageURL, _ := url.Parse(raw.URL)
	for i := range lst.Items {
		if h, err := pageURL.Parse(strings.TrimSpace(lst.Items[i].Href)); err == nil {
			h.Scheme, h.Host, h.User, h.Fragment = "", "", nil, ""
			lst.Items[i].Href = h.String()
		}
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
