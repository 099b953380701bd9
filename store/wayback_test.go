package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// waybackCopy is d as a copy taken from a Wayback Machine capture made
// at captured.
func waybackCopy(d doc, captured time.Time) *store.Fetched {
	f := d.fetched()
	orig := f.Record.URL
	f.Record.Source = record.SourceWayback
	f.Record.CapturedAt = captured.UTC().Format(time.RFC3339)
	f.Record.SourceURL = "https://web.archive.org/web/" + captured.UTC().Format(record.WaybackTimestamp) + "id_/" + orig
	f.Raw.URL = f.Record.SourceURL
	return f
}

// Versions across sources: a Wayback copy never replaces a newer copy; a
// later copy whose content differs becomes a new version, live or not.
func TestPutDocument_VersionsAcrossSources(t *testing.T) {
	t2015 := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
	t2019 := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		first func() *store.Fetched
		then  func() *store.Fetched
		want  store.Outcome
		cur   string // source of the current version after both
	}{
		{"older capture after a live copy", func() *store.Fetched { return doc{id: 1, title: "Live"}.fetched() },
			func() *store.Fetched { return waybackCopy(doc{id: 1, title: "Old"}, t2015) }, store.OutcomeEarlier, ""},
		{"older capture, same content as the live copy", func() *store.Fetched { return doc{id: 1, title: "Same"}.fetched() },
			func() *store.Fetched { return waybackCopy(doc{id: 1, title: "Same"}, t2015) }, store.OutcomeUnchanged, ""},
		{"live copy after a capture", func() *store.Fetched { return waybackCopy(doc{id: 1, title: "Old"}, t2015) },
			func() *store.Fetched { return doc{id: 1, title: "Edited"}.fetched() }, store.OutcomeUpdated, ""},
		{"same content, live after capture", func() *store.Fetched { return waybackCopy(doc{id: 1, title: "Same"}, t2015) },
			func() *store.Fetched { return doc{id: 1, title: "Same"}.fetched() }, store.OutcomeUnchanged, "wayback"},
		{"newer capture with an edit", func() *store.Fetched { return waybackCopy(doc{id: 1, title: "A"}, t2015) },
			func() *store.Fetched { return waybackCopy(doc{id: 1, title: "B"}, t2019) }, store.OutcomeUpdated, "wayback"},
		{"older capture with other content", func() *store.Fetched { return waybackCopy(doc{id: 1, title: "B"}, t2019) },
			func() *store.Fetched { return waybackCopy(doc{id: 1, title: "A"}, t2015) }, store.OutcomeEarlier, "wayback"},
		{"a cached live copy", func() *store.Fetched { return doc{id: 1, title: "B", updated: "2020-01-02T10:00:00+03:00"}.fetched() },
			func() *store.Fetched {
				return doc{id: 1, title: "A", updated: "2020-01-01T10:00:00+03:00", at: t0.Add(time.Hour)}.fetched()
			}, store.OutcomeStale, ""},
		{"newer capture, template only", func() *store.Fetched { return waybackCopy(doc{id: 1, title: "A"}, t2015) },
			func() *store.Fetched {
				return waybackCopy(doc{id: 1, title: "A", body: []byte("<html>other template</html>")}, t2019)
			}, store.OutcomeUnchanged, "wayback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			if _, err := db.PutDocument(tt.first(), 0); err != nil {
				t.Fatal(err)
			}
			got, err := db.PutDocument(tt.then(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("outcome %s, want %s", got, tt.want)
			}
			d := mustDoc(t, db, "en", 1)
			if d.Source != tt.cur {
				t.Errorf("current source %q, want %q", d.Source, tt.cur)
			}
			if tt.cur == "wayback" && d.CapturedAt.IsZero() {
				t.Error("no capture time in the bookkeeping of a Wayback copy")
			}
		})
	}
}

// The run ledger counts stored documents per source.
func TestPutDocument_CountsPerSource(t *testing.T) {
	db := mustOpen(t)
	run, err := db.StartRun("crawl", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		put(t, db, doc{id: i}, run.ID)
	}
	for i := int64(4); i <= 5; i++ {
		if _, err := db.PutDocument(waybackCopy(doc{id: i}, t0.Add(-time.Hour)), run.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.RunCounters(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Live != 3 || got.Wayback != 2 || got.New != 5 {
		t.Errorf("counters live=%d wayback=%d new=%d, want 3, 2, 5", got.Live, got.Wayback, got.New)
	}
}

func captures(ts ...string) []store.WaybackCapture {
	var out []store.WaybackCapture
	for _, s := range ts {
		out = append(out, store.WaybackCapture{Timestamp: s, URL: "http://en.kremlin.ru/events/president/news/1", Digest: "D" + s})
	}
	return out
}

// keepAll is a CaptureMerge that appends.
func keepAll(have, add []store.WaybackCapture) []store.WaybackCapture { return append(have, add...) }

// RecordCaptures: new documents join the frontier with their captures;
// pending ones get more; archived ones are known, except for a history
// import, which queues their captures made after the archived copy;
// rejected captures never come back; the cursor is saved with the batch.
func TestRecordCaptures(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 10, at: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, 0)
	if err := db.AddPending([]store.Pending{{Lang: "en", ID: 20, URL: "/events/president/news/20", Reason: "new", Rejected: []string{"sha1:D20180101000000"}}}); err != nil {
		t.Fatal(err)
	}
	st := &store.SectionState{Lang: "en", Section: "news", Wayback: &store.WaybackWalk{Cursor: &store.CDXCursor{Prefix: "en.kremlin.ru/events/president/news/", ResumeKey: "k1"}}}
	found := []store.FoundDoc{
		{ID: 10, URL: "/events/president/news/10", Captures: captures("20190101000000", "20210101000000")},
		{ID: 20, URL: "/events/president/news/20", Captures: captures("20180101000000", "20190101000000")},
		{ID: 30, URL: "/events/president/news/30", Captures: captures("20170101000000")},
	}
	res, err := db.RecordCaptures("en", "news", found, false, keepAll, t0, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 1 || res.Queued != 1 || res.Known != 1 {
		t.Errorf("new=%d queued=%d known=%d, want 1, 1, 1", res.New, res.Queued, res.Known)
	}
	ps, err := db.PendingList("en")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Pending{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	if _, ok := byID[10]; ok {
		t.Error("an archived document joined the frontier")
	}
	if p := byID[20]; len(p.Captures) != 1 || p.Captures[0].Timestamp != "20190101000000" {
		t.Errorf("pending 20 captures = %+v, want the one not rejected", p.Captures)
	}
	if p := byID[30]; len(p.Captures) != 1 || p.URL != "/events/president/news/30" || p.ListedIn[0] != "news" || p.History {
		t.Errorf("new 30 = %+v", p)
	}
	saved, err := db.SectionState("en", "news")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Wayback == nil || saved.Wayback.Cursor == nil || saved.Wayback.Cursor.ResumeKey != "k1" {
		t.Errorf("the cursor was not saved with the batch: %+v", saved.Wayback)
	}

	// History: the archived document's captures, all of them.
	res, err = db.RecordCaptures("en", "news", found[:1], true, keepAll, t0, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ = db.PendingList("en")
	for _, p := range ps {
		if p.ID != 10 {
			continue
		}
		if !p.History || len(p.Captures) != 2 || p.Reason != "history" {
			t.Errorf("history entry = %+v, want both captures (each finds its place among the versions)", p)
		}
		return
	}
	t.Errorf("history import did not queue the archived document (%+v)", res)
}

// A history import keeps the frontier entry with the captures left.
func TestPutDocument_KeepsPendingForHistory(t *testing.T) {
	db := mustOpen(t)
	p := store.Pending{Lang: "en", ID: 1, URL: "/events/president/news/1", History: true, Captures: captures("20200101000000", "20210101000000")}
	if err := db.AddPending([]store.Pending{p}); err != nil {
		t.Fatal(err)
	}
	f := waybackCopy(doc{id: 1, title: "A"}, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	rest := p
	rest.Captures = p.Captures[1:]
	f.Pending = &rest
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.PendingList("en")
	if len(ps) != 1 || len(ps[0].Captures) != 1 || ps[0].Captures[0].Timestamp != "20210101000000" {
		t.Fatalf("frontier after the first capture: %+v", ps)
	}
	f = waybackCopy(doc{id: 1, title: "B"}, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	if o, err := db.PutDocument(f, 0); err != nil || o != store.OutcomeUpdated {
		t.Fatalf("second capture: %v, %v", o, err)
	}
	if ps, _ := db.PendingList("en"); len(ps) != 0 {
		t.Errorf("frontier after the last capture: %+v", ps)
	}
	if err := db.RemovePending("en", 99); err != nil {
		t.Error(err)
	}
}

// A Wayback copy's capture time is when the archive last saw the page:
// the listing walks compare the site's update dates with it, and it never
// moves back.
func TestPutDocument_CheckedAtOfWaybackCopies(t *testing.T) {
	db := mustOpen(t)
	t2018 := time.Date(2018, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := db.PutDocument(waybackCopy(doc{id: 1, title: "A"}, t2018), 0); err != nil {
		t.Fatal(err)
	}
	if d := mustDoc(t, db, "en", 1); !d.CheckedAt.Equal(t2018) {
		t.Errorf("checked_at %s, want the capture time %s", d.CheckedAt, t2018)
	}
	if _, err := db.PutDocument(waybackCopy(doc{id: 1, title: "A"}, t2018.AddDate(-1, 0, 0)), 0); err != nil {
		t.Fatal(err)
	}
	if d := mustDoc(t, db, "en", 1); !d.CheckedAt.Equal(t2018) {
		t.Errorf("an older capture moved checked_at back to %s", d.CheckedAt)
	}
}

// Captures made before the archived copy take their place in the
// history, in capture order: each kept when its content differs from the
// versions around it; the current version stays current.
func TestPutDocument_EarlierCapturesInCaptureOrder(t *testing.T) {
	db := mustOpen(t)
	at := func(y int) time.Time { return time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC) }
	if _, err := db.PutDocument(doc{id: 1, title: "E"}.fetched(), 0); err != nil { // live, now
		t.Fatal(err)
	}
	steps := []struct {
		year  int
		title string
		want  store.Outcome
	}{
		{2015, "A", store.OutcomeEarlier},   // A E
		{2019, "C", store.OutcomeEarlier},   // A C E
		{2017, "B", store.OutcomeEarlier},   // A B C E
		{2016, "A", store.OutcomeUnchanged}, // the same as the version before
		{2018, "C", store.OutcomeUnchanged}, // the same as the version after
		{2014, "E", store.OutcomeEarlier},   // E A B C E: the text went back
	}
	for _, st := range steps {
		got, err := db.PutDocument(waybackCopy(doc{id: 1, title: st.title}, at(st.year)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != st.want {
			t.Errorf("%d %s: %s, want %s", st.year, st.title, got, st.want)
		}
	}
	vs, err := db.Versions("en", 1)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, v := range vs {
		titles = append(titles, v.Record.Title)
	}
	if got := strings.Join(titles, " "); got != "E A B C E" {
		t.Errorf("versions %q, want %q", got, "E A B C E")
	}
	d := mustDoc(t, db, "en", 1)
	if d.Source != "" || d.Versions != 5 {
		t.Errorf("current %+v: want the live copy, 5 versions", d)
	}
	cur, _ := db.Record("en", 1, 0)
	if cur.Source != record.SourceLive {
		t.Errorf("current record source %q", cur.Source)
	}
}
