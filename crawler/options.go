package crawler

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Site is one host of the site in one language.
type Site struct {
	Lang      string   // "en" or "ru"
	Base      *url.URL // where pages are fetched from (the real host, a mirror, a test server)
	Sections  []string // listing names under /events/president/
	Canonical string   // real host for record URLs ("" = the default for Lang)
	Delay     time.Duration
}

// Options configure a Crawler. cmd builds them from crawl.yaml.
type Options struct {
	Sites     []Site
	UserAgent string

	Jitter        float64       // random extra delay as a share of the effective delay: [0, Jitter×delay)
	MaxJitter     time.Duration // cap of that extra (0 = none)
	Cooldown      time.Duration // first cool-down after a refusal
	MaxCooldown   time.Duration // cap of the doubling cool-downs
	Timeout       time.Duration // total deadline of one request, body included
	Retries       int           // retries of one URL after network errors and 5xx
	Backoff       time.Duration // first retry wait; doubles per attempt
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration // longer Retry-After values end the run with a cool-down
	ThrottleBurst int           // refusals in a row that stop a host
	MaxBody       int64         // largest body accepted (bytes)
	RobotsTTL     time.Duration // robots.txt is refetched after this
	RecentWindow  time.Duration // crawl re-checks listing pages with items this recent
	RetryFailed   time.Duration // first wait before a failed document is retried; doubles
	MaxAttempts   int           // give up a document after this many failed fetches (0 = never)

	DriftThreshold float64 // share of broken pages among the last driftWindow that means drift
	DriftMin       int     // and at least this many

	Proxy              string
	CAFile             string
	AllowRedirectHosts []string

	// Wayback configures the Wayback Machine as a second source of pages.
	Wayback WaybackOptions

	Logger *slog.Logger
}

// WaybackUse says when pages come from the Wayback Machine.
type WaybackUse string

const (
	// WaybackNever: the live site only (also the zero value).
	WaybackNever WaybackUse = "never"
	// WaybackFallback: the live site when it answers; the Wayback Machine
	// when a live host cannot be reached, refuses us (or is in a recorded
	// cool-down), or a document keeps failing live.
	WaybackFallback WaybackUse = "fallback"
	// WaybackOnly: the Wayback Machine only; the live hosts are never
	// contacted.
	WaybackOnly WaybackUse = "only"
)

// WaybackOptions configure the Wayback Machine as a source.
type WaybackOptions struct {
	Use  WaybackUse
	Base *url.URL // https://web.archive.org
	// Delay is the pause between two requests to the playback endpoint
	// (capture fetches); CDXPerMinute caps the calls to the CDX server.
	Delay        time.Duration
	CDXPerMinute int
	// CDXLimit is how many captures one CDX call lists (0: 25,000).
	CDXLimit int
	// Pause429 is the pause after a 429 without Retry-After (0: 60 s).
	Pause429 time.Duration
	// ProbeEvery is how long, with Use fallback, a live host that gave no
	// answer is left alone before it is tried again (0: 6 h).
	ProbeEvery time.Duration
}

func (w *WaybackOptions) use() WaybackUse {
	if w.Use == "" {
		return WaybackNever
	}
	return w.Use
}

func (o *Options) redirectAllowed(host string) bool {
	return slices.ContainsFunc(o.AllowRedirectHosts, func(h string) bool { return strings.EqualFold(h, host) })
}

func (o *Options) validate() error {
	if len(o.Sites) == 0 {
		return fmt.Errorf("no sites configured")
	}
	for _, s := range o.Sites {
		if s.Base == nil || s.Base.Host == "" {
			return fmt.Errorf("site %s: no base URL", s.Lang)
		}
	}
	if o.UserAgent == "" {
		return fmt.Errorf("no user agent")
	}
	if o.Timeout <= 0 || o.MaxBody <= 0 || o.ThrottleBurst < 1 || o.Cooldown <= 0 || o.RobotsTTL <= 0 {
		return fmt.Errorf("options not filled in (timeout, max body, throttle burst, cool-down, robots TTL)")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch o.Wayback.use() {
	case WaybackNever:
	case WaybackFallback, WaybackOnly:
		if o.Wayback.Base == nil || o.Wayback.Base.Host == "" {
			return fmt.Errorf("wayback: no base URL")
		}
		if o.Wayback.CDXPerMinute < 1 {
			return fmt.Errorf("wayback: cdx_per_minute must be at least 1")
		}
	default:
		return fmt.Errorf("wayback: unknown use %q (fallback, only or never)", o.Wayback.Use)
	}
	return nil
}
