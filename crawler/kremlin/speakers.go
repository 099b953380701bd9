package kremlin

import (
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Speaker keys from the page alone (RECORD.md speaker_key). A turn's
// speaker is, in this order of evidence:
//
//  1. nobody, for labels that name no speaker of their own ("Question",
//     "Remark", "Вопрос", "Реплика", "Voice from the audience") or more
//     than one ("Vladimir Putin and Xi Jinping");
//  2. the person link (or hover card) that ends the label;
//  3. the head of state, for Vladimir Putin's labels (he has no persons
//     tag or link of his own);
//  4. the one person of the page (persons tags, person links anywhere on
//     the page with their hover cards) whose name the label holds: full
//     name, else initials + surname, else a bare surname ("Mr …"); when two
//     persons match equally well, nobody.
//
// The archive adds what one page cannot know (SpeakerTable).

// personsOf collects the candidates of a record's persons tags.
func personsOf(tags []string, keys []*string) []personCand {
	var out []personCand
	for i, t := range tags {
		if i >= len(keys) || keys[i] == nil {
			continue
		}
		c := personCand{key: *keys[i]}
		c.addForm(t, true, false)
		out = append(out, c)
	}
	return out
}

// pagePersons collects the person links of the article (labels and running
// text, tag lists excluded): the link text as written (any case) and the
// hover card's catalog form.
func pagePersons(art *html.Node) []personCand {
	var out []personCand
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > maxDepth {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if hasClass(c, "read__tagscol") || hasClass(c, "read__status") {
				continue
			}
			if c.DataAtom == atom.A {
				if k := anchorPerson(c); k != "" {
					pc := personCand{key: k}
					pc.addForm(nodeText(c), false, true)
					pc.addForm(tooltipTitle(c), true, false)
					out = append(out, pc)
					continue
				}
			}
			if hasClass(c, "read__tooltip") {
				if tl := findTooltipLink(c, 0); tl != nil {
					if k := personKey(attr(tl, "data-href")); k != "" {
						pc := personCand{key: k}
						pc.addForm(tooltipTitle(c), true, false)
						out = append(out, pc)
					}
				}
				continue
			}
			walk(c, depth+1)
		}
	}
	walk(art, 0)
	return out
}

// resolveTurn returns the speaker key of one label given the page's
// evidence; nil when it cannot be resolved without guessing.
func resolveTurn(speaker, link string, cands []personCand) *string {
	toks := nameTokens(speaker)
	switch {
	case isGenericLabel(toks) || hasBlocker(toks):
		return nil
	case link != "":
		return record.Str(link)
	case isHeadOfState(toks):
		return record.Str(record.HeadOfStateKey)
	}
	if k := matchPersons(toks, cands); k != "" {
		return record.Str(k)
	}
	return nil
}

// speakers fills the speaker keys of d.rec.Turns; links are the person
// links ending each label (from buildTurns).
func (d *docParser) speakers(links []string) {
	turns := d.rec.Turns
	if len(turns) == 0 {
		return
	}
	cands := personsOf(d.rec.Tags["persons"], d.rec.TagKeys["persons"])
	cands = append(cands, pagePersons(d.article)...)
	type memoKey struct{ speaker, link string }
	memo := map[memoKey]*string{} // labels repeat: "Vladimir Putin" a hundred times
	for i := range turns {
		link := ""
		if i < len(links) {
			link = links[i]
		}
		mk := memoKey{turns[i].Speaker, link}
		k, ok := memo[mk]
		if !ok {
			k = resolveTurn(turns[i].Speaker, link, cands)
			memo[mk] = k
		}
		if k != nil {
			k = record.Str(*k) // each turn its own pointer
		}
		turns[i].SpeakerKey = k
	}
}
