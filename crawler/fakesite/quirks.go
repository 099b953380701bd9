package fakesite

import (
	"fmt"
	"strings"
)

// ListingQuirks make the listing pages hostile in the ways real listings
// have been seen to be (issue 10): odd item entries, pages without page
// numbers, listings that never end. Set them with Options.Quirks or, to
// change them between runs, Site.SetListingQuirks.
type ListingQuirks struct {
	// Items overrides the link and data-id of listed documents, by ID:
	// OddItem{Href: "/events/president/news/ 38764 ", DataID: " 38764 "}.
	Items map[int64]OddItem
	// NoDataPage leaves out data-page and data-pages and the head links
	// rel=first and rel=last: nothing says which page this is or how many
	// there are.
	NoDataPage bool
	// Endless makes the listing never end (see EndlessMode).
	Endless EndlessMode
}

// OddItem is how a listing entry shows a document. Empty fields keep the
// normal value.
type OddItem struct {
	Href   string // the item's links (title and tab links), verbatim
	DataID string // the item's data-id attribute, verbatim
}

// EndlessMode is how a listing fails to end.
type EndlessMode int

const (
	// EndlessNone: the last page has no rel=next link; pages past it are 404.
	EndlessNone EndlessMode = iota
	// EndlessRepeatLast: the last page links to a next page, and every
	// page number past it answers with the last page's items and a next
	// link.
	EndlessRepeatLast
	// EndlessSamePage: every page number answers with page 1's items and
	// a next link (a site that ignores the page number).
	EndlessSamePage
)

// SetListingQuirks replaces the listing quirks.
func (s *Site) SetListingQuirks(q ListingQuirks) {
	s.mu.Lock()
	s.quirks = q
	s.mu.Unlock()
}

// window applies the endless quirk to page p of a list of n items: the
// item window to show, whether the page links to a next one, ok false
// for a page that does not exist. Caller holds mu.
func (s *Site) window(n, per, p int) (from, to int, next, ok bool) {
	pages := pageCount(n, per)
	switch s.quirks.Endless {
	case EndlessSamePage:
		if p < 1 {
			return 0, 0, false, false
		}
		from, to, _ = pageWindow(n, per, 1)
		return from, to, true, true
	case EndlessRepeatLast:
		if p < 1 {
			return 0, 0, false, false
		}
		from, to, _ = pageWindow(n, per, min(p, pages))
		return from, to, true, true
	}
	from, to, ok = pageWindow(n, per, p)
	return from, to, p < pages, ok
}

// ParseQuirks reads listing quirks from a comma-separated list:
// "no-data-page", "endless=repeat-last" or "endless=same-page".
func ParseQuirks(spec string) (ListingQuirks, error) {
	var q ListingQuirks
	for _, part := range strings.Split(spec, ",") {
		switch strings.TrimSpace(part) {
		case "":
		case "no-data-page":
			q.NoDataPage = true
		case "endless=repeat-last":
			q.Endless = EndlessRepeatLast
		case "endless=same-page":
			q.Endless = EndlessSamePage
		default:
			return q, fmt.Errorf("fakesite: listing quirk %q: want no-data-page, endless=repeat-last or endless=same-page", part)
		}
	}
	return q, nil
}
