package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// TestMain lets the test binary act as the real CLI for subprocess tests
// (signals, kill -9, the lock): with KA_RUN_MAIN=1 it runs main().
func TestMain(m *testing.M) {
	if os.Getenv("KA_RUN_MAIN") == "1" {
		main()
		return
	}
	oneP = false
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

// env is one archive + crawl.yaml in a temp dir.
type env struct {
	t       testing.TB
	dir     string
	cfgPath string
	dbPath  string
}

// siteConf is one entry of crawl.yaml's sites.
type siteConf struct {
	lang, base string
	sections   []string
}

// newEnv writes crawl.yaml for sites; extra is appended verbatim (YAML keys).
func newEnv(t testing.TB, sites []siteConf, extra string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfgPath: filepath.Join(dir, "crawl.yaml"), dbPath: filepath.Join(dir, "archive.db")}
	var b strings.Builder
	fmt.Fprintf(&b, "db: %s\ndelay: 0s\njitter: 0s\nbackoff: 10ms\nmax_backoff: 50ms\ntimeout: 5s\n", e.dbPath)
	b.WriteString(extra)
	if !strings.Contains(extra, "wayback:") {
		// The built-in default falls back to the real Wayback Machine;
		// tests never touch the network.
		b.WriteString("wayback:\n  use: never\n")
	}
	b.WriteString("sites:\n")
	for _, s := range sites {
		secs := s.sections
		if len(secs) == 0 {
			secs = []string{"news", "transcripts"}
		}
		fmt.Fprintf(&b, "  - lang: %s\n    base_url: %s\n    sections: [%s]\n", s.lang, s.base, strings.Join(secs, ", "))
	}
	if err := os.WriteFile(e.cfgPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// setKeys replaces top-level keys of crawl.yaml (one "key: value" per line).
func (e *env) setKeys(lines string) {
	e.t.Helper()
	b, err := os.ReadFile(e.cfgPath)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := string(b)
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		key, _, _ := strings.Cut(l, ":")
		var kept []string
		for _, old := range strings.Split(cfg, "\n") {
			if !strings.HasPrefix(old, key+":") {
				kept = append(kept, old)
			}
		}
		cfg = l + "\n" + strings.Join(kept, "\n")
	}
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// result of one CLI run.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with --config (and args) and returns its
// exit code and output.
func (e *env) run(ctx context.Context, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	full := append(append([]string{}, args...), "--config", e.cfgPath)
	err := Run(ctx, full, &out, &errb)
	code := report(&errb, err)
	return result{code, out.String(), errb.String()}
}

// mustRun runs and fails the test unless the exit code is want.
func (e *env) mustRun(want int, args ...string) result {
	e.t.Helper()
	r := e.run(context.Background(), args...)
	if r.code != want {
		e.t.Fatalf("kremlin-archive %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), r.code, want, tail(r.stderr, 40))
	}
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// records exports the archive as JSONL and decodes it.
func (e *env) records(args ...string) []record.Record {
	e.t.Helper()
	r := e.mustRun(ExitOK, append([]string{"export", "--format", "jsonl", "--speaker-keys", "page"}, args...)...)
	var out []record.Record
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var rec record.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			e.t.Fatalf("export line does not decode: %v\n%s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// inspect opens the archive read-only, calls fn and closes it again (an
// open archive locks out the CLI).
func (e *env) inspect(fn func(db *store.DB)) {
	e.t.Helper()
	db, err := store.Open(e.dbPath, &store.Options{ReadOnly: true})
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// startSite serves a fake site; the server closes with the test.
func startSite(t testing.TB, o fakesite.Options) (*fakesite.Site, *httptest.Server) {
	t.Helper()
	s := fakesite.New(o)
	srv := s.Start()
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv
}

// checkArchive compares the archive with the site's truth: every listed
// document archived, each field as the site shows it.
func checkArchive(t testing.TB, site *fakesite.Site, recs []record.Record) {
	t.Helper()
	got := map[int64]record.Record{}
	for _, r := range recs {
		if r.Lang != site.Lang() {
			continue
		}
		if _, dup := got[r.ID]; dup {
			t.Errorf("document %d exported twice", r.ID)
		}
		got[r.ID] = r
	}
	want := site.ExpectedAll()
	if len(got) != len(want) {
		t.Errorf("%s: archived %d documents, the site lists %d", site.Lang(), len(got), len(want))
	}
	bad := 0
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			t.Errorf("%s/%d: not archived", w.Lang, w.ID)
			bad++
		} else if !record.SameContent(&g, &w) {
			t.Errorf("%s/%d: archived record differs from the page:\n got: %s\nwant: %s", w.Lang, w.ID, mustJSON(g.Content()), mustJSON(w.Content()))
			bad++
		}
		if bad > 5 {
			t.Fatal("too many differences")
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// requestsOK asserts the request budget: documents + listing pages + robots.
func docsFetchedOnce(t testing.TB, site *fakesite.Site) {
	t.Helper()
	for id, n := range site.DocFetchCounts() {
		if n > 1 {
			t.Errorf("document %d fetched %d times", id, n)
		}
	}
}

func TestBackfill_EveryDocumentOnce(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 130, Seed: 3})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill")
	if !strings.Contains(r.stderr, "run finished") {
		t.Errorf("no summary line in the log:\n%s", r.stderr)
	}
	site.WaitIdle(time.Second)
	checkArchive(t, site, e.records())
	docsFetchedOnce(t, site)
	listing := site.ListingFetches()
	docs := len(site.Docs())
	total := len(site.Requests())
	if want := docs + listing + 1; total > want {
		t.Errorf("%d requests, want <= %d documents + %d listing pages + robots", total, docs, listing)
	}
	wantListing := site.Pages("news") + site.Pages("transcripts")
	if listing != wantListing {
		t.Errorf("%d listing fetches, want %d (each page once)", listing, wantListing)
	}
	if n := site.MaxInFlight(); n != 1 {
		t.Errorf("max requests in flight = %d, want 1", n)
	}
	// Documents listed in both sections remember both.
	e.inspect(func(db *store.DB) {
		for _, id := range site.IDs("transcripts") {
			d, err := db.Doc("en", id)
			if err != nil || d == nil {
				t.Fatalf("doc %d: %v", id, err)
			}
			d0, _ := site.Doc(id)
			for _, s := range d0.Sections {
				if !contains(d.ListedIn, s) {
					t.Errorf("document %d listed in %v, archive remembers %v", id, d0.Sections, d.ListedIn)
				}
			}
		}
	})
	// A second backfill of a complete archive fetches no document again.
	site.ResetLog()
	e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	for id, n := range site.DocFetchCounts() {
		t.Errorf("second backfill fetched document %d (%d times)", id, n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCrawl_IncrementalAfterNewDocuments(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 90, Seed: 5})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	e.mustRun(ExitOK, "backfill")

	// Nothing new: one listing page per section, robots.txt from the store.
	site.WaitIdle(time.Second)
	site.ResetLog()
	e.mustRun(ExitOK, "crawl")
	site.WaitIdle(time.Second)
	if n := len(site.Requests()); n > 2 {
		t.Errorf("crawl with nothing new made %d requests, want <= 1 listing page per section", n)
	}

	// K new documents at the top: every listing page shifts by K.
	const k = 27
	added := site.NewDocs(k)
	site.AddDocs(added...)
	site.ResetLog()
	r := e.mustRun(ExitOK, "crawl")
	site.WaitIdle(time.Second)
	for _, d := range added {
		if site.DocFetches(d.ID) != 1 {
			t.Errorf("new document %d fetched %d times, want 1", d.ID, site.DocFetches(d.ID))
		}
	}
	docFetches := 0
	for _, n := range site.DocFetchCounts() {
		docFetches += n
	}
	if docFetches != k {
		t.Errorf("crawl fetched %d documents, want exactly the %d new ones", docFetches, k)
	}
	// ≤ K + pages holding them (+1 page of overlap) per section + robots.
	newsPages := (k+site.PerPage()-1)/site.PerPage() + 1
	transcripts := 0
	for _, d := range added {
		if contains(d.Sections, "transcripts") {
			transcripts++
		}
	}
	trPages := (transcripts+site.PerPage()-1)/site.PerPage() + 1
	if got, max := len(site.Requests()), k+newsPages+trPages+1; got > max {
		t.Errorf("crawl made %d requests, want <= %d", got, max)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("new=%d", k)) {
		t.Errorf("summary does not report new=%d:\n%s", k, tail(r.stderr, 3))
	}
	checkArchive(t, site, e.records())
}

func TestRobots_DisallowAndCrawlDelay(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 45, Seed: 9})
	forbidden := site.Docs()[3].ID
	site.SetRobots(fakesite.Robots{Body: fmt.Sprintf("User-agent: *\nDisallow: /events/president/news/%d\nDisallow: /events/president/transcripts/%d\nCrawl-delay: 0.05\n", forbidden, forbidden)})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	if n := site.DocFetches(forbidden); n != 0 {
		t.Errorf("disallowed document fetched %d times", n)
	}
	if gap := site.MinStartGap(); gap < 50*time.Millisecond {
		t.Errorf("smallest gap between requests %s, want >= Crawl-delay 50ms", gap)
	}
	if !strings.Contains(r.stderr, "disallowed by robots.txt") {
		t.Errorf("the log does not say the document was disallowed")
	}
	recs := e.records()
	if len(recs) != len(site.Docs())-1 {
		t.Errorf("archived %d documents, want all but the disallowed one (%d)", len(recs), len(site.Docs())-1)
	}
}

func TestThrottle_403BurstCoolsDown(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 60, Seed: 11, Faults: fakesite.Faults{
		Throttle: &fakesite.Throttle{Requests: 25, BlockFor: time.Hour},
	}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "cooldown: 45m\n")
	r := e.mustRun(ExitRefused, "backfill")
	site.WaitIdle(time.Second)
	reqs := site.Requests()
	first := -1
	for i, q := range reqs {
		if q.Status == 403 {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("the site never throttled")
	}
	if after := len(reqs) - first - 1; after > 1 {
		t.Errorf("%d requests after the first 403 of the burst, want at most 1", after)
	}
	if !strings.Contains(r.stderr, "cool") {
		t.Errorf("the error does not mention the cool-down:\n%s", tail(r.stderr, 5))
	}
	// No 403 is ever archived as a document.
	for _, rec := range e.records() {
		if _, ok := site.Expected(rec.ID); !ok {
			t.Errorf("archived %d, which the site does not have", rec.ID)
		}
	}
	// The next run respects the recorded cool-down: no request at all.
	site.ResetLog()
	r = e.mustRun(ExitRefused, "crawl")
	site.WaitIdle(time.Second)
	if n := len(site.Requests()); n != 0 {
		t.Errorf("the run after a refusal made %d requests during the cool-down", n)
	}
	if !strings.Contains(r.stderr, "cool") {
		t.Errorf("second run does not explain the cool-down:\n%s", tail(r.stderr, 5))
	}
	st := e.mustRun(ExitOK, "stats")
	if !strings.Contains(st.stdout, "COOLING DOWN") {
		t.Errorf("stats does not show the cool-down:\n%s", st.stdout)
	}
}

func TestResume_AfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var docs atomic.Int32
	site, srv := startSite(t, fakesite.Options{N: 120, Seed: 13, OnRequest: func(r fakesite.Request) {
		if r.DocID != 0 && docs.Add(1) == 40 {
			cancel()
		}
	}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.run(ctx, "backfill")
	if r.code != ExitInterrupted {
		t.Fatalf("interrupted backfill: exit %d, want %d\n%s", r.code, ExitInterrupted, tail(r.stderr, 10))
	}
	var runs []store.Run
	e.inspect(func(db *store.DB) { runs, _ = db.Runs(1) })
	if len(runs) != 1 || runs[0].Status != "interrupted" || runs[0].ExitCode != ExitInterrupted {
		t.Errorf("ledger after cancel: %+v", runs)
	}
	e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	checkArchive(t, site, e.records())
	dup := 0
	for id, n := range site.DocFetchCounts() {
		if n > 1 {
			dup++
			if n > 2 {
				t.Errorf("document %d fetched %d times", id, n)
			}
		}
	}
	// Only the request in flight at the moment of the cancel may repeat.
	if dup > 1 {
		t.Errorf("%d documents fetched twice after one interruption, want at most 1", dup)
	}
}

// runCLI runs the CLI as a separate process (the test binary re-executing
// main) and returns the command, already started.
func startCLI(t testing.TB, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KA_RUN_MAIN=1")
	out := &syncBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func exitOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func TestLock_SecondProcessFailsAtOnce(t *testing.T) {
	_, srv := startSite(t, fakesite.Options{N: 200, Seed: 17, Latency: 20 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	cmd, out := startCLI(t, "backfill", "--config", e.cfgPath)
	defer cmd.Process.Kill()
	// Wait until the first process has the archive open.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "run started") {
		if time.Now().After(deadline) {
			t.Fatalf("first run did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	r := e.run(context.Background(), "crawl")
	if r.code != ExitLocked {
		t.Errorf("second run: exit %d, want %d\n%s", r.code, ExitLocked, r.stderr)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("second run took %s to fail, want at once", el)
	}
	if !strings.Contains(r.stderr, "another kremlin-archive run holds the archive") {
		t.Errorf("message does not say another run holds the archive:\n%s", r.stderr)
	}
	// Read-only commands are not: they read while the run writes
	// (concurrent_test.go).
	if r := e.run(context.Background(), "stats"); r.code != ExitOK {
		t.Errorf("stats during a run: exit %d, want %d\n%s", r.code, ExitOK, r.stderr)
	}
	cmd.Process.Signal(os.Interrupt)
	if code := exitOf(cmd.Wait()); code != ExitInterrupted {
		t.Errorf("SIGINT: exit %d, want %d\n%s", code, ExitInterrupted, tail(out.String(), 5))
	}
}

func TestUsageErrors(t *testing.T) {
	_, srv := startSite(t, fakesite.Options{N: 5, Seed: 1})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"crawl", "--nope"}, "unknown flag: --nope"},
		{[]string{"backfill", "--from", "yesterday"}, "YYYY-MM-DD"},
		{[]string{"backfill", "--from", "2020-02-01", "--to", "2020-01-01"}, "after"},
		{[]string{"show", "abc"}, "not a document ID"},
		{[]string{"export", "--format", "csv"}, "parquet or warc"},
		{[]string{"export", "--since", "5", "--state", "x"}, "do not go together"},
	}
	for _, tt := range tests {
		r := e.run(context.Background(), tt.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tt.args, r.code, r.stderr, ExitUsage, tt.want)
		}
	}
	// A bad crawl.yaml names the field.
	bad := filepath.Join(e.dir, "bad.yaml")
	os.WriteFile(bad, []byte("sites:\n  - lang: en\n    bse_url: http://x\n"), 0o644)
	var out, errb bytes.Buffer
	code := report(&errb, Run(context.Background(), []string{"crawl", "--config", bad}, &out, &errb))
	if code != ExitUsage || !strings.Contains(errb.String(), "sites[0].bse_url") {
		t.Errorf("bad config: exit %d, %q", code, errb.String())
	}
	// An explicit --config that does not exist is an error, not defaults.
	code = report(&errb, Run(context.Background(), []string{"crawl", "--config", filepath.Join(e.dir, "missing.yaml")}, &out, &errb))
	if code != ExitUsage {
		t.Errorf("missing --config file: exit %d, want %d", code, ExitUsage)
	}
}
