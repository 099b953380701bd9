package store_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func ids(ps []store.Pending) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func item(id int64, updated string) store.ListedItem {
	return store.ListedItem{ID: id, URL: "/events/president/news/" + strconv.FormatInt(id, 10), Date: "2024-01-01", Updated: updated}
}

func TestDB_RecordListing_Classifies(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0.Add(time.Minute)) // after the documents below were fetched

	// Archived documents: 1 (mark 2024-01-05), 2 (no mark).
	put(t, db, doc{id: 1, listed: []string{"news"}, updated: "2024-01-05T10:00:00+03:00"}, 0)
	put(t, db, doc{id: 2, listed: []string{"news"}}, 0)
	// Pending: 3 (due), 4 (failed, retry tomorrow).
	if _, err := db.RecordListing("en", "news", []store.ListedItem{item(3, ""), item(4, "")}, t0.Add(-time.Hour), nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FailFetch("en", 4, "503", 503, t0, t0.Add(24*time.Hour), 0); err != nil {
		t.Fatal(err)
	}

	state := &store.SectionState{Lang: "en", Section: "transcripts", Pages: 42,
		Cursor: &store.Cursor{Page: 3, PrevIDs: []int64{9, 8, 7}, StartedAt: t0, Done: 2, Mode: "backfill"}}
	items := []store.ListedItem{
		item(5, ""),            // new
		item(1, "2024-01-05"),  // archived, same mark: known
		item(3, "2024-02-01"),  // pending, due: queued, fetched
		item(1, ""),            // the same ID again on the page: counted once
		item(2, "2024-01-07"),  // archived, listing newer: updated
		item(4, ""),            // pending, not due: queued, not fetched
		item(6, "2024-01-09"),  // new, with an update date
		{ID: 0, URL: "/bogus"}, // ignored
		{ID: -3},               // ignored
	}
	res, err := db.RecordListing("en", "transcripts", items, t0, state, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 2 || res.Updated != 1 || res.Known != 1 || res.Queued != 2 {
		t.Errorf("New/Updated/Known/Queued = %d/%d/%d/%d, want 2/1/1/2", res.New, res.Updated, res.Known, res.Queued)
	}
	if res.AllKnown() {
		t.Error("AllKnown() = true for a page with new items")
	}
	if got, want := ids(res.Fetch), []int64{5, 3, 2, 6}; !slices.Equal(got, want) {
		t.Errorf("Fetch = %v, want %v (page order, due only)", got, want)
	}

	pend, err := db.PendingList("en")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Pending{}
	for _, p := range pend {
		byID[p.ID] = p
	}
	if p := byID[5]; p.Reason != "new" || p.URL != "/events/president/news/5" || !slices.Equal(p.ListedIn, []string{"transcripts"}) || !p.DiscoveredAt.Equal(t0) || p.Lang != "en" {
		t.Errorf("pending 5 = %+v", p)
	}
	if p := byID[6]; p.ListedUpdated != "2024-01-09" || p.Reason != "new" {
		t.Errorf("pending 6 = %+v", p)
	}
	if p := byID[2]; p.Reason != "updated" || p.ListedUpdated != "2024-01-07" || !slices.Equal(p.ListedIn, []string{"news", "transcripts"}) {
		t.Errorf("pending 2 = %+v, want reason updated, listed in news+transcripts", p)
	}
	if p := byID[3]; !slices.Equal(p.ListedIn, []string{"news", "transcripts"}) || p.ListedUpdated != "2024-02-01" || !p.DiscoveredAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("pending 3 = %+v, want sections merged, listed_updated kept at the newest", p)
	}
	if p := byID[4]; p.Attempts != 1 || !slices.Equal(p.ListedIn, []string{"news", "transcripts"}) {
		t.Errorf("pending 4 = %+v, want its failure kept and sections merged", p)
	}
	if _, ok := byID[1]; ok {
		t.Error("document 1 (archived, not newer) was queued")
	}
	if d := mustDoc(t, db, "en", 1); !slices.Equal(d.ListedIn, []string{"news", "transcripts"}) {
		t.Errorf("Doc 1 ListedIn = %q, want [news transcripts]", d.ListedIn)
	}

	// The section state went in with the page.
	st, err := db.SectionState("en", "transcripts")
	if err != nil {
		t.Fatal(err)
	}
	if st.Pages != 42 || st.Cursor == nil || st.Cursor.Page != 3 || !slices.Equal(st.Cursor.PrevIDs, []int64{9, 8, 7}) {
		t.Errorf("SectionState = %+v", st)
	}
	c, _ := db.RunCounters(run.ID)
	if c.ListingPages != 1 {
		t.Errorf("run ListingPages = %d, want 1", c.ListingPages)
	}
}

func TestDB_RecordListing_AllKnown(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1}, 0)
	put(t, db, doc{id: 2, lupd: "2024-03-01"}, 0)
	res, err := db.RecordListing("en", "news", []store.ListedItem{item(1, ""), item(2, "2024-03-01"), item(2, "2024-02-01")}, t0, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AllKnown() || res.Known != 2 || len(res.Fetch) != 0 {
		t.Errorf("result = %+v, want all known, nothing to fetch", res)
	}
	// A queued item alone does not make the page "new".
	db.AddPending([]store.Pending{{Lang: "en", ID: 3, Reason: "new", DiscoveredAt: t0}})
	res, _ = db.RecordListing("en", "news", []store.ListedItem{item(3, "")}, t0, nil, 0)
	if !res.AllKnown() || res.Queued != 1 {
		t.Errorf("result = %+v, want AllKnown with one queued", res)
	}
}

func TestDB_RecordListing_UpdatedThenRefetched(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 7, title: "v1", updated: "2024-01-02T09:00:00+03:00"}, 0)

	res, _ := db.RecordListing("en", "news", []store.ListedItem{item(7, "2024-01-10")}, t0, nil, 0)
	if res.Updated != 1 || len(res.Fetch) != 1 || res.Fetch[0].Reason != "updated" {
		t.Fatalf("result = %+v, want one updated item to fetch", res)
	}
	p := res.Fetch[0]
	f := doc{id: 7, title: "v2", updated: "2024-01-10T18:00:00+03:00", at: t0.Add(time.Hour)}.fetched()
	f.ListedIn, f.ListedUpdated = p.ListedIn, p.ListedUpdated
	if out, err := db.PutDocument(f, 0); err != nil || out != store.OutcomeUpdated {
		t.Fatalf("PutDocument = %v, %v; want updated", out, err)
	}
	if pend, _ := db.PendingList(""); len(pend) != 0 {
		t.Errorf("pending after the refetch: %+v", pend)
	}
	// The same listing again: now known.
	res, _ = db.RecordListing("en", "news", []store.ListedItem{item(7, "2024-01-10")}, t0, nil, 0)
	if res.Known != 1 || !res.AllKnown() {
		t.Errorf("after refetch: %+v, want known", res)
	}
	// The listing shows a newer date, but the page fetched is still the
	// old one (a cache, or the listing updated first): the document stays
	// due for maxStaleTries fetches, then the listing's date is accepted.
	for try := 1; try <= 3; try++ {
		res, _ = db.RecordListing("en", "news", []store.ListedItem{item(7, "2024-01-11")}, t0, nil, 0)
		if res.Updated != 1 {
			t.Fatalf("try %d: listing 2024-01-11: %+v, want updated", try, res)
		}
		f = doc{id: 7, title: "v2", updated: "2024-01-10T18:00:00+03:00", at: t0.Add(time.Duration(1+try) * time.Hour)}.fetched()
		f.ListedIn, f.ListedUpdated = res.Fetch[0].ListedIn, res.Fetch[0].ListedUpdated
		if out, _ := db.PutDocument(f, 0); out != store.OutcomeUnchanged {
			t.Fatalf("try %d: outcome %v, want unchanged", try, out)
		}
	}
	res, _ = db.RecordListing("en", "news", []store.ListedItem{item(7, "2024-01-11")}, t0, nil, 0)
	if res.Known != 1 {
		t.Errorf("after 3 stale refetches: %+v, want known (the listing's date accepted)", res)
	}
}

// A copy fetched on the day of its last update is fetched once more after
// that day has ended: the page may have changed again later that day.
func TestDB_RecordListing_SameDayUpdateRefetchedNextDay(t *testing.T) {
	db := mustOpen(t)
	day1 := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	f := doc{id: 9, updated: "2024-03-05T09:00:00+00:00", lupd: "2024-03-05", at: day1}.fetched()
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	// Later the same day: current (no hourly refetching).
	res, _ := db.RecordListing("en", "news", []store.ListedItem{item(9, "2024-03-05")}, day1.Add(5*time.Hour), nil, 0)
	if res.Known != 1 {
		t.Fatalf("same day: %+v, want known", res)
	}
	// The next day: fetched once more.
	res, _ = db.RecordListing("en", "news", []store.ListedItem{item(9, "2024-03-05")}, day1.Add(24*time.Hour), nil, 0)
	if res.Updated != 1 {
		t.Fatalf("next day: %+v, want one refetch", res)
	}
	f = doc{id: 9, updated: "2024-03-05T09:00:00+00:00", at: day1.Add(25 * time.Hour)}.fetched()
	f.ListedIn, f.ListedUpdated = res.Fetch[0].ListedIn, res.Fetch[0].ListedUpdated
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	// Fetched after the update day: current from now on.
	res, _ = db.RecordListing("en", "news", []store.ListedItem{item(9, "2024-03-05")}, day1.Add(48*time.Hour), nil, 0)
	if res.Known != 1 {
		t.Errorf("after the refetch on a later day: %+v, want known", res)
	}
}

func TestDB_RecordListing_BadLang(t *testing.T) {
	db := mustOpen(t)
	for _, lang := range []string{"", "e", "eng"} {
		if _, err := db.RecordListing(lang, "news", []store.ListedItem{item(1, "")}, t0, nil, 0); !errors.Is(err, store.ErrBadInput) {
			t.Errorf("RecordListing(%q): %v, want ErrBadInput", lang, err)
		}
	}
}

func TestDB_RecordListing_FailureSavesNothing(t *testing.T) {
	// One transaction: when an entry cannot be read, neither the other
	// items nor the section state are saved.
	path := filepath.Join(t.TempDir(), "a.db")
	db := mustOpenPath(t, path, testOpts())
	db.Close()
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(store.BucketPending)).Put(store.DocKey("en", 2), []byte("{not json"))
	})
	b.Close()

	db, err = store.Open(path, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	state := &store.SectionState{Lang: "en", Section: "news", Pages: 9}
	if _, err := db.RecordListing("en", "news", []store.ListedItem{item(1, ""), item(2, ""), item(3, "")}, t0, state, 0); err == nil {
		t.Fatal("RecordListing over a corrupt entry succeeded")
	}
	known, _ := db.Known("en", []int64{1, 3})
	if len(known) != 0 {
		t.Errorf("items saved by a failed RecordListing: %v", known)
	}
	if st, _ := db.SectionState("en", "news"); st.Pages != 0 {
		t.Errorf("section state saved by a failed RecordListing: %+v", st)
	}
}

func TestDB_FailFetch_KeepsEntry(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0)
	db.RecordListing("en", "news", []store.ListedItem{item(1, ""), item(2, "")}, t0.Add(-time.Hour), nil, 0)

	next := t0.Add(time.Hour)
	p, err := db.FailFetch("en", 1, "GET /1: 500 Internal Server Error", 500, t0, next, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Attempts != 1 || p.LastStatus != 500 || p.LastError == "" || !p.LastTry.Equal(t0) || !p.NextTry.Equal(next) || !p.Failed() {
		t.Errorf("after one failure: %+v", p)
	}
	p, _ = db.FailFetch("en", 1, "timeout", 0, t0.Add(time.Hour), t0.Add(3*time.Hour), run.ID)
	if p.Attempts != 2 || p.LastStatus != 0 || p.LastError != "timeout" || p.URL != "/events/president/news/1" || p.Reason != "new" {
		t.Errorf("after two failures: %+v", p)
	}

	due, _ := db.DuePending("en", t0)
	if got := ids(due); !slices.Equal(got, []int64{2}) {
		t.Errorf("DuePending(now) = %v, want [2]", got)
	}
	due, _ = db.DuePending("", t0.Add(3*time.Hour))
	if got := ids(due); len(got) != 2 {
		t.Errorf("DuePending(later) = %v, want both", got)
	}
	all, _ := db.PendingList("en")
	if len(all) != 2 {
		t.Errorf("PendingList = %v, want both entries", ids(all))
	}
	if c, _ := db.RunCounters(run.ID); c.Failed != 2 {
		t.Errorf("run Failed = %d, want 2", c.Failed)
	}
	// A later success removes the entry.
	put(t, db, doc{id: 1}, run.ID)
	if all, _ := db.PendingList("en"); !slices.Equal(ids(all), []int64{2}) {
		t.Errorf("PendingList after success = %v, want [2]", ids(all))
	}
}

func TestDB_FailFetch_NotPending(t *testing.T) {
	db := mustOpen(t)
	p, err := db.FailFetch("ru", 99, "404", 404, t0, t0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lang != "ru" || p.ID != 99 || p.Attempts != 1 || p.Reason != "new" {
		t.Errorf("FailFetch of an unknown document = %+v", p)
	}
	if k, _ := db.Known("ru", []int64{99}); !k[99] {
		t.Error("the failed document is not in the frontier")
	}
}

func TestDB_PendingList_OrderAndLanguages(t *testing.T) {
	db := mustOpen(t)
	ps := []store.Pending{
		{Lang: "ru", ID: 5, DiscoveredAt: t0.Add(2 * time.Minute)},
		{Lang: "en", ID: 10, DiscoveredAt: t0.Add(time.Minute)},
		{Lang: "en", ID: 11, DiscoveredAt: t0.Add(time.Minute)},
		{Lang: "en", ID: 300, DiscoveredAt: t0},
		{Lang: "ru", ID: 1, DiscoveredAt: t0},
	}
	if err := db.AddPending(ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang string
		want []int64
	}{
		{"en", []int64{300, 11, 10}}, // oldest discovery first; same time: higher ID first
		{"ru", []int64{1, 5}},
		{"", []int64{300, 1, 11, 10, 5}},
	}
	for _, tt := range tests {
		got, err := db.PendingList(tt.lang)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), tt.want) {
			t.Errorf("PendingList(%q) = %v, want %v", tt.lang, ids(got), tt.want)
		}
	}
}

func TestDB_AddPending_KeepsExisting(t *testing.T) {
	db := mustOpen(t)
	db.AddPending([]store.Pending{{Lang: "en", ID: 1, URL: "/a", Reason: "new", DiscoveredAt: t0}})
	db.FailFetch("en", 1, "x", 500, t0, t0, 0)
	db.AddPending([]store.Pending{{Lang: "en", ID: 1, URL: "/b", Reason: "updated", DiscoveredAt: t0.Add(time.Hour)}, {Lang: "en", ID: 2, URL: "/c"}})
	all, _ := db.PendingList("en")
	if len(all) != 2 {
		t.Fatalf("PendingList = %+v", all)
	}
	for _, p := range all {
		if p.ID == 1 && (p.URL != "/a" || p.Attempts != 1) {
			t.Errorf("existing entry replaced: %+v", p)
		}
	}
}

func TestDB_Known_ArchivedOrPending(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1}, 0)
	db.AddPending([]store.Pending{{Lang: "en", ID: 2}, {Lang: "ru", ID: 3}})
	got, err := db.Known("en", []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]bool{1: true, 2: true}; !reflect.DeepEqual(got, want) {
		t.Errorf("Known(en) = %v, want %v", got, want)
	}
}

// Within one run a document fetched already is current, whatever a later
// listing (another section, a stale page) says: fetched at most once per run.
func TestDB_RecordListing_OncePerRun(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0)
	put(t, db, doc{id: 4, updated: "2024-01-10T18:00:00+03:00", at: t0.Add(time.Minute)}, run.ID)
	res, err := db.RecordListing("en", "transcripts", []store.ListedItem{item(4, "2024-01-12")}, t0.Add(2*time.Minute), nil, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Known != 1 || len(res.Fetch) != 0 {
		t.Errorf("same run: %+v, want known", res)
	}
	// The next run fetches it again.
	next, _ := db.StartRun("crawl", nil, t0.Add(time.Hour))
	res, _ = db.RecordListing("en", "transcripts", []store.ListedItem{item(4, "2024-01-12")}, t0.Add(time.Hour), nil, next.ID)
	if res.Updated != 1 {
		t.Errorf("next run: %+v, want one refetch", res)
	}
}
