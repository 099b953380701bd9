package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// testOptions are fast options for tests against loopback servers.
func testOptions() Options {
	return Options{
		UserAgent:      "kremlin-archive-test/1.0 (+https://example.org/contact)",
		Cooldown:       time.Hour,
		MaxCooldown:    24 * time.Hour,
		Timeout:        2 * time.Second,
		Retries:        2,
		Backoff:        10 * time.Millisecond,
		MaxBackoff:     50 * time.Millisecond,
		MaxRetryAfter:  2 * time.Second,
		ThrottleBurst:  2,
		MaxBody:        1 << 20,
		RobotsTTL:      time.Hour,
		RecentWindow:   0,
		RetryFailed:    time.Minute,
		DriftThreshold: 0.5,
		DriftMin:       10,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func openTestDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testGate builds a gate for srv with options o.
func testGate(t testing.TB, srvURL string, o Options, db *store.DB, delay time.Duration) *gate {
	t.Helper()
	if db == nil {
		db = openTestDB(t)
	}
	tr, err := newTransport(&o)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srvURL)
	g := newGate(u.Host, delay, newFetcher(tr, &o), db, &o, &Stats{})
	if err := g.open(time.Now()); err != nil {
		t.Fatal(err)
	}
	return g
}

// hits counts requests per path.
type hits struct {
	mu sync.Mutex
	m  map[string]int
	ua []string
}

func (h *hits) add(r *http.Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]int{}
	}
	h.m[r.URL.Path]++
	h.ua = append(h.ua, r.UserAgent())
	return h.m[r.URL.Path]
}

func (h *hits) get(p string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[p]
}

func (h *hits) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, v := range h.m {
		n += v
	}
	return n
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestGate_RobotsDisallowAndCrawlDelay(t *testing.T) {
	var h hits
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\n")
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	ctx := context.Background()
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/private/x")); !errors.Is(err, ErrDisallowed) {
		t.Fatalf("get(/private/x) = %v, want ErrDisallowed", err)
	}
	if n := h.get("/private/x"); n != 0 {
		t.Errorf("disallowed URL fetched %d times", n)
	}
	for i := 0; i < 3; i++ {
		if _, err := g.get(ctx, mustURL(t, fmt.Sprintf("%s/p%d", srv.URL, i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.get("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 300*time.Millisecond {
			t.Errorf("gap between requests %d and %d = %s, want >= Crawl-delay 300ms", i-1, i, gap)
		}
	}
	// The user agent with contact is sent, product token first.
	for _, ua := range h.ua {
		if !strings.HasPrefix(ua, "kremlin-archive-test/1.0") {
			t.Errorf("User-Agent = %q", ua)
		}
	}
}

func TestGate_RobotsStatus(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		wantAllowed bool
		wantRefused bool // RefusedError with cool-down recorded
	}{
		{"404 allows all", 404, nil, true, false},
		{"403 allows all", 403, nil, true, false},
		{"500 disallows", 500, nil, false, false},
		{"503 disallows", 503, nil, false, false},
		{"429 cools down", 429, map[string]string{"Retry-After": "3600"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.add(r)
				if r.URL.Path == "/robots.txt" {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(tt.status)
					return
				}
				fmt.Fprint(w, "page")
			}))
			defer srv.Close()
			db := openTestDB(t)
			g := testGate(t, srv.URL, testOptions(), db, 0)
			_, err := g.get(context.Background(), mustURL(t, srv.URL+"/page"))
			if tt.wantAllowed {
				if err != nil {
					t.Fatalf("get = %v, want the page", err)
				}
				return
			}
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("get = %v, want an ErrUnavailable error", err)
			}
			if n := h.get("/page"); n != 0 {
				t.Errorf("page fetched %d times although robots.txt could not be read", n)
			}
			var re *RefusedError
			if got := errors.As(err, &re); got != tt.wantRefused {
				t.Errorf("RefusedError = %v, want %v (err %v)", got, tt.wantRefused, err)
			}
			hs, _ := db.HostState(g.host)
			if tt.wantRefused && !hs.CooldownUntil.After(time.Now().Add(50*time.Minute)) {
				t.Errorf("cool-down until %s, want about an hour (Retry-After)", hs.CooldownUntil)
			}
			// Retried with backoff before giving up (robots 5xx).
			if tt.status >= 500 && h.get("/robots.txt") != testOptions().Retries+1 {
				t.Errorf("robots.txt fetched %d times, want %d", h.get("/robots.txt"), testOptions().Retries+1)
			}
		})
	}
}

func TestGate_RobotsStoredCopyReused(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /nope\n")
			return
		}
		fmt.Fprint(w, "page")
	}))
	defer srv.Close()
	db := openTestDB(t)
	for run := 0; run < 2; run++ {
		g := testGate(t, srv.URL, testOptions(), db, 0)
		if _, err := g.get(context.Background(), mustURL(t, srv.URL+"/ok")); err != nil {
			t.Fatal(err)
		}
		if _, err := g.get(context.Background(), mustURL(t, srv.URL+"/nope")); !errors.Is(err, ErrDisallowed) {
			t.Fatalf("run %d: /nope = %v, want disallowed", run, err)
		}
	}
	if n := h.get("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times over two runs within robots_ttl, want 1", n)
	}
}

func TestParseRobotsLenient(t *testing.T) {
	body := "Disallow: /before-agent\nUser-agent: *\nCrawl-delay: 2s\nDisallow: /x\nnonsense line\n"
	r := rulesFromResponse(200, []byte(body), "kremlin-archive/1.0", time.Now())
	if r.allowed("/x/1", "kremlin-archive/1.0") {
		t.Error("/x/1 allowed, want disallowed")
	}
	if !r.allowed("/before-agent", "kremlin-archive/1.0") {
		t.Error("a rule before any User-agent was applied")
	}
	if r.crawlDelay != 2*time.Second {
		t.Errorf("crawl delay = %s, want 2s from \"2s\"", r.crawlDelay)
	}
	// A group for our product token wins over *.
	r = rulesFromResponse(200, []byte("User-agent: *\nDisallow: /\n\nUser-agent: kremlin-archive\nDisallow: /private\n"), "kremlin-archive/1.0 (+x)", time.Now())
	if !r.allowed("/events", "kremlin-archive/1.0 (+x)") || r.allowed("/private", "kremlin-archive/1.0 (+x)") {
		t.Error("our own group was not used")
	}
}

func TestGate_ForbiddenBurstCoolsDown(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(403)
	}))
	defer srv.Close()
	db := openTestDB(t)
	g := testGate(t, srv.URL, testOptions(), db, 0)
	ctx := context.Background()
	_, err := g.get(ctx, mustURL(t, srv.URL+"/a"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 403 {
		t.Fatalf("first 403 = %v, want a StatusError (one 403 is not yet a burst)", err)
	}
	_, err = g.get(ctx, mustURL(t, srv.URL+"/b"))
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("second 403 = %v, want RefusedError", err)
	}
	// Nothing more is requested from this host in this run …
	before := h.total()
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/c")); !errors.As(err, &re) {
		t.Fatalf("after the burst: %v, want RefusedError", err)
	}
	if h.total() != before {
		t.Errorf("a request was made after the cool-down started")
	}
	// … nor by the next run, which reads the cool-down from the store.
	if err := g.close(); err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	tr, _ := newTransport(&o)
	g2 := newGate(g.host, 0, newFetcher(tr, &o), db, &o, &Stats{})
	if err := g2.open(time.Now()); !errors.As(err, &re) {
		t.Fatalf("next run open = %v, want RefusedError from the recorded cool-down", err)
	}
	if h.total() != before {
		t.Errorf("the next run made a request during the cool-down")
	}
	hs, _ := db.HostState(g.host)
	if d := time.Until(hs.CooldownUntil); d < 59*time.Minute {
		t.Errorf("cool-down of %s, want the configured hour", d)
	}
}

func TestGate_RetryAfter(t *testing.T) {
	for _, form := range []string{"seconds", "http-date"} {
		t.Run(form, func(t *testing.T) {
			var h hits
			var first time.Time
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					w.WriteHeader(404)
					return
				}
				if h.add(r) == 1 {
					first = time.Now()
					if form == "seconds" {
						w.Header().Set("Retry-After", "1")
					} else {
						w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
					}
					w.WriteHeader(429)
					return
				}
				if time.Since(first) < 900*time.Millisecond {
					t.Errorf("retried after %s, before Retry-After", time.Since(first))
				}
				fmt.Fprint(w, "ok")
			}))
			defer srv.Close()
			g := testGate(t, srv.URL, testOptions(), nil, 0)
			raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/x"))
			if err != nil || string(raw.Body) != "ok" {
				t.Fatalf("get = %v, %v", raw, err)
			}
		})
	}
}

func TestGate_LongRetryAfterCoolsDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	db := openTestDB(t)
	g := testGate(t, srv.URL, testOptions(), db, 0)
	_, err := g.get(context.Background(), mustURL(t, srv.URL+"/x"))
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("get = %v, want RefusedError", err)
	}
	if d := time.Until(re.Until); d < 119*time.Minute {
		t.Errorf("cool-down until %s (in %s), want >= Retry-After 2h", re.Until, d)
	}
}

func TestGate_ServerErrorsRetriedThenFail(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		n := h.add(r)
		if r.URL.Path == "/flaky" && n == 3 {
			fmt.Fprint(w, "ok")
			return
		}
		w.WriteHeader(502)
	}))
	defer srv.Close()
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	if _, err := g.get(context.Background(), mustURL(t, srv.URL+"/flaky")); err != nil {
		t.Fatalf("flaky = %v, want success on the third attempt", err)
	}
	_, err := g.get(context.Background(), mustURL(t, srv.URL+"/down"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 502 {
		t.Fatalf("down = %v, want StatusError 502", err)
	}
	if n := h.get("/down"); n != testOptions().Retries+1 {
		t.Errorf("/down requested %d times, want %d", n, testOptions().Retries+1)
	}
}

// hijack writes a raw HTTP response and closes the connection.
func hijack(w http.ResponseWriter, raw string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString(raw)
	buf.Flush()
	conn.Close()
}

func TestGate_TruncatedAndResetRetried(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		n := h.add(r)
		switch {
		case r.URL.Path == "/short" && n == 1:
			hijack(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n<html>only part")
		case r.URL.Path == "/reset" && n == 1:
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		case r.URL.Path == "/chunked-cut":
			hijack(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n<html>0123456789\r\n")
		default:
			fmt.Fprint(w, "<html>complete</html>")
		}
	}))
	defer srv.Close()
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	for _, p := range []string{"/short", "/reset"} {
		raw, err := g.get(context.Background(), mustURL(t, srv.URL+p))
		if err != nil || string(raw.Body) != "<html>complete</html>" {
			t.Errorf("%s: got %v, %v; want the complete body after a retry", p, raw, err)
		}
	}
	_, err := g.get(context.Background(), mustURL(t, srv.URL+"/chunked-cut"))
	var ne *NetError
	if !errors.As(err, &ne) || !ne.Truncated {
		t.Errorf("chunked body cut off: %v, want a truncated NetError", err)
	}
}

func TestGate_TooLarge(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		h.add(r)
		if r.URL.Path == "/stream" {
			w.Header().Set("Content-Type", "text/html") // no Content-Length: chunked
			for i := 0; i < 100; i++ {
				w.Write([]byte(strings.Repeat("x", 4096)))
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Write([]byte(strings.Repeat("y", 300<<10)))
	}))
	defer srv.Close()
	o := testOptions()
	o.MaxBody = 200 << 10
	g := testGate(t, srv.URL, o, nil, 0)
	for _, p := range []string{"/big", "/stream"} {
		_, err := g.get(context.Background(), mustURL(t, srv.URL+p))
		var tl *TooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "max_body") {
			t.Errorf("%s: %v, want a TooLargeError naming the URL and max_body", p, err)
		}
		if n := h.get(p); n != 1 {
			t.Errorf("%s requested %d times; an oversized body is not retried", p, n)
		}
	}
}

func TestGate_Timeout(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		if h.add(r) <= 1 {
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("<html>slow"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, "<html>fast</html>")
	}))
	defer srv.Close()
	o := testOptions()
	o.Timeout = 300 * time.Millisecond
	g := testGate(t, srv.URL, o, nil, 0)
	start := time.Now()
	raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/slow"))
	if err != nil || string(raw.Body) != "<html>fast</html>" {
		t.Fatalf("get = %v, %v; want success after the slow attempt timed out", raw, err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %s: the per-request deadline was not applied", el)
	}
}

func TestGate_Redirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "elsewhere")
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another host name
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
		case "/d/1":
			http.Redirect(w, r, "/events/president/news/1", http.StatusFound)
		case "/to-private":
			http.Redirect(w, r, "/private/x", http.StatusMovedPermanently)
		case "/offsite":
			http.Redirect(w, r, otherURL+"/x", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			fmt.Fprint(w, "page "+r.URL.Path)
		}
	}))
	defer srv.Close()
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	ctx := context.Background()
	raw, err := g.get(ctx, mustURL(t, srv.URL+"/d/1"))
	if err != nil || !strings.HasSuffix(raw.URL, "/events/president/news/1") {
		t.Fatalf("same-host redirect: %v, %v", raw, err)
	}
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/to-private")); !errors.Is(err, ErrDisallowed) {
		t.Errorf("redirect into a disallowed path: %v, want ErrDisallowed", err)
	}
	if h.get("/private/x") != 0 {
		t.Error("a redirect target disallowed by robots.txt was fetched")
	}
	var rerr *RedirectError
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/offsite")); !errors.As(err, &rerr) || !strings.Contains(err.Error(), "allow_redirect_hosts") {
		t.Errorf("off-host redirect: %v, want RedirectError mentioning allow_redirect_hosts", err)
	}
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/loop")); !errors.As(err, &rerr) {
		t.Errorf("redirect loop: %v, want RedirectError", err)
	}
	o := testOptions()
	o.AllowRedirectHosts = []string{"localhost"}
	g2 := testGate(t, srv.URL, o, nil, 0)
	raw, err = g2.get(ctx, mustURL(t, srv.URL+"/offsite"))
	if err != nil || string(raw.Body) != "elsewhere" {
		t.Errorf("allowed off-host redirect: %v, %v", raw, err)
	}
}

func TestGate_DelayAndOneInFlight(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	var mu sync.Mutex
	var ends, starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		fmt.Fprint(w, "ok")
		mu.Lock()
		ends = append(ends, time.Now())
		mu.Unlock()
	}))
	defer srv.Close()
	o := testOptions()
	o.Jitter = 0.5
	o.MaxJitter = 50 * time.Millisecond
	g := testGate(t, srv.URL, o, nil, 150*time.Millisecond)
	for i := 0; i < 4; i++ {
		if _, err := g.get(context.Background(), mustURL(t, srv.URL+"/p"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if maxInFlight.Load() != 1 {
		t.Errorf("max in flight = %d, want 1", maxInFlight.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(ends[i-1]); gap < 150*time.Millisecond {
			t.Errorf("gap between the end of request %d and the start of %d = %s, want >= 150ms", i-1, i, gap)
		}
	}
}

func TestGate_RawBytesKept(t *testing.T) {
	body := "\x1f\x8b\x08\x00gzip-looking bytes \xe3 not utf-8"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		if ae := r.Header.Get("Accept-Encoding"); ae != "" {
			t.Errorf("Accept-Encoding %q sent; the archive keeps bytes as sent", ae)
		}
		w.Header().Set("Content-Type", "text/html; charset=windows-1251")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	t.Setenv("COLLY_MAX_BODY_SIZE", "5")
	t.Setenv("COLLY_USER_AGENT", "colly-env-agent")
	t.Setenv("COLLY_DETECT_CHARSET", "yes")
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/x"))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw.Body) != body {
		t.Errorf("body = %q, want the bytes as sent %q", raw.Body, body)
	}
	if got := raw.Header.Values("X-Multi"); len(got) != 2 {
		t.Errorf("X-Multi = %v, want both values", got)
	}
	if raw.Status != 200 || raw.Proto != "HTTP/1.1" {
		t.Errorf("status %d proto %q", raw.Status, raw.Proto)
	}
}

// TestProxy checks the configured proxy and the environment variables,
// through an HTTP proxy and a SOCKS5 proxy on loopback.
func TestProxy(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		fmt.Fprint(w, "via "+r.URL.Path)
	}))
	defer site.Close()
	hp := fakesite.StartHTTPProxy()
	defer hp.Close()
	sp, err := fakesite.StartSOCKS5()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	httpProxy, httpHits := hp.URL, &hp.Hits
	socksProxy, socksHits := sp.URL, &sp.Conns

	t.Run("configured http", func(t *testing.T) {
		o := testOptions()
		o.Proxy = httpProxy
		before := httpHits.Load()
		g := testGate(t, site.URL, o, nil, 0)
		raw, err := g.get(context.Background(), mustURL(t, site.URL+"/a"))
		if err != nil || string(raw.Body) != "via /a" {
			t.Fatalf("%v %v", raw, err)
		}
		if httpHits.Load()-before < 2 {
			t.Errorf("HTTP proxy saw %d requests, want robots + page", httpHits.Load()-before)
		}
	})
	t.Run("configured socks5", func(t *testing.T) {
		o := testOptions()
		o.Proxy = socksProxy
		before := socksHits.Load()
		g := testGate(t, site.URL, o, nil, 0)
		raw, err := g.get(context.Background(), mustURL(t, site.URL+"/b"))
		if err != nil || string(raw.Body) != "via /b" {
			t.Fatalf("%v %v", raw, err)
		}
		if socksHits.Load() == before {
			t.Error("SOCKS5 proxy saw no connection")
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", httpProxy)
		t.Setenv("NO_PROXY", "")
		before := httpHits.Load()
		g := testGate(t, site.URL, testOptions(), nil, 0)
		if _, err := g.get(context.Background(), mustURL(t, site.URL+"/c")); err != nil {
			t.Fatal(err)
		}
		if httpHits.Load() == before {
			t.Error("HTTP_PROXY was not used for a loopback site")
		}
		t.Setenv("NO_PROXY", "127.0.0.0/8")
		before = httpHits.Load()
		g = testGate(t, site.URL, testOptions(), nil, 0)
		if _, err := g.get(context.Background(), mustURL(t, site.URL+"/d")); err != nil {
			t.Fatal(err)
		}
		if httpHits.Load() != before {
			t.Error("NO_PROXY was not honoured")
		}
	})
}

func TestProxyEnvBypass(t *testing.T) {
	e := proxyEnv{http: "http://proxy:3128", noProxy: "example.org, .internal, 10.0.0.0/8, 192.168.1.5, host:8080"}
	tests := map[string]bool{
		"http://example.org/x":     true,
		"http://a.example.org/x":   true,
		"http://notexample.org/x":  false,
		"http://x.internal/":       true,
		"http://10.1.2.3/":         true,
		"http://11.1.2.3/":         false,
		"http://192.168.1.5:81/":   true,
		"http://host:8080/":        true,
		"http://host:8081/":        false,
		"http://en.kremlin.ru/":    false,
		"http://127.0.0.1:9999/ok": false,
	}
	for raw, want := range tests {
		if got := e.bypass(mustURL(t, raw)); got != want {
			t.Errorf("bypass(%s) = %v, want %v", raw, got, want)
		}
	}
	if got := (proxyEnv{noProxy: "*"}).bypass(mustURL(t, "http://any/")); !got {
		t.Error(`NO_PROXY="*" did not bypass`)
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"Sat, 28 Nov 2026 12:05:00 GMT", 5 * time.Minute, true},
		{"Sat, 28 Nov 2026 11:00:00 GMT", 0, true},
		{"soon", 0, false},
		{"-5", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMain(m *testing.M) {
	// Tests must never depend on the caller's proxy settings.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

// Requests that follow each other closely share one connection; a request
// that net/http resends after the server dropped the kept connection is
// counted twice (it reached the server twice).
func TestGate_KeepAliveAndResendCounted(t *testing.T) {
	var h hits
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		if h.add(r) == 1 && r.URL.Path == "/dropped" {
			// The server gives up on the kept connection without answering.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		fmt.Fprint(w, "<html>complete</html>")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	g := testGate(t, srv.URL, testOptions(), nil, 0)
	for _, p := range []string{"/a", "/b", "/c"} {
		if _, err := g.get(context.Background(), mustURL(t, srv.URL+p)); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("robots.txt and 3 pages at delay 0 took %d connections, want 1 (kept alive)", n)
	}
	before, retries := g.stats.Requests.Load(), g.stats.Retries.Load()
	raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/dropped"))
	if err != nil || string(raw.Body) != "<html>complete</html>" {
		t.Fatalf("dropped kept connection: %v, %v; want the page from the resent request", raw, err)
	}
	if got := h.get("/dropped"); got != 2 {
		t.Fatalf("server saw /dropped %d times, want 2 (the resend this test is about)", got)
	}
	if r := g.stats.Retries.Load() - retries; r != 0 {
		t.Fatalf("the gate retried /dropped %d times; this test is about net/http's own resend", r)
	}
	if d := g.stats.Requests.Load() - before; d != 2 {
		t.Errorf("requests counted for /dropped: %d, want 2 (the resend is a request the site saw)", d)
	}
}
