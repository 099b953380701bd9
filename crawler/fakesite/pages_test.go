package fakesite

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// TestPagesMatchExpected parses every document page of an EN and a RU
// corpus with the reference parser and compares with Expected.
func TestPagesMatchExpected(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	styles := map[LabelStyle]bool{}
	t.Run("langs", func(t *testing.T) {
		for _, lang := range []string{LangEN, LangRU} {
			t.Run(lang, func(t *testing.T) {
				t.Parallel()
				s := New(Options{Lang: lang, N: 120, Seed: 11})
				base := labelsFor(lang).base
				checked := 0
				for _, d := range s.Docs() {
					mu.Lock()
					for _, p := range d.Paragraphs {
						if p.Kind == ParaTurn && p.Note == "" {
							styles[p.Label] = true
						}
					}
					mu.Unlock()
					for _, sec := range d.Sections {
						body, status := s.Page(docPath(sec, d.ID))
						if status != 200 {
							t.Fatalf("%s %d under %s: status %d", lang, d.ID, sec, status)
						}
						got, err := parseDoc(body, lang, base)
						if err != nil {
							t.Fatal(err)
						}
						want := Expected(d)
						if !record.SameContent(&got, &want) {
							diffRecords(t, lang, d.ID, got, want)
							return
						}
						checked++
					}
				}
				if checked < 120 {
					t.Fatalf("checked only %d pages", checked)
				}
			})
		}
	})
	if len(styles) != 5 {
		t.Errorf("only label styles %v were checked", styles)
	}
}

func diffRecords(t *testing.T, lang string, id int64, got, want record.Record) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			f := gv.Type().Field(i).Name
			t.Errorf("%s doc %d field %s:\n got %#v\nwant %#v", lang, id, f, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

func TestEventPageMarkup(t *testing.T) {
	s := New(Options{N: 300, Seed: 12})
	var tr, ann, photo, inv Doc
	for _, d := range s.Docs() {
		switch {
		case d.InvalidUTF8:
			inv = d
		case d.Announcement && ann.ID == 0:
			ann = d
		case len(d.Sections) == 2 && tr.ID == 0:
			tr = d
		case d.Photos > 1 && !d.Announcement && photo.ID == 0:
			photo = d
		}
	}
	if tr.ID == 0 || ann.ID == 0 || photo.ID == 0 || inv.ID == 0 {
		t.Fatal("corpus lacks a transcript, announcement, photo item or invalid page")
	}
	page := func(path string) (*goquery.Document, []byte) {
		t.Helper()
		body, status := s.Page(path)
		if status != 200 {
			t.Fatalf("%s: %d", path, status)
		}
		if err := checkBalanced(body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return doc, body
	}
	idStr := itoa(tr.ID)
	doc, body := page("/events/president/transcripts/" + idStr)
	must := func(doc *goquery.Document, sel string, n int) *goquery.Selection {
		t.Helper()
		f := doc.Find(sel)
		if n >= 0 && f.Length() != n {
			t.Fatalf("%s: %d matches, want %d", sel, f.Length(), n)
		}
		if n < 0 && f.Length() == 0 {
			t.Fatalf("%s: no match", sel)
		}
		return f
	}
	must(doc, "article.read__in#event-"+idStr, 1)
	must(doc, "h1.entry-title.p-name", 1)
	if v, _ := must(doc, "time.read__published", 1).Attr("datetime"); v != tr.Time.Format("2006-01-02") {
		t.Errorf("read__published %q", v)
	}
	if v := must(doc, "div.read__time", 1).Text(); v != tr.Time.Format("15:04") {
		t.Errorf("read__time %q", v)
	}
	must(doc, "div.entry-content.e-content.read__internal_content", 1)
	must(doc, ".read__internal_content .read__bottommeta .read__status", 1)
	must(doc, "div.read__status h3", 1)
	if must(doc, "article div.read__updated", 0); !tr.Updated.IsZero() {
		must(doc, "div.read > div.read__updated", 1)
	}
	must(doc, "#material_link", 1)
	if og, _ := must(doc, `meta[property="og:url"]`, 1).Attr("content"); og != RealBaseEN+"/events/president/news/"+idStr {
		t.Errorf("og:url %q (canonical is the news path)", og)
	}
	if dh, _ := must(doc, "div.read", 1).Attr("data-href"); dh != RealBaseEN+"/events/president/transcripts/"+idStr {
		t.Errorf("data-href %q (the path served)", dh)
	}
	if alt, _ := must(doc, `head link[rel=alternate][hreflang=ru]`, 1).Attr("href"); alt != RealBaseRU+"/events/president/transcripts/"+idStr {
		t.Errorf("hreflang ru %q", alt)
	}
	if !bytes.Contains(body, []byte("\u00a0")) {
		t.Error("no NBSP in the page")
	}
	if len(tr.Tags) > 0 {
		must(doc, ".read__tagscol h3", -1)
	}

	// print: same document, print.css for all media
	pdoc, _ := page("/events/president/news/" + idStr + "/print")
	must(pdoc, "article.read__in#event-"+idStr, 1)
	must(pdoc, `link[href="/static/css/print.css"][media=all]`, 1)
	if pdoc.Find("h1.entry-title").Text() != doc.Find("h1.entry-title").Text() {
		t.Error("print page has another title")
	}

	// announcement
	adoc, _ := page(docPath("news", ann.ID))
	must(adoc, "article.read__in.announce", 1)
	must(adoc, "time.read__published", 0)
	must(adoc, "div.read__time", 0)
	must(adoc, "div.announce_date", 1)
	must(adoc, ".read__status time", 1)

	// photos tab page: not a document
	phdoc, _ := page(docPath("news", photo.ID) + "/photos")
	must(phdoc, "article", 0)
	must(phdoc, "div.read__in", 1)
	must(phdoc, "h1.read__top_title", 1)
	must(phdoc, ".read__internal_content", 1)
	must(phdoc, "ul.photoset__list > li", photo.Photos)
	if _, st := s.Page(docPath("news", tr.ID) + "/photos"); tr.Photos == 0 && st != 404 {
		t.Errorf("photos tab of a doc without photos: %d", st)
	}

	// invalid byte
	ibody, _ := s.Page(docPath("news", inv.ID))
	if utf8.Valid(ibody) {
		t.Error("InvalidUTF8 page is valid UTF-8")
	}
	if n := len(ibody) - len(bytes.ToValidUTF8(ibody, nil)); n != 1 {
		t.Errorf("%d invalid bytes, want 1", n)
	}
	if !bytes.Contains(ibody, []byte{0xe3}) {
		t.Error("no 0xE3 byte")
	}
	if !strings.Contains(Expected(inv).Text, "\ufffd") {
		t.Error("Expected text of the invalid page lacks U+FFFD")
	}
}

func TestHiddenTagsAndTooltips(t *testing.T) {
	s := New(Options{N: 400, Seed: 13})
	var hidden, tooltip bool
	for _, d := range s.Docs() {
		interesting := len(d.Tags) > 5
		for _, p := range d.Paragraphs {
			interesting = interesting || (p.Kind == ParaTurn && len(p.Links) > 0)
		}
		if !interesting {
			continue
		}
		body, _ := s.Page(docPath(d.Canonical(), d.ID))
		doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if doc.Find(".read__tagscol.with_hidden_list li.hidden a[rel=tag]").Length() > 0 {
			hidden = true
			more := doc.Find("li.read__tagsmore").Text()
			n := doc.Find(".read__tagscol.with_hidden_list li.hidden").Length()
			if !strings.Contains(more, itoa(int64(n))+" more") {
				t.Errorf("doc %d: %q for %d hidden tags", d.ID, more, n)
			}
		}
		if doc.Find("p > b a.person_tag span.read__tooltip").Length() > 0 {
			tooltip = true
		}
	}
	if !hidden || !tooltip {
		t.Errorf("hidden tags seen: %v, tooltip inside a label seen: %v", hidden, tooltip)
	}
}

func TestRussianPage(t *testing.T) {
	s := New(Options{Lang: LangRU, N: 200, Seed: 14})
	var tr Doc
	for _, d := range s.Docs() {
		if len(d.Sections) == 2 {
			tr = d
			break
		}
	}
	body, _ := s.Page(docPath("news", tr.ID))
	if err := checkBalanced(body); err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if got := doc.Find("a.read__categ").Text(); got != "События" {
		t.Errorf("categ %q", got)
	}
	if got := collapse(doc.Find(".read__status h3").Text()); got != "Статус материала" {
		t.Errorf("status %q", got)
	}
	if !strings.Contains(doc.Find("title").Text(), "• Президент России") {
		t.Errorf("title %q", doc.Find("title").Text())
	}
	if !strings.Contains(doc.Find(".read__published").Text(), "года") {
		t.Errorf("date text %q", doc.Find(".read__published").Text())
	}
	if og, _ := doc.Find(`meta[property="og:url"]`).Attr("content"); !strings.HasPrefix(og, "http://kremlin.ru/") {
		t.Errorf("og:url %q", og)
	}
	e := Expected(tr)
	if len(e.Turns) == 0 || e.Turns[0].Speaker == "" {
		t.Fatal("no turns")
	}
	found := false
	for _, tu := range e.Turns {
		if tu.Speaker == "В.Путин" {
			found = true
		}
	}
	if !found {
		t.Errorf("no В.Путин turn in %+v", e.Turns)
	}
}

func TestErrorAndHomePages(t *testing.T) {
	s := New(Options{N: 10, Seed: 1})
	for _, p := range []string{"/nope", "/events/president/news/999999999", "/events/president/news/page/99", "/"} {
		body, _ := s.Page(p)
		if err := checkBalanced(body); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	body, st := s.Page("/nope")
	if st != 404 || !bytes.Contains(body, []byte("Page not found")) {
		t.Errorf("404 page: %d", st)
	}
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if doc.Find("article.read__in, .lister-page").Length() != 0 {
		t.Error("404 page looks like a document or listing")
	}
}

func TestCheckBalancedCatchesErrors(t *testing.T) {
	for _, bad := range []string{"<html><div></html>", "<html><p><b></p></b></html>", "<html><div>", "<html></html>x"} {
		if checkBalanced([]byte(bad)) == nil {
			t.Errorf("%q passed", bad)
		}
	}
	if err := checkBalanced([]byte(`<!doctype html> <!--[if IE 7 ]> <html class="ie7"> <![endif]--> <html><head><meta charset="utf-8"/></head><body><video><source src="x"></source></video><br/></body> </html>`)); err != nil {
		t.Error(err)
	}
}
