package fakesite

import (
	"sort"
	"time"
)

// Pagination of a section listing (SPEC §2.2): newest first, fixed
// PerPage-item windows counted from the newest item, so every page shifts
// when items are added at the top.

// pageCount is data-pages for n items: at least 1 (an empty section still
// has an empty first page).
func pageCount(n, per int) int {
	if n <= 0 {
		return 1
	}
	return (n + per - 1) / per
}

// pageWindow returns the [from, to) item indexes of page p (1-based); ok is
// false when p is out of range.
func pageWindow(n, per, p int) (from, to int, ok bool) {
	if p < 1 || p > pageCount(n, per) {
		return 0, 0, false
	}
	from = (p - 1) * per
	to = from + per
	if to > n {
		to = n
	}
	return from, to, true
}

// pageOfDate is the by-date rule: the page holding the newest item dated on
// or before day (Moscow date). ok is false when every item is newer.
func pageOfDate(list []*Doc, per int, day time.Time) (int, bool) {
	end := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Moscow).AddDate(0, 0, 1)
	// list is newest first: find the first item before the end of that day
	i := sort.Search(len(list), func(i int) bool { return list[i].Time.Before(end) })
	if i == len(list) {
		return 0, false
	}
	return i/per + 1, true
}

// ListingPage describes one listing page as the server renders it: the
// truth for pagination tests.
type ListingPage struct {
	Section string
	Page    int
	Pages   int
	IDs     []int64 // items in page order (newest first)
}
