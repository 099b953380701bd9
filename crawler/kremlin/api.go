// Package kremlin knows the markup and URL scheme of kremlin.ru and
// en.kremlin.ru. It is pure: bytes and URLs in, records out; no network,
// no store. The crawler engine calls it; it imports nothing of ours but
// store/record.
package kremlin

import (
	"errors"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ParserVersion is stamped into every record (parser_version). Bump it
// whenever a change of the parser can change any record, then run
// `kremlin-archive reparse`.
const ParserVersion = 2

// Kind is what a fetched page is.
type Kind int

const (
	KindUnknown   Kind = iota // HTML we cannot place
	KindDocument              // an event page: article.read__in#event-<id>
	KindListing               // a section listing (.lister-page), incl. by-date pages
	KindTab                   // …/<id>/photos or …/<id>/videos tab page
	KindPrint                 // …/<id>/print
	KindError                 // the site's own error page (404 and the like served as HTML)
	KindChallenge             // anti-bot / challenge / access-denied interstitial
	KindEmpty                 // empty or whitespace-only body
	KindFeed                  // an Atom feed
	// KindTruncated is a body cut off in transfer (no closing </html> near
	// the end): fetch it again, never store it.
	KindTruncated
)

// String names the kind for messages and golden files.
func (k Kind) String() string {
	switch k {
	case KindDocument:
		return "document"
	case KindListing:
		return "listing"
	case KindTab:
		return "tab page"
	case KindPrint:
		return "print page"
	case KindError:
		return "error page"
	case KindChallenge:
		return "anti-bot page"
	case KindEmpty:
		return "empty body"
	case KindFeed:
		return "feed"
	case KindTruncated:
		return "truncated body"
	}
	return "unknown page"
}

// ErrNotDocument is wrapped by ParseDocument when the page is not the
// requested document (see NotDocumentError for the details).
var ErrNotDocument = errors.New("not a document page")

// ErrNotListing is wrapped by ParseListing when the page is not a listing.
var ErrNotListing = errors.New("not a listing page")

// NotDocumentError says what a page was instead of the expected document.
type NotDocumentError struct {
	Kind   Kind   // what the page looks like
	Reason string // human detail, e.g. "page is document 63911, not 63953"
}

// Error implements error.
func (e *NotDocumentError) Error() string {
	if e.Reason == "" {
		return "not a document page: " + e.Kind.String()
	}
	return "not a document page: " + e.Kind.String() + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrNotDocument) true.
func (e *NotDocumentError) Unwrap() error { return ErrNotDocument }

// Options tell the parser where a page came from.
type Options struct {
	// Lang is "en" or "ru": the language of the host the page belongs to.
	Lang string
	// CanonicalBase is the real host's base URL for Lang, used to build
	// record.URL when the page was fetched from a mirror or test server.
	// Empty means the default: http://en.kremlin.ru or http://kremlin.ru.
	CanonicalBase string
}

// Document is the result of parsing an event page.
type Document struct {
	// Record has every page field of RECORD.md filled (id, lang, url,
	// title, date, time, published, updated, place, lead, sections, tags,
	// text, turns, is_announcement, parser_version, schema_version); the
	// fetch fields (fetched_at, source_url, raw_sha256) are left empty.
	Record record.Record
	// Warnings are parse-health problems: a field that should be there and
	// is not (a non-announcement without title, date or body text; an
	// unknown tag heading; a date text that did not parse …). An empty
	// list means the page looked as expected.
	Warnings []string
}

// Listing is one page of a section listing.
type Listing struct {
	Page  int    // data-page; 1 for the first page
	Pages int    // data-pages; 0 when absent
	Next  string // href of rel=next (older items), "" on the last page
	Items []ListItem
	// Warnings as for Document (e.g. a listing with zero items).
	Warnings []string
}

// ListItem is one entry of a listing page.
type ListItem struct {
	ID      int64
	Href    string // the item link as served (root-relative path, or absolute)
	Title   string
	Date    string // YYYY-MM-DD from time.published@datetime ("" if absent)
	Time    string // HH:MM from the time text ("" if absent)
	Updated string // YYYY-MM-DD from span.updated ("" if absent)
}
