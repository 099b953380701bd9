package kremlin

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Speaker labels (RECORD.md "Speaker turns", SPEC §4.3).
//
// A paragraph opens a turn when, after leading whitespace, it starts with
// bold text and
//
//   - the bold run contains a colon: the label is the text before it
//     (<b>Vladimir Putin:</b>, split bolds <b>Name</b><b>:</b>, and the bold
//     run that swallows the first letters of the speech
//     <b>Vladimir Putin: G</b>ood);
//   - or the colon follows the bold run, separated only by whitespace and
//     parenthesised notes (<b>Name</b>: …, <b>Name</b> (<i>retranslated</i>): …).
//
// "Bold" is decided per text node: text inside <b> or <strong> is bold,
// whitespace is neutral, so a person link inside a bold label, a bold
// inside a person link, line breaks and NBSPs inside labels all read as
// one bold run. Person tooltips are removed before (see skipped).
//
// Guards against ordinary bold text with a colon: the label must start
// with a letter, be at most maxLabelRunes long, contain no '?' or '!', the
// colon must not be followed by a digit or '/' (times, URLs); and when the
// bold run goes on after the colon for more than one word the label must
// look like a name or title (see nameLike).

// maxLabelRunes is the longest accepted label (SPEC: median 14, p99 68,
// max 197 over the 2020 mirror).
const maxLabelRunes = 200

// maxNoteRunes bounds the text accepted between a bold label and its colon.
const maxNoteRunes = 200

// label is a detected speaker label.
type label struct {
	speaker string
	note    string
	rest    string // the speech that follows the colon in the same paragraph
	// person is the catalog key of the person link (or hover card) that
	// ends the label ("Defence Minister <a …/persons/90/…>Sergei Shoigu</a>"),
	// "" when there is none.
	person string
}

// detectLabel reports whether paragraph p opens a speaker turn.
func detectLabel(p paragraph) (label, bool) {
	// Cheap exit for the common case: the paragraph does not start in bold.
	startsBold := false
	for _, s := range p {
		if strings.TrimFunc(s.text, unicode.IsSpace) != "" {
			startsBold = s.bold
			break
		}
	}
	if !startsBold {
		return label{}, false
	}
	// Flatten into one string and a per-byte bold flag (as segment ranges).
	var b strings.Builder
	starts := make([]int, len(p)+1)
	for i, s := range p {
		starts[i] = b.Len()
		b.WriteString(s.text)
	}
	starts[len(p)] = b.Len()
	full := b.String()
	boldAt := func(i int) bool {
		// binary search over segment starts
		lo, hi := 0, len(p)-1
		for lo < hi {
			m := (lo + hi + 1) / 2
			if starts[m] <= i {
				lo = m
			} else {
				hi = m - 1
			}
		}
		return p[lo].bold
	}

	// First visible character must be bold.
	i0 := -1
	for i, r := range full {
		if !unicode.IsSpace(r) {
			i0 = i
			break
		}
	}
	if i0 < 0 || !boldAt(i0) {
		return label{}, false
	}

	// Walk the leading bold run; remember the first colon outside parentheses.
	colon, boldEnd, depth := -1, len(full), 0
	for i, r := range full[i0:] {
		i += i0
		if unicode.IsSpace(r) {
			continue
		}
		if !boldAt(i) {
			boldEnd = i
			break
		}
		switch r {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 && colon < 0 {
				colon = i
			}
		}
	}

	var raw, notes string
	labelEnd := -1 // where the label text ends (before notes and colon)
	if colon >= 0 {
		raw = full[i0:colon]
		// What the bold run swallowed after the colon.
		if r, _ := utf8.DecodeRuneInString(full[colon+1:]); unicode.IsDigit(r) || r == '/' {
			return label{}, false // a time (10:30) or a URL, not a label
		}
		labelEnd = colon
		swallowed := strings.TrimFunc(full[colon+1:boldEnd], unicode.IsSpace)
		if swallowed != "" && !shortSwallow(swallowed) && !nameLike(clean(raw)) {
			return label{}, false
		}
	} else {
		// The colon must follow the bold run after whitespace and notes.
		j := boldEnd
		var ns []string
		for j < len(full) {
			r, size := utf8.DecodeRuneInString(full[j:])
			if unicode.IsSpace(r) {
				j += size
				continue
			}
			if r == '(' {
				end := matchParen(full, j)
				if end < 0 || utf8.RuneCountInString(full[boldEnd:end]) > maxNoteRunes {
					return label{}, false
				}
				ns = append(ns, full[j+1:end])
				j = end + 1
				continue
			}
			break
		}
		if j >= len(full) || full[j] != ':' {
			return label{}, false
		}
		colon = j
		raw = full[i0:boldEnd]
		labelEnd = boldEnd
		notes = joinNotes(ns)
	}

	speaker, inner := splitNotes(clean(raw))
	if inner != "" {
		if notes != "" {
			notes = inner + "; " + notes
		} else {
			notes = inner
		}
	}
	if !validSpeaker(speaker) {
		return label{}, false
	}
	person := labelPerson(p, starts, full, i0, labelEnd)
	return label{speaker: speaker, note: notes, rest: clean(full[colon+1:]), person: person}, true
}

// labelPerson returns the person link (or hover card) that ends the label
// full[i0:end]: only spaces, punctuation and parenthesised notes may
// follow it. A link in the middle of a label ("Adviser to <a>…</a> Ivan
// Petrov") names someone else.
func labelPerson(p paragraph, starts []int, full string, i0, end int) string {
	var key string
	begin, runBegin := -1, -1 // where the link's text starts
	for i, s := range p {
		if i == 0 || p[i-1].person != s.person {
			runBegin = starts[i]
		}
		if s.person == "" || starts[i] < i0 || starts[i] > end {
			continue
		}
		if e := min(starts[i+1], end); onlyTrailer(full[e:end]) {
			key, begin = s.person, max(runBegin, i0)
		} else {
			key, begin = "", -1
		}
	}
	if key == "" {
		return ""
	}
	// "Vladimir Putin and <a>Alexander Lukashenko</a>": not one speaker.
	if before := nameTokens(full[i0:begin]); joinedAt(append(before, nameTok{}), len(before)) {
		return ""
	}
	return key
}

// onlyTrailer reports whether s holds no letter or digit outside
// parentheses.
func onlyTrailer(s string) bool {
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			return false
		}
	}
	return true
}

// matchParen returns the index of the ')' matching the '(' at i, or -1.
func matchParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// splitNotes removes trailing parenthesised groups from a label:
// "Charles Michel (retranslated)" -> "Charles Michel", "retranslated".
// A parenthesis in the middle ("Agency (IRENA) Adnan Amin") stays.
func splitNotes(s string) (speaker, note string) {
	var ns []string
	for strings.HasSuffix(s, ")") {
		depth, open := 0, -1
		for j := len(s) - 1; j >= 0; j-- {
			if s[j] == ')' {
				depth++
			} else if s[j] == '(' {
				depth--
				if depth == 0 {
					open = j
					break
				}
			}
		}
		if open < 0 {
			break
		}
		ns = append([]string{s[open+1 : len(s)-1]}, ns...)
		s = strings.TrimSpace(s[:open])
	}
	return s, joinNotes(ns)
}

func joinNotes(ns []string) string {
	var out []string
	for _, n := range ns {
		if n = clean(n); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// validSpeaker applies the guards every label must pass.
func validSpeaker(s string) bool {
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(r) {
		return false
	}
	if utf8.RuneCountInString(s) > maxLabelRunes {
		return false
	}
	return !strings.ContainsAny(s, "?!")
}

// shortSwallow reports whether the bold text after a colon is just the
// start of the speech: one word fragment ("G" of "Good afternoon").
func shortSwallow(s string) bool {
	return utf8.RuneCountInString(s) <= 20 && strings.IndexFunc(s, unicode.IsSpace) < 0
}

// labelStopwords are lower-case words allowed inside a name-like label.
var labelStopwords = map[string]bool{
	"of": true, "the": true, "and": true, "for": true, "on": true, "in": true,
	"at": true, "to": true, "de": true, "da": true, "du": true, "del": true,
	"della": true, "der": true, "den": true, "van": true, "von": true,
	"la": true, "le": true, "al": true, "el": true, "bin": true, "ibn": true,
	"y": true, "a": true, "an": true, "with": true, "from": true, "by": true,
	"moderator": true, "audience": true, "acting": true, "former": true,
	"host": true, "presenter": true, "journalist": true, "correspondent": true,
	"participant": true, "student": true, "teacher": true, "member": true,
	"representative": true, "interpreter": true, "voice": true,
	"и": true, "в": true, "по": true, "при": true, "из": true,
}

// nameLike reports whether a label reads like a speaker's name or title:
// short, and every word is capitalised or a small joining word. Used only
// when the bold run continues past the colon, where a heading or a bold
// sentence is more likely than a label.
func nameLike(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w == "" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsUpper(r) || unicode.IsDigit(r) || labelStopwords[strings.ToLower(w)] {
			continue
		}
		return false
	}
	return true
}

// buildTurns assembles speaker turns and the body text from paragraphs.
// links holds, for each turn, the person link that ends its label ("" for
// none).
func buildTurns(paras []paragraph) (text string, turns []record.Turn, links []string) {
	texts := make([]string, 0, len(paras))
	var cur *record.Turn
	var parts []string
	finish := func() {
		if cur != nil {
			cur.Text = strings.Join(parts, "\n\n")
			turns = append(turns, *cur)
		}
	}
	for _, p := range paras {
		t := p.String()
		if t == "" {
			continue
		}
		texts = append(texts, t)
		if l, ok := detectLabel(p); ok {
			finish()
			cur = &record.Turn{Speaker: l.speaker, Note: l.note}
			links = append(links, l.person)
			parts = parts[:0]
			if l.rest != "" {
				parts = append(parts, l.rest)
			}
			continue
		}
		if cur != nil {
			parts = append(parts, t)
		}
	}
	finish()
	return strings.Join(texts, "\n\n"), turns, links
}
