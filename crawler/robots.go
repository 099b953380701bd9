package crawler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// robotsMaxBytes is how much of a robots.txt is parsed (RFC 9309 §2.5:
// at least 500 KiB).
const robotsMaxBytes = 500 << 10

// robotsMaxRedirects is how many redirects of /robots.txt are followed
// (RFC 9309 §2.3.1.2: at least five).
const robotsMaxRedirects = 5

// robotsRules is one host's robots.txt, parsed, as the gate uses it.
type robotsRules struct {
	data       *robotstxt.RobotsData
	crawlDelay time.Duration
	fetchedAt  time.Time
	status     int
	note       string // what happened, for logs ("404: no robots.txt, all allowed")
}

func (r *robotsRules) allowed(path, agent string) bool {
	return r.data.TestAgent(path, agent)
}

// rulesFromResponse turns a robots.txt response into rules following RFC
// 9309: 2xx is parsed (leniently), 4xx means "no robots.txt: allow all".
// Other statuses (5xx, 429) are not handled here: the caller treats them
// as "unreachable" (complete disallow, retry later).
func rulesFromResponse(status int, body []byte, agent string, at time.Time) *robotsRules {
	r := &robotsRules{fetchedAt: at, status: status}
	switch {
	case status >= 200 && status < 300:
		if len(body) > robotsMaxBytes {
			body = body[:robotsMaxBytes]
		}
		data, dropped := parseRobotsLenient(body)
		r.data = data
		r.note = fmt.Sprintf("%d: robots.txt parsed", status)
		if dropped > 0 {
			r.note += fmt.Sprintf(" (%d unparseable lines ignored)", dropped)
		}
	default: // 4xx
		r.data, _ = robotstxt.FromStatusAndBytes(404, nil)
		r.note = fmt.Sprintf("%d: no robots.txt, everything allowed", status)
	}
	if g := r.data.FindGroup(agent); g != nil {
		r.crawlDelay = g.CrawlDelay
	}
	return r
}

// parseRobotsLenient parses robots.txt, dropping lines temoto/robotstxt
// rejects (rules before any User-agent, "Crawl-delay: 2s", bad patterns)
// instead of failing the whole file. It returns how many lines it dropped.
func parseRobotsLenient(body []byte) (*robotstxt.RobotsData, int) {
	if data, err := robotstxt.FromBytes(body); err == nil {
		return data, 0
	}
	var out bytes.Buffer
	dropped := 0
	sawAgent := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), robotsMaxBytes)
	for sc.Scan() {
		line := sc.Text()
		content := line
		if i := strings.IndexByte(content, '#'); i >= 0 {
			content = content[:i]
		}
		key, val, ok := strings.Cut(content, ":")
		if !ok {
			if strings.TrimSpace(content) != "" {
				dropped++
			}
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "user-agent", "useragent":
			sawAgent = true
		case "allow", "disallow":
			if !sawAgent {
				dropped++
				continue
			}
		case "crawl-delay", "crawldelay":
			if !sawAgent {
				dropped++
				continue
			}
			v := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(val), "seconds"), "s")
			if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				dropped++
				continue
			}
			val = strings.TrimSpace(v)
		}
		// Keep the line only if it parses on its own under a dummy group.
		probe := "User-agent: probe\n" + key + ": " + val + "\n"
		if key == "user-agent" || key == "useragent" {
			probe = key + ": " + val + "\nDisallow:\n"
		}
		if _, err := robotstxt.FromString(probe); err != nil {
			dropped++
			continue
		}
		out.WriteString(key + ": " + val + "\n")
	}
	data, err := robotstxt.FromBytes(out.Bytes())
	if err != nil {
		// Cannot happen with the filtering above; be safe: allow all, as
		// for a robots.txt without usable rules.
		data, _ = robotstxt.FromStatusAndBytes(404, nil)
	}
	return data, dropped
}

// robotsPath is the part of u robots.txt rules match: path and query.
func robotsPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// rules returns the robots.txt rules for u's origin: from memory, from
// the copy the previous run stored (when younger than robots_ttl), or
// fetched now through the gate. An error wrapping ErrUnavailable means
// robots.txt cannot be read: the host is treated as fully disallowed and
// given up for this run (RFC 9309 §2.3.1.3-4).
func (g *gate) rules(ctx context.Context, u *url.URL) (*robotsRules, error) {
	origin := u.Scheme + "://" + u.Host
	robotsURL := origin + "/robots.txt"
	now := time.Now()
	if r := g.robots[origin]; r != nil && now.Sub(r.fetchedAt) < g.opts.RobotsTTL {
		return r, nil
	}
	if err := g.badOrigins[origin]; err != nil {
		return nil, err
	}
	if g.robots[origin] == nil {
		hs, err := g.db.HostState(g.host)
		if err != nil {
			return nil, err
		}
		if c := hs.Robots; c != nil && c.URL == robotsURL && now.Sub(c.FetchedAt) < g.opts.RobotsTTL && c.Status >= 200 && c.Status < 500 && c.Status != 429 {
			r := rulesFromResponse(c.Status, c.Body, g.opts.UserAgent, c.FetchedAt)
			g.useRules(origin, r, "stored")
			return r, nil
		}
	}
	r, err := g.fetchRobots(ctx, robotsURL)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !g.ownOrigin(origin) {
			return nil, g.foreignFailed(origin, err)
		}
		if g.refused == nil {
			g.refused = err
		}
		return nil, err
	}
	g.useRules(origin, r, "fetched")
	return r, nil
}

func (g *gate) useRules(origin string, r *robotsRules, how string) {
	g.robots[origin] = r
	if r.crawlDelay > g.crawlDelay {
		g.crawlDelay = r.crawlDelay
	}
	attrs := []any{"origin", origin, "how", how, "status", r.status, "note", r.note}
	if r.crawlDelay > 0 {
		attrs = append(attrs, "crawl_delay", r.crawlDelay, "effective_delay", g.effectiveDelay())
	}
	g.log.Info("robots.txt", attrs...)
}

// fetchRobots fetches and interprets robots.txt, following up to five
// redirects (to any host), retrying network errors and 5xx with backoff.
func (g *gate) fetchRobots(ctx context.Context, robotsURL string) (*robotsRules, error) {
	cur, err := url.Parse(robotsURL)
	if err != nil {
		return nil, err
	}
	attempt, hops := 0, 0
	for {
		raw, err := g.exchange(ctx, cur.String())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if hostStopped(err) {
				return nil, err // the proxy refuses us (exchange)
			}
			attempt++
			if attempt > g.opts.Retries {
				cause := netCause(err)
				if pe := (*ProxyError)(nil); !errors.As(err, &pe) {
					cause = "robots.txt: " + cause // (a proxy's failure is not about robots.txt)
				}
				return nil, &UnreachableError{Host: g.host, Cause: cause, Err: err}
			}
			g.stats.Retries.Add(1)
			d := g.backoff(attempt)
			g.log.Info("retrying robots.txt after a failed exchange", "url", cur.String(), "err", err, "cause", netCause(err), "attempt", attempt, "of", g.opts.Retries, "wait", d.Round(time.Millisecond), "until", g.until())
			g.announced()
			continue
		}
		st := raw.Status
		switch {
		case isRedirect(st):
			hops++
			next, perr := cur.Parse(raw.Header.Get("Location"))
			if hops > robotsMaxRedirects || perr != nil || (next.Scheme != "http" && next.Scheme != "https") {
				// RFC 9309 §2.3.1.2: past five redirects, robots.txt is unavailable.
				r := rulesFromResponse(404, nil, g.opts.UserAgent, time.Now())
				r.note = fmt.Sprintf("%d redirects: treated as no robots.txt", hops)
				return r, nil
			}
			cur = next
			continue
		case st == http.StatusTooManyRequests:
			g.stats.Throttled.Add(1)
			ra, hasRA := retryAfter(raw.Header, time.Now())
			attempt++
			if attempt > g.opts.Retries || (hasRA && ra > g.opts.MaxRetryAfter) {
				return nil, g.coolDown("robots.txt answered 429 Too Many Requests", time.Now().Add(ra))
			}
			wait := ra
			if hasRA {
				g.pause(ra, "the Retry-After of robots.txt's HTTP 429")
			} else {
				wait = g.backoff(attempt)
			}
			g.log.Info("robots.txt answered 429; waiting", "url", cur.String(), "wait", wait.Round(time.Millisecond), "until", g.until(), "attempt", attempt, "of", g.opts.Retries)
			g.announced()
			continue
		case st >= 500 || st < 200:
			attempt++
			if attempt > g.opts.Retries {
				return nil, &RobotsError{Host: g.host, Status: st, Err: fmt.Errorf("HTTP %d", st)}
			}
			g.stats.Retries.Add(1)
			d := g.backoff(attempt)
			g.log.Info("retrying robots.txt after a server error", "url", cur.String(), "status", st, "attempt", attempt, "of", g.opts.Retries, "wait", d.Round(time.Millisecond), "until", g.until())
			g.announced()
			continue
		}
		body, derr := payload(raw, robotsMaxBytes, true)
		if tl := (*TooLargeError)(nil); errors.As(derr, &tl) {
			derr = nil // RFC 9309 §2.5: rules past the first 500 KiB may be ignored
		}
		if derr != nil {
			return nil, &RobotsError{Host: g.host, Status: st, Err: derr}
		}
		r := rulesFromResponse(st, body, g.opts.UserAgent, raw.FetchedAt)
		if st == http.StatusForbidden || st == http.StatusUnauthorized {
			// RFC 9309: no robots.txt, everything allowed. But 403 is also
			// this site's throttle signal: count it as a refusal, and do not
			// keep the answer for later runs.
			g.stats.Throttled.Add(1)
			if err := g.refusal(fmt.Sprintf("HTTP %d for %s", st, robotsURL)); err != nil {
				return nil, err
			}
			return r, nil
		}
		if !g.ownOrigin(strings.TrimSuffix(robotsURL, "/robots.txt")) {
			return r, nil // the store keeps the host's own robots.txt only
		}
		if err := g.db.UpdateHostState(g.host, func(hs *store.HostState) {
			hs.Robots = &store.RobotsCopy{URL: robotsURL, Status: st, Body: body, FetchedAt: raw.FetchedAt}
		}); err != nil {
			return nil, err
		}
		return r, nil
	}
}
