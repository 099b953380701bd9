package search

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// DocKey is the key of a document in the index and in URLs: "en/71326".
func DocKey(lang string, id int64) string { return lang + "/" + strconv.FormatInt(id, 10) }

func turnKey(lang string, id int64, n int) string { return DocKey(lang, id) + "/" + strconv.Itoa(n) }

// SpeakerGroup is the key that groups the turns of one speaker: the
// turn's speaker_key (a person, the same in both languages) when the
// archive resolved it, otherwise "label:" + the label as printed, lower
// case, whitespace collapsed.
func SpeakerGroup(t *record.Turn) string {
	if t.SpeakerKey != nil && *t.SpeakerKey != "" {
		return *t.SpeakerKey
	}
	return "label:" + normLabel(t.Speaker)
}

// normLabel lower-cases a label or place and collapses its whitespace
// (NBSP included).
func normLabel(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, "\u00a0", " "))), " ")
}

// TagFilter is the filter value of tag i of column kind: its catalog key
// ("persons/90") when it has one, else "kind:text" (lower case).
func TagFilter(r *record.Record, kind string, i int) string {
	if ks := r.TagKeys[kind]; i < len(ks) && ks[i] != nil && *ks[i] != "" {
		return *ks[i]
	}
	return kind + ":" + normLabel(r.Tags[kind][i])
}

// facetKinds are the tag columns with a facet of their own; any other
// column is still a filter.
var facetKinds = []string{"persons", "topics", "geography"}

// facetCodes are the one-letter prefixes of the facet field's values:
// short values keep the facet field's doc values small, which is what
// facet counting reads for every hit. Labels are kept apart (labels.go).
var facetCodes = map[string]string{"lang": "g", "section": "s", "year": "y", "persons": "p", "topics": "t",
	"geography": "c", "place": "l", "speaker": "k"}

var facetNameOf = func() map[string]string {
	m := map[string]string{}
	for n, c := range facetCodes {
		m[c] = n
	}
	return m
}()

// dateValue is the publication date and time as a Moscow wall clock read
// as UTC, so that date ranges are plain calendar days.
func dateValue(r *record.Record) (time.Time, bool) {
	if r.Date == nil {
		return time.Time{}, false
	}
	s := *r.Date
	layout := time.DateOnly
	if r.Time != nil && len(*r.Time) == 5 {
		s += " " + *r.Time
		layout = "2006-01-02 15:04"
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		t, err = time.ParseInLocation(time.DateOnly, *r.Date, time.UTC)
	}
	return t, err == nil
}

// sep joins a speaker group and its label in the speakers page's field.
const sep = "\x1f"

// facet is the facet field's value of a filter value.
func facet(name, value string) string { return facetCodes[name] + ":" + value }

// commonFields are the fields of a document that its turn entries carry too.
func commonFields(d *store.Doc, r *record.Record, lb *labelSet) (map[string]interface{}, []string) {
	m := map[string]interface{}{
		fDoc: DocKey(r.Lang, r.ID),
	}
	var facets []string // the language's count is its index's total
	var sec []string
	seen := map[string]bool{}
	add := func(s string) {
		if k := strings.ToLower(strings.TrimSpace(s)); k != "" && !seen[k] {
			seen[k] = true
			sec = append(sec, k)
		}
	}
	if d != nil {
		for _, s := range d.ListedIn {
			add(s)
		}
	}
	for _, s := range r.Sections {
		add(s)
		facets = append(facets, facet("section", strings.ToLower(s)))
		lb.add(r.Lang, facet("section", strings.ToLower(s)), s)
	}
	m[fSection] = sec
	var tags []string
	for kind, texts := range r.Tags {
		for i, text := range texts {
			v := TagFilter(r, kind, i)
			tags = append(tags, v)
			if slices.Contains(facetKinds, kind) {
				facets = append(facets, facet(kind, v))
				lb.add(r.Lang, facet(kind, v), text)
			}
		}
	}
	m[fTag] = tags
	if r.Place != nil && *r.Place != "" {
		m[fPlace] = normLabel(*r.Place)
		facets = append(facets, facet("place", normLabel(*r.Place)))
		lb.add(r.Lang, facet("place", normLabel(*r.Place)), *r.Place)
	}
	if t, ok := dateValue(r); ok {
		m[fDate] = t
		facets = append(facets, facet("year", strconv.Itoa(t.Year())))
	}
	return m, facets
}

// entry is one entry of the index.
type entry struct {
	id     string
	fields map[string]interface{}
}

// docText is a document's text as indexed: title (twice, for weight),
// lead and text, in one field whose paragraph breaks the tokenizer keeps
// phrases inside.
func docText(r *record.Record) string {
	text := []string{r.Title, r.Title}
	if r.Lead != "" {
		text = append(text, r.Lead)
	}
	if r.Text != "" {
		text = append(text, r.Text)
	}
	return strings.Join(text, "\n\n")
}

// entries turns a document into its index entries: the document, and
// one entry per speaker turn. The record's Version must be set. The
// labels of its facet values go to lb.
func entries(d *store.Doc, r *record.Record, lb *labelSet) (entry, []entry, error) {
	rec, err := record.Marshal(r)
	if err != nil {
		return entry{}, nil, err
	}
	base, facets := commonFields(d, r, lb)
	all := docText(r)
	doc := map[string]interface{}{fText: all, fBigram: all,
		fTurns: float64(len(r.Turns)), fRec: string(rec)}
	docFacets := slices.Clone(facets)
	seen := map[string]bool{}
	out := make([]entry, 0, 1+len(r.Turns))
	for i := range r.Turns {
		t := &r.Turns[i]
		g := SpeakerGroup(t)
		sf := facet("speaker", g)
		lb.add(r.Lang, sf, t.Speaker)
		if !seen[g] {
			seen[g] = true
			docFacets = append(docFacets, sf)
		}
		m := map[string]interface{}{fText: t.Text, fSpeech: t.Text,
			fSpeakerS: t.Speaker, fSpeaker: g, fLabel: normLabel(t.Speaker), fSpeakerF: g + sep + t.Speaker,
			fTurn: float64(i), fFacet: append(slices.Clone(facets), sf)}
		for k, v := range base {
			m[k] = v
		}
		out = append(out, entry{id: turnKey(r.Lang, r.ID, i), fields: m})
	}
	doc[fFacet] = docFacets
	// shown with a hit; turn hits read them from their document's entry
	doc[fURL], doc[fTitleS] = r.URL, r.Title
	if r.Date != nil {
		doc[fDateS] = *r.Date
	}
	for k, v := range base {
		doc[k] = v
	}
	return entry{id: DocKey(r.Lang, r.ID), fields: doc}, out, nil
}
