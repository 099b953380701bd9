package fakesite

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(LangEN, 200, 7)
	b := Generate(LangEN, 200, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different corpora")
	}
	c := Generate(LangEN, 200, 8)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same corpus")
	}
	// same structure in both languages
	ru := Generate(LangRU, 200, 7)
	for i := range a {
		if a[i].ID != ru[i].ID || !a[i].Time.Equal(ru[i].Time) || len(a[i].Paragraphs) != len(ru[i].Paragraphs) ||
			!reflect.DeepEqual(a[i].Sections, ru[i].Sections) || a[i].Announcement != ru[i].Announcement {
			t.Fatalf("doc %d differs in structure between en and ru", a[i].ID)
		}
	}
	// rendering is deterministic too
	s1, s2 := New(Options{N: 50, Seed: 3}), New(Options{N: 50, Seed: 3})
	p := docPath("news", s1.IDs("news")[0])
	b1, _ := s1.Page(p)
	b2, _ := s2.Page(p)
	if string(b1) != string(b2) {
		t.Fatal("same document rendered differently")
	}
}

func TestGenerateCorpusShape(t *testing.T) {
	docs := Generate(LangEN, 600, 1)
	if len(docs) != 600 {
		t.Fatalf("got %d docs", len(docs))
	}
	ids := map[int64]bool{}
	var (
		transcriptsOnly, both, announcements, photoOnly, invalid, hidden, noUpdated int
		styles                                                                      = map[LabelStyle]int{}
		notes, tooltipsInLabel, rules, elisions, quotes, headings                   int
		minYear, maxYear                                                            = 3000, 0
	)
	for i, d := range docs {
		if ids[d.ID] {
			t.Fatalf("duplicate id %d", d.ID)
		}
		ids[d.ID] = true
		if i > 0 && sortKeyLess(&d, &docs[i-1]) {
			t.Fatalf("not newest first at %d", i)
		}
		y := d.Time.Year()
		minYear, maxYear = min(minYear, y), max(maxYear, y)
		switch {
		case len(d.Sections) == 1 && d.Sections[0] == "transcripts":
			transcriptsOnly++
		case len(d.Sections) == 2:
			both++
		}
		if d.Announcement {
			announcements++
			if d.Place != "" {
				t.Errorf("announcement %d has a place", d.ID)
			}
		}
		if d.PhotoOnly {
			photoOnly++
			if len(d.Paragraphs) != 0 || d.Photos == 0 {
				t.Errorf("photo-only %d has paragraphs or no photos", d.ID)
			}
		}
		if d.InvalidUTF8 {
			invalid++
		}
		if d.Updated.IsZero() {
			noUpdated++
		}
		n := map[string]int{}
		for _, tg := range d.Tags {
			n[tg.Kind]++
		}
		for _, c := range n {
			if c > 5 {
				hidden++
			}
		}
		seenTurn := false
		for _, p := range d.Paragraphs {
			switch p.Kind {
			case ParaTurn:
				seenTurn = true
				styles[p.Label]++
				if p.Note != "" {
					notes++
				}
				for _, l := range p.Links {
					if strings.Contains(p.Speaker, l.Name) {
						tooltipsInLabel++
					}
				}
			case ParaRule, ParaHeading:
				if seenTurn {
					t.Errorf("doc %d: %s after the first turn", d.ID, p.Kind)
				}
				if p.Kind == ParaRule {
					rules++
				} else {
					headings++
					if strings.Contains(p.Text, ":") {
						t.Errorf("doc %d: heading with a colon: %q", d.ID, p.Text)
					}
				}
			case ParaElision:
				elisions++
			case ParaQuote:
				quotes++
			}
		}
	}
	if minYear > 2000 || maxYear < 2026 {
		t.Errorf("years %d..%d, want 2000..2026", minYear, maxYear)
	}
	if transcriptsOnly == 0 || both == 0 || announcements == 0 || photoOnly == 0 || hidden == 0 || noUpdated == 0 {
		t.Errorf("missing kinds: transcriptsOnly=%d both=%d announcements=%d photoOnly=%d hiddenTags=%d noUpdated=%d",
			transcriptsOnly, both, announcements, photoOnly, hidden, noUpdated)
	}
	if invalid != 1 {
		t.Errorf("%d InvalidUTF8 docs, want 1", invalid)
	}
	for _, st := range []LabelStyle{LabelColonInside, LabelColonAfter, LabelSplitBold, LabelSwallow, LabelBoldInLink} {
		if styles[st] == 0 {
			t.Errorf("no speaker label of style %s", st)
		}
	}
	if notes == 0 || tooltipsInLabel == 0 || rules == 0 || elisions == 0 || quotes == 0 || headings == 0 {
		t.Errorf("notes=%d tooltipsInLabel=%d rules=%d elisions=%d quotes=%d headings=%d", notes, tooltipsInLabel, rules, elisions, quotes, headings)
	}
}

func TestGenerateIDOrder(t *testing.T) {
	docs := Generate(LangEN, 800, 2)
	var old []Doc
	var recent []Doc
	for _, d := range docs {
		if d.Time.Before(idOrderFrom) {
			old = append(old, d)
		} else {
			recent = append(recent, d)
		}
	}
	// old material: IDs not in date order
	inversions := 0
	for i := 1; i < len(old); i++ {
		if old[i].ID > old[i-1].ID {
			inversions++
		}
	}
	if inversions < len(old)/4 {
		t.Errorf("pre-2014 IDs look date-ordered (%d inversions of %d)", inversions, len(old))
	}
	// recent: IDs rise with date across days (same-day swaps allowed)
	for i := 1; i < len(recent); i++ {
		a, b := recent[i-1], recent[i] // a newer than b
		if !sameDay(a.Time, b.Time) && a.ID < b.ID {
			t.Errorf("post-2014 id %d (%s) below older %d (%s)", a.ID, a.Time, b.ID, b.Time)
		}
	}
	// every old ID is below every recent ID
	maxOld := int64(0)
	for _, d := range old {
		maxOld = max(maxOld, d.ID)
	}
	for _, d := range recent {
		if d.ID <= maxOld {
			t.Fatalf("recent id %d not above old ids (max %d)", d.ID, maxOld)
		}
	}
}

func TestExpectedOffsets(t *testing.T) {
	docs := Generate(LangEN, 100, 1)
	want := map[string]string{
		"2014-10-27 15:00": "+03:00",
		"2014-10-25 15:00": "+04:00",
		"2011-03-28 12:30": "+04:00",
		"2011-03-26 12:30": "+03:00",
		"2010-07-15 12:00": "+04:00",
		"2010-01-15 12:00": "+03:00",
	}
	found := 0
	for _, d := range docs {
		k := d.Time.Format("2006-01-02 15:04")
		off, ok := want[k]
		if !ok || d.Announcement {
			continue
		}
		found++
		e := Expected(d)
		if e.Published == nil || !strings.HasSuffix(*e.Published, off) {
			t.Errorf("%s: published %v, want offset %s", k, e.Published, off)
		}
	}
	if found < 4 {
		t.Errorf("only %d pinned offset dates found", found)
	}
}

// TestExpectedHandWritten pins Expected on a document whose truth is
// written out by hand.
func TestExpectedHandWritten(t *testing.T) {
	d := Doc{
		ID: 59484, Lang: LangEN,
		Title: "Meeting with President of Belarus Alexander Lukashenko",
		Time:  time.Date(2018, 12, 25, 15, 30, 0, 0, Moscow),
		Place: "The Kremlin, Moscow",
		Lead:  "Vladimir Putin had a meeting with President of the Republic of Belarus Alexander Lukashenko.",
		Paragraphs: []Para{
			{Kind: ParaText, Text: "The talks took place in the Kremlin."},
			{Kind: ParaRule},
			{Kind: ParaTurn, Speaker: "President of Russia Vladimir Putin", Text: "Mr Lukashenko, friends,", Label: LabelSwallow, Who: record.HeadOfStateKey},
			{Kind: ParaText, Text: "We are delighted to welcome you to Moscow."},
			{Kind: ParaTurn, Speaker: "President of the Republic of Belarus Alexander Lukashenko", Text: "Thank you, Mr Putin.",
				Label: LabelColonInside, Links: []Person{{ID: 119, Name: "Alexander Lukashenko", Catalog: "Lukashenko Alexander", Position: "President of Belarus"}}, Who: "persons/119"},
			{Kind: ParaElision},
			{Kind: ParaTurn, Speaker: "Prime Minister of Belgium Charles Michel", Note: "retranslated", Text: "Thank you very much.", Who: "persons/608"},
			{Kind: ParaQuote, Text: "All disputes must be resolved in a civilised manner."},
		},
		Sections:    []string{"news", "transcripts"},
		PubSections: []string{"News", "Transcripts"},
		Tags:        []Tag{{TagGeography, "Belarus", "/catalog/countries/BY/events"}, {TagPersons, "Lukashenko Alexander", "/catalog/persons/119/events"}},
		Updated:     time.Date(2018, 12, 25, 19, 27, 0, 0, Moscow),
	}
	e := Expected(d)
	// Charles Michel has no link or tag on this page: his key is the
	// archive's to find, not the page's.
	if k := SpeakerKeys(d)[2]; k == nil || *k != "persons/608" {
		t.Errorf("SpeakerKeys: Michel = %v", k)
	}
	want := record.Record{
		ID: 59484, Lang: "en", URL: "http://en.kremlin.ru/events/president/news/59484",
		Title:     "Meeting with President of Belarus Alexander Lukashenko",
		Date:      record.Str("2018-12-25"),
		Time:      record.Str("15:30"),
		Published: record.Str("2018-12-25T15:30:00+03:00"),
		Updated:   record.Str("2018-12-25T19:27:00+03:00"),
		Place:     record.Str("The Kremlin, Moscow"),
		Lead:      "Vladimir Putin had a meeting with President of the Republic of Belarus Alexander Lukashenko.",
		Sections:  []string{"News", "Transcripts"},
		Tags:      map[string][]string{"geography": {"Belarus"}, "persons": {"Lukashenko Alexander"}},
		TagKeys:   map[string][]*string{"geography": {record.Str("countries/BY")}, "persons": {record.Str("persons/119")}},
		Text: "The talks took place in the Kremlin.\n\n* * *\n\nPresident of Russia Vladimir Putin: Mr Lukashenko, friends,\n\n" +
			"We are delighted to welcome you to Moscow.\n\nPresident of the Republic of Belarus Alexander Lukashenko: Thank you, Mr Putin.\n\n<…>\n\n" +
			"Prime Minister of Belgium Charles Michel (retranslated): Thank you very much.\n\nAll disputes must be resolved in a civilised manner.",
		Turns: []record.Turn{
			{Speaker: "President of Russia Vladimir Putin", SpeakerKey: record.Str(record.HeadOfStateKey), Text: "Mr Lukashenko, friends,\n\nWe are delighted to welcome you to Moscow."},
			{Speaker: "President of the Republic of Belarus Alexander Lukashenko", SpeakerKey: record.Str("persons/119"), Text: "Thank you, Mr Putin.\n\n<…>"},
			{Speaker: "Prime Minister of Belgium Charles Michel", Note: "retranslated", Text: "Thank you very much.\n\nAll disputes must be resolved in a civilised manner."},
		},
		SchemaVersion: record.SchemaVersion,
	}
	want.Normalize()
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("Expected:\n got %+v\nwant %+v", e, want)
	}
	// and the page says the same
	s := New(Options{Docs: []Doc{d}})
	body, _ := s.Page("/events/president/transcripts/59484")
	got, err := parseDoc(body, LangEN, RealBaseEN)
	if err != nil {
		t.Fatal(err)
	}
	if !record.SameContent(&got, &want) {
		t.Fatalf("parsed page:\n got %+v\nwant %+v", got, want)
	}
}

func TestGeneratePair(t *testing.T) {
	en, ru := GeneratePair(60, 90, 40, 5)
	if len(en) != 60 || len(ru) != 90 {
		t.Fatalf("got %d en, %d ru", len(en), len(ru))
	}
	enIDs := map[int64]Doc{}
	for _, d := range en {
		if d.Lang != LangEN {
			t.Fatalf("en doc %d has lang %s", d.ID, d.Lang)
		}
		enIDs[d.ID] = d
	}
	shared := 0
	for _, d := range ru {
		if e, ok := enIDs[d.ID]; ok {
			shared++
			if !e.Time.Equal(d.Time) || !reflect.DeepEqual(e.Sections, d.Sections) {
				t.Errorf("shared id %d differs in time or sections", d.ID)
			}
			if e.Title == d.Title {
				t.Errorf("shared id %d has the same title in both languages", d.ID)
			}
		}
	}
	if shared != 40 {
		t.Fatalf("%d shared ids, want 40", shared)
	}
	en2, ru2 := GeneratePair(60, 90, 40, 5)
	if !reflect.DeepEqual(en, en2) || !reflect.DeepEqual(ru, ru2) {
		t.Fatal("GeneratePair not deterministic")
	}
}

func TestGenerateAfter(t *testing.T) {
	s := New(Options{N: 30, Seed: 4})
	newest := s.Docs()[0]
	nd := s.NewDocs(5)
	if len(nd) != 5 {
		t.Fatalf("got %d", len(nd))
	}
	for _, d := range nd {
		if !d.Time.After(newest.Time) {
			t.Errorf("new doc %d at %s not after %s", d.ID, d.Time, newest.Time)
		}
		if _, exists := s.Doc(d.ID); exists {
			t.Errorf("new doc id %d already used", d.ID)
		}
	}
}
