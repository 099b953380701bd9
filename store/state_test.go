package store_test

import (
	"bytes"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func TestDB_SectionState_RoundTrip(t *testing.T) {
	db := mustOpen(t)
	st, err := db.SectionState("ru", "news")
	if err != nil {
		t.Fatal(err)
	}
	if st.Lang != "ru" || st.Section != "news" || st.Complete || st.Cursor != nil || st.Pages != 0 {
		t.Errorf("state of a new section = %+v, want zero", st)
	}
	want := &store.SectionState{
		Lang: "ru", Section: "news", Complete: true, CompletedAt: t0,
		Cursor: &store.Cursor{Page: 17, PrevIDs: []int64{700, 699}, StartedAt: t0.Add(-time.Hour), Done: 16, Pages: 1198, Mode: "backfill"},
		Ranged: &store.Cursor{Page: 2, From: "2020-01-01", To: "2020-03-31", Mode: "crawl"},
		Pages:  1199, LastWalk: t0, LastItems: 17,
	}
	if err := db.SaveSectionState(want); err != nil {
		t.Fatal(err)
	}
	db.SaveSectionState(&store.SectionState{Lang: "en", Section: "transcripts", Pages: 3})
	db = reopen(t, db, testOpts())
	got, err := db.SectionState("ru", "news")
	if err != nil {
		t.Fatal(err)
	}
	if got.Lang != want.Lang || got.Section != want.Section || !got.Complete || !got.CompletedAt.Equal(t0) ||
		got.Pages != 1199 || !got.LastWalk.Equal(t0) || got.LastItems != 17 {
		t.Errorf("SectionState = %+v, want %+v", got, want)
	}
	if c := got.Cursor; c == nil || c.Page != 17 || !slices.Equal(c.PrevIDs, []int64{700, 699}) || c.Done != 16 || c.Pages != 1198 || c.Mode != "backfill" || !c.StartedAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("Cursor = %+v", got.Cursor)
	}
	if r := got.Ranged; r == nil || r.From != "2020-01-01" || r.To != "2020-03-31" || r.Page != 2 {
		t.Errorf("Ranged = %+v", got.Ranged)
	}
	all, err := db.SectionStates()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range all {
		keys = append(keys, s.Lang+"/"+s.Section)
	}
	if !slices.Equal(keys, []string{"en/transcripts", "ru/news"}) {
		t.Errorf("SectionStates = %v", keys)
	}
	// Clearing the cursor persists.
	got.Cursor = nil
	db.SaveSectionState(got)
	if st, _ := db.SectionState("ru", "news"); st.Cursor != nil {
		t.Errorf("Cursor after clearing = %+v", st.Cursor)
	}
}

func TestDB_HostState_RoundTrip(t *testing.T) {
	db := mustOpen(t)
	hs, err := db.HostState("kremlin.ru")
	if err != nil {
		t.Fatal(err)
	}
	if hs.Host != "kremlin.ru" || !hs.CooldownUntil.IsZero() || hs.Robots != nil {
		t.Errorf("state of a new host = %+v, want zero", hs)
	}
	robots := []byte("User-agent: *\nDisallow: /search\n\xff\x00binary tail")
	for i := range 3 {
		err := db.UpdateHostState("kremlin.ru", func(h *store.HostState) {
			h.Cooldowns++
			h.CooldownUntil = t0.Add(time.Duration(h.Cooldowns) * time.Hour)
			h.CooldownReason = "429 Too Many Requests"
			h.LastRefusal = t0
			h.LastRequest = t0.Add(time.Duration(i) * time.Second)
			h.Robots = &store.RobotsCopy{URL: "http://kremlin.ru/robots.txt", Status: 200, Body: robots, FetchedAt: t0}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.UpdateHostState("en.kremlin.ru", func(h *store.HostState) { h.Robots = &store.RobotsCopy{Status: 0, Error: "dial tcp: timeout"} })
	db = reopen(t, db, testOpts())

	hs, _ = db.HostState("kremlin.ru")
	if hs.Host != "kremlin.ru" || hs.Cooldowns != 3 || !hs.CooldownUntil.Equal(t0.Add(3*time.Hour)) || hs.CooldownReason == "" ||
		!hs.LastRequest.Equal(t0.Add(2*time.Second)) || !hs.LastRefusal.Equal(t0) {
		t.Errorf("HostState = %+v", hs)
	}
	if hs.Robots == nil || !bytes.Equal(hs.Robots.Body, robots) || hs.Robots.Status != 200 || !hs.Robots.FetchedAt.Equal(t0) {
		t.Errorf("Robots = %+v", hs.Robots)
	}
	all, err := db.HostStates()
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, h := range all {
		hosts = append(hosts, h.Host)
	}
	sort.Strings(hosts)
	if !slices.Equal(hosts, []string{"en.kremlin.ru", "kremlin.ru"}) {
		t.Errorf("HostStates = %v", hosts)
	}
	for _, h := range all {
		if h.Host == "en.kremlin.ru" && (h.Robots == nil || h.Robots.Error == "" || h.Cooldowns != 0) {
			t.Errorf("en.kremlin.ru = %+v", h)
		}
	}
}
