package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
)

func TestParseCDXJSON(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		rows    int
		resume  string
		wantErr bool
	}{
		{"rows and resume key", `[["urlkey","timestamp","original","statuscode","digest","length"],
 ["ru,kremlin,en)/events/president/news/1","20200101000000","http://en.kremlin.ru/events/president/news/1","200","AAAA","9000"],
 ["ru,kremlin,en)/events/president/news/2","20200101000001","http://en.kremlin.ru/events/president/news/2","200","BBBB","9100"],
 [],
 ["ru%2Ckremlin%2Cen%29%2Fevents%2Fpresident%2Fnews%2F2+20200101000001%21"]]`, 2, "ru%2Ckremlin%2Cen%29%2Fevents%2Fpresident%2Fnews%2F2+20200101000001%21", false},
		{"last batch", `[["timestamp","original"],["20200101000000","http://en.kremlin.ru/events/president/news/1"]]`, 1, "", false},
		{"no captures", `[]`, 0, "", false},
		{"empty body", ``, 0, "", false},
		{"fields in another order", `[["original","timestamp","urlkey"],["http://x/events/president/news/1","20200101000000","k"]]`, 1, "", false},
		{"plain text output", "ru,kremlin)/ 20200101000000 http://kremlin.ru/ text/html 200 AAAA 100\n", 0, "", true},
		{"no header", `[["a","b"],["c","d"]]`, 0, "", true},
		{"not a table", `{"error":"x"}`, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, resume, err := parseCDXJSON([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(rows) != tt.rows || resume != tt.resume {
				t.Errorf("%d rows, resume %q; want %d, %q", len(rows), resume, tt.rows, tt.resume)
			}
		})
	}
	rows, _, _ := parseCDXJSON([]byte(`[["original","timestamp","urlkey"],["http://x/events/president/news/1","20200101000000","k"]]`))
	if rows[0].Original != "http://x/events/president/news/1" || rows[0].Timestamp != "20200101000000" || rows[0].URLKey != "k" || rows[0].Digest != "" {
		t.Errorf("fields by header name: %+v", rows[0])
	}
}

// FuzzParseCDXJSON: the CDX server's answer is untrusted input.
func FuzzParseCDXJSON(f *testing.F) {
	f.Add([]byte(`[["urlkey","timestamp","original"],["k","20200101000000","http://x/"],[],["key"]]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[["original"],[],[]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, _, err := parseCDXJSON(b)
		if err != nil && len(rows) > 0 {
			t.Fatal("rows with an error")
		}
		if len(rows) > len(b) {
			t.Fatal("more rows than bytes")
		}
	})
}

func TestOriginalHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Archive-Orig-Server", "nginx")
	h.Set("X-Archive-Orig-Date", "Thu, 27 Aug 2020 15:20:33 GMT")
	h.Add("X-Archive-Orig-Set-Cookie", "a=1")
	h.Add("X-Archive-Orig-Set-Cookie", "b=2")
	h.Set("X-Archive-Orig-Content-Length", "1234")
	h.Set("X-Archive-Orig-Content-Encoding", "gzip")
	h.Set("X-Archive-Orig-Transfer-Encoding", "chunked")
	h.Set("Memento-Datetime", "Thu, 27 Aug 2020 15:20:33 GMT")
	h.Set("Link", `<http://x>; rel="original"`)
	h.Set("X-Archive-Src", "crawl.warc.gz")
	h.Set("Server", "nginx/1.25 (the Archive's)")
	got := originalHeaders(h, 99)
	want := http.Header{
		"Content-Type":                    {"text/html; charset=utf-8"},
		"Server":                          {"nginx"},
		"Date":                            {"Thu, 27 Aug 2020 15:20:33 GMT"},
		"Set-Cookie":                      {"a=1", "b=2"},
		"Transfer-Encoding":               {"chunked"},
		"X-Archive-Orig-Content-Length":   {"1234"},
		"X-Archive-Orig-Content-Encoding": {"gzip"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("originalHeaders =\n%v\nwant\n%v", got, want)
	}
	h.Set("X-Archive-Orig-Content-Length", "99")
	if got := originalHeaders(h, 99); got.Get("Content-Length") != "99" {
		t.Errorf("a Content-Length that matches the body is kept as it is: %v", got)
	}
}

func TestRewrittenByArchive(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 3, Seed: 1})
	page, _ := site.Page("/events/president/news/" + fmt.Sprint(site.Docs()[0].ID))
	if why := rewrittenByArchive(page); why != "" {
		t.Errorf("a page of the site is taken for a rewritten one: %s", why)
	}
	for _, banner := range []string{
		`<html><head><script src="//archive.org/includes/athena.js"></script><script src="/_static/js/bundle-playback.js?v=1"></script>`,
		`<html><body><!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp-base"></div>`,
		`<script>__wm.init("https://web.archive.org/web");</script>`,
	} {
		if rewrittenByArchive([]byte(banner+string(page))) == "" {
			t.Errorf("not recognised as rewritten: %q", banner)
		}
	}
}

func wc(ts, u, digest string, length int) store.WaybackCapture {
	return store.WaybackCapture{Timestamp: ts, URL: u, Digest: digest, Length: length}
}

func TestMergeCaptures(t *testing.T) {
	const p = "http://en.kremlin.ru/events/president/news/1"
	tests := []struct {
		name      string
		have, add []store.WaybackCapture
		want      []string // timestamps in order
	}{
		{"newest first", nil, []store.WaybackCapture{wc("2019", p, "A", 9000), wc("2021", p, "B", 9000), wc("2020", p, "C", 9000)}, []string{"2021", "2020", "2019"}},
		{"page before print", nil, []store.WaybackCapture{wc("2021", p+"/print", "A", 9000), wc("2019", p, "B", 9000)}, []string{"2019", "2021"}},
		{"much smaller last", nil, []store.WaybackCapture{wc("2021", p, "A", 2500), wc("2019", p, "B", 9000)}, []string{"2019", "2021"}},
		{"one per digest", nil, []store.WaybackCapture{wc("2021", p, "A", 9000), wc("2020", "https://en.kremlin.ru/events/president/news/1", "A", 9000), wc("2019", p, "B", 9000)}, []string{"2021", "2019"}},
		{"at most three", nil, []store.WaybackCapture{wc("1", p, "A", 9), wc("2", p, "B", 9), wc("3", p, "C", 9), wc("4", p, "D", 9)}, []string{"4", "3", "2"}},
		{"merged across batches", []store.WaybackCapture{wc("2019", p, "A", 9000)}, []store.WaybackCapture{wc("2019", p, "A", 9000), wc("2022", "http://en.kremlin.ru/events/president/transcripts/1", "B", 9000)}, []string{"2022", "2019"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range mergeCaptures(tt.have, tt.add) {
			got = append(got, c.Timestamp)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMergeHistory(t *testing.T) {
	const p = "http://en.kremlin.ru/events/president/news/1"
	got := mergeHistory([]store.WaybackCapture{wc("2021", p, "B", 9)}, []store.WaybackCapture{
		wc("2019", p, "A", 9), wc("2020", "https://en.kremlin.ru/events/president/news/1", "A", 9), // same payload: one
		wc("2022", p+"/print", "C", 9), wc("2023", p, "A", 9), // back to A: kept
	})
	var ts []string
	for _, c := range got {
		ts = append(ts, c.Timestamp)
	}
	if want := "[2019 2021 2022 2023]"; fmt.Sprint(ts) != want {
		t.Errorf("mergeHistory = %v, want %s", ts, want)
	}
}

func TestGroupCaptures(t *testing.T) {
	s := &waybackSource{}
	site := Site{Lang: "ru", Base: mustURL(t, "http://127.0.0.1:1")}
	row := func(u, status, length string) cdxRow {
		return cdxRow{Timestamp: "20200101000000", Original: u, Status: status, Digest: "D", Length: length}
	}
	rows := []cdxRow{
		row("http://kremlin.ru/events/president/news/100", "200", "9000"),
		row("https://kremlin.ru/events/president/news/100", "200", "9000"),
		row("http://www.kremlin.ru:80/events/president/news/100/print", "200", "9000"),
		row("http://kremlin.ru/events/president/news/100/photos", "200", "9000"),     // tab page
		row("http://kremlin.ru/events/president/news/page/2", "200", "9000"),         // listing
		row("http://kremlin.ru/events/president/news/by-date/01.01.2020", "200", ""), // by-date
		row("http://kremlin.ru/events/president/news/copy/100", "200", "9000"),       // text version
		row("http://en.kremlin.ru/events/president/news/100", "200", "9000"),         // other language
		row("http://kremlin.ru/events/president/trips/100", "200", "9000"),           // other section
		row("http://kremlin.ru/events/president/news/200", "403", "9000"),            // captured refusal
		row("http://kremlin.ru/events/president/news/300", "200", "900"),             // too small: anti-bot page
		row("http://kremlin.ru/events/president/news/400", "200", ""),                // no length: tried
		{Timestamp: "2020", Original: "http://kremlin.ru/events/president/news/500", Status: "200"},
	}
	site.Sections = []string{"news"}
	found := s.group(rows, site)
	got := map[int64]int{}
	for _, f := range found {
		got[f.ID] = len(f.Captures)
		if f.URL != fmt.Sprintf("/events/president/news/%d", f.ID) || f.Section != "news" {
			t.Errorf("%d: frontier URL %q, section %q", f.ID, f.URL, f.Section)
		}
	}
	if fmt.Sprint(got) != "map[100:3 400:1]" {
		t.Errorf("documents found: %v, want 100 (3 captures) and 400", got)
	}

	// One walk covers every section; the longest that matches names the
	// document's listing.
	site.Sections = []string{"news", "transcripts", "transcripts/speeches"}
	found = s.group([]cdxRow{
		row("http://kremlin.ru/events/president/transcripts/600", "200", ""),
		row("http://kremlin.ru/events/president/transcripts/speeches/700", "200", ""),
		row("http://kremlin.ru/events/president/news/800", "200", ""),
		row("http://kremlin.ru/events/president/letters/900", "200", ""),
	}, site)
	sections := map[int64]string{}
	for _, f := range found {
		sections[f.ID] = f.Section
	}
	if fmt.Sprint(sections) != "map[600:transcripts 700:transcripts/speeches 800:news]" {
		t.Errorf("sections: %v", sections)
	}
}

func TestSectionFilterAndRoots(t *testing.T) {
	site := Site{Lang: "en", Sections: []string{"news", "transcripts/speeches", "acts/news"}}
	f := sectionFilter(site)
	if strings.Contains(f, "+") {
		t.Errorf("filter %q has a +, which the server decodes into a space", f)
	}
	re := regexp.MustCompile("^(?:" + strings.TrimPrefix(f, "urlkey:") + ")$")
	for key, want := range map[string]bool{
		"ru,kremlin,en)/events/president/news/63953":                 true,
		"ru,kremlin,en)/events/president/news/63953/print":           true,
		"ru,kremlin,en)/events/president/transcripts/speeches/63953": true,
		"ru,kremlin,en)/acts/news/80518":                             true,
		"ru,kremlin,en)/events/president/transcripts/63953":          false, // not a configured section
		"ru,kremlin,en)/events/president/news/page/2":                true,  // kept by the server, dropped by group
		"ru,kremlin,en)/events/president/news/63953/photos":          false,
		"ru,kremlin,en)/events/president/news/by-date/19.10.2017":    false,
		"ru,kremlin,en)/events/president/news":                       false,
		"ru,kremlin,en)/events/president/trips/48894":                false,
	} {
		if got := re.MatchString(key); got != want {
			t.Errorf("filter on %s: %v, want %v", key, got, want)
		}
	}
	roots := map[string]bool{}
	for _, sec := range site.Sections {
		roots[sectionRoot(sec)] = true
	}
	if fmt.Sprint(roots) != "map[/acts/news/:true /events/president/:true]" {
		t.Errorf("roots %v", roots)
	}
}

// archiveFor builds an archive client for the fake (or any server).
func archiveFor(t testing.TB, base string, o WaybackOptions) (*archive, *store.DB) {
	t.Helper()
	opts := testOptions()
	opts.Sites = []Site{{Lang: "en", Base: mustURL(t, "http://127.0.0.1:1"), Sections: []string{"news"}}}
	opts.Wayback = o
	opts.Wayback.Use = WaybackOnly
	opts.Wayback.Base = mustURL(t, base)
	if opts.Wayback.CDXPerMinute == 0 {
		opts.Wayback.CDXPerMinute = 60000
	}
	db := openTestDB(t)
	c, err := New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	a := newArchive(c)
	if err := a.open(time.Now()); err != nil {
		t.Fatal(err)
	}
	return a, db
}

// Capture validation: what playback answers, and what is kept.
func TestArchiveCapture(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 12, Seed: 21})
	wb := fakesite.NewWayback(fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 1, Plain: true})
	docs := site.Docs()
	d0, d1 := docs[0], docs[1]
	page := func(id int64) string { return fmt.Sprintf("http://en.kremlin.ru/events/president/news/%d", id) }
	body0, _ := site.Page(fmt.Sprintf("/events/president/news/%d", d0.ID))
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	// A captured redirect http → https, its target a second later.
	wb.AddCapture(fakesite.Capture{URL: page(d0.ID), Time: at, Status: 301, Location: "https://en.kremlin.ru/events/president/news/" + fmt.Sprint(d0.ID), DocID: d0.ID, Lang: "en", Body: []byte("moved")})
	target := wb.AddCapture(fakesite.Capture{URL: "https://en.kremlin.ru/events/president/news/" + fmt.Sprint(d0.ID), Time: at.Add(time.Second), Status: 200, DocID: d0.ID, Lang: "en", Body: body0,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Server": {"nginx"}}})
	// A captured redirect to another document.
	wb.AddCapture(fakesite.Capture{URL: page(d1.ID), Time: at, Status: 302, Location: page(d0.ID), DocID: d1.ID, Lang: "en", Body: []byte("moved")})
	// Captured errors.
	wb.AddCapture(fakesite.Capture{URL: page(d1.ID), Time: at.Add(time.Hour), Status: 404, DocID: d1.ID, Lang: "en", Body: []byte("gone")})
	srv := wb.Start()
	defer srv.Close()
	a, _ := archiveFor(t, srv.URL, WaybackOptions{})
	ctx := context.Background()
	ts := func(t time.Time) string { return t.Format("20060102150405") }

	tests := []struct {
		name    string
		ts, url string
		id      int64
		ok      bool
		why     string
	}{
		{"captured redirect followed to its target", ts(at), page(d0.ID), d0.ID, true, ""},
		{"not an exact capture: the nearest", "20240506000000", "https://en.kremlin.ru/events/president/news/" + fmt.Sprint(d0.ID), d0.ID, true, ""},
		{"redirect to another document", ts(at), page(d1.ID), d1.ID, false, "another page"},
		{"captured 404", ts(at.Add(time.Hour)), page(d1.ID), d1.ID, false, "HTTP 404"},
		{"never captured", ts(at), page(999999), 999999, false, "no such capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp, err := a.capture(ctx, tt.ts, tt.url, tt.id)
			var nc *NotCaptureError
			if tt.ok {
				if err != nil {
					t.Fatalf("capture: %v", err)
				}
				if !bytes.Equal(cp.raw.Body, target.Bytes()) || !cp.at.Equal(target.Time) || cp.raw.Header.Get("Server") != "nginx" || cp.raw.Header.Get("Memento-Datetime") != "" {
					t.Errorf("kept %d bytes captured %s, headers %v", len(cp.raw.Body), cp.at, cp.raw.Header)
				}
				if !strings.Contains(cp.raw.URL, "/web/"+target.Timestamp()+"id_/") {
					t.Errorf("source URL %s is not the raw capture's", cp.raw.URL)
				}
				return
			}
			if !errors.As(err, &nc) || !strings.Contains(nc.Reason, tt.why) {
				t.Fatalf("capture: %v, want a NotCaptureError saying %q", err, tt.why)
			}
		})
	}
}

// Answers a replay system may give that are never a raw capture: a page
// rewritten with the banner, an answer without Memento-Datetime; a body
// compressed in transit is decoded.
func TestArchiveCapture_NotRaw(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 2, Seed: 22})
	id := site.Docs()[0].ID
	page, _ := site.Page(fmt.Sprintf("/events/president/news/%d", id))
	var mode string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m := mode
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		switch m {
		case "banner":
			w.Header().Set("Memento-Datetime", "Mon, 06 May 2024 07:08:09 GMT")
			w.Write(append([]byte(`<html><head><script src="/_static/js/wombat.js"></script>`), page...))
		case "no-memento":
			w.Write(page)
		case "gzip":
			w.Header().Set("Memento-Datetime", "Mon, 06 May 2024 07:08:09 GMT")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(page)
			zw.Close()
		}
	}))
	defer srv.Close()
	a, _ := archiveFor(t, srv.URL, WaybackOptions{})
	for _, m := range []string{"banner", "no-memento", "gzip"} {
		mu.Lock()
		mode = m
		mu.Unlock()
		cp, err := a.capture(context.Background(), "20240506070809", fmt.Sprintf("http://en.kremlin.ru/events/president/news/%d", id), id)
		var nc *NotCaptureError
		switch m {
		case "gzip":
			if err != nil || !bytes.Equal(cp.raw.Body, page) {
				t.Errorf("gzip in transit: %v", err)
			}
		default:
			if !errors.As(err, &nc) {
				t.Errorf("%s: %v, want it refused", m, err)
			}
		}
	}
}

// 429s of the Wayback Machine: the endpoint pauses for Retry-After (the
// default pause without it), doubled for each 429 in a row; the pause is
// kept in the store and the next run does not ask before it ends; a pause
// longer than max_retry_after is a cool-down.
func TestArchiveGate_429Pauses(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	answers := []int{429, 429, 200, 429, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		st := 200
		if len(answers) > 0 {
			st, answers = answers[0], answers[1:]
		}
		mu.Unlock()
		w.WriteHeader(st)
		fmt.Fprint(w, "[]")
	}))
	defer srv.Close()
	const base = 150 * time.Millisecond
	a, db := archiveFor(t, srv.URL, WaybackOptions{Pause429: base})
	ctx := context.Background()
	if _, _, err := a.cdxBatch(ctx, cdxQuery{Prefix: "x/", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(arrivals) != 3 {
		t.Fatalf("%d requests, want 3 (two 429s, then the answer)", len(arrivals))
	}
	if g := arrivals[1].Sub(arrivals[0]); g < base {
		t.Errorf("second request %s after the first 429, want >= %s", g, base)
	}
	if g := arrivals[2].Sub(arrivals[1]); g < 2*base {
		t.Errorf("third request %s after the second 429, want >= %s (doubled)", g, 2*base)
	}
	mu.Unlock()
	hs, _ := db.HostState(a.cdx.host)
	if hs.Throttles != 0 {
		t.Errorf("the count of 429s in a row was not reset by an answer: %d", hs.Throttles)
	}

	// A 429, then the run ends: the next run waits for the pause.
	if _, _, err := a.cdxBatch(ctx, cdxQuery{Prefix: "x/", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	paused := arrivals[3]
	mu.Unlock()
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	hs, _ = db.HostState(a.cdx.host)
	if hs.PauseUntil.Before(paused.Add(base - 10*time.Millisecond)) {
		t.Errorf("pause not kept in the store: %s", hs.PauseUntil)
	}

	// A new run on the same archive (pause already passed: the answer
	// after the 429 came after it) asks at once; a fresh 429 with a long
	// Retry-After cools the endpoint down for later runs.
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer long.Close()
	opts := *a.cdx.opts
	opts.Wayback = WaybackOptions{Use: WaybackOnly, Base: mustURL(t, long.URL), CDXPerMinute: 60000}
	c, _ := New(db, opts)
	a2 := newArchive(c)
	if err := a2.open(time.Now()); err != nil {
		t.Fatal(err)
	}
	_, _, err := a2.cdxBatch(ctx, cdxQuery{Prefix: "x/", Limit: 10})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Retry-After 3600: %v, want the endpoint given up", err)
	}
	a2.close()
	a3 := newArchive(c)
	if err := a3.open(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a3.cdxBatch(ctx, cdxQuery{Prefix: "x/", Limit: 10}); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "cool") {
		t.Errorf("next run during the cool-down: %v", err)
	}
}

// A pause recorded by a run that was killed is honoured by the next run.
func TestArchiveGate_PauseAcrossRuns(t *testing.T) {
	var mu sync.Mutex
	var arrival time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrival = time.Now()
		mu.Unlock()
		fmt.Fprint(w, "[]")
	}))
	defer srv.Close()
	a, db := archiveFor(t, srv.URL, WaybackOptions{})
	until := time.Now().Add(300 * time.Millisecond)
	if err := db.UpdateHostState(a.cdx.host, func(hs *store.HostState) { hs.PauseUntil, hs.Throttles = until, 1 }); err != nil {
		t.Fatal(err)
	}
	c, _ := New(db, *a.cdx.opts)
	a2 := newArchive(c)
	if err := a2.open(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a2.cdxBatch(context.Background(), cdxQuery{Prefix: "x/", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if arrival.Before(until) {
		t.Errorf("request at %s, before the recorded pause ended at %s", arrival.Format(time.StampMilli), until.Format(time.StampMilli))
	}
}

// CDX calls keep within cdx_per_minute and capture fetches keep the
// delay, each endpoint on its own clock.
func TestArchive_Spacing(t *testing.T) {
	var mu sync.Mutex
	starts := map[string][]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep := "web"
		if strings.HasPrefix(r.URL.Path, "/cdx/") {
			ep = "cdx"
		}
		mu.Lock()
		starts[ep] = append(starts[ep], time.Now())
		mu.Unlock()
		if ep == "cdx" {
			fmt.Fprint(w, "[]")
			return
		}
		w.WriteHeader(404)
	}))
	defer srv.Close()
	a, _ := archiveFor(t, srv.URL, WaybackOptions{CDXPerMinute: 600, Delay: 60 * time.Millisecond}) // 100 ms between CDX calls
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, _, err := a.cdxBatch(ctx, cdxQuery{Prefix: "x/", Limit: 1}); err != nil {
			t.Fatal(err)
		}
		_, _ = a.capture(ctx, "20200101000000", "http://en.kremlin.ru/events/president/news/1", 1)
	}
	mu.Lock()
	defer mu.Unlock()
	for ep, want := range map[string]time.Duration{"cdx": 100 * time.Millisecond, "web": 60 * time.Millisecond} {
		ts := starts[ep]
		if len(ts) != 3 {
			t.Fatalf("%s: %d requests", ep, len(ts))
		}
		for i := 1; i < len(ts); i++ {
			if g := ts[i].Sub(ts[i-1]); g < want {
				t.Errorf("%s: %s between two requests, want >= %s", ep, g, want)
			}
		}
	}
}
