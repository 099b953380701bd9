package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// Mode is what a run does.
type Mode int

const (
	// ModeCrawl walks each listing from its first page and stops at the
	// first page holding nothing new (after re-checking the recent
	// window), then continues any unfinished backfill.
	ModeCrawl Mode = iota
	// ModeBackfill walks each listing to its last page (resuming an
	// unfinished walk), fetching every document not archived.
	ModeBackfill
)

func (m Mode) String() string {
	if m == ModeBackfill {
		return "backfill"
	}
	return "crawl"
}

// RunOptions are the options of one run.
type RunOptions struct {
	Mode     Mode
	From, To string // backfill date range (YYYY-MM-DD), optional
	RunID    uint64 // ledger entry that counts this run's documents
	// History (backfill): import every capture of each document the
	// Wayback Machine holds whose content differs from the one before, in
	// capture order, as its versions.
	History bool
}

func (ro *RunOptions) ranged() bool { return ro.From != "" || ro.To != "" }

// Crawler fetches the configured sites into the archive.
type Crawler struct {
	db    *store.DB
	opts  Options
	tr    *http.Transport
	stats *Stats
}

// New makes a Crawler. opts are copied.
func New(db *store.DB, opts Options) (*Crawler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	tr, err := newTransport(&opts)
	if err != nil {
		return nil, err
	}
	return &Crawler{db: db, opts: opts, tr: tr, stats: &Stats{}}, nil
}

// Stats returns the live counters of the current run.
func (c *Crawler) Stats() *Stats { return c.stats }

// HostResult is how one host's part of a run ended.
type HostResult struct {
	Host string
	Err  error // nil, or why the host stopped early
}

// Result summarises a run.
type Result struct {
	Hosts []HostResult
}

// Err combines the hosts' errors (nil when every host finished).
func (r *Result) Err() error {
	var errs []error
	for _, h := range r.Hosts {
		if h.Err != nil {
			errs = append(errs, h.Err)
		}
	}
	return errors.Join(errs...)
}

// Run crawls every configured site. Hosts are crawled at the same time,
// each by its own goroutine behind its own gate; the sites of one host one
// after the other. It returns when every host is done, stopped or
// cancelled. A store error stops everything.
func (c *Crawler) Run(ctx context.Context, ro RunOptions) (*Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	groups := map[string][]Site{}
	var order []string
	for _, s := range c.opts.Sites {
		k := s.Base.Host
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	res := &Result{Hosts: make([]HostResult, len(order))}
	var arch *archive
	if c.opts.Wayback.use() != WaybackNever {
		arch = newArchive(c)
		if err := arch.open(time.Now()); err != nil {
			return res, err
		}
		defer func() {
			if err := arch.close(); err != nil {
				c.opts.Logger.Error("cannot record the state of the Wayback Machine's endpoints", "err", err)
			}
		}()
	}
	var wg sync.WaitGroup
	for i, host := range order {
		sites := groups[host]
		delay := time.Duration(0)
		for _, s := range sites {
			delay = max(delay, s.Delay)
		}
		g := newGate(host, delay, newFetcher(c.tr, &c.opts), c.db, &c.opts, c.stats)
		g.hostScope(sites)
		w := &worker{c: c, g: g, ro: ro, drift: newDriftMonitor(c.opts.DriftThreshold, c.opts.DriftMin)}
		if arch != nil {
			w.wayback = &waybackSource{w: w, a: arch}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.run(ctx, sites)
			res.Hosts[i] = HostResult{Host: host, Err: err}
			if err != nil && isFatal(err) && ctx.Err() == nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	c.tr.CloseIdleConnections()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return res, cause
	}
	return res, nil
}

// isFatal reports errors that must stop every host: anything that is not
// about the host or the run being interrupted (store failures).
func isFatal(err error) bool {
	var le *ListingError
	var ce *CDXError
	return !hostStopped(err) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, ErrDrift) && !errors.As(err, &le) && !errors.As(err, &ce)
}

// ListingError is a listing page that could not be read; the walk of that
// section stops and resumes on the next run.
type ListingError struct {
	Lang, Section string
	Page          int
	Err           error
}

func (e *ListingError) Error() string {
	return fmt.Sprintf("listing %s/%s page %d: %v", e.Lang, e.Section, e.Page, e.Err)
}
func (e *ListingError) Unwrap() error { return e.Err }

// worker crawls the sites of one host.
type worker struct {
	c     *Crawler
	g     *gate
	ro    RunOptions
	drift *driftMonitor
	start time.Time // when this run began: each document is tried once per run

	walks map[string]*walkSize // planned walks, for the progress display

	wayback *waybackSource // the Wayback Machine as a source; nil with wayback.use never
}

func (w *worker) run(ctx context.Context, sites []Site) (err error) {
	w.start = time.Now()
	var liveErr error
	if w.c.opts.Wayback.use() != WaybackOnly {
		if err := w.g.open(w.start); err != nil {
			if !hostStopped(err) || w.c.opts.Wayback.use() != WaybackFallback {
				return err
			}
			liveErr = err // a recorded cool-down: the Wayback Machine may stand in
		}
		defer func() {
			if cerr := w.g.close(); cerr != nil && err == nil {
				err = cerr
			}
		}()
	}
	var siteErrs []error
	for _, site := range sites {
		err := w.runSite(ctx, site, liveErr)
		if err != nil && (ctx.Err() != nil || isFatal(err)) {
			return err
		}
		if err != nil {
			siteErrs = append(siteErrs, err)
		}
	}
	return errors.Join(siteErrs...)
}

// drain fetches the frontier documents of site that are due: those left
// by an interrupted run and failed ones whose retry time has come.
func (w *worker) drain(ctx context.Context, src source, site Site) error {
	due, err := w.c.db.DuePending(site.Lang, time.Now())
	if err != nil {
		return err
	}
	if len(due) > 0 {
		w.g.log.Info("fetching documents left in the frontier", "lang", site.Lang, "count", len(due), "source", src.name())
	}
	return w.fetchAll(ctx, src, site, due)
}

func (w *worker) fetchAll(ctx context.Context, src source, site Site, ps []store.Pending) error {
	for i := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.c.opts.MaxAttempts > 0 && ps[i].Attempts >= w.c.opts.MaxAttempts {
			continue
		}
		if !ps[i].LastTry.Before(w.start) {
			continue // already tried (and failed) in this run
		}
		if err := src.fetch(ctx, site, &ps[i]); err != nil {
			return err
		}
	}
	return nil
}

// resolve turns a listing href into the URL to fetch from site: a
// root-relative path goes on the base URL; an absolute URL on the real
// host is fetched from the base URL too (a mirror serves the real paths).
func (s *Site) resolve(href string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return nil, err
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	out := *s.Base
	out.User = nil // credentials go in a header (siteAuth), never into URLs
	out.Path = strings.TrimSuffix(s.Base.Path, "/") + u.Path
	out.RawPath = ""
	if s.Base.RawPath != "" || u.RawPath != "" {
		out.RawPath = strings.TrimSuffix(s.Base.EscapedPath(), "/") + p
	}
	out.RawQuery = u.RawQuery
	out.Fragment = ""
	return &out, nil
}

func (s *Site) canonical() string {
	if s.Canonical != "" {
		return s.Canonical
	}
	return kremlin.CanonicalBase(s.Lang)
}
