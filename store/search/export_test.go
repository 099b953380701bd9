package search

// Helpers for the tests of package search_test.

// Bigrams returns the pairs of terms of text that lang's index of
// documents holds when common are the common terms.
func Bigrams(lang, text string, common []string) []string {
	an, err := langAnalyzer(lang)
	if err != nil {
		return nil
	}
	f := bigrams{common: map[string]bool{}}
	for _, t := range common {
		f.common[t] = true
	}
	var out []string
	for _, t := range f.Filter(an.Analyze([]byte(text))) {
		out = append(out, string(t.Term))
	}
	return out
}

// Terms returns the terms lang's analyser makes of text (stems, stop
// words dropped) and their positions, which keep the gaps left by stop
// words and paragraphs: what a phrase is matched against.
func Terms(lang, text string) (terms []string, pos []int) {
	an, err := langAnalyzer(lang)
	if err != nil {
		return nil, nil
	}
	if as := analyse(an, []clause{{text: text}}); len(as) > 0 {
		return as[0].terms, as[0].pos
	}
	return nil, nil
}

// DocText is a document's text as indexed.
var DocText = docText
