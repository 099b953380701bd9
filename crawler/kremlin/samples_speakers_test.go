package kremlin

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// TestSamplesSpeakerKeys checks tag_keys and speaker_key on the real pages
// of ../shared/site/samples (skipped when absent) and logs the resolution
// rates.
func TestSamplesSpeakerKeys(t *testing.T) {
	root := samples.Root(t)
	files, err := filepath.Glob(filepath.Join(root, "events", "president", "news", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample pages: %v", err)
	}
	recs := map[string]*record.Record{}
	var turns, keyed, putin, fullName, fullNameKeyed int
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		d := sampleDoc(t, root, filepath.ToSlash(rel))
		r := &d.Record
		recs[filepath.Base(f)] = r
		for col, tags := range r.Tags {
			if len(r.TagKeys[col]) != len(tags) {
				t.Errorf("%s: %d tag keys for %d %s tags", rel, len(r.TagKeys[col]), len(tags), col)
			}
			for i, k := range r.TagKeys[col] {
				if k == nil || !strings.HasPrefix(*k, map[string]string{"persons": "persons/", "topics": "keywords/"}[col]) {
					if col != "geography" || k == nil {
						t.Errorf("%s: %s tag %q has key %s", rel, col, tags[i], keyStr(k))
					}
				}
			}
		}
		persons := personsOf(r.Tags["persons"], r.TagKeys["persons"])
		for _, tr := range r.Turns {
			turns++
			if tr.SpeakerKey != nil {
				keyed++
			}
			toks := nameTokens(tr.Speaker)
			if strings.HasSuffix(tr.Speaker, "Vladimir Putin") {
				putin++
				if keyStr(tr.SpeakerKey) != record.HeadOfStateKey {
					t.Errorf("%s: %q -> %s", rel, tr.Speaker, keyStr(tr.SpeakerKey))
				}
			}
			// Every label holding the full name of a persons tag of its
			// page gets that tag's key.
			for _, p := range persons {
				w := strings.Fields(r.Tags["persons"][indexOfKey(r, p.key)])
				if len(w) < 2 || !strings.Contains(tr.Speaker, strings.Join(w[1:], " ")+" "+w[0]) {
					continue
				}
				fullName++
				if keyStr(tr.SpeakerKey) == p.key {
					fullNameKeyed++
				} else {
					t.Errorf("%s: %q holds the name of tag %s but got %s", rel, tr.Speaker, p.key, keyStr(tr.SpeakerKey))
				}
			}
			if isGenericLabel(toks) && tr.SpeakerKey != nil {
				t.Errorf("%s: generic label %q got %s", rel, tr.Speaker, *tr.SpeakerKey)
			}
		}
	}
	want := map[string]map[string]string{
		"59484.html": {"President of the Republic of Belarus Alexander Lukashenko": "persons/119", "Vladimir Putin": record.HeadOfStateKey},
		"51329.html": {"President of the Russian Union of Industrialists and Entrepreneurs Alexander Shokhin": "persons/466", "Alexander Shokhin": "persons/466"},
		"63123.html": {"Prime Minister Mikhail Mishustin": "persons/294", "Mikhail Mishustin": "persons/294", "Tatyana Golikova": "persons/78",
			"Alexei Kudrin": "persons/77", "Minister of Agriculture Dmitry Patrushev": "persons/453", "Viktoria Abramchenko": "null", "Minister of Culture Olga Lyubimova": "null"},
		"63769.html": {"Acting Governor of the Irkutsk Region Igor Kobzev": "persons/620"},
		"63007.html": {"Andrei Vandenko": "null", "Vladimir Putin": record.HeadOfStateKey},
		"55767.html": {"John Fraher": "null", "OPEC Secretary General Mohammed Sanusi Barkindo": "null"},
		"55882.html": {"Fyodor Lukyanov": "null", "Fydor Lukyanov": "null", "President of Russia Vladimir Putin": record.HeadOfStateKey},
	}
	for file, labels := range want {
		r := recs[file]
		if r == nil {
			t.Errorf("sample %s missing", file)
			continue
		}
		for label, key := range labels {
			found := false
			for _, tr := range r.Turns {
				if tr.Speaker == label {
					found = true
					if keyStr(tr.SpeakerKey) != key {
						t.Errorf("%s: %q -> %s, want %s", file, label, keyStr(tr.SpeakerKey), key)
					}
				}
			}
			if !found {
				t.Errorf("%s: no turn %q", file, label)
			}
		}
	}
	tagWant := map[string]map[string]string{
		"17133.html": {"Naryshkin Sergei": "persons/1", "Shoigu Sergei": "persons/90"},
		"63953.html": {"Sevastopol": "regions/SEV", "Republic of Crimea": "regions/CR", "Transport": "keywords/102"},
		"17175.html": {"Belgium": "countries/BE"},
		"9213.html":  {"Fedotov Mikhail": "persons/208"},
	}
	for file, tags := range tagWant {
		r := recs[file]
		for tag, key := range tags {
			got := "missing"
			for col, ts := range r.Tags {
				for i, x := range ts {
					if x == tag {
						got = keyStr(r.TagKeys[col][i])
					}
				}
			}
			if got != key {
				t.Errorf("%s: tag %q key %s, want %s", file, tag, got, key)
			}
		}
	}

	// The archive of the samples: the alias table adds what other samples
	// resolved.
	table := NewSpeakerTable()
	for _, r := range recs {
		table.Learn(r)
	}
	archived := 0
	for _, r := range recs {
		c := *r
		c.Turns = append([]record.Turn(nil), r.Turns...)
		table.Resolve(&c, nil)
		for _, tr := range c.Turns {
			if tr.SpeakerKey != nil {
				archived++
			}
		}
	}
	t.Logf("samples: %d pages, %d turns; %d keyed from the page (%d Putin labels, all head of state; %d/%d labels holding a persons tag's full name got its key); %d keyed with the samples' alias table",
		len(recs), turns, keyed, putin, fullNameKeyed, fullName, archived)
}

func indexOfKey(r *record.Record, key string) int {
	for i, k := range r.TagKeys["persons"] {
		if k != nil && *k == key {
			return i
		}
	}
	return -1
}
