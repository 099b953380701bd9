package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// fetchDoc fetches one pending document and stores it, or records why it
// failed (the document stays pending and is retried later). It returns an
// error only when the host or the run must stop.
func (w *worker) fetchDoc(ctx context.Context, site Site, p *store.Pending) error {
	log := w.g.log.With("lang", site.Lang, "id", p.ID)
	u, err := site.resolve(pendingPath(p))
	if err != nil {
		return w.fail(site, p, fmt.Errorf("bad document URL %q: %w", p.URL, err), 0)
	}
	raw, doc, perr, err := w.getDocument(ctx, site, u, p.ID)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrDisallowed):
			w.c.stats.Skipped.Add(1)
			log.Info("document disallowed by robots.txt; not fetched", "url", u.String())
			_, ferr := w.c.db.FailFetch(site.Lang, p.ID, err.Error(), 0, time.Now(), time.Now().Add(w.c.opts.RobotsTTL), 0)
			return ferr
		case hostStopped(err):
			return err
		}
		var se *StatusError
		status := 0
		if errors.As(err, &se) {
			status = se.Status
		}
		if ferr := w.fail(site, p, err, status); ferr != nil {
			return ferr
		}
		return nil
	}
	if perr != nil {
		var nd *kremlin.NotDocumentError
		kind := kremlin.KindUnknown
		if errors.As(perr, &nd) {
			kind = nd.Kind
		}
		if err := w.fail(site, p, fmt.Errorf("GET %s: %w", raw.URL, perr), raw.Status); err != nil {
			return err
		}
		if kind == kremlin.KindChallenge {
			w.c.stats.Throttled.Add(1)
			if err := w.g.refusal(fmt.Sprintf("anti-bot page instead of %s", raw.URL)); err != nil {
				return err
			}
		}
		return w.observe(kind == kremlin.KindUnknown, fmt.Sprintf("%s: %v", raw.URL, perr))
	}
	rec := &doc.Record
	if err := w.g.accepted(); err != nil {
		return err
	}
	broken := brokenDocument(doc)
	if len(doc.Warnings) > 0 {
		w.c.stats.Warnings.Add(1)
		log.Warn("parse health", "url", raw.URL, "warnings", doc.Warnings)
	}
	rec.FetchedAt = raw.FetchedAt.UTC().Format(time.RFC3339)
	rec.SourceURL = raw.URL
	rec.RawSHA256 = raw.SHA256()
	rec.Source, rec.CapturedAt = record.SourceLive, rec.FetchedAt
	outcome, err := w.c.db.PutDocument(&store.Fetched{
		Raw: raw, Record: rec, ListedIn: p.ListedIn, ListedUpdated: p.ListedUpdated,
	}, w.ro.RunID)
	if err != nil {
		return err
	}
	switch outcome {
	case store.OutcomeNew:
		w.c.stats.New.Add(1)
	case store.OutcomeUpdated:
		w.c.stats.Updated.Add(1)
	case store.OutcomeUnchanged, store.OutcomeStale:
		w.c.stats.Unchanged.Add(1)
	}
	log.Debug("archived", "outcome", outcome.String(), "url", raw.URL, "bytes", len(raw.Body), "title", rec.Title)
	return w.observe(broken, raw.URL)
}

// getDocument fetches a document page and parses it. A 200 response that
// is not the document — cut short without a Content-Length, empty, or
// another document's page — is fetched again (after a backoff, at most
// `retries` times) before the document counts as failed; an anti-bot page
// is not retried but counted as a refusal. err is a fetch error (see
// gate.get); perr says why the last response was not the document.
func (w *worker) getDocument(ctx context.Context, site Site, u *url.URL, id int64) (raw *store.Raw, doc *kremlin.Document, perr, err error) {
	for attempt := 0; ; attempt++ {
		raw, err = w.g.get(ctx, u)
		if err != nil {
			return nil, nil, nil, err
		}
		body, err := w.decodeBody(raw)
		if err != nil {
			return nil, nil, nil, err
		}
		doc, perr = kremlin.ParseDocument(body, raw.URL, kremlin.Options{Lang: site.Lang, CanonicalBase: site.canonical()})
		if perr == nil && doc.Record.ID != id {
			perr = &kremlin.NotDocumentError{Kind: kremlin.KindDocument, Reason: fmt.Sprintf("wrong page: it is document %d, not %d", doc.Record.ID, id)}
		}
		if perr == nil {
			return raw, doc, nil, nil
		}
		var nd *kremlin.NotDocumentError
		if !errors.As(perr, &nd) || attempt >= w.c.opts.Retries {
			return raw, nil, perr, nil
		}
		switch nd.Kind {
		case kremlin.KindTruncated, kremlin.KindEmpty, kremlin.KindDocument:
			w.c.stats.Retries.Add(1)
			d := w.g.backoff(attempt + 1)
			w.g.log.Info("response was not the document; fetching again", "url", raw.URL, "why", perr, "wait", d.Round(time.Millisecond))
		default:
			return raw, nil, perr, nil
		}
	}
}

// brokenDocument reports a document page missing what every document
// has: a title, and (unless it is an announcement) a date. Many broken
// pages in a row mean the layout changed.
func brokenDocument(d *kremlin.Document) bool {
	r := &d.Record
	return r.Title == "" || (!r.IsAnnouncement && r.Date == nil)
}

// freeRetries is how many failed fetches of a document are retried by the
// very next run; after that a failed document waits retry_failed,
// doubling with each failure (at most a week).
const freeRetries = 3

// fail records a failed fetch: the document stays pending, with its
// error, and is retried later (see freeRetries). It returns an error only
// when the store fails.
func (w *worker) fail(site Site, p *store.Pending, err error, status int) error {
	now := time.Now()
	var wait time.Duration
	if p.Attempts+1 > freeRetries {
		wait = w.c.opts.RetryFailed
		for i := freeRetries + 1; i < p.Attempts+1 && wait < maxRetryWait; i++ {
			wait *= 2
		}
		wait = min(wait, maxRetryWait)
	}
	np, ferr := w.c.db.FailFetch(site.Lang, p.ID, err.Error(), status, now, now.Add(wait), w.ro.RunID)
	if ferr != nil {
		return ferr
	}
	*p = *np
	w.c.stats.Failed.Add(1)
	w.g.log.Warn("document not archived; it will be retried", "lang", site.Lang, "id", p.ID, "err", err, "attempts", np.Attempts, "retry_after", wait)
	return nil
}

const maxRetryWait = 7 * 24 * time.Hour

// observe feeds the drift monitor and stops the host when too many recent
// pages were broken.
func (w *worker) observe(broken bool, what string) error {
	if w.drift.observe(broken) {
		return fmt.Errorf("%w: %d of the last %d pages of %s lacked the fields every page has (last: %s); update kremlin-archive or report the new layout",
			ErrDrift, w.drift.problems, len(w.drift.window), w.g.host, what)
	}
	return nil
}

// driftWindow is how many recent pages the drift monitor looks at.
const driftWindow = 50

// driftMonitor watches the share of broken pages among the last ones.
type driftMonitor struct {
	threshold float64
	min       int
	window    []bool
	next      int
	problems  int
}

func newDriftMonitor(threshold float64, min int) *driftMonitor {
	return &driftMonitor{threshold: threshold, min: min}
}

func (d *driftMonitor) observe(broken bool) bool {
	if len(d.window) < driftWindow {
		d.window = append(d.window, broken)
	} else {
		if d.window[d.next] {
			d.problems--
		}
		d.window[d.next] = broken
		d.next = (d.next + 1) % driftWindow
	}
	if broken {
		d.problems++
	}
	return d.problems >= d.min && float64(d.problems) >= d.threshold*float64(len(d.window))
}
