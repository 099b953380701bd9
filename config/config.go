// Package config reads crawl.yaml: the archive location, the sites to
// crawl and the politeness settings. Parsing is strict: an unknown key or
// a bad value is an error that names the field path (sites[1].base_url).
//
// The engine never sees this type; cmd turns it into crawler.Options.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
)

// Config is the whole of crawl.yaml. Zero values are never used directly:
// Default fills every field and a file overrides what it names.
type Config struct {
	DB        string   `yaml:"db"`
	UserAgent string   `yaml:"user_agent"`
	Delay     Duration `yaml:"delay"`
	Jitter    Jitter   `yaml:"jitter"`
	Cooldown  Duration `yaml:"cooldown"`

	MaxCooldown    Duration `yaml:"max_cooldown"`
	Timeout        Duration `yaml:"timeout"`
	Retries        int      `yaml:"retries"`
	Backoff        Duration `yaml:"backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
	MaxRetryAfter  Duration `yaml:"max_retry_after"`
	ThrottleBurst  int      `yaml:"throttle_burst"`
	MaxBody        ByteSize `yaml:"max_body"`
	RobotsTTL      Duration `yaml:"robots_ttl"`
	RecentWindow   Duration `yaml:"recent_window"`
	RetryFailed    Duration `yaml:"retry_failed"`
	MaxAttempts    int      `yaml:"max_attempts"`
	DriftThreshold float64  `yaml:"drift_threshold"`
	DriftMin       int      `yaml:"drift_min"`
	// GroupCommit is how long documents stored in quick succession may
	// share one commit (0 = each document is committed and synced on its
	// own); see store.Options.GroupCommit.
	GroupCommit Duration `yaml:"group_commit"`

	Proxy              string   `yaml:"proxy"`
	CAFile             string   `yaml:"ca_file"`
	AllowRedirectHosts []string `yaml:"allow_redirect_hosts"`

	Sites []Site `yaml:"sites"`

	// Wayback configures the Internet Archive's Wayback Machine as a
	// second source of raw pages.
	Wayback Wayback `yaml:"wayback"`
}

// Wayback is the `wayback:` section: when and how pages are taken from
// the Internet Archive's Wayback Machine.
type Wayback struct {
	// Use is WaybackFallback (the live site when it answers, the Wayback
	// Machine when it does not), WaybackOnly (never contact the live
	// hosts) or WaybackNever (the live site only).
	Use string `yaml:"use"`
	// BaseURL is the Wayback Machine (https://web.archive.org).
	BaseURL string `yaml:"base_url"`
	// Delay is the pause between capture fetches.
	Delay Duration `yaml:"delay"`
	// CDXPerMinute caps the calls to the CDX index server.
	CDXPerMinute int `yaml:"cdx_per_minute"`
}

// Values of wayback.use (and of the --wayback flag).
const (
	WaybackFallback = "fallback"
	WaybackOnly     = "only"
	WaybackNever    = "never"
)

// DefaultWaybackBase is the Internet Archive's Wayback Machine.
const DefaultWaybackBase = "https://web.archive.org"

// Politeness floors for the Internet Archive's own hosts (archive.org):
// its staff ask for at most 60 CDX calls a minute (averaged over 5
// minutes) and block addresses that ignore 429s. Test servers and other
// replay systems may be faster.
const (
	MinArchiveDelay        = time.Second
	MaxArchiveCDXPerMinute = 60
)

// Site is one host of the site in one language.
type Site struct {
	Lang     string   `yaml:"lang"`
	BaseURL  string   `yaml:"base_url"`
	Sections []string `yaml:"sections"`
	// Canonical is the real host the records name in their url field
	// (http://en.kremlin.ru, http://kremlin.ru); set it only for a mirror
	// of some other site.
	Canonical string `yaml:"canonical_url"`
	// Delay overrides the global delay for this host.
	Delay *Duration `yaml:"delay"`
}

// The real hosts. They are defaults, never constants of the engine.
const (
	DefaultBaseEN = "http://en.kremlin.ru"
	DefaultBaseRU = "http://kremlin.ru"
)

// DefaultUserAgent names the program and a contact, product token first so
// robots.txt groups for "kremlin-archive" match it.
const DefaultUserAgent = "kremlin-archive/1.0 (+https://github.com/kremlin-archive/kremlin-archive; research archive)"

// MinRealSiteDelay is the smallest delay accepted for the real kremlin.ru
// hosts. Shorter delays are for local mirrors and test servers only.
const MinRealSiteDelay = 2 * time.Second

// Default returns the built-in configuration for the real site.
func Default() *Config {
	return &Config{
		DB:             "kremlin.db",
		UserAgent:      DefaultUserAgent,
		Delay:          Duration(10 * time.Second),
		Jitter:         Jitter{Share: DefaultJitterShare},
		Cooldown:       Duration(30 * time.Minute),
		MaxCooldown:    Duration(24 * time.Hour),
		Timeout:        Duration(60 * time.Second),
		Retries:        3,
		Backoff:        Duration(10 * time.Second),
		MaxBackoff:     Duration(5 * time.Minute),
		MaxRetryAfter:  Duration(10 * time.Minute),
		ThrottleBurst:  2,
		MaxBody:        ByteSize(32 << 20),
		RobotsTTL:      Duration(24 * time.Hour),
		RecentWindow:   Duration(7 * 24 * time.Hour),
		RetryFailed:    Duration(time.Hour),
		MaxAttempts:    0,
		DriftThreshold: 0.5,
		DriftMin:       10,
		GroupCommit:    Duration(time.Second),
		Sites: []Site{
			{Lang: "en", BaseURL: DefaultBaseEN, Sections: []string{"news", "transcripts"}},
			{Lang: "ru", BaseURL: DefaultBaseRU, Sections: []string{"news", "transcripts"}},
		},
		Wayback: Wayback{
			Use:          WaybackFallback,
			BaseURL:      DefaultWaybackBase,
			Delay:        Duration(2 * time.Second),
			CDXPerMinute: 20,
		},
	}
}

// ErrNotFound is returned by Load when an explicitly named file is missing.
var ErrNotFound = errors.New("config file not found")

// Load reads the file at path over the defaults. When explicit is false
// and the file does not exist, the defaults are returned unchanged.
func Load(path string, explicit bool) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			c := Default()
			return c, c.Validate()
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
		}
		return nil, err
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, prefixErr(path, err)
	}
	return c, nil
}

// MaxFileBytes caps the size of crawl.yaml. A configuration is a few
// kilobytes; anything near this is the wrong file, and is refused before
// it is read whole.
const MaxFileBytes = 1 << 20

// Parse reads YAML over the defaults and validates the result. At most
// MaxFileBytes are read: a larger input is an error.
func Parse(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, &FieldError{Msg: fmt.Sprintf("larger than %d bytes (1 MiB): a configuration is a few kilobytes; check that --config names crawl.yaml and not another file", MaxFileBytes)}
	}
	c := Default()
	// Report decoding and validation problems together: one run of the
	// program shows everything there is to fix.
	if err := errors.Join(decodeStrict(data, c), c.Validate()); err != nil {
		return nil, err
	}
	return c, nil
}

// FieldError is one problem with one field.
type FieldError struct {
	Field string // path such as "sites[1].base_url"; "" for the whole file
	Line  int    // 0 when unknown
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg // about the whole file
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Field, e.Line, e.Msg)
	}
	return e.Field + ": " + e.Msg
}

func prefixErr(path string, err error) error {
	return fmt.Errorf("%s: %w", path, err)
}

// Validate checks every value and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		// Messages quote values such as the proxy URL: never with its password.
		errs = append(errs, &FieldError{Field: field, Msg: redact.Secrets(fmt.Sprintf(format, args...))})
	}
	if strings.TrimSpace(c.DB) == "" {
		bad("db", "must name a file")
	}
	if ua := strings.TrimSpace(c.UserAgent); ua == "" {
		bad("user_agent", "must not be empty (the site refuses requests without one)")
	} else if !strings.Contains(ua, "http://") && !strings.Contains(ua, "https://") && !strings.Contains(ua, "@") {
		bad("user_agent", "must contain a contact URL or e-mail address so the site's operators can reach you (got %q)", ua)
	}
	nonNeg := func(field string, d Duration) {
		if d < 0 {
			bad(field, "must not be negative (got %s)", d)
		}
	}
	positive := func(field string, d Duration) {
		if d <= 0 {
			bad(field, "must be positive (got %s)", d)
		}
	}
	nonNeg("delay", c.Delay)
	nonNeg("group_commit", c.GroupCommit)
	if c.GroupCommit > Duration(time.Minute) {
		bad("group_commit", "must be at most 1m: a power loss may lose the documents of the last group, which are then fetched again (got %s)", c.GroupCommit)
	}
	if c.Jitter.Share < 0 || c.Jitter.Share > 1 {
		bad("jitter", "must be a share of the delay between 0 and 1 such as 0.5 or 50%% (got %v); an absolute cap is written as a duration such as 5s", c.Jitter.Share)
	}
	nonNeg("jitter", c.Jitter.Max)
	positive("cooldown", c.Cooldown)
	if c.MaxCooldown < c.Cooldown {
		bad("max_cooldown", "must be at least cooldown (%s), got %s", c.Cooldown, c.MaxCooldown)
	}
	positive("timeout", c.Timeout)
	if c.Retries < 0 || c.Retries > 20 {
		bad("retries", "must be between 0 and 20 (got %d)", c.Retries)
	}
	nonNeg("backoff", c.Backoff)
	if c.MaxBackoff < c.Backoff {
		bad("max_backoff", "must be at least backoff (%s), got %s", c.Backoff, c.MaxBackoff)
	}
	nonNeg("max_retry_after", c.MaxRetryAfter)
	if c.ThrottleBurst < 1 {
		bad("throttle_burst", "must be at least 1 (got %d)", c.ThrottleBurst)
	}
	if c.MaxBody < 64<<10 {
		bad("max_body", "must be at least 64KiB (event pages reach 355 KB), got %s", c.MaxBody)
	}
	if c.RobotsTTL <= 0 || c.RobotsTTL > Duration(24*time.Hour) {
		bad("robots_ttl", "must be positive and at most 24h (RFC 9309), got %s", c.RobotsTTL)
	}
	nonNeg("recent_window", c.RecentWindow)
	nonNeg("retry_failed", c.RetryFailed)
	if c.MaxAttempts < 0 {
		bad("max_attempts", "must not be negative (0 = retry failed documents for ever), got %d", c.MaxAttempts)
	}
	if c.DriftThreshold <= 0 || c.DriftThreshold > 1 {
		bad("drift_threshold", "must be a fraction in (0, 1], got %v", c.DriftThreshold)
	}
	if c.DriftMin < 1 {
		bad("drift_min", "must be at least 1 (got %d)", c.DriftMin)
	}
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		switch {
		case err != nil:
			bad("proxy", "not a URL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" && u.Scheme != "socks5h":
			bad("proxy", "scheme must be http, https, socks5 or socks5h (got %q)", c.Proxy)
		case u.Host == "":
			bad("proxy", "missing host:port (got %q)", c.Proxy)
		}
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			bad("ca_file", "%v", err)
		}
	}
	for i, h := range c.AllowRedirectHosts {
		if h == "" || strings.ContainsAny(h, "/: ") {
			bad(fmt.Sprintf("allow_redirect_hosts[%d]", i), "must be a bare host name (got %q)", h)
		}
	}
	if len(c.Sites) == 0 {
		bad("sites", "must list at least one site")
	}
	langs := map[string]int{}
	for i, s := range c.Sites {
		p := fmt.Sprintf("sites[%d]", i)
		if s.Lang != "en" && s.Lang != "ru" {
			bad(p+".lang", `must be "en" or "ru" (got %q)`, s.Lang)
		} else if j, dup := langs[s.Lang]; dup {
			bad(p+".lang", "%q is already configured in sites[%d]", s.Lang, j)
		} else {
			langs[s.Lang] = i
		}
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad(p+".base_url", "must be an http(s) URL such as http://en.kremlin.ru (got %q)", s.BaseURL)
		}
		if s.Canonical != "" {
			cu, err := url.Parse(s.Canonical)
			if err != nil || (cu.Scheme != "http" && cu.Scheme != "https") || cu.Host == "" {
				bad(p+".canonical_url", "must be an http(s) URL (got %q)", s.Canonical)
			}
		}
		if len(s.Sections) == 0 {
			bad(p+".sections", "must list at least one section (e.g. news, transcripts)")
		}
		seen := map[string]bool{}
		for j, sec := range s.Sections {
			if !validSection(sec) {
				bad(fmt.Sprintf("%s.sections[%d]", p, j), "must be a listing name under /events/president/ such as news, transcripts or transcripts/speeches (got %q)", sec)
			}
			if seen[sec] {
				bad(fmt.Sprintf("%s.sections[%d]", p, j), "%q listed twice", sec)
			}
			seen[sec] = true
		}
		if s.Delay != nil {
			nonNeg(p+".delay", *s.Delay)
		}
	}
	c.Wayback.validate(bad)
	return errors.Join(errs...)
}

// ValidWaybackUse reports whether s is a value of wayback.use.
func ValidWaybackUse(s string) bool {
	return s == WaybackFallback || s == WaybackOnly || s == WaybackNever
}

func (w *Wayback) validate(bad func(field, format string, args ...any)) {
	if !ValidWaybackUse(w.Use) {
		bad("wayback.use", "must be fallback, only or never (got %q)", w.Use)
	}
	u, err := url.Parse(w.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("wayback.base_url", "must be an http(s) URL such as %s (got %q)", DefaultWaybackBase, w.BaseURL)
	}
	if w.Delay < 0 {
		bad("wayback.delay", "must not be negative (got %s)", w.Delay)
	}
	if w.CDXPerMinute < 1 {
		bad("wayback.cdx_per_minute", "must be at least 1 (got %d)", w.CDXPerMinute)
	}
}

// WaybackLimits are the delay between capture fetches and the number of
// CDX calls a minute for the configured Wayback Machine. For the Internet
// Archive's own hosts they are held to its published limits (raised
// reports that a value was changed); other replay systems and test
// servers get what is configured.
func (c *Config) WaybackLimits() (delay time.Duration, cdxPerMinute int, raised bool) {
	delay, cdxPerMinute = time.Duration(c.Wayback.Delay), c.Wayback.CDXPerMinute
	if u, err := url.Parse(c.Wayback.BaseURL); err == nil && IsArchiveHost(u.Hostname()) {
		if delay < MinArchiveDelay {
			delay, raised = MinArchiveDelay, true
		}
		if cdxPerMinute > MaxArchiveCDXPerMinute {
			cdxPerMinute, raised = MaxArchiveCDXPerMinute, true
		}
	}
	return delay, cdxPerMinute, raised
}

// IsArchiveHost reports whether host belongs to the Internet Archive.
func IsArchiveHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "archive.org" || strings.HasSuffix(host, ".archive.org")
}

// SiteDelay is the delay for site s: its own or the global one, raised to
// MinRealSiteDelay for the real hosts (raised reports that it was).
// Politeness towards the real site cannot be configured away by accident;
// shorter delays are for local mirrors and test servers.
func (c *Config) SiteDelay(s Site) (d time.Duration, raised bool) {
	d = time.Duration(c.Delay)
	if s.Delay != nil {
		d = time.Duration(*s.Delay)
	}
	if u, err := url.Parse(s.BaseURL); err == nil && IsRealHost(u.Hostname()) && d < MinRealSiteDelay {
		return MinRealSiteDelay, true
	}
	return d, false
}

// IsRealHost reports whether host is one of the site's own hosts, where
// the politeness floor applies.
func IsRealHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "kremlin.ru" || strings.HasSuffix(host, ".kremlin.ru")
}

func validSection(s string) bool {
	if s == "" || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return false
	}
	for _, part := range strings.Split(s, "/") {
		if part == "" || part == "page" || part == "by-date" || part == "feed" || part == "copy" {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}
