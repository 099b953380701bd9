package crawler

import (
	"net/url"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// itemPath is the path a listed document is fetched from: built from its
// ID and the listing's section by the site's URL scheme, the item's link
// (resolved against the listing page, so a mirror's relative links count)
// serving only as a hint (kremlin.DocumentPath). A link with spaces, to
// another document or to a tab page never becomes the document's URL.
func itemPath(pageURL *url.URL, section string, it kremlin.ListItem) string {
	hint := ""
	if pageURL != nil {
		if h, err := pageURL.Parse(strings.TrimSpace(it.Href)); err == nil {
			hint = h.EscapedPath()
			if h.RawQuery != "" || h.Fragment != "" {
				hint = "" // not a plain document link
			}
		}
	}
	return kremlin.DocumentPath(section, it.ID, hint)
}

// pendingPath is the path a frontier entry is fetched from: its stored
// URL when that is a plain path of the document, else the path the URL
// scheme gives it in the first listing it was seen in. Entries stored
// before listing links were checked (a link with spaces, fetched as
// "/%2038764" and 404 for ever) are mended here.
func pendingPath(p *store.Pending) string {
	section := "news"
	if len(p.ListedIn) > 0 {
		section = p.ListedIn[0]
	}
	return kremlin.DocumentPath(section, p.ID, p.URL)
}
