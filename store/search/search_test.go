package search_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
	. "github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

const (
	putin      = record.HeadOfStateKey
	lukashenko = "persons/90"
)

func keys(ks ...string) []*string {
	var out []*string
	for _, k := range ks {
		out = append(out, record.Str(k))
	}
	return out
}

// fixture is a small archive written for these tests.
var fixture = []Doc{
	{Lang: "en", ID: 100, Title: "Talks with Alexander Lukashenko", Date: "2014-03-05", Place: "Sochi",
		Sections: []string{"News", "Transcripts"}, ListedIn: []string{"news", "transcripts"},
		Tags:    map[string][]string{"persons": {"Lukashenko Alexander"}, "geography": {"Belarus"}, "topics": {"Foreign policy"}},
		TagKeys: map[string][]*string{"persons": keys(lukashenko), "geography": keys("countries/BY"), "topics": keys("keywords/45")},
		Turns: []record.Turn{
			Turn("President of Russia Vladimir Putin", putin, "We discussed the sanctions imposed on our countries."),
			Turn("President of Belarus Alexander Lukashenko", lukashenko, "Economic cooperation with Russia is growing.\n\nThe sanctions hurt everybody."),
			Turn("Vladimir Putin", putin, "Thank you."),
		}},
	{Lang: "en", ID: 101, Title: "Meeting on the economy", Date: "2015-06-01", Place: "Moscow",
		Sections: []string{"News"}, Turns: []record.Turn{Turn("Vladimir Putin", putin, "Economic cooperation is our priority.")}},
	{Lang: "ru", ID: 100, Title: "Переговоры с Александром Лукашенко", Date: "2014-03-05", Place: "Сочи",
		Sections: []string{"Новости", "Стенограммы"}, ListedIn: []string{"news", "transcripts"},
		Tags:    map[string][]string{"persons": {"Лукашенко Александр"}},
		TagKeys: map[string][]*string{"persons": keys(lukashenko)},
		Turns: []record.Turn{
			Turn("В.Путин", putin, "Мы обсудили санкции против наших стран."),
			Turn("А.Лукашенко", lukashenko, "Экономическое сотрудничество растёт. Санкциями никого не испугать."),
		}},
	{Lang: "en", ID: 102, Title: "Sanction regime review", Date: "2016-01-01", Sections: []string{"News"},
		Text: "A sanction was lifted.\n\nThe State Council met in the Kremlin."},
	{Lang: "en", ID: 103, Title: `<script>alert("x")</script> 'quoted' ` + "\u202eevil", Date: "2017-02-02",
		Sections: []string{"News"}, Place: `"Kremlin" <b>`, Text: "Text with <b>alert</b> & <i>markup</i> \u202e reversed."},
	{Lang: "en", ID: 104, Title: "Announcement of a visit", Sections: []string{"News", "Announcements"},
		Text: "The President will visit the region."},
}

func writeFixture(t testing.TB, docs []Doc) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kremlin.db")
	if err := WriteArchive(path, docs...); err != nil {
		t.Fatal(err)
	}
	return path
}

func opener(path string) search.Opener {
	return func() (*store.DB, error) { return store.Open(path, &store.Options{ReadOnly: true}) }
}

func build(t testing.TB, docs []Doc) (*search.Index, string) {
	t.Helper()
	return buildWith(t, docs, search.Options{})
}

func buildWith(t testing.TB, docs []Doc, o search.Options) (*search.Index, string) {
	t.Helper()
	path := writeFixture(t, docs)
	return indexArchive(t, path, search.DefaultDir(path), o, len(docs)), path
}

// indexArchive builds an index in dir of the archive at path, which
// holds want documents; the index is closed when the test ends.
func indexArchive(t testing.TB, path, dir string, o search.Options, want int) *search.Index {
	t.Helper()
	ix, err := search.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	n, err := ix.Update(context.Background(), opener(path))
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("indexed %d documents, want %d", n, want)
	}
	return ix
}

func keysOf(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		k := search.DocKey(h.Lang, h.ID)
		if res.Turns {
			k += "/" + string(rune('0'+h.Turn))
		}
		out = append(out, k)
	}
	return out
}

func TestSearch(t *testing.T) {
	// the words of the phrases below common: their pairs are indexed
	ix, _ := buildWith(t, fixture, search.Options{CommonTerms: map[string][]string{
		"en": {"econom", "cooper", "grow", "sanction", "hurt"}}})
	for _, tc := range []struct {
		name string
		q    search.Query
		want []string // hit keys, in order when ordered is set
		sort bool     // compare as sets
	}{
		{"russian morphology: санкциями finds санкции", search.Query{Q: "санкциями"}, []string{"ru/100"}, false},
		{"russian morphology: санкции finds Санкциями", search.Query{Q: "санкции", Lang: "ru"}, []string{"ru/100"}, false},
		{"ё and е are one letter", search.Query{Q: "растет"}, []string{"ru/100"}, false},
		{"english stemming: sanctions finds sanction", search.Query{Q: "sanctions", Sort: "date"}, []string{"en/102", "en/100"}, false},
		{"phrase", search.Query{Q: `"economic cooperation"`}, []string{"en/100", "en/101"}, true},
		{"phrase in the wrong order", search.Query{Q: `"cooperation economic"`}, nil, false},
		{"phrase across paragraphs never matches", search.Query{Q: `"growing the sanctions"`}, nil, false},
		{"exclusion", search.Query{Q: "cooperation -sanctions"}, []string{"en/101"}, false},
		{"excluded phrase", search.Query{Q: `cooperation -"sanctions hurt"`}, []string{"en/101"}, false},
		{"only an exclusion", search.Query{Q: "-sanctions", Lang: "en", Sort: "oldest"}, []string{"en/101", "en/103", "en/104"}, false},
		{"title words count", search.Query{Q: "regime"}, []string{"en/102"}, false},
		{"speaker: what Lukashenko said", search.Query{Q: "sanctions", Speaker: lukashenko}, []string{"en/100/1"}, false},
		{"speaker and phrase (common words: the documents hold their pair, turns do not)", search.Query{Q: `"economic cooperation"`, Speaker: lukashenko}, []string{"en/100/1"}, false},
		{"speaker: Putin's words on the same page are not Lukashenko's", search.Query{Q: "discussed", Speaker: lukashenko}, nil, false},
		{"speaker in both languages", search.Query{Q: "санкции", Speaker: putin}, []string{"ru/100/0"}, false},
		{"speaker by label as printed", search.Query{Q: "thank", Speaker: "vladimir putin"}, []string{"en/100/2"}, false},
		{"speaker without words: every turn, newest first", search.Query{Speaker: putin, Lang: "en"}, []string{"en/101/0", "en/100/0", "en/100/2"}, true},
		{"dates", search.Query{Q: "cooperation", From: "2015-01-01", To: "2015-12-31"}, []string{"en/101"}, false},
		{"year shorthand", search.Query{Q: "cooperation", From: "2014", To: "2014"}, []string{"en/100"}, false},
		{"place", search.Query{Q: "cooperation", Place: "sochi"}, []string{"en/100"}, false},
		{"tag key in both languages", search.Query{Tags: []string{lukashenko}}, []string{"en/100", "ru/100"}, true},
		{"tag and words", search.Query{Q: "sanctions", Tags: []string{"countries/BY"}}, []string{"en/100"}, false},
		{"listing section", search.Query{Q: "sanctions", Section: "transcripts"}, []string{"en/100"}, false},
		{"publication section", search.Query{Section: "announcements"}, []string{"en/104"}, false},
		{"language", search.Query{Q: "Lukashenko", Lang: "en"}, []string{"en/100"}, false},
		{"paging", search.Query{Q: "-nothing", Lang: "en", Sort: "date", Limit: 2, Offset: 1}, []string{"en/102", "en/101"}, false},
		{"announcements have no date and sort last", search.Query{Q: "-nothing", Lang: "en", Sort: "date"}, []string{"en/103", "en/102", "en/101", "en/100", "en/104"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := keysOf(res)
			want := tc.want
			if tc.sort {
				got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("hits %v, want %v", got, want)
			}
			if tc.q.Offset == 0 && res.Total != uint64(len(tc.want)) {
				t.Errorf("total %d, want %d", res.Total, len(tc.want))
			}
		})
	}
}

func TestSearchPassage(t *testing.T) {
	ix, _ := build(t, fixture)
	res, err := ix.Search(context.Background(), search.Query{Q: `"sanctions hurt"`, Facets: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 {
		t.Fatalf("hits %v", keysOf(res))
	}
	h := res.Hits[0]
	if h.Speaker != "President of Belarus Alexander Lukashenko" || h.SpeakerKey != lukashenko || h.Turn != 1 {
		t.Errorf("passage speaker %q %q turn %d", h.Speaker, h.SpeakerKey, h.Turn)
	}
	if want := "The <mark>sanctions</mark> <mark>hurt</mark> everybody."; h.Snippet != want {
		t.Errorf("snippet %q, want %q", h.Snippet, want)
	}
	if h.Title != "Talks with Alexander Lukashenko" || h.Date != "2014-03-05" || h.URL != "http://en.kremlin.ru/events/president/news/100" {
		t.Errorf("hit %+v", h)
	}
	// Facets
	want := map[string][]search.FacetValue{
		"lang":      {{Value: "en", Label: "en", Count: 1}},
		"persons":   {{Value: lukashenko, Label: "Lukashenko Alexander", Count: 1}},
		"geography": {{Value: "countries/BY", Label: "Belarus", Count: 1}},
		"year":      {{Value: "2014", Label: "2014", Count: 1}},
		"place":     {{Value: "sochi", Label: "Sochi", Count: 1}},
		"speaker": {{Value: putin, Label: "President of Russia Vladimir Putin", Count: 1},
			{Value: lukashenko, Label: "President of Belarus Alexander Lukashenko", Count: 1}},
	}
	for name, w := range want {
		got := res.Facets[name]
		slices.SortFunc(got, func(a, b search.FacetValue) int { return strings.Compare(b.Value, a.Value) })
		slices.SortFunc(w, func(a, b search.FacetValue) int { return strings.Compare(b.Value, a.Value) })
		if !slices.Equal(got, w) {
			t.Errorf("facet %s: %+v, want %+v", name, got, w)
		}
	}
	// Facets merge both languages under one key.
	res, err = ix.Search(context.Background(), search.Query{Tags: []string{lukashenko}, Facets: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Facets["persons"]; len(got) != 1 || got[0].Count != 2 || got[0].Value != lukashenko {
		t.Errorf("persons facet over both languages: %+v", got)
	}
	if got := res.Facets["speaker"]; len(got) != 2 || got[0].Count != 2 {
		t.Errorf("speaker facet over both languages: %+v", got)
	}
}

// Turn entries do not store their document's title, date and URL; a
// turn hit shows them all the same.
func TestTurnHitShowsItsDocument(t *testing.T) {
	ix, _ := build(t, fixture)
	for _, q := range []search.Query{
		{Q: "sanctions", Speaker: lukashenko},
		{Speaker: putin, Lang: "en", Sort: search.SortOldest},
	} {
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Turns || len(res.Hits) == 0 {
			t.Fatalf("%+v: turns %v hits %v", q, res.Turns, keysOf(res))
		}
		h := res.Hits[0]
		if h.ID != 100 || h.Title != "Talks with Alexander Lukashenko" || h.Date != "2014-03-05" ||
			h.URL != "http://en.kremlin.ru/events/president/news/100" || h.Turn < 0 || h.Speaker == "" {
			t.Errorf("%+v: hit %+v", q, h)
		}
	}
}

func TestSearchEscapes(t *testing.T) {
	ix, _ := build(t, fixture)
	res, err := ix.Search(context.Background(), search.Query{Q: "alert"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 {
		t.Fatalf("hits %v", keysOf(res))
	}
	want := "Text with &lt;b&gt;<mark>alert</mark>&lt;/b&gt; &amp; &lt;i&gt;markup&lt;/i&gt; \u202e reversed."
	if s := res.Hits[0].Snippet; s != want {
		t.Errorf("snippet %q, want %q", s, want)
	}
}

func TestSearchStopWords(t *testing.T) {
	ix, _ := build(t, fixture)
	res, err := ix.Search(context.Background(), search.Query{Q: "the of", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.StopWordsOnly || res.Total != 0 {
		t.Errorf("stop words only: %+v", res)
	}
}

func TestQueryErrors(t *testing.T) {
	for _, q := range []search.Query{
		{Lang: "de"}, {From: "2014-13-01"}, {From: "2015-01-01", To: "2014-01-01"}, {Sort: "random"}, {Offset: 20000},
	} {
		if err := q.Normalize(); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

func TestSpeakers(t *testing.T) {
	ix, _ := build(t, fixture)
	sp, err := ix.Speakers("")
	if err != nil {
		t.Fatal(err)
	}
	if len(sp) != 2 {
		t.Fatalf("speakers %+v", sp)
	}
	if sp[0].Key != putin || sp[0].Turns != 4 || sp[0].Name != "Vladimir Putin" || len(sp[0].Labels) != 3 {
		t.Errorf("first speaker %+v", sp[0])
	}
	if sp[1].Key != lukashenko || sp[1].Turns != 2 {
		t.Errorf("second speaker %+v", sp[1])
	}
	ru, err := ix.Speakers("ru")
	if err != nil {
		t.Fatal(err)
	}
	if len(ru) != 2 || ru[0].Name != "А.Лукашенко" || ru[0].Turns != 1 || ru[1].Name != "В.Путин" || ru[1].Turns != 1 {
		t.Errorf("russian speakers %+v", ru)
	}
	if got := ix.SpeakerName(lukashenko, "ru"); got != "А.Лукашенко" {
		t.Errorf("SpeakerName = %q", got)
	}
}

func TestUnresolvedSpeakersGroupByLabel(t *testing.T) {
	ix, _ := build(t, []Doc{{Lang: "en", ID: 1, Title: "A", Date: "2020-01-01",
		Turns: []record.Turn{Turn("Question", "", "What about the harvest?"), Turn("Remark", "", "Harvest is fine.")}}})
	res, err := ix.Search(context.Background(), search.Query{Q: "harvest", Speaker: "label:question"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(res); !slices.Equal(got, []string{"en/1/0"}) {
		t.Errorf("hits %v", got)
	}
}

func TestUpdate(t *testing.T) {
	ix, path := build(t, fixture)
	seq := ix.State().Seq
	if !ix.State().Complete || seq != uint64(len(fixture)) || ix.State().Docs["en"] != 5 || ix.State().Docs["ru"] != 1 {
		t.Fatalf("state %+v", ix.State())
	}
	// Nothing changed: nothing to do.
	if n, err := ix.Update(context.Background(), opener(path)); err != nil || n != 0 {
		t.Fatalf("second update: %d, %v", n, err)
	}
	// A crawl archives a new document and a new version of an old one
	// with one turn fewer.
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	Put(db, Doc{Lang: "en", ID: 200, Title: "Visit to Tula", Date: "2020-05-05", Text: "The harvest in Tula was discussed."})
	changed := fixture[0]
	changed.Turns = changed.Turns[:1]
	if out, err := Put(db, changed); err != nil || out != store.OutcomeUpdated {
		t.Fatalf("put: %v %v", out, err)
	}
	db.Close()
	if n, err := ix.Update(context.Background(), opener(path)); err != nil || n != 2 {
		t.Fatalf("update: %d, %v", n, err)
	}
	for _, tc := range []struct {
		q    search.Query
		want []string
	}{
		{search.Query{Q: "Tula"}, []string{"en/200"}},
		{search.Query{Q: "sanctions", Speaker: lukashenko}, nil}, // the turn is gone from the new version
		{search.Query{Q: "sanctions", Lang: "en"}, []string{"en/100", "en/102"}},
		{search.Query{Q: "everybody"}, nil},
	} {
		q, want := tc.q, tc.want
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		got := keysOf(res)
		if q.Sort == "" && len(got) > 1 {
			slices.Sort(got)
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: hits %v, want %v", q, got, want)
		}
	}
	r, err := ix.Record("en", 100)
	if err != nil || r == nil || r.Version != 2 || len(r.Turns) != 1 {
		t.Fatalf("indexed record: %+v, %v", r, err)
	}
	// The state survives a restart.
	st := ix.State()
	ix.Close()
	ix2, err := search.Open(search.DefaultDir(path), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	if got := ix2.State(); got.Seq != st.Seq || !got.Complete || got.Docs["en"] != 6 {
		t.Errorf("after reopening: %+v, want seq %d", got, st.Seq)
	}
	if n, err := ix2.Update(context.Background(), opener(path)); err != nil || n != 0 {
		t.Errorf("update after reopening: %d, %v", n, err)
	}
}

func TestUpdateWhileLocked(t *testing.T) {
	ix, _ := build(t, fixture)
	locked := func() (*store.DB, error) { return nil, store.ErrLocked }
	if _, err := ix.Update(context.Background(), locked); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("update with the archive locked: %v", err)
	}
	res, err := ix.Search(context.Background(), search.Query{Q: "sanctions"})
	if err != nil || res.Total != 2 {
		t.Fatalf("search while the archive is locked: %v, %v", res, err)
	}
}

func TestOpenBusyAndStale(t *testing.T) {
	ix, path := build(t, fixture)
	dir := search.DefaultDir(path)
	if _, err := search.Open(dir, search.Options{}); !errors.Is(err, search.ErrBusy) {
		t.Fatalf("second open: %v, want ErrBusy", err)
	}
	ix.Close()
	// An index of another mapping version is emptied and rebuilt.
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"mapping_version": 1, "seq": 99, "complete": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ix2, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	if st := ix2.State(); st.Seq != 0 || st.Complete || st.Docs["en"] != 0 {
		t.Fatalf("stale index not emptied: %+v", st)
	}
	if n, err := ix2.Update(context.Background(), opener(path)); err != nil || n != len(fixture) {
		t.Fatalf("rebuild: %d, %v", n, err)
	}
}

// An index built from an empty archive has no part yet: opened again it
// is complete, not broken (no rebuild, no "missing" message), and the
// archive's first documents are indexed as usual.
func TestOpenEmptyArchiveIndex(t *testing.T) {
	path := writeFixture(t, nil)
	dir := search.DefaultDir(path)
	var logs bytes.Buffer
	o := search.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	ix, err := search.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ix.Update(context.Background(), opener(path)); err != nil || n != 0 {
		t.Fatalf("update of an empty archive: %d, %v", n, err)
	}
	built := ix.State().BuiltAt
	ix.Close()
	ix, err = search.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if st := ix.State(); !st.Complete || !st.BuiltAt.Equal(built) {
		t.Errorf("reopened: %+v, want complete, built at %v", st, built)
	}
	if strings.Contains(logs.String(), "rebuilding") {
		t.Errorf("reopening an empty archive's index rebuilds it:\n%s", logs.String())
	}
	if err := WriteArchive(path, fixture[0]); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.Update(context.Background(), opener(path)); err != nil || n != 1 {
		t.Fatalf("update after the first document: %d, %v", n, err)
	}
	if res, err := ix.Search(context.Background(), search.Query{Q: "sanctions"}); err != nil || res.Total != 1 {
		t.Fatalf("search: %+v, %v", res, err)
	}
}

// TestPhrases checks phrases against texts whose words stand at other
// distances or in other orders, with the common terms found in the
// archive, with every term common (a phrase of two terms is answered from
// the bigram field alone, a longer one from its pairs and the positions)
// and with none (positions only).
func TestPhrases(t *testing.T) {
	docs := []Doc{
		{Lang: "en", ID: 1, Title: "One", Date: "2020-01-01", Sections: []string{"News"},
			Text: "The development of the economy is the goal."},
		{Lang: "en", ID: 2, Title: "Two", Date: "2020-01-02", Sections: []string{"News"},
			Text: "Development of big economy."},
		{Lang: "en", ID: 3, Title: "Three", Date: "2020-01-03", Sections: []string{"News"},
			Text: "Development of our economy and of a strong Russian state."},
		{Lang: "en", ID: 4, Title: "Four", Date: "2020-01-04", Sections: []string{"News"},
			Text: "Russian economic reforms and economic development."},
		{Lang: "en", ID: 5, Title: "Five", Date: "2020-01-05", Sections: []string{"News"},
			Text: "Russian economic development is steady.\n\nEconomy development."},
		{Lang: "ru", ID: 6, Title: "Шесть", Date: "2020-01-06", Sections: []string{"Новости"},
			Text: "Развитие экономики России.\n\nЭкономики развитие."},
		{Lang: "en", ID: 7, Title: "Seven", Date: "2020-01-07", Sections: []string{"News"},
			Text: "Growth, growth, good growth."},
	}
	every := map[string][]string{
		"en": {"econom", "economi", "develop", "russian", "state", "strong", "goal", "reform", "steadi", "big", "growth", "good"},
		"ru": {"развит", "экономик", "росс"},
	}
	for _, common := range []struct {
		name  string
		terms map[string][]string
	}{{"found (too few documents: none)", nil}, {"every", every}, {"none", map[string][]string{}}} {
		t.Run(common.name, func(t *testing.T) { testPhrases(t, docs, common.terms) })
	}
}

func testPhrases(t *testing.T, docs []Doc, common map[string][]string) {
	ix, _ := buildWith(t, docs, search.Options{CommonTerms: common})
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`"economic development"`, []string{"en/4", "en/5"}},
		{`"development economic"`, nil},
		{`"economy development"`, []string{"en/5"}},
		// stop words keep their places: "of the" is two words, "of our" too
		// (between two common terms they must be stop words; elsewhere,
		// the index keeping no stop words, any word stands for them: see
		// the test below)
		{`"the development of the economy"`, []string{"en/1", "en/3"}},
		{`"development of economy"`, nil},
		{`"development economy"`, nil},
		{`"strong Russian state"`, []string{"en/3"}},
		{`"Russian state strong"`, nil},
		// both pairs are in en/4, but not one after the other
		{`"Russian economic development"`, []string{"en/5"}},
		{`"steady economy"`, nil},                  // across a paragraph break
		{`"growth growth good"`, []string{"en/7"}}, // a term twice
		{`"good growth growth"`, nil},
		{`"growth good growth"`, []string{"en/7"}},
		{`"growth growth growth"`, nil},
		{`"развитие экономики"`, []string{"ru/6"}},
		{`"развитию экономик России"`, []string{"ru/6"}},
		{`"экономики России развитие"`, nil},
		{`economy -"economic development"`, []string{"en/1", "en/2", "en/3"}},
	} {
		if len(common["en"]) == 0 && tc.q == `"the development of the economy"` {
			tc.want = []string{"en/1", "en/2", "en/3"} // "of big" for "of the"
		}
		t.Run(tc.q, func(t *testing.T) {
			res, err := ix.Search(context.Background(), search.Query{Q: tc.q, Sort: "oldest"})
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(res); !slices.Equal(got, tc.want) {
				t.Errorf("hits %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBigrams(t *testing.T) {
	for _, tc := range []struct {
		lang, text string
		common     []string
		want       []string
	}{
		{"en", "Russian economic development", []string{"russian", "econom", "develop"}, []string{"russian econom", "econom develop"}},
		{"en", "Russian economic development", []string{"russian", "econom"}, []string{"russian econom"}},
		{"en", "Russian economic development", []string{"russian", "develop"}, nil},
		{"en", "the development of the economy", []string{"develop", "economi"}, []string{"develop _ _ economi"}},
		{"en", "growth.\n\nSanctions", []string{"growth", "sanction"}, nil},
		{"en", "word", []string{"word"}, nil},
		{"ru", "Развитие экономики", []string{"развит", "экономик"}, []string{"развит экономик"}},
	} {
		got := search.Bigrams(tc.lang, tc.text, tc.common)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: bigrams %q, want %q", tc.lang, tc.text, got, tc.want)
		}
	}
}
