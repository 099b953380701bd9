package main

// A hostile network (issue "hostile network"): every fault the fake site
// can inject, 403 bursts, robots.txt that cannot be read, oversized pages,
// and runs through HTTP and SOCKS5 proxies. Whatever happens, nothing that
// is not the real page may ever be stored, and repeated runs must end with
// the complete archive.

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// hostileRates is a mix of every fault kind except 403 (the throttle
// signal, tested separately): about a quarter of all requests fail.
var hostileRates = map[fakesite.FaultKind]float64{
	fakesite.Fault429:               0.01,
	fakesite.Fault503:               0.01,
	fakesite.Fault500:               0.02,
	fakesite.Fault502:               0.02,
	fakesite.FaultReset:             0.02,
	fakesite.FaultResetAfterHeaders: 0.02,
	fakesite.FaultHang:              0.015,
	fakesite.FaultSlow:              0.02,
	fakesite.FaultTruncate:          0.02,
	fakesite.FaultChallenge:         0.015,
	fakesite.FaultEmpty:             0.02,
	fakesite.FaultWrongPage:         0.02,
	fakesite.FaultRedirect:          0.015,
	fakesite.FaultOversize:          0.015,
}

// largestPage is the size of the largest page the site serves (documents
// and listing pages), without faults.
func largestPage(site *fakesite.Site) int {
	n := 0
	for _, sec := range site.Sections() {
		for p := 1; p <= site.Pages(sec); p++ {
			b, _ := site.Page(fmt.Sprintf("/events/president/%s/page/%d", sec, p))
			n = max(n, len(b))
		}
		for _, id := range site.IDs(sec) {
			b, _ := site.Page(docPath(sec, id))
			n = max(n, len(b))
		}
	}
	return n
}

// waitCooldown sleeps until every recorded cool-down has passed.
func (e *env) waitCooldown() time.Duration {
	e.t.Helper()
	var until time.Time
	for _, h := range e.statsJSON().Hosts {
		if h.CooldownUntil.After(until) {
			until = h.CooldownUntil
		}
	}
	d := time.Until(until)
	if d > 0 {
		time.Sleep(d + 20*time.Millisecond)
	}
	return max(d, 0)
}

// TestHostile_EveryFaultKind crawls ~150 documents through every fault
// kind and checks that repeated backfills end with exactly the site's
// pages: every document, each stored once, byte for byte what the site
// serves, and a clean verify.
func TestHostile_EveryFaultKind(t *testing.T) {
	const maxRuns = 8
	site, srv := startSite(t, fakesite.Options{N: 150, Seed: 31, Faults: fakesite.Faults{
		Seed:           31,
		Rates:          hostileRates,
		MaxConsecutive: 2,
		SlowFor:        100 * time.Millisecond, // a slow answer that still arrives within the timeout
		OversizeBytes:  512 << 10,
	}})
	// Listing pages get few random faults (~10 requests per run): force one
	// of each kind that a listing page can meet, so the walks must resume.
	// (wrong-page on a listing: TestHostile_WrongListingPage.)
	for path, k := range map[string]fakesite.FaultKind{
		"/events/president/news/page/2": fakesite.FaultRedirect,
		"/events/president/news/page/3": fakesite.FaultEmpty,
		"/events/president/news/page/4": fakesite.FaultTruncate,
		"/events/president/news/page/5": fakesite.FaultOversize,
		"/events/president/news/page/6": fakesite.FaultResetAfterHeaders,
		"/events/president/transcripts": fakesite.FaultChallenge,
	} {
		site.ForcePath(path, fakesite.Fault{Kind: k}, 1)
	}
	big := largestPage(site)
	maxBody := max(128<<10, 2*big)
	if maxBody >= 512<<10 {
		t.Fatalf("setup: largest page %d bytes; the oversize fault would be within max_body", big)
	}
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}},
		fmt.Sprintf("max_body: %d\ncooldown: 300ms\nmax_cooldown: 1s\nretry_failed: 0s\n", maxBody))
	e.setConf("timeout", "500ms") // hang faults end with the client's timeout

	start := time.Now()
	var codes []int
	slept := time.Duration(0)
	for run := 1; ; run++ {
		if run > maxRuns {
			t.Fatalf("no clean backfill after %d runs (exit codes %v)", maxRuns, codes)
		}
		r := e.run(context.Background(), "backfill")
		codes = append(codes, r.code)
		if r.code == ExitOK {
			break
		}
		if r.code != ExitPartial && r.code != ExitRefused {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, tail(r.stderr, 20))
		}
		slept += e.waitCooldown()
	}
	site.WaitIdle(2 * time.Second)
	t.Logf("hostile backfill: %d runs (exit codes %v) in %s (%s of it waiting out cool-downs); %d requests",
		len(codes), codes, time.Since(start).Round(time.Millisecond), slept.Round(time.Millisecond), len(site.Requests()))

	// Every fault kind was actually served.
	seen := map[fakesite.FaultKind]int{}
	for _, q := range site.Requests() {
		seen[q.Fault]++
	}
	for k := range hostileRates {
		if seen[k] == 0 {
			t.Errorf("fault %s never happened: the test does not exercise it", k)
		}
	}
	onListings := map[fakesite.FaultKind]int{}
	for _, q := range site.Requests() {
		if q.Kind == fakesite.KindListing && q.Fault != fakesite.FaultNone {
			onListings[q.Fault]++
		}
	}
	t.Logf("faults served: %v; on listing pages: %v", seen, onListings)

	recs := e.records()
	checkArchive(t, site, recs)
	st := e.statsJSON()
	if ls := st.Langs["en"]; ls == nil || ls.Versions != ls.Documents || ls.Changed != 0 {
		t.Errorf("stats: %+v; want one version per document", ls)
	}
	if len(st.Pending) != 0 {
		t.Errorf("%d documents left in the frontier after a clean run", len(st.Pending))
	}
	bad := 0
	for _, rec := range recs {
		if rec.Version != 1 {
			t.Errorf("document %d stored %d times", rec.ID, rec.Version)
		}
		raw := e.mustRun(ExitOK, "show", strconv.FormatInt(rec.ID, 10), "--raw", "--lang", "en")
		want, status := site.Page(pathOf(t, rec.SourceURL))
		if status != 200 || !bytes.Equal([]byte(raw.stdout), want) {
			bad++
			if bad <= 5 {
				t.Errorf("document %d: the stored body (%d bytes) is not the page the site serves at %s (%d bytes, status %d)",
					rec.ID, len(raw.stdout), rec.SourceURL, len(want), status)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d stored bodies are not the real page", bad)
	}
	v := e.run(context.Background(), "verify")
	if v.code != ExitOK || !strings.Contains(v.stdout, "0 problem(s)") {
		t.Errorf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}

// TestHostile_WrongListingPage: a listing request answered with another
// listing page (a cache or load balancer serving page 3 for page 2) must
// not be taken for the page asked for: the items of the page asked for
// would never be seen by that walk.
func TestHostile_WrongListingPage(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 90, Seed: 33})
	site.ForcePath("/events/president/news/page/2", fakesite.Fault{Kind: fakesite.FaultWrongPage}, 1)
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.run(context.Background(), "backfill")
	if r.code == ExitOK {
		// A clean exit must mean a complete walk.
		checkArchive(t, site, e.records())
	} else {
		// Or the run says it is incomplete, and the next one completes it.
		e.mustRun(ExitOK, "backfill")
		checkArchive(t, site, e.records())
	}
}

// TestHostile_ChallengeWall: a site that answers every document with an
// anti-bot interstitial (200 + JavaScript challenge) is refusing us: after
// throttle_burst such pages in a row the host must stop with a recorded
// cool-down (exit 4), like after a burst of 403s.
func TestHostile_ChallengeWall(t *testing.T) {
	docPage := regexp.MustCompile(`^/events/president/[a-z/]+/\d+$`)
	site, srv := startSite(t, fakesite.Options{N: 40, Seed: 35, Faults: fakesite.Faults{
		Seed:           35,
		Rates:          map[fakesite.FaultKind]float64{fakesite.FaultChallenge: 1},
		MaxConsecutive: -1,
		Match:          docPage.MatchString,
	}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "cooldown: 1h\n")
	r := e.run(context.Background(), "backfill")
	site.WaitIdle(time.Second)
	challenges := len(site.Filter(func(q fakesite.Request) bool { return q.Fault == fakesite.FaultChallenge }))
	t.Logf("challenge wall: exit %d after %d challenge pages", r.code, challenges)
	if r.code != ExitRefused {
		t.Errorf("exit %d, want %d (refused)", r.code, ExitRefused)
	}
	if challenges > 2 {
		t.Errorf("%d anti-bot pages fetched in a row, want at most throttle_burst (2)", challenges)
	}
	if st := e.mustRun(ExitOK, "stats"); !strings.Contains(st.stdout, "COOLING DOWN") {
		t.Errorf("no cool-down recorded:\n%s", st.stdout)
	}
	for _, rec := range e.records() {
		t.Errorf("document %d archived from a challenge page", rec.ID)
	}
}

// TestHostile_403BurstThenResume: the site's throttle (403 for every
// request after N) stops the run at once with exit 4; the next run after
// the cool-down completes the archive without refetching anything.
func TestHostile_403BurstThenResume(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 80, Seed: 37, Faults: fakesite.Faults{
		Throttle: &fakesite.Throttle{Requests: 40, BlockFor: 300 * time.Millisecond, Once: true},
	}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "cooldown: 1s\nmax_cooldown: 2s\n")
	r := e.mustRun(ExitRefused, "backfill")
	site.WaitIdle(time.Second)
	reqs := site.Requests()
	first := slices.IndexFunc(reqs, func(q fakesite.Request) bool { return q.Status == 403 })
	if first < 0 {
		t.Fatal("the site never throttled")
	}
	if after := len(reqs) - first - 1; after > 1 {
		t.Errorf("%d requests after the first 403, want at most 1", after)
	}
	if !strings.Contains(r.stderr, "cool") {
		t.Errorf("exit 4 without a word about the cool-down:\n%s", tail(r.stderr, 4))
	}
	runs := e.runsJSON()
	if runs[0].Status != "refused" || runs[0].ExitCode != ExitRefused || runs[0].Throttled < 1 {
		t.Errorf("ledger: %+v", runs[0])
	}

	// During the cool-down: no request at all.
	site.ResetLog()
	e.mustRun(ExitRefused, "backfill")
	if n := len(site.Requests()); n != 0 {
		t.Errorf("%d requests during the cool-down", n)
	}
	e.waitCooldown()
	site.ResetLog()
	e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	checkArchive(t, site, e.records())
	// Documents archived before the burst are not fetched again.
	for id, n := range site.DocFetchCounts() {
		if n > 1 {
			t.Errorf("document %d fetched %d times by the resumed run", id, n)
		}
	}
	if got := len(site.DocFetchCounts()); got >= len(site.Docs()) {
		t.Errorf("the resumed run fetched %d documents: it started over", got)
	}
}

// TestHostile_Robots: robots.txt that answers 503 or 429 or never answers
// means "do not crawl this host now" (RFC 9309): exit 4 and no page
// request. 404 means "no rules": everything is crawled.
func TestHostile_Robots(t *testing.T) {
	for _, tc := range []struct {
		name   string
		robots fakesite.Robots
		code   int
	}{
		{"503", fakesite.Robots{Status: 503}, ExitRefused},
		{"429", fakesite.Robots{Status: 429, RetryAfter: time.Second}, ExitRefused},
		// No answer at all: the host is unreachable, not refusing.
		{"hang", fakesite.Robots{Hang: true}, ExitUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, srv := startSite(t, fakesite.Options{N: 20, Seed: 39, Robots: tc.robots})
			e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "retries: 1\n")
			e.setConf("timeout", "300ms")
			start := time.Now()
			r := e.run(context.Background(), "backfill")
			site.WaitIdle(2 * time.Second)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, tail(r.stderr, 8))
			}
			if !strings.Contains(r.stderr, "robots.txt") {
				t.Errorf("the error does not name robots.txt:\n%s", tail(r.stderr, 4))
			}
			for _, q := range site.Requests() {
				if q.Path != "/robots.txt" {
					t.Errorf("requested %s although robots.txt could not be read", q.Path)
				}
			}
			if n := site.Count("/robots.txt"); n < 1 || n > 2 {
				t.Errorf("robots.txt requested %d times, want 1..retries+1 (2)", n)
			}
			if n := len(e.records()); n != 0 {
				t.Errorf("%d documents archived", n)
			}
			t.Logf("robots %s: exit %d after %s", tc.name, r.code, time.Since(start).Round(time.Millisecond))
		})
	}
	t.Run("404", func(t *testing.T) {
		site, srv := startSite(t, fakesite.Options{N: 30, Seed: 39, Robots: fakesite.Robots{Status: 404}})
		e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
		e.mustRun(ExitOK, "backfill")
		site.WaitIdle(time.Second)
		checkArchive(t, site, e.records())
		if n := site.Count("/robots.txt"); n != 1 {
			t.Errorf("robots.txt requested %d times, want 1", n)
		}
	})
}

// TestHostile_Oversize: a page over max_body is an explicit error naming
// the URL and the limit; the document stays pending, is never stored cut
// short, and is archived once the page is back to its size.
func TestHostile_Oversize(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 30, Seed: 41})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "max_body: 128KiB\n")
	id := newsOnlyOn(t, site, 1)[1]
	path := docPath("news", id)
	site.ForcePath(path, fakesite.Fault{Kind: fakesite.FaultOversize, Size: 400 << 10}, 1)
	r := e.run(context.Background(), "backfill")
	site.WaitIdle(time.Second)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitPartial, tail(r.stderr, 8))
	}
	var line string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, path) && strings.Contains(l, "max_body") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, strconv.Itoa(128<<10)) {
		t.Errorf("no log line names the URL %s, max_body and the limit:\n%s", path, tail(r.stderr, 10))
	}
	if n := site.Count(path); n != 1 {
		t.Errorf("the oversized page was requested %d times, want 1 (not worth retrying at once)", n)
	}
	p := e.pendingOf("en", id)
	if p == nil || !strings.Contains(p.LastError, "max_body") || !strings.Contains(p.LastError, path) {
		t.Fatalf("frontier entry: %+v; want the document pending with the max_body error", p)
	}
	show := e.run(context.Background(), "show", strconv.FormatInt(id, 10))
	if show.code == ExitOK || !strings.Contains(show.stderr, "max_body") {
		t.Errorf("show of the oversized document: exit %d\n%s", show.code, show.stderr)
	}
	e.mustRun(ExitOK, "crawl")
	checkArchive(t, site, e.records())
}

// TestHostile_Proxies crawls the same site directly, through a forwarding
// HTTP proxy and through a SOCKS5 proxy (`proxy:` in crawl.yaml): the
// three archives hold the same documents, and the proxies carried the
// traffic.
func TestHostile_Proxies(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 40, Seed: 43})
	crawl := func(proxy string) ([]record.Record, int) {
		t.Helper()
		extra := ""
		if proxy != "" {
			extra = fmt.Sprintf("proxy: %q\n", proxy)
		}
		e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, extra)
		site.WaitIdle(time.Second)
		site.ResetLog()
		e.mustRun(ExitOK, "backfill")
		site.WaitIdle(time.Second)
		n := len(site.Requests())
		recs := e.records()
		checkArchive(t, site, recs)
		return recs, n
	}
	direct, _ := crawl("")

	hp := fakesite.StartHTTPProxy()
	t.Cleanup(hp.Close)
	viaHTTP, siteReqs := crawl(hp.URL)
	if got := hp.Hits.Load(); got != int64(siteReqs) {
		t.Errorf("HTTP proxy forwarded %d requests, the site saw %d", got, siteReqs)
	}
	if hosts := hp.Hosts(); len(hosts) != 1 || hosts[0] != srv.Listener.Addr().String() {
		t.Errorf("HTTP proxy was asked for hosts %v, want only %s", hosts, srv.Listener.Addr())
	}

	sp, err := fakesite.StartSOCKS5()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sp.Close)
	viaSOCKS, _ := crawl(sp.URL)
	if sp.Conns.Load() == 0 {
		t.Error("the SOCKS5 proxy saw no connection")
	}
	var body int64
	for _, q := range site.Requests() {
		body += q.Bytes
	}
	if got := sp.Down.Load(); got < body {
		t.Errorf("SOCKS5 proxy relayed %d bytes to the client; the site sent %d body bytes", got, body)
	}
	if targets := sp.Targets(); len(targets) != 1 || targets[0] != srv.Listener.Addr().String() {
		t.Errorf("SOCKS5 CONNECT targets %v, want only %s", targets, srv.Listener.Addr())
	}

	for name, recs := range map[string][]record.Record{"http proxy": viaHTTP, "socks5": viaSOCKS} {
		if len(recs) != len(direct) {
			t.Errorf("%s: %d records, direct %d", name, len(recs), len(direct))
			continue
		}
		for i := range recs {
			a, b := recs[i], direct[i]
			if a.ID != b.ID || !record.SameContent(&a, &b) || a.RawSHA256 != b.RawSHA256 {
				t.Errorf("%s: record %d differs from the direct run's %d", name, a.ID, b.ID)
			}
		}
	}
}
