package kremlin

import "testing"

func TestDocumentID(t *testing.T) {
	for _, c := range []struct {
		in string
		id int64
		ok bool
	}{
		// accepted (SPEC §2.5, §2.6)
		{"/events/president/news/63953", 63953, true},
		{"/events/president/news/63953/", 63953, true},
		{"http://en.kremlin.ru/events/president/news/63953", 63953, true},
		{"https://kremlin.ru/events/president/news/63953?utm=1#top", 63953, true},
		{"//kremlin.ru/events/president/news/63953", 63953, true},
		{"http://127.0.0.1:4567/events/president/transcripts/63953", 63953, true},
		{"/events/president/transcripts/63953", 63953, true},
		{"/events/president/transcripts/comminity_meetings/23783", 23783, true},
		{"/events/president/transcripts/press_conferences/59455", 59455, true},
		{"/events/president/letters/70000", 70000, true},
		{"/events/state-council/58000", 58000, true},
		{"/events/security-council/17133", 17133, true},
		{"/events/president/news/55882/photos", 55882, true},
		{"/events/president/news/55882/videos", 55882, true},
		{"/events/president/news/55882/print", 55882, true},
		{"  /events/president/news/30  ", 30, true},

		// rejected
		{"", 0, false},
		{"/", 0, false},
		{"/events/president/news", 0, false},
		{"/events/president/news/page/2", 0, false},
		{"/events/president/transcripts/speeches/page/3", 0, false},
		{"/events/president/news/by-date/19.10.2017", 0, false},
		{"/events/president/news/feed", 0, false},
		{"/events/president/news/feed/page/2", 0, false},
		{"/events/all/feed/page/3315", 0, false},
		{"/events/president/news/copy/63953", 0, false},
		{"/events/president/transcripts/copy/55882", 0, false},
		{"/events/councils/by-council/1029", 0, false},
		{"/events/president/trips/48894", 0, false}, // trips are aggregations, not documents
		{"/acts/news/80518", 0, false},
		{"/acts/bank/20000", 0, false},
		{"/supplement/6290", 0, false},
		{"/d/55882", 0, false},
		{"/misc/55882/videos/3650", 0, false},
		{"/events/president/news/55882/email", 0, false},
		{"/events/president/news/55882/photos/64396", 0, false},
		{"/events/63953", 0, false},
		{"/Events/President/News/63953", 0, false},
		{"/events/president/news/0", 0, false},
		{"/events/president/news/99999999999999999999999", 0, false},
		{"/events/president/news/63953.html", 0, false},
		{"/events/president/news/-5", 0, false},
		{"../63904.html", 0, false},
		{"http://en.kremlin.ru", 0, false},
	} {
		id, ok := DocumentID(c.in)
		if id != c.id || ok != c.ok {
			t.Errorf("DocumentID(%q) = %d, %v; want %d, %v", c.in, id, ok, c.id, c.ok)
		}
	}
}

func TestListingPath(t *testing.T) {
	for _, c := range []struct {
		section string
		page    int
		want    string
	}{
		{"news", 1, "/events/president/news"},
		{"news", 0, "/events/president/news"},
		{"news", 2, "/events/president/news/page/2"},
		{"news", 3, "/events/president/news/page/3"},
		{"transcripts", 455, "/events/president/transcripts/page/455"},
		{"transcripts/speeches", 1, "/events/president/transcripts/speeches"},
		{"transcripts/speeches", 2, "/events/president/transcripts/speeches/page/2"},
		{"/news/", 2, "/events/president/news/page/2"},
		{"/acts/news", 2, "/acts/news/page/2"},
		{"events/all", 1, "/events/all"},
	} {
		if got := ListingPath(c.section, c.page); got != c.want {
			t.Errorf("ListingPath(%q, %d) = %q, want %q", c.section, c.page, got, c.want)
		}
	}
}

func TestCanonicalBase(t *testing.T) {
	for in, want := range map[string]string{"en": "http://en.kremlin.ru", "ru": "http://kremlin.ru", "RU": "http://kremlin.ru", "": "", "de": ""} {
		if got := CanonicalBase(in); got != want {
			t.Errorf("CanonicalBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k := KindUnknown; k <= KindTruncated; k++ {
		if k.String() == "" || (k != KindUnknown && k.String() == KindUnknown.String()) {
			t.Errorf("Kind(%d) has no name", k)
		}
	}
}
