package search

import (
	"context"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// phraseQuery matches a phrase: its terms at their distances (a stop
// word's place, not indexed, may hold any word) in field, in the entries
// that also hold its pairs (see bigrams). It replaces bleve's phrase query,
// which, advanced to an entry by the other parts of a search (the pairs,
// a filter), checks positions in every entry after it until one matches:
// here only the entries that hold every term and every pair are checked,
// each once.
type phraseQuery struct {
	field string
	terms []string // in order, repeated terms repeated
	pos   []int    // their positions, as analysed
	pairs []string // terms of fBigram that the entries must hold
}

func (q *phraseQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, o search.SearcherOptions) (search.Searcher, error) {
	var ss []search.Searcher
	fail := func(err error) (search.Searcher, error) {
		for _, s := range ss {
			s.Close()
		}
		return nil, err
	}
	for _, p := range q.pairs {
		s, err := searcher.NewTermSearcher(ctx, r, p, fBigram, 1, o)
		if err != nil {
			return fail(err)
		}
		ss = append(ss, s)
	}
	vo := o
	vo.IncludeTermVectors = true // the positions
	for i, t := range q.terms {
		if slices.Contains(q.terms[:i], t) {
			continue
		}
		s, err := searcher.NewTermSearcher(ctx, r, t, q.field, 1, vo)
		if err != nil {
			return fail(err)
		}
		ss = append(ss, s)
	}
	conj, err := searcher.NewConjunctionSearcher(ctx, r, ss, o)
	if err != nil {
		return fail(err)
	}
	return &phraseSearcher{Searcher: conj, q: q, at: map[string][]uint64{}}, nil
}

// phraseSearcher passes on the entries of its conjunction whose positions
// hold the phrase.
type phraseSearcher struct {
	search.Searcher
	q  *phraseQuery
	at map[string][]uint64 // positions of each term in the entry checked (reused)
}

func (s *phraseSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	return s.first(ctx, dm, err)
}

func (s *phraseSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	return s.first(ctx, dm, err)
}

// first returns dm or the first entry after it that holds the phrase.
func (s *phraseSearcher) first(ctx *search.SearchContext, dm *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	for err == nil && dm != nil {
		if s.holds(dm) {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
		dm, err = s.Searcher.Next(ctx)
	}
	return dm, err
}

// holds reports whether the entry has the phrase's terms at the phrase's
// distances.
func (s *phraseSearcher) holds(dm *search.DocumentMatch) bool {
	for k, v := range s.at {
		s.at[k] = v[:0]
	}
	for _, l := range dm.FieldTermLocations {
		if l.Field == s.q.field {
			s.at[l.Term] = append(s.at[l.Term], l.Location.Pos)
		}
	}
	for _, ps := range s.at {
		slices.Sort(ps)
	}
	q := s.q
	for _, p := range s.at[q.terms[0]] {
		all := true
		for i := 1; i < len(q.terms) && all; i++ {
			// positions grow along the phrase: q.pos[i] >= q.pos[0]
			_, all = slices.BinarySearch(s.at[q.terms[i]], p+uint64(q.pos[i]-q.pos[0]))
		}
		if all {
			return true
		}
	}
	return false
}
