package kremlin

import (
	"strings"
	"testing"
	"time"
)

// TestHostileInputs feeds pathological bodies: deep nesting, huge
// paragraphs, unclosed formatting elements. They must neither panic nor
// take unreasonably long.
func TestHostileInputs(t *testing.T) {
	docHead := `<html><body><div class="read"><article class="read__in" id="event-1"><h1 class="entry-title">T</h1><div class="read__internal_content">`
	docTail := `</div></article></div></body></html>`
	cases := map[string]string{
		"deep divs":      docHead + strings.Repeat("<div>", 100000) + "x" + docTail,
		"deep bold":      docHead + "<p>" + strings.Repeat("<b>", 100000) + "Name: x</p>" + docTail,
		"deep spans":     docHead + "<p>" + strings.Repeat("<span>", 100000) + "x</p>" + docTail,
		"unclosed links": docHead + strings.Repeat("<p><a href=x><b>Name:</b> text ", 20000) + docTail,
		"many paras":     docHead + strings.Repeat("<p><b>Vladimir Putin:</b> Thank you.</p>", 50000) + docTail,
		"huge para":      docHead + "<p><b>" + strings.Repeat("word ", 400000) + ":</b> x</p>" + docTail,
		"many parens":    docHead + "<p><b>Name</b> " + strings.Repeat("(", 100000) + ":</p>" + docTail,
		"nested lists":   docHead + strings.Repeat("<ul><li>", 30000) + "x" + docTail,
		"listing":        `<html><div class="lister-page">` + strings.Repeat(`<div class="hentry" data-id="5"><a href="/events/x/5">t</a><time class="published" datetime="2020-01-01">January 1, 2020, 10:00</time></div>`, 20000) + `</div></html>`,
		"nested hentry":  `<html><div class="lister-page">` + strings.Repeat(`<div class="hentry" data-id="5">`, 20000) + `</div></html>`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			// A hang or a panic fails the test (go test's own timeout
			// bounds it; how long it takes is logged, not asserted: the
			// machine may be shared). Each parser answers something.
			start := time.Now()
			doc, err := ParseDocument([]byte(body), "/events/president/news/1", Options{Lang: "en"})
			if doc == nil && err == nil {
				t.Error("ParseDocument: neither a document nor an error")
			}
			l, err := ParseListing([]byte(body), "/events/president/news")
			if l == nil && err == nil {
				t.Error("ParseListing: neither a listing nor an error")
			}
			_ = Classify([]byte(body), "/events/president/news/1")
			t.Logf("%v for %d bytes", time.Since(start), len(body))
		})
	}
}
