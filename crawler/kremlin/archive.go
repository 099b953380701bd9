package kremlin

import (
	"encoding/json"
	"fmt"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Archive-wide speaker resolution (RECORD.md speaker_key): what one page
// cannot tell, other pages and the other language can.
//
//   - The alias table: every label the archive resolved from a page
//     (person link, persons tag, head of state) with the key it got. A
//     label that got one key everywhere resolves the same label on pages
//     without evidence; a label that got two keys anywhere is ambiguous and
//     resolves nothing. Only labels holding a name are learned (not "Mr
//     Ivanov": another page's Mr Ivanov may be another Ivanov), and a
//     learned key is not applied to a page whose own persons tags point
//     elsewhere or are ambiguous for that label.
//   - The paired document: the same ID in the other language has the same
//     speakers in the same order. When both records have as many turns
//     and no position where both have keys disagrees, a position keyed in
//     one is keyed alike in the other, and a label keyed anywhere in the
//     pair keys its other turns, unless that would give a label two keys.
//
// Labels that name no speaker of their own ("Question", "Реплика") stay
// null throughout.
//
// The stored records keep the keys their page gives (so a refetch compares
// page with page and never makes a version out of archive knowledge);
// SpeakerTable.Resolve applies the archive's keys where records are read
// for export.

// SpeakerTableFormat is the version of the table's encoding.
const SpeakerTableFormat = 1

// SpeakerTable is the archive-wide alias table of speaker labels.
type SpeakerTable struct {
	Format        int    `json:"format"`
	ParserVersion int    `json:"parser_version"` // of the records it was learned from
	HighWater     uint64 `json:"high_water"`     // the archive's change number when it was built
	Records       int    `json:"records"`        // records it was learned from
	// Labels maps LabelKey(label) to the key the label got on every page
	// that resolved it; "" marks a label that got different keys.
	Labels map[string]string `json:"labels"`
}

// NewSpeakerTable returns an empty table, to Learn records into.
func NewSpeakerTable() *SpeakerTable {
	return &SpeakerTable{Format: SpeakerTableFormat, ParserVersion: ParserVersion, Labels: map[string]string{}}
}

// Learn adds the page-resolved labels of r.
func (t *SpeakerTable) Learn(r *record.Record) {
	t.Records++
	for _, tr := range r.Turns {
		if tr.SpeakerKey == nil || *tr.SpeakerKey == "" {
			continue
		}
		toks := nameTokens(tr.Speaker)
		if !learnableLabel(toks) {
			continue
		}
		lk := tokKey(toks)
		if old, ok := t.Labels[lk]; !ok {
			t.Labels[lk] = *tr.SpeakerKey
		} else if old != *tr.SpeakerKey {
			t.Labels[lk] = ""
		}
	}
}

// Counts returns how many labels the table resolves and how many are
// ambiguous.
func (t *SpeakerTable) Counts() (resolved, ambiguous int) {
	for _, k := range t.Labels {
		if k == "" {
			ambiguous++
		} else {
			resolved++
		}
	}
	return resolved, ambiguous
}

// MarshalTable encodes t for storage.
func MarshalTable(t *SpeakerTable) ([]byte, error) { return json.Marshal(t) }

// UnmarshalTable decodes a stored table.
func UnmarshalTable(b []byte) (*SpeakerTable, error) {
	t := &SpeakerTable{}
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("speaker table: %w", err)
	}
	if t.Format != SpeakerTableFormat {
		return nil, fmt.Errorf("speaker table: format %d, this program reads %d (run reparse to rebuild it)", t.Format, SpeakerTableFormat)
	}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	return t, nil
}

// Resolve fills null speaker keys of r from the table and from other, the
// same document in the other language (nil when there is none). It
// changes r only; other is read. It returns how many keys it added.
func (t *SpeakerTable) Resolve(r, other *record.Record) int {
	if !hasNullSpeaker(r) {
		return 0
	}
	n := t.aliases(r)
	if other == nil || other.ID != r.ID || other.Lang == r.Lang || len(other.Turns) != len(r.Turns) {
		return n
	}
	o := *other
	o.Turns = append([]record.Turn(nil), other.Turns...)
	t.aliases(&o)
	return n + pairTurns(r.Turns, o.Turns)
}

func hasNullSpeaker(r *record.Record) bool {
	for _, tr := range r.Turns {
		if tr.SpeakerKey == nil {
			return true
		}
	}
	return false
}

// aliases applies the table to the null keys of r.
func (t *SpeakerTable) aliases(r *record.Record) int {
	if t == nil || len(t.Labels) == 0 {
		return 0
	}
	var tags []personCand
	tagsRead := false
	n := 0
	for i := range r.Turns {
		tr := &r.Turns[i]
		if tr.SpeakerKey != nil {
			continue
		}
		toks := nameTokens(tr.Speaker)
		if !learnableLabel(toks) {
			continue
		}
		k := t.Labels[tokKey(toks)]
		if k == "" {
			continue
		}
		if !tagsRead {
			tags, tagsRead = personsOf(r.Tags["persons"], r.TagKeys["persons"]), true
		}
		if own, ambiguous := matchPersonsDetail(toks, tags); ambiguous || (own != "" && own != k) {
			continue
		}
		tr.SpeakerKey = record.Str(k)
		n++
	}
	return n
}

// pairTurns fills null keys of a from b, the same turns in the other
// language (see the comment at the top of this file). It returns how many
// keys it added.
func pairTurns(a, b []record.Turn) int {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	for i := range a {
		if a[i].SpeakerKey != nil && b[i].SpeakerKey != nil && *a[i].SpeakerKey != *b[i].SpeakerKey {
			return 0 // the turns do not line up
		}
	}
	type side struct {
		label   []string // LabelKey per turn, "" for generic labels
		generic []bool
	}
	mk := func(ts []record.Turn) side {
		s := side{label: make([]string, len(ts)), generic: make([]bool, len(ts))}
		for i, tr := range ts {
			toks := nameTokens(tr.Speaker)
			if isGenericLabel(toks) || hasBlocker(toks) {
				s.generic[i] = true
				continue
			}
			s.label[i] = tokKey(toks)
		}
		return s
	}
	sa, sb := mk(a), mk(b)
	// Keys of each label of a side: its own turns' and those aligned with
	// them.
	groups := func(s side) map[string]map[string]bool {
		g := map[string]map[string]bool{}
		for i, l := range s.label {
			if s.generic[i] {
				continue
			}
			if g[l] == nil {
				g[l] = map[string]bool{}
			}
			for _, k := range []*string{a[i].SpeakerKey, b[i].SpeakerKey} {
				if k != nil {
					g[l][*k] = true
				}
			}
		}
		return g
	}
	ga, gb := groups(sa), groups(sb)
	only := func(set map[string]bool, k string) bool {
		for x := range set {
			if x != k {
				return false
			}
		}
		return true
	}
	n := 0
	for i := range a {
		if a[i].SpeakerKey != nil || sa.generic[i] {
			continue
		}
		k := ""
		switch g := ga[sa.label[i]]; {
		case b[i].SpeakerKey != nil:
			k = *b[i].SpeakerKey
		case len(g) == 1:
			for x := range g {
				k = x
			}
		}
		if k == "" || !only(ga[sa.label[i]], k) {
			continue
		}
		if !sb.generic[i] && !only(gb[sb.label[i]], k) {
			continue
		}
		if !sb.generic[i] && !labelsCompatible(a[i].Speaker, b[i].Speaker) {
			continue // "Nikolai Patrushev" is not "А.Тойе": the turns do not line up here
		}
		a[i].SpeakerKey = record.Str(k)
		n++
	}
	return n
}

// labelsCompatible reports whether two labels of one turn in the two
// languages can name the same person: some name word of one, read in
// Latin letters, is close to some name word of the other ("Vladimir
// Putin" / "В.Путин", "Xi Jinping" / "Си Цзиньпин", "Fyodor Lukyanov" /
// "Ф.Лукьянов").
func labelsCompatible(a, b string) bool {
	wa, wb := latinWords(a), latinWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return true // nothing to compare: do not veto
	}
	for _, x := range wa {
		for _, y := range wb {
			if d := levenshtein(x, y); d <= max(1, min(len(x), len(y))/3) {
				return true
			}
		}
	}
	return false
}

// latinWords are the words of a label (initials and honorifics left out)
// in Latin letters, folded.
func latinWords(label string) []string {
	var out []string
	for _, t := range nameTokens(label) {
		if t.init || honorifics[t.w] || len([]rune(t.w)) < 2 {
			continue
		}
		w := t.w
		if isCyrillic(w) {
			w = foldWord(cyrToLatin(w))
		}
		out = append(out, w)
	}
	return out
}

var cyrLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

func cyrToLatin(w string) string {
	var b []byte
	for _, r := range w {
		if l, ok := cyrLatin[r]; ok {
			b = append(b, l...)
		} else {
			b = append(b, string(r)...)
		}
	}
	return string(b)
}

// levenshtein is the edit distance of two short strings, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
