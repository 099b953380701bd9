package crawler

// Progress of a run for the progress display: the listing walks that go
// to a planned end (backfills, an unfinished full walk continued by a
// crawl, date ranges) are measured in listing pages against the number of
// pages each listing declares (data-pages). Before a listing's first page
// is read, its size is the page count its previous walk recorded; a
// listing never walked has no size yet (Stats.Unsized).

// walkKey names one listing of one language.
func walkKey(lang, section string) string { return lang + "/" + section }

// planWalks adds the listings of site that this run walks to their end to
// the run's total, sized from what their previous walks recorded.
func (w *worker) planWalks(site Site) error {
	if w.ro.ranged() {
		return nil // the range's size is known only once its first page is found
	}
	for _, section := range site.Sections {
		st, err := w.c.db.SectionState(site.Lang, section)
		if err != nil {
			return err
		}
		if st.Cursor == nil && st.Complete {
			continue // only the newest pages are walked: no planned end
		}
		est := int64(st.Pages)
		if c := st.Cursor; c != nil && c.Pages > 0 {
			est = int64(max(c.Pages-c.Page+2, 1)) // from the page before the cursor (overlap)
		}
		w.plan(walkKey(site.Lang, section), est)
	}
	return nil
}

// walkSize is one planned walk's part of the run's progress.
type walkSize struct {
	counted int64 // what it adds to Stats.PagesTotal now
	done    int64 // pages walked
	sized   bool  // its first page declared the listing's size
	unsized bool  // counted in Stats.Unsized
}

func (w *worker) walkSize(key string) *walkSize {
	if w.walks == nil {
		w.walks = map[string]*walkSize{}
	}
	s := w.walks[key]
	if s == nil {
		s = &walkSize{}
		w.walks[key] = s
		w.c.stats.Walks.Add(1)
	}
	return s
}

// plan records a walk's estimated size (0 = unknown) before it starts.
func (w *worker) plan(key string, est int64) {
	if _, ok := w.walks[key]; ok {
		return
	}
	s := w.walkSize(key)
	s.counted = est
	w.c.stats.PagesTotal.Add(est)
	if est == 0 {
		s.unsized = true
		w.c.stats.Unsized.Add(1)
	}
}

// sized replaces a walk's estimate by the pages it has left to walk, now
// that its first page declared the listing's size.
func (w *worker) sized(key string, pages int64) {
	s := w.walkSize(key)
	if s.sized {
		return
	}
	pages = max(pages, 1)
	w.c.stats.PagesTotal.Add(pages - s.counted)
	s.counted, s.sized = pages, true
	if s.unsized {
		s.unsized = false
		w.c.stats.Unsized.Add(-1)
	}
}

// pageWalked counts one listing page of a planned walk.
func (w *worker) pageWalked(key string) {
	w.walkSize(key).done++
	w.c.stats.PagesDone.Add(1)
}

// walkEnded makes the walk's share of the total exactly the pages it
// walked (the listing grew or shrank meanwhile, or a range ended early).
func (w *worker) walkEnded(key string) {
	s := w.walkSize(key)
	w.c.stats.PagesTotal.Add(s.done - s.counted)
	s.counted = s.done
	if s.unsized {
		s.unsized = false
		w.c.stats.Unsized.Add(-1)
	}
}
