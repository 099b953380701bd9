package kremlin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Person names in speaker labels, tags and person links (RECORD.md
// speaker_key). Labels read "Title Firstname Surname" ("President of the
// Republic of Belarus Alexander Lukashenko"), later often just the name;
// Russian labels "А.Лукашенко" (initial + surname). Persons tags and hover
// cards read "Surname Firstname" ("Lukashenko Alexander"; Russian adds the
// patronymic: "Лукашенко Александр Григорьевич"). Person links in running
// text carry the name as written there, in Russian in any grammatical case
// ("с Александром Лукашенко").
//
// Words are compared after folding: lower case, ё -> е, and for Latin
// script the usual transliteration variants (Sergei/Sergey,
// Dmitry/Dmitriy/Dmitri, Yevgeny/Evgeny, Alexei/Aleksei, Tatyana/Tatiana,
// Matviyenko/Matvienko, Fyodor/Fedor, diacritics).

// nameTok is one word of a label or a name.
type nameTok struct {
	w    string // folded word; for an initial, its folded letter
	init bool   // an initial: "А." of "А.Лукашенко", "V." of "V. Putin"
}

// honorifics may stand before a bare surname ("Mr Lukashenko").
var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mister": true, "madam": true,
	"madame": true, "dr": true, "sir": true, "president": true,
	"господин": true, "госпожа": true, "г-н": true, "г-жа": true, "президент": true,
}

// genericHeads open labels whose speaker is not the person named after
// them, or no person at all: "Question", "Remark", "Reply", "Вопрос",
// "Реплика", "Голос из зала", "From the audience" (folded forms).
var genericHeads = map[string]bool{
	"question": true, "questions": true, "q": true, "remark": true, "remarks": true,
	"reply": true, "response": true, "answer": true, "comment": true, "comments": true,
	"voice": true, "voices": true, "audience": true, "from": true, "off-mic": true,
	"вопрос": true, "вопросы": true, "реплика": true, "реплики": true, "ответ": true,
	"комментарий": true, "голос": true, "голоса": true, "из": true,
}

// blockers anywhere in a label mean someone speaks for another
// ("Interpreter for …", "Alexander Lukashenko's interpreter").
var blockers = map[string]bool{
	"interpreter": true, "translator": true, "переводчик": true, "переводчица": true,
}

// joiners right before a name mean the name is not the speaker's own:
// "Vladimir Putin and Xi Jinping", "Question to Sergei Lavrov". Inside a
// title they do no harm ("Union of Industrialists and Entrepreneurs
// Alexander Shokhin").
var joiners = map[string]bool{
	"and": true, "&": true, "with": true, "for": true, "to": true,
	"и": true, "с": true, "со": true, "для": true, "к": true,
}

// joinedAt reports whether the word before label[j] is a joiner.
func joinedAt(label []nameTok, j int) bool {
	return j > 0 && !label[j-1].init && joiners[label[j-1].w]
}

// nameTokens splits s into folded words; "В.В.Путин" gives the initials в,
// в and the word путин.
func nameTokens(s string) []nameTok {
	var out []nameTok
	for _, f := range strings.Fields(clean(s)) {
		for f != "" {
			part := f
			if i := strings.IndexByte(f, '.'); i >= 0 && i < len(f)-1 {
				part, f = f[:i+1], f[i+1:]
			} else {
				f = ""
			}
			if t, ok := makeTok(part); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

func makeTok(part string) (nameTok, bool) {
	dot := strings.HasSuffix(part, ".")
	w := strings.TrimFunc(part, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '&'
	})
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if w == "" {
		return nameTok{}, false
	}
	lw := strings.ToLower(w)
	if dot && !honorifics[lw] && utf8.RuneCountInString(w) <= 2 && isLetters(w) {
		r, _ := utf8.DecodeRuneInString(foldWord(lw))
		return nameTok{w: string(r), init: true}, true
	}
	return nameTok{w: foldWord(lw)}, true
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func isCyrillic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

// latinFold maps accented Latin letters to their base letter.
var latinFold = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "ą", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "ě", "e", "ę", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o", "ő", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ű", "u",
	"ç", "c", "č", "c", "ć", "c", "ğ", "g", "ñ", "n", "ň", "n", "ł", "l",
	"ş", "s", "š", "s", "ś", "s", "ž", "z", "ź", "z", "ż", "z", "ř", "r", "ý", "y", "ß", "ss",
)

// translitFold rewrites the variants of Russian transliteration to one form.
var translitFold = strings.NewReplacer(
	"ks", "x", "kh", "h", "ph", "f", "w", "v",
	"yy", "y", "yo", "e", "ye", "e", "iya", "ia", "ya", "ia", "yu", "iu", "yi", "i", "ii", "i", "iy", "i",
)

// foldWord folds a lower-cased word (see the package comment above).
func foldWord(w string) string {
	if isCyrillic(w) {
		return strings.ReplaceAll(w, "ё", "е")
	}
	w = latinFold.Replace(w)
	w = translitFold.Replace(w)
	if strings.HasSuffix(w, "y") && len(w) > 2 {
		w = w[:len(w)-1] + "i"
	}
	if strings.HasSuffix(w, "andr") { // Aleksandr, Alexandr -> alexander
		w = w[:len(w)-2] + "der"
	}
	return w
}

// ruEndings are Russian case endings, longest first.
var ruEndings = []string{"ыми", "ими", "ого", "его", "ому", "ему", "ой", "ей", "ым", "им", "ом", "ем", "ую", "юю", "ая", "яя", "а", "я", "у", "ю", "е", "ы", "и", "й", "ь"}

// ruStem strips one case ending from a Russian word; words shorter than
// four letters and indeclinable ones stay as they are.
func ruStem(w string) string {
	if utf8.RuneCountInString(w) < 4 {
		return w
	}
	for _, e := range ruEndings {
		if strings.HasSuffix(w, e) && utf8.RuneCountInString(w)-utf8.RuneCountInString(e) >= 3 {
			return strings.TrimSuffix(w, e)
		}
	}
	return w
}

// nameForm is one way a person's name is written.
type nameForm struct {
	toks []nameTok
	// surnameFirst: the catalog form "Surname Firstname [Patronymic]"
	// (tags, hover cards); else the running form "Firstname Surname".
	surnameFirst bool
	// oblique: the form may be in any grammatical case (a person link in
	// Russian running text, "с Сергеем Лавровым"); Russian words are then
	// compared by stem.
	oblique bool
}

// personCand is a person a label may name: a persons tag or a person link
// of the same page.
type personCand struct {
	key   string
	forms []nameForm
}

func (c *personCand) addForm(text string, surnameFirst, oblique bool) {
	toks := nameTokens(text)
	if len(toks) == 0 {
		return
	}
	c.forms = append(c.forms, nameForm{toks: toks, surnameFirst: surnameFirst, oblique: oblique})
}

// Match levels, strongest last.
const (
	levelNone    = iota
	levelSurname // "Mr Lukashenko", "Lukashenko"
	levelInitial // "А.Лукашенко", "A. Lukashenko"
	levelFull    // "Alexander Lukashenko", "President … Alexander Lukashenko"
)

func wordEq(a nameTok, b nameTok, oblique bool) bool {
	if a.init || b.init {
		return false
	}
	if a.w == b.w {
		return true
	}
	if oblique && isCyrillic(a.w) && isCyrillic(b.w) {
		sa, sb := ruStem(a.w), ruStem(b.w)
		return utf8.RuneCountInString(sa) >= 3 && sa == sb
	}
	return false
}

// givenEq compares a label token with a given-name token: the same word,
// or an initial of it. initial reports whether an initial was used.
func givenEq(l, n nameTok, oblique bool) (ok, initial bool) {
	switch {
	case l.init && n.init:
		return l.w == n.w, true
	case l.init:
		r, _ := utf8.DecodeRuneInString(n.w)
		return string(r) == l.w, true
	case n.init:
		r, _ := utf8.DecodeRuneInString(l.w)
		return string(r) == n.w, true
	}
	return wordEq(l, n, oblique), false
}

// matchAt reports the level at which label[j:] starts with given[:m] +
// surname.
func matchAt(label []nameTok, j int, given, surname []nameTok, oblique bool) int {
	if j+len(given)+len(surname) > len(label) || joinedAt(label, j) {
		return levelNone
	}
	level := levelFull
	for i, g := range given {
		ok, init := givenEq(label[j+i], g, oblique)
		if !ok {
			return levelNone
		}
		if init {
			level = levelInitial
		}
	}
	for i, s := range surname {
		if !wordEq(label[j+len(given)+i], s, oblique) {
			return levelNone
		}
	}
	return level
}

// matchForm returns how strongly label names the person of form f.
func matchForm(label []nameTok, f nameForm) int {
	best := levelNone
	n := len(f.toks)
	// The form as written, e.g. "Xi Jinping", "Си Цзиньпин".
	if n >= 2 {
		for j := 0; j+n <= len(label); j++ {
			if l := matchAt(label, j, f.toks[:n-1], f.toks[n-1:], f.oblique); l > best {
				best = l
			}
		}
	}
	for k := 1; k < n; k++ {
		var given, surname []nameTok
		if f.surnameFirst {
			surname, given = f.toks[:k], f.toks[k:]
		} else {
			given, surname = f.toks[:k], f.toks[k:]
		}
		for _, s := range surname {
			if s.init {
				surname = nil
			}
		}
		if surname == nil {
			continue
		}
		// Firstname [Patronymic] Surname, or initials + surname.
		for m := 1; m <= len(given); m++ {
			for j := 0; j+m+len(surname) <= len(label); j++ {
				if l := matchAt(label, j, given[:m], surname, f.oblique); l > best {
					best = l
				}
			}
		}
		// A bare surname at the end of the label, alone or after an
		// honorific.
		if best < levelSurname && len(label) >= len(surname) {
			j := len(label) - len(surname)
			if matchAt(label, j, nil, surname, f.oblique) != levelNone &&
				(j == 0 || (j == 1 && !label[0].init && honorifics[label[0].w])) {
				best = levelSurname
			}
		}
	}
	return best
}

// matchPersons returns the one person a label names among cands, at the
// strongest level any of them matches; "" when none matches or when two
// different persons match equally well.
func matchPersons(label []nameTok, cands []personCand) string {
	key, _ := matchPersonsDetail(label, cands)
	return key
}

// matchPersonsDetail is matchPersons that also tells an ambiguous label
// from one that matches nobody.
func matchPersonsDetail(label []nameTok, cands []personCand) (key string, ambiguous bool) {
	bestLevel := levelNone
	for i := range cands {
		c := &cands[i]
		lvl := levelNone
		for _, f := range c.forms {
			lvl = max(lvl, matchForm(label, f))
		}
		switch {
		case lvl == levelNone || lvl < bestLevel:
		case lvl > bestLevel:
			bestLevel, key, ambiguous = lvl, c.key, false
		case c.key != key:
			ambiguous = true
		}
	}
	if ambiguous {
		return "", true
	}
	return key, false
}

// isGenericLabel reports whether a label names no speaker of its own
// ("Question", "Remark", "Вопрос", "Реплика из зала", "Voice from the
// audience").
func isGenericLabel(label []nameTok) bool {
	return len(label) == 0 || (!label[0].init && genericHeads[label[0].w])
}

// hasBlocker reports whether the label names several people or someone
// speaking for another.
func hasBlocker(label []nameTok) bool {
	for _, t := range label {
		if !t.init && blockers[t.w] {
			return true
		}
	}
	return false
}

// isHeadOfState reports whether the label is Vladimir Putin's: "Vladimir
// Putin", "President of Russia Vladimir Putin", "V.Putin", "В.Путин",
// "В.В.Путин", "Владимир Путин", "Президент России Владимир Путин",
// "President Putin", "Mr Putin".
func isHeadOfState(label []nameTok) bool {
	n := len(label)
	if n == 0 || isGenericLabel(label) || hasBlocker(label) {
		return false
	}
	last := label[n-1]
	var first, patronymic string
	switch {
	case last.init:
		return false
	case last.w == "putin":
		first, patronymic = "vladimir", "vladimirovich"
	case last.w == "путин":
		first, patronymic = "владимир", "владимирович"
	default:
		return false
	}
	if n == 1 {
		return true
	}
	prev := label[n-2]
	initial := string([]rune(first)[:1])
	switch {
	case !prev.init && prev.w == first:
		return !joinedAt(label, n-2)
	case !prev.init && prev.w == patronymic:
		return n >= 3 && !label[n-3].init && label[n-3].w == first && !joinedAt(label, n-3)
	case prev.init && prev.w == initial:
		// В.Путин, or В.В.Путин
		switch {
		case n == 2:
			return true
		case label[n-3].init:
			return label[n-3].w == initial && !joinedAt(label, n-3)
		}
		return !joinedAt(label, n-2)
	case !prev.init && honorifics[prev.w]:
		return !joinedAt(label, n-2)
	}
	return false
}

// learnableLabel reports whether a resolved label may be learned for the
// archive-wide alias table: it must hold a name, not just a surname after
// an honorific ("Mr Ivanov" may be another Ivanov on another page).
func learnableLabel(label []nameTok) bool {
	if isGenericLabel(label) || hasBlocker(label) {
		return false
	}
	n := 0
	for _, t := range label {
		if t.init || !honorifics[t.w] {
			n++
		}
	}
	return n >= 2
}

// LabelKey is the normalised form of a speaker label used as the key of
// the archive-wide alias table: folded words, initials marked with a dot
// ("В.Путин" and "В. Путин" -> "в. путин").
func LabelKey(label string) string {
	return tokKey(nameTokens(label))
}

func tokKey(toks []nameTok) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.w)
		if t.init {
			b.WriteByte('.')
		}
	}
	return b.String()
}
