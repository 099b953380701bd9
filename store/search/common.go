package search

import (
	"cmp"
	"math"
	"slices"
)

// The common terms of a language (see bigrams) are found in a sample of
// its documents when the index is first built: the terms of at least
// commonShare of them, at most maxCommon terms, the most frequent first.
// A phrase made only of terms rarer than that is quick anyway: the phrase
// query checks positions only in the entries that hold its rarest term.
//
// A language with fewer than minCommonSample documents gets no common
// terms: its phrases are quick anyway, and so few documents would say
// little about the archive it grows into (`serve --reindex` finds them
// again; serve says when to).
const (
	commonShare     = 0.3
	commonSample    = 1000 // documents per language, spread over the archive
	minCommonSample = 200
	maxCommon       = 2000
)

// commonTerms returns the common terms of each language of the documents
// todo (in change order), read from the archive a chunk per opening, and
// how many documents of each language it read.
func commonTerms(open Opener, todo []ref) (map[string][]string, map[string]int, error) {
	byLang := map[string][]ref{}
	for _, r := range todo {
		byLang[r.lang] = append(byLang[r.lang], r)
	}
	out, sampled := map[string][]string{}, map[string]int{}
	for _, l := range Langs {
		refs := byLang[l]
		if len(refs) == 0 {
			continue
		}
		var sample []ref
		step := max(1, len(refs)/commonSample)
		for i := 0; i < len(refs); i += step {
			sample = append(sample, refs[i])
		}
		an, err := langAnalyzer(l)
		if err != nil {
			return nil, nil, err
		}
		df := map[string]int{}
		docs := 0
		for len(sample) > 0 {
			n := min(chunkSize, len(sample))
			items, err := readChunk(open, sample[:n], nil)
			if err != nil {
				return nil, nil, err
			}
			sample = sample[n:]
			for _, it := range items {
				docs++
				seen := map[string]bool{}
				for _, t := range an.Analyze([]byte(docText(it.r))) {
					if k := string(t.Term); !seen[k] {
						seen[k] = true
						df[k]++
					}
				}
			}
		}
		sampled[l] = docs
		if docs < minCommonSample {
			continue
		}
		least := max(2, int(math.Ceil(commonShare*float64(docs))))
		var terms []string
		for t, n := range df {
			if n >= least {
				terms = append(terms, t)
			}
		}
		slices.SortFunc(terms, func(a, b string) int {
			if c := cmp.Compare(df[b], df[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		if len(terms) > maxCommon {
			terms = terms[:maxCommon]
		}
		slices.Sort(terms)
		out[l] = terms
	}
	return out, sampled, nil
}
