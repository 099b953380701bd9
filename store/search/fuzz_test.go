package search

import (
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

func analyzerForTest(t testing.TB, lang string) *highlighter {
	t.Helper()
	an, err := langAnalyzer(lang)
	if err != nil {
		t.Fatal(err)
	}
	return &highlighter{an: an}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []clause
	}{
		{"", nil},
		{"sanctions", []clause{{text: "sanctions"}}},
		{`  two   words `, []clause{{text: "two"}, {text: "words"}}},
		{`"a phrase" word`, []clause{{text: "a phrase", phrase: true}, {text: "word"}}},
		{`-excluded -"excluded phrase"`, []clause{{text: "excluded", not: true}, {text: "excluded phrase", phrase: true, not: true}}},
		{`«Россия» „quoted“`, []clause{{text: "Россия", phrase: true}, {text: "quoted", phrase: true}}},
		{`"unterminated phrase`, []clause{{text: "unterminated phrase", phrase: true}}},
		{`- lone minus`, []clause{{text: "-"}, {text: "lone"}, {text: "minus"}}},
		{`a-b`, []clause{{text: "a-b"}}},
		{`""`, nil},
	} {
		got := parseQuery(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
			}
		}
	}
}

func TestTokenizer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Russia's economy, 2.5%", "Russia's|economy|2|5"},
		{"В.Путин: «Санкции» — ёлка", "В|Путин|Санкции|ёлка"},
		{"d’Estaing  ' quote'", "d’Estaing|quote"},
		{"naïve café", "naïve|café"},
	} {
		var got []string
		for _, tok := range (words{}).Tokenize([]byte(tc.in)) {
			got = append(got, string(tok.Term))
			if tc.in[tok.Start:tok.End] != string(tok.Term) {
				t.Errorf("%q: token %q at %d:%d", tc.in, tok.Term, tok.Start, tok.End)
			}
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, strings.Join(got, "|"), tc.want)
		}
	}
}

// FuzzQuery: any query string parses, analyses and builds a query
// without panicking.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{`"a phrase" -word`, `-"x`, "«»", "\x00\xff", "санкциями -\"ё\""} {
		f.Add(s)
	}
	h := analyzerForTest(f, "ru")
	f.Fuzz(func(t *testing.T, s string) {
		q := Query{Q: s, Speaker: s, Tags: []string{s}, Place: s}
		if err := q.Normalize(); err != nil {
			return
		}
		// every term common (pairs for every phrase), and none
		all := map[string]bool{}
		for _, t := range h.an.Analyze([]byte(s)) {
			all[string(t.Term)] = true
		}
		for _, common := range []map[string]bool{all, nil} {
			q.build(h.an, "ru", typeTurn, common)
			q.build(h.an, "ru", typeDoc, common)
		}
	})
}

// FuzzBigrams: whatever the text, the bigram field holds pairs of the
// text's terms, at most maxBigramGap apart.
func FuzzBigrams(f *testing.F) {
	f.Add("the development of the economy", "en")
	f.Add("Развитие экономики.\n\nРоссии", "ru")
	f.Add("a\x00b \xff c", "en")
	f.Fuzz(func(t *testing.T, text, lang string) {
		if lang != "ru" {
			lang = "en"
		}
		an, err := langAnalyzer(lang)
		if err != nil {
			t.Fatal(err)
		}
		var terms []string
		for _, tk := range an.Analyze([]byte(text)) {
			terms = append(terms, string(tk.Term))
		}
		known := map[string]bool{}
		for _, t := range terms {
			known[t] = true
		}
		for _, b := range Bigrams(lang, text, terms) {
			parts := strings.Split(b, " ")
			gaps := len(parts) - 2
			if len(parts) < 2 || gaps > maxBigramGap-1 || !known[parts[0]] || !known[parts[len(parts)-1]] {
				t.Fatalf("bigram %q of %q", b, text)
			}
			for _, p := range parts[1 : len(parts)-1] {
				if p != "_" {
					t.Fatalf("bigram %q of %q", b, text)
				}
			}
		}
	})
}

// FuzzSnippet: whatever the text and query, a snippet is escaped text
// with <mark> tags only.
func FuzzSnippet(f *testing.F) {
	f.Add("Text with <b>alert</b> & \u202e", "alert")
	f.Add("Санкциями\n\nникого", "санкции")
	f.Add(strings.Repeat("word ", 200)+"target", `"word target"`)
	h0 := analyzerForTest(f, "en")
	f.Fuzz(func(t *testing.T, text, q string) {
		if !utf8.ValidString(text) {
			return
		}
		h := newHighlighter(h0.an, analyse(h0.an, parseQuery(q)))
		s, _ := h.Snippet(text)
		plain := strings.ReplaceAll(strings.ReplaceAll(s, "<mark>", ""), "</mark>", "")
		if strings.ContainsAny(plain, "<>\"'") {
			t.Fatalf("unescaped markup in %q", s)
		}
		un := strings.TrimSuffix(strings.TrimPrefix(html.UnescapeString(plain), "… "), " …")
		if !strings.Contains(text, un) {
			t.Fatalf("snippet %q is not a passage of the text", un)
		}
	})
}
