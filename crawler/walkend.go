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
func walkEnd(lst *kremlin.Listing, p int, seen *idSet) string {
	fresh := 0
	for _, it := range lst.Items {
		if seen.add(it.ID) {
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

// idSet is a set of document IDs: a bit per ID in 64-ID words, so a walk
// over the whole site (~80,000 IDs, nearly contiguous) keeps ~1,300 words
// instead of a map entry per ID, which grew a backfill's heap with the
// site's size.
type idSet struct{ words map[int64]uint64 }

// add puts id in the set and reports whether it was not there.
func (s *idSet) add(id int64) bool {
	if s.words == nil {
		s.words = map[int64]uint64{}
	}
	w, bit := id>>6, uint64(1)<<(uint64(id)&63)
	if s.words[w]&bit != 0 {
		return false
	}
	s.words[w] |= bit
	return true
}
