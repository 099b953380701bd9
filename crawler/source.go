package crawler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// source is where a site's raw pages come from: the live host or the
// Wayback Machine. The worker uses one through this interface: walk
// discovers the documents of a listing section and puts them in the
// frontier, fetch archives one document of the frontier. Each source
// reaches its server through gates of its own (politeness, retries,
// cool-downs kept in the store).
type source interface {
	// name is record.SourceLive or record.SourceWayback.
	name() string
	// discover finds the documents of the site's listing sections and
	// puts them in the frontier. The live source walks each listing and
	// fetches the documents as it goes; the Wayback source walks its
	// index once for all the sections of the host and only records what it
	// finds (the captures of a document come from several parts of the
	// index): the worker fetches them afterwards. A section that cannot be
	// walked now is a *ListingError or *CDXError among the errors
	// returned; any other error stops the source.
	discover(ctx context.Context, site Site) error
	// fetch archives one pending document, or records why it could not
	// (the document stays pending). It returns an error only when the
	// source or the run must stop.
	fetch(ctx context.Context, site Site, p *store.Pending) error
}

// liveSource is the site itself: listing walks and document pages
// through the host's gate.
type liveSource struct{ w *worker }

func (s liveSource) name() string { return record.SourceLive }

func (s liveSource) discover(ctx context.Context, site Site) error {
	w := s.w
	var sectionErrs []error
	for _, section := range site.Sections {
		err := w.walk(ctx, site, section)
		var le *ListingError
		switch {
		case err == nil:
		case errors.Is(err, ErrDisallowed):
			w.g.log.Warn("robots.txt disallows the listing; section skipped", "lang", site.Lang, "section", section, "err", err)
		case errors.As(err, &le):
			w.g.log.Warn("listing walk stopped; it resumes on the next run", "lang", site.Lang, "section", section, "err", err)
			sectionErrs = append(sectionErrs, err)
		default:
			return err
		}
	}
	return errors.Join(sectionErrs...)
}

func (s liveSource) fetch(ctx context.Context, site Site, p *store.Pending) error {
	return s.w.fetchDoc(ctx, site, p)
}

// runSite crawls one site from the source the fallback rules choose.
// liveErr is why the live host is out of use already (a cool-down found
// when the gate opened), or nil.
func (w *worker) runSite(ctx context.Context, site Site, liveErr error) error {
	reason := w.fallbackReason(site, liveErr)
	if reason == "" {
		err := w.crawlFrom(ctx, liveSource{w}, site)
		if err == nil || ctx.Err() != nil {
			if err == nil {
				err = w.failingOnWayback(ctx, site)
			}
			return err
		}
		if reason = w.fallbackReason(site, err); reason == "" {
			return err
		}
		liveErr = err
	}
	w.g.log.Warn("taking pages from the Wayback Machine", "lang", site.Lang, "reason", reason)
	w.c.stats.addFallback(site.Lang + ": " + reason)
	if err := w.crawlFrom(ctx, w.wayback, site); err != nil {
		if w.c.opts.Wayback.use() == WaybackOnly || liveErr == nil {
			return err
		}
		return errors.Join(liveErr, err)
	}
	return nil
}

// crawlFrom runs one site on src: the frontier documents that are due,
// then the discovery of new ones. The Wayback source discovers first and
// then fetches what it found.
func (w *worker) crawlFrom(ctx context.Context, src source, site Site) error {
	if src.name() == record.SourceLive {
		if w.ro.Mode == ModeBackfill && !w.ro.ranged() {
			if err := w.startBackfill(site); err != nil {
				return err
			}
		}
		if err := w.planWalks(site); err != nil {
			return err
		}
		if err := w.drain(ctx, src, site); err != nil {
			return err
		}
	}
	err := src.discover(ctx, site)
	var le *ListingError
	var ce *CDXError
	if err != nil && !errors.As(err, &le) && !errors.As(err, &ce) {
		return err
	}
	if ce != nil {
		w.g.log.Warn("walk of the Wayback Machine's index stopped; it resumes on the next run", "lang", site.Lang, "err", ce)
	}
	if src.name() == record.SourceWayback {
		if derr := w.drain(ctx, src, site); derr != nil {
			return derr
		}
	}
	return err
}

// defaultProbeEvery is how long a live host that gave no answer is left
// alone (wayback.use fallback) before a run tries it again.
const defaultProbeEvery = 6 * time.Hour

// fallbackReason is the one place that decides to take a site's pages
// from the Wayback Machine, and says why ("" = stay on the live site).
// liveErr is how the live source ended (nil: it has not started).
//
//   - wayback.use never: never; only: always, the live hosts are never
//     contacted.
//   - fallback: when the live host cannot be reached (ErrUnreachable: no
//     answer at all; remembered in the store, so the next runs go straight
//     to the Wayback Machine and try the host again only every
//     ProbeEvery), or refused us or is in a recorded cool-down
//     (ErrUnavailable). A `backfill --from/--to` stays live: the index
//     knows capture dates, not publication dates.
//
// Documents that keep failing while the site answers are handled by
// failingOnWayback, under the same rules.
func (w *worker) fallbackReason(site Site, liveErr error) string {
	switch w.c.opts.Wayback.use() {
	case WaybackNever:
		return ""
	case WaybackOnly:
		return "wayback.use is only (--wayback only): the live hosts are not contacted"
	}
	if w.ro.ranged() {
		return ""
	}
	now := time.Now()
	switch {
	case liveErr == nil:
		hs, err := w.c.db.HostState(w.g.host)
		if err != nil || hs.Unreachable.IsZero() {
			return ""
		}
		every := w.c.opts.Wayback.ProbeEvery
		if every <= 0 {
			every = defaultProbeEvery
		}
		if next := hs.LastProbe.Add(every); now.Before(next) {
			return fmt.Sprintf("the live host %s gave no answer since %s (%s); it is tried again after %s",
				w.g.host, hs.Unreachable.UTC().Format(time.RFC3339), hs.UnreachableCause, next.UTC().Format(time.RFC3339))
		}
		w.g.log.Info("trying the live host again", "since", hs.Unreachable.UTC().Format(time.RFC3339), "cause", hs.UnreachableCause)
		return ""
	case errors.Is(liveErr, ErrUnreachable):
		w.rememberUnreachable(liveErr, now)
		return "the live host cannot be reached: " + liveErr.Error()
	case errors.Is(liveErr, ErrUnavailable):
		return "the live host refused us: " + liveErr.Error()
	}
	return ""
}

// rememberUnreachable notes in the host's state that it gave no answer,
// so that the next runs do not spend minutes on retries before falling
// back.
func (w *worker) rememberUnreachable(err error, now time.Time) {
	cause := err.Error()
	var ue *UnreachableError
	if errors.As(err, &ue) {
		cause = ue.Cause
	}
	if uerr := w.c.db.UpdateHostState(w.g.host, func(hs *store.HostState) {
		if hs.Unreachable.IsZero() {
			hs.Unreachable = now
		}
		hs.UnreachableCause, hs.LastProbe = cause, now
	}); uerr != nil {
		w.g.log.Error("cannot record that the host is unreachable", "err", uerr)
	}
}

// keepsFailing is how many failed live fetches in a row make a document
// one that "keeps failing": with wayback.use fallback it is then taken
// from the Wayback Machine (the same count after which retries wait).
const keepsFailing = freeRetries

// failingOnWayback fetches from the Wayback Machine (wayback.use
// fallback) the documents of site that failed live in this run after
// failing on earlier runs too: a page the site no longer serves, or
// serves broken. Nothing is asked of the Wayback Machine when no
// document keeps failing.
func (w *worker) failingOnWayback(ctx context.Context, site Site) error {
	if w.c.opts.Wayback.use() != WaybackFallback || w.ro.ranged() {
		return nil
	}
	ps, err := w.c.db.PendingList(site.Lang)
	if err != nil {
		return err
	}
	var failing []store.Pending
	for _, p := range ps {
		if p.Attempts >= keepsFailing && !p.LastTry.Before(w.start) {
			failing = append(failing, p)
		}
	}
	if len(failing) == 0 {
		return nil
	}
	reason := fmt.Sprintf("%d document(s) keep failing on the live site", len(failing))
	w.g.log.Warn("taking pages from the Wayback Machine", "lang", site.Lang, "reason", reason)
	w.c.stats.addFallback(site.Lang + ": " + reason)
	for i := range failing {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := &failing[i]
		w.g.log.Info("document keeps failing live; trying the Wayback Machine", "lang", site.Lang, "id", p.ID, "attempts", p.Attempts, "last_error", p.LastError)
		if err := w.wayback.fetch(ctx, site, p); err != nil {
			return err
		}
	}
	return nil
}
