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
