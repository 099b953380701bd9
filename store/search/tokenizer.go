package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// wordsTokenizer is the tokenizer of both analysers: a word is a run of
// letters, digits and combining marks, with apostrophes inside it kept
// ("Russia's", "d’Estaing") for the possessive filter. It gives the same
// words as Unicode word segmentation for the site's Latin and Cyrillic
// text, except that punctuation inside numbers and abbreviations splits
// them ("2.5" → "2", "5"; "U.S." → "U", "S"), at a fraction of its cost
// (indexing time is mostly analysis).
//
// A blank line ("\n\n", paragraphs of a text) leaves a gap of
// paragraphGap positions, so that a phrase never matches across two
// paragraphs although the text is one field (one field per paragraph cost
// the index build a field, a term map and a merge of them per paragraph).
const wordsTokenizer = "kremlin_words"

// paragraphGap is the gap in positions between two paragraphs: more than
// any phrase is long.
const paragraphGap = 1000

type words struct{}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

func (words) Tokenize(input []byte) analysis.TokenStream {
	guess := len(input)/6 + 1
	rv := make(analysis.TokenStream, 0, guess)
	block := make([]analysis.Token, 0, min(guess, 1024))
	pos := 1
	newlines := 0 // since the last word
	for i := 0; i < len(input); {
		r, w := rune(input[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRune(input[i:])
		}
		if !isWordRune(r) {
			if r == '\n' {
				newlines++
			}
			i += w
			continue
		}
		if newlines >= 2 && len(rv) > 0 {
			pos += paragraphGap
		}
		newlines = 0
		start, digits := i, true
		for i < len(input) {
			r, w = rune(input[i]), 1
			if r >= utf8.RuneSelf {
				r, w = utf8.DecodeRune(input[i:])
			}
			if isWordRune(r) {
				digits = digits && '0' <= r && r <= '9'
				i += w
				continue
			}
			if isApostrophe(r) && i+w < len(input) {
				next, _ := utf8.DecodeRune(input[i+w:])
				if unicode.IsLetter(next) {
					i += w
					continue
				}
			}
			break
		}
		if len(block) == cap(block) {
			block = make([]analysis.Token, 0, 1024)
		}
		typ := analysis.AlphaNumeric
		if digits {
			typ = analysis.Numeric
		}
		block = append(block, analysis.Token{Term: input[start:i], Start: start, End: i, Position: pos, Type: typ})
		rv = append(rv, &block[len(block)-1])
		pos++
	}
	return rv
}

func init() {
	registry.RegisterTokenizer(wordsTokenizer, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return words{}, nil
	})
}
