package searchtest

import (
	"math/rand/v2"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// crawler/fakesite writes its documents from a few dozen sentences: every
// word of them is in a large share of the archive, and every phrase in
// thousands of documents, which no real archive looks like and which makes
// a search benchmark measure the wrong thing (every query a match-most
// query). Real transcripts follow Zipf's law: a few words in nearly every
// document, a long tail of words in a handful. Generate gives every
// paragraph a sentence drawn from such a vocabulary.

// vocabSize is the number of distinct words per language of the tail
// vocabulary (the site's English text has some 60,000 distinct words).
const vocabSize = 60000

// zipfS is the exponent of the word frequencies (about 1 in natural text;
// Go's Zipf wants it above 1).
const zipfS = 1.07

var syllables = map[string][]string{
	fakesite.LangEN: strings.Fields("ba be bi bo bu da de di do du fa fe fi fo ga ge go ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo za zo bra tri pro sta con ver men tion ing ent al an er or"),
	fakesite.LangRU: strings.Fields("ба бе би бо бу да де ди до ду за зе зи зо ка ке ки ко ку ла ле ли ло лу ма ме ми мо му на не ни но ну па пе пи по пу ра ре ри ро ру са се си со су та те ти то ту ва ве ви во ча че чи жа жи ша ше ще ю пра про ство ени ани ост тель"),
}

var (
	vocabMu sync.Mutex
	vocabs  = map[string][]string{}
)

// vocab is the tail vocabulary of lang, most frequent first: made-up
// words of two to four syllables, the same for every run.
func vocab(lang string) []string {
	vocabMu.Lock()
	defer vocabMu.Unlock()
	if v, ok := vocabs[lang]; ok {
		return v
	}
	syl := syllables[lang]
	r := rand.New(rand.NewPCG(0x70cab, uint64(len(lang))+uint64(syl[0][0])))
	seen := map[string]bool{}
	out := make([]string, 0, vocabSize)
	for len(out) < vocabSize {
		var b strings.Builder
		n := 2 + r.IntN(3)
		if len(out) < 200 { // the most frequent words are short
			n = 2
		}
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	vocabs[lang] = out
	return out
}

// Generate returns the documents of a synthetic archive of ids IDs in
// both languages: crawler/fakesite's documents, each paragraph of text,
// speech and quotation given half its content words and one more
// sentence of 5 to 24 words from a Zipf-distributed vocabulary
// (deterministic for a seed).
func Generate(ids int, seed int64) (en, ru []fakesite.Doc) {
	en, ru = fakesite.GeneratePair(ids, ids, ids, seed)
	for _, docs := range [][]fakesite.Doc{en, ru} {
		for i := range docs {
			enrich(&docs[i], seed)
		}
	}
	return en, ru
}

func enrich(d *fakesite.Doc, seed int64) {
	if d.InvalidUTF8 {
		return // its bad byte's place depends on the text as generated
	}
	v := vocab(d.Lang)
	r := rand.New(rand.NewPCG(uint64(seed), uint64(d.ID)<<1|uint64(len(d.Lang)&1)))
	z := rand.NewZipf(r, zipfS, 1, uint64(len(v)-1))
	ps := make([]fakesite.Para, len(d.Paragraphs))
	copy(ps, d.Paragraphs) // GeneratePair's documents may share slices
	for i := range ps {
		switch ps[i].Kind {
		case fakesite.ParaText, fakesite.ParaTurn, fakesite.ParaQuote:
		default:
			continue
		}
		// Content words of the template sentences (lower case, five
		// letters or more: names and their links stay) give way to
		// words of the vocabulary half the time.
		tw := strings.Split(ps[i].Text, " ")
		for j, w := range tw {
			core := strings.TrimRightFunc(w, unicode.IsPunct)
			if utf8.RuneCountInString(core) < 5 || !isLower(core) || r.IntN(2) == 0 {
				continue
			}
			tw[j] = v[min(100+z.Uint64(), uint64(len(v)-1))] + w[len(core):]
		}
		ps[i].Text = strings.Join(tw, " ")
		n := 5 + r.IntN(20)
		ws := make([]string, n)
		for j := range ws {
			ws[j] = v[z.Uint64()]
		}
		first, size := utf8.DecodeRuneInString(ws[0])
		ws[0] = string(unicode.ToUpper(first)) + ws[0][size:]
		ps[i].Text = strings.TrimSpace(ps[i].Text+" "+strings.Join(ws, " ")) + "."
	}
	d.Paragraphs = ps
}

func isLower(w string) bool {
	for _, c := range w {
		if !unicode.IsLower(c) {
			return false
		}
	}
	return true
}
