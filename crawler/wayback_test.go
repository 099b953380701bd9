package crawler

import (
	"bytes"
	"context"
	"net/url"
	"testing"

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
		} else if !bytes.Equal(c.Body, raw.Body) {
			t.Errorf("%d: stored body differs from the capture", d.ID)
		}
	}
	t.Logf("archivable %d of %d", archivable, len(wb.Docs("en")))
}
