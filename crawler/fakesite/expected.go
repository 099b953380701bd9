package fakesite

import (
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ExpectedRecord is the record a correct parser produces for a document
// page: the page fields of RECORD.md, with the fetch fields (fetched_at,
// source_url, raw_sha256) and parser_version left empty. Compare with
// record.SameContent, or field by field.
type ExpectedRecord = record.Record

// Expected derives the parser's truth for d from the clean model, applying
// RECORD.md's rules (NBSP → space, whitespace runs collapsed, paragraphs
// joined by "\n\n", speaker turns, tags keyed by column, Moscow offsets).
// It never looks at rendered HTML.
//
// The URL is the canonical one on the real host (the document's first
// listing section).
func Expected(d Doc) ExpectedRecord {
	l := labelsFor(d.Lang)
	rec := record.Record{
		ID:             d.ID,
		Lang:           d.Lang,
		URL:            l.base + "/events/president/" + d.Canonical() + "/" + itoa(d.ID),
		Title:          normalize(d.Title),
		Lead:           normalize(d.Lead),
		IsAnnouncement: d.Announcement,
		SchemaVersion:  record.SchemaVersion,
	}
	if !d.Announcement {
		t := d.Time.In(Moscow)
		rec.Date = record.Str(t.Format("2006-01-02"))
		rec.Time = record.Str(t.Format("15:04"))
		rec.Published = record.Str(wallClock(t).Format(time.RFC3339))
		if p := normalize(d.Place); p != "" {
			rec.Place = record.Str(p)
		}
	}
	if !d.Updated.IsZero() {
		rec.Updated = record.Str(wallClock(d.Updated.In(Moscow)).Format(time.RFC3339))
	}
	for _, s := range d.PubSections {
		rec.Sections = append(rec.Sections, normalize(s))
	}
	for _, t := range d.Tags {
		if rec.Tags == nil {
			rec.Tags = map[string][]string{}
			rec.TagKeys = map[string][]*string{}
		}
		rec.Tags[t.Kind] = append(rec.Tags[t.Kind], normalize(t.Text))
		rec.TagKeys[t.Kind] = append(rec.TagKeys[t.Kind], tagKey(t.Href))
	}
	texts := ExpectedParagraphs(d)
	rec.Text = strings.Join(texts, "\n\n")
	rec.Turns = expectedTurns(d)
	pageKeys := PageSpeakerKeys(d)
	for i := range rec.Turns {
		rec.Turns[i].SpeakerKey = pageKeys[i]
	}
	rec.Normalize()
	return rec
}

// tagKey is RECORD.md's tag key of a catalogue path:
// "/catalog/regions/SEV/events" -> "regions/SEV".
func tagKey(href string) *string {
	segs := strings.Split(strings.Trim(href, "/"), "/")
	if len(segs) < 3 || segs[0] != "catalog" {
		return nil
	}
	return record.Str(segs[1] + "/" + segs[2])
}

// SpeakerKeys returns the true speaker of each turn of d (RECORD.md
// speaker_key): the person's catalogue key, the head of state's key, or
// nil for people without a catalogue page and labels naming no one. A
// parser can find only part of it from the page alone (PageSpeakerKeys);
// the rest needs the archive (other pages, the other language).
func SpeakerKeys(d Doc) []*string {
	var out []*string
	for _, p := range turnParas(d) {
		if p.Who == "" {
			out = append(out, nil)
		} else {
			out = append(out, record.Str(p.Who))
		}
	}
	return out
}

// PageSpeakerKeys returns the speaker keys a parser finds from the page of
// d alone: the head of state's labels, and every catalogue person who is
// linked somewhere on the page (the first mention of a person is a person
// link with a hover card) or carries a persons tag. The generator's labels
// always hold the person's name (or, in Russian, initial and surname), and
// no two of its persons share a surname, so each such label has one match.
func PageSpeakerKeys(d Doc) []*string {
	known := map[string]bool{}
	for _, t := range d.Tags {
		if t.Kind == TagPersons {
			if k := tagKey(t.Href); k != nil {
				known[*k] = true
			}
		}
	}
	for _, p := range d.Paragraphs {
		for _, l := range p.Links {
			known["persons/"+itoa(int64(l.ID))] = true
		}
	}
	truth := SpeakerKeys(d)
	out := make([]*string, len(truth))
	for i, k := range truth {
		if k != nil && (*k == record.HeadOfStateKey || known[*k]) {
			out[i] = k
		}
	}
	return out
}

// turnParas are the turn-opening paragraphs of d that yield a turn.
func turnParas(d Doc) []Para {
	var out []Para
	for _, p := range d.Paragraphs {
		if p.Kind == ParaTurn && normalize(paraVisible(p, p.Text)) != "" {
			out = append(out, p)
		}
	}
	return out
}

// wallClock re-reads t's wall clock in Europe/Moscow at minute precision,
// the way a parser combines the date attribute and the HH:MM text.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, Moscow)
}

// ExpectedParagraphs returns the normalised visible text of each non-empty
// body paragraph, in order, as RECORD.md's text field joins them. A turn
// opener reads "Speaker: text" or "Speaker (note): text"; an
// InvalidUTF8 page has U+FFFD where the invalid byte is.
func ExpectedParagraphs(d Doc) []string {
	badPara, badOff, bad := -1, 0, false
	if d.InvalidUTF8 {
		badPara, badOff, bad = invalidSpot(&d)
	}
	var out []string
	for i, p := range d.Paragraphs {
		text := p.Text
		if bad && i == badPara {
			text = replaceRuneAt(text, badOff, "\ufffd")
		}
		s := normalize(paraVisible(p, text))
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func paraVisible(p Para, text string) string {
	switch p.Kind {
	case ParaRule:
		return "* * *"
	case ParaElision:
		return "<…>"
	case ParaTurn:
		label := normalize(p.Speaker)
		if n := normalize(p.Note); n != "" {
			label += " (" + n + ")"
		}
		return label + ": " + text
	}
	return text
}

// expectedTurns applies RECORD.md's turn rule: a turn opener starts a turn
// whose text is the rest of its paragraph plus every following paragraph up
// to the next opener; paragraphs before the first opener belong to none.
// (The generator never puts a rule or heading after the first turn, so the
// rule's one ambiguity — whether such bold paragraphs end a turn — does not
// arise in generated corpora; here they would be appended like any other.)
func expectedTurns(d Doc) []record.Turn {
	var turns []record.Turn
	badPara, badOff, bad := -1, 0, false
	if d.InvalidUTF8 {
		badPara, badOff, bad = invalidSpot(&d)
	}
	for i, p := range d.Paragraphs {
		text := p.Text
		if bad && i == badPara {
			text = replaceRuneAt(text, badOff, "\ufffd")
		}
		vis := normalize(paraVisible(p, text))
		if vis == "" {
			continue
		}
		if p.Kind == ParaTurn {
			turns = append(turns, record.Turn{
				Speaker: normalize(p.Speaker),
				Text:    normalize(text),
				Note:    normalize(p.Note),
			})
			continue
		}
		if len(turns) > 0 {
			t := &turns[len(turns)-1]
			if t.Text == "" {
				t.Text = vis
			} else {
				t.Text += "\n\n" + vis
			}
		}
	}
	return turns
}
