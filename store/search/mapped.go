package search

import (
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// The index's segment files are memory-mapped; every page a search or a
// merge reads stays resident in this process, so without care resident
// memory grows to the size of the index (hundreds of MB for the whole
// site). Like the archive (see store.DropPages), the index releases the
// mapped pages now and then: they stay in the kernel's page cache and are
// mapped again, cheaply, when read again.
//
// An update (the first build above all) merges segments, reading whole
// segments of tens of MB in a second or two, so while one runs the pages
// are checked more often and released sooner.
const (
	releaseEvery           = 250 * time.Millisecond
	releaseAtBytes         = 96 << 20 // file-backed resident memory that triggers a release
	releaseUpdatingAtBytes = 48 << 20 // the same while an update runs
)

// releaseLoop releases mapped pages when the process holds more than
// releaseAtBytes of them (releaseUpdatingAtBytes during an update),
// checking after every search (nudge) and every releaseEvery, until stop
// is closed.
func (ix *Index) releaseLoop(stop <-chan struct{}) {
	t := time.NewTicker(releaseEvery)
	defer t.Stop()
	var meter store.ResidentMeter
	defer meter.Close()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-ix.kick:
		}
		limit := int64(releaseAtBytes)
		if ix.Progress().Running {
			limit = releaseUpdatingAtBytes
		}
		if n, ok := meter.FileBytes(); ok && n > limit {
			ix.releaseMapped()
		}
	}
}

// nudge asks releaseLoop to check resident memory now (after a search,
// which may have read much of the index).
func (ix *Index) nudge() {
	select {
	case ix.kick <- struct{}{}:
	default:
	}
}

// releaseMapped drops the mapped pages of every segment of the current
// snapshots. Holding a reader of each index keeps its segments (and their
// mappings) alive while their pages are dropped.
func (ix *Index) releaseMapped() {
	set := ix.set.Load()
	if set == nil {
		return
	}
	for _, bi := range set.idx {
		adv, err := bi.Advanced()
		if err != nil {
			continue
		}
		r, err := adv.Reader()
		if err != nil {
			continue
		}
		if snap, ok := r.(*scorch.IndexSnapshot); ok {
			for _, ss := range snap.Segments() {
				if d, ok := ss.Segment().(interface{ Data() []byte }); ok {
					store.DropPages(d.Data())
				}
			}
		}
		r.Close()
	}
}
