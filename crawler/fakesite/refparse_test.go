package fakesite

import (
	"bytes"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// A small, independent implementation of RECORD.md's rules, used to check
// that what the site renders and what Expected says agree. It shares no
// code with the renderer (only the record type).

var wsRe = regexp.MustCompile(`[\s\x{00a0}]+`)

func collapse(s string) string { return strings.TrimSpace(wsRe.ReplaceAllString(s, " ")) }

func parseDoc(body []byte, lang, base string) (record.Record, error) {
	body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return record.Record{}, err
	}
	var rec record.Record
	rec.Lang = lang
	art := doc.Find("article.read__in")
	idAttr, _ := art.Attr("id")
	rec.ID = atoi64(strings.TrimPrefix(idAttr, "event-"))
	rec.URL = strings.TrimSpace(doc.Find("#material_link").Text())
	rec.Title = collapse(doc.Find("h1.entry-title").Text())
	rec.IsAnnouncement = art.HasClass("announce")
	if dt, ok := doc.Find("time.read__published").Attr("datetime"); ok {
		rec.Date = record.Str(dt)
	}
	if tm := collapse(doc.Find("div.read__time").Text()); tm != "" {
		rec.Time = record.Str(tm)
	}
	if rec.Date != nil && rec.Time != nil {
		t, err := time.ParseInLocation("2006-01-02 15:04", *rec.Date+" "+*rec.Time, Moscow)
		if err == nil {
			rec.Published = record.Str(t.Format(time.RFC3339))
		}
	}
	if pl := doc.Find("div.read__place"); pl.Length() > 0 {
		rec.Place = record.Str(collapse(pl.Text()))
	}
	var leads []string
	doc.Find("div.read__lead p").Each(func(_ int, p *goquery.Selection) {
		if t := collapse(p.Text()); t != "" {
			leads = append(leads, t)
		}
	})
	rec.Lead = strings.Join(leads, " ")
	if up := doc.Find("div.read__updated time"); up.Length() > 0 {
		d, _ := up.Attr("datetime")
		txt := collapse(up.Text())
		hm := txt[len(txt)-5:]
		if t, err := time.ParseInLocation("2006-01-02 15:04", d+" "+hm, Moscow); err == nil {
			rec.Updated = record.Str(t.Format(time.RFC3339))
		}
	}
	doc.Find("div.read__status p").First().Find("a").Each(func(_ int, a *goquery.Selection) {
		rec.Sections = append(rec.Sections, collapse(a.Text()))
	})
	keys := map[string]string{"Geography": "geography", "География": "geography", "Topics": "topics", "Темы": "topics", "Persons": "persons", "Лица": "persons"}
	doc.Find("div.read__tagscol").Each(func(_ int, col *goquery.Selection) {
		k := keys[collapse(col.Find("h3").Text())]
		col.Find("li").Not(".read__tagsmore").Find("a[rel=tag]").Each(func(_ int, a *goquery.Selection) {
			if rec.Tags == nil {
				rec.Tags = map[string][]string{}
				rec.TagKeys = map[string][]*string{}
			}
			rec.Tags[k] = append(rec.Tags[k], collapse(a.Text()))
			var key *string
			if m := catalogRe.FindStringSubmatch(a.AttrOr("href", "")); m != nil {
				key = record.Str(m[1])
			}
			rec.TagKeys[k] = append(rec.TagKeys[k], key)
		})
	})
	// Who is on the page: persons tags and person links (catalogue form
	// "Surname Firstname …" from the tag text or the hover card).
	var people []refPerson
	doc.Find("div.read__tagscol a[rel=tag], a.person_tag").Each(func(_ int, a *goquery.Selection) {
		m := catalogRe.FindStringSubmatch(a.AttrOr("href", ""))
		if m == nil || !strings.HasPrefix(m[1], "persons/") {
			return
		}
		name := collapse(a.Find(".tooltip_title").Text())
		if name == "" {
			name = collapse(a.Text())
		}
		people = append(people, refPerson{m[1], strings.Fields(name)})
	})

	body2 := doc.Find(".read__internal_content").First().Clone()
	body2.Find(".read__bottommeta, .masha-ignore, .read__cut, .read__tooltip").Remove()
	var paras []string
	var cur *record.Turn
	body2.Children().Each(func(_ int, el *goquery.Selection) {
		var ps *goquery.Selection
		switch goquery.NodeName(el) {
		case "p":
			ps = el
		case "blockquote":
			ps = el.Find("p")
		default:
			return
		}
		ps.Each(func(_ int, p *goquery.Selection) {
			txt := collapse(p.Text())
			if txt == "" {
				return
			}
			paras = append(paras, txt)
			if sp, note, rest, link, ok := splitLabel(p); ok {
				rec.Turns = append(rec.Turns, record.Turn{Speaker: sp, Note: note, Text: rest, SpeakerKey: refSpeaker(sp, link, people)})
				cur = &rec.Turns[len(rec.Turns)-1]
				return
			}
			if cur != nil {
				if cur.Text == "" {
					cur.Text = txt
				} else {
					cur.Text += "\n\n" + txt
				}
			}
		})
	})
	rec.Text = strings.Join(paras, "\n\n")
	rec.SchemaVersion = record.SchemaVersion
	rec.Normalize()
	return rec, nil
}

// allBold reports whether every non-space text of sel sits inside a <b>.
func allBold(sel *goquery.Selection, inB bool) bool {
	ok := true
	sel.Each(func(_ int, n *goquery.Selection) {
		if !ok {
			return
		}
		switch goquery.NodeName(n) {
		case "#text":
			ok = inB || strings.TrimSpace(strings.ReplaceAll(n.Text(), "\u00a0", " ")) == ""
		case "b":
			ok = allBold(n.Contents(), true)
		default:
			ok = allBold(n.Contents(), inB)
		}
	})
	return ok
}

// splitLabel finds a speaker label: a leading run of bold nodes ending in
// a colon (inside the bold, right after it, or after a parenthesised note).
func splitLabel(p *goquery.Selection) (speaker, note, rest, link string, ok bool) {
	var label, after strings.Builder
	inLabel := true
	p.Contents().Each(func(_ int, c *goquery.Selection) {
		txt := c.Text()
		if inLabel {
			isText := goquery.NodeName(c) == "#text"
			if isText && strings.TrimSpace(strings.ReplaceAll(txt, "\u00a0", " ")) == "" {
				label.WriteString(txt) // whitespace before or between bold runs
				return
			}
			if !isText && allBold(c, false) && strings.TrimSpace(txt) != "" {
				label.WriteString(txt)
				if a := c.Find("a.person_tag").AddSelection(c.Filter("a.person_tag")).Last(); a.Length() > 0 {
					if m := catalogRe.FindStringSubmatch(a.AttrOr("href", "")); m != nil {
						link = m[1]
					}
				}
				return
			}
			inLabel = false
		}
		after.WriteString(txt)
	})
	lb := collapse(label.String())
	if lb == "" {
		return "", "", "", "", false
	}
	if i := strings.Index(lb, ":"); i >= 0 {
		return strings.TrimSpace(lb[:i]), "", collapse(lb[i+1:] + after.String()), link, true
	}
	rs := strings.TrimLeft(strings.ReplaceAll(after.String(), "\u00a0", " "), " \n\t")
	if strings.HasPrefix(rs, ":") {
		return lb, "", collapse(rs[1:]), link, true
	}
	if strings.HasPrefix(rs, "(") {
		if j := strings.Index(rs, ")"); j > 0 {
			tail := strings.TrimLeft(rs[j+1:], " \n\t")
			if strings.HasPrefix(tail, ":") {
				return lb, collapse(rs[1:j]), collapse(tail[1:]), link, true
			}
		}
	}
	return "", "", "", "", false
}

var catalogRe = regexp.MustCompile(`/catalog/([a-z]+/[^/]+)/`)

type refPerson struct {
	key  string
	name []string // catalogue form: surname first
}

// refSpeaker is a small reading of RECORD.md's speaker_key rules, enough
// for the generated corpus: a person link in the label, Putin's labels,
// else a label ending in "Firstname Surname" or "И.Фамилия" (or the
// catalogue form itself) of exactly one person on the page.
func refSpeaker(label, link string, people []refPerson) *string {
	switch {
	case link != "":
		return record.Str(link)
	case label == "Vladimir Putin" || label == "President of Russia Vladimir Putin" || label == "В.Путин":
		return record.Str(record.HeadOfStateKey)
	}
	found := ""
	for _, p := range people {
		if len(p.name) < 2 {
			continue
		}
		surname, first := p.name[0], p.name[1]
		full := first + " " + surname
		short := string([]rune(first)[:1]) + "." + surname
		as := strings.Join(p.name, " ")
		if label == full || strings.HasSuffix(label, " "+full) || label == short || label == as || strings.HasSuffix(label, " "+as) {
			if found != "" && found != p.key {
				return nil
			}
			found = p.key
		}
	}
	if found == "" {
		return nil
	}
	return record.Str(found)
}

func atoi64(s string) int64 {
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

// listItem is one parsed listing entry.
type listItem struct {
	id      int64
	href    string
	date    string
	updated string
}

type parsedListing struct {
	page, pages int
	next, prev  string
	headNext    string
	headPrev    string
	items       []listItem
	dayHeaders  []string
	promoted    string
}

func parseListing(body []byte) (parsedListing, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return parsedListing{}, err
	}
	var pl parsedListing
	lp := doc.Find(".lister-page")
	pl.page = int(atoi64(lp.AttrOr("data-page", "")))
	pl.pages = int(atoi64(lp.AttrOr("data-pages", "")))
	pl.next = doc.Find("a.more-next[rel=next]").AttrOr("href", "")
	pl.prev = doc.Find("a.more-prev[rel=prev]").AttrOr("href", "")
	pl.headNext = doc.Find("head link[rel=next]").AttrOr("href", "")
	pl.headPrev = doc.Find("head link[rel=prev]").AttrOr("href", "")
	lp.Find("div.hentry[data-id]").Each(func(_ int, it *goquery.Selection) {
		pl.items = append(pl.items, listItem{
			id:      atoi64(it.AttrOr("data-id", "")),
			href:    it.Find("h3.hentry__title a").AttrOr("href", ""),
			date:    it.Find("time.published").AttrOr("datetime", ""),
			updated: collapse(it.Find("span.updated").Text()),
		})
	})
	lp.Find("h2.events__title time").Each(func(_ int, t *goquery.Selection) {
		pl.dayHeaders = append(pl.dayHeaders, t.AttrOr("datetime", ""))
	})
	pl.promoted = doc.Find("div.promoted a.promoted__entry").AttrOr("href", "")
	return pl, nil
}

var (
	commentRe = regexp.MustCompile(`(?s)<!--.*?-->|<!doctype[^>]*>|<!DOCTYPE[^>]*>`)
	tagRe     = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>`)
)

// checkBalanced verifies that every element is closed in order (void
// elements excepted) and that the page ends with </html>. Attribute values
// and text never contain a raw '>' or '<' on these pages (they are escaped).
func checkBalanced(body []byte) error {
	if !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</html>")) {
		return errf("page does not end with </html>")
	}
	void := map[string]bool{"meta": true, "link": true, "img": true, "br": true, "hr": true, "input": true, "source": true}
	src := commentRe.ReplaceAll(body, nil)
	var stack []string
	for _, m := range tagRe.FindAllSubmatch(src, -1) {
		name := strings.ToLower(string(m[2]))
		closing, selfClosing := len(m[1]) > 0, len(m[3]) > 0
		switch {
		case void[name] || selfClosing:
			// <source …></source> as on the real pages: end tags of void elements are ignored
		case !closing:
			stack = append(stack, name)
		default:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				top := ""
				if len(stack) > 0 {
					top = stack[len(stack)-1]
				}
				return errf("</%s> closes <%s> (depth %d)", name, top, len(stack))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		return errf("unclosed elements at EOF: %v", stack)
	}
	return nil
}
