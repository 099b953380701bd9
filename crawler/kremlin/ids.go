package kremlin

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Canonical hosts (SPEC §1: HTTP is primary).
const (
	baseEN = "http://en.kremlin.ru"
	baseRU = "http://kremlin.ru"
)

// CanonicalBase returns the real host's base URL for a language:
// "en" -> "http://en.kremlin.ru", "ru" -> "http://kremlin.ru"; "" for any
// other value.
func CanonicalBase(lang string) string {
	switch strings.ToLower(strings.TrimSpace(lang)) {
	case "en":
		return baseEN
	case "ru":
		return baseRU
	}
	return ""
}

// ListingPath returns the path of page `page` of a section listing
// (SPEC §2.2): ListingPath("news", 1) = "/events/president/news",
// ListingPath("news", 3) = "/events/president/news/page/3",
// ListingPath("transcripts/speeches", 2) =
// "/events/president/transcripts/speeches/page/2". A section that starts
// with "events/" or "acts/" names a path from the root instead:
// ListingPath("acts/news", 2) = "/acts/news/page/2". Surrounding slashes
// are ignored; pages below 2 give the bare section path.
func ListingPath(section string, page int) string {
	s := strings.Trim(strings.TrimSpace(section), "/")
	p := "/events/president/" + s
	if strings.HasPrefix(s, "events/") || strings.HasPrefix(s, "acts/") {
		p = "/" + s
	}
	if page > 1 {
		p += "/page/" + strconv.Itoa(page)
	}
	return p
}

// DocumentPath returns the path document id is fetched from, given the
// listing (section, as for ListingPath) that lists it and hint, the link
// the listing gave (a path or URL, resolved or not).
//
// The site serves a document under every listing that lists it (SPEC
// §2.5), so the path is built from the ID and the URL scheme:
// DocumentPath("news", 38764, "") = "/events/president/news/38764". The
// hint is used instead only when it is a plain document path naming id:
// no spaces or escapes, no tab or print suffix, no query, not another
// document, and no ".html" of a mirror's rewritten link. Anything else a
// listing may carry ("/events/president/news/ 38764 ", a link to another
// ID, "../38764.html") never becomes the document's URL.
func DocumentPath(section string, id int64, hint string) string {
	if p := cleanDocumentPath(hint); p != "" {
		if n, ok := DocumentID(p); ok && n == id {
			return p
		}
	}
	return ListingPath(section, 1) + "/" + strconv.FormatInt(id, 10)
}

// plainDocPathRE is a document path as the site writes it.
var plainDocPathRE = regexp.MustCompile(`^/events/[a-z_-]+(?:/[a-z_-]+)*/[1-9][0-9]*$`)

// cleanDocumentPath returns the path of hint (a root-relative path or an
// absolute URL) when it is a plain document path, else "".
func cleanDocumentPath(hint string) string {
	if hint == "" || strings.ContainsAny(hint, " \t\r\n%?#") {
		return ""
	}
	p := hint
	if strings.Contains(p, "://") {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return ""
		}
		p = u.Path
	}
	p = strings.TrimSuffix(p, "/")
	if !plainDocPathRE.MatchString(p) {
		return ""
	}
	return p
}

// docPathRE is SPEC §2.6's ID pattern.
var docPathRE = regexp.MustCompile(`^/events/(?:[a-z_-]+/)+?(\d+)(?:/(?:photos|videos|print))?/?$`)

// rejectedSegments name pages that are not documents even though the path
// ends in a number (SPEC §2.6).
var rejectedSegments = map[string]bool{"by-date": true, "feed": true, "copy": true, "by-council": true}

// DocumentID extracts the document number from an event page URL or path
// (SPEC §2.6): "/events/president/news/63953",
// "http://kremlin.ru/events/president/transcripts/speeches/63953/print?x#y"
// -> 63953, true. The /photos, /videos and /print variants name their
// document (use Classify to tell them apart).
//
// Rejected: listing pages (…/page/N), by-date, feed, copy (text version)
// and by-council paths, anything outside /events/, and trip pages
// /events/president/trips/<id>: a trip is an aggregation of the events of
// a journey (linked from "See also" cuts), not a document of its own.
func DocumentID(rawURL string) (id int64, ok bool) {
	p := urlPath(rawURL)
	m := docPathRE.FindStringSubmatch(p)
	if m == nil {
		return 0, false
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if rejectedSegments[s] {
			return 0, false
		}
		if s == m[1] && i > 0 {
			switch segs[i-1] {
			case "page", "trips":
				return 0, false
			}
		}
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// urlPath returns the path of an absolute URL, a scheme-relative URL or a
// bare path, without query and fragment.
func urlPath(raw string) string {
	s := strings.TrimSpace(raw)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 && !strings.Contains(s[:i], "/") {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	} else if strings.HasPrefix(s, "//") {
		s = s[2:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	}
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	return s
}

// urlHost returns the lower-cased host of an absolute URL ("" otherwise).
func urlHost(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// pathSuffix reports which variant suffix a document path has:
// "print", "photos", "videos" or "".
func pathSuffix(p string) string {
	p = strings.TrimSuffix(p, "/")
	for _, s := range []string{"print", "photos", "videos"} {
		if strings.HasSuffix(p, "/"+s) {
			return s
		}
	}
	return ""
}

// documentPath strips the /print, /photos, /videos suffix and a trailing
// slash from a document path.
func documentPath(p string) string {
	p = strings.TrimSuffix(p, "/")
	if s := pathSuffix(p); s != "" {
		p = strings.TrimSuffix(p, "/"+s)
	}
	return p
}

// hasSegment reports whether path p has the segment seg.
func hasSegment(p, seg string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == seg {
			return true
		}
	}
	return false
}

var tripPathRE = regexp.MustCompile(`^/events/president/trips/\d+/?$`)

// isTripPath reports whether p is a trip aggregation page.
func isTripPath(p string) bool { return tripPathRE.MatchString(p) }

// pageNumberRE finds the N of "…/page/N".
var pageNumberRE = regexp.MustCompile(`/page/(\d+)/?$`)

func pageNumber(p string) int {
	m := pageNumberRE.FindStringSubmatch(p)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return n
}
