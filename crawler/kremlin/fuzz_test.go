package kremlin

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets: no input may panic or hang; errors are always the typed
// ones; records carry a positive ID and valid UTF-8 only. The seed corpus
// (testdata fixtures plus testdata/fuzz/) also runs in every `go test`.
//
//	go test -fuzz=FuzzParseDocument -fuzztime=30s ./crawler/kremlin
//	go test -fuzz=FuzzParseListing  -fuzztime=30s ./crawler/kremlin
//	go test -fuzz=FuzzDocumentID    -fuzztime=30s ./crawler/kremlin

func FuzzParseDocument(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.body, fx.url, fx.lang)
	}
	f.Add([]byte("<html><body><article class=\"read__in\" id=\"event-1\"><h1 class=\"entry-title\">x</h1></article></body></html>"),
		"/events/president/news/1", "en")
	f.Add([]byte("\xe3\x80"), "", "")
	f.Fuzz(func(t *testing.T, body []byte, pageURL, lang string) {
		doc, err := ParseDocument(body, pageURL, Options{Lang: lang})
		kind := Classify(body, pageURL)
		if err != nil {
			var nd *NotDocumentError
			if !errors.As(err, &nd) || !errors.Is(err, ErrNotDocument) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if nd.Kind != kind {
				t.Fatalf("ParseDocument says %v, Classify says %v", nd.Kind, kind)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not UTF-8: %q", err.Error())
			}
			return
		}
		if kind != KindDocument {
			t.Fatalf("ParseDocument succeeded, Classify says %v", kind)
		}
		r := &doc.Record
		if r.ID <= 0 {
			t.Fatalf("id %d", r.ID)
		}
		if r.Lang != "en" && r.Lang != "ru" {
			t.Fatalf("lang %q", r.Lang)
		}
		checkUTF8(t, reflect.ValueOf(doc).Elem(), "Document")
		for _, p := range []*string{r.Published, r.Updated} {
			if p != nil {
				if _, err := time.Parse(time.RFC3339, *p); err != nil {
					t.Fatalf("timestamp %q: %v", *p, err)
				}
			}
		}
		if r.Sections == nil || r.Tags == nil || r.Turns == nil {
			t.Fatalf("record not normalised")
		}
		for _, tr := range r.Turns {
			if tr.Speaker == "" {
				t.Fatalf("turn without speaker")
			}
		}
		if _, err := json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseListing(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.body, fx.url)
	}
	f.Add([]byte(`<html><div class="lister-page"><div class="hentry" data-id="5"></div></div></html>`), "/events/president/news")
	f.Fuzz(func(t *testing.T, body []byte, pageURL string) {
		l, err := ParseListing(body, pageURL)
		kind := Classify(body, pageURL)
		if err != nil {
			if !errors.Is(err, ErrNotListing) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if kind == KindListing {
				t.Fatalf("Classify says listing, ParseListing failed: %v", err)
			}
			return
		}
		if kind != KindListing {
			t.Fatalf("ParseListing succeeded, Classify says %v", kind)
		}
		if l.Page < 1 || l.Pages < 0 || l.Items == nil {
			t.Fatalf("page %d pages %d items %v", l.Page, l.Pages, l.Items)
		}
		seen := map[int64]bool{}
		for _, it := range l.Items {
			if it.ID <= 0 || seen[it.ID] {
				t.Fatalf("bad or duplicate id %d", it.ID)
			}
			seen[it.ID] = true
		}
		checkUTF8(t, reflect.ValueOf(l).Elem(), "Listing")
	})
}

func FuzzDocumentID(f *testing.F) {
	for _, s := range []string{
		"/events/president/news/63953", "http://en.kremlin.ru/events/president/news/55882/print",
		"/events/president/news/page/2", "/events/president/trips/48894", "/events/councils/by-council/1029",
		"//x/events/a/1?b#c", "/events/president/news/copy/1", "http://[::1]:80/events/x/9/", "%2Fevents%2Fx%2F1",
	} {
		f.Add(s)
	}
	for _, fx := range loadFixtures(f) {
		f.Add(fx.url)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := DocumentID(s)
		if !ok {
			if id != 0 {
				t.Fatalf("DocumentID(%q) = %d, false", s, id)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("DocumentID(%q) = %d", s, id)
		}
		// The canonical path of the ID names the same document.
		if back, ok := DocumentID("/events/president/news/" + strconv.FormatInt(id, 10)); !ok || back != id {
			t.Fatalf("round trip of %d failed", id)
		}
		_ = ListingPath(s, int(id%5))
	})
}

// checkUTF8 fails when any string reachable from v is not valid UTF-8.
func checkUTF8(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			t.Fatalf("%s is not valid UTF-8: %q", path, v.String())
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkUTF8(t, v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			checkUTF8(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			checkUTF8(t, v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkUTF8(t, k, path+"{key}")
			checkUTF8(t, v.MapIndex(k), path+"["+k.String()+"]")
		}
	}
}
