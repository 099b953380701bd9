package record_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// full is a record with every field set.
func full() *record.Record {
	return &record.Record{
		ID: 55882, Lang: record.LangEN, URL: "http://en.kremlin.ru/events/president/news/55882",
		Title:     "Meeting of the Valdai International Discussion Club",
		Date:      record.Str("2017-10-19"),
		Time:      record.Str("19:00"),
		Published: record.Str("2017-10-19T19:00:00+03:00"),
		Updated:   record.Str("2017-10-23T15:40:00+03:00"),
		Place:     record.Str("Sochi"),
		Lead:      "Vladimir Putin took part in the final session.",
		Sections:  []string{"News", "Transcripts"},
		Tags:      map[string][]string{"geography": {"Krasnodar Territory"}, "persons": {"Putin Vladimir"}},
		Text:      "Fyodor Lukyanov: Good evening.\n\nVladimir Putin: Thank you.",
		Turns: []record.Turn{
			{Speaker: "Fyodor Lukyanov", Text: "Good evening."},
			{Speaker: "Charles Michel", Text: "Merci.", Note: "retranslated"},
		},
		IsAnnouncement: false,
		FetchedAt:      "2026-11-28T10:00:00Z",
		SourceURL:      "http://en.kremlin.ru/events/president/news/55882",
		RawSHA256:      strings.Repeat("ab", 32),
		Source:         record.SourceLive,
		CapturedAt:     "2026-11-28T10:00:00Z",
		TagKeys:        map[string][]*string{"geography": {record.Str("regions/KDA")}, "persons": {nil}},
		ParserVersion:  3,
		SchemaVersion:  1,
	}
}

func TestRecord_Normalize_NilToEmpty(t *testing.T) {
	r := &record.Record{ID: 1, Tags: map[string][]string{"topics": nil, "persons": {"A"}}}
	r.Normalize()
	if r.Sections == nil || len(r.Sections) != 0 {
		t.Errorf("Sections = %#v, want empty non-nil", r.Sections)
	}
	if r.Turns == nil || len(r.Turns) != 0 {
		t.Errorf("Turns = %#v, want empty non-nil", r.Turns)
	}
	if v, ok := r.Tags["topics"]; !ok || v == nil {
		t.Errorf("Tags[topics] = %#v, want empty non-nil", v)
	}
	if !slices.Equal(r.Tags["persons"], []string{"A"}) {
		t.Errorf("Tags[persons] = %q", r.Tags["persons"])
	}
	if r.SchemaVersion != record.SchemaVersion {
		t.Errorf("SchemaVersion = %d, want %d", r.SchemaVersion, record.SchemaVersion)
	}
	var z record.Record
	z.Normalize()
	if z.Tags == nil || z.Sections == nil || z.Turns == nil {
		t.Errorf("zero record after Normalize: %+v", z)
	}
	// Set values are kept.
	f := full()
	want := *full()
	f.Normalize()
	if !reflect.DeepEqual(*f, want) {
		t.Errorf("Normalize changed a full record:\n%+v\nwant\n%+v", *f, want)
	}
	other := &record.Record{SchemaVersion: 2}
	other.Normalize()
	if other.SchemaVersion != 2 {
		t.Errorf("Normalize overwrote schema version 2 with %d", other.SchemaVersion)
	}
}

func TestRecord_SameContent(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *record.Record)
		same bool
	}{
		{"identical", func(r *record.Record) {}, true},
		{"fetched_at", func(r *record.Record) { r.FetchedAt = "2030-01-01T00:00:00Z" }, true},
		{"source_url", func(r *record.Record) { r.SourceURL = "http://kremlin.ru/events/president/transcripts/55882" }, true},
		{"raw_sha256", func(r *record.Record) { r.RawSHA256 = "" }, true},
		{"parser_version", func(r *record.Record) { r.ParserVersion = 99 }, true},
		{"version", func(r *record.Record) { r.Version = 4 }, true},
		{"source", func(r *record.Record) { r.Source = record.SourceWayback }, true},
		{"captured_at", func(r *record.Record) { r.CapturedAt = "2015-01-01T00:00:00Z" }, true},
		{"tag key", func(r *record.Record) { r.TagKeys["persons"] = []*string{record.Str("persons/1")} }, false},
		{"all fetch fields", func(r *record.Record) {
			r.FetchedAt, r.SourceURL, r.RawSHA256, r.ParserVersion, r.Version = "", "", "", 0, 0
		}, true},
		{"schema version unset", func(r *record.Record) { r.SchemaVersion = 0 }, true},
		{"equal pointers to equal strings", func(r *record.Record) { r.Date = record.Str("2017-10-19") }, true},
		{"title", func(r *record.Record) { r.Title += " " }, false},
		{"url", func(r *record.Record) { r.URL = "http://en.kremlin.ru/events/president/news/1" }, false},
		{"lang", func(r *record.Record) { r.Lang = record.LangRU }, false},
		{"id", func(r *record.Record) { r.ID++ }, false},
		{"date null", func(r *record.Record) { r.Date = nil }, false},
		{"date empty", func(r *record.Record) { r.Date = record.Str("") }, false},
		{"time", func(r *record.Record) { r.Time = record.Str("19:01") }, false},
		{"published", func(r *record.Record) { r.Published = nil }, false},
		{"updated", func(r *record.Record) { r.Updated = record.Str("2017-10-24T15:40:00+03:00") }, false},
		{"place", func(r *record.Record) { r.Place = nil }, false},
		{"lead", func(r *record.Record) { r.Lead = "" }, false},
		{"sections order", func(r *record.Record) { r.Sections = []string{"Transcripts", "News"} }, false},
		{"sections", func(r *record.Record) { r.Sections = r.Sections[:1] }, false},
		{"tag value", func(r *record.Record) { r.Tags["persons"] = []string{"Medvedev Dmitry"} }, false},
		{"tag key", func(r *record.Record) { r.Tags["topics"] = []string{} }, false},
		{"text", func(r *record.Record) { r.Text += "\n\nMore." }, false},
		{"turn note", func(r *record.Record) { r.Turns[1].Note = "" }, false},
		{"turns", func(r *record.Record) { r.Turns = nil }, false},
		{"announcement", func(r *record.Record) { r.IsAnnouncement = true }, false},
		{"schema version", func(r *record.Record) { r.SchemaVersion = 2 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := full(), full()
			tt.edit(b)
			if got := record.SameContent(a, b); got != tt.same {
				t.Errorf("SameContent = %v, want %v", got, tt.same)
			}
			if got := record.SameContent(b, a); got != tt.same {
				t.Errorf("SameContent (swapped) = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestRecord_SameContent_NilVersusEmpty(t *testing.T) {
	a := &record.Record{ID: 1, Lang: "en"}
	b := &record.Record{ID: 1, Lang: "en", Sections: []string{}, Tags: map[string][]string{}, Turns: []record.Turn{}, SchemaVersion: 1}
	if !record.SameContent(a, b) {
		t.Error("nil and empty lists differ")
	}
	c := &record.Record{ID: 1, Lang: "en", Tags: map[string][]string{"topics": nil}}
	d := &record.Record{ID: 1, Lang: "en", Tags: map[string][]string{"topics": {}}}
	if !record.SameContent(c, d) {
		t.Error("a nil tag list and an empty one differ")
	}
}

func TestRecord_SameContent_AfterJSONRoundTrip(t *testing.T) {
	// The store compares a record decoded from the archive with a fresh one.
	for _, r := range []*record.Record{full(), {ID: 1, Lang: "ru"}, {ID: 2, Lang: "en", Tags: map[string][]string{"topics": nil}}} {
		b, err := record.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back record.Record
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !record.SameContent(r, &back) {
			t.Errorf("record %d differs from its JSON round trip", r.ID)
		}
	}
}

// Regression (fixed): record.go:89-95 (Content) with record.go:72-76 (Normalize). Content copies the struct, but the copy shares
// the Tags map with r, and Normalize then writes []string{} into it for
// nil values: Content (and so SameContent, on both arguments) modifies
// records it is documented to only read, a data race when two goroutines
// compare the same record. Fix: deep-copy Tags in Content
// (c.Tags = maps.Clone(r.Tags) before c.Normalize()).
func TestRecord_Content_DoesNotModifyReceiver(t *testing.T) {
	r := &record.Record{ID: 1, Lang: "en", Tags: map[string][]string{"topics": nil}}
	_ = r.Content()
	if v := r.Tags["topics"]; v != nil {
		t.Errorf("Content changed r.Tags[topics] from nil to %#v", v)
	}
	var wg sync.WaitGroup
	shared := &record.Record{ID: 1, Lang: "en", Tags: map[string][]string{"a": nil, "b": nil}}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			record.SameContent(shared, full())
		}()
	}
	wg.Wait()
}

func TestRecord_Content_ClearsFetchFields(t *testing.T) {
	r := full()
	r.Version = 3
	c := r.Content()
	if c.FetchedAt != "" || c.SourceURL != "" || c.RawSHA256 != "" || c.ParserVersion != 0 || c.Version != 0 {
		t.Errorf("Content kept fetch fields: %+v", c)
	}
	if c.Title != r.Title || c.ID != r.ID || *c.Date != *r.Date {
		t.Errorf("Content lost content fields: %+v", c)
	}
	if r.FetchedAt == "" || r.Version != 3 {
		t.Errorf("Content cleared the receiver's fields")
	}
}

func TestMarshal_NoNullLists(t *testing.T) {
	tests := []struct {
		name string
		r    *record.Record
	}{
		{"zero", &record.Record{}},
		{"nil tag list", &record.Record{ID: 1, Tags: map[string][]string{"topics": nil}}},
		{"full", full()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := record.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("Marshal output is not a JSON object: %v\n%s", err, b)
			}
			for _, k := range []string{"sections", "tags", "turns"} {
				if v := string(m[k]); v == "" || v == "null" {
					t.Errorf("%s = %q, want a list/object", k, v)
				}
			}
			// tag_keys may hold null (a tag without a catalog link); the
			// other lists never do.
			for _, k := range []string{"sections", "tags", "turns"} {
				if v := []byte(m[k]); bytes.Contains(v, []byte(`":null]`)) || bytes.Contains(v, []byte(`[null`)) || bytes.Contains(v, []byte(`,null`)) {
					t.Errorf("null inside %s: %s", k, v)
				}
			}
			var tags map[string]json.RawMessage
			json.Unmarshal(m["tags"], &tags)
			for k, v := range tags {
				if string(v) == "null" {
					t.Errorf("tags[%s] = null", k)
				}
			}
			if bytes.HasSuffix(b, []byte("\n")) {
				t.Error("Marshal output ends with a newline")
			}
		})
	}
	b, _ := record.Marshal(&record.Record{})
	for _, want := range []string{`"sections":[]`, `"tags":{}`, `"turns":[]`, `"date":null`, `"time":null`, `"published":null`, `"updated":null`, `"place":null`, `"schema_version":1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("Marshal(zero) = %s, lacks %s", b, want)
		}
	}
	if bytes.Contains(b, []byte(`"version"`)) {
		t.Errorf("Marshal(zero) = %s, has version (only set on export)", b)
	}
}

func TestMarshal_NoHTMLEscaping(t *testing.T) {
	r := &record.Record{ID: 1, Lang: "ru", Title: `<b>Путин & "Лукашенко"</b> > <…>`, Text: "a\u00a0b\u2028c"}
	b, err := record.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `<b>Путин & \"Лукашенко\"</b> > <…>`) {
		t.Errorf("Marshal escaped HTML or Unicode: %s", s)
	}
	for _, bad := range []string{`\u003c`, `\u003e`, `\u0026`, `\u041f`} {
		if strings.Contains(s, bad) {
			t.Errorf("Marshal output contains %s: %s", bad, s)
		}
	}
	var back record.Record
	if err := json.Unmarshal(b, &back); err != nil || back.Title != r.Title || back.Text != r.Text {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestMarshal_FieldNames(t *testing.T) {
	// The export contract of RECORD.md: these names, no others (version is
	// added on export only).
	want := []string{"id", "lang", "url", "title", "date", "time", "published", "updated", "place", "lead",
		"sections", "tags", "text", "turns", "is_announcement", "fetched_at", "source_url", "raw_sha256",
		"parser_version", "schema_version", "tag_keys", "source", "captured_at"}
	b, _ := record.Marshal(full())
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	r := full()
	r.Version = 2
	b, _ = record.Marshal(r)
	if !bytes.Contains(b, []byte(`"version":2`)) {
		t.Errorf("version not written when set: %s", b)
	}
	var turn []map[string]any
	json.Unmarshal(m["turns"], &turn)
	if _, ok := turn[0]["note"]; ok {
		t.Errorf("empty note written: %v", turn[0])
	}
	if turn[1]["note"] != "retranslated" {
		t.Errorf("note = %v", turn[1]["note"])
	}
}

func TestMarshal_RoundTrip(t *testing.T) {
	r := full()
	b, err := record.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back record.Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, full()) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back, *full())
	}
}

func TestStr_NewPointer(t *testing.T) {
	p := record.Str("x")
	q := record.Str("x")
	if *p != "x" || p == q {
		t.Errorf("Str returned %p %p", p, q)
	}
}
