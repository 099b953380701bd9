package fakesite

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
	"testing"
)

func TestPageMath(t *testing.T) {
	cases := []struct{ n, per, pages int }{{0, 20, 1}, {1, 20, 1}, {20, 20, 1}, {21, 20, 2}, {23957, 20, 1198}, {45, 20, 3}}
	for _, c := range cases {
		if got := pageCount(c.n, c.per); got != c.pages {
			t.Errorf("pageCount(%d,%d)=%d want %d", c.n, c.per, got, c.pages)
		}
	}
	if f, to, ok := pageWindow(45, 20, 3); !ok || f != 40 || to != 45 {
		t.Errorf("last page window %d..%d %v", f, to, ok)
	}
	if _, _, ok := pageWindow(45, 20, 4); ok {
		t.Error("page past the end accepted")
	}
	if _, _, ok := pageWindow(45, 20, 0); ok {
		t.Error("page 0 accepted")
	}
}

// walk follows rel=next from the bare section URL and returns the item IDs
// of every page, checking navigation on the way.
func walk(t *testing.T, s *Site, sec string) ([][]int64, []parsedListing) {
	t.Helper()
	var pages [][]int64
	var parsed []parsedListing
	path := "/events/president/" + sec
	for p := 1; path != ""; p++ {
		body, st := s.Page(path)
		if st != 200 {
			t.Fatalf("%s: status %d", path, st)
		}
		if err := checkBalanced(body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pl, err := parseListing(body)
		if err != nil {
			t.Fatal(err)
		}
		if pl.page != p {
			t.Fatalf("%s: data-page %d want %d", path, pl.page, p)
		}
		if (p == 1) != (pl.prev == "") || (p == 1) != (pl.headPrev == "") {
			t.Fatalf("%s: prev link %q / head %q on page %d", path, pl.prev, pl.headPrev, p)
		}
		if pl.next != pl.headNext {
			t.Fatalf("%s: a.more-next %q != link rel=next %q", path, pl.next, pl.headNext)
		}
		var ids []int64
		for _, it := range pl.items {
			ids = append(ids, it.id)
			if it.href != docPath(sec, it.id) {
				t.Fatalf("item href %q", it.href)
			}
		}
		pages = append(pages, ids)
		parsed = append(parsed, pl)
		path = pl.next
		if p > 1000 {
			t.Fatal("no end")
		}
	}
	return pages, parsed
}

func TestListingPagination(t *testing.T) {
	s := New(Options{N: 113, Seed: 21})
	news := s.IDs("news")
	pages, parsed := walk(t, s, "news")
	want := (len(news) + 19) / 20
	if len(pages) != want || parsed[0].pages != want {
		t.Fatalf("%d pages (data-pages %d), want %d", len(pages), parsed[0].pages, want)
	}
	var all []int64
	for i, p := range pages {
		if i < len(pages)-1 && len(p) != 20 {
			t.Fatalf("page %d has %d items", i+1, len(p))
		}
		all = append(all, p...)
	}
	if last := pages[len(pages)-1]; len(last) != len(news)-20*(want-1) {
		t.Fatalf("last page has %d items", len(last))
	}
	if !reflect.DeepEqual(all, news) {
		t.Fatal("walk did not yield the listing in order")
	}
	// newest first
	docs := map[int64]Doc{}
	for _, d := range s.Docs() {
		docs[d.ID] = d
	}
	for i := 1; i < len(all); i++ {
		if docs[all[i]].Time.After(docs[all[i-1]].Time) {
			t.Fatalf("item %d newer than the one before", all[i])
		}
	}
	// Listing() agrees
	lp, ok := s.Listing("news", 2)
	if !ok || !reflect.DeepEqual(lp.IDs, pages[1]) || lp.Pages != want {
		t.Fatalf("Listing(news,2) = %+v", lp)
	}
	// promoted teaser is not an item
	for _, pl := range parsed {
		if pl.promoted == "" {
			t.Fatal("no promoted teaser")
		}
	}
	// transcripts: includes transcripts-only items absent from news
	tr := s.IDs("transcripts")
	inNews := map[int64]bool{}
	for _, id := range news {
		inNews[id] = true
	}
	only := 0
	for _, id := range tr {
		if !inNews[id] {
			only++
		}
	}
	if only == 0 {
		t.Error("no transcript missing from news")
	}
	tpages, _ := walk(t, s, "transcripts")
	var tall []int64
	for _, p := range tpages {
		tall = append(tall, p...)
	}
	if !reflect.DeepEqual(tall, tr) {
		t.Fatal("transcripts walk mismatch")
	}
}

func TestListingDayHeaders(t *testing.T) {
	s := New(Options{N: 150, Seed: 22})
	news := s.Docs()
	var list []Doc
	for _, d := range news {
		if d.InSection("news") {
			list = append(list, d)
		}
	}
	_, parsed := walk(t, s, "news")
	i := 0
	for _, pl := range parsed {
		var want []string
		for range pl.items {
			d := list[i]
			if i == 0 || !sameDay(list[i-1].Time, d.Time) {
				want = append(want, d.Time.Format("2006-01-02"))
			}
			i++
		}
		if !reflect.DeepEqual(pl.dayHeaders, want) {
			t.Fatalf("page %d day headers %v want %v", pl.page, pl.dayHeaders, want)
		}
	}
}

func TestListingShiftsAfterAddDocs(t *testing.T) {
	s := New(Options{N: 50, Seed: 23})
	before, _ := s.Listing("news", 2)
	nd := s.NewDocs(3)
	for i := range nd {
		nd[i].Sections = []string{"news"}
	}
	s.AddDocs(nd...)
	after, _ := s.Listing("news", 2)
	if !reflect.DeepEqual(after.IDs[3:], before.IDs[:len(before.IDs)-3]) {
		t.Fatalf("page 2 did not shift by 3:\nbefore %v\nafter  %v", before.IDs, after.IDs)
	}
	p1, _ := s.Listing("news", 1)
	for i, d := range nd {
		if p1.IDs[i] != d.ID {
			t.Fatalf("new items not at the top: %v", p1.IDs[:3])
		}
	}
	// the rendered page shows the same
	body, _ := s.Page("/events/president/news/page/2")
	pl, _ := parseListing(body)
	var got []int64
	for _, it := range pl.items {
		got = append(got, it.id)
	}
	if !reflect.DeepEqual(got, after.IDs) {
		t.Fatal("rendered page 2 differs from Listing")
	}
}

func TestListingEdges(t *testing.T) {
	s := New(Options{N: 45, Seed: 24, Sections: []string{"news"}})
	n := len(s.IDs("news"))
	pages := s.Pages("news")
	if _, st := s.Page(fmt.Sprintf("/events/president/news/page/%d", pages+1)); st != 404 {
		t.Errorf("page past the end: %d", st)
	}
	if _, st := s.Page("/events/president/news/page/0"); st != 404 {
		t.Errorf("page 0: %d", st)
	}
	if _, st := s.Page("/events/president/transcripts"); st != 404 {
		t.Errorf("unconfigured section: %d", st)
	}
	b1, _ := s.Page("/events/president/news")
	bq, _ := s.Page("/events/president/news/page/1")
	p1, _ := parseListing(b1)
	pq, _ := parseListing(bq)
	if !reflect.DeepEqual(p1.items, pq.items) {
		t.Error("/page/1 differs from the bare section")
	}
	last, _ := s.Page(fmt.Sprintf("/events/president/news/page/%d", pages))
	pl, _ := parseListing(last)
	if pl.next != "" || pl.headNext != "" {
		t.Error("last page has rel=next")
	}
	if len(pl.items) != n-20*(pages-1) {
		t.Errorf("last page %d items", len(pl.items))
	}
	if pl.prev != fmt.Sprintf("/events/president/news/page/%d", pages-1) && pages > 2 {
		t.Errorf("prev %q", pl.prev)
	}
	b2, _ := s.Page("/events/president/news/page/2")
	p2, _ := parseListing(b2)
	if p2.prev != "/events/president/news" || p2.headPrev != "/events/president/news" {
		t.Errorf("page 2 rel=prev %q / %q, want the bare section", p2.prev, p2.headPrev)
	}
	// absolute navigation option
	sa := New(Options{N: 45, Seed: 24, AbsoluteNav: true})
	ba, _ := sa.Page("/events/president/news/page/2")
	pa, _ := parseListing(ba)
	if pa.next != RealBaseEN+"/events/president/news/page/3" {
		t.Errorf("absolute next %q", pa.next)
	}
}

func TestByDate(t *testing.T) {
	s := New(Options{N: 120, Seed: 25})
	list := []Doc{}
	for _, d := range s.Docs() {
		if d.InSection("news") {
			list = append(list, d)
		}
	}
	for _, i := range []int{0, 7, 20, 21, 55, len(list) - 1} {
		d := list[i]
		day := d.Time.Format("02.01.2006")
		// the page holding the newest item of that day
		first := i
		for first > 0 && sameDay(list[first-1].Time, d.Time) {
			first--
		}
		want := first/20 + 1
		body, st := s.Page("/events/president/news/by-date/" + day)
		if st != 200 {
			t.Fatalf("by-date %s: %d", day, st)
		}
		pl, _ := parseListing(body)
		if pl.page != want {
			t.Errorf("by-date %s: data-page %d want %d", day, pl.page, want)
		}
		lp, _ := s.Listing("news", want)
		var got []int64
		for _, it := range pl.items {
			got = append(got, it.id)
		}
		if !reflect.DeepEqual(got, lp.IDs) {
			t.Errorf("by-date %s items differ from page %d", day, want)
		}
	}
	// a day with no item → the page of the next older item
	newest := list[0].Time
	if _, st := s.Page("/events/president/news/by-date/" + newest.AddDate(1, 0, 0).Format("02.01.2006")); st != 200 {
		t.Errorf("future date: %d", st)
	}
	if _, st := s.Page("/events/president/news/by-date/01.01.1990"); st != 404 {
		t.Errorf("date before every item: %d", st)
	}
	if _, st := s.Page("/events/president/news/by-date/32.01.2020"); st != 404 {
		t.Errorf("bad date: %d", st)
	}
	if _, st := s.Page("/events/president/news/by-date/" + newest.Format("02.01.2006") + "/page/2"); st != 404 {
		t.Errorf("by-date/…/page/2: %d", st)
	}
}

func TestFeed(t *testing.T) {
	s := New(Options{N: 50, Seed: 26})
	body, st := s.Page("/events/president/news/feed")
	if st != 200 {
		t.Fatalf("feed: %d", st)
	}
	var f struct {
		Links []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Entries []struct {
			ID        string `xml:"id"`
			Published string `xml:"published"`
			Content   string `xml:"content"`
		} `xml:"entry"`
	}
	// the corpus's one invalid byte may be in this feed page, as on the real site
	if err := xml.Unmarshal(bytes.ToValidUTF8(body, []byte("\uFFFD")), &f); err != nil {
		t.Fatal(err)
	}
	ids := s.IDs("news")
	if len(f.Entries) != 20 || f.Entries[0].ID != RealBaseEN+"/events/president/news/"+itoa(ids[0]) {
		t.Fatalf("%d entries, first %q", len(f.Entries), f.Entries[0].ID)
	}
	d, _ := s.Doc(ids[0])
	if f.Entries[0].Published != d.Time.Format("2006-01-02T15:04:05")+"+04:00" {
		t.Errorf("published %q (stale +04:00 label on the Moscow wall clock)", f.Entries[0].Published)
	}
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if rels["next"] != RealBaseEN+"/events/president/news/feed/page/2" || rels["last"] == "" {
		t.Errorf("feed links %v", rels)
	}
	if _, st := s.Page(fmt.Sprintf("/events/president/news/feed/page/%d", s.Pages("news")+1)); st != 404 {
		t.Errorf("feed page past the end: %d", st)
	}
}
