package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// Garbage collection of a crawl or backfill, unless GOGC or GOMEMLIMIT
// say otherwise. A backfill allocates ~0.3 MB per document (the page, its
// compression, its parse; the parse tree's blocks are recycled) over a
// live heap of ~8 MiB, ~5 of it the zstd encoder's tables and window: at
// GOGC=100 the collector runs every couple of dozen documents. Letting
// the heap grow to 2.2 times the live one (crawlGCPercent) trades a few
// MiB of resident memory for fewer collections (3,000 documents: 85
// collections at 150 with the recycled parse tree, 136 before it, 132 at
// 130). With group commits (store.Options.GroupCommit: a group's pages
// live until its commit) 150 held 48.5 MiB at 80,000 documents, 120
// 45.6 MiB for the same CPU (1.19 and 1.20 ms per document);
// crawlMemoryLimit, above what a backfill needs, bounds the heap should a
// rare large page make it grow (the collector then runs more often
// instead).
const (
	crawlGCPercent   = 120
	crawlMemoryLimit = 36 << 20
)

// oneP is false for the tests that crawl in this process, in parallel
// (main_test.go): one P for all of them would only make the suite slower.
// A test that runs the CLI as a subprocess gets one P, as the CLI does.
var oneP = true

// tuneRuntime applies the crawl's runtime settings and returns what
// restores the previous ones (after the last of the runs in progress in
// this process, for tests that crawl in parallel).
//
// Besides the collector's: one P (GOMAXPROCS=1) unless GOMAXPROCS is
// set. A crawl does one thing at a time per host (fetch, parse, store),
// and at the delays the real site needs the hosts' workers rarely run at
// once. The CPU is the same within the noise (3,000 documents, 4 runs
// each: 7.52-8.27 s with one P, 7.24-8.24 s with two) and the second P's
// caches and collector worker held ~1-1.5 MiB more resident. A local
// mirror at delay 0 with both languages takes longer (one core).
func tuneRuntime() (restore func()) {
	tuned.mu.Lock()
	defer tuned.mu.Unlock()
	if tuned.runs++; tuned.runs == 1 {
		tuned.gc, tuned.limit, tuned.procs = -1, -1, 0
		if os.Getenv("GOGC") == "" {
			tuned.gc = debug.SetGCPercent(crawlGCPercent)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			tuned.limit = debug.SetMemoryLimit(crawlMemoryLimit)
		}
		if os.Getenv("GOMAXPROCS") == "" && oneP {
			tuned.procs = runtime.GOMAXPROCS(1)
		}
	}
	return func() {
		tuned.mu.Lock()
		defer tuned.mu.Unlock()
		if tuned.runs--; tuned.runs > 0 {
			return
		}
		if tuned.gc != -1 {
			debug.SetGCPercent(tuned.gc)
		}
		if tuned.limit != -1 {
			debug.SetMemoryLimit(tuned.limit)
		}
		if tuned.procs > 0 {
			runtime.GOMAXPROCS(tuned.procs)
		}
	}
}

// tuned is what tuneRuntime changed, while runs are in progress.
var tuned struct {
	mu    sync.Mutex
	runs  int
	gc    int
	limit int64
	procs int
}
