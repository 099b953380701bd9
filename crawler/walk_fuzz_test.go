package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// FuzzListingWalk walks a listing whose odd pages are a and even pages b,
// whatever they hold (issue 10 defect 5): no panic, and the walk ends by
// itself after at most one page per distinct item plus two — never an
// endless walk, whatever page numbers, next links and items the pages
// claim. Documents answer 404.
//
//	go test ./crawler -run '^$' -fuzz FuzzListingWalk -fuzztime 2m
func FuzzListingWalk(f *testing.F) {
	// Small pages, so that the fuzzer runs fast; the real markup is the
	// cmd tests' (TestHarden_EndlessListing against the fake site).
	page := func(attrs, next string, ids ...int) []byte {
		var b strings.Builder
		b.WriteString(`<!doctype html><html><head>`)
		if next != "" {
			b.WriteString(`<link rel="next" href="` + next + `"/>`)
		}
		b.WriteString(`</head><body><div class="entry-content lister-page"` + attrs + `>`)
		for _, id := range ids {
			fmt.Fprintf(&b, `<div class="hentry" data-id="%d"><a href="/events/president/news/%d" rel="bookmark"><span class="entry-title">T%d</span><time class="published" datetime="2020-01-02">January 2, 2020, 10:00</time><span class="updated">2020-01-03</span></a></div>`, id, id, id)
		}
		b.WriteString(`</div>`)
		if next != "" {
			b.WriteString(`<a class="more-next" rel="next" href="` + next + `">Previous</a>`)
		}
		b.WriteString(`</body></html>`)
		return []byte(b.String())
	}
	f.Add(page("", "/events/president/news/page/2", 1, 2, 3), page("", "/events/president/news/page/3", 4, 5, 6))
	f.Add(page("", "/events/president/news/page/2", 1, 2, 3), page("", "/events/president/news/page/3", 1, 2, 3))
	f.Add(page(` data-page="1" data-pages="9"`, "/events/president/news/page/2", 1, 2), page(` data-page="2" data-pages="9"`, "/events/president/news/page/3", 3))
	f.Add(page(` data-pages="2"`, "/x", 7), page("", "", 8))
	f.Add(page("", "?page=2", 9, 10), page("", "http://other.invalid/events/president/news/page/5", 11))
	f.Add(page("", "/events/president/news/page/2"), page("", "/events/president/news/page/2", 12))

	f.Fuzz(func(t *testing.T, a, b []byte) {
		var listings atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case p == "/robots.txt":
				w.WriteHeader(404)
			case p == "/events/president/news" || strings.HasPrefix(p, "/events/president/news/page/"):
				listings.Add(1)
				body := a
				if n := strings.TrimPrefix(p, "/events/president/news/page/"); n != p && len(n) > 0 && (n[len(n)-1]-'0')%2 == 0 {
					body = b
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(body)
			default:
				w.WriteHeader(404)
			}
		}))
		defer srv.Close()

		// The most items the pages can hold: each page that does not end
		// the walk brings at least one the walk has not seen.
		ids := map[int64]bool{}
		for _, body := range [][]byte{a, b} {
			for _, u := range []string{srv.URL + "/events/president/news", srv.URL + "/events/president/news/page/2"} {
				if lst, err := kremlin.ParseListing(body, u); err == nil {
					for _, it := range lst.Items {
						ids[it.ID] = true
					}
				}
			}
		}

		db, err := store.Open(filepath.Join(t.TempDir(), "fuzz.db"), &store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		o := testOptions()
		o.Retries = 0
		o.RetryFailed = time.Hour
		base, _ := url.Parse(srv.URL)
		o.Sites = []Site{{Lang: "en", Base: base, Sections: []string{"news"}}}
		c, err := New(db, o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Run(ctx, RunOptions{Mode: ModeBackfill}); err != nil && ctx.Err() == nil && !hostStopped(err) {
			t.Logf("run: %v", err) // a store error would be a bug, but not this target's
		}
		if ctx.Err() != nil {
			t.Fatalf("the walk did not end by itself (%d listing pages read, %d distinct items)", listings.Load(), len(ids))
		}
		if n := listings.Load(); n > int64(len(ids))+2 {
			t.Fatalf("%d listing pages read for %d distinct items: the walk went on without new items", n, len(ids))
		}
	})
}
