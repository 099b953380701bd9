package search

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// clause is one part of a user's query: a word or a quoted phrase,
// possibly excluded with a leading minus.
type clause struct {
	text   string
	phrase bool
	not    bool
}

// parseQuery splits a query into words, "quoted phrases" and -exclusions
// (-word, -"phrase"). An unterminated quote runs to the end.
func parseQuery(q string) []clause {
	var out []clause
	rs := []rune(q)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		not := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			not = true
			i++
		}
		if isQuote(rs[i]) {
			j := i + 1
			for j < len(rs) && !isQuote(rs[j]) {
				j++
			}
			if t := strings.TrimSpace(string(rs[i+1 : j])); t != "" {
				out = append(out, clause{text: t, phrase: true, not: not})
			}
			i = j + 1
			continue
		}
		j := i
		for j < len(rs) && !unicode.IsSpace(rs[j]) && !isQuote(rs[j]) {
			j++
		}
		out = append(out, clause{text: string(rs[i:j]), not: not})
		i = j
	}
	return out
}

func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '«', '»', '„':
		return true
	}
	return false
}

// analysed is a clause after the language's analysis: its terms (stems)
// in order, with their positions. A clause whose words are all stop words
// has none and is dropped.
type analysed struct {
	clause
	terms []string
	pos   []int
}

func analyse(an analysis.Analyzer, cs []clause) []analysed {
	var out []analysed
	for _, c := range cs {
		a := analysed{clause: c}
		for _, t := range an.Analyze([]byte(c.text)) {
			a.terms = append(a.terms, string(t.Term))
			a.pos = append(a.pos, t.Position)
		}
		if len(a.terms) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// clauseQuery matches one analysed clause. A word is a term query on its
// stem. A phrase (or a word the analyser splits, such as "Russia-China")
// is a phraseQuery: positions checked in the entries that hold all its
// terms and the pairs of its neighbouring common terms (see bigrams;
// common is nil for turns, which hold none); a phrase of two common terms
// is their pair alone, which says whether they stand at the phrase's
// distance with only stop words between.
func clauseQuery(a analysed, common map[string]bool) query.Query {
	// A phrase of one word and stop words ("the development of") is
	// that word: stop words are not indexed.
	if len(a.terms) == 1 {
		return term(fText, a.terms[0])
	}
	var pairs []string
	for i := 1; i < len(a.terms); i++ {
		x, y, d := []byte(a.terms[i-1]), []byte(a.terms[i]), a.pos[i]-a.pos[i-1]
		if (bigrams{common}).pair(x, y, d) {
			pairs = append(pairs, string(appendBigram(nil, x, y, d)))
		}
	}
	if len(a.terms) == 2 && len(pairs) == 1 {
		return term(fBigram, pairs[0])
	}
	return &phraseQuery{field: fText, terms: a.terms, pos: a.pos, pairs: pairs}
}

// Query is a search.
type Query struct {
	Q       string   // words, "phrases", -exclusions
	Lang    string   // "en", "ru" or "" (both)
	Section string   // listing (news) or publication section (Transcripts), any case
	From    string   // YYYY-MM-DD, inclusive
	To      string   // YYYY-MM-DD, inclusive
	Speaker string   // a speaker key (persons/90, head-of-state/putin, label:…) or a label as printed
	Tags    []string // catalog keys (persons/90, countries/BY, keywords/45) or kind:text; all must match
	Place   string   // place as printed, any case
	Sort    string   // "relevance" (default with words), "date" (newest first; default without), "oldest"
	Limit   int      // hits per page (default 20, at most 100)
	Offset  int      // hits to skip (at most 10,000)
	// Facets asks for facet counts.
	Facets bool
}

// Sort orders.
const (
	SortRelevance = "relevance"
	SortDate      = "date"
	SortOldest    = "oldest"
)

// Limits of a query.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxOffset    = 10000
)

// Normalize checks q and fills its defaults.
func (q *Query) Normalize() error {
	q.Q = strings.TrimSpace(q.Q)
	if q.Lang != "" && q.Lang != "en" && q.Lang != "ru" {
		return fmt.Errorf("lang must be en or ru (got %q)", q.Lang)
	}
	for _, d := range []*string{&q.From, &q.To} {
		*d = strings.TrimSpace(*d)
		if *d == "" {
			continue
		}
		if len(*d) == 4 { // a year
			if d == &q.From {
				*d += "-01-01"
			} else {
				*d += "-12-31"
			}
		}
		if _, err := time.Parse(time.DateOnly, *d); err != nil {
			return fmt.Errorf("dates are YYYY-MM-DD (got %q)", *d)
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return fmt.Errorf("from (%s) is after to (%s)", q.From, q.To)
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
		if !hasWords(q.Q) {
			q.Sort = SortDate
		}
	case SortRelevance, SortDate, SortOldest:
	case "newest":
		q.Sort = SortDate
	default:
		return fmt.Errorf("sort must be relevance, date or oldest (got %q)", q.Sort)
	}
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	if q.Offset < 0 {
		q.Offset = 0
	}
	if q.Offset > MaxOffset {
		return fmt.Errorf("offset is at most %d: narrow the search", MaxOffset)
	}
	var tags []string
	for _, t := range q.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	q.Tags = tags
	q.Speaker = strings.TrimSpace(q.Speaker)
	q.Place = strings.TrimSpace(q.Place)
	q.Section = strings.TrimSpace(q.Section)
	return nil
}

// hasWords reports whether q has a clause that is not an exclusion.
func hasWords(q string) bool {
	for _, c := range parseQuery(q) {
		if !c.not {
			return true
		}
	}
	return false
}

// Turns reports whether the hits of q are speaker turns (a speaker filter)
// rather than documents.
func (q *Query) Turns() bool { return q.Speaker != "" }

func term(field, v string) query.Query {
	t := query.NewTermQuery(v)
	t.SetField(field)
	return t
}

// filters are the non-text conditions of q, for entries of kind typ.
func (q *Query) filters(typ string) []query.Query {
	var fs []query.Query
	if q.Section != "" {
		fs = append(fs, term(fSection, strings.ToLower(q.Section)))
	}
	if q.From != "" || q.To != "" {
		var from, to time.Time
		t := true
		if q.From != "" {
			from, _ = time.Parse(time.DateOnly, q.From)
		}
		if q.To != "" {
			to, _ = time.Parse(time.DateOnly, q.To)
			to = to.AddDate(0, 0, 1)
		}
		f := false
		dq := query.NewDateRangeInclusiveQuery(from, to, &t, &f)
		dq.SetField(fDate)
		fs = append(fs, dq)
	}
	if q.Speaker != "" && typ == typeTurn {
		fs = append(fs, query.NewDisjunctionQuery([]query.Query{
			term(fSpeaker, q.Speaker), term(fLabel, normLabel(q.Speaker))}))
	}
	for _, t := range q.Tags {
		v := t
		if !strings.Contains(t, "/") {
			if kind, text, ok := strings.Cut(t, ":"); ok {
				v = kind + ":" + normLabel(text)
			}
		}
		fs = append(fs, term(fTag, v))
	}
	if q.Place != "" {
		fs = append(fs, term(fPlace, normLabel(q.Place)))
	}
	return fs
}

// build is q's bleve query in one language for entries of kind typ, or
// nil when it cannot match (every word is a stop word).
func (q *Query) build(an analysis.Analyzer, lang, typ string, common map[string]bool) (query.Query, []analysed) {
	cs := analyse(an, parseQuery(q.Q))
	must := q.filters(typ)
	var not []query.Query
	words := 0
	for _, c := range cs {
		cq := clauseQuery(c, common)
		if c.not {
			not = append(not, cq)
		} else {
			must = append(must, cq)
			words++
		}
	}
	if words == 0 && hasWords(q.Q) {
		return nil, nil // only stop words
	}
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	bq := query.NewBooleanQuery(must, nil, not)
	return bq, cs
}

// QueryOf reads a search from URL parameters (the page and the API take
// the same ones).
func QueryOf(v url.Values) (Query, error) {
	q := Query{
		Q: v.Get("q"), Lang: v.Get("lang"), Section: v.Get("section"), From: v.Get("from"), To: v.Get("to"),
		Speaker: v.Get("speaker"), Tags: v["tag"], Place: v.Get("place"), Sort: v.Get("sort"),
	}
	for _, p := range []struct {
		name string
		to   *int
	}{{"limit", &q.Limit}, {"offset", &q.Offset}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return q, fmt.Errorf("%s must be a number (got %q)", p.name, s)
			}
			*p.to = n
		}
	}
	return q, q.Normalize()
}
