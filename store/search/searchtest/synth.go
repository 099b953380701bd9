// Package searchtest writes synthetic archives for the tests and
// benchmarks of the search index and of `serve`: documents from
// crawler/fakesite's generator, rendered in the site's markup and stored
// with the record the parser would make, straight into a store (no HTTP).
package searchtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Options of a synthetic archive.
type Options struct {
	// IDs is the number of document IDs; each exists in both languages
	// unless OnlyEN or OnlyRU say otherwise, so the archive holds about
	// 2×IDs documents.
	IDs  int
	Seed int64
	// Progress, when set, is called every 1,000 documents.
	Progress func(done, total int)
}

// Write makes the archive at path (a new file) of the documents of
// Generate and returns them (English, Russian).
func Write(path string, o Options) (en, ru []fakesite.Doc, err error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	en, ru = Generate(o.IDs, o.Seed)
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	total := len(en) + len(ru)
	done := 0
	for _, docs := range [][]fakesite.Doc{en, ru} {
		if len(docs) == 0 {
			continue
		}
		site := fakesite.New(fakesite.Options{Lang: docs[0].Lang, Docs: docs})
		keys := speakerKeys(docs)
		fetched := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
		// oldest first, as a backfill finds them
		for i := len(docs) - 1; i >= 0; i-- {
			d := docs[i]
			f := Fetched(site, d, keys, fetched.Add(time.Duration(done)*time.Second))
			if _, err := db.PutDocument(f, 0); err != nil {
				return nil, nil, err
			}
			done++
			if o.Progress != nil && done%1000 == 0 {
				o.Progress(done, total)
			}
		}
	}
	return en, ru, nil
}

// Fetched is what the crawler stores for d: the page as site serves it
// and the record of fakesite.Expected, with catalog keys for tags and
// speaker keys for the turns keys resolves (see SpeakerKeys).
func Fetched(site *fakesite.Site, d fakesite.Doc, keys map[string]string, at time.Time) *store.Fetched {
	path := "/events/president/" + d.Canonical() + "/" + strconv.FormatInt(d.ID, 10)
	body, status := site.Page(path)
	if status != http.StatusOK {
		panic(fmt.Sprintf("searchtest: %s: status %d", path, status))
	}
	r := fakesite.Expected(d)
	r.TagKeys = map[string][]*string{}
	for _, t := range d.Tags {
		var k *string
		if rest, ok := strings.CutPrefix(t.Href, "/catalog/"); ok {
			parts := strings.Split(rest, "/")
			if len(parts) >= 2 {
				k = record.Str(parts[0] + "/" + parts[1])
			}
		}
		r.TagKeys[t.Kind] = append(r.TagKeys[t.Kind], k)
	}
	for i := range r.Turns {
		if k, ok := keys[r.Turns[i].Speaker]; ok {
			r.Turns[i].SpeakerKey = record.Str(k)
		}
	}
	r.FetchedAt = at.UTC().Format(time.RFC3339)
	r.CapturedAt = r.FetchedAt
	r.Source = record.SourceLive
	r.SourceURL = "http://127.0.0.1:18080" + path
	r.ParserVersion = 1
	raw := &store.Raw{URL: r.SourceURL, FetchedAt: at, Proto: "HTTP/1.1", Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: body}
	return &store.Fetched{Raw: raw, Record: &r, ListedIn: d.Sections}
}

// speakerKeys resolves speaker labels the way the archive-wide resolution
// does for labels it can be sure of: Putin's labels, and every label that
// some page links to a person.
func speakerKeys(docs []fakesite.Doc) map[string]string {
	keys := map[string]string{}
	for _, d := range docs {
		for _, p := range d.Paragraphs {
			if p.Kind != fakesite.ParaTurn {
				continue
			}
			switch {
			case strings.Contains(p.Speaker, "Putin") || strings.Contains(p.Speaker, "Путин"):
				keys[p.Speaker] = record.HeadOfStateKey
			case len(p.Links) > 0:
				keys[p.Speaker] = "persons/" + strconv.Itoa(p.Links[0].ID)
			}
		}
	}
	return keys
}

// SpeakerKeys is speakerKeys for tests.
func SpeakerKeys(docs []fakesite.Doc) map[string]string { return speakerKeys(docs) }

// Doc is a hand-written document for tests.
type Doc struct {
	Lang, Title, Date, Time, Place, Lead, Text string
	ID                                         int64
	Sections, ListedIn                         []string
	Tags                                       map[string][]string
	TagKeys                                    map[string][]*string
	Turns                                      []record.Turn
	Body                                       string // raw page body; a minimal page when empty
}

// Turn makes a speaker turn; key "" means an unresolved speaker.
func Turn(speaker, key, text string) record.Turn {
	t := record.Turn{Speaker: speaker, Text: text}
	if key != "" {
		t.SpeakerKey = record.Str(key)
	}
	return t
}

// WriteArchive stores docs in the archive at path, creating it, as a crawl
// would, and closes it.
func WriteArchive(path string, docs ...Doc) error {
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		return err
	}
	for _, d := range docs {
		if _, err := Put(db, d); err != nil {
			db.Close()
			return fmt.Errorf("%s/%d: %w", d.Lang, d.ID, err)
		}
	}
	return db.Close()
}

// Put stores d in db as a crawl would (a new version when it changed).
func Put(db *store.DB, d Doc) (store.Outcome, error) {
	r := &record.Record{ID: d.ID, Lang: d.Lang, Title: d.Title, Lead: d.Lead, Sections: d.Sections, Tags: d.Tags,
		TagKeys: d.TagKeys, Turns: d.Turns, Text: d.Text}
	base := "http://en.kremlin.ru"
	if d.Lang == "ru" {
		base = "http://kremlin.ru"
	}
	listed := d.ListedIn
	if len(listed) == 0 {
		listed = []string{"news"}
	}
	r.URL = base + "/events/president/" + listed[0] + "/" + strconv.FormatInt(d.ID, 10)
	if d.Date != "" {
		r.Date = record.Str(d.Date)
		tm := d.Time
		if tm == "" {
			tm = "12:00"
		}
		r.Time = record.Str(tm)
		r.Published = record.Str(d.Date + "T" + tm + ":00+03:00")
	}
	if d.Place != "" {
		r.Place = record.Str(d.Place)
	}
	if r.Text == "" {
		var ps []string
		for _, t := range d.Turns {
			ps = append(ps, t.Speaker+": "+t.Text)
		}
		r.Text = strings.Join(ps, "\n\n")
	}
	body := d.Body
	if body == "" {
		body = "<!doctype html><html><head><title>" + d.Title + "</title></head><body><article id=\"event-" +
			strconv.FormatInt(d.ID, 10) + "\"><h1>" + d.Title + "</h1></article></body></html>"
	}
	at := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	r.FetchedAt = at.Format(time.RFC3339)
	r.SourceURL = r.URL
	r.ParserVersion = 1
	raw := &store.Raw{URL: r.URL, FetchedAt: at, Proto: "HTTP/1.1", Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: []byte(body)}
	return db.PutDocument(&store.Fetched{Raw: raw, Record: r, ListedIn: listed}, 0)
}
