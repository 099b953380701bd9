package fakesite

import (
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const nbsp = "\u00a0"

// invalidSentinel marks, in rendered text, the place of the invalid byte of
// an InvalidUTF8 document; finishPage swaps it for the raw byte 0xE3.
const invalidSentinel = "\ue000"

// normalize is the parser's whitespace rule (RECORD.md): NBSP and every
// other whitespace run become one space; the result is trimmed.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// escText escapes a text node the way the site does: only &, < and >.
func escText(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// escAttr escapes an attribute value (double-quoted).
func escAttr(s string) string {
	if !strings.ContainsAny(s, "&<>\"") {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// hashString is FNV-1a of s.
func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix combines values into one well-distributed 64-bit hash (splitmix64
// finaliser over a running combination). It is stable across processes
// and Go versions, unlike maphash.
func mix(vals ...uint64) uint64 {
	x := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		x ^= v + 0x9e3779b97f4a7c15 + (x << 6) + (x >> 2)
		x = splitmix(x)
	}
	return x
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// newRand returns a deterministic generator for the given key.
func newRand(vals ...uint64) *rand.Rand {
	h := mix(vals...)
	return rand.New(rand.NewPCG(h, splitmix(h)))
}

var shortWords = map[string]map[string]bool{
	LangEN: set("a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "and", "as", "or", "i"),
	LangRU: set("в", "и", "с", "к", "о", "у", "а", "на", "по", "за", "не", "из", "от", "до", "об", "со", "во", "но"),
}

var monthWords = set("january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var ordinalRe = regexp.MustCompile(`^(\d+)(st|nd|rd|th)(\W*)$`)

// noiser renders clean text as the site's HTML text nodes: escaped, with
// NBSPs after short words and before dashes, hard line wraps, stray edge
// whitespace and <sup> ordinals. Every transformation disappears under
// normalize (plus tag stripping), which is what makes Expected correct by
// construction.
type noiser struct {
	r    *rand.Rand
	lang string
}

type noiseOpt struct {
	wrap  bool // hard line breaks inside the text
	edges bool // stray leading space / trailing NBSP
	sup   bool // ordinal suffixes in <sup>
	nbsp  bool // NBSPs after short words
	entNB bool // write NBSP as &nbsp; (the RU fixture does)
}

var bodyOpt = noiseOpt{wrap: true, edges: true, sup: true, nbsp: true}
var lineOpt = noiseOpt{nbsp: true}

func (n *noiser) text(s string, o noiseOpt) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	nb := nbsp
	if o.entNB {
		nb = "&nbsp;"
	}
	if o.edges && n.r.IntN(20) == 0 {
		b.WriteByte(' ')
	}
	wrap := o.wrap && n.r.IntN(10) < 7
	width := 50 + n.r.IntN(40)
	col := 0
	words := strings.Split(s, " ")
	short := shortWords[n.lang]
	for i, w := range words {
		ew := escText(w)
		if o.sup {
			if m := ordinalRe.FindStringSubmatch(w); m != nil {
				ew = m[1] + "<sup>" + m[2] + "</sup>" + escText(m[3])
			}
		}
		b.WriteString(ew)
		col += utf8.RuneCountInString(w)
		if i == len(words)-1 {
			break
		}
		next := words[i+1]
		lw := strings.ToLower(w)
		switch {
		case o.nbsp && short[lw]:
			b.WriteString(nb)
			col++
		case o.nbsp && (next == "–" || next == "—"):
			b.WriteString(nb)
			col++
		case o.nbsp && monthWords[lw] && next != "" && next[0] >= '0' && next[0] <= '9':
			b.WriteString(nb)
			col++
		case wrap && col+utf8.RuneCountInString(next) > width:
			b.WriteByte('\n')
			col = 0
			width = 50 + n.r.IntN(40)
		case o.edges && strings.HasSuffix(w, ".") && n.r.IntN(25) == 0:
			b.WriteString(nb)
			col++
		default:
			b.WriteByte(' ')
			col++
		}
	}
	if o.edges && n.r.IntN(12) == 0 {
		b.WriteString(nb)
	}
	return b.String()
}

// label renders a speaker label text: NBSPs after short words, and now and
// then a newline instead of a space or a leading NBSP (samples 59484, 51329).
func (n *noiser) label(s string) string {
	out := n.text(s, lineOpt)
	if n.r.IntN(4) == 0 {
		// replace one plain space by a newline
		idx := []int{}
		for i := 0; i < len(out); i++ {
			if out[i] == ' ' {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			k := idx[n.r.IntN(len(idx))]
			out = out[:k] + "\n" + out[k+1:]
		}
	}
	if n.r.IntN(15) == 0 {
		out = nbsp + out
	}
	return out
}

// invalidSpot finds where an InvalidUTF8 document's bad byte goes: the
// paragraph index and the byte offset of one letter in the middle of a long
// word of a plain text paragraph, away from person links. ok is false when
// the document has no suitable paragraph.
func invalidSpot(d *Doc) (para, off int, ok bool) {
	for pi, p := range d.Paragraphs {
		if p.Kind != ParaText {
			continue
		}
		pos := 0
		for _, w := range strings.Split(p.Text, " ") {
			if len([]rune(w)) >= 7 && allLetters(w) && !inLinks(p, w) {
				// third rune of the word
				r := []rune(w)
				off = pos + len(string(r[:3]))
				return pi, off, true
			}
			pos += len(w) + 1
		}
	}
	return 0, 0, false
}

func allLetters(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func inLinks(p Para, w string) bool {
	for _, l := range p.Links {
		if strings.Contains(l.Name, w) {
			return true
		}
	}
	return false
}

// replaceRuneAt replaces the rune starting at byte offset off with repl.
func replaceRuneAt(s string, off int, repl string) string {
	_, size := utf8.DecodeRuneInString(s[off:])
	return s[:off] + repl + s[off+size:]
}
