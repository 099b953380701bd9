package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDB_PutDocument_New(t *testing.T) {
	db := mustOpen(t)
	run, err := db.StartRun("crawl", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddPending([]store.Pending{{Lang: "en", ID: 63953, URL: "/events/president/news/63953", Reason: "new", DiscoveredAt: t0}}); err != nil {
		t.Fatal(err)
	}
	d := doc{id: 63953, title: "Taurida motorway", date: "2020-08-27", updated: "2020-08-28T12:00:00+03:00",
		listed: []string{"news"}, lupd: "2020-08-27", secs: []string{"News", "Transcripts"}, body: realisticPage("en", 63953, 1)}
	f := d.fetched()
	f.Record.RawSHA256 = "" // the store computes it
	out, err := db.PutDocument(f, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out != store.OutcomeNew {
		t.Errorf("outcome = %v, want new", out)
	}

	got := mustDoc(t, db, "en", 63953)
	want := store.Doc{
		Lang: "en", ID: 63953, Versions: 1, Seq: 1,
		ListedIn: []string{"news"}, UpdateMark: "2020-08-28",
		Date: "2020-08-27", Title: "Taurida motorway", Sections: []string{"News", "Transcripts"},
		FetchedAt: t0, SourceURL: "http://en.kremlin.ru/events/president/news/63953",
		RawSHA256: sha(d.body), RawSize: len(d.body),
		FirstFetchedAt: t0, CheckedAt: t0,
	}
	if !reflect.DeepEqual(normDoc(got), normDoc(&want)) {
		t.Errorf("Doc =\n%+v\nwant\n%+v", *got, want)
	}
	if f.Record.RawSHA256 != sha(d.body) {
		t.Errorf("record raw_sha256 = %q, want sha256 of the body %q", f.Record.RawSHA256, sha(d.body))
	}
	r, err := db.Record("en", 63953, 0)
	if err != nil || r == nil {
		t.Fatalf("Record: %v, %v", r, err)
	}
	if r.RawSHA256 != sha(d.body) || r.Title != "Taurida motorway" {
		t.Errorf("stored record title %q raw_sha256 %q", r.Title, r.RawSHA256)
	}
	if p, _ := db.PendingList(""); len(p) != 0 {
		t.Errorf("pending after PutDocument = %+v, want none", p)
	}
	if hw, _ := db.HighWater(); hw != 1 {
		t.Errorf("HighWater = %d, want 1", hw)
	}
	c, _ := db.RunCounters(run.ID)
	if c.New != 1 || c.Updated != 0 || c.Unchanged != 0 {
		t.Errorf("run counters new/updated/unchanged = %d/%d/%d, want 1/0/0", c.New, c.Updated, c.Unchanged)
	}
}

// normDoc makes times comparable with reflect.DeepEqual.
// normDoc keeps the exported fields of a Doc (times in UTC), for
// comparisons: where versions are stored is the store's business.
func normDoc(d *store.Doc) store.Doc {
	c := store.Doc{
		Lang: d.Lang, ID: d.ID, Versions: d.Versions, Seq: d.Seq, ListedIn: d.ListedIn,
		UpdateMark: d.UpdateMark, StaleTries: d.StaleTries, StaleFor: d.StaleFor,
		Date: d.Date, Title: d.Title, Sections: d.Sections, Source: d.Source, SourceURL: d.SourceURL,
		RawSHA256: d.RawSHA256, RawSize: d.RawSize, CapturedAt: d.CapturedAt.UTC(),
	}
	c.FetchedAt, c.FirstFetchedAt, c.CheckedAt = d.FetchedAt.UTC(), d.FirstFetchedAt.UTC(), d.CheckedAt.UTC()
	return c
}

func TestDB_PutDocument_SameContent_Unchanged(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0)
	first := doc{id: 10, title: "Meeting", date: "2024-01-02", listed: []string{"news"}, lupd: "2024-01-02", body: realisticPage("en", 10, 1)}
	put(t, db, first, run.ID)
	before := mustDoc(t, db, "en", 10)

	// A later fetch of the same page: other fetch time, other URL, other
	// bytes (a timestamp in the HTML), same content; seen in another listing.
	later := t0.Add(48 * time.Hour)
	second := first
	second.at = later
	second.body = append(realisticPage("en", 10, 1), "<!-- generated 2026-11-30 -->"...)
	second.listed = []string{"transcripts"}
	second.lupd = "2024-01-05"
	f := second.fetched()
	f.Record.SourceURL = "http://en.kremlin.ru/events/president/transcripts/10"
	f.Record.ParserVersion = 2
	out, err := db.PutDocument(f, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out != store.OutcomeUnchanged {
		t.Fatalf("outcome = %v, want unchanged", out)
	}
	after := mustDoc(t, db, "en", 10)
	if after.Versions != 1 || after.Seq != before.Seq {
		t.Errorf("Versions/Seq = %d/%d, want %d/%d", after.Versions, after.Seq, before.Versions, before.Seq)
	}
	if !after.FetchedAt.Equal(before.FetchedAt) || after.RawSHA256 != before.RawSHA256 || after.SourceURL != before.SourceURL {
		t.Errorf("current copy changed: fetched %v sha %s url %s", after.FetchedAt, after.RawSHA256, after.SourceURL)
	}
	if !after.CheckedAt.Equal(later) {
		t.Errorf("CheckedAt = %v, want %v", after.CheckedAt, later)
	}
	if !slices.Equal(after.ListedIn, []string{"news", "transcripts"}) {
		t.Errorf("ListedIn = %q, want [news transcripts]", after.ListedIn)
	}
	if after.UpdateMark != "2024-01-05" {
		t.Errorf("UpdateMark = %q, want 2024-01-05", after.UpdateMark)
	}
	if vs, _ := db.Versions("en", 10); len(vs) != 1 {
		t.Errorf("Versions() = %d versions, want 1", len(vs))
	}
	raw, err := db.RawResponse("en", 10, 0)
	if err != nil || !bytes.Equal(raw.Body, first.body) {
		t.Errorf("RawResponse after an unchanged fetch is not the first copy (err %v)", err)
	}
	if hw, _ := db.HighWater(); hw != before.Seq {
		t.Errorf("HighWater = %d, want %d", hw, before.Seq)
	}
	if st, _ := db.Storage(); st.Versions != 1 {
		t.Errorf("Storage().Versions = %d, want 1", st.Versions)
	}
	c, _ := db.RunCounters(run.ID)
	if c.New != 1 || c.Unchanged != 1 || c.Updated != 0 {
		t.Errorf("run counters new/updated/unchanged = %d/%d/%d, want 1/0/1", c.New, c.Updated, c.Unchanged)
	}
}

func TestDB_PutDocument_ChangedContent_Updated(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0)
	v1 := doc{id: 20, title: "Old title", date: "2024-01-02", body: realisticPage("en", 20, 1)}
	put(t, db, v1, run.ID)
	put(t, db, doc{id: 21}, run.ID) // another document in between
	old := mustDoc(t, db, "en", 20)

	v2 := v1
	v2.title = "New title"
	v2.at = t0.Add(time.Hour)
	v2.body = realisticPage("en", 20, 2)
	if out := put(t, db, v2, run.ID); out != store.OutcomeUpdated {
		t.Fatalf("outcome = %v, want updated", out)
	}
	d := mustDoc(t, db, "en", 20)
	if d.Versions != 2 {
		t.Errorf("Versions = %d, want 2", d.Versions)
	}
	if d.Seq <= old.Seq {
		t.Errorf("Seq = %d, want > %d", d.Seq, old.Seq)
	}
	if d.Title != "New title" || d.RawSHA256 != sha(v2.body) || !d.FetchedAt.Equal(v2.at) || !d.FirstFetchedAt.Equal(t0) {
		t.Errorf("Doc after update = %+v", d)
	}
	if hw, _ := db.HighWater(); hw != d.Seq {
		t.Errorf("HighWater = %d, want the new change number %d", hw, d.Seq)
	}
	// The export of changes since the old number carries the update.
	var since []int64
	db.Scan(store.Filter{Since: mustDoc(t, db, "en", 21).Seq}, func(d *store.Doc, _ *record.Record) error { since = append(since, d.ID); return nil })
	if !slices.Equal(since, []int64{20}) {
		t.Errorf("changes since document 21's: %v, want [20]", since)
	}

	vs, err := db.Versions("en", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].N != 1 || vs[1].N != 2 || vs[0].Record.Title != "Old title" || vs[1].Record.Title != "New title" {
		t.Errorf("Versions() = %+v", vs)
	}
	for n, want := range map[int]string{0: "New title", 1: "Old title", 2: "New title"} {
		r, err := db.Record("en", 20, n)
		if err != nil || r == nil || r.Title != want {
			t.Errorf("Record(en, 20, %d) = %v, %v; want title %q", n, r, err, want)
		}
	}
	for n, want := range map[int][]byte{0: v2.body, 1: v1.body, 2: v2.body} {
		raw, err := db.RawResponse("en", 20, n)
		if err != nil || raw == nil || !bytes.Equal(raw.Body, want) {
			t.Errorf("RawResponse(en, 20, %d): err %v, body differs", n, err)
		}
	}
	r1, _ := db.RawResponse("en", 20, 1)
	if !r1.FetchedAt.Equal(t0) {
		t.Errorf("RawResponse(v1).FetchedAt = %v, want %v", r1.FetchedAt, t0)
	}

	// Changed again and back: every distinct content is a version.
	v3 := v1
	v3.at = t0.Add(2 * time.Hour)
	if out := put(t, db, v3, run.ID); out != store.OutcomeUpdated {
		t.Errorf("back to the first content: outcome %v, want updated", out)
	}
	if d := mustDoc(t, db, "en", 20); d.Versions != 3 {
		t.Errorf("Versions = %d, want 3", d.Versions)
	}
	c, _ := db.RunCounters(run.ID)
	if c.New != 2 || c.Updated != 2 {
		t.Errorf("run counters new/updated = %d/%d, want 2/2", c.New, c.Updated)
	}
}

func TestDB_PutDocument_FieldChanges(t *testing.T) {
	// Every content field makes a new version; every fetch field does not.
	tests := []struct {
		name    string
		edit    func(r *record.Record)
		changed bool
	}{
		{"title", func(r *record.Record) { r.Title += "!" }, true},
		{"text", func(r *record.Record) { r.Text += " More." }, true},
		{"lead", func(r *record.Record) { r.Lead = "" }, true},
		{"date", func(r *record.Record) { r.Date = record.Str("2020-01-02") }, true},
		{"updated", func(r *record.Record) { r.Updated = record.Str("2020-01-03T10:00:00+03:00") }, true},
		{"place", func(r *record.Record) { r.Place = record.Str("Moscow") }, true},
		{"sections", func(r *record.Record) { r.Sections = append(r.Sections, "Transcripts") }, true},
		{"tags", func(r *record.Record) { r.Tags["persons"] = []string{"Putin Vladimir"} }, true},
		{"turns", func(r *record.Record) { r.Turns = []record.Turn{{Speaker: "V.Putin", Text: "Hello"}} }, true},
		{"announcement", func(r *record.Record) { r.IsAnnouncement = true }, true},
		{"fetched_at", func(r *record.Record) { r.FetchedAt = "2030-01-01T00:00:00Z" }, false},
		{"source_url", func(r *record.Record) { r.SourceURL = "http://mirror.example/x" }, false},
		{"raw_sha256", func(r *record.Record) { r.RawSHA256 = "00" }, false},
		{"parser_version", func(r *record.Record) { r.ParserVersion = 9 }, false},
		{"nil vs empty slices", func(r *record.Record) { r.Turns = nil; r.Tags = map[string][]string{"topics": {"Foreign policy"}} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			put(t, db, doc{id: 1}, 0)
			f := doc{id: 1, at: t0.Add(time.Hour)}.fetched()
			tt.edit(f.Record)
			out, err := db.PutDocument(f, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := store.OutcomeUnchanged
			if tt.changed {
				want = store.OutcomeUpdated
			}
			if out != want {
				t.Errorf("outcome = %v, want %v", out, want)
			}
		})
	}
}

func TestDB_PutDocument_RawRoundTrip(t *testing.T) {
	allBytes := make([]byte, 256*4)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	tests := []struct {
		name string
		raw  store.Raw
	}{
		{"html", store.Raw{Status: 200, Proto: "HTTP/1.1", Body: realisticPage("ru", 4, 1),
			Header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}}}},
		{"invalid utf-8", store.Raw{Status: 200, Proto: "HTTP/1.1", Body: []byte("<p>Government meeting \xe3 \xff\xfe broken \xc3(</p>"),
			Header: http.Header{"Content-Type": {"text/html"}}}},
		{"binary with CRLFCRLF", store.Raw{Status: 200, Proto: "HTTP/1.1", Body: append([]byte("\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), allBytes...),
			Header: http.Header{"Content-Type": {"application/octet-stream"}}}},
		{"gzip bytes as received", store.Raw{Status: 200, Proto: "HTTP/1.1", Body: []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0, 0x86, 0xa6, 0x10, 0x36, 5, 0, 0, 0},
			Header: http.Header{"Content-Encoding": {"gzip"}}}},
		{"empty body", store.Raw{Status: 204, Proto: "HTTP/1.1", Header: http.Header{}}},
		{"several header values", store.Raw{Status: 200, Proto: "HTTP/1.1", Body: []byte("x"),
			Header: http.Header{
				"Set-Cookie":   {"a=1; Path=/", "b=2; HttpOnly", "c=3"},
				"Vary":         {"Accept-Encoding", "Cookie"},
				"X-Empty":      {""},
				"X-Colon":      {"a: b: c"},
				"X-Spaces":     {"  padded  "},
				"Content-Type": {"text/html; charset=windows-1251"},
			}}},
		{"no headers", store.Raw{Status: 200, Proto: "HTTP/1.0", Body: []byte("<html></html>")}},
		{"404", store.Raw{Status: 404, Proto: "HTTP/1.1", Body: []byte("Not Found"), Header: http.Header{"Server": {"nginx"}}}},
		{"unknown status", store.Raw{Status: 599, Proto: "HTTP/1.1", Body: []byte("?"), Header: http.Header{"Server": {"nginx"}}}},
		{"http/2", store.Raw{Status: 200, Proto: "HTTP/2.0", Body: []byte("h2"), Header: http.Header{"Server": {"nginx"}}}},
	}
	db := mustOpen(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := int64(100 + i)
			f := doc{id: id}.fetched()
			raw := tt.raw
			raw.URL = "http://en.kremlin.ru/events/president/news/" + tt.name
			raw.FetchedAt = t0
			f.Raw = &raw
			f.Record.RawSHA256 = ""
			f.Record.SourceURL = raw.URL
			body := slices.Clone(raw.Body)
			if _, err := db.PutDocument(f, 0); err != nil {
				t.Fatal(err)
			}
			// The caller's buffer may be reused afterwards.
			for j := range raw.Body {
				raw.Body[j] = 'X'
			}
			got, err := db.RawResponse("en", id, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body, body) {
				t.Errorf("body differs: got %d bytes %q…, want %d bytes", len(got.Body), head(got.Body), len(body))
			}
			if got.Status != tt.raw.Status || got.Proto != tt.raw.Proto {
				t.Errorf("status line %s %d, want %s %d", got.Proto, got.Status, tt.raw.Proto, tt.raw.Status)
			}
			wantH := tt.raw.Header
			if wantH == nil {
				wantH = http.Header{}
			}
			if !reflect.DeepEqual(got.Header, wantH) {
				t.Errorf("headers = %q, want %q", got.Header, wantH)
			}
			if got.URL != raw.URL || !got.FetchedAt.Equal(t0) {
				t.Errorf("URL/FetchedAt = %q/%v, want %q/%v", got.URL, got.FetchedAt, raw.URL, t0)
			}
			d := mustDoc(t, db, "en", id)
			r, _ := db.Record("en", id, 0)
			if d.RawSHA256 != sha(body) || r.RawSHA256 != sha(body) || got.SHA256() != sha(body) {
				t.Errorf("raw_sha256 doc %s record %s raw %s, want %s", d.RawSHA256, r.RawSHA256, got.SHA256(), sha(body))
			}
			if d.RawSize != len(body) {
				t.Errorf("RawSize = %d, want %d", d.RawSize, len(body))
			}
		})
	}
}

func head(b []byte) []byte { return b[:min(len(b), 40)] }

func TestDB_PutDocument_HeaderLineBreaksNeutralised(t *testing.T) {
	// A header value cannot end the stored head early and swallow the body.
	db := mustOpen(t)
	f := doc{id: 1}.fetched()
	f.Raw.Header = http.Header{"X-Evil": {"a\r\n\r\nHTTP/1.1 500 Oops\r\nX: y"}}
	body := slices.Clone(f.Raw.Body)
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	got, err := db.RawResponse("en", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, body) || got.Status != 200 {
		t.Errorf("status %d, body %q; want 200 and the body", got.Status, head(got.Body))
	}
	if len(got.Header["X-Evil"]) != 1 {
		t.Errorf("X-Evil = %q, want one value", got.Header["X-Evil"])
	}
}

func TestDB_PutDocument_KeepsGivenRawSHA256(t *testing.T) {
	db := mustOpen(t)
	f := doc{id: 1}.fetched()
	f.Record.RawSHA256 = sha(f.Raw.Body)
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	if d := mustDoc(t, db, "en", 1); d.RawSHA256 != sha(f.Raw.Body) {
		t.Errorf("RawSHA256 = %q", d.RawSHA256)
	}
}

func TestDB_PutDocument_BadInput(t *testing.T) {
	tests := []struct {
		name string
		f    func() *store.Fetched
	}{
		{"nil record", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Record = nil; return f }},
		{"nil raw", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Raw = nil; return f }},
		{"zero id", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Record.ID = 0; return f }},
		{"negative id", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Record.ID = -5; return f }},
		{"empty lang", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Record.Lang = ""; return f }},
		{"long lang", func() *store.Fetched { f := doc{id: 1}.fetched(); f.Record.Lang = "english"; return f }},
	}
	db := mustOpen(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.PutDocument(tt.f(), 0)
			if !errors.Is(err, store.ErrBadInput) {
				t.Errorf("PutDocument: %v, want ErrBadInput", err)
			}
		})
	}
	n := 0
	db.ScanDocs(func(*store.Doc) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d documents stored from bad input", n)
	}
}

func TestDB_PutDocument_LanguagesAreSeparate(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{lang: "en", id: 5, title: "Meeting"}, 0)
	if out := put(t, db, doc{lang: "ru", id: 5, title: "Встреча"}, 0); out != store.OutcomeNew {
		t.Errorf("ru/5 after en/5: outcome %v, want new", out)
	}
	en, _ := db.Record("en", 5, 0)
	ru, _ := db.Record("ru", 5, 0)
	if en.Title != "Meeting" || ru.Title != "Встреча" {
		t.Errorf("titles en %q ru %q", en.Title, ru.Title)
	}
}

func TestDB_Record_Missing(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1}, 0)
	if r, err := db.Record("en", 2, 0); r != nil || err != nil {
		t.Errorf("Record of an unknown document = %v, %v; want nil, nil", r, err)
	}
	if r, err := db.RawResponse("en", 2, 0); r != nil || err != nil {
		t.Errorf("RawResponse of an unknown document = %v, %v; want nil, nil", r, err)
	}
	if d, err := db.Doc("en", 2); d != nil || err != nil {
		t.Errorf("Doc of an unknown document = %v, %v; want nil, nil", d, err)
	}
	if vs, err := db.Versions("ru", 1); vs != nil || err != nil {
		t.Errorf("Versions of an unknown document = %v, %v; want nil, nil", vs, err)
	}
	if r, err := db.RawResponse("en", 1, 7); r != nil || err != nil {
		t.Errorf("RawResponse of a version never stored = %v, %v; want nil, nil", r, err)
	}
	if _, err := db.Record("en", 1, 7); err == nil {
		t.Errorf("Record of a version never stored: no error")
	}
}

func TestDB_PutDocument_UpdateMark(t *testing.T) {
	tests := []struct {
		name          string
		updated       string // record's read__updated
		listedUpdated string
		want          string
	}{
		{"none", "", "", ""},
		{"from page", "2020-08-30T15:04:00+03:00", "", "2020-08-30"},
		{"from listing", "", "2020-08-29", "2020-08-29"},
		{"page newer", "2020-08-30T15:04:00+03:00", "2020-08-29", "2020-08-30"},
		// The page is older than its listing entry: the copy is marked
		// with the page's own date, so later listings fetch it again.
		{"listing newer", "2020-08-30T15:04:00+03:00", "2020-09-01", "2020-08-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			put(t, db, doc{id: 1, updated: tt.updated, lupd: tt.listedUpdated}, 0)
			if d := mustDoc(t, db, "en", 1); d.UpdateMark != tt.want {
				t.Errorf("UpdateMark = %q, want %q", d.UpdateMark, tt.want)
			}
		})
	}
}

// Regression (fixed): docs.go:145 (PutDocument) compares the stored record (decoded from JSON) with the
// new record as given. encoding/json replaces invalid UTF-8 with U+FFFD
// when the record is stored, so a record holding an invalid byte never
// equals its stored copy: every refetch of an unchanged page is stored as
// a new version with a new change sequence (and Reparse, reparse.go:108/118,
// rewrites such records and counts them Changed on every run). The parser
// currently sanitises its strings, so the store relies on an undocumented
// precondition. Fix: compare with the round-tripped record (json.Unmarshal
// recJSON into a fresh record.Record before SameContent), or refuse invalid
// UTF-8 with ErrBadInput.
func TestDB_PutDocument_InvalidUTF8InRecord_Unchanged(t *testing.T) {
	db := mustOpen(t)
	d := doc{id: 63123, title: "Government meeting"}
	f := d.fetched()
	f.Record.Text = "Text with an invalid byte \xe3 from the page"
	if _, err := db.PutDocument(f, 0); err != nil {
		t.Fatal(err)
	}
	f2 := doc{id: 63123, title: "Government meeting", at: t0.Add(time.Hour)}.fetched()
	f2.Record.Text = "Text with an invalid byte \xe3 from the page"
	out, err := db.PutDocument(f2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if out != store.OutcomeUnchanged {
		t.Errorf("second fetch of the same record: outcome %v, want unchanged", out)
	}
	if dd := mustDoc(t, db, "en", 63123); dd.Versions != 1 {
		t.Errorf("Versions = %d, want 1", dd.Versions)
	}
}

func TestDB_PutDocument_Concurrent(t *testing.T) {
	db := mustOpen(t, withDictAfter(20))
	const workers, each = 4, 15
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := range each {
				id := int64(w*each + i + 1)
				lang := []string{"en", "ru"}[id%2]
				if _, e := db.PutDocument(doc{lang: lang, id: id, body: realisticPage(lang, id, 1)}.fetched(), 0); e != nil && err == nil {
					err = e
				}
				// readers alongside the writers
				if e := db.Scan(store.Filter{Lang: lang}, func(*store.Doc, *record.Record) error { return nil }); e != nil && err == nil {
					err = e
				}
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	n := 0
	db.ScanDocs(func(*store.Doc) error { n++; return nil })
	if n != workers*each {
		t.Errorf("%d documents stored, want %d", n, workers*each)
	}
	for id := int64(1); id <= workers*each; id++ {
		lang := []string{"en", "ru"}[id%2]
		raw, err := db.RawResponse(lang, id, 0)
		if err != nil || !bytes.Equal(raw.Body, realisticPage(lang, id, 1)) {
			t.Errorf("%s/%d: body differs (err %v)", lang, id, err)
		}
	}
}

// The store releases the mapped pages of the file from time to time
// (every few MB of blobs read or written) while transactions run. Readers
// and a writer working at the same time must still see exact bytes.
func TestDB_ReleaseMappedPages_ConcurrentReadersSeeExactBytes(t *testing.T) {
	db := mustOpen(t)
	const docs = 120 // 120 × ~64 KB incompressible blobs: several releases
	bodyOf := func(id int64) []byte {
		r := rand.New(rand.NewPCG(uint64(id), 99))
		b := make([]byte, 64<<10)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var stored atomic.Int64
	done := make(chan struct{})
	errs := make(chan error, 3)
	for w := range 2 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				n := stored.Load()
				if n == 0 {
					continue
				}
				id := 1 + r.Int64N(n)
				raw, err := db.RawResponse("en", id, 0)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(raw.Body, bodyOf(id)) {
					errs <- fmt.Errorf("reader %d: en/%d body differs", w, id)
					return
				}
				if err := db.ScanCaptures(store.Filter{IDs: []int64{id, id + 1}}, true, func(c *store.Capture) error {
					if sha(c.Raw.Body) != c.Record.RawSHA256 {
						return fmt.Errorf("capture %d: digest differs", c.Doc.ID)
					}
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for id := int64(1); id <= docs; id++ {
		put(t, db, doc{id: id, body: bodyOf(id)}, 0)
		stored.Store(id)
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	st, _ := db.Storage()
	if st.Versions != docs || st.StoredBytes < docs*60<<10 { // incompressible (but the pages inside the dictionary)
		t.Errorf("Storage = %+v", st)
	}
}

// A page whose "Last updated" is older than the current version's (a
// stale cache) is never made current, even when its content differs.
func TestDB_PutDocument_StalePageNotCurrent(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 5, title: "new text", updated: "2024-02-02T10:00:00+03:00", at: t0}, 0)
	out, err := db.PutDocument(doc{id: 5, title: "old text", updated: "2024-02-01T10:00:00+03:00", at: t0.Add(time.Hour)}.fetched(), 0)
	if err != nil || out != store.OutcomeStale {
		t.Fatalf("PutDocument(older page) = %v, %v; want stale", out, err)
	}
	if d := mustDoc(t, db, "en", 5); d.Versions != 1 || d.Title != "new text" {
		t.Errorf("after a stale page: versions %d, title %q; want 1, the newer text", d.Versions, d.Title)
	}
}
