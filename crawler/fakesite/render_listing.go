package fakesite

import (
	"fmt"
	"strings"
)

// listingView is everything a listing page shows.
type listingView struct {
	sec      string
	page     int
	pages    int
	items    []*Doc
	prev     *Doc   // the item just before this page (day-header rule), nil on page 1
	dataPath string // data-path: the path requested (page or by-date path)
	promoted *Doc   // div.promoted teaser (not an item), may be nil
	year     int    // "current" year: day headers of other years carry the year
	absNav   bool   // navigation hrefs absolute on the real host
	minDate  string // calendar bounds (YYYY-MM-DD)
	maxDate  string

	next       bool              // the page links to a next (older) page
	noDataPage bool              // no data-page/data-pages, no rel=first/last
	odd        map[int64]OddItem // odd entries by ID
}

func (rd *renderer) sectionPath(sec string) string { return "/events/president/" + sec }

func (rd *renderer) pageURL(v *listingView, p int) string {
	u := rd.sectionPath(v.sec)
	if p > 1 {
		u += "/page/" + itoa(int64(p))
	}
	if v.absNav {
		return rd.abs(u)
	}
	return u
}

// renderListing renders a section listing page (SPEC §3).
func (rd *renderer) renderListing(v listingView) []byte {
	l := rd.l
	secPath := rd.sectionPath(v.sec)
	name := l.sectionName(v.sec)
	var links strings.Builder
	if !v.noDataPage {
		links.WriteString(`<link rel="first" href="` + rd.pageURL(&v, 1) + `"/> <link rel="last" href="` + rd.pageURL(&v, v.pages) + `"/> `)
	}
	if v.page > 1 {
		links.WriteString(`<link rel="prev" href="` + rd.pageURL(&v, v.page-1) + `"/> `)
	}
	if v.next {
		links.WriteString(`<link rel="next" href="` + rd.pageURL(&v, v.page+1) + `"/> `)
	}
	links.WriteString(`<link rel="alternate" type="application/atom+xml" href="` + secPath + `/feed" title="Website of the President of Russia: President: ` + name + `"/> `)
	h := pageHead{
		title:  fmt.Sprintf(l.listingTitle, name),
		altURL: rd.altURL(v.dataPath),
		links:  links.String(),
	}
	n := &noiser{r: newRand(hashString(v.sec), uint64(v.page), 0x11), lang: l.lang}

	var c strings.Builder
	c.WriteString(` <div class="content content_main" data-section="` + escAttr(name) + `" data-section-href="` + secPath + `"> <div class="content__in"> <div class="events hslice" id="events" aria-live="polite" aria-relevant="additions removals">  `)
	if v.page > 1 {
		c.WriteString(`<a href="` + rd.pageURL(&v, v.page-1) + `" class="button button_white more more-prev" rel="prev" accesskey="p">` + l.prevButton + `</a>`)
	}
	pageAttrs := ` data-page="` + itoa(int64(v.page)) + `" data-pages="` + itoa(int64(v.pages)) + `"`
	if v.noDataPage {
		pageAttrs = ""
	}
	c.WriteString(`<div class="entry-content lister-page" role="list" data-url-template="` + secPath + `/page/PAGE" data-base-url="` + secPath + `" data-path="` + v.dataPath + `"` + pageAttrs + `>   `)
	prev := v.prev
	for _, d := range v.items {
		t := d.Time.In(Moscow)
		if prev == nil || !sameDay(prev.Time.In(Moscow), t) {
			c.WriteString(`   <h2 class="events__title"> <span><time datetime="` + t.Format("2006-01-02") + `">` + l.dayHeaderFmt(l, t, t.Year() != v.year) + `</time></span> </h2>  `)
		}
		prev = d
		rd.listItem(&c, &v, d, n)
	}
	c.WriteString(`</div>`)
	if v.next {
		c.WriteString(`<a href="` + rd.pageURL(&v, v.page+1) + `" class="button button_green more more-next" rel="next" accesskey="n">` + l.nextButton + `</a>`)
	}
	c.WriteString(`   </div> </div> </div>`)
	if p := v.promoted; p != nil {
		c.WriteString(`<div class="promoted" role="region" aria-label="` + l.importantNews + `"> <div class="promoted__in"> <a href="` + docPath(p.Canonical(), p.ID) + `" class="promoted__entry"> <div class="promoted__block"> <h3 class="promoted__title three_lines">` + escText(normalize(p.Title)) + `</h3> <div class="promoted__image" aria-hidden="true"><img class="promoted__pic" src="http://static.kremlin.ru/media/events/highlight-images/index/` + fakeHash(uint64(p.ID), 21) + `.JPG" width="140" height="100" alt="` + escAttr(normalize(p.Title)) + `"/></div> <span class="promoted__date"> ` + l.dateFmt(l, p.Time.In(Moscow)) + `</span> </div> </a> </div> <div class="gradient-shadow"></div> </div> `)
	}

	var b strings.Builder
	b.Grow(48 << 10)
	rd.page(&b, h, rd.subnav(&v), c.String(), "")
	return []byte(b.String())
}

func (rd *renderer) listItem(c *strings.Builder, v *listingView, d *Doc, n *noiser) {
	l := rd.l
	t := d.Time.In(Moscow)
	href, dataID := docPath(v.sec, d.ID), itoa(d.ID)
	if o, ok := v.odd[d.ID]; ok {
		if o.Href != "" {
			href = escAttr(o.Href)
		}
		if o.DataID != "" {
			dataID = escAttr(o.DataID)
		}
	}
	upd := t
	if !d.Updated.IsZero() {
		upd = d.Updated.In(Moscow)
	}
	c.WriteString(`<div class="hentry h-entry hentry_event" data-id="` + dataID + `" itemscope="itemscope" itemtype="http://schema.org/NewsArticle" role="listitem"> <h3 class="hentry__title hentry__title_special"> <a href="` + href + `" rel="bookmark" itemprop="url"><span class="entry-title p-name" itemprop="name">` + n.text(d.Title, lineOpt) + `</span>  <span class="hentry__meta">  <time class="published dt-published" datetime="` + t.Format("2006-01-02") + `" itemprop="datePublished">` + l.dateTimeFmt(l, t) + `</time>  <span class="updated hidden" hidden="hidden">` + upd.Format("2006-01-02") + `</span> <span class="author vcard hidden" hidden="hidden"><span class="fn">` + l.author + `</span></span>`)
	if d.Place != "" && !d.Announcement {
		c.WriteString(` <span class="hentry__location p-location">` + n.text(d.Place, lineOpt) + `</span> `)
	}
	size := "small"
	switch {
	case d.Photos > 0:
		size = "big"
	case d.InSection("transcripts"):
		size = "medium"
	}
	c.WriteString(`</span>   </a> </h3>  <div class="hentry__assets">  <a href="` + href + `" rel="bookmark" aria-hidden="true" aria-label="` + l.textOfArticle + `" class="tabs_article item ` + size + `" title="` + l.textOfArticle + `"><i></i> </a>  `)
	if d.Photos > 0 {
		c.WriteString(`<a href="` + href + `/photos" itemprop="url" aria-label="` + l.relatedPhotos + `" itemscope="itemscope" itemtype="http://schema.org/ImageObject" class="tabs_photo item" title="` + l.relatedPhotos + `" rel="bookmark" hidden> <i><span class="tabs__count">` + itoa(int64(d.Photos)) + `</span></i> </a>  `)
	}
	c.WriteString(` </div>  </div>  `)
}

func (rd *renderer) subnav(v *listingView) string {
	l := rd.l
	var b strings.Builder
	b.WriteString(`      <div class="content content_subnav events">   <div class="wrapfix__holder"> <div class="wrapfix wrapfix_events">  <div class="content_top__wrap">  <div class="content__in"> <div role="navigation" aria-label="First level submenu"> <ul class="subnav"><li class="" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a class="is-active " href="` + rd.abs("/events/president/news") + `" itemprop="url"> <span itemprop="name">` + l.president + `</span> </a> </li></ul> </div> </div> <hr class="content__sep" aria-hidden="true"/> <div class="content__in">     <a class="dateblock" data-url="` + rd.sectionPath(v.sec) + `/calendar/YEAR" data-date-url="` + rd.sectionPath(v.sec) + `/by-date/DATE" data-max="` + v.maxDate + `" data-min="` + v.minDate + `" data-format="mmmm, yyyy" href="#focus" role="button"> <span class="special-hidden">Calendar:</span></a>    <div role="navigation" aria-label="Second level submenu"> <ul class="subnav subnav_secondary">`)
	for _, sec := range []string{"news", "transcripts", "trips"} {
		cls := " "
		if sec == v.sec {
			cls = "is-active "
		}
		b.WriteString(`<li class="" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a class="` + cls + `" href="` + rd.abs(rd.sectionPath(sec)) + `" itemprop="url"> <span itemprop="name">` + l.sectionName(sec) + `</span> </a> </li>`)
	}
	b.WriteString(`</ul> </div> </div> <div class="gradient-shadow"></div>  </div> </div> </div>   </div> `)
	return b.String()
}
