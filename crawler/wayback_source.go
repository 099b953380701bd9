package crawler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// waybackSource takes a site's pages from the Wayback Machine: documents
// are discovered through the CDX index (a few calls list thousands of
// captures), one capture is chosen per document, fetched in raw mode and
// checked to be the document before it is stored.
type waybackSource struct {
	w *worker
	a *archive
}

func (s *waybackSource) name() string { return record.SourceWayback }

// cdxOverlap is how far before the start of the last complete walk an
// incremental walk asks for captures: the index lists a capture some time
// after it was made.
const cdxOverlap = 7 * 24 * time.Hour

// maxEmptyBatches bounds a walk whose batches keep coming back empty with
// a resume key (a server that does not advance).
const maxEmptyBatches = 50

// minWalkInterval is how long after a walk of the index ended the next
// run skips asking again: the index lists new captures hours after they
// are made, and a run restarted at once has nothing new to learn.
const minWalkInterval = 30 * time.Minute

// discover walks the CDX index for the documents of every listing section
// of site at once: one query per URL prefix (<host>/events/president/,
// www.<host>/… when the server files www. apart), listing the captures of
// document pages of the configured sections; the first time every
// capture, later only those made since shortly before the last walk that
// ended. Each batch of captures is recorded in the frontier in the same
// transaction as the walk's position (the resume key), so a run stopped
// at any moment resumes with the batch it was asking for, and an
// interrupted walk is finished before a new one starts.
func (s *waybackSource) discover(ctx context.Context, site Site) error {
	w := s.w
	st, err := w.c.db.SectionState(site.Lang, store.WaybackSection)
	if err != nil {
		return err
	}
	if st.Wayback == nil {
		st.Wayback = &store.WaybackWalk{}
	}
	ws := st.Wayback
	history := w.ro.History
	cur := ws.Cursor
	if history {
		cur = ws.History
	}
	now := time.Now().UTC()
	log := w.g.log.With("lang", site.Lang, "source", record.SourceWayback)
	if cur == nil {
		complete, since := ws.Complete, ws.CompleteFrom
		if history {
			complete, since = ws.HistoryComplete, ws.HistoryFrom
		}
		if complete && now.Sub(ws.LastWalk) < minWalkInterval && !ws.LastWalk.After(now) {
			log.Debug("the Wayback Machine's index was walked moments ago; not asking again", "last_walk", ws.LastWalk)
			return nil
		}
		prefixes, err := s.prefixes(ctx, site, ws)
		if err != nil {
			return err
		}
		from := ""
		if complete && !since.IsZero() {
			from = since.Add(-cdxOverlap).UTC().Format("20060102")
		}
		cur = &store.CDXCursor{Prefix: prefixes[0], Prefixes: prefixes[1:], From: from, StartedAt: now, History: history}
		if history {
			ws.History = cur
		} else {
			ws.Cursor = cur
		}
		what := "walking the Wayback Machine's index"
		if from != "" {
			what = "walking the Wayback Machine's index for new captures"
		}
		log.Info(what, "prefix", cur.Prefix, "sections", site.Sections, "from", from, "history", history)
	} else {
		log.Info("resuming the walk of the Wayback Machine's index", "prefix", cur.Prefix, "batches", cur.Batches, "documents", cur.Documents)
	}
	merge := mergeCaptures
	if history {
		merge = mergeHistory
	}
	empty := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := cdxQuery{Prefix: cur.Prefix, From: cur.From, ResumeKey: cur.ResumeKey, Limit: s.a.limit, Filter: sectionFilter(site)}
		rows, next, err := s.a.cdxBatch(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if hostStopped(err) {
				return err
			}
			return &CDXError{Lang: site.Lang, Prefix: cur.Prefix, Err: err}
		}
		if len(rows) == 0 && next != "" {
			if empty++; empty > maxEmptyBatches || next == cur.ResumeKey {
				return &CDXError{Lang: site.Lang, Prefix: cur.Prefix, Err: fmt.Errorf("the index keeps answering without captures (resume key %q)", next)}
			}
		} else {
			empty = 0
		}
		found := s.group(rows, site)
		cur.Batches++
		cur.Rows += len(rows)
		cur.Documents += len(found)
		cur.ResumeKey = next
		done := false
		if next == "" {
			if len(cur.Prefixes) > 0 {
				cur.Prefix, cur.Prefixes = cur.Prefixes[0], cur.Prefixes[1:]
			} else {
				done = true
			}
		}
		if done {
			ws.LastWalk = time.Now().UTC()
			if history {
				ws.History, ws.HistoryComplete, ws.HistoryFrom = nil, true, cur.StartedAt
			} else {
				ws.Cursor, ws.Complete, ws.CompleteFrom = nil, true, cur.StartedAt
				if cur.From == "" {
					ws.Documents = cur.Documents
				}
			}
		}
		res, err := w.c.db.RecordCaptures(site.Lang, site.Sections[0], found, history, merge, time.Now(), st, w.ro.RunID)
		if err != nil {
			return err
		}
		log.Debug("index batch", "prefix", cur.Prefix, "captures", len(rows), "documents", len(found), "new", res.New, "queued", res.Queued, "known", res.Known, "more", next != "")
		if done {
			log.Info("the Wayback Machine's index walked to its end", "batches", cur.Batches, "captures", cur.Rows, "documents", cur.Documents)
			return nil
		}
	}
}

// prefixes are the url= values of a site's walk: the paths above the
// configured sections on the record host (en.kremlin.ru/events/president/
// for news and transcripts), and for a bare domain (kremlin.ru) the same
// on www.<host> when the CDX server files its captures apart. The
// Internet Archive folds www. into the same key, so one walk covers both;
// another server is asked once (a one-row query) and its answer kept.
func (s *waybackSource) prefixes(ctx context.Context, site Site, ws *store.WaybackWalk) ([]string, error) {
	host := strings.ToLower(recordHost(site))
	var roots []string
	for _, sec := range site.Sections {
		if r := sectionRoot(sec); !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	var out []string
	for _, r := range roots {
		out = append(out, host+r)
	}
	if strings.Count(host, ".") != 1 {
		return out, nil
	}
	if ws.WWW == "" {
		www := "www." + out[0]
		rows, _, err := s.a.cdxBatch(ctx, cdxQuery{Prefix: www, Limit: 1, Fields: []string{"urlkey", "original"}, NoFilter: true})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if hostStopped(err) {
				return nil, err
			}
			return nil, &CDXError{Lang: site.Lang, Prefix: www, Err: err}
		}
		ws.WWW = "folded"
		if len(rows) > 0 && strings.Contains(rows[0].URLKey, ",www") {
			ws.WWW = "separate"
		}
	}
	if ws.WWW == "separate" {
		for _, r := range roots {
			out = append(out, "www."+host+r)
		}
	}
	return out, nil
}

// sectionRoot is the path a section's documents lie under, up to the
// section: /events/president/ for news, transcripts, transcripts/speeches;
// /acts/news/ for a section named from the root.
func sectionRoot(section string) string {
	p := kremlin.ListingPath(section, 1)
	if rest, ok := strings.CutPrefix(p, "/events/president/"); ok && rest != "" {
		return "/events/president/"
	}
	return p + "/"
}

// sectionFilter is the CDX filter keeping the captures of document pages
// (…/<number>, …/<number>/print) of site's sections: listings, by-date
// pages, feeds, tabs and other sections are left out by the server. The
// server matches the whole key (Java's Matcher.matches); "+" is avoided
// because it URL-decodes the filter once more (a "+" would become a space).
func sectionFilter(site Site) string {
	var alts []string
	for _, sec := range site.Sections {
		alts = append(alts, regexp.QuoteMeta(strings.Trim(kremlin.ListingPath(sec, 1), "/")))
	}
	return "urlkey:.*/(" + strings.Join(alts, "|") + ")/(.*/)?[0-9][0-9]*(/print)?/?"
}

// recordHost is the host of the URLs records name for site: the real
// host (en.kremlin.ru, kremlin.ru), whose captures the Archive holds.
func recordHost(site Site) string {
	u, err := url.Parse(site.canonical())
	if err != nil || u.Hostname() == "" {
		return site.Base.Hostname()
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// group turns a batch of index rows into documents with their captures:
// only 200 captures of document pages (by the parser's ID rules: http
// and https, :80, www., any section path and /print are one document;
// tab pages and listings are not documents) on the site's host, under one
// of its sections (the longest that matches names the document's
// listing).
func (s *waybackSource) group(rows []cdxRow, site Site) []store.FoundDoc {
	host := recordHost(site)
	byID := map[int64]int{}
	var out []store.FoundDoc
	for _, r := range rows {
		if r.Status != "" && r.Status != "200" {
			continue
		}
		if _, err := time.Parse(record.WaybackTimestamp, r.Timestamp); err != nil || len(r.Timestamp) != 14 {
			continue
		}
		u, err := url.Parse(r.Original)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		h := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		section := sectionOf(u.Path, site.Sections)
		if h != host || section == "" || isTabPath(r.Original) {
			continue
		}
		id, ok := kremlin.DocumentID(r.Original)
		if !ok {
			continue
		}
		c := store.WaybackCapture{Timestamp: r.Timestamp, URL: r.Original, Digest: r.Digest}
		c.Length, _ = strconv.Atoi(r.Length)
		if c.Length > 0 && c.Length < minCaptureLength {
			continue // an anti-bot or error page captured with status 200
		}
		i, seen := byID[id]
		if !seen {
			i = len(out)
			byID[id] = i
			out = append(out, store.FoundDoc{ID: id, URL: documentURLPath(u.Path), Section: section})
		}
		out[i].Captures = append(out[i].Captures, c)
	}
	return out
}

// minCaptureLength is the smallest archived record (CDX length: the
// compressed record) a capture of a document page can have: the site's
// template alone is over 20 KB, the smallest page seen 27 KB. Smaller
// captures under status 200 are anti-bot, maintenance or error pages.
const minCaptureLength = 2048

// sectionOf is the longest of sections whose listing path p lies under
// ("" when none).
func sectionOf(p string, sections []string) string {
	best := ""
	for _, sec := range sections {
		if strings.HasPrefix(p, kremlin.ListingPath(sec, 1)+"/") && len(sec) > len(best) {
			best = sec
		}
	}
	return best
}

// documentURLPath is the path of the document page itself: without
// /print and a trailing slash.
func documentURLPath(p string) string {
	p = strings.TrimSuffix(p, "/")
	return strings.TrimSuffix(p, "/print")
}

// maxCaptures is how many captures of a document the frontier keeps
// when one copy is wanted: the first is fetched, the others only when it
// turns out not to be the page.
const maxCaptures = 3

// mergeCaptures orders a document's captures for fetching one copy: the
// document page itself before its /print variant, a capture of the usual
// size before one much smaller than the others (an anti-bot or error page
// captured with status 200), newest first; one capture per payload digest
// (the same bytes).
func mergeCaptures(have, add []store.WaybackCapture) []store.WaybackCapture {
	all := uniqueCaptures(have, add)
	largest := 0
	for _, c := range all {
		largest = max(largest, c.Length)
	}
	small := func(c store.WaybackCapture) bool { return c.Length > 0 && c.Length*3 < largest }
	slices.SortStableFunc(all, func(a, b store.WaybackCapture) int {
		if pa, pb := isPrintPath(a.URL), isPrintPath(b.URL); pa != pb {
			if pa {
				return 1
			}
			return -1
		}
		if sa, sb := small(a), small(b); sa != sb {
			if sa {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Timestamp, a.Timestamp)
	})
	seen := map[string]bool{}
	out := all[:0]
	for _, c := range all {
		if c.Digest != "" {
			if seen[c.Digest] {
				continue
			}
			seen[c.Digest] = true
		}
		out = append(out, c)
	}
	return out[:min(len(out), maxCaptures)]
}

// mergeHistory orders a document's captures for a history import: every
// capture of the document page and of its /print variant, oldest first,
// without a capture whose payload is the same as the one before it.
func mergeHistory(have, add []store.WaybackCapture) []store.WaybackCapture {
	all := uniqueCaptures(have, add)
	slices.SortStableFunc(all, func(a, b store.WaybackCapture) int {
		return cmp.Or(cmp.Compare(a.Timestamp, b.Timestamp), cmp.Compare(a.URL, b.URL))
	})
	out := all[:0]
	for _, c := range all {
		if n := len(out); n > 0 && c.Digest != "" && out[n-1].Digest == c.Digest {
			continue
		}
		out = append(out, c)
	}
	return out
}

func uniqueCaptures(have, add []store.WaybackCapture) []store.WaybackCapture {
	seen := map[string]bool{}
	var all []store.WaybackCapture
	for _, list := range [][]store.WaybackCapture{have, add} {
		for _, c := range list {
			if !seen[c.Key()] {
				seen[c.Key()] = true
				all = append(all, c)
			}
		}
	}
	return all
}

// fetch archives one pending document from its captures: the first one
// that is the document is stored; a capture that is not (a captured
// error page, a redirect elsewhere, a banner page) is rejected for good
// and the next one is tried. A document without known captures is looked
// up by asking playback for the capture nearest to now. With History,
// every capture is fetched in turn and kept as a version when its
// content differs.
func (s *waybackSource) fetch(ctx context.Context, site Site, p *store.Pending) error {
	if len(p.Captures) == 0 && len(p.Rejected) > 0 {
		// Every capture the index listed was tried and is not the page:
		// the nearest one would be one of them. A later walk of the index
		// may find new captures.
		return s.w.fail(site, p, fmt.Errorf("none of the %d captures of the document in the Wayback Machine is the page; waiting for new captures", len(p.Rejected)), p.LastStatus)
	}
	if len(p.Captures) == 0 {
		return s.lookup(ctx, site, p)
	}
	// The captures in turn: without --history the first that is the page
	// is kept and the document is done; with it, every capture whose
	// content differs from the version before becomes a version, in
	// capture order.
	var last *NotCaptureError
	for len(p.Captures) > 0 {
		c := p.Captures[0]
		cp, doc, err := s.fetchCapture(ctx, site, p.ID, c.Timestamp, c.URL)
		var nc *NotCaptureError
		switch {
		case err == nil && !p.History:
			_, err := s.keep(site, p, cp, doc, nil)
			return err
		case err == nil:
			rest := *p
			rest.Captures = slices.Clone(p.Captures[1:])
			var keep *store.Pending
			if len(rest.Captures) > 0 {
				keep = &rest
			}
			if _, err := s.keep(site, p, cp, doc, keep); err != nil {
				return err
			}
			*p = rest
		case errors.As(err, &nc):
			last = nc
			if err := s.reject(site, p, c, nc); err != nil {
				return err
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case hostStopped(err):
			return err
		default:
			// Not fetched (network, server errors): the capture is tried
			// again on a later attempt.
			return s.w.fail(site, p, err, statusOf(err))
		}
	}
	if p.History {
		d, err := s.w.c.db.Doc(site.Lang, p.ID)
		if err != nil {
			return err
		}
		if d != nil {
			// Archived: the entry goes (PutDocument took it out already
			// when the last capture was kept).
			return s.w.c.db.RemovePending(site.Lang, p.ID)
		}
		if last == nil {
			return nil
		}
	}
	return s.w.fail(site, p, fmt.Errorf("no capture of the document in the Wayback Machine is the page; the last: %w", last), last.Status)
}

// lookup archives a document the index has not listed (found by a live
// listing, or failing live): playback is asked for the capture nearest to
// now of its page, and redirects to it.
func (s *waybackSource) lookup(ctx context.Context, site Site, p *store.Pending) error {
	u, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil {
		return s.w.fail(site, p, fmt.Errorf("bad document URL %q: %w", p.URL, err), 0)
	}
	orig := strings.TrimSuffix(site.canonical(), "/") + u.Path
	if u.RawQuery != "" {
		orig += "?" + u.RawQuery
	}
	cp, doc, err := s.fetchCapture(ctx, site, p.ID, time.Now().UTC().Format(record.WaybackTimestamp), orig)
	var nc *NotCaptureError
	switch {
	case err == nil:
		_, err := s.keep(site, p, cp, doc, nil)
		return err
	case errors.As(err, &nc):
		return s.w.fail(site, p, fmt.Errorf("no usable capture in the Wayback Machine: %w", err), nc.Status)
	case ctx.Err() != nil:
		return ctx.Err()
	case hostStopped(err):
		return err
	}
	return s.w.fail(site, p, err, statusOf(err))
}

// fetchCapture fetches one capture and parses it as document id. A
// capture whose page is not the document (another page, an error or
// anti-bot page captured with status 200, a tab page) is a
// *NotCaptureError.
func (s *waybackSource) fetchCapture(ctx context.Context, site Site, id int64, timestamp, original string) (*capturedPage, *kremlin.Document, error) {
	cp, err := s.a.capture(ctx, timestamp, original, id)
	if err != nil {
		return nil, nil, err
	}
	// The /print variant is the document page with another style sheet:
	// parsed as the page itself.
	parseURL := cp.original
	if u, err := url.Parse(cp.original); err == nil {
		u.Path = documentURLPath(u.Path)
		parseURL = u.String()
	}
	doc, perr := kremlin.ParseDocument(cp.raw.Body, parseURL, kremlin.Options{Lang: site.Lang, CanonicalBase: site.canonical()})
	if perr == nil && doc.Record.ID != id {
		perr = fmt.Errorf("it is document %d, not %d", doc.Record.ID, id)
	}
	if perr != nil {
		return nil, nil, &NotCaptureError{URL: cp.raw.URL, Status: cp.raw.Status, Reason: "the captured page is not the document: " + perr.Error(), content: true}
	}
	return cp, doc, nil
}

// reject takes a capture off the document's list for good (and its
// payload digest, when the page itself was wrong), saved before another
// capture is tried.
func (s *waybackSource) reject(site Site, p *store.Pending, c store.WaybackCapture, why *NotCaptureError) error {
	s.w.g.log.Info("capture is not the document; trying another", "lang", site.Lang, "id", p.ID, "capture", why.URL, "why", why.Reason)
	p.Captures = slices.Clone(p.Captures[1:])
	p.Rejected = append(p.Rejected, c.Key())
	if why.content && c.Digest != "" {
		p.Rejected = append(p.Rejected, "sha1:"+c.Digest)
	}
	if len(p.Rejected) > maxRejected {
		p.Rejected = p.Rejected[len(p.Rejected)-maxRejected:]
	}
	return s.w.c.db.UpdatePending(p)
}

// maxRejected bounds the rejected captures a frontier entry remembers.
const maxRejected = 64

// keep stores a capture that is the document: the raw page with the
// original status and headers, the record with its provenance (source
// "wayback", captured_at = the capture time, source_url = the capture
// URL). rest, when not nil, stays in the frontier (a history import).
func (s *waybackSource) keep(site Site, p *store.Pending, cp *capturedPage, doc *kremlin.Document, rest *store.Pending) (store.Outcome, error) {
	w := s.w
	rec := &doc.Record
	if len(doc.Warnings) > 0 {
		w.c.stats.Warnings.Add(1)
		w.g.log.Warn("parse health", "url", cp.raw.URL, "warnings", doc.Warnings)
	}
	rec.FetchedAt = cp.raw.FetchedAt.UTC().Format(time.RFC3339)
	rec.SourceURL = cp.raw.URL
	rec.RawSHA256 = cp.raw.SHA256()
	rec.Source = record.SourceWayback
	rec.CapturedAt = cp.at.UTC().Format(time.RFC3339)
	// No listing date: a capture is as old as it is, and the live walks
	// compare the site's update dates with the page's own stamp.
	outcome, err := w.c.db.PutDocument(&store.Fetched{Raw: cp.raw, Record: rec, ListedIn: p.ListedIn, Pending: rest}, w.ro.RunID)
	if err != nil {
		return 0, err
	}
	switch outcome {
	case store.OutcomeNew:
		w.c.stats.New.Add(1)
		w.c.stats.FromWayback.Add(1)
	case store.OutcomeUpdated, store.OutcomeEarlier:
		w.c.stats.Updated.Add(1)
		w.c.stats.FromWayback.Add(1)
	case store.OutcomeUnchanged, store.OutcomeStale:
		w.c.stats.Unchanged.Add(1)
	}
	w.g.log.Debug("archived", "lang", site.Lang, "id", p.ID, "outcome", outcome.String(), "source", record.SourceWayback, "url", cp.raw.URL, "captured_at", rec.CapturedAt, "bytes", len(cp.raw.Body), "title", rec.Title)
	return outcome, nil
}

// statusOf is the HTTP status an error carries (0 for none).
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}
