package fakesite

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// docView says which variant of a document page to render.
type docView int

const (
	viewPage   docView = iota // the event page
	viewPrint                 // …/<id>/print: same page, print.css media=all
	viewPhotos                // …/<id>/photos tab page (not a document)
	viewVideos                // …/<id>/videos tab page (not a document)
)

// docPath is the root-relative path of d under listing section sec.
func docPath(sec string, id int64) string {
	return "/events/president/" + sec + "/" + itoa(id)
}

// byDatePath is the by-date listing path of day t in section sec.
func byDatePath(sec string, d *Doc) string {
	t := d.Time.In(Moscow)
	return fmt.Sprintf("/events/president/%s/by-date/%02d.%02d.%04d", sec, t.Day(), int(t.Month()), t.Year())
}

// fakeHash is a stable 32-character media file name.
func fakeHash(vals ...uint64) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	h := mix(vals...)
	var b [32]byte
	for i := range b {
		h = splitmix(h + uint64(i))
		b[i] = alpha[h%uint64(len(alpha))]
	}
	return string(b[:])
}

func bgStyle(h uint64) string {
	c := func(s uint64) string { return fmt.Sprintf("#%06x", splitmix(h+s)&0xffffff) }
	return `background:rgb(` + fmt.Sprintf("%d, %d, %d", h&0xff, (h>>8)&0xff, (h>>16)&0xff) + `);background:linear-gradient(270deg, ` + c(1) + ` 0%, rgba(0,0,0,0) 100%),linear-gradient(0deg, ` + c(2) + ` 0%, rgba(0,0,0,0) 100%);`
}

// renderDoc renders document d as served under listing section sec.
func (rd *renderer) renderDoc(d *Doc, sec string, view docView) []byte {
	l := rd.l
	n := &noiser{r: newRand(uint64(d.ID), hashString(d.Lang), 0x7e47), lang: d.Lang}
	path := docPath(sec, d.ID)
	selfPath := path
	switch view {
	case viewPrint:
		selfPath += "/print"
	case viewPhotos:
		selfPath += "/photos"
	case viewVideos:
		selfPath += "/videos"
	}
	canon := rd.abs(docPath(d.Canonical(), d.ID))
	h := pageHead{
		title:       normalize(d.Title) + l.titleSuffix,
		description: normalize(d.Lead),
		keywords:    strings.Join(pubNames(d), " ,") + " ," + l.president,
		og:          true,
		ogTitle:     normalize(d.Title),
		ogURL:       canon,
		uploadDate:  d.Time.In(Moscow).Format("2006-01-02"),
		altURL:      rd.altURL(selfPath),
		links:       `<link rel="canonical" href="` + canon + `" /> `,
		printCSS:    view == viewPrint,
		bodyClass:   " is-reading",
	}
	if d.Photos > 0 {
		h.ogImage = "http://static.kremlin.ru/media/events/photos/medium/" + fakeHash(uint64(d.ID), 1) + ".jpg"
		h.links = `<link rel="image_src" href="` + h.ogImage + `" />` + h.links
	}
	var read string
	switch view {
	case viewPhotos, viewVideos:
		read = rd.tabRead(d, sec, view, n)
	default:
		read = rd.docRead(d, sec, view, n)
	}
	var b strings.Builder
	b.Grow(48 << 10)
	rd.page(&b, h, "", "", read)
	return finishPage(b.String())
}

// finishPage turns the rendered string into the response body, putting the
// raw invalid byte where the sentinel is.
func finishPage(s string) []byte {
	if strings.Contains(s, invalidSentinel) {
		s = strings.ReplaceAll(s, invalidSentinel, "\xe3")
	}
	return []byte(s)
}

func pubNames(d *Doc) []string {
	out := make([]string, len(d.PubSections))
	for i, s := range d.PubSections {
		out[i] = normalize(s)
	}
	return out
}

// docRead renders div.read of an event page.
func (rd *renderer) docRead(d *Doc, sec string, view docView, n *noiser) string {
	l := rd.l
	path := docPath(sec, d.ID)
	dataHref := rd.abs(path)
	if view == viewPrint {
		dataHref += "/print"
	}
	stream := byDatePath(sec, d)
	var b strings.Builder
	b.WriteString(`<div class="read" role="complementary" aria-label="Material for reading" data-href="` + dataHref + `" data-stream-url="` + stream + `"> <div class="read__close_wrapper"> <a href="` + stream + `" class="read__close" title="` + l.pressEsc + `"><i></i></a> </div> <div class="read__scroll" role="tabpanel"> <article class="read__in hentry h-entry`)
	if d.Announcement {
		b.WriteString(" announce")
	}
	b.WriteString(`" itemscope="itemscope" itemtype="http://schema.org/NewsArticle" id="event-` + itoa(d.ID) + `" role="document" aria-describedby="read-lead"> <div class="read__content"> <div class="read__top">  <div class="width_limiter"> <a href="` + rd.abs("/events/president/news") + `" class="read__categ" rel="category" data-info="Open">` + l.events + `</a> <h1 class="entry-title p-name" itemprop="name">`)
	b.WriteString(n.text(d.Title, lineOpt))
	b.WriteString(`</h1> <div class="read__lead entry-summary p-summary" itemprop="description" role="heading" id="read-lead">  `)
	if d.Lead != "" {
		b.WriteString(`<div><p>` + n.text(d.Lead, bodyOpt) + `</p></div>   `)
	} else {
		b.WriteString(` `)
	}
	b.WriteString(`</div> <div class="read__meta">`)
	t := d.Time.In(Moscow)
	if !d.Announcement {
		b.WriteString(`<time class="read__published" datetime="` + t.Format("2006-01-02") + `" itemprop="datePublished">` + l.dateFmt(l, t) + `</time>  <div class="read__time">` + t.Format("15:04") + `</div>  `)
		if d.Place != "" {
			b.WriteString(`<div class="read__place p-location"><i></i>` + n.text(d.Place, lineOpt) + `</div> `)
		}
	} else {
		b.WriteString(` `)
	}
	b.WriteString(`<meta itemprop="inLanguage" content="` + d.Lang + `"/> </div> </div> </div>`)
	if d.Announcement {
		ad := d.AnnounceDate
		if ad.IsZero() {
			ad = t
		}
		b.WriteString(`<div class="announce_date"> <div class="width_limiter">` + fmt.Sprintf(l.announcement, l.dateFmt(l, ad.In(Moscow))) + `</div> </div> `)
	}
	b.WriteString(` <div class="entry-content e-content read__internal_content" itemprop="articleBody">    `)
	rd.body(&b, d, n)
	b.WriteString(` <div class="read__bottommeta hidden-copy"> <div class="width_limiter">  `)
	rd.tags(&b, d, n)
	rd.status(&b, d, n)
	b.WriteString(`  </div> </div> </div> </div> </article> </div>    `)
	rd.tabs(&b, d, sec, path, viewPage)
	if !d.Updated.IsZero() {
		u := d.Updated.In(Moscow)
		b.WriteString(`   <div class="read__updated">` + l.lastUpdated + ` <time datetime="` + u.Format("2006-01-02") + `">` + l.dateTimeFmt(l, u) + `</time> </div>`)
	}
	b.WriteString(` </div>`)
	return b.String()
}

// body renders the inside of .read__internal_content up to the bottom meta.
func (rd *renderer) body(b *strings.Builder, d *Doc, n *noiser) {
	if d.Video {
		rd.video(b, d)
	}
	switch {
	case d.Photos > 1 || (d.PhotoOnly && d.Photos > 0):
		rd.slider(b, d, n)
	case d.Photos == 1:
		rd.picture(b, d, n)
	}
	badPara, badOff, bad := -1, 0, false
	if d.InvalidUTF8 {
		badPara, badOff, bad = invalidSpot(d)
	}
	sep := ""
	if d.ID%3 == 0 {
		sep = " " // some pages separate paragraphs with a space (56756)
	}
	linked := map[int]bool{} // person links already rendered (first occurrence only)
	for i, p := range d.Paragraphs {
		text := p.Text
		if bad && i == badPara {
			text = replaceRuneAt(text, badOff, invalidSentinel)
		}
		if i > 0 {
			b.WriteString(sep)
		}
		switch p.Kind {
		case ParaText:
			b.WriteString(`<p>` + rd.inline(n, text, p.Links, linked, true) + `</p>`)
		case ParaQuote:
			b.WriteString(`<blockquote><p>` + rd.inline(n, text, p.Links, linked, true) + `</p></blockquote>`)
		case ParaRule:
			b.WriteString(`<p><b>* * *</b></p>`)
		case ParaElision:
			b.WriteString(`<p>&lt;…&gt;</p>`)
		case ParaHeading:
			b.WriteString(`<p><b>` + n.text(text, lineOpt) + `</b></p>`)
		case ParaTurn:
			b.WriteString(`<p>` + rd.turn(n, p, text, linked) + `</p>`)
		}
	}
	for i, c := range d.SeeAlso {
		id := itoa(int64(1000 + int(d.ID%9000) + i))
		b.WriteString(`   <div class="read__cut read__cut_full_size masha-ignore" role="complementary" aria-labelledby="` + id + `-cut"> <div class="cut"> <h3 class="cut__title" id="` + id + `-cut">` + escText(c.Title) + `</h3>   <div class="cut__description">  <a href="` + rd.abs(c.Href) + `" class="cut__item cut__link" target="_blank">` + n.text(c.Text, lineOpt) + `</a> <div class="cut__date">` + rd.l.dateFmt(rd.l, c.Date.In(Moscow)) + `</div>  </div>  </div> </div>`)
	}
}

// inline renders a text paragraph with the first occurrence of each linked
// person wrapped in a person tag with a hover card.
func (rd *renderer) inline(n *noiser, text string, links []Person, linked map[int]bool, edges bool) string {
	type span struct {
		at int
		p  Person
	}
	var spans []span
	for _, p := range links {
		if linked[p.ID] || p.Name == "" {
			continue
		}
		if at := strings.Index(text, p.Name); at >= 0 {
			spans = append(spans, span{at, p})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].at < spans[j].at })
	opt := bodyOpt
	opt.edges = false
	var b strings.Builder
	if edges && n.r.IntN(20) == 0 {
		b.WriteByte(' ')
	}
	pos := 0
	for _, s := range spans {
		if s.at < pos {
			continue
		}
		b.WriteString(n.text(text[pos:s.at], opt))
		b.WriteString(rd.personLink(n, s.p, n.text(s.p.Name, lineOpt), false))
		linked[s.p.ID] = true
		pos = s.at + len(s.p.Name)
	}
	b.WriteString(n.text(text[pos:], opt))
	if edges && n.r.IntN(12) == 0 {
		b.WriteString(nbsp)
	}
	return b.String()
}

// personLink renders a.person_tag with its hover card. With boldName the
// visible name is wrapped in <b> (a bold label inside the link).
func (rd *renderer) personLink(n *noiser, p Person, nameHTML string, boldName bool) string {
	href := "/catalog/persons/" + itoa(int64(p.ID)) + "/events"
	if boldName {
		nameHTML = "<b>" + nameHTML + "</b>"
	}
	h := uint64(p.ID)
	return `<a href="` + rd.abs(href) + `" class="person_tag read__tag">` + nameHTML + `<span class="read__tooltip tooltip_person hidden masha-ignore"> <span class="tooltip__close"><i></i></span> <span class="tooltip__image">  <img src="http://static.kremlin.ru/media/events/persons/small/` + fakeHash(h, 7) + `.jpg" srcset="http://static.kremlin.ru/media/events/persons/small2x/` + fakeHash(h, 8) + `.jpg 2x" style="` + bgStyle(h) + `" width="140" height="140" alt="` + escAttr(p.Catalog) + `"></span> <span class="tooltip__text"> <span class="tooltip_title tooltip_link" data-href="` + href + `">` + escText(p.Catalog) + `</span><span class="tooltip_description_dark">` + escText(p.Position) + `</span></span> </span></a>`
}

// turn renders the inside of a speaker-turn paragraph.
func (rd *renderer) turn(n *noiser, p Para, text string, linked map[int]bool) string {
	// the label's person link, if its name is in the speaker label
	var link *Person
	for i := range p.Links {
		if p.Links[i].Name != "" && strings.Contains(p.Speaker, p.Links[i].Name) && !linked[p.Links[i].ID] {
			link = &p.Links[i]
			break
		}
	}
	var textLinks []Person
	for _, pl := range p.Links {
		if link == nil || pl.ID != link.ID {
			textLinks = append(textLinks, pl)
		}
	}
	labelHTML := func() string {
		if link == nil {
			return n.label(p.Speaker)
		}
		at := strings.Index(p.Speaker, link.Name)
		pre, post := p.Speaker[:at], p.Speaker[at+len(link.Name):]
		if pre != "" {
			pre = n.label(pre)
		}
		if post != "" {
			post = n.label(post)
		}
		return pre + rd.personLink(n, *link, n.text(link.Name, lineOpt), false) + post
	}
	sep := " "
	switch n.r.IntN(10) {
	case 0:
		sep = "\n"
	case 1:
		if rd.l.lang == LangRU {
			sep = "&nbsp;"
		} else {
			sep = nbsp
		}
	}
	body := func() string { return rd.inline(n, text, textLinks, linked, false) }
	style := p.Label
	if p.Note != "" {
		lh := labelHTML()
		if link != nil {
			linked[link.ID] = true
		}
		return `<b>` + lh + `</b> (<i>` + escText(p.Note) + `</i>):` + sep + body()
	}
	if style == LabelBoldInLink && (link == nil || !strings.HasSuffix(p.Speaker, link.Name) || p.Speaker == link.Name) {
		style = LabelColonInside
	}
	if style == LabelSwallow {
		r, size := utf8.DecodeRuneInString(text)
		if !unicode.IsLetter(r) || strings.HasPrefix(text, invalidSentinel) {
			style = LabelColonInside
		} else {
			lh := labelHTML()
			if link != nil {
				linked[link.ID] = true
			}
			rest := rd.inline(n, text[size:], textLinks, linked, false)
			return `<b>` + lh + `: ` + string(r) + `</b>` + rest
		}
	}
	var out string
	switch style {
	case LabelColonAfter:
		out = `<b>` + labelHTML() + `</b>:` + sep
	case LabelSplitBold:
		out = `<b>` + labelHTML() + `</b><b>:</b>` + sep
	case LabelBoldInLink:
		prefix := strings.TrimSuffix(p.Speaker, link.Name)
		out = `<b>` + n.label(strings.TrimRight(prefix, " ")) + ` </b>` + rd.personLink(n, *link, n.text(link.Name, lineOpt), true) + `:` + sep
	default:
		out = `<b>` + labelHTML() + `:</b>` + sep
	}
	if link != nil {
		linked[link.ID] = true
	}
	return out + body()
}

func (rd *renderer) slider(b *strings.Builder, d *Doc, n *noiser) {
	id := uint64(d.ID)
	b.WriteString(`   <div class="slider masha-ignore" id="slider-` + itoa(int64(d.ID%20000)) + `" role="listbox"><div class="slider__slides"  data-cycle-caption-template="{{slideNum}} of {{slideCount}}" data-cycle-starting-slide="1">`)
	for i := 0; i < d.Photos; i++ {
		cap := n.text(captionFor(d, i), lineOpt)
		h := mix(id, uint64(i))
		b.WriteString(`    <div class="slide" data-cycle-desc="` + cap + `"> <div class="slider__block" data-text="` + cap + `"> <img    src="http://static.kremlin.ru/media/events/photos/big/` + fakeHash(h, 1) + `.jpg" srcset="http://static.kremlin.ru/media/events/photos/big2x/` + fakeHash(h, 2) + `.jpg 2x" style="` + bgStyle(h) + `"    width="940" height="580"  data-text="` + cap + `" alt="` + cap + `" class="" id="photo-` + itoa(int64(h%90000)) + `" itemprop="contentUrl" data-cycle-desc="` + cap + `"/> <meta itemprop="thumbnailUrl" content="http://static.kremlin.ru/media/events/photos/small/` + fakeHash(h, 3) + `.jpg"/> <meta itemprop="datePublished" content="` + d.Time.In(Moscow).Format("2006-01-02") + `"/> </div> </div> `)
	}
	b.WriteString(` <div class="slider__next" role="button"><i></i></div> <div class="slider__prev" role="button"><i></i></div> </div> <div class="slider__description"> <div class="slider_caption"></div> <div class="slider_overlay"></div> </div> </div>      `)
}

func (rd *renderer) picture(b *strings.Builder, d *Doc, n *noiser) {
	h := mix(uint64(d.ID), 0)
	cap := n.text(captionFor(d, 0), lineOpt)
	b.WriteString(`    <div class="media masha-ignore"> <figure class="media__pic" itemscope="itemscope" itemtype="http://schema.org/ImageObject"> <img    src="http://static.kremlin.ru/media/events/photos/big/` + fakeHash(h, 1) + `.jpeg" srcset="http://static.kremlin.ru/media/events/photos/big2x/` + fakeHash(h, 2) + `.jpeg 2x" style="` + bgStyle(h) + `"     width="334" height="500"  alt="` + cap + `" itemprop="contentUrl" class="image vertical"/> <meta itemprop="name" content="` + cap + `"/> <meta itemprop="datePublished" content="` + d.Time.In(Moscow).Format("2006-01-02") + `"/> </figure> <span class="media__title player__title">` + cap + `</span> </div>      `)
}

var captions = []bi{
	{"With participants of the meeting.", "С участниками встречи."},
	{"Vladimir Putin speaks with the workers who helped build the motorway.", "Владимир Путин беседует с рабочими, участвовавшими в строительстве трассы."},
	{"At the meeting with Government members.", "На совещании с членами Правительства."},
	{"During the talks.", "Во время переговоров."},
	{"Arrival in the region.", "Прибытие в регион."},
}

func captionFor(d *Doc, i int) string {
	return captions[(int(d.ID%97)+i)%len(captions)][li(d.Lang)]
}

func (rd *renderer) video(b *strings.Builder, d *Doc) {
	vid := itoa(int64(3000 + d.ID%7000))
	h := uint64(d.ID)
	title := escAttr(normalize(d.Title))
	b.WriteString(`<div class="media__container media__container_video u-video masha-ignore" itemscope="itemscope" itemtype="http://schema.org/VideoObject">    <div class="media__video" data-embed-url="` + rd.abs("/misc/"+itoa(d.ID)+"/videos/"+vid) + `"> <video id="video-` + vid + `" preload="none" style="max-width:100%; width: 100%;" poster="http://static.kremlin.ru/media/events/video/image/medium/` + fakeHash(h, 11) + `.jpg" controls="controls"><source type="video/mp4" src="http://static.kremlin.ru/media/events/video/` + d.Lang + `/video_low/` + fakeHash(h, 12) + `.mp4" data-quality="low"></source><source type="video/mp4" src="http://static.kremlin.ru/media/events/video/` + d.Lang + `/video_high/` + fakeHash(h, 13) + `.mp4" data-quality="high"></source><img src="http://static.kremlin.ru/media/events/video/image/medium/` + fakeHash(h, 11) + `.jpg" title="` + title + `" alt="` + title + `" class="photo thumbnail" itemprop="image"></video><a href="#" class="media__videolink" title="Play video"> <i class="media__videolinkicon"></i> </a> </div>  <meta itemprop="name" content="` + title + `"><meta itemprop="description" content="` + title + `"> </div>  `)
}

// tags renders the tag columns (geography, topics, persons). A column with
// more than five tags shows four and hides the rest behind "N more".
func (rd *renderer) tags(b *strings.Builder, d *Doc, n *noiser) {
	if len(d.Tags) == 0 {
		return
	}
	b.WriteString(` <div class="read__tags masha-ignore">  `)
	for _, kind := range []string{TagGeography, TagTopics, TagPersons} {
		var col []Tag
		for _, t := range d.Tags {
			if t.Kind == kind {
				col = append(col, t)
			}
		}
		if len(col) == 0 {
			continue
		}
		hide := len(col) > 5
		cls := "read__tagscol"
		if hide {
			cls += " with_hidden_list"
		}
		head := rd.l.tagHead[kind]
		b.WriteString(`<div class="` + cls + `"> <h3>` + head + `</h3> <ul class="read__taglist">`)
		for i, t := range col {
			hidden := hide && i >= 4
			text := n.text(t.Text, lineOpt)
			href := rd.abs(t.Href)
			switch kind {
			case TagGeography:
				liCls := ""
				if hidden {
					liCls = ` class="hidden"`
				}
				b.WriteString(`<li` + liCls + `><a` + "\n                                    " + `href="` + href + `" rel="tag"><i></i>` + text + `</a></li>`)
			case TagTopics:
				liCls := "p-category"
				if hidden {
					liCls += " hidden"
				}
				b.WriteString(`<li class="` + liCls + `"> <a href="` + href + `" rel="tag"><i></i>` + text + ` </a> </li> `)
			default:
				liCls := ""
				if hidden {
					liCls = ` class="hidden"`
				}
				b.WriteString(`  <li` + liCls + `> <a href="` + href + `" rel="tag"><i></i>` + text + `</a> </li>`)
			}
		}
		if hide {
			b.WriteString(` <li class="read__tagsmore"><a><i></i>` + fmt.Sprintf(rd.l.more, len(col)-4) + `</a> </li> `)
		}
		b.WriteString(` </ul> </div>   `)
	}
	b.WriteString(` </div>`)
}

// status renders div.read__status.
func (rd *renderer) status(b *strings.Builder, d *Doc, n *noiser) {
	l := rd.l
	lbl := l.publishedIn1
	if len(d.PubSections) > 1 {
		lbl = l.publishedInN
	}
	b.WriteString(`               <div class="read__status masha-ignore"> <div class="width_limiter"> <h3>` + l.statusHead + `</h3> <p>` + lbl + ` `)
	for i, s := range d.PubSections {
		if i > 0 {
			b.WriteString(`, `)
		}
		b.WriteString(`<a href="` + rd.abs(l.pubHref(normalize(s))) + `">` + n.text(s, lineOpt) + `</a>`)
	}
	t := d.Time.In(Moscow)
	host := strings.TrimPrefix(rd.base, "http://")
	host = strings.TrimPrefix(host, "https://")
	b.WriteString(`<br/> </p><p> ` + l.pubDate + `    <time datetime="` + t.Format("2006-01-02") + `">` + l.dateTimeFmt(l, t) + `</time> </p><p class="print_link_wrap"> ` + l.directLink + ` <a class="print_link" href="` + rd.abs("/d/"+itoa(d.ID)) + `">` + host + `/d/` + itoa(d.ID) + `</a> </p>  <p> <a class="text_version_link" href="` + rd.abs("/events/president/"+d.Canonical()+"/copy/"+itoa(d.ID)) + `" rel="nofollow" target="_blank">` + l.textVersion + `</a> </p>  </div> </div>`)
}

// tabs renders div.read__tabs with the share block (#material_link).
func (rd *renderer) tabs(b *strings.Builder, d *Doc, sec, path string, active docView) {
	l := rd.l
	size := "small"
	switch {
	case d.Photos > 0:
		size = "big"
	case len(d.Paragraphs) > 20:
		size = "medium"
	}
	act := func(v docView) string {
		if v == active {
			return " is-active"
		}
		return ""
	}
	b.WriteString(`<div class="read__tabs False" role="tablist"> <div class="gradient-shadow"></div> <div class="width_limiter">  <a href="` + path + `" class="tabs_article` + act(viewPage) + ` ` + size + ` with_small_tooltip" title="` + l.textTab + `" aria-label="` + l.textTab + `" role="tab"><i aria-hidden="true"></i> <div class="small_tooltip" aria-hidden="true"><span class="small_tooltip_text">` + l.textTab + `</span></div> </a>  <i class="read__sep"></i> `)
	if d.Photos > 0 {
		b.WriteString(`<a href="` + path + `/photos" class="tabs_photo` + act(viewPhotos) + ` with_small_tooltip" title="` + l.photoTab + `" aria-label="` + l.photoTab + `" role="tab"><i aria-hidden="true"><sup class="tabs__count">` + itoa(int64(d.Photos)) + `</sup></i> <div class="small_tooltip" aria-hidden="true"><span class="small_tooltip_text">` + l.photoTab + `</span></div> </a>   `)
	} else {
		b.WriteString(`<a class="tabs_photo disabled" title="` + l.photoTab + `" aria-hidden="true" role="tab"><i></i> </a>   `)
	}
	b.WriteString(`<i class="read__sep"></i> `)
	if d.Video {
		b.WriteString(`<a href="` + path + `/videos" class="tabs_video` + act(viewVideos) + ` tabs_ long with_small_tooltip" title="` + l.videoTab + `" aria-label="` + l.videoTab + `" role="tab"> <i aria-hidden="true"> <sup class="duration_short tabs__count"> :</sup> <sup class="duration_long tabs__count">` + itoa(1+d.ID%3) + ` hrs ` + itoa(d.ID%60) + `m</sup> </i> <div class="small_tooltip" aria-hidden="true"><span class="small_tooltip_text">` + l.videoTab + `</span></div> </a>      `)
	} else {
		b.WriteString(`<a class="tabs_video disabled" title="` + l.videoTab + `" aria-hidden="true" role="tab"><i></i> </a>      `)
	}
	canon := rd.abs(docPath(d.Canonical(), d.ID))
	q := url.QueryEscape(canon)
	title := url.QueryEscape(normalize(d.Title))
	b.WriteString(`<div class="right_tabs">  <p class="over_tabs"></p> <div class="tabs_share read__share with_small_tooltip" title="` + l.shareTab + `" role="tab" tabindex="0" aria-expanded="false" onclick="" aria-label="` + l.shareTab + `"><i aria-hidden="true"></i> <div class="small_tooltip" aria-hidden="true"><span class="small_tooltip_text">` + l.shareTab + `</span></div> <div class="share_material">   <div class="width_limiter"> <div class="share_where" id="share-permalink">Direct link</div> <div class="share_link share_link_p" tabindex="0" role="textbox" aria-labelledby="share-permalink"> <span class="material_link" id="material_link">` + canon + `</span> </div> <div class="share_where">` + l.shareTab + `</div> <div class="krln-share_list"> <ul class="share_sites">            <li><a target="_blank" class="share_to_site no-warning" href="https://www.vk.com/share.php?url=` + q + `&amp;title=` + title + `" data-service="vkontakte" rel="nofollow">VK</a></li> <li><a target="_blank" class="share_to_site no-warning" href="http://facebook.com/sharer.php?u=` + q + `" data-service="facebook" rel="nofollow">Facebook</a></li> <li><a target="_blank" class="share_to_site no-warning" href="https://www.twitter.com/share?url=` + q + `&amp;counturl=` + q + `&amp;text=` + title + `&amp;via=KremlinRussia_E&amp;lang=` + d.Lang + `" data-service="twitter" rel="nofollow">Twitter</a></li> </ul> <ul class="share_sites"> <li><a target="_blank" class="share_to_site no-warning" href="http://www.livejournal.com/update.bml?subject=` + title + `&amp;event=` + rd.journalCard(d, canon) + `&amp;src=` + q + `" data-service="livejournal" rel="nofollow">LiveJournal</a></li> <li><a href="` + path + `#share-mail" class="share_send_email">Send by email</a></li> </ul> <ul class="share_sites"> <li class="share_print"> <a href="` + path + `/print" class="share_print_label share_print_link no-warning"> <i class="share_print_icon"></i>Print</a> </li> </ul> </div> </div>  <div class="share_mail" id="share-mail"> <div class="width_limiter"> <form method="POST" action="` + rd.abs(path+"/email") + `" class="emailform form"> <div class="share_where">Send by email</div> <label class="share_where_small">Message preview</label> <div class="share_message"> <p class="message_info">Official Website of the ` + l.siteName + `:</p> <p class="message_info">` + escText(normalize(d.Title)) + `</p> <p class="message_link">` + canon + `</p> </div> <div class="form__email"> <label for="email" class="share_where_small">Addressee email</label> <input type="email" name="mailto" required="required" id="email" autocomplete="on" title="Email address required"/> </div> <div class="emailform__act"> <button type="submit" class="submit">Send</button> </div> </form> </div> </div>  </div> </div> </div>  </div> </div>`)
}

// tabRead renders div.read of a /photos or /videos tab page: div.read__in
// (no article, no #event-<id>), h1.read__top_title or a bare h1, and a
// .read__internal_content holding the photo set.
func (rd *renderer) tabRead(d *Doc, sec string, view docView, n *noiser) string {
	l := rd.l
	path := docPath(sec, d.ID)
	self := path + "/photos"
	categ, categHref := l.photos, "/multimedia/photo"
	stream := byDatePath(sec, d)
	if view == viewVideos {
		self = path + "/videos"
		categ, categHref = l.videos, "/multimedia/video"
		t := d.Time.In(Moscow)
		stream = fmt.Sprintf("/multimedia/video/section/president/by-date/%02d.%02d.%04d", t.Day(), int(t.Month()), t.Year())
	}
	t := d.Time.In(Moscow)
	var b strings.Builder
	b.WriteString(`<div class="read" role="complementary" aria-label="Material for reading" data-href="` + rd.abs(self) + `" data-stream-url="` + stream + `">  <div class="read__close_wrapper"> <a href="` + stream + `" class="read__close" title="` + l.pressEsc + `"><i></i></a> </div> <div class="read__scroll"> <div class="read__in"> <div class="read__content"> `)
	if view == viewVideos {
		b.WriteString(`<div class="read__top read__top_media"> <div class="width_limiter"> <a href="` + rd.abs(categHref) + `" class="read__categ" rel="category" data-info="Open">` + categ + `</a> <h1>` + n.text(d.Title, lineOpt) + `</h1> `)
	} else {
		b.WriteString(`<div class="read__top"> <div class="width_limiter"> <a href="` + rd.abs(categHref) + `" class="read__categ" rel="category" data-info="Open">` + categ + `</a> <h1 class="read__top_title">` + n.text(d.Title, lineOpt) + `</h1> `)
	}
	if d.Lead != "" {
		b.WriteString(`<div class="read__lead entry-summary p-summary" itemprop="description"><p>` + n.text(d.Lead, bodyOpt) + `</p></div> `)
	}
	b.WriteString(`<div class="read__meta"> <time class="read__published" datetime="` + t.Format("2006-01-02") + `" itemprop="datePublished">` + l.dateFmt(l, t) + ` </time>  <div class="read__time">` + t.Format("15:04") + `</div> `)
	if d.Place != "" {
		b.WriteString(`<div class="read__place"><i></i>` + n.text(d.Place, lineOpt) + `</div>  `)
	}
	if view == viewPhotos {
		b.WriteString(`<div class="read__length">` + fmt.Sprintf(l.nPhotos, d.Photos) + `</div>  `)
	}
	b.WriteString(`</div> </div> </div> <div class="entry-content e-content read__internal_content">    `)
	if view == viewPhotos {
		b.WriteString(`<div class="photoset" data-url-template="` + self + `/ID" data-root-url="` + self + `"> <div class="width_limiter"> <ul class="photoset__list"> `)
		for i := 0; i < d.Photos; i++ {
			h := mix(uint64(d.ID), uint64(i))
			cap := n.text(captionFor(d, i), lineOpt)
			b.WriteString(` <li class="photoset__item"> <a class="photo photoset_a" href="http://static.kremlin.ru/media/events/photos/big2x/` + fakeHash(h, 2) + `.jpg" target="_blank"> <img    src="http://static.kremlin.ru/media/events/photos/tiny/` + fakeHash(h, 4) + `.jpg" class="photoset__image" data-text="` + cap + `" width="130" height="80"  alt="` + cap + `" id="photo-` + itoa(int64(h%90000)) + `"/> <i class="photoset__icon"></i> <div class="photoset__link"></div> </a> </li> `)
		}
		b.WriteString(`</ul> </div> </div>`)
	} else {
		rd.video(&b, d)
	}
	b.WriteString(` </div> </div> </div> </div>    `)
	rd.tabs(&b, d, sec, path, view)
	if !d.Updated.IsZero() {
		u := d.Updated.In(Moscow)
		b.WriteString(`   <div class="read__updated">` + l.lastUpdated + ` <time datetime="` + u.Format("2006-01-02") + `">` + l.dateTimeFmt(l, u) + `</time> </div>`)
	}
	b.WriteString(` </div>`)
	return b.String()
}

// journalCard is the LiveJournal share link's event parameter: the HTML
// card of the document, URL-escaped (3–4 KB on every real page).
func (rd *renderer) journalCard(d *Doc, canon string) string {
	t := d.Time.In(Moscow)
	card := `<div style="border:1px solid #e0e0e0;padding: 20px;-webkit-user-modify:read-only;-moz-user-modify:read-only;-o-user-modify:none;-ms-user-modify:read-only;user-modify:read-only;-webkit-user-select:none;-moz-user-select:none;-o-user-select:none;-ms-user-select:none;user-select:none;"> <a href="` + rd.base + `/" style="display:block;overflow:hidden;margin-bottom:21px;font-size:20px;text-decoration: none; color: #000; position: relative;padding-left: 70px">   Президент России<span style="font-size: 12px;display:block; color: #868492">Официальный сайт</span> </a> <div style="margin-bottom:20px;"> <a href="` + canon + `" style="text-decoration:none; font-size: 26px; color: #000">` + normalize(d.Title) + `</a> </div> <div style="margin-bottom:15px;"> <div style="margin-bottom:5px;"> <span style="text-decoration:none; color: #868492; font-size: 13px"> ` + rd.l.dateTimeFmt(rd.l, t) + ` </span> </div> </div>  <div style="text-align:right;"> <a href="` + rd.base + `/" title="Official website of the President of Russia" style="text-decoration:none;border-bottom: 1px solid #bcc2eb; color: #000">` + strings.TrimPrefix(rd.base, "http://") + `</a> </div> </div>`
	return strings.ReplaceAll(url.QueryEscape(card), "+", "%20")
}
