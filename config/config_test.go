package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefault_IsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if len(c.Sites) != 2 || c.Sites[0].BaseURL != DefaultBaseEN || c.Sites[1].BaseURL != DefaultBaseRU {
		t.Errorf("default sites = %+v, want en.kremlin.ru and kremlin.ru", c.Sites)
	}
	if time.Duration(c.Cooldown) < 30*time.Minute {
		t.Errorf("default cooldown %s < 30m", c.Cooldown)
	}
	if time.Duration(c.Delay) < MinRealSiteDelay {
		t.Errorf("default delay %s below the real-site minimum", c.Delay)
	}
}

func TestParse_Valid(t *testing.T) {
	in := `
db: /var/lib/kremlin/archive.db
user_agent: "research-bot/2 (+mailto:me@example.org)"
delay: 0s
jitter: 0s
cooldown: 45m
max_body: 8MiB
proxy: socks5://127.0.0.1:1080
sites:
  - lang: en
    base_url: http://127.0.0.1:8080
    sections: [news]
  - lang: ru
    base_url: http://127.0.0.1:8081/mirror/
    sections: [news, transcripts/speeches]
    delay: 3s
`
	c, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.DB != "/var/lib/kremlin/archive.db" || c.Delay != 0 || time.Duration(c.Cooldown) != 45*time.Minute {
		t.Errorf("got db=%q delay=%s cooldown=%s", c.DB, c.Delay, c.Cooldown)
	}
	if c.MaxBody != 8<<20 {
		t.Errorf("max_body = %d, want 8MiB", c.MaxBody)
	}
	if len(c.Sites) != 2 || c.Sites[1].Sections[1] != "transcripts/speeches" {
		t.Fatalf("sites = %+v", c.Sites)
	}
	if got, _ := c.SiteDelay(c.Sites[1]); got != 3*time.Second {
		t.Errorf("SiteDelay(ru) = %s, want 3s", got)
	}
	if got, raised := c.SiteDelay(c.Sites[0]); got != 0 || raised {
		t.Errorf("SiteDelay(en) = %s, %v; want the global 0s", got, raised)
	}
	// Keys not in the file keep their defaults.
	if c.Retries != Default().Retries || c.RobotsTTL != Default().RobotsTTL {
		t.Errorf("defaults not kept: retries=%d robots_ttl=%s", c.Retries, c.RobotsTTL)
	}
}

func TestParse_EmptyFileKeepsDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader("# nothing here\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.DB != Default().DB || len(c.Sites) != 2 {
		t.Errorf("got %+v", c)
	}
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // every one must appear in the error
	}{
		{"unknown key with suggestion", "dealy: 2s\n", []string{"dealy", "unknown key", `did you mean "delay"`}},
		{"unknown nested key", "sites:\n  - lang: en\n    bse_url: http://x\n    sections: [news]\n", []string{"sites[0].bse_url", "unknown key"}},
		{"bare number duration", "delay: 2\n", []string{"delay", "duration"}},
		{"bad duration", "cooldown: soon\n", []string{"cooldown", "duration"}},
		{"negative delay", "delay: -1s\n", []string{"delay", "negative"}},
		{"per-site negative", "sites:\n  - lang: en\n    base_url: http://x\n    sections: [news]\n    delay: -1s\n", []string{"sites[0].delay", "negative"}},
		{"bad lang", "sites:\n  - lang: de\n    base_url: http://x\n    sections: [news]\n", []string{"sites[0].lang", `"en" or "ru"`}},
		{"duplicate lang", "delay: 0s\nsites:\n  - {lang: en, base_url: 'http://a', sections: [news]}\n  - {lang: en, base_url: 'http://b', sections: [news]}\n", []string{"sites[1].lang", "already"}},
		{"bad base url", "sites:\n  - lang: en\n    base_url: en.kremlin.ru\n    sections: [news]\n", []string{"sites[0].base_url"}},
		{"bad section", "delay: 0s\nsites:\n  - lang: en\n    base_url: http://x\n    sections: [news/page]\n", []string{"sites[0].sections[0]"}},
		{"no sections", "delay: 0s\nsites:\n  - lang: en\n    base_url: http://x\n    sections: []\n", []string{"sites[0].sections"}},
		{"empty sites", "sites: []\n", []string{"sites", "at least one"}},
		{"sites not a list", "sites: en\n", []string{"sites", "list"}},
		{"ua without contact", "user_agent: mybot\n", []string{"user_agent", "contact"}},
		{"bad proxy", "proxy: ftp://x:21\n", []string{"proxy", "scheme"}},
		{"bad size", "max_body: lots\n", []string{"max_body", "size"}},
		{"tiny max body", "max_body: 1KiB\n", []string{"max_body", "at least"}},
		{"robots ttl over a day", "robots_ttl: 48h\n", []string{"robots_ttl", "24h"}},
		{"set twice", "delay: 10s\ndelay: 20s\n", []string{"delay", "twice"}},
		{"missing ca file", "ca_file: /nonexistent/ca.pem\n", []string{"ca_file"}},
		{"not yaml", "delay: [\n", []string{"YAML"}},
		{"retries type", "retries: many\n", []string{"retries"}},
		{"wayback use", "wayback:\n  use: sometimes\n", []string{"wayback.use", "fallback, only or never"}},
		{"wayback typo", "wayback:\n  usee: only\n", []string{"wayback.usee", `did you mean "use"`}},
		{"wayback base url", "wayback:\n  base_url: web.archive.org\n", []string{"wayback.base_url"}},
		{"wayback negative delay", "wayback:\n  delay: -2s\n", []string{"wayback.delay", "negative"}},
		{"wayback cdx rate", "wayback:\n  cdx_per_minute: 0\n", []string{"wayback.cdx_per_minute", "at least 1"}},
		{"wayback not a mapping", "wayback: only\n", []string{"wayback", "mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one mentioning %q", tt.in, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParse_ReportsAllProblems(t *testing.T) {
	_, err := Parse(strings.NewReader("dealy: 2s\nretries: -1\nthrottle_burst: 0\n"))
	if err == nil {
		t.Fatal("want error")
	}
	for _, w := range []string{"dealy", "retries", "throttle_burst"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("error is not a *FieldError: %T", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "crawl.yaml")
	c, err := Load(missing, false)
	if err != nil || c.DB != Default().DB {
		t.Fatalf("Load(missing, implicit) = %v, %v; want defaults", c, err)
	}
	if _, err := Load(missing, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load(missing, explicit) = %v, want ErrNotFound", err)
	}
	if err := os.WriteFile(missing, []byte("db: x.db\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(missing, true)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("Load(bad file) = %v, want an error naming the file and the key", err)
	}
}

// The project's own crawl.yaml must always parse.
func TestRepositoryCrawlYAML(t *testing.T) {
	c, err := Load("../crawl.yaml", true)
	if err != nil {
		t.Fatalf("crawl.yaml: %v", err)
	}
	if len(c.Sites) == 0 {
		t.Error("crawl.yaml has no sites")
	}
}

func TestParseByteSize(t *testing.T) {
	tests := map[string]ByteSize{"1024": 1024, "32MiB": 32 << 20, "500KiB": 500 << 10, "1MB": 1000000, "2 GiB": 2 << 30, "7B": 7}
	for in, want := range tests {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5MiB", "MiB", "12XB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded, want error", bad)
		}
	}
}

// Delays under the floor are raised for the real hosts, kept elsewhere.
func TestSiteDelay_RealHostFloor(t *testing.T) {
	c, err := Parse(strings.NewReader("delay: 0s\nsites:\n  - {lang: en, base_url: 'http://en.kremlin.ru', sections: [news]}\n  - {lang: ru, base_url: 'http://127.0.0.1:8081', sections: [news]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d, raised := c.SiteDelay(c.Sites[0]); d != MinRealSiteDelay || !raised {
		t.Errorf("real host: %s, %v; want %s raised", d, raised, MinRealSiteDelay)
	}
	if d, raised := c.SiteDelay(c.Sites[1]); d != 0 || raised {
		t.Errorf("mirror: %s, %v; want 0s", d, raised)
	}
}

func TestIsRealHost(t *testing.T) {
	for host, want := range map[string]bool{"kremlin.ru": true, "en.kremlin.ru": true, "www.kremlin.ru": true, "KREMLIN.RU.": true, "127.0.0.1": false, "notkremlin.ru": false, "kremlin.ru.example.org": false} {
		if got := IsRealHost(host); got != want {
			t.Errorf("IsRealHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParse_Wayback(t *testing.T) {
	d := Default().Wayback
	if d.Use != WaybackFallback || d.BaseURL != DefaultWaybackBase || time.Duration(d.Delay) != 2*time.Second || d.CDXPerMinute != 20 {
		t.Errorf("default wayback section = %+v", d)
	}
	c, err := Parse(strings.NewReader("wayback:\n  use: only\n  base_url: http://127.0.0.1:9090/\n  delay: 0s\n  cdx_per_minute: 600\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Wayback.Use != WaybackOnly || c.Wayback.BaseURL != "http://127.0.0.1:9090/" || c.Wayback.Delay != 0 || c.Wayback.CDXPerMinute != 600 {
		t.Errorf("wayback = %+v", c.Wayback)
	}
	// A test server gets what is configured.
	if delay, rate, raised := c.WaybackLimits(); delay != 0 || rate != 600 || raised {
		t.Errorf("WaybackLimits(test server) = %s, %d, %v", delay, rate, raised)
	}
	// Keys not named keep their defaults.
	c, err = Parse(strings.NewReader("wayback:\n  use: never\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Wayback.BaseURL != DefaultWaybackBase || c.Wayback.CDXPerMinute != 20 {
		t.Errorf("defaults not kept: %+v", c.Wayback)
	}
}

// The Internet Archive's published limits cannot be configured away.
func TestWaybackLimits_ArchiveFloor(t *testing.T) {
	tests := []struct {
		base      string
		delay     time.Duration
		rate      int
		wantDelay time.Duration
		wantRate  int
		raised    bool
	}{
		{"https://web.archive.org", 0, 600, MinArchiveDelay, MaxArchiveCDXPerMinute, true},
		{"https://web.archive.org", 5 * time.Second, 10, 5 * time.Second, 10, false},
		{"http://WEB.ARCHIVE.ORG.", 100 * time.Millisecond, 20, MinArchiveDelay, 20, true},
		{"http://127.0.0.1:9090", 0, 600, 0, 600, false},
		{"https://archive.example.org", 0, 600, 0, 600, false},
	}
	for _, tt := range tests {
		c := Default()
		c.Wayback.BaseURL, c.Wayback.Delay, c.Wayback.CDXPerMinute = tt.base, Duration(tt.delay), tt.rate
		d, r, raised := c.WaybackLimits()
		if d != tt.wantDelay || r != tt.wantRate || raised != tt.raised {
			t.Errorf("%s delay=%s rate=%d: got %s, %d, %v; want %s, %d, %v", tt.base, tt.delay, tt.rate, d, r, raised, tt.wantDelay, tt.wantRate, tt.raised)
		}
	}
}
