package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// gate is the only way requests reach a host. It serialises them (one in
// flight), spaces them (delay + jitter, at least the robots.txt
// Crawl-delay), obeys robots.txt, retries with backoff, honours
// Retry-After, follows redirects it is allowed to, and stops the host for
// the run — recording a cool-down for the next runs — when the site
// refuses us. One gate per host, used by one goroutine.
type gate struct {
	host  string // host:port, the politeness key
	opts  *Options
	delay time.Duration // configured delay for this host
	f     *fetcher
	db    *store.DB
	log   *slog.Logger
	stats *Stats

	robots     map[string]*robotsRules // by origin (scheme://host:port)
	crawlDelay time.Duration           // from robots.txt
	last       time.Time               // end of the last exchange
	pauseUntil time.Time               // extra wait after an error or refusal
	refusals   int                     // consecutive refusals (403, anti-bot pages), kept in the store too
	stored     int                     // the refusal count the store holds
	failStreak int                     // consecutive requests that failed for good
	refused    error                   // set once the host is given up for this run
	own        map[string]bool         // the host's own origins (hostScope); nil = every origin
	badOrigins map[string]error        // other origins found unusable in this run (OriginError)
	hadRefusal bool                    // any refusal this run
	rng        *rand.Rand

	pauseWhy    string // what pauseUntil waits for, for the log
	pauseLogged bool   // the caller logged the pause already
	answered    bool   // the host answered at least once this run

	// archive marks a Wayback Machine endpoint (see archiveAnswer): no
	// robots.txt, captures returned whatever their status, 429s
	// paused for Retry-After (pause429 when absent), doubling on repeats.
	archive     bool
	pause429    time.Duration
	throttles   int  // 429s in a row (archive gates), kept in the store too
	unreachable bool // the store says the last run got no answer from the host
	used        bool // a request was made this run
}

// failStreakLimit is how many documents in a row may fail (network errors,
// 5xx after retries) before the host is considered down for this run.
const failStreakLimit = 8

func newGate(host string, delay time.Duration, f *fetcher, db *store.DB, o *Options, stats *Stats) *gate {
	return &gate{
		host:   host,
		opts:   o,
		delay:  delay,
		f:      f,
		db:     db,
		log:    o.Logger.With("host", host),
		stats:  stats,
		robots: map[string]*robotsRules{},
		rng:    rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(host)))),
	}
}

// open checks the host's recorded cool-down and the time of the last
// request of the previous run, before any request is made.
func (g *gate) open(now time.Time) error {
	hs, err := g.db.HostState(g.host)
	if err != nil {
		return err
	}
	if hs.CooldownUntil.After(now) {
		g.refused = &RefusedError{Host: g.host, Until: hs.CooldownUntil, Reason: "cool-down recorded by an earlier run: " + hs.CooldownReason}
		return g.refused
	}
	// A refusal of the previous run still counts (it may have been killed
	// right after one), with its pause.
	g.refusals, g.stored, g.pauseUntil = hs.Refusals, hs.Refusals, hs.PauseUntil
	g.pauseWhy = "the pause after a refusal recorded by the previous run"
	g.throttles = hs.Throttles
	g.unreachable = !hs.Unreachable.IsZero()
	// The previous run may have been killed without recording its last
	// request: the first request of this run waits a full delay.
	g.last = now
	if hs.LastRequest.After(now) {
		g.last = hs.LastRequest
	}
	return nil
}

// accepted records that the host answered with a real page (or a plain
// answer such as a 404): the refusal count starts again.
func (g *gate) accepted() error {
	g.refusals = 0
	if g.stored == 0 {
		return nil
	}
	g.stored = 0
	return g.db.UpdateHostState(g.host, func(hs *store.HostState) { hs.Refusals, hs.PauseUntil = 0, time.Time{} })
}

// close records what the next run must know: the time of the last
// request, and a reset of the cool-down count after a run the site did
// not refuse.
func (g *gate) close() error {
	if !g.used && !g.hadRefusal {
		return nil // nothing happened that the next run must know
	}
	return g.db.UpdateHostState(g.host, func(hs *store.HostState) {
		if !g.last.IsZero() {
			hs.LastRequest = g.last
		}
		if !g.hadRefusal && hs.CooldownUntil.Before(time.Now()) {
			hs.Cooldowns = 0
		}
	})
}

// effectiveDelay is max(configured delay, robots.txt Crawl-delay).
func (g *gate) effectiveDelay() time.Duration { return max(g.delay, g.crawlDelay) }

// jitter is the random extra pause before a request: up to Jitter (a
// share) of the effective delay, at most MaxJitter. A delay of 0 (a local
// mirror) has none.
func (g *gate) jitter() time.Duration {
	j := time.Duration(g.opts.Jitter * float64(g.effectiveDelay()))
	if g.opts.MaxJitter > 0 {
		j = min(j, g.opts.MaxJitter)
	}
	if j <= 0 {
		return 0
	}
	return time.Duration(g.rng.Int64N(int64(j)))
}

// longWait is the wait worth telling the operator about at info level (a
// variable for tests).
var longWait = 10 * time.Second

// wait blocks until the next request may start. A pause longer than
// longWait (a backoff, a Retry-After, a refusal) is logged with what is
// awaited and until when; the regular delay only at debug level.
func (g *gate) wait(ctx context.Context) error {
	next := g.pauseUntil
	why := g.pauseWhy
	if !g.last.IsZero() {
		d := g.effectiveDelay() + g.jitter()
		if t := g.last.Add(d); t.After(next) {
			next, why = t, ""
		}
	}
	if d := time.Until(next); d > longWait && why != "" && !g.pauseLogged {
		g.log.Info("waiting before the next request", "for", why, "wait", d.Round(time.Second), "until", next.Format(time.RFC3339))
	} else if d > 0 {
		g.log.Debug("waiting before the next request", "wait", d.Round(time.Millisecond))
	}
	g.pauseLogged = false
	return sleepUntil(ctx, next)
}

// exchange makes one request, after waiting for its turn.
func (g *gate) exchange(ctx context.Context, u string) (*store.Raw, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	g.used = true
	slow := g.slowNotice(u, start)
	raw, err := g.f.get(ctx, u, g.opts.Timeout)
	slow.Stop()
	g.last = time.Now()
	err = g.proxyRefused(err)
	sent := max(g.f.capture.sentTimes(), 1)
	if sent > 1 {
		g.log.Info("the connection kept from the previous request was closed by the server; net/http sent the request again on a new one", "url", u, "sent", sent)
	}
	g.stats.Requests.Add(int64(sent))
	status := 0
	if raw != nil {
		g.stats.Bytes.Add(int64(len(raw.Body)))
		status = raw.Status
	}
	if raw != nil {
		g.answered = true
	}
	g.log.Debug("fetch", "url", u, "status", status, "dur", time.Since(start).Round(time.Millisecond), "err", err)
	if raw != nil && g.unreachable {
		// The host answers again: later runs try it first.
		g.unreachable = false
		if err := g.db.UpdateHostState(g.host, func(hs *store.HostState) { hs.Unreachable, hs.UnreachableCause = time.Time{}, "" }); err != nil {
			return nil, err
		}
		g.log.Info("the host answers again")
	}
	return raw, err
}

// slowNotice logs, at info level, a request still without an answer after
// longWait, with the time the gate gives up on it. Stop the returned
// timer when the exchange ends.
func (g *gate) slowNotice(u string, start time.Time) *time.Timer {
	return time.AfterFunc(longWait, func() {
		g.log.Info("no answer yet; still waiting", "url", u, "waited", longWait, "gives_up_at", start.Add(g.opts.Timeout).Format(time.RFC3339))
	})
}

// backoff pauses the host before the next attempt: base × 2^(attempt-1),
// capped, with up to 25% jitter.
func (g *gate) backoff(attempt int) time.Duration {
	d := g.opts.Backoff
	for i := 1; i < attempt && d < g.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, g.opts.MaxBackoff)
	if d > 0 {
		d += time.Duration(g.rng.Int64N(int64(d)/4 + 1))
	}
	g.pause(d, "the retry backoff")
	return d
}

// pause keeps the host idle for d; why says what is awaited (for the log
// of long waits).
func (g *gate) pause(d time.Duration, why string) {
	if t := time.Now().Add(d); t.After(g.pauseUntil) {
		g.pauseUntil, g.pauseWhy = t, why
	}
}

// announced notes that the caller has just logged the current pause with
// its end: wait does not log it again.
func (g *gate) announced() { g.pauseLogged = true }

// until is the end of the current pause, for logs.
func (g *gate) until() string { return g.pauseUntil.Format(time.RFC3339) }

// get fetches u and returns a 2xx response, following allowed redirects.
// A *StatusError, *NetError, *TooLargeError or *RedirectError is a failure
// of this URL only; an error wrapping ErrUnavailable means the host is
// done for this run; ErrDisallowed means robots.txt forbids the URL.
func (g *gate) get(ctx context.Context, u *url.URL) (*store.Raw, error) {
	if g.refused != nil {
		return nil, g.refused
	}
	attempt, hops := 0, 0
	cur := u
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !g.archive {
			rules, err := g.rules(ctx, cur)
			if err != nil {
				if cur != u && !hostStopped(err) {
					err = fmt.Errorf("GET %s redirected to %s: %w", u, cur, err)
				}
				return nil, err
			}
			if !rules.allowed(robotsPath(cur), g.opts.UserAgent) {
				return nil, fmt.Errorf("%s: %w", cur, ErrDisallowed)
			}
		}
		raw, err := g.exchange(ctx, cur.String())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var tl *TooLargeError
			if errors.As(err, &tl) || hostStopped(err) {
				return nil, err
			}
			attempt++
			if attempt > g.opts.Retries {
				if !g.ownOrigin(originOf(cur)) {
					// Another origin a redirect led to: this document's
					// failure, not a sign that the host is down.
					return nil, fmt.Errorf("GET %s redirected to %s: %w", u, cur, &OriginError{Origin: originOf(cur), Err: err})
				}
				return nil, g.failed(err)
			}
			g.stats.Retries.Add(1)
			d := g.backoff(attempt)
			g.log.Info("retrying after a failed exchange", "url", cur.String(), "err", err, "cause", netCause(err), "attempt", attempt, "of", g.opts.Retries, "wait", d.Round(time.Millisecond), "until", g.until())
			g.announced()
			continue
		}
		st := raw.Status
		if g.archive {
			done, err := g.archiveAnswer(raw)
			if done || err != nil {
				return raw, err
			}
			if st == http.StatusTooManyRequests {
				continue // paused; ask again
			}
		}
		switch {
		case st >= 200 && st < 300:
			// The refusal count is reset by the caller once the body turns
			// out to be the page: an anti-bot wall answers 200 too.
			g.failStreak = 0
			return raw, nil
		case isRedirect(st):
			hops++
			next, err := g.redirectTarget(cur, raw.Header.Get("Location"), hops)
			if err != nil {
				return nil, g.failed(err)
			}
			g.log.Debug("redirect", "from", cur.String(), "to", next.String(), "status", st)
			cur = next
			continue
		case st == http.StatusForbidden:
			g.stats.Throttled.Add(1)
			if err := g.refusal(fmt.Sprintf("HTTP 403 for %s", cur)); err != nil {
				return nil, err
			}
			return nil, &StatusError{URL: cur.String(), Status: st}
		case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
			g.stats.Throttled.Add(1)
			ra, hasRA := retryAfter(raw.Header, time.Now())
			if hasRA && ra > g.opts.MaxRetryAfter {
				return nil, g.coolDown(fmt.Sprintf("HTTP %d with Retry-After %s", st, ra.Round(time.Second)), time.Now().Add(ra))
			}
			attempt++
			if attempt > g.opts.Retries {
				if st == http.StatusTooManyRequests {
					return nil, g.coolDown(fmt.Sprintf("HTTP 429 on %d attempts", attempt), time.Time{})
				}
				return nil, g.failed(&StatusError{URL: cur.String(), Status: st})
			}
			g.stats.Retries.Add(1)
			var wait time.Duration
			if hasRA {
				wait = ra
				g.pause(ra, fmt.Sprintf("the Retry-After of an HTTP %d", st))
			} else {
				wait = g.backoff(attempt)
			}
			g.log.Info("site asked us to wait", "url", cur.String(), "status", st, "retry_after", hasRA, "wait", wait.Round(time.Millisecond), "until", g.until(), "attempt", attempt, "of", g.opts.Retries)
			g.announced()
			continue
		case st >= 500:
			attempt++
			if attempt > g.opts.Retries {
				return nil, g.failed(&StatusError{URL: cur.String(), Status: st})
			}
			g.stats.Retries.Add(1)
			d := g.backoff(attempt)
			g.log.Info("retrying after a server error", "url", cur.String(), "status", st, "attempt", attempt, "of", g.opts.Retries, "wait", d.Round(time.Millisecond), "until", g.until())
			g.announced()
			continue
		default:
			// 404, 410 and other answers about this URL: not a refusal,
			// not worth retrying now.
			g.failStreak = 0
			if err := g.accepted(); err != nil {
				return nil, err
			}
			return nil, &StatusError{URL: cur.String(), Status: st}
		}
	}
}

// archiveAnswer handles the answers of a Wayback Machine endpoint that
// differ from a site's. A response carrying Memento-Datetime is a
// capture: whatever its status (a captured 404 or 500, a captured
// redirect), it is the Archive's answer about that capture, returned to
// the caller and never retried. So are the Archive's own redirects to
// the nearest capture (the caller decides whether to follow them), its
// 404 (nothing archived there) and 403 (excluded from playback): answers
// about a URL, not refusals of us. A 429 pauses the endpoint for its
// Retry-After (pause429 when absent), doubled for each 429 in a row, the
// pause kept in the store so that no later run asks before it has passed;
// a pause longer than max_retry_after stops the endpoint for the run with
// a cool-down until its end. done reports that the gate returns raw as
// it is; otherwise the ordinary handling (retries of 5xx) goes on.
func (g *gate) archiveAnswer(raw *store.Raw) (done bool, err error) {
	st := raw.Status
	if st != http.StatusTooManyRequests {
		if g.throttles > 0 {
			g.throttles = 0
			if err := g.db.UpdateHostState(g.host, func(hs *store.HostState) { hs.Throttles = 0 }); err != nil {
				return true, err
			}
		}
		switch {
		case raw.Header.Get("Memento-Datetime") != "", isRedirect(st), st == http.StatusNotFound, st == http.StatusForbidden, st == http.StatusGone:
			g.failStreak = 0
			if st >= 400 {
				return true, &StatusError{URL: raw.URL, Status: st}
			}
			return true, nil
		}
		return false, nil
	}
	g.stats.Throttled.Add(1)
	g.throttles++
	base := g.pause429
	if base <= 0 {
		base = defaultPause429
	}
	if ra, ok := retryAfter(raw.Header, time.Now()); ok && ra > 0 {
		base = ra
	}
	pause := base
	for i := 1; i < g.throttles && pause < 24*time.Hour; i++ {
		pause *= 2
	}
	until := time.Now().Add(pause)
	if pause > g.opts.MaxRetryAfter {
		return true, g.coolDown(fmt.Sprintf("HTTP 429 Too Many Requests, %d in a row: pausing %s", g.throttles, pause.Round(time.Second)), until)
	}
	g.pause(pause, "the pause the Wayback Machine asked for (HTTP 429)")
	g.log.Warn("the Wayback Machine asked us to slow down; pausing this endpoint", "url", raw.URL, "pause", pause.Round(time.Millisecond), "in_a_row", g.throttles, "until", until.UTC().Format(time.RFC3339))
	g.announced()
	err = g.db.UpdateHostState(g.host, func(hs *store.HostState) {
		hs.Throttles, hs.PauseUntil, hs.LastRefusal, hs.LastRequest = g.throttles, g.pauseUntil, time.Now(), g.last
		hs.CooldownReason = "HTTP 429 Too Many Requests"
	})
	return false, err
}

// defaultPause429 is the pause after a 429 of the Wayback Machine that
// says nothing of how long to wait: its staff block an address at the
// firewall when 429s go on for a minute.
const defaultPause429 = 60 * time.Second

// failed counts a URL that failed for good and gives the host up when
// too many fail in a row. When the last of them got no answer at all (a
// network error), the host is unreachable: nothing is recorded, the next
// run tries again. Otherwise the site answered with errors (5xx) and the
// host cools down.
func (g *gate) failed(err error) error {
	g.failStreak++
	var ne *NetError
	noAnswer := errors.As(err, &ne) && !ne.Truncated
	if noAnswer && !g.answered {
		// Not one answer from this host in this run (robots.txt came from
		// the archive): it is unreachable, not just this URL.
		g.refused = &UnreachableError{Host: g.host, Cause: netCause(err), Err: err}
		g.log.Warn("the host does not answer; stopping it for this run", "cause", netCause(err), "err", err)
		return g.refused
	}
	if g.failStreak < failStreakLimit {
		return err
	}
	if noAnswer {
		g.refused = &UnreachableError{Host: g.host, Cause: fmt.Sprintf("%d requests in a row got no answer, the last: %s", g.failStreak, netCause(err)), Err: err}
		g.log.Warn("the host does not answer; stopping it for this run", "cause", netCause(err), "err", err)
		return g.refused
	}
	return g.coolDown(fmt.Sprintf("%d requests in a row failed, the last with: %v", g.failStreak, err), time.Time{})
}

// refusal counts one refusal (a 403, an anti-bot page). A burst of
// throttle_burst refusals in a row stops the host and records a
// cool-down; a single one pauses the host before the next request.
func (g *gate) refusal(reason string) error {
	g.refusals++
	g.hadRefusal = true
	if g.refusals >= g.opts.ThrottleBurst {
		return g.coolDown(fmt.Sprintf("%d refusals in a row, the last: %s", g.refusals, reason), time.Time{})
	}
	g.pause(max(g.opts.Backoff, g.effectiveDelay()), "a pause after a refusal")
	g.log.Warn("the site refused one request; pausing before the next", "reason", reason, "until", g.until())
	g.announced()
	// Keep the count and the pause in the store: a run started right after
	// this one was killed must not make more than one more request.
	g.stored = g.refusals
	return g.db.UpdateHostState(g.host, func(hs *store.HostState) {
		hs.Refusals, hs.PauseUntil, hs.LastRefusal, hs.LastRequest = g.refusals, g.pauseUntil, time.Now(), g.last
	})
}

// coolDown gives the host up for this run and records until when later
// runs must stay away: cooldown × 2^(n-1) for the n-th cool-down in a
// row, capped at max_cooldown, and never before atLeast.
func (g *gate) coolDown(reason string, atLeast time.Time) error {
	now := time.Now()
	var until time.Time
	err := g.db.UpdateHostState(g.host, func(hs *store.HostState) {
		hs.Cooldowns++
		d := g.opts.Cooldown
		for i := 1; i < hs.Cooldowns && d < g.opts.MaxCooldown; i++ {
			d *= 2
		}
		d = min(d, g.opts.MaxCooldown)
		until = now.Add(d)
		if atLeast.After(until) {
			until = atLeast
		}
		hs.CooldownUntil = until
		hs.CooldownReason = reason
		hs.LastRefusal = now
		hs.LastRequest = g.last
		hs.Refusals, hs.PauseUntil = 0, time.Time{} // the cool-down replaces them
	})
	g.hadRefusal = true
	if err != nil {
		g.refused = fmt.Errorf("record cool-down of %s: %w", g.host, err)
		return g.refused
	}
	g.refused = &RefusedError{Host: g.host, Until: until, Reason: reason}
	g.log.Warn("the site refused us; stopping this host and cooling down", "reason", reason, "until", until.UTC().Format(time.RFC3339))
	return g.refused
}

func isRedirect(st int) bool {
	switch st {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

const maxRedirects = 5

// redirectTarget checks a redirect: same host name (any scheme or port),
// or a host listed in allow_redirect_hosts.
func (g *gate) redirectTarget(cur *url.URL, loc string, hops int) (*url.URL, error) {
	if loc == "" {
		return nil, &RedirectError{URL: cur.String(), Reason: "redirect without a Location header"}
	}
	next, err := cur.Parse(loc)
	if err != nil {
		return nil, &RedirectError{URL: cur.String(), Location: loc, Reason: err.Error()}
	}
	next.Fragment = ""
	if next.Scheme != "http" && next.Scheme != "https" {
		return nil, &RedirectError{URL: cur.String(), Location: loc, Reason: "not an http(s) URL"}
	}
	if hops > maxRedirects {
		return nil, &RedirectError{URL: cur.String(), Location: loc, Reason: fmt.Sprintf("more than %d redirects", maxRedirects)}
	}
	if !strings.EqualFold(next.Hostname(), cur.Hostname()) && !g.opts.redirectAllowed(next.Hostname()) {
		return nil, &RedirectError{URL: cur.String(), Location: next.String(), Reason: "another host; add it to allow_redirect_hosts in crawl.yaml to follow such redirects"}
	}
	return next, nil
}

// retryAfter parses Retry-After in both of its forms (seconds, HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleepUntil waits until t or until ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Stats are the run's counters, updated as it goes (safe to read from
// another goroutine).
type Stats struct {
	Requests  atomic.Int64
	Bytes     atomic.Int64
	Throttled atomic.Int64
	Retries   atomic.Int64

	New       atomic.Int64
	Updated   atomic.Int64
	Unchanged atomic.Int64
	Failed    atomic.Int64
	Listings  atomic.Int64
	Warnings  atomic.Int64
	Skipped   atomic.Int64 // disallowed by robots.txt

	// The Wayback Machine: CDX calls and capture requests made, documents
	// stored from it, and why the run fell back to it.
	CDXCalls        atomic.Int64
	CaptureRequests atomic.Int64
	FromWayback     atomic.Int64
	fallbackMu      sync.Mutex
	fallback        []string

	// Progress of the walks with a planned end (see progress.go): listing
	// pages walked, pages to walk (declared by the listings, or recorded by
	// their previous walk until their first page is read), and planned
	// walks of listings whose size is not known yet.
	PagesTotal atomic.Int64
	PagesDone  atomic.Int64
	Walks      atomic.Int64 // planned walks
	Unsized    atomic.Int64 // of which not sized yet
}

// addFallback records why a site's pages came from the Wayback Machine.
func (s *Stats) addFallback(reason string) {
	s.fallbackMu.Lock()
	s.fallback = append(s.fallback, reason)
	s.fallbackMu.Unlock()
}

// Fallback says why the run took pages from the Wayback Machine (one
// reason per site, "; "-separated), "" when it did not.
func (s *Stats) Fallback() string {
	s.fallbackMu.Lock()
	defer s.fallbackMu.Unlock()
	return strings.Join(s.fallback, "; ")
}
