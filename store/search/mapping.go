package search

import (
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// MappingVersion changes whenever the index layout or analysis changes;
// an index of another version is rebuilt.
const MappingVersion = 6

// Langs are the languages of the archive, one bleve index each.
var Langs = []string{"en", "ru"}

// Analyzer names, per language. English is bleve's "en" chain
// (possessives, lower case, stop words, Porter stemmer: "sanctions" →
// "sanction"); Russian is bleve's "ru" chain (lower case, stop words,
// Snowball stemmer: "санкциями" and "санкции" → "санкц") with ё folded to е
// first, since the site and its readers write both.
const (
	analyzerEN   = "kremlin_en"
	analyzerRU   = "kremlin_ru"
	yoFilter     = "kremlin_yo"
	bigramFilter = "kremlin_bigram" // the filter's type
	pairsFilter  = "kremlin_pairs"  // the filter, configured with the common terms
	pairsSuffix  = "_pairs"         // the analyser of the bigram field (see bigrams)
	indexSuffix  = "_index"         // the analyser of the documents' text field (see sharedAnalysis)
)

func analyzerFor(lang string) string {
	if lang == "ru" {
		return analyzerRU
	}
	return analyzerEN
}

type yoFold struct{}

func (yoFold) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		s := string(t.Term)
		if strings.ContainsRune(s, 'ё') {
			t.Term = []byte(strings.ReplaceAll(s, "ё", "е"))
		}
	}
	return in
}

// bigrams replaces a stream of terms by the pairs of common terms next
// to each other in it ("russian feder"): a phrase of common words ("the
// President of Russia") otherwise makes the phrase query check positions
// in most of the archive, while a phrase with a rarer word is checked only
// where that word is. A gap left by stop words is part of the pair, one
// "_" per word ("develop _ _ economi" for "the development of the
// economy"), so a pair of a phrase's terms matches where the two terms
// stand at the phrase's distance with only stop words between them: a
// little stricter than bleve's phrase query, which lets any word stand in
// a stop word's place ("development of big economy"). Terms farther apart
// than maxBigramGap (in two paragraphs, say) make no pair.
//
// The common terms are those of the archive, found when its index is
// first built (see commonTerms), and kept in the index's mapping. Only
// documents have pairs: a phrase in turns is searched with a speaker or
// among the turns of a few documents.
type bigrams struct{ common map[string]bool }

const maxBigramGap = 8

// pair says whether terms a and b, dist positions apart, make a pair:
// the one rule of the index (Filter) and of phrase queries (clauseQuery).
func (f bigrams) pair(a, b []byte, dist int) bool {
	return dist <= maxBigramGap && f.common[string(b)] && f.common[string(a)]
}

func (f bigrams) Filter(in analysis.TokenStream) analysis.TokenStream {
	var out analysis.TokenStream
	var block []analysis.Token
	for i := 1; i < len(in); i++ {
		a, b := in[i-1], in[i]
		dist := b.Position - a.Position
		if !f.pair(a.Term, b.Term, dist) {
			continue
		}
		if len(block) == cap(block) {
			block = make([]analysis.Token, 0, min(len(in)-i, 256))
		}
		block = append(block, analysis.Token{Term: appendBigram(make([]byte, 0, len(a.Term)+len(b.Term)+2*dist-1), a.Term, b.Term, dist),
			Start: a.Start, End: b.End, Position: a.Position, Type: analysis.Shingle})
		out = append(out, &block[len(block)-1])
	}
	return out
}

// appendBigram appends the bigram of terms a and b, dist positions
// apart, to buf.
func appendBigram(buf, a, b []byte, dist int) []byte {
	buf = append(buf, a...)
	buf = append(buf, ' ')
	for ; dist > 1; dist-- {
		buf = append(buf, '_', ' ')
	}
	return append(buf, b...)
}

func init() {
	registry.RegisterTokenFilter(yoFilter, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return yoFold{}, nil
	})
	registry.RegisterTokenFilter(bigramFilter, func(config map[string]interface{}, _ *registry.Cache) (analysis.TokenFilter, error) {
		f := bigrams{common: map[string]bool{}}
		for _, t := range stringsOf(config["common"]) {
			f.common[t] = true
		}
		return f, nil
	})
}

// Entry types, each in an index of its own per language: documents
// (title, lead, text and every filter field), and speaker turns (a
// turn's speech, its speaker, and its document's filter fields, so that
// speaker searches are turn-level). Separate indexes keep each one's
// postings and facet values dense for the searches that use it.
const (
	typeDoc  = "doc"
	typeTurn = "turn"
)

// Field names.
const (
	fDoc      = "doc"      // "en/71326" on both kinds of entry
	fText     = "text"     // analysed: title (twice: it weighs more), lead and paragraphs; or a turn's speech
	fBigram   = "bigram"   // documents: the pairs of neighbouring common terms of the text (see bigrams)
	fSection  = "section"  // lower-cased listing and publication sections (filter)
	fTag      = "tag"      // catalog keys, or kind:text (filter)
	fPlace    = "place"    // lower-cased place (filter)
	fDate     = "date"     // publication date and time, Moscow wall clock read as UTC
	fSpeaker  = "speaker"  // group: speaker_key, or "label:"+lower-cased label
	fLabel    = "label"    // lower-cased label as printed (filter)
	fFacet    = "facet"    // every facet value, "c:value" (see facetCodes)
	fSpeakerF = "speakerf" // group\x1flabel as printed (turns; the speakers page)
	fTurn     = "n"        // turn number (turn entries, stored)
	fTurns    = "turns"    // number of turns (doc entries, stored)
	fRec      = "rec"      // the export record, JSON (doc entries, stored)
	fURL      = "url"      // stored (doc entries)
	fDateS    = "dates"    // "YYYY-MM-DD" or "" (stored, doc entries)
	fTitleS   = "titles"   // stored (doc entries)
	fSpeech   = "speech"   // turn text (turn entries, stored)
	fSpeakerS = "speakers" // the label as printed (turn entries, stored)
)

// newMapping is the mapping of one language's index of entries of type
// typ; a document index has the language's common terms (see bigrams),
// a turn index no bigram field and so none.
func newMapping(lang, typ string, commonTerms []string) (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	// bleve's "en" and "ru" analysers with a faster tokenizer (see words)
	filters := []string{en.PossessiveName, lowercase.Name, en.StopName, porter.Name}
	if lang == "ru" {
		filters = []string{lowercase.Name, yoFilter, ru.StopName, ru.SnowballStemmerName}
	}
	if err := im.AddCustomAnalyzer(analyzerFor(lang), map[string]interface{}{
		"type":          "custom",
		"tokenizer":     wordsTokenizer,
		"token_filters": filters,
	}); err != nil {
		return nil, err
	}
	if typ == typeDoc {
		if commonTerms == nil {
			commonTerms = []string{}
		}
		if err := im.AddCustomTokenFilter(pairsFilter, map[string]interface{}{"type": bigramFilter, "common": commonTerms}); err != nil {
			return nil, err
		}
		// the same analysis, shared by a document's text and bigram fields
		if err := im.AddCustomAnalyzer(analyzerFor(lang)+indexSuffix, map[string]interface{}{
			"type": sharedAnalyzer, "analyzer": analyzerFor(lang), "tokenizer": wordsTokenizer, "token_filters": filters,
		}); err != nil {
			return nil, err
		}
		if err := im.AddCustomAnalyzer(analyzerFor(lang)+pairsSuffix, map[string]interface{}{
			"type": sharedAnalyzer, "analyzer": analyzerFor(lang), "tokenizer": wordsTokenizer, "token_filters": filters,
			"filter": pairsFilter,
		}); err != nil {
			return nil, err
		}
	}
	im.DefaultAnalyzer = analyzerFor(lang)
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false

	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerFor(lang)
		if typ == typeDoc {
			f.Analyzer += indexSuffix
		}
		f.Store = store
		f.IncludeTermVectors = true // phrases
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	// pairs for phrases: no positions (the text field's are checked)
	bigram := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerFor(lang) + pairsSuffix
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func(store, facet bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = facet
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	num := func() *mapping.FieldMapping { // stored only
		f := mapping.NewNumericFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	date := func() *mapping.FieldMapping {
		f := mapping.NewDateTimeFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = true // sort by date
		return f
	}
	common := func(dm *mapping.DocumentMapping) {
		dm.Dynamic = false
		// no composite _all field: queries name their fields
		dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
		dm.AddFieldMappingsAt(fDoc, kw(true, false))
		dm.AddFieldMappingsAt(fSection, kw(false, false))
		dm.AddFieldMappingsAt(fTag, kw(false, false))
		dm.AddFieldMappingsAt(fPlace, kw(false, false))
		dm.AddFieldMappingsAt(fDate, date())
		dm.AddFieldMappingsAt(fFacet, kw(false, true))
		dm.AddFieldMappingsAt(fText, text(false))
	}

	doc := mapping.NewDocumentMapping()
	common(doc)
	doc.AddFieldMappingsAt(fBigram, bigram())
	doc.AddFieldMappingsAt(fTurns, num())
	doc.AddFieldMappingsAt(fRec, stored())
	doc.AddFieldMappingsAt(fURL, stored())
	doc.AddFieldMappingsAt(fDateS, stored())
	doc.AddFieldMappingsAt(fTitleS, stored())

	turn := mapping.NewDocumentMapping()
	common(turn)
	turn.AddFieldMappingsAt(fSpeaker, kw(true, false))
	turn.AddFieldMappingsAt(fLabel, kw(false, false))
	turn.AddFieldMappingsAt(fSpeakerF, kw(false, true))
	turn.AddFieldMappingsAt(fTurn, num())
	turn.AddFieldMappingsAt(fSpeech, stored())
	turn.AddFieldMappingsAt(fSpeakerS, stored())

	im.DefaultMapping = doc
	if typ == typeTurn {
		im.DefaultMapping = turn
	}
	return im, im.Validate()
}

// stringsOf reads a list of strings from an analysis configuration, as
// built (a []string) or as read back from the index's stored mapping
// (JSON: a []interface{}).
func stringsOf(v interface{}) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, t := range v {
			if s, ok := t.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// langAnalyzer is lang's analyser, outside any index.
func langAnalyzer(lang string) (analysis.Analyzer, error) {
	m, err := newMapping(lang, typeDoc, nil)
	if err != nil {
		return nil, err
	}
	return m.AnalyzerNamed(analyzerFor(lang)), nil
}

// commonOf returns the common terms of an index's mapping.
func commonOf(m mapping.IndexMapping) map[string]bool {
	out := map[string]bool{}
	if im, ok := m.(*mapping.IndexMappingImpl); ok && im.CustomAnalysis != nil {
		for _, t := range stringsOf(im.CustomAnalysis.TokenFilters[pairsFilter]["common"]) {
			out[t] = true
		}
	}
	return out
}
