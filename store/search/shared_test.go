package search

import (
	"bytes"
	"slices"
	"testing"
)

// TestSharedAnalysis: whichever of a document's two fields is analysed
// first, each gets what its own analyser gives, and the memo keeps
// nothing once both have been analysed.
func TestSharedAnalysis(t *testing.T) {
	m, err := newMapping("en", typeDoc, []string{"russian", "econom", "develop"})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("Russian economic development.\n\nThe development of Russian economic ties.")
	// Each call on its own copy, as bleve gives each field its own bytes
	// (analysis lowercases them in place).
	terms := func(name string) []string {
		var out []string
		for _, tk := range m.AnalyzerNamed(name).Analyze(bytes.Clone(text)) {
			out = append(out, string(tk.Term))
		}
		return out
	}
	wantText := terms(analyzerEN)
	wantPairs := []string{"russian econom", "econom develop", "develop _ russian", "russian econom"}
	held := func() int {
		analyses.mu.Lock()
		defer analyses.mu.Unlock()
		return len(analyses.m)
	}
	before := held()
	for _, order := range [][]string{{indexSuffix, pairsSuffix}, {pairsSuffix, indexSuffix}} {
		for _, suffix := range order {
			got := terms(analyzerEN + suffix)
			want := wantText
			if suffix == pairsSuffix {
				want = wantPairs
			}
			if !slices.Equal(got, want) {
				t.Errorf("order %v: %s: %q, want %q", order, suffix, got, want)
			}
		}
		if n := held() - before; n != 0 {
			t.Errorf("order %v: the memo keeps %d more analyses", order, n)
		}
	}
}

// Only a document index keeps the common terms: a turn index has no
// bigram field to use them.
func TestCommonTermsInDocMappingOnly(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		want int
	}{{typeDoc, 2}, {typeTurn, 0}} {
		m, err := newMapping("ru", tc.typ, []string{"развит", "экономик"})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(commonOf(m)); got != tc.want {
			t.Errorf("%s mapping keeps %d common terms, want %d", tc.typ, got, tc.want)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("%s mapping: %v", tc.typ, err)
		}
	}
}
