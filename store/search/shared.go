package search

import (
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// sharedAnalyzer is the type of the analysers of a document's text field
// and its bigram field: both analyse the same text with the language's
// analyser, so the first of the two to run (bleve visits a document's
// fields in no fixed order) keeps its terms for the other, and the text
// is analysed once (analysis is most of what building the index costs).
// The bigram field's analyser then applies its filter (the pairs) to the
// terms.
const sharedAnalyzer = "kremlin_shared"

type sharedAnalysis struct {
	name   string // of the language's analyser
	base   analysis.Analyzer
	filter analysis.TokenFilter // nil for the text field
}

func (a *sharedAnalysis) Analyze(input []byte) analysis.TokenStream {
	ts := analyses.get(a.name, input, a.base)
	if a.filter != nil {
		return a.filter.Filter(ts)
	}
	return ts
}

// analyses holds the terms of texts analysed for one of their two fields
// until the other takes them.
var analyses = &memo{m: map[string]analysis.TokenStream{}}

type memo struct {
	mu sync.Mutex
	m  map[string]analysis.TokenStream
}

// memoMax bounds the memo should a text's second field never come (it
// holds the texts of the documents being analysed, a few at a time).
const memoMax = 256

func (m *memo) get(name string, input []byte, base analysis.Analyzer) analysis.TokenStream {
	key := name + "\x00" + string(input)
	m.mu.Lock()
	if ts, ok := m.m[key]; ok {
		delete(m.m, key)
		m.mu.Unlock()
		return ts
	}
	m.mu.Unlock()
	ts := base.Analyze(input)
	m.mu.Lock()
	if len(m.m) >= memoMax {
		clear(m.m)
	}
	m.m[key] = ts
	m.mu.Unlock()
	return ts
}

func init() {
	registry.RegisterAnalyzer(sharedAnalyzer, func(config map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
		// The language's analyser is built here from its parts: a
		// mapping read back from disk builds its analysers in no fixed
		// order, so this one cannot name another.
		name, _ := config["analyzer"].(string)
		tn, _ := config["tokenizer"].(string)
		tok, err := cache.TokenizerNamed(tn)
		if err != nil {
			return nil, fmt.Errorf("%s: tokenizer %q: %w", sharedAnalyzer, tn, err)
		}
		base := &analysis.DefaultAnalyzer{Tokenizer: tok}
		for _, fn := range stringsOf(config["token_filters"]) {
			tf, err := cache.TokenFilterNamed(fn)
			if err != nil {
				return nil, fmt.Errorf("%s: filter %q: %w", sharedAnalyzer, fn, err)
			}
			base.TokenFilters = append(base.TokenFilters, tf)
		}
		a := &sharedAnalysis{name: name, base: base}
		if f, _ := config["filter"].(string); f != "" {
			if a.filter, err = cache.TokenFilterNamed(f); err != nil {
				return nil, fmt.Errorf("%s: filter %q: %w", sharedAnalyzer, f, err)
			}
		}
		return a, nil
	})
}
