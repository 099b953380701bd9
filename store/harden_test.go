package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// Issue 10 defect 1: a failing document takes the URL of its latest
// listing entry; a document that has not failed keeps its first one.
// Defect 9: error texts are kept without credentials.
func TestDB_RecordListing_LaterEntryReplacesFailingURL(t *testing.T) {
	db := mustOpen(t)
	odd := store.ListedItem{ID: 7, URL: "/events/president/news/%207", Date: "2024-01-01"}
	fine := store.ListedItem{ID: 8, URL: "/events/president/news/8", Date: "2024-01-01"}
	if _, err := db.RecordListing("en", "news", []store.ListedItem{odd, fine}, t0, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FailFetch("en", 7, "GET http://user:secret@mirror/events/president/news/%207: HTTP 404", 404, t0, t0, 0); err != nil {
		t.Fatal(err)
	}
	later := []store.ListedItem{
		{ID: 7, URL: "/events/president/news/7", Date: "2024-01-01"},
		{ID: 8, URL: "/events/president/transcripts/8", Date: "2024-01-01"},
	}
	if _, err := db.RecordListing("en", "news", later, t0.Add(time.Hour), nil, 0); err != nil {
		t.Fatal(err)
	}
	ps, err := db.PendingList("en")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]store.Pending{}
	for _, p := range ps {
		got[p.ID] = p
	}
	if u := got[7].URL; u != "/events/president/news/7" {
		t.Errorf("failing document 7: URL %q, want the later listing entry's", u)
	}
	if u := got[8].URL; u != "/events/president/news/8" {
		t.Errorf("document 8 (not failing): URL %q, want its first", u)
	}
	if e := got[7].LastError; strings.Contains(e, "secret") || !strings.Contains(e, "user:xxxxx@") {
		t.Errorf("stored error %q: want the password redacted", e)
	}
}
