package crawler

// What the operator sees of the gate (issue 11): jitter proportional to
// the delay, long waits and retries logged with what is awaited and until
// when, and a host that never answers reported as unreachable even when
// robots.txt comes from the archive.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func TestGate_JitterProportionalToDelay(t *testing.T) {
	tests := []struct {
		name     string
		delay    time.Duration
		share    float64
		cap      time.Duration
		wantMax  time.Duration // every draw < wantMax (0: every draw is 0)
		wantSome bool          // some draw > 0
	}{
		{"local mirror at delay 0", 0, 0.5, 0, 0, false},
		{"local mirror with an old 5s cap", 0, 0.5, 5 * time.Second, 0, false},
		{"half of 10s", 10 * time.Second, 0.5, 0, 5 * time.Second, true},
		{"capped at 1s", 10 * time.Second, 0.5, time.Second, time.Second, true},
		{"share 0", 10 * time.Second, 0, 0, 0, false},
		{"full share of 2s", 2 * time.Second, 1, 0, 2 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			o.Jitter, o.MaxJitter = tt.share, tt.cap
			g := newGate("example.org:80", tt.delay, nil, nil, &o, &Stats{})
			some := false
			for i := 0; i < 500; i++ {
				j := g.jitter()
				if j < 0 || (tt.wantMax == 0 && j != 0) || (tt.wantMax > 0 && j >= tt.wantMax) {
					t.Fatalf("jitter %s out of range (max %s)", j, tt.wantMax)
				}
				some = some || j > 0
			}
			if some != tt.wantSome {
				t.Errorf("some jitter > 0: %v, want %v", some, tt.wantSome)
			}
		})
	}
	// The robots.txt Crawl-delay counts: the jitter follows the effective delay.
	o := testOptions()
	o.Jitter = 0.5
	g := newGate("example.org:80", 0, nil, nil, &o, &Stats{})
	g.crawlDelay = 4 * time.Second
	for i := 0; i < 200; i++ {
		if j := g.jitter(); j >= 2*time.Second {
			t.Fatalf("jitter %s with a Crawl-delay of 4s, want < 2s", j)
		}
	}
}

// syncLog is a log buffer safe for the gate's timer goroutine.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lineWith returns the first log line containing every one of parts.
func lineWith(log string, parts ...string) string {
	for _, l := range strings.Split(log, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return l
		}
	}
	return ""
}

func TestGate_LongWaitsAreLogged(t *testing.T) {
	old := longWait
	longWait = 100 * time.Millisecond
	t.Cleanup(func() { longWait = old })

	var n503 int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			w.WriteHeader(404)
		case "/slow":
			time.Sleep(400 * time.Millisecond)
			fmt.Fprint(w, "ok")
		case "/busy":
			mu.Lock()
			n503++
			first := n503 == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(503)
				return
			}
			fmt.Fprint(w, "ok")
		case "/down":
			w.WriteHeader(502)
		}
	}))
	defer srv.Close()

	var logs syncLog
	o := testOptions()
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	o.Retries = 1
	o.Backoff, o.MaxBackoff = 150*time.Millisecond, 150*time.Millisecond
	db := openTestDB(t)
	u := mustURL(t, srv.URL)
	// A pause recorded by the previous run (one refusal): waited out first.
	if err := db.UpdateHostState(u.Host, func(hs *store.HostState) {
		hs.Refusals, hs.PauseUntil = 1, time.Now().Add(300*time.Millisecond)
	}); err != nil {
		t.Fatal(err)
	}
	g := testGate(t, srv.URL, o, db, 0)
	ctx := context.Background()
	for _, p := range []string{"/slow", "/busy"} {
		if _, err := g.get(ctx, mustURL(t, srv.URL+p)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if _, err := g.get(ctx, mustURL(t, srv.URL+"/down")); err == nil {
		t.Fatal("/down: no error")
	}
	out := logs.String()
	for _, want := range [][]string{
		{"level=INFO", "waiting before the next request", "the pause after a refusal recorded by the previous run", "until="},
		{"level=INFO", "no answer yet", "/slow", "gives_up_at="},
		{"level=INFO", "site asked us to wait", "/busy", "until=", "wait=1s"},
		{"level=INFO", "retrying after a server error", "/down", "until=", "attempt=1", "of=1"},
	} {
		if lineWith(out, want...) == "" {
			t.Errorf("no log line with %q in:\n%s", want, out)
		}
	}
	// A pause announced by its own line is not logged a second time.
	if n := strings.Count(out, "waiting before the next request"); n != 1 {
		t.Errorf("%d \"waiting before the next request\" lines, want 1 (the others were announced):\n%s", n, out)
	}
}

// TestGate_UnreachableWithStoredRobots: robots.txt from the archive, and
// the host refuses every connection: the first URL that fails for good
// stops the host as unreachable, with nothing recorded.
func TestGate_UnreachableWithStoredRobots(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := openTestDB(t)
	if err := db.UpdateHostState(addr, func(hs *store.HostState) {
		hs.Robots = &store.RobotsCopy{URL: "http://" + addr + "/robots.txt", Status: 404, FetchedAt: time.Now()}
	}); err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	g := testGate(t, "http://"+addr, o, db, 0)
	_, err = g.get(context.Background(), mustURL(t, "http://"+addr+"/events/president/news"))
	var ue *UnreachableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want an UnreachableError", err)
	}
	if ue.Cause != "connection refused" || ClassifyNet(ue.Err) != NetRefused {
		t.Errorf("cause %q (%v), want connection refused", ue.Cause, ClassifyNet(ue.Err))
	}
	hs, err := db.HostState(addr)
	if err != nil {
		t.Fatal(err)
	}
	if !hs.CooldownUntil.IsZero() || hs.Cooldowns != 0 {
		t.Errorf("a cool-down was recorded for an unreachable host: %+v", hs)
	}
	// The host stays stopped for the run: no further attempt.
	if _, err := g.get(context.Background(), mustURL(t, "http://"+addr+"/x")); !errors.Is(err, ErrUnreachable) {
		t.Errorf("second URL: %v", err)
	}
}
