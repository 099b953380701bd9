package kremlin

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
)

// The real pages of /work/shared/site/samples (a 2020 wget mirror of
// en.kremlin.ru) are not part of the project. These tests run when the
// folder is found (KREMLIN_SAMPLES, or shared/site/samples above the
// working directory: samples.Find) and are skipped otherwise.

// sample reads a sample file and returns its body and the URL it was
// fetched from ("http://en.kremlin.ru/<path without .html>").
func sample(t testing.TB, root, rel string) ([]byte, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("sample %s: %v", rel, err)
	}
	return b, "http://en.kremlin.ru/" + strings.TrimSuffix(rel, ".html")
}

func sampleDoc(t *testing.T, root, rel string) *Document {
	t.Helper()
	b, u := sample(t, root, rel)
	d, err := ParseDocument(b, u, Options{Lang: "en"})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if len(d.Warnings) > 0 {
		t.Errorf("%s: unexpected warnings %q", rel, d.Warnings)
	}
	if k := Classify(b, u); k != KindDocument {
		t.Errorf("%s: Classify = %v", rel, k)
	}
	return d
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equalAny(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	}
	return a == b
}

func TestSamplesDocuments(t *testing.T) {
	root := samples.Root(t)
	const news = "events/president/news/"

	t.Run("63953 plain news", func(t *testing.T) {
		r := sampleDoc(t, root, news+"63953.html").Record
		eq(t, "id", r.ID, int64(63953))
		eq(t, "url", r.URL, "http://en.kremlin.ru/events/president/news/63953")
		eq(t, "title", r.Title, "Launching motor traffic on completed sections of Taurida motorway")
		eq(t, "date", str(r.Date), "2020-08-27")
		eq(t, "time", str(r.Time), "15:20")
		eq(t, "published", str(r.Published), "2020-08-27T15:20:00+03:00")
		eq(t, "updated", str(r.Updated), "2020-08-27T20:09:00+03:00")
		eq(t, "place", str(r.Place), "Republic of Crimea")
		eq(t, "sections", r.Sections, []string{"News"})
		if !slices.Contains(r.Tags["geography"], "Sevastopol") {
			t.Errorf("geography = %q, want Sevastopol in it", r.Tags["geography"])
		}
		eq(t, "topics", r.Tags["topics"], []string{"Construction industry", "Regions", "Transport"})
		if !strings.HasPrefix(r.Lead, "During his working trip to the Republic of Crimea") {
			t.Errorf("lead = %q", r.Lead)
		}
		if strings.Contains(r.Text, "Ditrikh Yevgeny") {
			t.Errorf("tooltip leaked into text")
		}
		if !strings.Contains(r.Text, "Minister of Transport Yevgeny Ditrikh, VAD Director General") {
			t.Errorf("person link text lost: %q", r.Text[:200])
		}
		eq(t, "turns", len(r.Turns), 0)
	})

	t.Run("55882 long transcript", func(t *testing.T) {
		r := sampleDoc(t, root, news+"55882.html").Record
		eq(t, "updated", str(r.Updated), "2017-10-23T09:39:00+03:00")
		eq(t, "sections", r.Sections, []string{"News", "Transcripts"})
		eq(t, "published", str(r.Published), "2017-10-19T20:10:00+03:00")
		if !strings.Contains(r.Text, "\n\n* * *\n\n") {
			t.Errorf("* * * missing from text")
		}
		if len(r.Turns) < 100 {
			t.Fatalf("only %d turns", len(r.Turns))
		}
		eq(t, "first speaker", r.Turns[0].Speaker,
			"Research Director of the Foundation for Development and Support of the Valdai Discussion Club, moderator Fyodor Lukyanov")
		eq(t, "first text", r.Turns[0].Text[:15], "Friends, guests")
		for _, tr := range r.Turns {
			if strings.ContainsAny(tr.Speaker, "*:") || tr.Speaker == "" {
				t.Errorf("bad speaker %q", tr.Speaker)
			}
		}
		if !strings.Contains(r.Text, "All disputes must be resolved in a civilised manner.") {
			t.Errorf("blockquote text missing")
		}
	})

	t.Run("59484 tooltips in labels", func(t *testing.T) {
		r := sampleDoc(t, root, news+"59484.html").Record
		if len(r.Turns) != 3 {
			t.Fatalf("turns = %d, want 3", len(r.Turns))
		}
		eq(t, "speaker 0", r.Turns[0].Speaker, "President of Russia Vladimir Putin")
		eq(t, "speaker 1", r.Turns[1].Speaker, "President of the Republic of Belarus Alexander Lukashenko")
		eq(t, "speaker 2", r.Turns[2].Speaker, "Vladimir Putin")
		eq(t, "text 0", r.Turns[0].Text[:25], "Mr Lukashenko, friends,\n\n")
		for _, bad := range []string{"Lukashenko Alexander President of Belarus", "Lukashenko Alexander"} {
			if strings.Contains(r.Text, bad) {
				t.Errorf("tooltip %q leaked into text", bad)
			}
			for _, tr := range r.Turns {
				if strings.Contains(tr.Speaker, bad) || strings.Contains(tr.Text, bad) {
					t.Errorf("tooltip %q leaked into turn %q", bad, tr.Speaker)
				}
			}
		}
		if !strings.HasSuffix(r.Text, "\n\n<…>") || !strings.HasSuffix(r.Turns[2].Text, "<…>") {
			t.Errorf("<…> elision lost")
		}
	})

	t.Run("51329 split bold", func(t *testing.T) {
		r := sampleDoc(t, root, news+"51329.html").Record
		eq(t, "speaker 0", r.Turns[0].Speaker, "President of the Russian Union of Industrialists and Entrepreneurs Alexander Shokhin")
		eq(t, "speaker 2", r.Turns[2].Speaker, "Alexander Shokhin")
		if !strings.HasPrefix(r.Turns[2].Text, "The congress is the concluding highlight") {
			t.Errorf("turn 2 text = %.60q", r.Turns[2].Text)
		}
		eq(t, "speaker 3", r.Turns[3].Speaker, "Vladimir Putin")
	})

	t.Run("56756 note", func(t *testing.T) {
		r := sampleDoc(t, root, news+"56756.html").Record
		if len(r.Turns) != 2 {
			t.Fatalf("turns = %d", len(r.Turns))
		}
		eq(t, "speaker", r.Turns[1].Speaker, "Prime Minister of Belgium Charles Michel")
		eq(t, "note", r.Turns[1].Note, "retranslated")
		if !strings.HasPrefix(r.Turns[1].Text, "Thank you very much, Mr President, for your warm welcome.") {
			t.Errorf("text = %.60q", r.Turns[1].Text)
		}
	})

	t.Run("52929 swallowed letter and four sections", func(t *testing.T) {
		r := sampleDoc(t, root, news+"52929.html").Record
		eq(t, "speaker", r.Turns[0].Speaker, "President of Russia Vladimir Putin")
		if !strings.HasPrefix(r.Turns[0].Text, "Good afternoon, colleagues.") {
			t.Errorf("text = %.40q", r.Turns[0].Text)
		}
		eq(t, "sections", r.Sections, []string{"News", "Transcripts", "Commissions and Councils",
			"Council for Strategic Development and National Projects"})
	})

	t.Run("17133 hidden tags 2012", func(t *testing.T) {
		r := sampleDoc(t, root, news+"17133.html").Record
		p := r.Tags["persons"]
		eq(t, "persons", len(p), 9)
		for _, n := range []string{"Lavrov Sergei", "Matviyenko Valentina", "Naryshkin Sergei", "Patrushev Nikolai", "Shoigu Sergei"} {
			if !slices.Contains(p, n) {
				t.Errorf("hidden person %q missing", n)
			}
		}
		for _, vs := range r.Tags {
			for _, v := range vs {
				if strings.Contains(v, "more") {
					t.Errorf("tag %q is the 'N more' toggle", v)
				}
			}
		}
		eq(t, "published", str(r.Published), "2012-12-14T13:20:00+04:00")
		eq(t, "sections", r.Sections, []string{"News", "Security Council"})
	})

	t.Run("60592 announcement", func(t *testing.T) {
		r := sampleDoc(t, root, news+"60592.html").Record
		if r.Date != nil || r.Time != nil || r.Published != nil || r.Place != nil {
			t.Errorf("announcement has date/time/published/place: %v %v %v %v", str(r.Date), str(r.Time), str(r.Published), str(r.Place))
		}
		eq(t, "is_announcement", r.IsAnnouncement, true)
		eq(t, "lead", r.Lead, "")
		eq(t, "sections", r.Sections, []string{"News", "Announcements"})
	})

	t.Run("17175 photo only", func(t *testing.T) {
		r := sampleDoc(t, root, news+"17175.html").Record
		eq(t, "text", r.Text, "")
		eq(t, "published", str(r.Published), "2012-12-20T23:40:00+04:00")
	})

	t.Run("63123 invalid byte", func(t *testing.T) {
		r := sampleDoc(t, root, news+"63123.html").Record
		if !strings.Contains(r.Text, "de\uFFFDlared") {
			t.Errorf("U+FFFD not in text")
		}
		if len(r.Turns) < 20 {
			t.Errorf("turns = %d", len(r.Turns))
		}
	})

	t.Run("old pages", func(t *testing.T) {
		r := sampleDoc(t, root, news+"9213.html").Record
		eq(t, "9213 published", str(r.Published), "2010-10-12T12:00:00+04:00")
		eq(t, "9213 sections", r.Sections, []string{"News", "Documents"})
		eq(t, "9213 place", r.Place == nil, true)
		r = sampleDoc(t, root, news+"28897.html").Record
		eq(t, "28897 published", str(r.Published), "2003-06-24T20:00:00+04:00")
		if strings.Contains(r.Text, "See also") || strings.Contains(r.Text, "State Visit") || strings.Contains(r.Text, "Westminster Abbey.") {
			t.Errorf("cut or media caption leaked: %q", r.Text)
		}
		r = sampleDoc(t, root, news+"17415.html").Record
		if strings.Contains(r.Text, "Additional") || strings.Contains(r.Text, "Reception marking") {
			t.Errorf("Additional cut leaked")
		}
		eq(t, "17415 place", r.Place == nil, true)
		r = sampleDoc(t, root, news+"34018.html").Record
		eq(t, "34018 date", str(r.Date), "2005-09-05")
	})

	t.Run("63007 interview", func(t *testing.T) {
		r := sampleDoc(t, root, news+"63007.html").Record
		for _, tr := range r.Turns {
			if tr.Speaker != "Andrei Vandenko" && tr.Speaker != "Vladimir Putin" {
				t.Errorf("speaker %q", tr.Speaker)
			}
		}
		eq(t, "turns", len(r.Turns), 22)
	})
}

var tooltipTitleRE = regexp.MustCompile(`tooltip_title tooltip_link" data-href="/catalog/persons/[^"]*">([^<]+)<`)

// TestSamplesNoTooltipLeak checks every sample document: the person
// hover-card names ("Lukashenko Alexander") appear in no text and no speaker, and
// every document parses without warnings.
func TestSamplesNoTooltipLeak(t *testing.T) {
	root := samples.Root(t)
	files, _ := filepath.Glob(filepath.Join(root, "events", "president", "news", "*.html"))
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		d := sampleDoc(t, root, rel)
		b, _ := os.ReadFile(f)
		for _, m := range tooltipTitleRE.FindAllSubmatch(b, -1) {
			name := clean(string(m[1]))
			if strings.Contains(d.Record.Text, name) {
				t.Errorf("%s: tooltip title %q in text", rel, name)
			}
			for _, tr := range d.Record.Turns {
				if strings.Contains(tr.Speaker, name) || strings.Contains(tr.Text, name) {
					t.Errorf("%s: tooltip title %q in turn", rel, name)
				}
			}
		}
	}
}

func TestSamplesNotDocuments(t *testing.T) {
	root := samples.Root(t)
	const news = "events/president/news/"
	for _, c := range []struct {
		rel  string
		kind Kind
	}{
		{news + "55882/videos.html", KindTab},
		{news + "63953/photos.html", KindTab},
		{news + "55882/print.html", KindPrint},
		{news + "page/2.html", KindListing},
		{news + "by-date/01.01.2018.html", KindListing},
	} {
		b, u := sample(t, root, c.rel)
		if k := Classify(b, u); k != c.kind {
			t.Errorf("%s: Classify = %v, want %v", c.rel, k, c.kind)
		}
		_, err := ParseDocument(b, u, Options{Lang: "en"})
		var nd *NotDocumentError
		if !errors.As(err, &nd) || nd.Kind != c.kind {
			t.Errorf("%s: ParseDocument error = %v, want kind %v", c.rel, err, c.kind)
		}
	}
	// The print page names its document.
	if id, ok := DocumentID("http://en.kremlin.ru/events/president/news/55882/print"); !ok || id != 55882 {
		t.Errorf("DocumentID(print) = %d, %v", id, ok)
	}
	// The Atom feed.
	b, err := os.ReadFile(filepath.Join(root, "events", "president", "news", "feed.atom.xml"))
	if err == nil {
		if k := Classify(b, "http://en.kremlin.ru/events/president/news/feed"); k != KindFeed {
			t.Errorf("feed: Classify = %v", k)
		}
	}
}

func TestSamplesListings(t *testing.T) {
	root := samples.Root(t)
	const news = "events/president/news/"
	parse := func(rel string) *Listing {
		t.Helper()
		b, u := sample(t, root, rel)
		l, err := ParseListing(b, u)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if k := Classify(b, u); k != KindListing {
			t.Errorf("%s: Classify = %v", rel, k)
		}
		if _, err := ParseDocument(b, u, Options{Lang: "en"}); !errors.Is(err, ErrNotDocument) {
			t.Errorf("%s: ParseDocument err = %v", rel, err)
		}
		return l
	}

	l := parse(news + "page/2.html")
	eq(t, "page/2 items", len(l.Items), 20)
	eq(t, "page/2 page", l.Page, 2)
	eq(t, "page/2 pages", l.Pages, 1198)
	eq(t, "page/2 next", l.Next, "3.html") // wget-rewritten; the server sends /events/president/news/page/3
	eq(t, "page/2 first", l.Items[0].ID, int64(63911))
	eq(t, "page/2 first date", l.Items[0].Date, "2020-08-19")
	eq(t, "page/2 first time", l.Items[0].Time, "09:00")
	eq(t, "page/2 first updated", l.Items[0].Updated, "2020-08-19")
	for _, it := range l.Items {
		if it.ID == 63877 {
			t.Errorf("promoted teaser 63877 counted as an item")
		}
		if it.Title == "" || it.Date == "" || it.Time == "" {
			t.Errorf("incomplete item %+v", it)
		}
	}
	eq(t, "page/2 warnings", len(l.Warnings), 0)

	l = parse(news + "page/1198.html")
	eq(t, "page/1198 items", len(l.Items), 17)
	eq(t, "page/1198 next", l.Next, "")
	eq(t, "page/1198 page", l.Page, 1198)
	eq(t, "page/1198 last date", l.Items[16].Date, "1999-12-31")

	l = parse(news + "by-date/01.01.2018.html")
	eq(t, "by-date 01.01.2018 page", l.Page, 168)
	eq(t, "by-date 01.01.2018 items", len(l.Items), 20)
	l = parse(news + "by-date/19.10.2017.html")
	eq(t, "by-date 19.10.2017 page", l.Page, 182)
	eq(t, "by-date 19.10.2017 items", len(l.Items), 20)
}
