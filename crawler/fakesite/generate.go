package fakesite

import (
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// docKind is the generator's document type.
type docKind int

const (
	kindNews docKind = iota
	kindTranscript
	kindAnnouncement
	kindPhotoOnly
)

// skeleton is the language-independent frame of one generated document.
type skeleton struct {
	id              int64
	t               time.Time
	kind            docKind
	transcriptsOnly bool
	invalid         bool
}

var (
	genStart = time.Date(2000, 1, 1, 0, 0, 0, 0, Moscow)
	genEnd   = time.Date(2026, 6, 30, 0, 0, 0, 0, Moscow)
	// idOrderFrom: from this date on, IDs rise with the date (SPEC §2.6).
	idOrderFrom = time.Date(2014, 1, 1, 0, 0, 0, 0, Moscow)
	// siteMigration is the update stamp every pre-2015 page carries.
	siteMigration = time.Date(2015, 3, 20, 18, 1, 0, 0, Moscow)
)

// pinnedTimes cover the Moscow offset changes (UTC+3 with summer time to
// 2011-03-27, UTC+4 to 2014-10-26, UTC+3 since), a midnight hour and the
// corpus edges. Generate includes as many as the corpus size allows.
var pinnedTimes = []time.Time{
	time.Date(2014, 10, 27, 15, 0, 0, 0, Moscow), // +03:00 (after the 2014 change)
	time.Date(2014, 10, 25, 15, 0, 0, 0, Moscow), // +04:00
	time.Date(2011, 3, 28, 12, 30, 0, 0, Moscow), // +04:00 (after the 2011 change)
	time.Date(2011, 3, 26, 12, 30, 0, 0, Moscow), // +03:00 (winter time)
	time.Date(2010, 7, 15, 12, 0, 0, 0, Moscow),  // +04:00 (summer time)
	time.Date(2010, 1, 15, 12, 0, 0, 0, Moscow),  // +03:00
	time.Date(2000, 1, 1, 11, 0, 0, 0, Moscow),
	time.Date(2019, 12, 31, 23, 55, 0, 0, Moscow),
	time.Date(2020, 8, 27, 0, 40, 0, 0, Moscow),
	time.Date(2026, 6, 29, 16, 30, 0, 0, Moscow),
}

// Generate makes a deterministic corpus of n documents in lang ("en" or
// "ru"), newest first. The same (n, seed) gives the same documents; the
// same seed in the other language gives the same IDs, dates and structure.
//
// The corpus spans 2000–2026 (pinned dates cover the 2011 and 2014 Moscow
// offset changes), has IDs out of date order before 2014 and rising after,
// several items per day, ~22% transcripts (some only in the transcripts
// listing), announcements, photo-only items, one InvalidUTF8 item (n ≥ 20),
// tag columns with hidden items, and every speaker-label variant.
func Generate(lang string, n int, seed int64) []Doc {
	sks := skeletons(n, seed)
	docs := make([]Doc, len(sks))
	for i, sk := range sks {
		docs[i] = buildDoc(lang, seed, sk)
	}
	sortDocs(docs)
	return docs
}

// GeneratePair makes an EN and a RU corpus sharing `overlap` IDs (the same
// event in both languages: same ID, time and structure). The other
// nEN-overlap EN documents exist only on en.kremlin.ru and the other
// nRU-overlap RU documents only on kremlin.ru.
func GeneratePair(nEN, nRU, overlap int, seed int64) (en, ru []Doc) {
	if overlap > nEN {
		overlap = nEN
	}
	if overlap > nRU {
		overlap = nRU
	}
	total := nEN + nRU - overlap
	sks := skeletons(total, seed)
	r := newRand(uint64(seed), 0x9a12)
	perm := r.Perm(total)
	// perm[0:overlap] both, next nEN-overlap EN only, the rest RU only.
	for i, p := range perm {
		sk := sks[p]
		switch {
		case i < overlap:
			en = append(en, buildDoc(LangEN, seed, sk))
			ru = append(ru, buildDoc(LangRU, seed, sk))
		case i < nEN:
			en = append(en, buildDoc(LangEN, seed, sk))
		default:
			ru = append(ru, buildDoc(LangRU, seed, sk))
		}
	}
	sortDocs(en)
	sortDocs(ru)
	return en, ru
}

// GenerateAfter makes n new documents published after `after`, with IDs
// from firstID upwards, for incremental-crawl tests (new items appear at the
// top of the listings). Times are 10 minutes to 3 hours apart.
func GenerateAfter(lang string, after time.Time, firstID int64, n int, seed int64) []Doc {
	r := newRand(uint64(seed), uint64(firstID), 0xa17e)
	t := after.In(Moscow).Truncate(time.Minute)
	id := firstID
	docs := make([]Doc, 0, n)
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(10+r.IntN(170)) * time.Minute)
		t = avoidTransition(t)
		sk := skeleton{id: id, t: t, kind: pickKind(r, t)}
		if sk.kind == kindTranscript && r.IntN(8) == 0 {
			sk.transcriptsOnly = true
		}
		docs = append(docs, buildDoc(lang, seed, sk))
		id += int64(1 + r.IntN(3))
	}
	sortDocs(docs)
	return docs
}

func sortDocs(docs []Doc) {
	sort.SliceStable(docs, func(i, j int) bool { return sortKeyLess(&docs[i], &docs[j]) })
}

func pickKind(r *rand.Rand, t time.Time) docKind {
	u := r.IntN(100)
	switch {
	case u < 22:
		return kindTranscript
	case u < 25 && t.Year() >= 2008:
		return kindAnnouncement
	case u < 27:
		return kindPhotoOnly
	}
	return kindNews
}

// avoidTransition moves a time off the hours when Moscow clocks changed
// (nonexistent or ambiguous wall-clock times).
func avoidTransition(t time.Time) time.Time {
	if t.Hour() >= 1 && t.Hour() < 4 {
		return time.Date(t.Year(), t.Month(), t.Day(), 10+t.Hour(), t.Minute(), 0, 0, Moscow)
	}
	return t
}

func skeletons(n int, seed int64) []skeleton {
	if n <= 0 {
		return nil
	}
	r := newRand(uint64(seed), 0x5ce1e7)
	days := int(genEnd.Sub(genStart).Hours()/24) + 1
	var times []time.Time
	npin := len(pinnedTimes)
	if n < 20 {
		npin = n / 2
	}
	times = append(times, pinnedTimes[:npin]...)
	for len(times) < n {
		d := genStart.AddDate(0, 0, r.IntN(days))
		k := 1 + r.IntN(4)
		for j := 0; j < k && len(times) < n; j++ {
			h := 8 + r.IntN(15)
			m := r.IntN(12) * 5
			if r.IntN(10) == 0 {
				m = 0 // whole hours are common
			}
			t := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, Moscow)
			times = append(times, avoidTransition(t))
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })

	sks := make([]skeleton, n)
	old := 0
	for i, t := range times {
		sks[i].t = t
		if t.Before(idOrderFrom) {
			old++
		}
	}
	// IDs: random (not in date order) before 2014, rising after.
	maxOld := int64(48999)
	if v := int64(1000 + 3*old); v > maxOld {
		maxOld = v
	}
	used := map[int64]bool{}
	for i := 0; i < old; i++ {
		for {
			id := 1000 + r.Int64N(maxOld-999)
			if !used[id] {
				used[id] = true
				sks[i].id = id
				break
			}
		}
	}
	cur := maxOld + 1 + r.Int64N(50)
	for i := old; i < n; i++ {
		sks[i].id = cur
		cur += 1 + r.Int64N(3)
		// now and then a later item of the same day got a lower ID (63887/63888)
		if i > old && r.IntN(10) == 0 && sameDay(sks[i].t, sks[i-1].t) {
			sks[i].id, sks[i-1].id = sks[i-1].id, sks[i].id
		}
	}
	for i := range sks {
		sks[i].kind = pickKind(r, sks[i].t)
		if sks[i].kind == kindTranscript && r.IntN(8) == 0 {
			sks[i].transcriptsOnly = true
		}
	}
	if n >= 20 {
		// one page with an invalid byte: the first plain news item from
		// two thirds of the corpus on (in date order).
		for i := n * 2 / 3; i < n; i++ {
			if sks[i].kind == kindNews {
				sks[i].invalid = true
				break
			}
		}
	}
	return sks
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// gen is the per-document generator state.
type gen struct {
	r    *rand.Rand
	lang string
	li   int
	// aux draws the speaker-analysis extras (generic labels, persons tags
	// of transcript participants) without disturbing r's sequence, so
	// corpora keep their shape for a given seed.
	aux *rand.Rand
	// local draws what differs between the two languages of one event
	// (a label linked on one host only).
	local *rand.Rand
	t     time.Time // publication time
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(pct int) bool { return g.r.IntN(100) < pct }

// fill substitutes template placeholders for person p and forum f.
func (g *gen) fill(tpl bi, p personEntry, f bi) string {
	s := tpl[g.li]
	s = strings.ReplaceAll(s, "{pos}", p.position[g.li])
	s = strings.ReplaceAll(s, "{name}", p.name[g.li])
	s = strings.ReplaceAll(s, "{ins}", p.ruIns)
	s = strings.ReplaceAll(s, "{forum}", f[g.li])
	return s
}

// person returns the link entry for p as written in text s (nominative
// name, RU short label or RU instrumental form), ok=false if absent.
func (g *gen) personIn(s string, p personEntry) (Person, bool) {
	for _, form := range []string{p.name[g.li], p.ruShort, p.ruIns} {
		if g.li == 0 && form != p.name[0] {
			continue
		}
		if form != "" && strings.Contains(s, form) {
			return Person{ID: p.id, Name: form, Catalog: p.catalog[g.li], Position: p.position[g.li]}, true
		}
	}
	return Person{}, false
}

// sentences joins min..max distinct sentences of bank.
func (g *gen) sentences(bank []bi, min, max int) string {
	k := min + g.r.IntN(max-min+1)
	if k > len(bank) {
		k = len(bank)
	}
	idx := g.r.Perm(len(bank))[:k]
	parts := make([]string, k)
	for i, j := range idx {
		parts[i] = bank[j][g.li]
	}
	return strings.Join(parts, " ")
}

func buildDoc(lang string, seed int64, sk skeleton) Doc {
	g := &gen{r: newRand(uint64(seed), uint64(sk.id), 0xd0c), lang: lang, li: li(lang), t: sk.t,
		aux:   newRand(uint64(seed), uint64(sk.id), 0x5bea),
		local: newRand(uint64(seed), uint64(sk.id), hashString(lang))}
	d := Doc{ID: sk.id, Lang: lang, Time: sk.t}

	focus := persons[g.pick(len(persons))]
	forum := forums[g.pick(len(forums))]
	withPerson := g.chance(50)

	// title and lead
	titleIdx := g.pick(len(titlesPerson))
	switch {
	case sk.kind == kindAnnouncement:
		d.Title = g.fill(announceTitles[g.pick(len(announceTitles))], focus, forum)
	case withPerson:
		d.Title = g.fill(titlesPerson[titleIdx], focus, forum)
	default:
		d.Title = g.fill(titlesOther[g.pick(len(titlesOther))], focus, forum)
	}
	leadRoll := g.pick(100)
	switch {
	case sk.kind == kindAnnouncement && leadRoll < 35:
		d.Lead = ""
	case withPerson:
		d.Lead = g.fill(leadsPerson[titleIdx%len(leadsPerson)], focus, forum)
	default:
		d.Lead = g.fill(leadsOther[g.pick(len(leadsOther))], focus, forum)
	}
	if sk.kind != kindAnnouncement && g.chance(55) {
		d.Place = places[g.pick(len(places))][g.li]
	}

	// body
	var participants []personEntry // of a transcript
	switch sk.kind {
	case kindNews, kindAnnouncement:
		n := 2 + g.pick(6)
		if sk.kind == kindAnnouncement {
			n = 1 + g.pick(3)
		}
		for i := 0; i < n; i++ {
			p := Para{Kind: ParaText, Text: g.sentences(sentences, 1, 5)}
			if withPerson && i == 1 && g.chance(60) {
				s := g.fill(sentencesPerson[g.pick(len(sentencesPerson))], focus, forum)
				p.Text = s + " " + p.Text
				if l, ok := g.personIn(p.Text, focus); ok {
					p.Links = []Person{l}
				}
			}
			d.Paragraphs = append(d.Paragraphs, p)
		}
	case kindTranscript:
		d.Paragraphs, participants = g.transcript(focus, forum)
	case kindPhotoOnly:
		// no paragraphs
	}

	// listing and publication sections
	switch {
	case sk.kind == kindTranscript && sk.transcriptsOnly:
		d.Sections = []string{"transcripts"}
		d.PubSections = []string{pubTranscripts[g.li]}
	case sk.kind == kindTranscript:
		d.Sections = []string{"news", "transcripts"}
		d.PubSections = []string{pubNews[g.li], pubTranscripts[g.li]}
		if g.chance(6) {
			d.PubSections = append(d.PubSections, pubCouncils[g.li], pubCouncil[g.li])
		}
	case sk.kind == kindAnnouncement:
		d.Sections = []string{"news"}
		d.PubSections = []string{pubNews[g.li], pubAnnouncements[g.li]}
	default:
		d.Sections = []string{"news"}
		d.PubSections = []string{pubNews[g.li]}
		if g.chance(8) {
			d.PubSections = append(d.PubSections, pubExtra[g.pick(len(pubExtra))][g.li])
		}
	}

	// tags
	if g.chance(40) {
		for _, i := range g.r.Perm(len(geoTags))[:1+g.pick(2)] {
			d.Tags = append(d.Tags, Tag{Kind: TagGeography, Text: geoTags[i].text[g.li], Href: geoTags[i].href})
		}
	}
	if g.chance(70) {
		for _, i := range g.r.Perm(len(topicTags))[:1+g.pick(3)] {
			d.Tags = append(d.Tags, Tag{Kind: TagTopics, Text: topicTags[i].text[g.li], Href: topicTags[i].href})
		}
	}
	switch roll := g.pick(100); {
	case roll < 6: // many persons: some hidden behind "N more"
		for _, i := range g.r.Perm(len(persons))[:6+g.pick(5)] {
			d.Tags = append(d.Tags, personTag(persons[i], g.li))
		}
	case roll < 35 && withPerson:
		d.Tags = append(d.Tags, personTag(focus, g.li))
	}

	// Transcripts often carry persons tags of their participants.
	if len(participants) > 0 && g.aux.IntN(100) < 40 {
		for _, pe := range participants {
			if !hasTag(d.Tags, pe.id) {
				d.Tags = append(d.Tags, personTag(pe, g.li))
			}
		}
	}

	// update stamp
	switch roll := g.pick(100); {
	case sk.t.Before(siteMigration):
		d.Updated = siteMigration.Add(time.Duration(g.pick(4)-2) * time.Minute)
	case roll < 2:
		// no stamp
	case roll < 70:
		d.Updated = sk.t.Add(time.Duration(30+g.pick(300)) * time.Minute)
	case roll < 90:
		d.Updated = sk.t.Add(time.Duration(24*(1+g.pick(5)))*time.Hour + time.Duration(g.pick(600))*time.Minute)
	default:
		d.Updated = sk.t.Add(time.Duration(1+g.pick(20)) * time.Minute)
	}

	// media
	if sk.kind == kindPhotoOnly {
		d.PhotoOnly = true
		d.Photos = 3 + g.pick(10)
	} else if g.chance(45) {
		d.Photos = 1 + g.pick(14)
	}
	d.Video = sk.kind != kindPhotoOnly && g.chance(10)
	if g.chance(8) {
		tr := cutTrips[g.pick(len(cutTrips))]
		d.SeeAlso = append(d.SeeAlso, Cut{Title: cutTitles[g.li], Text: tr[g.li],
			Href: "/events/president/trips/" + itoa(int64(48000+g.pick(9000))), Date: sk.t.AddDate(0, 0, -g.pick(4))})
	}

	if sk.kind == kindAnnouncement {
		d.Announcement = true
		d.AnnounceDate = sk.t.AddDate(0, 0, 2+g.pick(40))
	}
	d.InvalidUTF8 = sk.invalid
	if d.InvalidUTF8 {
		if _, _, ok := invalidSpot(&d); !ok {
			d.Paragraphs = append(d.Paragraphs, Para{Kind: ParaText, Text: sentences[0][g.li]})
		}
	}
	return d
}

func hasTag(tags []Tag, id int) bool {
	href := "/catalog/persons/" + itoa(int64(id)) + "/events"
	for _, t := range tags {
		if t.Href == href {
			return true
		}
	}
	return false
}

func personTag(p personEntry, li int) Tag {
	return Tag{Kind: TagPersons, Text: p.catalog[li], Href: "/catalog/persons/" + itoa(int64(p.id)) + "/events"}
}

// transcript builds a transcript body: optional narrative, heading and rule,
// then speaker turns with continuation paragraphs, elisions and quotes.
func (g *gen) transcript(focus personEntry, forum bi) ([]Para, []personEntry) {
	var ps []Para
	for i := g.pick(3); i > 0; i-- {
		ps = append(ps, Para{Kind: ParaText, Text: g.sentences(sentences, 1, 3)})
	}
	if g.chance(40) {
		ps = append(ps, Para{Kind: ParaHeading, Text: g.fill(headings[g.pick(len(headings))], focus, forum)})
	}
	if g.chance(30) {
		ps = append(ps, Para{Kind: ParaRule})
	}
	// participants: Putin (index -1) and 1–3 others, the focus person first
	others := []personEntry{focus}
	for _, i := range g.r.Perm(len(persons))[:g.pick(3)] {
		if persons[i].id != focus.id {
			others = append(others, persons[i])
		}
	}
	seen := map[int]bool{}
	putinSpoke := false
	turns := 4 + g.pick(18)
	if g.chance(5) {
		turns = 40 + g.pick(20)
	}
	last := -2
	for t := 0; t < turns; t++ {
		who := -1
		if last == -1 || (last != -1 && g.chance(45)) {
			who = g.pick(len(others))
		}
		if t == 0 && g.chance(50) {
			who = -1
		}
		last = who
		p := Para{Kind: ParaTurn, Text: g.sentences(speech, 1, 3)}
		style := g.pick(100)
		link := g.chance(40)
		// Labels carry person links only on newer pages, and one host
		// sometimes links a label the other does not.
		if link && (g.t.Year() < 2016 || g.local.IntN(100) < 30) {
			link = false
		}
		noteRoll := g.pick(100)
		noteIdx := g.pick(len(interpreterNotes))
		switch {
		case who == -1:
			if putinSpoke {
				p.Speaker = putinLater[g.li]
			} else {
				p.Speaker = putinFirst[g.li]
			}
			putinSpoke = true
			p.Who = record.HeadOfStateKey
		case g.aux.IntN(100) < 12:
			// a question from the floor, a remark, a journalist without a
			// catalogue page: no speaker key
			p.Speaker = nobodyLabels[g.aux.IntN(len(nobodyLabels))][g.li]
		default:
			pe := others[who]
			switch {
			case g.li == 1:
				p.Speaker = pe.ruShort
			case seen[pe.id]:
				p.Speaker = pe.name[0]
			default:
				p.Speaker = pe.position[0] + " " + pe.name[0]
			}
			seen[pe.id] = true
			if pe.foreign && noteRoll < 80 {
				p.Note = interpreterNotes[noteIdx][g.li]
			}
			if link {
				if l, ok := g.personIn(p.Speaker, pe); ok {
					p.Links = []Person{l}
				}
			}
			p.Who = "persons/" + itoa(int64(pe.id))
		}
		switch {
		case style < 50:
			p.Label = LabelColonInside
		case style < 70:
			p.Label = LabelColonAfter
		case style < 80:
			p.Label = LabelSplitBold
		case style < 88:
			p.Label = LabelSwallow
		default:
			p.Label = LabelBoldInLink
		}
		boldRoll := g.aux.IntN(100) // drawn for every turn: links differ between hosts
		if len(p.Links) > 0 && p.Label != LabelBoldInLink && boldRoll < 40 {
			p.Label = LabelBoldInLink // as on the 2020 mirror (56 labels on 49 pages)
		}
		if p.Label == LabelBoldInLink && (len(p.Links) == 0 || !strings.HasSuffix(p.Speaker, p.Links[0].Name) || p.Speaker == p.Links[0].Name) {
			p.Label = LabelColonInside
		}
		ps = append(ps, p)
		for c := g.pick(4); c > 0; c-- {
			switch roll := g.pick(100); {
			case roll < 8:
				ps = append(ps, Para{Kind: ParaElision})
			case roll < 14 && who == -1:
				ps = append(ps, Para{Kind: ParaQuote, Text: g.sentences(speech, 1, 2)})
			default:
				ps = append(ps, Para{Kind: ParaText, Text: g.sentences(speech, 1, 4)})
			}
		}
	}
	if g.chance(50) {
		ps = append(ps, Para{Kind: ParaElision})
	}
	return ps, others
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
