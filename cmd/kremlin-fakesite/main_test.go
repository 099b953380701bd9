package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a goroutine-safe buffer.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var urlRe = regexp.MustCompile(`(en|ru) \(\d+ documents, \d+ news pages\) at (http://\S+)`)

func start(t *testing.T, args ...string) (cancel func() error, urls map[string]string, stderr *syncBuf) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var stdout syncBuf
	stderr = &syncBuf{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, args, &stdout, stderr) }()
	urls = map[string]string{}
	deadline := time.Now().Add(5 * time.Second)
	want := 1
	if strings.Contains(strings.Join(args, " "), "-lang both") {
		want = 2
	}
	for len(urls) < want {
		select {
		case err := <-errc:
			t.Fatalf("run ended: %v; stderr %s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", stdout.String())
		}
		for _, m := range urlRe.FindAllStringSubmatch(stdout.String(), -1) {
			urls[m[1]] = m[2]
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() error { stop(); return <-errc }, urls, stderr
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("User-Agent", "test/1.0 (+https://example.org)")
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestServeAndSummary(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "req.jsonl")
	stop, urls, stderr := start(t, "-addr", "127.0.0.1:0", "-lang", "en", "-docs", "50", "-seed", "3", "-log", logPath, "-crawl-delay", "4")
	base := urls["en"]
	if st, body := get(t, base+"/robots.txt"); st != 200 || !strings.Contains(string(body), "Crawl-delay: 4") {
		t.Errorf("robots: %d %q", st, body)
	}
	st, body := get(t, base+"/events/president/news")
	if st != 200 || !bytes.Contains(body, []byte(`data-page="1"`)) {
		t.Fatalf("listing: %d", st)
	}
	m := regexp.MustCompile(`data-id="(\d+)"`).FindSubmatch(body)
	doc := "/events/president/news/" + string(m[1])
	for i := 0; i < 2; i++ {
		if st, _ := get(t, base+doc); st != 200 {
			t.Fatalf("doc: %d", st)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := stderr.String()
	for _, want := range []string{"4 requests", "max in flight 1", "200×4", "fetched more than once: 1 (1 extra fetches)", string(m[1]) + ": 2 fetches"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Lang   string
			Path   string
			Status int
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Lang != "en" || r.Status != 200 {
			t.Errorf("log line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != 4 {
		t.Errorf("%d log lines", n)
	}
}

func TestBothHostsWithFaults(t *testing.T) {
	stop, urls, stderr := start(t, "-addr", "127.0.0.1:0", "-lang", "both", "-docs", "30", "-ru-docs", "40", "-overlap", "20",
		"-faults", "seed=1,max=1,503=1")
	if urls["en"] == "" || urls["ru"] == "" || urls["en"] == urls["ru"] {
		t.Fatalf("urls %v", urls)
	}
	// every other request of a path fails (rate 1, at most 1 in a row)
	var got []int
	for i := 0; i < 4; i++ {
		st, _ := get(t, urls["ru"]+"/events/president/news")
		got = append(got, st)
	}
	if got[0] != 503 || got[1] != 200 || got[2] != 503 || got[3] != 200 {
		t.Errorf("statuses %v", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := stderr.String(); !strings.Contains(out, "faults: 503×2") || !strings.Contains(out, "kremlin-fakesite ru: 4 requests") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-lang", "de"}, {"-faults", "bogus=1"}, {"extra"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// -live-down drops every connection of the site; -wayback serves a fake
// Wayback Machine with captures of it, and the summary counts its
// requests.
func TestLiveDownAndWayback(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr syncBuf
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-docs", "40", "-live-down", "-wayback", "127.0.0.1:0", "-wayback-429", "3"}, &stdout, &stderr)
	}()
	liveRe := regexp.MustCompile(`at (http://\S+) drops every connection`)
	wbRe := regexp.MustCompile(`Wayback Machine \((\d+) documents with a capture of the page\) at (http://\S+)`)
	var live, wb []string
	for deadline := time.Now().Add(10 * time.Second); live == nil || wb == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not started: %q", stdout.String())
		}
		live, wb = liveRe.FindStringSubmatch(stdout.String()), wbRe.FindStringSubmatch(stdout.String())
	}
	if _, err := http.Get(live[1] + "/robots.txt"); err == nil {
		t.Error("the live site answered with -live-down")
	}
	st, body := get(t, wb[2]+"/cdx/search/cdx?url=en.kremlin.ru/events/president/news/&matchType=prefix&output=json&limit=5&gzip=false")
	if st != 200 || !strings.HasPrefix(string(body), `[["urlkey"`) {
		t.Errorf("CDX: %d %q", st, body)
	}
	get(t, wb[2]+"/cdx/search/cdx?url=en.kremlin.ru/&matchType=prefix&output=json&limit=1")
	if st, _ := get(t, wb[2]+"/cdx/search/cdx?url=en.kremlin.ru/&matchType=prefix&output=json&limit=1"); st != 429 {
		t.Errorf("third CDX call: %d, want 429", st)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if out := stderr.String(); !strings.Contains(out, "Wayback: 3 requests: 3 CDX calls, 0 playback requests; 1 answered 429") || !strings.Contains(out, "connections dropped") {
		t.Errorf("summary:\n%s", out)
	}
}
