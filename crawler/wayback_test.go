package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// waybackEnv is a crawler whose live host is base (a fake site or a host
// that drops connections) and whose Wayback Machine is wb.
type waybackEnv struct {
	db    *store.DB
	o     Options
	wb    *fakesite.Wayback
	wbURL string
}

func newWaybackEnv(t testing.TB, sites []Site, wb *fakesite.Wayback, use WaybackUse) *waybackEnv {
	t.Helper()
	srv := wb.Start()
	t.Cleanup(srv.Close)
	o := testOptions()
	o.Sites = sites
	o.Wayback = WaybackOptions{Use: use, Base: mustURL(t, srv.URL), CDXPerMinute: 60000, CDXLimit: 200}
	return &waybackEnv{db: openTestDB(t), o: o, wb: wb, wbURL: srv.URL}
}

func (e *waybackEnv) run(t testing.TB, ro RunOptions) (*Result, *Stats, error) {
	t.Helper()
	c, err := New(e.db, e.o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(context.Background(), ro)
	return res, c.Stats(), err
}

func siteAt(lang, base string) Site {
	u, _ := url.Parse(base)
	return Site{Lang: lang, Base: u, Sections: []string{"news", "transcripts"}}
}

func TestWayback_LiveUnreachable(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 120, Seed: 7})
	wb := fakesite.NewWayback(fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 3})
	drop := fakesite.StartDropServer()
	defer drop.Close()
	e := newWaybackEnv(t, []Site{siteAt("en", drop.URL)}, wb, WaybackFallback)
	res, st, err := e.run(t, RunOptions{Mode: ModeCrawl})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("hosts: %+v; fallback: %s; cdx=%d captures=%d new=%d failed=%d", res.Hosts, st.Fallback(), wb.CDXCalls(), wb.CaptureFetches(), st.New.Load(), st.Failed.Load())
	archivable := 0
	for _, d := range wb.Docs("en") {
		got, err := e.db.Record("en", d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Archivable {
			if got != nil {
				t.Errorf("%d: archived though no capture is the page", d.ID)
			}
			continue
		}
		archivable++
		if got == nil {
			t.Errorf("%d: not archived", d.ID)
			continue
		}
		if got.Source != record.SourceWayback {
			t.Errorf("%d: source %q", d.ID, got.Source)
		}
		if !record.SameContent(got, &d.Current) {
			t.Errorf("%d: record differs:\n got %+v\nwant %+v", d.ID, got.Content(), d.Current.Content())
		}
		raw, err := e.db.RawResponse("en", d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := wb.CaptureAt(raw.URL)
		if c == nil {
			t.Errorf("%d: stored from %s, which is no capture", d.ID, raw.URL)
		} else if !bytes.Equal(c.Bytes(), raw.Body) {
			t.Errorf("%d: stored body differs from the capture", d.ID)
		}
	}
	t.Logf("archivable %d of %d", archivable, len(wb.Docs("en")))
}

// A document that keeps failing on the live site while the site answers
// is taken from the Wayback Machine in the run where it fails for the
// third time in a row; nothing is asked of the Wayback Machine before.
func TestWayback_DocumentKeepsFailingLive(t *testing.T) {
	site := fakesite.New(fakesite.Options{N: 30, Seed: 31})
	d := site.Docs()[4]
	for _, sec := range d.Sections {
		site.ForcePath(fmt.Sprintf("/events/president/%s/%d", sec, d.ID), fakesite.Fault{Kind: fakesite.Fault500}, 1000)
	}
	srv := site.Start()
	defer srv.Close()
	wb := fakesite.NewWayback(fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 2, Plain: true})
	e := newWaybackEnv(t, []Site{siteAt("en", srv.URL)}, wb, WaybackFallback)
	for run := 1; run <= 3; run++ {
		if _, _, err := e.run(t, RunOptions{Mode: ModeCrawl}); err != nil {
			t.Fatal(err)
		}
		rec, err := e.db.Record("en", d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if run < 3 {
			if rec != nil || wb.TotalRequests() != 0 {
				t.Fatalf("run %d: archived=%v, %d Wayback requests; want nothing before the third failure", run, rec != nil, wb.TotalRequests())
			}
			continue
		}
		if rec == nil || rec.Source != record.SourceWayback {
			t.Fatalf("run 3: record %+v, want the document from the Wayback Machine", rec)
		}
		if n := wb.TotalRequests(); n > 2 || wb.CDXCalls() != 0 {
			t.Errorf("run 3: %d Wayback requests (%d CDX calls), want the capture nearest to now (a redirect and the capture)", n, wb.CDXCalls())
		}
	}
	others, err := e.db.PendingList("en")
	if err != nil || len(others) != 0 {
		t.Errorf("frontier: %+v, %v", others, err)
	}
}

// The fallback decision, in one place: never, only, and fallback on an
// unreachable host (remembered until the next probe), a refusal, or a
// cool-down.
func TestFallbackReason(t *testing.T) {
	db := openTestDB(t)
	o := testOptions()
	o.Sites = []Site{siteAt("en", "http://127.0.0.1:1")}
	o.Wayback = WaybackOptions{Base: mustURL(t, "http://127.0.0.1:2"), CDXPerMinute: 10}
	unreachable := &UnreachableError{Host: "127.0.0.1:1", Cause: "connection refused", Err: errors.New("dial")}
	refused := &RefusedError{Host: "127.0.0.1:1", Until: time.Now().Add(time.Hour), Reason: "403 burst"}
	tests := []struct {
		use     WaybackUse
		ranged  bool
		liveErr error
		want    string // substring of the reason; "" = stay live
	}{
		{WaybackNever, false, unreachable, ""},
		{WaybackOnly, false, nil, "only"},
		{WaybackFallback, false, nil, ""},
		{WaybackFallback, false, refused, "refused us"},
		{WaybackFallback, false, errors.New("listing page 3: parse error"), ""},
		{WaybackFallback, true, unreachable, ""},
		{WaybackFallback, false, unreachable, "cannot be reached"},
		{WaybackFallback, false, nil, "gave no answer since"}, // remembered from the row above
	}
	for i, tt := range tests {
		o.Wayback.Use = tt.use
		c, err := New(db, o)
		if err != nil {
			t.Fatal(err)
		}
		ro := RunOptions{Mode: ModeCrawl}
		if tt.ranged {
			ro.From = "2020-01-01"
		}
		w := &worker{c: c, ro: ro, g: newGate("127.0.0.1:1", 0, nil, db, &c.opts, c.stats)}
		got := w.fallbackReason(o.Sites[0], tt.liveErr)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%d: use=%s ranged=%v err=%v: reason %q, want %q", i, tt.use, tt.ranged, tt.liveErr, got, tt.want)
		}
	}
	// After ProbeEvery the live host is tried again.
	if err := db.UpdateHostState("127.0.0.1:1", func(hs *store.HostState) { hs.LastProbe = time.Now().Add(-7 * time.Hour) }); err != nil {
		t.Fatal(err)
	}
	c, _ := New(db, o)
	w := &worker{c: c, ro: RunOptions{Mode: ModeCrawl}, g: newGate("127.0.0.1:1", 0, nil, db, &c.opts, c.stats)}
	if got := w.fallbackReason(o.Sites[0], nil); got != "" {
		t.Errorf("probe due: reason %q, want the live host tried", got)
	}
}

// kremlin.ru and www.kremlin.ru are one host: the Internet Archive files
// both under one index key, so one walk finds both; a replay that files
// them apart is detected (one question, once) and both are walked.
func TestWayback_RussianHostWithAndWithoutWWW(t *testing.T) {
	for _, separate := range []bool{false, true} {
		t.Run(fmt.Sprintf("separate=%v", separate), func(t *testing.T) {
			site := fakesite.New(fakesite.Options{Lang: "ru", N: 80, Seed: 33})
			wb := fakesite.NewWayback(fakesite.WaybackOptions{Sites: []*fakesite.Site{site}, Seed: 4, SeparateWWW: separate})
			www := 0
			for _, d := range wb.Docs("ru") {
				for _, c := range d.Captures {
					if strings.Contains(c.URL, "://www.") {
						www++
						break
					}
				}
			}
			if www == 0 {
				t.Fatal("no capture under www.: the test tests nothing")
			}
			drop := fakesite.StartDropServer()
			defer drop.Close()
			e := newWaybackEnv(t, []Site{siteAt("ru", drop.URL)}, wb, WaybackOnly)
			if _, _, err := e.run(t, RunOptions{Mode: ModeBackfill}); err != nil {
				t.Fatal(err)
			}
			for _, d := range wb.Docs("ru") {
				rec, _ := e.db.Record("ru", d.ID, 0)
				if d.Archivable != (rec != nil) {
					t.Errorf("%d: archivable %v, archived %v", d.ID, d.Archivable, rec != nil)
				}
			}
			wwwWalks := 0
			for _, q := range wb.Requests() {
				if q.Endpoint == "cdx" && strings.Contains(q.Query, "www.kremlin.ru") && !strings.Contains(q.Query, "limit=1&") {
					wwwWalks++
				}
			}
			if separate != (wwwWalks > 0) {
				t.Errorf("%d CDX calls walked www.kremlin.ru", wwwWalks)
			}
			st, _ := e.db.SectionState("ru", store.WaybackSection)
			want := map[bool]string{false: "folded", true: "separate"}[separate]
			if st.Wayback == nil || st.Wayback.WWW != want {
				t.Errorf("remembered %+v, want %s", st.Wayback, want)
			}
		})
	}
}
