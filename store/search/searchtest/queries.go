package searchtest

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"unicode"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// QueryKind is one kind of search of the serve benchmarks, with its
// searches as API parameters.
type QueryKind struct {
	Name    string
	Queries []url.Values
}

// Queries makes n different searches of each kind the serve benchmarks
// measure — single words, phrases, and words with filters (language and
// dates, speaker, tag and section) — taken from the documents of the
// synthetic archive Generate made, the same ones for the same arguments.
func Queries(en, ru []fakesite.Doc, n int) []QueryKind {
	keys := SpeakerKeys(en)
	r := rand.New(rand.NewPCG(7, 11))
	pick := func() fakesite.Doc {
		if r.IntN(2) == 0 {
			return en[r.IntN(len(en))]
		}
		return ru[r.IntN(len(ru))]
	}
	words := func(d fakesite.Doc) []string {
		var text []string
		for _, p := range d.Paragraphs {
			text = append(text, p.Text)
		}
		return strings.FieldsFunc(strings.Join(text, " ")+" "+d.Title, func(r rune) bool { return !unicode.IsLetter(r) })
	}
	long := func(ws []string) []string {
		var out []string
		for _, w := range ws {
			if len([]rune(w)) >= 5 {
				out = append(out, w)
			}
		}
		return out
	}
	kinds := []struct {
		name string
		make func() url.Values
	}{
		{"word", func() url.Values {
			for {
				if ws := long(words(pick())); len(ws) > 0 {
					return url.Values{"q": {ws[r.IntN(len(ws))]}}
				}
			}
		}},
		{"phrase", func() url.Values {
			for {
				d := pick()
				var ps []string
				for _, p := range d.Paragraphs {
					if len(strings.Fields(p.Text)) >= 4 {
						ps = append(ps, p.Text)
					}
				}
				if len(ps) == 0 {
					continue
				}
				ws := strings.Fields(ps[r.IntN(len(ps))])
				k := 2 + r.IntN(3)
				i := r.IntN(len(ws) - k + 1)
				phrase := strings.Trim(strings.Join(ws[i:i+k], " "), ".,:;!?")
				return url.Values{"q": {`"` + phrase + `"`}}
			}
		}},
		{"word+lang+dates", func() url.Values {
			for {
				d := pick()
				if ws := long(words(d)); len(ws) > 0 {
					y := 2000 + r.IntN(26)
					return url.Values{"q": {ws[r.IntN(len(ws))]}, "lang": {d.Lang},
						"from": {fmt.Sprintf("%d-01-01", y)}, "to": {fmt.Sprintf("%d-12-31", y+2)}}
				}
			}
		}},
		{"word+speaker", func() url.Values {
			for {
				d := en[r.IntN(len(en))]
				for _, p := range d.Paragraphs {
					if k, ok := keys[p.Speaker]; ok && p.Kind == fakesite.ParaTurn {
						if ws := long(strings.Fields(p.Text)); len(ws) > 0 {
							return url.Values{"q": {strings.Trim(ws[r.IntN(len(ws))], ".,:;!?")}, "speaker": {k}}
						}
					}
				}
			}
		}},
		{"word+tag+section", func() url.Values {
			for {
				d := pick()
				if len(d.Tags) == 0 {
					continue
				}
				t := d.Tags[r.IntN(len(d.Tags))]
				parts := strings.Split(strings.TrimPrefix(t.Href, "/catalog/"), "/")
				if ws := long(words(d)); len(ws) > 0 && len(parts) >= 2 {
					return url.Values{"q": {ws[r.IntN(len(ws))]}, "tag": {parts[0] + "/" + parts[1]}, "section": {d.Sections[0]}}
				}
			}
		}},
	}
	// every search different: the benchmarks measure searches, not a
	// cache of recent results
	seen := map[string]bool{}
	var out []QueryKind
	for _, k := range kinds {
		qk := QueryKind{Name: k.name}
		for len(qk.Queries) < n {
			v := k.make()
			if !seen[v.Encode()] {
				seen[v.Encode()] = true
				qk.Queries = append(qk.Queries, v)
			}
		}
		out = append(out, qk)
	}
	return out
}
