package search

import (
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Speaker is one speaker of the archive: the turns grouped by speaker_key
// (the same person in both languages), or by label when the key is null.
type Speaker struct {
	Key    string       `json:"key"`  // the speaker filter value
	Name   string       `json:"name"` // the most frequent label
	Turns  int          `json:"turns"`
	Labels []LabelCount `json:"labels"` // every label printed for this speaker, most frequent first
}

// LabelCount is one printed label of a speaker and its number of turns.
type LabelCount struct {
	Label string `json:"label"`
	Lang  string `json:"lang"`
	Turns int    `json:"turns"`
}

type speakerCache struct {
	mu  sync.Mutex
	gen uint64
	by  map[string][]Speaker // by language filter ("" = both)
}

// Speakers lists every speaker with turns in lang ("" = both languages),
// most turns first. The list is computed once per index change.
func (ix *Index) Speakers(lang string) ([]Speaker, error) {
	gen := ix.generation()
	c := &ix.spk
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil || c.gen != gen {
		c.by, c.gen = map[string][]Speaker{}, gen
	}
	if s, ok := c.by[lang]; ok {
		return s, nil
	}
	groups := map[string]*Speaker{}
	for _, l := range Langs {
		if lang != "" && l != lang {
			continue
		}
		req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 0, 0, false)
		req.AddFacet("s", bleve.NewFacetRequest(fSpeakerF, 1<<20))
		bi := ix.bi(l, typeTurn)
		if bi == nil {
			continue
		}
		res, err := bi.Search(req)
		if err != nil {
			return nil, err
		}
		f := res.Facets["s"]
		if f == nil || f.Terms == nil {
			continue
		}
		for _, t := range f.Terms.Terms() {
			key, label, _ := strings.Cut(t.Term, sep)
			g := groups[key]
			if g == nil {
				g = &Speaker{Key: key}
				groups[key] = g
			}
			g.Turns += t.Count
			g.Labels = append(g.Labels, LabelCount{Label: label, Lang: l, Turns: t.Count})
		}
	}
	out := make([]Speaker, 0, len(groups))
	for _, g := range groups {
		slices.SortFunc(g.Labels, func(a, b LabelCount) int {
			if a.Turns != b.Turns {
				return b.Turns - a.Turns
			}
			return strings.Compare(a.Label, b.Label)
		})
		g.Name = g.Labels[0].Label
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Speaker) int {
		if a.Turns != b.Turns {
			return b.Turns - a.Turns
		}
		return strings.Compare(a.Name, b.Name)
	})
	c.by[lang] = out
	return out, nil
}

// SpeakerName is the label of speaker group key as printed in lang (in
// English when lang is ""), or "" when the index has no such speaker.
func (ix *Index) SpeakerName(key, lang string) string {
	l, _ := ix.labels.label(lang, facet("speaker", key))
	return l
}

// TagLabel is the label of a tag filter value (a catalog key such as
// "persons/90") as printed in lang, or "" when the index does not know it.
func (ix *Index) TagLabel(value, lang string) string {
	for _, kind := range facetKinds {
		if l, ok := ix.labels.label(lang, facet(kind, value)); ok {
			return l
		}
	}
	return ""
}
