package kremlin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ParseDocument parses an event page into the record of RECORD.md. Every
// page field is filled, ParserVersion and SchemaVersion are set and
// Record.Normalize is applied; the fetch fields (fetched_at, source_url,
// raw_sha256) stay empty.
//
// pageURL is the URL the page was fetched from (any host: the real site, a
// mirror, a test server); its path names the document (DocumentID). When
// it names none (a /d/<id> short link, say), the page's own ID is used and
// a warning says so. Record.URL is always the canonical URL on
// opt.CanonicalBase (default CanonicalBase(opt.Lang)), with the path taken
// from #material_link, og:url, an absolute link[rel=canonical] or the
// fetched path, in that order. Invalid UTF-8 is replaced by U+FFFD, never
// rejected.
//
// Anything that is not the requested document is an error wrapping
// ErrNotDocument (a *NotDocumentError saying what the page is instead):
// empty bodies, anti-bot interstitials, truncated bodies, listings, tab
// pages, print and text versions, error pages, and a document whose own
// ID (article#event-<id>, #material_link, og:url) differs from the one in
// pageURL. Problems that do not disqualify the page are Document.Warnings.
func ParseDocument(body []byte, pageURL string, opt Options) (*Document, error) {
	doc, _, err := parseDocument(body, pageURL, opt)
	return doc, err
}

// parseDocument is ParseDocument; it also returns the page string the
// parse tree pointed into (for the test that no record string does).
func parseDocument(body []byte, pageURL string, opt Options) (*Document, string, error) {
	p := loadPage(body, pageURL)
	defer p.release() // after detach: nothing returned points into the tree
	if p.kind != KindDocument {
		return nil, p.src, &NotDocumentError{Kind: p.kind, Reason: p.reason}
	}
	d := &docParser{page: p, art: goquery.NewDocumentFromNode(p.article).Selection}
	if err := d.identify(opt); err != nil {
		return nil, p.src, err
	}
	d.parse()
	d.rec.ParserVersion = ParserVersion
	d.rec.SchemaVersion = record.SchemaVersion
	d.rec.Normalize()
	doc := &Document{Record: d.rec, Warnings: d.warnings}
	detach(doc, p.src)
	return doc, p.src, nil
}

type docParser struct {
	*page
	art      *goquery.Selection // the article element
	rec      record.Record
	warnings []string
}

func (d *docParser) warn(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

var eventIDRE = regexp.MustCompile(`^event-(\d+)$`)

// identify settles id, lang and url, and rejects a page that is another
// document than the one pageURL names.
func (d *docParser) identify(opt Options) error {
	want, wantOK := DocumentID(d.url)

	// The page's own IDs.
	var artID int64
	if m := eventIDRE.FindStringSubmatch(attr(d.article, "id")); m != nil {
		artID, _ = strconv.ParseInt(m[1], 10, 64)
	}
	materialLink := strings.TrimSpace(textOf(d.idx.materialLink))
	ogURL := strings.TrimSpace(attrOr(d.idx.ogURL, "content", ""))
	type src struct {
		name string
		id   int64
	}
	var own []src
	if artID > 0 {
		own = append(own, src{"article id", artID})
	}
	if id, ok := DocumentID(materialLink); ok {
		own = append(own, src{"#material_link", id})
	}
	if id, ok := DocumentID(ogURL); ok {
		own = append(own, src{"og:url", id})
	}

	switch {
	case wantOK:
		for _, s := range own {
			if s.id != want {
				return &NotDocumentError{Kind: KindDocument,
					Reason: fmt.Sprintf("page is document %d (%s), not %d", s.id, s.name, want)}
			}
		}
		d.rec.ID = want
	case len(own) > 0:
		for _, s := range own[1:] {
			if s.id != own[0].id {
				return &NotDocumentError{Kind: KindDocument,
					Reason: fmt.Sprintf("page names documents %d (%s) and %d (%s)", own[0].id, own[0].name, s.id, s.name)}
			}
		}
		d.rec.ID = own[0].id
		d.warn("page URL %q names no document; id %d taken from %s", d.url, own[0].id, own[0].name)
	default:
		return &NotDocumentError{Kind: KindDocument, Reason: "no document id in the page or its URL"}
	}
	if artID == 0 {
		d.warn("article has no id=\"event-%d\"", d.rec.ID)
	}

	d.rec.Lang = d.language(opt.Lang)
	base := strings.TrimRight(strings.TrimSpace(strings.ToValidUTF8(opt.CanonicalBase, "\uFFFD")), "/")
	if base == "" {
		base = CanonicalBase(d.rec.Lang)
	}
	d.rec.URL = base + d.canonicalPath(materialLink, ogURL)
	return nil
}

// language returns opt.Lang when it is "en" or "ru", else infers it from
// <html lang> or the host, with a warning; a page whose <html lang>
// contradicts opt.Lang is warned about too.
func (d *docParser) language(optLang string) string {
	lang := strings.ToLower(strings.TrimSpace(optLang))
	pageLang := strings.ToLower(strings.TrimSpace(attrOr(d.idx.html, "lang", "")))
	if i := strings.IndexAny(pageLang, "-_"); i > 0 {
		pageLang = pageLang[:i]
	}
	if lang == record.LangEN || lang == record.LangRU {
		if (pageLang == record.LangEN || pageLang == record.LangRU) && pageLang != lang {
			d.warn("Options.Lang is %q but the page says <html lang=%q>", lang, pageLang)
		}
		return lang
	}
	inferred := pageLang
	if inferred != record.LangEN && inferred != record.LangRU {
		inferred = record.LangRU
		if strings.HasPrefix(urlHost(d.url), "en.") {
			inferred = record.LangEN
		}
	}
	d.warn("Options.Lang %q is not en or ru; language inferred as %q", optLang, inferred)
	return inferred
}

// canonicalPath picks the document's path on the real host: from
// #material_link, else og:url, else an absolute link[rel=canonical] of the
// same document, else the fetched path (minus /print etc.).
func (d *docParser) canonicalPath(materialLink, ogURL string) string {
	canonical := strings.TrimSpace(attrOr(d.idx.canonical, "href", ""))
	if !strings.Contains(canonical, "://") {
		canonical = ""
	}
	for _, c := range []string{materialLink, ogURL, canonical, d.url} {
		if c == "" {
			continue
		}
		if id, ok := DocumentID(c); ok && id == d.rec.ID {
			return documentPath(urlPath(c))
		}
	}
	d.warn("no canonical path found; using /events/president/news/%d", d.rec.ID)
	return "/events/president/news/" + strconv.FormatInt(d.rec.ID, 10)
}

func (d *docParser) parse() {
	r := &d.rec
	r.IsAnnouncement = hasClass(d.article, "announce")

	r.Title = nodeTextSel(d.art.FindMatcher(selH1EntryTitle).First())
	if r.Title == "" {
		r.Title = nodeTextSel(d.art.FindMatcher(selH1).First())
		if r.Title == "" {
			d.warn("no title (h1.entry-title)")
		} else {
			d.warn("title taken from a bare h1")
		}
	}
	if pl := nodeTextSel(d.art.FindMatcher(selReadPlace).First()); pl != "" {
		r.Place = record.Str(pl)
	}
	r.Lead = d.lead()

	status := d.parseStatus()
	d.dates(status)
	d.updated()
	d.tags()

	body := d.body()
	if body == nil {
		d.warn("no body (.read__internal_content)")
	} else {
		var links []string
		r.Text, r.Turns, links = buildTurns(bodyParagraphs(body))
		d.speakers(links)
		if r.Text == "" && !r.IsAnnouncement && !hasMedia(body) {
			d.warn("no body text")
		}
	}
}

func nodeTextSel(s *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	return nodeText(s.Get(0))
}

// lead joins the lead's paragraphs with a single space.
func (d *docParser) lead() string {
	l := d.art.FindMatcher(selReadLead).First()
	if l.Length() == 0 {
		return ""
	}
	var parts []string
	for _, p := range bodyParagraphs(l.Get(0)) {
		if t := p.String(); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// body returns the article body element.
func (d *docParser) body() *html.Node {
	if b := d.art.FindMatcher(selReadInternalContent).First(); b.Length() > 0 {
		return b.Get(0)
	}
	if b := d.art.FindMatcher(selItempropArticleBody).First(); b.Length() > 0 {
		d.warn("body found by itemprop=articleBody, not .read__internal_content")
		return b.Get(0)
	}
	if b := d.art.FindMatcher(selEntryContent).First(); b.Length() > 0 {
		d.warn("body found by .entry-content, not .read__internal_content")
		return b.Get(0)
	}
	return nil
}

// hasMedia reports whether a body has photos or video (so that an empty
// text is expected, e.g. a photo-only item).
func hasMedia(body *html.Node) bool {
	s := goquery.NewDocumentFromNode(body).Selection
	return s.FindMatcher(selMedia).Length() > 0
}

// statusInfo is what the "Publication status" block says.
type statusInfo struct {
	date, time string // "Publication date:" (date attribute and HH:MM of its text)
}

// Status block labels, lower-cased, without the colon (SPEC §4.1, §5).
var (
	sectionLabels = []string{"published in section", "опубликован в раздел", "опубликовано в раздел"}
	pubDateLabels = []string{"publication date", "дата публикации"}
	linkLabels    = []string{"direct link", "ссылка на материал"}
)

func hasAnyPrefix(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// parseStatus reads sections and the publication date from div.read__status.
func (d *docParser) parseStatus() statusInfo {
	var info statusInfo
	st := selectionOf(d.idx.status)
	if st.Length() == 0 {
		d.warn("no status block (.read__status)")
		d.warn("no sections")
		return info
	}
	var sections []string
	st.FindMatcher(selP).Each(func(_ int, p *goquery.Selection) {
		lbl := statusLabel(p.Get(0))
		switch {
		case lbl == "":
			// e.g. the "Text version" link
		case hasAnyPrefix(lbl, sectionLabels):
			p.FindMatcher(selA).Each(func(_ int, a *goquery.Selection) {
				if t := nodeText(a.Get(0)); t != "" {
					sections = append(sections, t)
				}
			})
		case hasAnyPrefix(lbl, pubDateLabels):
			t := p.FindMatcher(selTime).First()
			if dt, ok := validDate(t.AttrOr("datetime", "")); ok {
				info.date = dt
			} else if dt, ok := parseDateText(nodeTextSel(p)); ok {
				info.date = dt
			}
			info.time, _ = findHHMM(nodeTextSel(p))
		case hasAnyPrefix(lbl, linkLabels):
		default:
			d.warn("status block: unknown label %q", lbl)
		}
	})
	if len(sections) == 0 {
		d.warn("no sections")
	}
	d.rec.Sections = sections
	return info
}

// statusLabel is the text of a status paragraph before its first link,
// time or line break (lower-cased, whitespace collapsed, colon removed).
func statusLabel(p *html.Node) string {
	var b strings.Builder
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.A, atom.Time, atom.Br, atom.Img:
				return labelOf(b.String())
			}
			if !skipped(c) {
				appendText(&b, c, 0)
			}
		} else if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return labelOf(b.String())
}

func labelOf(s string) string {
	s = strings.ToLower(clean(s))
	return strings.TrimSpace(strings.TrimSuffix(s, ":"))
}

// dates fills date, time and published.
func (d *docParser) dates(status statusInfo) {
	r := &d.rec
	pub := d.art.FindMatcher(selTimeReadPublished).First()
	var date string
	if pub.Length() > 0 {
		if dt, ok := validDate(pub.AttrOr("datetime", "")); ok {
			date = dt
		} else if dt, ok := parseDateText(nodeTextSel(pub)); ok {
			date = dt
			d.warn("date read from the text of time.read__published (%q)", nodeTextSel(pub))
		} else {
			d.warn("unparseable date in time.read__published (datetime=%q, text %q)",
				pub.AttrOr("datetime", ""), nodeTextSel(pub))
		}
	}
	if date == "" && !r.IsAnnouncement {
		if status.date != "" {
			date = status.date
			d.warn("no time.read__published; date taken from the status block")
		} else {
			d.warn("no date")
		}
	}

	var hhmm string
	if t := d.art.FindMatcher(selReadTime).First(); t.Length() > 0 {
		txt := nodeTextSel(t)
		if v, ok := parseHHMM(txt); ok {
			hhmm = v
		} else if v, ok := findHHMM(txt); ok {
			hhmm = v
		} else {
			d.warn("unparseable time %q in .read__time", txt)
		}
	} else if date != "" && !r.IsAnnouncement {
		if status.time != "" && status.date == date {
			hhmm = status.time
			d.warn("no .read__time; time taken from the status block")
		} else {
			d.warn("no time")
		}
	}

	if date != "" {
		r.Date = record.Str(date)
	}
	if hhmm != "" {
		r.Time = record.Str(hhmm)
	}
	if date != "" && hhmm != "" {
		if ts, err := MoscowTime(date, hhmm); err == nil {
			r.Published = record.Str(ts)
		} else {
			d.warn("published: %v", err)
		}
	}
}

// updatedLabels are the known texts before the time of div.read__updated,
// lower-cased, "ё" written "е", without the trailing colon. The English
// label is known from the pages; the Russian one has never been seen on a
// saved page (SPEC §9.6), so its usual wordings are all accepted. Any
// other label is warned about (layout drift), and the time element is
// read anyway.
var updatedLabels = []string{
	"last updated at", "last updated",
	"последнее обновление", "дата последнего обновления", "дата обновления",
	"обновлено", "обновлен", "текст обновлен", "последнее изменение", "изменено",
}

// updated fills "updated" from div.read__updated (outside the article).
func (d *docParser) updated() {
	u := selectionOf(d.idx.updated)
	if u.Length() == 0 {
		return
	}
	t := u.FindMatcher(selTime).First()
	txt := nodeTextSel(u)
	lbl := txt
	if t.Length() > 0 {
		lbl = statusLabel(u.Get(0))
	}
	lbl = strings.TrimSpace(strings.TrimSuffix(strings.ToLower(clean(lbl)), ":"))
	if lbl != "" && !hasAnyPrefix(strings.ReplaceAll(lbl, "ё", "е"), updatedLabels) {
		d.warn("updated: unknown label %q", lbl)
	}
	date, ok := validDate(t.AttrOr("datetime", ""))
	if !ok {
		if date, ok = parseDateText(txt); !ok {
			d.warn("updated: no date in %q", txt)
			return
		}
	}
	hhmm, ok := findHHMM(nodeTextSel(t))
	if !ok {
		if hhmm, ok = findHHMM(txt); !ok {
			d.warn("updated: no HH:MM in %q", txt)
			return
		}
	}
	if ts, err := MoscowTime(date, hhmm); err == nil {
		d.rec.Updated = record.Str(ts)
	}
}

// tagKeys maps tag column headings to record keys.
var tagKeys = map[string]string{
	"geography": "geography", "география": "geography",
	"topics": "topics", "темы": "topics",
	"persons": "persons", "лица": "persons",
}

// tags reads the tag columns (hidden items included, "N more" skipped) and
// the catalog key of each tag.
func (d *docParser) tags() {
	tags := map[string][]string{}
	keys := map[string][]*string{}
	for _, n := range d.idx.tagCols {
		col := selectionOf(n)
		if col.ParentsMatcher(selReadDownload).Length() > 0 || col.FindMatcher(selReadDownloadTitle).Length() > 0 {
			continue
		}
		heading := strings.TrimSpace(strings.TrimSuffix(nodeTextSel(col.FindMatcher(selTagHeading).First()), ":"))
		key, ok := tagKeys[strings.ToLower(heading)]
		if !ok {
			key = strings.ToLower(heading)
			d.warn("unknown tag heading %q", heading)
		}
		var vals []string
		var ks []*string
		col.FindMatcher(selLi).Each(func(_ int, li *goquery.Selection) {
			if li.HasClass("read__tagsmore") {
				return
			}
			a := li.FindMatcher(selARelTag).First()
			if a.Length() == 0 {
				a = li.FindMatcher(selAHref).First()
			}
			if a.Length() == 0 {
				return // "N more" toggles have no href
			}
			if t := nodeText(a.Get(0)); t != "" {
				vals = append(vals, t)
				var k *string
				if ck, ok := CatalogKey(a.AttrOr("href", "")); ok {
					k = record.Str(ck)
				}
				ks = append(ks, k)
			}
		})
		if len(vals) > 0 {
			tags[key] = append(tags[key], vals...)
			keys[key] = append(keys[key], ks...)
		}
	}
	d.rec.Tags = tags
	d.rec.TagKeys = keys
}
