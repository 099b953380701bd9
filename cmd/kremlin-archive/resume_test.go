package main

// Regressions of resumption: a crawl interrupted beyond page 1, a
// backfill interrupted in its second listing, a refusal just before a
// restart.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// A crawl that stops after page 1 of its newest pages (here: page 2
// fails) must not lose the new documents beyond page 1: the next crawl
// continues from where the walk stopped.
func TestCrawl_InterruptedHeadWalkResumes(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 100, Seed: 61})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "retries: 0\n")
	e.mustRun(ExitOK, "backfill")

	added := site.NewDocs(30) // a page and a half of new items
	site.AddDocs(added...)
	site.ForcePath("/events/president/news/page/2", fakesite.Fault{Kind: fakesite.Fault500}, 1)
	e.mustRun(ExitPartial, "crawl")
	e.mustRun(ExitOK, "crawl")
	site.WaitIdle(time.Second)
	for _, d := range added {
		if site.DocFetchesOK(d.ID) != 1 {
			t.Errorf("new document %d fetched %d times, want 1", d.ID, site.DocFetchesOK(d.ID))
		}
	}
	checkArchive(t, site, e.records())
}

// A backfill interrupted in its second listing resumes there: the listing
// it finished is only checked from page 1, not walked again.
func TestBackfill_ResumeDoesNotRewalkFinishedListings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var transcripts atomic.Int32
	site, srv := startSite(t, fakesite.Options{N: 200, Seed: 62, OnRequest: func(r fakesite.Request) {
		if r.Kind == fakesite.KindListing && r.Section == "transcripts" && transcripts.Add(1) == 2 {
			cancel()
		}
	}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	if r := e.run(ctx, "backfill"); r.code != ExitInterrupted {
		t.Fatalf("interrupted backfill: exit %d\n%s", r.code, tail(r.stderr, 5))
	}
	site.WaitIdle(time.Second)
	site.ResetLog()
	e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	news := len(site.Filter(func(r fakesite.Request) bool { return r.Kind == fakesite.KindListing && r.Section == "news" }))
	if news > 1 {
		t.Errorf("the resumed backfill read %d news listing pages; news was finished, want at most page 1", news)
	}
	checkArchive(t, site, e.records())
	// A new backfill after a finished one walks everything again.
	site.ResetLog()
	e.mustRun(ExitOK, "backfill")
	site.WaitIdle(time.Second)
	if got, want := site.ListingFetches(), site.Pages("news")+site.Pages("transcripts"); got != want {
		t.Errorf("a new backfill read %d listing pages, want all %d", got, want)
	}
}

// A run killed right after the first 403 of a burst: the next run makes
// at most one request before the cool-down.
func TestThrottle_RefusalCarriesOverARestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	site, srv := startSite(t, fakesite.Options{N: 60, Seed: 63,
		Faults: fakesite.Faults{Throttle: &fakesite.Throttle{Requests: 20, BlockFor: time.Hour}},
		OnRequest: func(r fakesite.Request) {
			if r.Status == 403 {
				// Stopped soon after the 403 reached the crawler, within
				// the pause that follows it.
				time.AfterFunc(200*time.Millisecond, cancel)
			}
		}})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	// newEnv's short backoff is replaced: the pause after a 403 must
	// outlast the restart.
	e.setKeys("backoff: 2s\nmax_backoff: 2s\n")
	if r := e.run(ctx, "backfill"); r.code != ExitInterrupted {
		t.Fatalf("run 1: exit %d, want %d (cancelled after the first 403)\n%s", r.code, ExitInterrupted, tail(r.stderr, 5))
	}
	site.WaitIdle(time.Second)
	site.ResetLog()
	e.mustRun(ExitRefused, "backfill")
	site.WaitIdle(time.Second)
	if n := len(site.Requests()); n > 1 {
		t.Errorf("after a restart, %d requests followed the first 403 of the burst, want at most 1", n)
	}
}
