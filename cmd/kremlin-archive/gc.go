package main

import (
	"os"
	"runtime/debug"
)

// Garbage collection of a crawl or backfill, unless GOGC or GOMEMLIMIT
// say otherwise. A backfill allocates ~0.5 MB per document (the page, its
// parse tree, its compression) over a live heap of ~8 MiB: at GOGC=100
// the collector runs every dozen documents. Letting the heap grow to 2.5
// times the live one (crawlGCPercent) cuts its CPU by a third (3,000
// documents: 216 collections and 0.59 s of CPU -> 133 and 0.42 s) for ~5
// MiB more resident (peak RSS 41 -> 45 MiB); crawlMemoryLimit, above
// what a backfill needs, bounds the heap should a rare large page make it
// grow (the collector then runs more often instead).
const (
	crawlGCPercent   = 150
	crawlMemoryLimit = 36 << 20
)

// tuneGC applies the crawl's collector settings.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(crawlGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(crawlMemoryLimit)
	}
}
