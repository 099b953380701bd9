package search

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Result of a search.
type Result struct {
	Total uint64
	Took  time.Duration
	// Turns is true when the hits are speaker turns (a speaker filter):
	// Total and the facet counts then count turns, not documents.
	Turns  bool
	Hits   []Hit
	Facets map[string][]FacetValue
	// StopWordsOnly is true when every word of the query is too common to
	// be indexed ("the", "и"): nothing can match.
	StopWordsOnly bool
}

// Hit is one document, or one speaker turn, that matches.
type Hit struct {
	ID    int64
	Lang  string
	Title string
	Date  string // YYYY-MM-DD or ""
	URL   string
	// Speaker is the label of the speaker who said the passage, as
	// printed, and SpeakerKey their group (see SpeakerGroup); "" when the
	// passage is not part of a turn.
	Speaker    string
	SpeakerKey string
	Turn       int // the turn's number (0 = first) or -1
	// Snippet is the matching passage as HTML: the text escaped, the
	// matches in <mark>.
	Snippet string
	Score   float64
}

// FacetValue is one value of a facet: the filter value, its label as
// printed, and how many hits have it.
type FacetValue struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// facetNames are the facets, in display order. With a speaker filter they
// count turns; otherwise documents (the speaker facet: documents in which
// that speaker has a turn).
var facetNames = []string{"lang", "section", "year", "persons", "topics", "geography", "place", "speaker"}

// FacetNames lists the facets a search returns, in display order.
func FacetNames() []string {
	return slices.Clone(facetNames)
}

// facetShown is how many values of each facet a result keeps (years: all).
const facetShown = 10

func (ix *Index) analyzer(lang string) analysis.Analyzer {
	return ix.bi(lang, typeDoc).Mapping().AnalyzerNamed(analyzerFor(lang))
}

func sortOrder(s string) []string {
	switch s {
	case SortDate:
		return []string{"-" + fDate, "-_score"}
	case SortOldest:
		return []string{fDate, "-_score"}
	}
	return []string{"-_score"}
}

type langResult struct {
	lang    string
	res     *bleve.SearchResult
	clauses []analysed
	sort    bsearch.SortOrder
	err     error
}

// Search runs q. It never opens the archive: everything it returns comes
// from the index.
func (ix *Index) Search(ctx context.Context, q Query) (*Result, error) {
	t0 := time.Now()
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	key := cacheKey(q, ix.generation())
	if r, ok := ix.cache.get(key); ok {
		c := *r
		c.Took = time.Since(t0)
		return &c, nil
	}
	if ix.set.Load() == nil { // before the first update: nothing yet
		return &Result{Facets: ix.facetValues(nil, q.Lang), Took: time.Since(t0)}, nil
	}
	res, err := ix.search(ctx, q, t0)
	ix.nudge()
	if err == nil {
		ix.cache.put(key, res)
	}
	return res, err
}

func (ix *Index) search(ctx context.Context, q Query, t0 time.Time) (*Result, error) {
	langs := Langs
	if q.Lang != "" {
		langs = []string{q.Lang}
	}
	typ := typeDoc
	if q.Turns() {
		typ = typeTurn
	}
	rs := make([]*langResult, len(langs))
	var wg sync.WaitGroup
	for i, l := range langs {
		lr := &langResult{lang: l}
		rs[i] = lr
		var common map[string]bool
		if typ == typeDoc {
			common = ix.common(l)
		}
		bq, cs := q.build(ix.analyzer(l), l, typ, common)
		lr.clauses = cs
		if bq == nil {
			continue
		}
		req := bleve.NewSearchRequestOptions(bq, q.Offset+q.Limit, 0, false)
		req.SortBy(sortOrder(q.Sort))
		lr.sort = req.Sort
		req.Fields = []string{fDoc, fTitleS, fDateS, fURL}
		if typ == typeTurn {
			req.Fields = []string{fDoc, fSpeakerS, fSpeaker, fTurn, fSpeech}
		}
		if q.Facets {
			req.AddFacet(fFacet, bleve.NewFacetRequest(fFacet, 1<<20))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lr.res, lr.err = ix.bi(l, typ).SearchInContext(ctx, req)
		}()
	}
	wg.Wait()

	out := &Result{Turns: typ == typeTurn, Facets: map[string][]FacetValue{}}
	var hits []*bsearch.DocumentMatch
	var order bsearch.SortOrder
	facets := bsearch.FacetResults{}
	analysedAny := false
	for _, lr := range rs {
		if lr.err != nil {
			return nil, lr.err
		}
		if lr.res == nil {
			continue
		}
		analysedAny = true
		order = lr.sort
		out.Total += lr.res.Total
		hits = append(hits, lr.res.Hits...)
		facets.Merge(lr.res.Facets)
	}
	out.StopWordsOnly = !analysedAny && hasWords(q.Q)
	if order != nil && len(rs) > 1 {
		cs, cd := order.CacheIsScore(), order.CacheDescending()
		slices.SortStableFunc(hits, func(a, b *bsearch.DocumentMatch) int { return order.Compare(cs, cd, a, b) })
	}
	if q.Offset < len(hits) {
		hits = hits[q.Offset:min(len(hits), q.Offset+q.Limit)]
	} else {
		hits = nil
	}
	for _, h := range hits {
		out.Hits = append(out.Hits, hitOf(h))
	}
	if typ == typeTurn {
		if err := ix.docFields(ctx, out.Hits); err != nil {
			return nil, err
		}
	}
	if err := ix.snippets(ctx, q, rs, out.Hits); err != nil {
		return nil, err
	}
	if q.Facets {
		out.Facets = ix.facetValues(facets, q.Lang)
		for _, lr := range rs {
			if lr.res != nil && lr.res.Total > 0 {
				out.Facets["lang"] = append(out.Facets["lang"], FacetValue{Value: lr.lang, Label: lr.lang, Count: int(lr.res.Total)})
			}
		}
	}
	out.Took = time.Since(t0)
	return out, nil
}

func str(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []interface{}:
		if len(x) > 0 {
			return str(x[0])
		}
	}
	return ""
}

func num(v interface{}) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	return -1
}

// splitKey parses a document key ("en/71326").
func splitKey(k string) (string, int64) {
	lang, id, _ := strings.Cut(k, "/")
	n, _ := strconv.ParseInt(id, 10, 64)
	return lang, n
}

func hitOf(h *bsearch.DocumentMatch) Hit {
	lang, id := splitKey(str(h.Fields[fDoc]))
	out := Hit{ID: id, Lang: lang, Title: str(h.Fields[fTitleS]), Date: str(h.Fields[fDateS]),
		URL: str(h.Fields[fURL]), Score: h.Score, Turn: -1}
	if _, ok := h.Fields[fSpeech]; ok {
		out.Speaker = str(h.Fields[fSpeakerS])
		out.SpeakerKey = str(h.Fields[fSpeaker])
		out.Turn = num(h.Fields[fTurn])
		out.Snippet = str(h.Fields[fSpeech]) // highlighted by snippets
	}
	return out
}

// snippets fills the passage of each hit: for a turn, the turn itself;
// for a document, the turn of it that matches best (with its speaker),
// else the paragraph of its lead and text that matches best.
func (ix *Index) snippets(ctx context.Context, q Query, rs []*langResult, hits []Hit) error {
	for _, lr := range rs {
		h := newHighlighter(ix.analyzer(lr.lang), lr.clauses)
		var docHits []*Hit
		for i := range hits {
			hit := &hits[i]
			if hit.Lang != lr.lang {
				continue
			}
			if hit.Turn >= 0 {
				hit.Snippet, _ = h.Snippet(hit.Snippet)
				continue
			}
			docHits = append(docHits, hit)
		}
		if len(docHits) == 0 {
			continue
		}
		if len(h.terms) > 0 {
			if err := ix.passages(ctx, q, lr, h, docHits); err != nil {
				return err
			}
		}
		for _, hit := range docHits {
			if hit.Snippet != "" {
				continue
			}
			r, err := ix.Record(hit.Lang, hit.ID)
			if err != nil || r == nil {
				continue
			}
			text := r.Text
			if r.Lead != "" {
				text = r.Lead + "\n\n" + text
			}
			hit.Snippet, _ = h.Snippet(text)
		}
	}
	return nil
}

// docFields fills the title, date and URL of turn hits from their
// documents' entries (turn entries do not store them: there are several
// times more turns than documents), in one search per language.
func (ix *Index) docFields(ctx context.Context, hits []Hit) error {
	for _, l := range Langs {
		var keys []query.Query
		byKey := map[string][]*Hit{}
		for i := range hits {
			if hits[i].Lang != l {
				continue
			}
			k := DocKey(l, hits[i].ID)
			if byKey[k] == nil {
				keys = append(keys, term(fDoc, k))
			}
			byKey[k] = append(byKey[k], &hits[i])
		}
		if len(keys) == 0 {
			continue
		}
		req := bleve.NewSearchRequestOptions(query.NewDisjunctionQuery(keys), len(keys), 0, false)
		req.Fields = []string{fDoc, fTitleS, fDateS, fURL}
		req.Score = "none"
		res, err := ix.bi(l, typeDoc).SearchInContext(ctx, req)
		if err != nil {
			return err
		}
		for _, m := range res.Hits {
			for _, h := range byKey[str(m.Fields[fDoc])] {
				h.Title, h.Date, h.URL = str(m.Fields[fTitleS]), str(m.Fields[fDateS]), str(m.Fields[fURL])
			}
		}
	}
	return nil
}

// passages finds, in one search, the best matching turn of each document hit.
func (ix *Index) passages(ctx context.Context, q Query, lr *langResult, h *highlighter, docHits []*Hit) error {
	var keys []query.Query
	byKey := map[string]*Hit{}
	for _, hit := range docHits {
		k := DocKey(hit.Lang, hit.ID)
		keys = append(keys, term(fDoc, k))
		byKey[k] = hit
	}
	must := []query.Query{query.NewDisjunctionQuery(keys)}
	var not []query.Query
	for _, c := range lr.clauses {
		cq := clauseQuery(c, nil) // turns have no pairs
		if c.not {
			not = append(not, cq)
		} else {
			must = append(must, cq)
		}
	}
	req := bleve.NewSearchRequestOptions(query.NewBooleanQuery(must, nil, not), 4*len(docHits), 0, false)
	req.Fields = []string{fDoc, fSpeakerS, fSpeaker, fTurn, fSpeech}
	res, err := ix.bi(lr.lang, typeTurn).SearchInContext(ctx, req)
	if err != nil {
		return err
	}
	for _, m := range res.Hits {
		hit := byKey[str(m.Fields[fDoc])]
		if hit == nil || hit.Snippet != "" {
			continue
		}
		s, found := h.Snippet(str(m.Fields[fSpeech]))
		if !found {
			continue
		}
		hit.Snippet, hit.Speaker, hit.SpeakerKey, hit.Turn = s, str(m.Fields[fSpeakerS]), str(m.Fields[fSpeaker]), num(m.Fields[fTurn])
	}
	return nil
}

// facetValues splits the facet field's counts into facets with labels,
// merging the values of both languages (a person has one key and two
// labels) and keeping the most frequent.
func (ix *Index) facetValues(fr bsearch.FacetResults, lang string) map[string][]FacetValue {
	out := map[string][]FacetValue{}
	at := map[string]map[string]int{}
	for _, name := range facetNames {
		out[name] = []FacetValue{}
		at[name] = map[string]int{}
	}
	if r := fr[fFacet]; r != nil && r.Terms != nil {
		for _, t := range r.Terms.Terms() {
			code, v, ok := strings.Cut(t.Term, ":")
			name := facetNameOf[code]
			if !ok || name == "" {
				continue
			}
			if i, ok := at[name][v]; ok {
				out[name][i].Count += t.Count
				continue
			}
			label, ok := ix.labels.label(lang, t.Term)
			if !ok {
				label = v
			}
			at[name][v] = len(out[name])
			out[name] = append(out[name], FacetValue{Value: v, Label: label, Count: t.Count})
		}
	}
	for name, vals := range out {
		if name == "year" {
			slices.SortFunc(vals, func(a, b FacetValue) int { return strings.Compare(b.Value, a.Value) })
			continue
		}
		slices.SortStableFunc(vals, func(a, b FacetValue) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Label, b.Label)
		})
		if len(vals) > facetShown {
			out[name] = vals[:facetShown]
		}
	}
	return out
}

// Record returns the export record of a document as indexed (the archive
// holds the authoritative copy), or nil when the index lacks it.
func (ix *Index) Record(lang string, id int64) (*record.Record, error) {
	bi := ix.bi(lang, typeDoc)
	if bi == nil {
		return nil, nil
	}
	doc, err := bi.Document(DocKey(lang, id))
	if err != nil || doc == nil {
		return nil, err
	}
	var raw []byte
	doc.VisitFields(func(f index.Field) {
		if f.Name() == fRec {
			raw = f.Value()
		}
	})
	if raw == nil {
		return nil, nil
	}
	var r record.Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	r.Normalize()
	return &r, nil
}

// Has reports whether the index holds document lang/id.
func (ix *Index) Has(lang string, id int64) bool {
	bi := ix.bi(lang, typeDoc)
	if bi == nil {
		return false
	}
	doc, err := bi.Document(DocKey(lang, id))
	return err == nil && doc != nil
}
