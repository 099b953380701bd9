package kremlin_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// TestFakeSiteSpeakerKeys parses the fake site's pages in both languages
// and checks tag_keys and speaker_key against the site's truth: the page's
// keys are exactly what the page alone can tell (fakesite.Expected), and
// every key given is the true speaker.
func TestFakeSiteSpeakerKeys(t *testing.T) {
	for _, lang := range []string{"en", "ru"} {
		t.Run(lang, func(t *testing.T) {
			site := fakesite.New(fakesite.Options{Lang: lang, N: 400, Seed: 15})
			var turns, truthKeyed, pageKeyed int
			for _, d := range site.Docs() {
				body, status := site.Page(fmt.Sprintf("/events/president/%s/%d", d.Canonical(), d.ID))
				if status != 200 {
					t.Fatalf("%s/%d: status %d", lang, d.ID, status)
				}
				got, err := kremlin.ParseDocument(body, "http://127.0.0.1/events/president/"+d.Canonical()+"/"+fmt.Sprint(d.ID), kremlin.Options{Lang: lang})
				if err != nil {
					t.Fatalf("%s/%d: %v", lang, d.ID, err)
				}
				want := fakesite.Expected(d)
				if !reflect.DeepEqual(got.Record.TagKeys, want.TagKeys) {
					t.Errorf("%s/%d tag_keys = %v, want %v", lang, d.ID, deref(got.Record.TagKeys), deref(want.TagKeys))
				}
				truth := fakesite.SpeakerKeys(d)
				if len(got.Record.Turns) != len(want.Turns) {
					t.Fatalf("%s/%d: %d turns, want %d", lang, d.ID, len(got.Record.Turns), len(want.Turns))
				}
				for i, tr := range got.Record.Turns {
					turns++
					if truth[i] != nil {
						truthKeyed++
					}
					if s(tr.SpeakerKey) != s(want.Turns[i].SpeakerKey) {
						t.Errorf("%s/%d turn %d %q: speaker_key %s, want %s (truth %s)", lang, d.ID, i, tr.Speaker, s(tr.SpeakerKey), s(want.Turns[i].SpeakerKey), s(truth[i]))
					}
					if tr.SpeakerKey != nil {
						pageKeyed++
						if s(tr.SpeakerKey) != s(truth[i]) {
							t.Errorf("%s/%d turn %d %q: wrong speaker %s, truth %s", lang, d.ID, i, tr.Speaker, s(tr.SpeakerKey), s(truth[i]))
						}
					}
				}
				if !record.SameContent(&got.Record, &want) {
					t.Errorf("%s/%d: record differs from fakesite.Expected", lang, d.ID)
				}
			}
			if turns == 0 || pageKeyed == 0 || pageKeyed == truthKeyed {
				t.Errorf("corpus does not exercise resolution: %d turns, %d with a true key, %d keyed from the page", turns, truthKeyed, pageKeyed)
			}
			t.Logf("%s: %d turns, %d have a catalogue speaker, %d (%.1f%%) resolved from the page alone", lang, turns, truthKeyed, pageKeyed, 100*float64(pageKeyed)/float64(max(truthKeyed, 1)))
		})
	}
}

func s(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func deref(m map[string][]*string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		for _, p := range v {
			out[k] = append(out[k], s(p))
		}
	}
	return out
}

// TestFakeSiteArchiveSpeakers resolves speakers across an archive of both
// languages: the alias table learned from every page, then each record
// with its pair. Every key given must be the true speaker; paired records
// must agree.
func TestFakeSiteArchiveSpeakers(t *testing.T) {
	const seed = 16
	enDocs, ruDocs := fakesite.GeneratePair(500, 500, 400, seed)
	parse := func(lang string, docs []fakesite.Doc) map[int64]*record.Record {
		site := fakesite.New(fakesite.Options{Lang: lang, Docs: docs, Seed: seed})
		out := map[int64]*record.Record{}
		for _, d := range docs {
			path := fmt.Sprintf("/events/president/%s/%d", d.Canonical(), d.ID)
			body, status := site.Page(path)
			if status != 200 {
				t.Fatalf("%s %s: status %d", lang, path, status)
			}
			got, err := kremlin.ParseDocument(body, "http://127.0.0.1"+path, kremlin.Options{Lang: lang})
			if err != nil {
				t.Fatal(err)
			}
			out[d.ID] = &got.Record
		}
		return out
	}
	recs := map[string]map[int64]*record.Record{"en": parse("en", enDocs), "ru": parse("ru", ruDocs)}
	truth := map[string]map[int64][]*string{"en": {}, "ru": {}}
	for _, d := range enDocs {
		truth["en"][d.ID] = fakesite.SpeakerKeys(d)
	}
	for _, d := range ruDocs {
		truth["ru"][d.ID] = fakesite.SpeakerKeys(d)
	}
	table := kremlin.NewSpeakerTable()
	for _, lang := range []string{"en", "ru"} {
		for _, r := range recs[lang] {
			table.Learn(r)
		}
	}
	// Resolve copies, each against the stored (page-level) other language.
	final := map[string]map[int64]*record.Record{"en": {}, "ru": {}}
	other := map[string]string{"en": "ru", "ru": "en"}
	type count struct{ turns, truthKeyed, page, archive int }
	counts := map[string]*count{"en": {}, "ru": {}}
	for lang, m := range recs {
		for id, r := range m {
			c := *r
			c.Turns = append([]record.Turn(nil), r.Turns...)
			page := 0
			for _, tr := range c.Turns {
				if tr.SpeakerKey != nil {
					page++
				}
			}
			table.Resolve(&c, recs[other[lang]][id])
			final[lang][id] = &c
			cn := counts[lang]
			for i, tr := range c.Turns {
				cn.turns++
				if truth[lang][id][i] != nil {
					cn.truthKeyed++
				}
				if tr.SpeakerKey != nil {
					cn.archive++
					if s(tr.SpeakerKey) != s(truth[lang][id][i]) {
						t.Errorf("%s/%d turn %d %q: %s, truth %s", lang, id, i, tr.Speaker, s(tr.SpeakerKey), s(truth[lang][id][i]))
					}
				}
				if r.Turns[i].SpeakerKey != nil && s(r.Turns[i].SpeakerKey) != s(tr.SpeakerKey) {
					t.Errorf("%s/%d turn %d: the archive changed the page's key", lang, id, i)
				}
			}
			cn.page += page
		}
	}
	mismatch, pairs := 0, 0
	for id, en := range final["en"] {
		ru, ok := final["ru"][id]
		if !ok || len(en.Turns) == 0 {
			continue
		}
		pairs++
		for i := range en.Turns {
			if s(en.Turns[i].SpeakerKey) != s(ru.Turns[i].SpeakerKey) {
				mismatch++
				t.Errorf("pair %d turn %d: en %q %s, ru %q %s", id, i, en.Turns[i].Speaker, s(en.Turns[i].SpeakerKey), ru.Turns[i].Speaker, s(ru.Turns[i].SpeakerKey))
			}
		}
	}
	for _, lang := range []string{"en", "ru"} {
		c := counts[lang]
		if c.archive <= c.page {
			t.Errorf("%s: the archive added no key (%d from pages)", lang, c.page)
		}
		t.Logf("%s: %d turns, %d with a catalogue speaker; keyed from the page %d (%.1f%%), with the archive %d (%.1f%%)",
			lang, c.turns, c.truthKeyed, c.page, 100*float64(c.page)/float64(c.truthKeyed), c.archive, 100*float64(c.archive)/float64(c.truthKeyed))
	}
	// The paired document alone (no alias table) also resolves speakers,
	// never wrongly.
	paired := 0
	for id, en := range recs["en"] {
		ru, ok := recs["ru"][id]
		if !ok {
			continue
		}
		c := *en
		c.Turns = append([]record.Turn(nil), en.Turns...)
		paired += kremlin.NewSpeakerTable().Resolve(&c, ru)
		for i, tr := range c.Turns {
			if tr.SpeakerKey != nil && s(tr.SpeakerKey) != s(truth["en"][id][i]) {
				t.Errorf("pairing en/%d turn %d %q: %s, truth %s", id, i, tr.Speaker, s(tr.SpeakerKey), s(truth["en"][id][i]))
			}
		}
	}
	if paired == 0 {
		t.Error("the paired documents added no key")
	}
	t.Logf("the paired documents alone add %d keys to English records", paired)
	res, amb := table.Counts()
	t.Logf("alias table: %d labels, %d ambiguous; %d paired transcripts, %d turns whose keys differ between languages", res, amb, pairs, mismatch)
}
