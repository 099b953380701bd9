package crawler

import (
	"fmt"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
)

// walkEnd says why page p of a listing is the last page a walk reads, or
// "" when the walk goes on. A walk ends at the page without a link to a
// next page; at the listing's declared last page (data-pages, or head
// link rel=last); and at a page that brings no item not already seen in
// this walk. The last rule ends walks of broken listings that would
// never end otherwise: pages without data-page, or that answer any page
// number with the same items and a next link. It cannot end a sound walk
// early: pages are 20-item windows, so a page holds nothing new only when
// 20 items were published between two page requests of one walk. seen
// collects the walk's IDs.
func walkEnd(lst *kremlin.Listing, p int, seen map[int64]bool) string {
	fresh := 0
	for _, it := range lst.Items {
		if !seen[it.ID] {
			seen[it.ID] = true
			fresh++
		}
	}
	switch {
	case lst.Next == "":
		return "the page links to no next page"
	case lst.Pages > 0 && p >= lst.Pages:
		return fmt.Sprintf("the listing declares %d pages", lst.Pages)
	case fresh == 0:
		return fmt.Sprintf("page %d brought no item not seen earlier in this walk: the listing repeats itself", p)
	}
	return ""
}
