package kremlin

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// ParseListing parses one page of a section listing (SPEC §3), including
// by-date pages, which are fixed listing pages.
//
// Items are the div.hentry cards (schema.org NewsArticle) of the
// .lister-page container, not the div.promoted teaser. The ID comes from
// data-id, cross-checked with the item link (DocumentID); cards that carry
// only data-url or a link are accepted. Duplicate cards of one page
// (desktop/mobile blocks) are merged. Date is time.published@datetime,
// Time the HH:MM of its text ("" for relative dates such as
// "2 дня назад"), Updated span.updated.
//
// Page and Pages come from data-page / data-pages (Page is 1 on a bare
// first page without data-page), Next is the href of a[rel=next] or of
// head link[rel=next] exactly as served ("" on the last page; resolve it
// against the page URL). A listing page with zero items is returned with a
// warning. Anything else (document, challenge, truncated, empty …) is an
// error wrapping ErrNotListing.
func ParseListing(body []byte, pageURL string) (*Listing, error) {
	l, _, err := parseListing(body, pageURL)
	return l, err
}

// parseListing is ParseListing; it also returns the page string the parse
// tree pointed into.
func parseListing(body []byte, pageURL string) (*Listing, string, error) {
	p := loadPage(body, pageURL)
	defer p.release() // nothing returned points into the tree
	if p.kind != KindListing {
		return nil, p.src, fmt.Errorf("%w: %s%s", ErrNotListing, p.kind, reasonSuffix(p.reason))
	}
	l := &Listing{Items: []ListItem{}}
	if p.reason != "" {
		l.Warnings = append(l.Warnings, p.reason)
	}
	d := p.doc
	lister := d.FindMatcher(selListerPage).First()

	// Page numbers.
	if n, err := strconv.Atoi(strings.TrimSpace(lister.AttrOr("data-page", ""))); err == nil && n > 0 {
		l.Page = n
	} else if n := pageNumber(p.path); n > 0 {
		l.Page = n
	} else if n := pageNumber(urlPath(d.FindMatcher(selLinkRelPrev).First().AttrOr("href", ""))); n > 0 {
		l.Page = n + 1 // a by-date page without data-page
	} else if n := pageNumber(urlPath(d.FindMatcher(selLinkRelNext).First().AttrOr("href", ""))); n > 1 {
		l.Page = n - 1
	} else {
		l.Page = 1
	}
	if n, err := strconv.Atoi(strings.TrimSpace(lister.AttrOr("data-pages", ""))); err == nil && n > 0 {
		l.Pages = n
	} else if last := d.FindMatcher(selLinkRelLast).First().AttrOr("href", ""); last != "" {
		l.Pages = pageNumber(urlPath(last))
	}

	// Next (older) page.
	next := d.FindMatcher(selARelNext).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.ClosestMatcher(selPromoted).Length() == 0 && strings.TrimSpace(s.AttrOr("href", "")) != ""
	}).First()
	if next.Length() > 0 {
		l.Next = strings.TrimSpace(next.AttrOr("href", ""))
	} else {
		l.Next = strings.TrimSpace(d.FindMatcher(selNextLinkTag).First().AttrOr("href", ""))
	}

	// Items.
	base, _ := url.Parse(pageURL)
	seen := map[int64]int{}
	cards := listingItems(d, true)
	if cards.Length() == 0 && lister.Length() > 0 {
		if cards = listingItems(d, false); cards.Length() > 0 {
			l.Warnings = append(l.Warnings, "items found outside .lister-page")
		}
	}
	cards.Each(func(_ int, s *goquery.Selection) {
		it, warn := listItem(s, base)
		if warn != "" {
			l.Warnings = append(l.Warnings, warn)
		}
		if it.ID == 0 {
			return
		}
		if i, dup := seen[it.ID]; dup {
			mergeItem(&l.Items[i], it)
			return
		}
		seen[it.ID] = len(l.Items)
		l.Items = append(l.Items, it)
	})
	switch {
	case len(l.Items) == 0:
		l.Warnings = append(l.Warnings, "listing page has no items")
	case l.Next != "" && len(l.Items) != 20:
		l.Warnings = append(l.Warnings, fmt.Sprintf("listing page has %d items (20 expected before the last page)", len(l.Items)))
	}
	if len(l.Items) > 1 && !slices.ContainsFunc(l.Items, func(it ListItem) bool { return it.Updated != "" }) {
		// Without span.updated the crawler cannot see edits of these items.
		l.Warnings = append(l.Warnings, "no item has an update date (span.updated): edits of these documents go unnoticed")
	}
	if lister.Length() > 0 && l.Pages > 0 && l.Page > l.Pages {
		l.Warnings = append(l.Warnings, fmt.Sprintf("page %d is beyond data-pages %d", l.Page, l.Pages))
	}
	detach(l, p.src)
	return l, p.src, nil
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// listingItems selects the item cards: .hentry elements with data-id,
// data-url or a link, inside .lister-page when there is one (and inLister),
// never inside the promoted teaser or an article; nested cards count once
// (the outermost).
func listingItems(d *goquery.Document, inLister bool) *goquery.Selection {
	scope := d.Selection
	if lp := d.FindMatcher(selListerPage); inLister && lp.Length() > 0 {
		scope = lp
	}
	return scope.FindMatcher(selHentry).FilterFunction(func(_ int, s *goquery.Selection) bool {
		if s.ClosestMatcher(selPromoted).Length() > 0 || s.ClosestMatcher(selReadIn).Length() > 0 {
			return false
		}
		if s.ParentsMatcher(selHentry).Length() > 0 {
			return false
		}
		_, hasID := s.Attr("data-id")
		_, hasURL := s.Attr("data-url")
		return hasID || hasURL || s.FindMatcher(selAHref).Length() > 0
	})
}

// listItem reads one card. A non-empty warning reports a doubtful card.
func listItem(s *goquery.Selection, base *url.URL) (ListItem, string) {
	var it ListItem
	a := s.FindMatcher(selItemLink).First()
	if a.Length() == 0 {
		a = s.FindMatcher(selAHref).First()
	}
	it.Href = strings.TrimSpace(a.AttrOr("href", ""))
	dataURL := strings.TrimSpace(s.AttrOr("data-url", ""))
	if it.Href == "" {
		it.Href = dataURL
	}

	var attrID int64
	rawID := strings.TrimSpace(s.AttrOr("data-id", ""))
	if rawID != "" {
		if n, err := strconv.ParseInt(rawID, 10, 64); err == nil && n > 0 {
			attrID = n
		}
	}
	hrefID := linkID(it.Href, base)
	if hrefID == 0 && dataURL != "" {
		hrefID = linkID(dataURL, base)
	}
	var warn string
	switch {
	case attrID > 0 && hrefID > 0 && attrID != hrefID:
		it.ID = attrID
		warn = fmt.Sprintf("item data-id %d disagrees with its link %q (id %d); data-id kept", attrID, it.Href, hrefID)
	case attrID > 0:
		it.ID = attrID
	case hrefID > 0:
		it.ID = hrefID
		if rawID != "" {
			warn = fmt.Sprintf("item data-id %q is not a number; id %d taken from its link", rawID, hrefID)
		}
	default:
		warn = fmt.Sprintf("item without a usable id (data-id %q, link %q) skipped", rawID, it.Href)
		return it, warn
	}

	title := s.FindMatcher(selItemTitle).First()
	if title.Length() == 0 {
		title = a
	}
	it.Title = nodeTextSel(title)

	t := s.FindMatcher(selItemTime).First()
	if t.Length() > 0 {
		txt := nodeTextSel(t)
		if dt, ok := validDate(t.AttrOr("datetime", "")); ok {
			it.Date = dt
		} else if dt, ok := parseDateText(txt); ok {
			it.Date = dt
		}
		it.Time, _ = findHHMM(txt)
	}
	if u := s.FindMatcher(selUpdated).First(); u.Length() > 0 {
		if dt, ok := validDate(u.AttrOr("datetime", nodeTextSel(u))); ok {
			it.Updated = dt
		} else if dt, ok := validDate(nodeTextSel(u)); ok {
			it.Updated = dt
		}
	}
	return it, warn
}

// linkID is the document ID an item link names, resolved against the page
// URL (mirror copies rewrite links to "../63904.html": the ".html" is
// tolerated here).
func linkID(href string, base *url.URL) int64 {
	if href == "" {
		return 0
	}
	if id, ok := DocumentID(href); ok {
		return id
	}
	ref, err := url.Parse(href)
	if err != nil || base == nil {
		return 0
	}
	p := base.ResolveReference(ref).Path
	if id, ok := DocumentID(p); ok {
		return id
	}
	if id, ok := DocumentID(strings.TrimSuffix(p, ".html")); ok {
		return id
	}
	return 0
}

// mergeItem fills the empty fields of a from a duplicate card b.
func mergeItem(a *ListItem, b ListItem) {
	if a.Href == "" {
		a.Href = b.Href
	}
	if a.Title == "" {
		a.Title = b.Title
	}
	if a.Date == "" {
		a.Date = b.Date
	}
	if a.Time == "" {
		a.Time = b.Time
	}
	if a.Updated == "" {
		a.Updated = b.Updated
	}
}
