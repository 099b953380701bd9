package search_test

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

// The property the issue is checked on independently, over the real
// pages of /work/shared/site/samples (a 2020 wget mirror of
// en.kremlin.ru, not part of the project): a phrase taken from a real
// document finds that document in the top 3 hits, and a speaker-filtered
// phrase search returns only turns of that speaker. The test runs when
// the folder is found (KREMLIN_SAMPLES, or shared/site/samples above the
// working directory: samples.Find) and is skipped otherwise.

// docPage is the path of a document page in the mirror; listings
// (page/N, by-date), the feed and a document's photos, videos and print
// pages are not documents.
var docPage = regexp.MustCompile(`^events/president/(news|transcripts)/[0-9]+\.html$`)

// sampleDocs parses every document page of the samples and returns what
// the crawler would store for each.
func sampleDocs(t *testing.T, root string) []*store.Fetched {
	t.Helper()
	var out []*store.Fetched
	at := time.Date(2020, 8, 15, 12, 0, 0, 0, time.UTC)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !docPage.MatchString(rel) {
			return nil
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		u := "http://en.kremlin.ru/" + strings.TrimSuffix(rel, ".html")
		if k := kremlin.Classify(body, u); k != kremlin.KindDocument {
			t.Errorf("%s: Classify = %v, want a document", rel, k)
			return nil
		}
		doc, err := kremlin.ParseDocument(body, u, kremlin.Options{Lang: "en"})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		raw := &store.Raw{URL: u, FetchedAt: at, Proto: "HTTP/1.1", Status: http.StatusOK,
			Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: body}
		// as crawler/document.go stores a fetched document
		rec := &doc.Record
		rec.FetchedAt = at.Format(time.RFC3339)
		rec.SourceURL = u
		rec.RawSHA256 = raw.SHA256()
		rec.Source, rec.CapturedAt = record.SourceLive, rec.FetchedAt
		listed := strings.Split(rel, "/")[2]
		out = append(out, &store.Fetched{Raw: raw, Record: rec, ListedIn: []string{listed}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found %d document pages in %s, want at least 10", len(out), root)
	}
	return out
}

// writeFetched writes an archive of docs and returns its path.
func writeFetched(t *testing.T, docs []*store.Fetched) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kremlin.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range docs {
		if _, err := db.PutDocument(f, 0); err != nil {
			t.Fatalf("%s: %v", f.Raw.URL, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// analysedText is a text after the English analysis: term by position.
type analysedText map[int]string

func analyseText(text string) analysedText {
	terms, pos := search.Terms("en", text)
	m := make(analysedText, len(terms))
	for i, t := range terms {
		m[pos[i]] = t
	}
	return m
}

// holds says whether a text holds the phrase of the given terms and
// positions: its terms at the same distances. Strictly, the positions
// between them hold no term either (stop words, as in the phrase: what
// the pairs of bigrams match); otherwise any word fills them (what
// bleve's phrase query matches: "start of the year" is found in "has
// started. Within several years").
func (a analysedText) holds(terms []string, pos []int, strict bool) bool {
	for p, t := range a {
		if t != terms[0] {
			continue
		}
		ok := true
		for k := 1; k < len(terms) && ok; k++ {
			ok = a[p+pos[k]-pos[0]] == terms[k]
			for q := pos[k-1] + 1; strict && ok && q < pos[k]; q++ {
				ok = a[p+q-pos[0]] == ""
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// samplePhrase is a phrase of a sample document: from turn Turn (-1: the
// document has no turns and the phrase is from its text).
type samplePhrase struct {
	id     int64
	turn   int
	text   string
	terms  []string
	pos    []int
	stop   bool // has a stop word between two of its terms
	punct  bool // crosses punctuation
	source string
}

var quoteRunes = strings.NewReplacer(`"`, "", "“", "", "”", "", "«", "", "»", "", "„", "")

// windows returns deterministic windows of 3–6 consecutive words of each
// line of text (a phrase never spans two paragraphs), spread over it.
func windows(text string, seed int) []string {
	var out []string
	for li, line := range strings.Split(text, "\n") {
		words := strings.Fields(quoteRunes.Replace(line))
		n := 3 + (seed+li)%4
		if len(words) < n {
			continue
		}
		// the start, the middle and a point near the end of the line
		for _, start := range []int{(seed + li) % (len(words) - n + 1), (len(words) - n) / 2, len(words) - n - (seed+li)%(len(words)-n+1)/3} {
			out = append(out, strings.Join(words[start:start+n], " "))
		}
	}
	return out
}

// fourWords returns, for each line of text, the windows of four words
// (a word, the one at i and the two after it) whose word at i is picked.
func fourWords(text string, picked func(words []string, i int) bool) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		words := strings.Fields(quoteRunes.Replace(line))
		for i := 1; i+3 <= len(words); i++ {
			if picked(words, i) {
				out = append(out, strings.Join(words[i-1:i+3], " "))
			}
		}
	}
	return out
}

// stopPhrases returns, for each "of the" / "in the" / "to the" / "and the"
// of text, the window of four words that holds it (one stop-word run
// inside a phrase).
func stopPhrases(text string) []string {
	return fourWords(text, func(words []string, i int) bool {
		switch strings.ToLower(words[i]) + " " + strings.ToLower(words[i+1]) {
		case "of the", "in the", "to the", "and the":
			return true
		}
		return false
	})
}

// punctPhrases returns windows of four words with a comma, colon,
// semicolon or full stop after their second word.
func punctPhrases(text string) []string {
	return fourWords(text, func(words []string, i int) bool {
		return strings.ContainsAny(words[i][len(words[i])-1:], ",.;:")
	})
}

// spread picks at most n items of xs, evenly spaced.
func spread[T any](xs []T, n int) []T {
	if len(xs) <= n {
		return xs
	}
	out := make([]T, 0, n)
	for i := range n {
		out = append(out, xs[i*len(xs)/n])
	}
	return out
}

// phrasesOf returns the phrases taken from one document: from its turns
// or, without turns, from its text.
func phrasesOf(r *record.Record) []samplePhrase {
	type unit struct {
		turn int
		text string
	}
	var units []unit
	for i, tr := range r.Turns {
		units = append(units, unit{i, tr.Text})
	}
	if len(units) == 0 {
		units = append(units, unit{-1, r.Text})
	}
	var cands []samplePhrase
	seen := map[string]bool{}
	add := func(u unit, s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		terms, pos := search.Terms("en", s)
		if len(terms) < 2 { // one word and stop words: a word search, not a phrase
			return
		}
		p := samplePhrase{id: r.ID, turn: u.turn, text: s, terms: terms, pos: pos, source: search.DocKey(r.Lang, r.ID)}
		p.stop = pos[len(pos)-1]-pos[0] > len(terms)-1
		p.punct = strings.ContainsAny(strings.TrimRight(s, ",.;:!?"), ",.;:!?")
		cands = append(cands, p)
	}
	var plain, stops, puncts []func()
	for ui, u := range units {
		for _, s := range windows(u.text, int(r.ID)+ui) {
			plain = append(plain, func() { add(u, s) })
		}
		for _, s := range stopPhrases(u.text) {
			stops = append(stops, func() { add(u, s) })
		}
		for _, s := range punctPhrases(u.text) {
			puncts = append(puncts, func() { add(u, s) })
		}
	}
	for _, f := range spread(plain, 6) {
		f()
	}
	for _, f := range spread(stops, 2) {
		f()
	}
	for _, f := range spread(puncts, 2) {
		f()
	}
	return cands
}

// TestSamplesPhrases: every phrase taken from a real document finds it in
// the top 3 hits, with the archive's own common terms (none among 26
// pages) and with every term common (each phrase is then looked up
// through the pairs of its terms, see bigrams).
func TestSamplesPhrases(t *testing.T) {
	root := samples.Root(t)
	docs := sampleDocs(t, root)
	path := writeFetched(t, docs)

	texts := map[string]analysedText{} // by document key
	var phrases []samplePhrase
	allTerms := map[string]bool{}
	for _, f := range docs {
		r := f.Record
		text := search.DocText(r)
		texts[search.DocKey(r.Lang, r.ID)] = analyseText(text)
		terms, _ := search.Terms("en", text)
		for _, tm := range terms {
			allTerms[tm] = true
		}
		phrases = append(phrases, phrasesOf(r)...)
	}
	common := slices.Sorted(maps.Keys(allTerms))
	var stops, puncts, fromTurns int
	for _, p := range phrases {
		if p.stop {
			stops++
		}
		if p.punct {
			puncts++
		}
		if p.turn >= 0 {
			fromTurns++
		}
	}
	t.Logf("%d documents, %d phrases (%d from turns, %d with stop words inside, %d across punctuation)",
		len(docs), len(phrases), fromTurns, stops, puncts)
	if len(phrases) < 100 || stops < 10 || puncts < 10 || fromTurns < 30 {
		t.Fatalf("too few phrases to be meaningful: %d (%d from turns, %d with stop words, %d across punctuation)",
			len(phrases), fromTurns, stops, puncts)
	}

	for _, cfg := range []struct {
		name   string
		common map[string][]string
		pairs  bool // every phrase is looked up through its pairs
	}{
		{"archive common terms", nil, false},
		{"every term common", map[string][]string{"en": common, "ru": {}}, true},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			// an index of its own: the common terms are fixed when it is built
			ix := indexArchive(t, path, filepath.Join(t.TempDir(), "kremlin.db.index"), search.Options{CommonTerms: cfg.common}, len(docs))
			checked, skipped, loosely := 0, 0, 0
			for _, p := range phrases {
				if cfg.pairs && len(search.Bigrams("en", p.text, common)) == 0 {
					t.Errorf("%q: no pairs with every term common", p.text)
				}
				// the documents that hold the phrase, by the same analysis
				var holders, loose []string
				for k, a := range texts {
					if a.holds(p.terms, p.pos, true) {
						holders = append(holders, k)
					}
					if a.holds(p.terms, p.pos, false) {
						loose = append(loose, k)
					}
				}
				slices.Sort(holders)
				slices.Sort(loose)
				if !slices.Contains(holders, p.source) {
					t.Errorf("%q (from %s turn %d) is not in the indexed text of its document", p.text, p.source, p.turn)
					continue
				}
				if len(holders) > 3 {
					skipped++
					continue
				}
				checked++
				res, err := ix.Search(context.Background(), search.Query{Q: `"` + p.text + `"`, Lang: "en", Limit: 10})
				if err != nil {
					t.Fatalf("%q: %v", p.text, err)
				}
				got := keysOf(res)
				if i := slices.Index(got, p.source); i < 0 || i >= 3 {
					t.Errorf("%q (from %s turn %d): %s not in the top 3 hits %v (documents holding it: %v)",
						p.text, p.source, p.turn, p.source, got, holders)
				}
				// every document that holds it, and none that does not
				// hold its terms at its distances
				slices.Sort(got)
				for _, k := range holders {
					if !slices.Contains(got, k) {
						t.Errorf("%q: %s holds it but is not among the hits %v", p.text, k, got)
					}
				}
				for _, k := range got {
					if !slices.Contains(loose, k) {
						t.Errorf("%q: hit %s does not hold its terms at its distances", p.text, k)
					}
				}
				if res.Total != uint64(len(got)) {
					t.Errorf("%q: total %d, hits %v", p.text, res.Total, got)
				}
				if !slices.Equal(got, holders) {
					loosely++
					t.Logf("%q: hits %v; %v hold it with only stop words between its terms", p.text, got, holders)
				}
			}
			t.Logf("%s: %d phrases checked, %d skipped (in more than 3 documents), %d matched where other words stand for its stop words",
				cfg.name, checked, skipped, loosely)
			if checked < 100 || skipped*5 > len(phrases) {
				t.Errorf("%d phrases checked, %d skipped of %d: too few to be meaningful", checked, skipped, len(phrases))
			}
		})
	}
}

// TestSamplesSpeakerPhrases: a phrase searched with a speaker filter
// finds the turn it was taken from and only turns of that speaker that
// hold it.
func TestSamplesSpeakerPhrases(t *testing.T) {
	root := samples.Root(t)
	docs := sampleDocs(t, root)
	path := writeFetched(t, docs)
	ix := indexArchive(t, path, search.DefaultDir(path), search.Options{}, len(docs))

	// every turn of the samples, analysed
	type turnText struct {
		key, group string
		text       analysedText
	}
	var turns []turnText
	var phrases []samplePhrase
	var groups []string // the source turn's speaker group, by phrase
	for _, f := range docs {
		r := f.Record
		for i := range r.Turns {
			turns = append(turns, turnText{fmt.Sprintf("%s/%d", search.DocKey(r.Lang, r.ID), i),
				search.SpeakerGroup(&r.Turns[i]), analyseText(r.Turns[i].Text)})
		}
		var fromTurns []samplePhrase
		for _, p := range phrasesOf(r) {
			if p.turn >= 0 {
				fromTurns = append(fromTurns, p)
			}
		}
		for _, p := range spread(fromTurns, 3) {
			phrases = append(phrases, p)
			groups = append(groups, search.SpeakerGroup(&r.Turns[p.turn]))
		}
	}
	if len(phrases) < 10 {
		t.Fatalf("%d phrases from turns, want at least 10", len(phrases))
	}
	speakers := map[string]bool{}
	for i, p := range phrases {
		g := groups[i]
		speakers[g] = true
		t.Run(p.text, func(t *testing.T) {
			// the turns of that speaker that hold the phrase (want), and
			// that hold its terms at its distances (may)
			var want, may []string
			for _, tt := range turns {
				if tt.group != g {
					continue
				}
				if tt.text.holds(p.terms, p.pos, true) {
					want = append(want, tt.key)
				}
				if tt.text.holds(p.terms, p.pos, false) {
					may = append(may, tt.key)
				}
			}
			src := fmt.Sprintf("%s/%d", p.source, p.turn)
			if !slices.Contains(want, src) {
				t.Fatalf("the source turn %s (%s) does not hold %q", src, g, p.text)
			}
			res, err := ix.Search(context.Background(), search.Query{Q: `"` + p.text + `"`, Speaker: g, Lang: "en", Limit: search.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Turns {
				t.Fatalf("speaker search gave documents, not turns")
			}
			for _, h := range res.Hits {
				if h.SpeakerKey != g {
					t.Errorf("hit %s/%d by %q (%s), want only %s", search.DocKey(h.Lang, h.ID), h.Turn, h.Speaker, h.SpeakerKey, g)
				}
			}
			got := make([]string, 0, len(res.Hits))
			for _, h := range res.Hits {
				got = append(got, fmt.Sprintf("%s/%d", search.DocKey(h.Lang, h.ID), h.Turn))
			}
			for _, k := range want {
				if !slices.Contains(got, k) {
					t.Errorf("turn %s of %s holds the phrase but is not among the hits %v", k, g, got)
				}
			}
			for _, k := range got {
				if !slices.Contains(may, k) {
					t.Errorf("hit %s does not hold the phrase's terms at its distances", k)
				}
			}
		})
	}
	if len(speakers) < 2 {
		t.Errorf("phrases of %d speakers, want several", len(speakers))
	}
	t.Logf("%d speaker-filtered phrases, %d speakers: %v", len(phrases), len(speakers), slices.Sorted(maps.Keys(speakers)))
}
