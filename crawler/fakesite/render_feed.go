package fakesite

import (
	"strings"
	"time"
)

// feedTime writes a Moscow wall-clock time with the stale "+04:00" label
// the site's feeds carry (SPEC §2.4): the wall clock equals the page's
// Moscow time whatever the real offset was.
func feedTime(t time.Time) string {
	return t.In(Moscow).Format("2006-01-02T15:04:05") + "+04:00"
}

// renderFeed renders page p of section sec's Atom feed (20 full-text
// entries, like the HTML listing).
func (rd *renderer) renderFeed(v listingView) []byte {
	l := rd.l
	secURL := rd.abs(rd.sectionPath(v.sec))
	feedURL := secURL + "/feed"
	pageURL := func(p int) string {
		if p <= 1 {
			return feedURL
		}
		return feedURL + "/page/" + itoa(int64(p))
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" ?><?xml-stylesheet type="text/xsl" href="/static/xsl/feed.xsl?571da04668" ?><feed xml:lang="` + l.lang + `" xmlns="http://www.w3.org/2005/Atom"><title type="text">`)
	if l.lang == LangRU {
		b.WriteString(`Президент России: Президент: ` + escText(l.sectionName(v.sec)))
	} else {
		b.WriteString(`Website of the President of Russia: President: ` + escText(l.sectionName(v.sec)))
	}
	b.WriteString(`</title><author><name>Presidential Press and Information Office</name></author>`)
	if len(v.items) > 0 {
		b.WriteString(`<updated>` + feedTime(updatedOrPub(v.items[0])) + `</updated>`)
	}
	b.WriteString(`<id>` + feedURL + `</id><link href="` + pageURL(v.page) + `" rel="self" /><link href="` + feedURL + `" rel="first" />`)
	if v.page > 1 {
		b.WriteString(`<link href="` + pageURL(v.page-1) + `" rel="previous" />`)
	}
	if v.page < v.pages {
		b.WriteString(`<link href="` + pageURL(v.page+1) + `" rel="next" />`)
	}
	b.WriteString(`<link href="` + pageURL(v.pages) + `" rel="last" /><link href="` + secURL + `" hreflang="` + l.lang + `" rel="alternate" type="text/html" />`)
	for _, d := range v.items {
		u := rd.abs(docPath(v.sec, d.ID))
		b.WriteString(`<entry><title>` + escText(normalize(d.Title)) + `</title><id>` + u + `</id><updated>` + feedTime(updatedOrPub(d)) + `</updated><published>` + feedTime(d.Time) + `</published><link href="` + u + `" hreflang="` + l.lang + `" rel="alternate" type="text/html" />`)
		summary := `<div class="c-summary" style="font-size: 1.2em"><p>` + escText(d.Lead) + `</p></div>  `
		b.WriteString(`<summary type="html">` + escText(summary) + `</summary><content type="html">` + escText(summary+feedBody(d)) + `</content></entry>`)
	}
	b.WriteString(`</feed>`)
	return finishPage(b.String())
}

func updatedOrPub(d *Doc) time.Time {
	if d.Updated.IsZero() {
		return d.Time
	}
	return d.Updated
}

// feedBody is the plain body HTML of a feed entry: paragraphs with bold
// labels, no media, no hover cards, no NBSPs.
func feedBody(d *Doc) string {
	var b strings.Builder
	badPara, badOff, bad := -1, 0, false
	if d.InvalidUTF8 {
		badPara, badOff, bad = invalidSpot(d)
	}
	for i, p := range d.Paragraphs {
		text := p.Text
		if bad && i == badPara {
			text = replaceRuneAt(text, badOff, invalidSentinel)
		}
		switch p.Kind {
		case ParaText:
			b.WriteString(`<p>` + escText(text) + `</p>`)
		case ParaQuote:
			b.WriteString(`<blockquote><p>` + escText(text) + `</p></blockquote>`)
		case ParaRule:
			b.WriteString(`<p><b>* * *</b></p>`)
		case ParaElision:
			b.WriteString(`<p>&lt;…&gt;</p>`)
		case ParaHeading:
			b.WriteString(`<p><b>` + escText(text) + `</b></p>`)
		case ParaTurn:
			if p.Note != "" {
				b.WriteString(`<p><b>` + escText(p.Speaker) + `</b> (<i>` + escText(p.Note) + `</i>): ` + escText(text) + `</p>`)
			} else {
				b.WriteString(`<p><b>` + escText(p.Speaker) + `:</b> ` + escText(text) + `</p>`)
			}
		}
	}
	b.WriteString(" ")
	return b.String()
}
