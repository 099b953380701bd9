package fakesite

import (
	"time"
	_ "time/tzdata" // Europe/Moscow must be available in minimal images
)

// Languages of the two hosts.
const (
	LangEN = "en" // en.kremlin.ru
	LangRU = "ru" // kremlin.ru
)

// Real hosts: the absolute URLs inside pages (og:url, #material_link,
// hreflang links, tag links …) name these, like a mirror replaying real pages.
const (
	RealBaseEN = "http://en.kremlin.ru"
	RealBaseRU = "http://kremlin.ru"
)

// Moscow is Europe/Moscow. Doc times are wall-clock times in this zone.
var Moscow = mustLoad("Europe/Moscow")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("fakesite: " + err.Error())
	}
	return loc
}

// Doc is one event document in one language: the clean truth the site is
// rendered from.
type Doc struct {
	ID   int64
	Lang string // LangEN or LangRU

	Title string
	// Time is the publication time, a Moscow wall-clock time (minute
	// precision). For announcements it is the publication time shown only
	// in the status block and the listing.
	Time time.Time
	// Place is shown in div.read__place; "" means no place.
	Place string
	// Lead is the summary (div.read__lead); may be "".
	Lead string
	// Paragraphs is the body, in order.
	Paragraphs []Para

	// Sections are the listings the document appears in, as path names
	// under /events/president/: "news", "transcripts", "transcripts/speeches".
	// The document is served under each of them.
	Sections []string
	// PubSections are the link texts of "Published in section(s)", e.g.
	// ["News", "Transcripts"] or ["Новости", "Стенограммы"].
	PubSections []string
	// Tags, in order; the renderer groups them by Kind into columns.
	Tags []Tag

	// Updated is "Last updated at" (div.read__updated) and, date only, the
	// listing's span.updated. Zero means the page has no update stamp.
	Updated time.Time

	// Announcement marks an announcement (article.announce): no date, time
	// or place in read__meta; AnnounceDate is the announced event's date.
	Announcement bool
	AnnounceDate time.Time

	// PhotoOnly marks a photo-only item: a slider and no paragraphs.
	PhotoOnly bool
	// InvalidUTF8 puts one invalid byte (0xE3) in place of one letter of
	// the first suitable plain paragraph, like real page 63123.
	InvalidUTF8 bool

	// Photos is the number of photos (slider in the body, /photos tab);
	// 0 means no photos.
	Photos int
	// Video adds an embedded video container and a /videos tab.
	Video bool
	// SeeAlso is rendered as read__cut blocks inside the body (removed by
	// parsers).
	SeeAlso []Cut
}

// ParaKind is what a body paragraph is.
type ParaKind int

const (
	ParaText    ParaKind = iota // plain paragraph <p>text</p>
	ParaTurn                    // speaker turn opener <p><b>Label:</b> text</p>
	ParaRule                    // <p><b>* * *</b></p>
	ParaElision                 // <p>&lt;…&gt;</p>
	ParaHeading                 // bold sub-heading <p><b>text</b></p> (no colon)
	ParaQuote                   // <blockquote><p>text</p></blockquote>
)

// String names the kind.
func (k ParaKind) String() string {
	switch k {
	case ParaText:
		return "text"
	case ParaTurn:
		return "turn"
	case ParaRule:
		return "rule"
	case ParaElision:
		return "elision"
	case ParaHeading:
		return "heading"
	case ParaQuote:
		return "quote"
	}
	return "unknown"
}

// LabelStyle is how a speaker label is marked up. All styles yield the same
// clean speaker, note and text.
type LabelStyle int

const (
	LabelColonInside LabelStyle = iota // <b>Name:</b> text
	LabelColonAfter                    // <b>Name</b>: text
	LabelSplitBold                     // <b>Name</b><b>:</b> text
	LabelSwallow                       // <b>Name: G</b>ood … (bold run swallows the first letter)
	LabelBoldInLink                    // <b>Position </b><a class="person_tag"><b>Name</b>…</a>: text
)

// String names the style.
func (s LabelStyle) String() string {
	switch s {
	case LabelColonInside:
		return "colon-inside"
	case LabelColonAfter:
		return "colon-after"
	case LabelSplitBold:
		return "split-bold"
	case LabelSwallow:
		return "swallow"
	case LabelBoldInLink:
		return "bold-in-link"
	}
	return "unknown"
}

// Para is one body paragraph.
type Para struct {
	Kind ParaKind
	// Text is the clean paragraph text; for a turn, the speech after the
	// label. Rule and elision paragraphs ignore it.
	Text string
	// Speaker and Note are set for turns: the label as printed without
	// colon and note ("President of Russia Vladimir Putin", "В.Путин"), and
	// the parenthesised note ("retranslated", "синхронный перевод").
	// A turn with a note is always rendered <b>Speaker</b> (<i>Note</i>): text.
	Speaker string
	Note    string
	Label   LabelStyle
	// Links are persons whose Name occurs in Speaker or Text: the first
	// occurrence is rendered as a.person_tag with a hover card
	// (span.read__tooltip) that parsers must drop.
	Links []Person
	// Who is the speaker of a turn as a person, the truth a parser's
	// speaker_key is checked against: "persons/<id>", the head of state's
	// key, or "" for people without a catalogue page and labels naming no
	// one ("Question", "Реплика").
	Who string
}

// Person is an entry of the site's person catalogue.
type Person struct {
	ID       int
	Name     string // as written in running text: "Alexander Lukashenko"
	Catalog  string // catalogue form (tags, tooltips): "Lukashenko Alexander"
	Position string // hover-card description: "President of Belarus"
}

// Tag kinds: the language-independent keys of RECORD.md's tags object.
const (
	TagGeography = "geography"
	TagTopics    = "topics"
	TagPersons   = "persons"
)

// Tag is one tag link in the bottom tag block.
type Tag struct {
	Kind string // TagGeography, TagTopics or TagPersons
	Text string // clean text: "Sevastopol", "Foreign policy", "Lukashenko Alexander"
	Href string // root-relative catalogue path: "/catalog/regions/SEV/events"
}

// Cut is a "See also"/"Additional" link inside the body.
type Cut struct {
	Title string // "See also" / "Additional" (or the Russian labels)
	Text  string
	Href  string // root-relative path; rendered absolute on the real host
	Date  time.Time
}

// Canonical returns the section path a document is canonically served
// under: its first listing section, "news" when it has none.
func (d *Doc) Canonical() string {
	if len(d.Sections) > 0 {
		return d.Sections[0]
	}
	return "news"
}

// InSection reports whether the document is listed in section sec.
func (d *Doc) InSection(sec string) bool {
	for _, s := range d.Sections {
		if s == sec {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of d.
func (d Doc) Clone() Doc {
	c := d
	c.Paragraphs = make([]Para, len(d.Paragraphs))
	for i, p := range d.Paragraphs {
		p.Links = append([]Person(nil), p.Links...)
		c.Paragraphs[i] = p
	}
	c.Sections = append([]string(nil), d.Sections...)
	c.PubSections = append([]string(nil), d.PubSections...)
	c.Tags = append([]Tag(nil), d.Tags...)
	c.SeeAlso = append([]Cut(nil), d.SeeAlso...)
	return c
}

// sortKeyLess orders documents newest first, as the listings do: by time,
// then by ID (higher first) for equal times.
func sortKeyLess(a, b *Doc) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	return a.ID > b.ID
}
