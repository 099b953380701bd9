package search

import (
	"html"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// snippetLen is the length of a snippet in characters, about.
const snippetLen = 280

// highlighter marks the words of a text whose stems are query terms.
type highlighter struct {
	an    analysis.Analyzer
	terms map[string]bool
}

func newHighlighter(an analysis.Analyzer, cs []analysed) *highlighter {
	h := &highlighter{an: an, terms: map[string]bool{}}
	for _, c := range cs {
		if c.not {
			continue
		}
		for _, t := range c.terms {
			h.terms[t] = true
		}
	}
	return h
}

type span struct{ start, end int }

// matches returns the byte spans of the words of s that match.
func (h *highlighter) matches(s string) ([]span, int) {
	if len(h.terms) == 0 {
		return nil, 0
	}
	var out []span
	distinct := map[string]bool{}
	for _, t := range h.an.Analyze([]byte(s)) {
		if h.terms[string(t.Term)] {
			out = append(out, span{t.Start, t.End})
			distinct[string(t.Term)] = true
		}
	}
	return out, len(distinct)
}

// Snippet returns the passage of text (paragraphs separated by "\n\n")
// that matches best, as HTML: the text escaped, the matching words in
// <mark>. found is false when nothing matched; the snippet is then the
// beginning of the text.
func (h *highlighter) Snippet(text string) (snippet string, found bool) {
	best, bestScore := "", -1
	var bestSpans []span
	for _, p := range strings.Split(text, "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		spans, distinct := h.matches(p)
		score := distinct*1000 + len(spans)
		if len(spans) == 0 {
			score = -1
		}
		if score > bestScore || best == "" {
			best, bestScore, bestSpans = p, score, spans
		}
		if distinct == len(h.terms) && distinct > 0 {
			break // every term in one paragraph: good enough
		}
	}
	return render(best, bestSpans), len(bestSpans) > 0
}

// render cuts a window of about snippetLen characters around the first
// match (or the beginning) of p and marks the spans inside it.
func render(p string, spans []span) string {
	start, end := 0, len(p)
	if utf8.RuneCountInString(p) > snippetLen {
		if len(spans) > 0 {
			start = backChars(p, spans[0].start, snippetLen/4)
		}
		end = fwdChars(p, start, snippetLen)
		// whole words
		if start > 0 {
			if i := strings.IndexByte(p[start:end], ' '); i >= 0 && i < 40 {
				start += i + 1
			}
		}
		if end < len(p) {
			if i := strings.LastIndexByte(p[start:end], ' '); i > 0 && end-start-i < 40 {
				end = start + i
			}
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	pos := start
	for _, s := range spans {
		if s.start < pos || s.end > end {
			continue
		}
		b.WriteString(html.EscapeString(p[pos:s.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(p[s.start:s.end]))
		b.WriteString("</mark>")
		pos = s.end
	}
	b.WriteString(html.EscapeString(p[pos:end]))
	if end < len(p) {
		b.WriteString(" …")
	}
	return b.String()
}

// backChars moves back n characters from byte offset i of s.
func backChars(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, w := utf8.DecodeLastRuneInString(s[:i])
		i -= w
	}
	return i
}

// fwdChars moves forward n characters from byte offset i of s.
func fwdChars(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// Marker returns a function that escapes a paragraph and marks its words
// that match the words and phrases of the query q in lang, for showing a
// document found by a search with its matches marked. With no words it
// only escapes.
func (ix *Index) Marker(lang, q string) func(string) string {
	if ix.bi(lang, typeDoc) == nil || !hasWords(q) {
		return html.EscapeString
	}
	an := ix.analyzer(lang)
	h := newHighlighter(an, analyse(an, parseQuery(q)))
	return func(p string) string {
		spans, _ := h.matches(p)
		var b strings.Builder
		pos := 0
		for _, s := range spans {
			b.WriteString(html.EscapeString(p[pos:s.start]))
			b.WriteString("<mark>")
			b.WriteString(html.EscapeString(p[s.start:s.end]))
			b.WriteString("</mark>")
			pos = s.end
		}
		b.WriteString(html.EscapeString(p[pos:]))
		return b.String()
	}
}
