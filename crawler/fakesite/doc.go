// Package fakesite is a local stand-in for kremlin.ru and en.kremlin.ru,
// for testing the crawler without the network.
//
// It serves a deterministic generated corpus (or documents you give it)
// with the real site's URL scheme and markup (SPEC.md §2–§4): section
// listings with fixed 20-item windows and rel=next/prev navigation, by-date
// pages, event pages under every section they are listed in, /print and
// /photos|/videos tab pages, /d/<id> short links, robots.txt and the site's
// own 404 page. Absolute URLs inside pages name the real hosts
// (http://en.kremlin.ru, http://kremlin.ru) like a mirror; item links are
// root-relative.
//
// The model (Doc) is clean text. Every piece of markup noise the real
// pages have — NBSPs after short words, hard line wraps inside paragraphs,
// person hover cards inside speaker labels, split bold labels, bold runs
// that swallow the first letter of the speech, hidden tags behind "N more",
// one invalid UTF-8 byte — is produced by the renderer from the clean text.
// Expected derives the parser's truth (RECORD.md) from the model alone, so
// a test can compare an archive with the server's truth:
//
//	site := fakesite.New(fakesite.Options{N: 500, Seed: 1})
//	srv := site.Start()
//	defer srv.Close()
//	// … crawl srv.URL …
//	for _, want := range site.ExpectedAll() {
//		got := archive.Get(want.ID)
//		if !record.SameContent(&got, &want) { … }
//	}
//
// Failures are injected deterministically (Faults): per-path random faults
// decided as a pure function of (seed, path, n-th request of that path)
// and bounded by MaxConsecutive, so that retrying eventually succeeds; a
// global 403 burst throttle (the real site's signal); explicit ForcePath
// overrides; robots.txt variants (Robots). Hostile answers among the
// fault kinds: a page gzip-encoded although nobody asked (gzip), a gzip
// bomb (gzip-bomb: 1 MB inflating to 1 GiB), a redirect to https:// on
// the same host where TLS fails (redirect-https). Hostile listings
// (ListingQuirks): odd entries (spaces in href or data-id, a link to
// another document), pages without data-page, listings that never end.
// HTTPProxy can demand credentials (407) or answer everything with its
// own error. Every request is logged (Requests, DocFetches, MaxInFlight,
// MinGap …).
//
// Incremental crawls: AddDocs puts new items at the top (every listing
// page shifts), Update edits a document and bumps its update stamp (page
// "Last updated at" and listing span.updated), Remove deletes one.
//
// Two hosts: GeneratePair / StartPair build an EN and a RU site with
// partially overlapping IDs; HostHandler serves both behind one address by
// Host header (usable as an HTTP forward proxy for http://en.kremlin.ru
// and http://kremlin.ru).
package fakesite
