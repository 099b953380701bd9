package main

// The Wayback Machine as a second source, end to end through the CLI: a
// live host that drops every connection and a fake Wayback Machine
// (crawler/fakesite.Wayback) that speaks the real CDX and playback APIs.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// waybackYAML is the wayback: section pointing at a fake.
func waybackYAML(use, base string) string {
	return fmt.Sprintf("wayback:\n  use: %s\n  base_url: %s\n  delay: 0s\n  cdx_per_minute: 100000\n", use, base)
}

// startWayback serves a fake Wayback Machine of sites.
func startWayback(t testing.TB, o fakesite.WaybackOptions) (*fakesite.Wayback, *httptest.Server) {
	t.Helper()
	wb := fakesite.NewWayback(o)
	srv := wb.Start()
	t.Cleanup(srv.Close)
	return wb, srv
}

// startDrop starts a host that drops every connection.
func startDrop(t testing.TB) *fakesite.DropServer {
	t.Helper()
	d := fakesite.StartDropServer()
	t.Cleanup(d.Close)
	return d
}

// checkWaybackArchive compares the archive with the fake's truth: every
// document with a capture of its page archived from the Wayback Machine,
// its record the newest good capture's content, its body byte for byte
// the capture played back at its source_url; no other document archived.
// It returns the number of archivable documents.
func checkWaybackArchive(t testing.TB, e *env, wb *fakesite.Wayback, lang string) int {
	t.Helper()
	recs := map[int64]record.Record{}
	for _, r := range e.records("--lang", lang) {
		recs[r.ID] = r
	}
	archivable, bad := 0, 0
	e.inspect(func(db *store.DB) {
		for _, d := range wb.Docs(lang) {
			got, ok := recs[d.ID]
			if !d.Archivable {
				if ok {
					t.Errorf("%s/%d archived, but none of its captures is the page (source_url %s)", lang, d.ID, got.SourceURL)
					bad++
				}
				continue
			}
			archivable++
			if !ok {
				t.Errorf("%s/%d: not archived", lang, d.ID)
				bad++
				continue
			}
			if got.Source != record.SourceWayback {
				t.Errorf("%s/%d: source %q, want wayback", lang, d.ID, got.Source)
			}
			if !record.SameContent(&got, &d.Current) {
				t.Errorf("%s/%d: record differs from the captured page:\n got: %s\nwant: %s", lang, d.ID, mustJSON(got.Content()), mustJSON(d.Current.Content()))
				bad++
			}
			c := wb.CaptureAt(got.SourceURL)
			if c == nil {
				t.Errorf("%s/%d: source_url %s is no capture", lang, d.ID, got.SourceURL)
				bad++
				continue
			}
			if ts, err := time.Parse(time.RFC3339, got.CapturedAt); err != nil || !ts.Equal(c.Time) {
				t.Errorf("%s/%d: captured_at %q, the capture was made %s", lang, d.ID, got.CapturedAt, c.Time.Format(time.RFC3339))
			}
			raw, err := db.RawResponse(lang, d.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw.Body, c.Bytes()) {
				t.Errorf("%s/%d: stored body (%d bytes) is not the captured page (%d bytes)", lang, d.ID, len(raw.Body), len(c.Bytes()))
				bad++
			}
			if raw.Status != 200 || raw.Header.Get("Memento-Datetime") != "" || raw.Header.Get("Server") == "" {
				t.Errorf("%s/%d: stored status/headers are not the site's: %d %v", lang, d.ID, raw.Status, raw.Header)
			}
			if bad > 8 {
				t.Fatal("too many differences")
			}
		}
	})
	return archivable
}

// TestWayback_LiveDown_CrawlFillsTheArchive: both live hosts drop every
// connection; `crawl` on the built-in wayback.use (fallback) archives
// every document that has a capture of its page, from the captures, in
// the same run; the next run goes straight to the Wayback Machine and
// asks only for new captures.
func TestWayback_LiveDown_CrawlFillsTheArchive(t *testing.T) {
	en, ru := fakesite.GeneratePair(160, 120, 80, 71)
	siteEN := fakesite.New(fakesite.Options{Lang: "en", Docs: en})
	siteRU := fakesite.New(fakesite.Options{Lang: "ru", Docs: ru})
	// 150 rows per CDX answer: the walks page with resume keys.
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{siteEN, siteRU}, Seed: 5, MaxRows: 150})
	dropEN, dropRU := startDrop(t), startDrop(t)
	e := newEnv(t, []siteConf{{lang: "en", base: dropEN.URL}, {lang: "ru", base: dropRU.URL}},
		"retries: 1\n"+strings.Replace(waybackYAML("fallback", wsrv.URL), "  use: fallback\n", "", 1))

	r := e.mustRun(ExitOK, "crawl")
	if !strings.Contains(r.stderr, "taking pages from the Wayback Machine") || !strings.Contains(r.stderr, "cannot be reached") {
		t.Errorf("the fallback and its reason are not logged:\n%s", tail(r.stderr, 20))
	}
	docs := 0
	for _, lang := range []string{"en", "ru"} {
		docs += checkWaybackArchive(t, e, wb, lang)
	}
	cdx, fetches := wb.CDXCalls(), wb.CaptureFetches()
	t.Logf("%d documents from the Wayback Machine: %d CDX calls, %d capture fetches (%.3f per document); live connections dropped: en %d, ru %d",
		docs, cdx, fetches, float64(fetches)/float64(docs), dropEN.Connections(), dropRU.Connections())
	if float64(fetches) > 1.05*float64(docs) {
		t.Errorf("%d capture fetches for %d documents: more than 1.05 per document", fetches, docs)
	}
	if n := wb.PauseViolations(); n != 0 {
		t.Errorf("%d requests during a 429 pause", n)
	}
	if n := wb.MaxInFlight(); n != 1 {
		t.Errorf("%d requests in flight to the Wayback Machine at once (two hosts fell back), want 1", n)
	}
	if got := summaryField(t, r.stderr, "wayback"); got != strconv.Itoa(docs) {
		t.Errorf("summary wayback=%s, want %d", got, docs)
	}
	if got := summaryField(t, r.stderr, "live"); got != "0" {
		t.Errorf("summary live=%s, want 0", got)
	}
	runs := e.runsJSON()
	if runs[0].Wayback != docs || runs[0].Live != 0 || runs[0].Fallback == "" || runs[0].CDXCalls != cdx {
		t.Errorf("ledger: %+v", runs[0])
	}
	st := e.statsJSON()
	if st.Langs["en"].BySource["wayback"]+st.Langs["ru"].BySource["wayback"] != docs {
		t.Errorf("stats by source: en %v ru %v, want %d from the Wayback Machine", st.Langs["en"].BySource, st.Langs["ru"].BySource, docs)
	}
	unreachable := 0
	for _, h := range st.Hosts {
		if !h.Unreachable.IsZero() {
			unreachable++
		}
	}
	if unreachable != 2 {
		t.Errorf("%d hosts remembered as unreachable, want 2: %+v", unreachable, st.Hosts)
	}

	// The next run does not try the live hosts (remembered unreachable),
	// asks the index only for captures made since the last walk (one call
	// per section and host), and fetches nothing it has.
	e.ageWaybackWalks(time.Hour)
	wb.ResetLog()
	before := dropEN.Connections() + dropRU.Connections()
	r = e.mustRun(ExitOK, "crawl")
	if n := dropEN.Connections() + dropRU.Connections() - before; n != 0 {
		t.Errorf("the second run connected %d times to the live hosts remembered as unreachable", n)
	}
	if !strings.Contains(r.stderr, "gave no answer since") {
		t.Errorf("the remembered reason is not logged:\n%s", tail(r.stderr, 10))
	}
	if n := wb.CDXCalls(); n != 2 {
		t.Errorf("second crawl: %d CDX calls, want 2 (one per host, for both sections)", n)
	}
	for _, q := range wb.Requests() {
		if q.Endpoint == "cdx" && !strings.Contains(q.Query, "from=") {
			t.Errorf("second crawl walked the whole index: %s", q.Query)
		}
	}
	if n := wb.CaptureFetches(); n != 0 {
		t.Errorf("second crawl fetched %d captures, want 0", n)
	}
	if got := summaryField(t, r.stderr, "new"); got != "0" {
		t.Errorf("second crawl new=%s", got)
	}
}

// TestWayback_LiveAnswering_NoWaybackRequest: with the live site
// answering, wayback.use fallback makes no request to the Wayback
// Machine at all.
func TestWayback_LiveAnswering_NoWaybackRequest(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 90, Seed: 72})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 6})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, waybackYAML("fallback", wsrv.URL))
	r := e.mustRun(ExitOK, "crawl")
	e.mustRun(ExitOK, "backfill")
	e.mustRun(ExitOK, "crawl")
	if n := wb.TotalRequests(); n != 0 {
		t.Errorf("%d requests to the Wayback Machine with the live site answering: %+v", n, wb.Requests())
	}
	checkArchive(t, site, e.records())
	for _, rec := range e.records() {
		if rec.Source != record.SourceLive || rec.CapturedAt != rec.FetchedAt {
			t.Fatalf("%d: source %q captured_at %q fetched_at %q", rec.ID, rec.Source, rec.CapturedAt, rec.FetchedAt)
		}
	}
	if strings.Contains(r.stderr, "Wayback Machine") || summaryField(t, r.stderr, "wayback") != "0" {
		t.Errorf("the run mentions the Wayback Machine:\n%s", r.stderr)
	}
}

// TestWayback_Only_NeverContactsLive: --wayback only archives from the
// captures without a single request to the live site, which answers.
func TestWayback_Only_NeverContactsLive(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 70, Seed: 73})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 7})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, waybackYAML("never", wsrv.URL))
	r := e.mustRun(ExitOK, "backfill", "--wayback", "only")
	if n := len(site.Requests()); n != 0 {
		t.Errorf("%d requests to the live site with --wayback only", n)
	}
	if !strings.Contains(r.stderr, "wayback.use is only") {
		t.Errorf("the reason is not logged:\n%s", tail(r.stderr, 10))
	}
	checkWaybackArchive(t, e, wb, "en")
}

// TestWayback_HistoryImportsEveryContent: `backfill --wayback only
// --history` keeps, for each document, one version per distinct content
// among its captures, oldest first; captures that differ only in the
// template (scripts, footer) add none.
func TestWayback_HistoryImportsEveryContent(t *testing.T) {
	for _, first := range []string{"", "crawl"} {
		t.Run("after="+first, func(t *testing.T) { testHistory(t, first) })
	}
}

// testHistory imports the history into an empty archive, or (first =
// "crawl") into one that holds the newest capture of each document
// already: the earlier captures then take their places before it.
func testHistory(t *testing.T, first string) {
	site := fakesite.New(fakesite.Options{N: 90, Seed: 74})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 8, MaxRows: 60})
	drop := startDrop(t)
	e := newEnv(t, []siteConf{{lang: "en", base: drop.URL}}, waybackYAML("never", wsrv.URL))
	if first != "" {
		e.mustRun(ExitOK, first, "--wayback", "only")
	}
	e.mustRun(ExitOK, "backfill", "--wayback", "only", "--history")
	multi, noise := 0, 0
	e.inspect(func(db *store.DB) {
		for _, d := range wb.Docs("en") {
			vs, err := db.Versions("en", d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != len(d.Versions) {
				t.Errorf("%d: %d versions, want %d (its captures hold %d contents)", d.ID, len(vs), len(d.Versions), len(d.Versions))
				continue
			}
			for i := range vs {
				if !record.SameContent(vs[i].Record, &d.Versions[i]) {
					t.Errorf("%d: version %d is not the %d-th content:\n got: %s\nwant: %s", d.ID, i+1, i+1, mustJSON(vs[i].Record.Content()), mustJSON(d.Versions[i].Content()))
				}
				if i > 0 && vs[i].Record.CapturedAt <= vs[i-1].Record.CapturedAt {
					t.Errorf("%d: versions not in capture order: %s then %s", d.ID, vs[i-1].Record.CapturedAt, vs[i].Record.CapturedAt)
				}
			}
			if len(d.Versions) > 1 {
				multi++
			}
			pages := 0
			for _, c := range d.Captures {
				if c.Status == 200 && (c.Kind == fakesite.CapturePage || c.Kind == fakesite.CapturePrint) {
					pages++
				}
			}
			if pages > len(d.Versions) {
				noise++
			}
		}
	})
	if multi == 0 || noise == 0 {
		t.Fatalf("the plan has %d documents with edits and %d with template-only captures: the test tests nothing", multi, noise)
	}
	// Every document with a capture of its page is done: nothing is left
	// in the frontier, even when its newest capture was not the page.
	if st := e.statsJSON(); len(st.Pending) != 0 {
		t.Errorf("%d documents left in the frontier after the import: %+v", len(st.Pending), st.Pending[0])
	}
	t.Logf("%d documents with several contents, %d with captures differing only in the template", multi, noise)
	show := e.mustRun(ExitOK, "show", strconv.FormatInt(firstMulti(wb), 10), "--versions")
	if !strings.Contains(show.stdout, "captured_at") {
		t.Errorf("show --versions does not say when each version was captured:\n%s", show.stdout)
	}
}

func firstMulti(wb *fakesite.Wayback) int64 {
	for _, d := range wb.Docs("en") {
		if len(d.Versions) > 1 {
			return d.ID
		}
	}
	return 0
}

// TestWayback_429PausesHonoured: both endpoints answer 429 now and then
// (Retry-After 1 s); no request reaches an endpoint before its pause has
// passed, and the archive is complete.
func TestWayback_429PausesHonoured(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 40, Seed: 75})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 9, MaxRows: 30,
		Limits: fakesite.WaybackLimits{CDXEvery: 2, WebEvery: 15, RetryAfter: time.Second}})
	drop := startDrop(t)
	e := newEnv(t, []siteConf{{lang: "en", base: drop.URL}}, waybackYAML("only", wsrv.URL))
	r := e.mustRun(ExitOK, "backfill")
	if n := wb.Throttled(); n < 4 {
		t.Fatalf("only %d answers of 429: the test tests nothing", n)
	}
	if n := wb.PauseViolations(); n != 0 {
		t.Errorf("%d requests made during a 429 pause", n)
	}
	if !strings.Contains(r.stderr, "asked us to slow down") {
		t.Errorf("the pauses are not logged:\n%s", tail(r.stderr, 10))
	}
	checkWaybackArchive(t, e, wb, "en")
}

// TestWayback_KillLoop: `backfill --wayback only` killed with SIGKILL at
// random moments and restarted: nothing is lost, and only the request in
// flight at a kill may be repeated.
func TestWayback_KillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess kill loop")
	}
	site := fakesite.New(fakesite.Options{N: 220, Seed: 76})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 10, MaxRows: 60, Latency: 15 * time.Millisecond})
	drop := startDrop(t)
	e := newEnv(t, []siteConf{{lang: "en", base: drop.URL}}, waybackYAML("only", wsrv.URL))
	rng := rand.New(rand.NewPCG(76, 77))
	kills := 0
	for i := 0; i < 14; i++ {
		cmd, out := startCLI(t, "backfill", "--config", e.cfgPath)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if code := exitOf(err); code != ExitOK {
				t.Fatalf("round %d: exit %d before the kill\n%s", i, code, tail(out.String(), 10))
			}
		case <-time.After(30*time.Millisecond + time.Duration(rng.Int64N(int64(400*time.Millisecond)))):
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if exitOf(<-done) != ExitOK {
				kills++
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // the last killed request's handler ends
	e.mustRun(ExitOK, "backfill")
	checkWaybackArchive(t, e, wb, "en")

	// Repeated requests: per capture URL and per CDX batch (query).
	seen := map[string]int{}
	for _, q := range wb.Requests() {
		seen[q.Endpoint+" "+q.Path+"?"+q.Query]++
	}
	dup := 0
	for k, n := range seen {
		if n > 1 && !strings.Contains(k, "www.") {
			dup += n - 1
		}
	}
	t.Logf("%d kills; %d requests, %d repeated", kills, wb.TotalRequests(), dup)
	if kills < 5 {
		t.Errorf("only %d rounds were killed mid-run: the test tests nothing", kills)
	}
	if dup > kills {
		t.Errorf("%d repeated requests after %d kills: only the request in flight at a kill may repeat", dup, kills)
	}
	if v := e.run(context.Background(), "verify"); v.code != ExitOK {
		t.Errorf("verify: exit %d\n%s", v.code, v.stdout)
	}
}

// TestWayback_LiveAfterWayback: documents archived from captures while
// the live host was down; when it answers again, a document the site has
// edited since is fetched live and becomes a new version, an unchanged
// one is not replaced.
func TestWayback_LiveAfterWayback(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 60, Seed: 77})
	wb, wsrv := startWayback(t, fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 11, Plain: true})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, waybackYAML("only", wsrv.URL))
	e.mustRun(ExitOK, "backfill")
	checkWaybackArchive(t, e, wb, "en")

	edited := site.Docs()[3].ID
	site.Update(edited, func(d *fakesite.Doc) { d.Lead += " A sentence added later." })
	e.mustRun(ExitOK, "backfill", "--wayback", "never")
	recs := e.records()
	for _, r := range recs {
		switch {
		case r.ID == edited && (r.Source != record.SourceLive || r.Version != 2):
			t.Errorf("edited %d: source %s, %d versions; want a live second version", r.ID, r.Source, r.Version)
		case r.ID != edited && r.Version != 1:
			t.Errorf("%d: %d versions, want 1", r.ID, r.Version)
		}
	}
	checkArchive(t, site, recs)
}

// ageWaybackWalks moves the end of every listing's last walk of the
// Wayback Machine's index back by d (a run skips the walk for a while
// after one has ended).
func (e *env) ageWaybackWalks(d time.Duration) {
	e.t.Helper()
	db, err := store.Open(e.dbPath, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	states, err := db.SectionStates()
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range states {
		if ws := states[i].Wayback; ws != nil {
			ws.LastWalk = ws.LastWalk.Add(-d)
			if err := db.SaveSectionState(&states[i]); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}
