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
const MappingVersion = 5

// Langs are the languages of the archive, one bleve index each.
var Langs = []string{"en", "ru"}

// Analyzer names, per language. English is bleve's "en" chain
// (possessives, lower case, stop words, Porter stemmer: "sanctions" →
// "sanction"); Russian is bleve's "ru" chain (lower case, stop words,
// Snowball stemmer: "санкциями" and "санкции" → "санкц") with ё folded to е
// first, since the site and its readers write both.
const (
	analyzerEN = "kremlin_en"
	analyzerRU = "kremlin_ru"
	yoFilter   = "kremlin_yo"
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

func init() {
	registry.RegisterTokenFilter(yoFilter, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return yoFold{}, nil
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

// newMapping is the mapping of one language's index of entries of type typ.
func newMapping(lang, typ string) (*mapping.IndexMappingImpl, error) {
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
	im.DefaultAnalyzer = analyzerFor(lang)
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false

	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerFor(lang)
		f.Store = store
		f.IncludeTermVectors = true // phrases
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
