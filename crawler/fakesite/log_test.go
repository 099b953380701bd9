package fakesite

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRequestLog(t *testing.T) {
	var hooked atomic.Int64
	s := New(Options{N: 50, Seed: 51, OnRequest: func(Request) { hooked.Add(1) }})
	srv := s.Start()
	defer srv.Close()
	c := client()
	var doc Doc
	for _, d := range s.Docs() {
		if len(d.Sections) == 2 && d.Photos > 0 {
			doc = d
			break
		}
	}
	if doc.ID == 0 {
		t.Fatal("no transcript with photos")
	}
	id := itoa(doc.ID)
	urls := []string{
		"/robots.txt",
		"/events/president/news",
		"/events/president/news/page/2",
		"/events/president/news/by-date/" + doc.Time.Format("02.01.2006"),
		"/events/president/news/" + id,
		"/events/president/transcripts/" + id,
		"/events/president/news/" + id,
		"/events/president/news/" + id + "/print",
		"/events/president/news/" + id + "/photos",
		"/d/" + id,
		"/nope",
	}
	for _, u := range urls {
		mustFetch(t, c, srv.URL+u+"?utm=1")
	}
	s.WaitIdle(time.Second)
	rs := s.Requests()
	if len(rs) != len(urls) || int(hooked.Load()) != len(urls) {
		t.Fatalf("%d logged, %d hooked, want %d", len(rs), hooked.Load(), len(urls))
	}
	kinds := []string{KindRobots, KindListing, KindListing, KindByDate, KindDoc, KindDoc, KindDoc, KindPrint, KindPhotos, KindShort, KindOther}
	for i, r := range rs {
		if r.Seq != i+1 || r.Path != urls[i] || r.Query != "utm=1" || r.Kind != kinds[i] || r.UserAgent != testUA || r.Method != "GET" {
			t.Errorf("request %d: %+v", i, r)
		}
		if r.End.Before(r.Start) || r.Bytes == 0 && r.Status == 200 {
			t.Errorf("request %d: times or bytes wrong: %+v", i, r)
		}
	}
	if rs[2].Page != 2 || rs[4].DocID != doc.ID || rs[5].Section != "transcripts" {
		t.Errorf("classification: %+v %+v %+v", rs[2], rs[4], rs[5])
	}
	if got := s.DocFetches(doc.ID); got != 3 {
		t.Errorf("DocFetches = %d, want 3 (print, photos and /d/ excluded)", got)
	}
	if got := s.DocFetchesOK(doc.ID); got != 3 {
		t.Errorf("DocFetchesOK = %d", got)
	}
	if got := s.DocFetchCounts()[doc.ID]; got != 3 {
		t.Errorf("DocFetchCounts = %d", got)
	}
	if got := s.ListingFetches(); got != 3 {
		t.Errorf("ListingFetches = %d", got)
	}
	if got := s.Count("/events/president/news/" + id); got != 2 {
		t.Errorf("Count = %d", got)
	}
	if rs[9].Status != 302 || rs[10].Status != 404 {
		t.Errorf("statuses %d %d", rs[9].Status, rs[10].Status)
	}
	s.ResetLog()
	if len(s.Requests()) != 0 || s.MaxInFlight() != 0 {
		t.Error("ResetLog left entries")
	}
}

func TestInFlightAndGaps(t *testing.T) {
	s := New(Options{N: 10, Seed: 52, Latency: 40 * time.Millisecond})
	srv := s.Start()
	defer srv.Close()
	c := client()
	// sequential with pauses: max in flight 1, gaps ≥ the pause
	for i := 0; i < 4; i++ {
		mustFetch(t, c, srv.URL+"/events/president/news")
		time.Sleep(30 * time.Millisecond)
	}
	s.WaitIdle(time.Second)
	if s.MaxInFlight() != 1 {
		t.Errorf("sequential MaxInFlight %d", s.MaxInFlight())
	}
	if g := s.MinGap(); g < 25*time.Millisecond {
		t.Errorf("MinGap %s", g)
	}
	if g := s.MinStartGap(); g < 65*time.Millisecond {
		t.Errorf("MinStartGap %s", g)
	}
	// concurrent: 5 at once
	s.ResetLog()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustFetch(t, client(), srv.URL+"/robots.txt")
		}()
	}
	wg.Wait()
	s.WaitIdle(time.Second)
	if s.MaxInFlight() != 5 {
		t.Errorf("concurrent MaxInFlight %d", s.MaxInFlight())
	}
	if s.MinGap() >= 0 {
		t.Errorf("overlapping requests gave MinGap %s", s.MinGap())
	}
}
