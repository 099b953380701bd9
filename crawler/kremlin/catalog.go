package kremlin

import (
	"strings"

	"golang.org/x/net/html"
)

// Catalog keys (RECORD.md tag_keys): the site's tags and person links
// point into its catalog, /catalog/<kind>/<code>/events (or /biography).
// The kind and code are the same on both hosts, so "persons/90",
// "countries/BY", "regions/SEV" and "keywords/45" name one thing in
// English and Russian records alike.

// CatalogKey returns the language-independent key of a catalog link:
// "/catalog/persons/90/events", "http://en.kremlin.ru/catalog/persons/90/biography",
// "../../catalog/persons/90/events.html" (a wget mirror) -> "persons/90";
// "/catalog/countries/BY/events" -> "countries/BY". Other catalog sections
// (an "Organisations" column's /catalog/organizations/12/events) give
// "<section>/<code>" the same way. ok is false for any other link. Person
// and keyword codes must be numbers; other codes letters, digits, hyphens
// and underscores, kept as written.
func CatalogKey(href string) (key string, ok bool) {
	p := strings.TrimSpace(href)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			return "", false
		}
	}
	segs := strings.Split(p, "/")
	for i := 0; i+2 < len(segs); i++ {
		if segs[i] != "catalog" {
			continue
		}
		kind := segs[i+1]
		code := strings.TrimSuffix(segs[i+2], ".html")
		if !validKind(kind) || !validCode(kind, code) {
			return "", false
		}
		return kind + "/" + code, true
	}
	return "", false
}

func validKind(kind string) bool {
	if kind == "" || len(kind) > 32 {
		return false
	}
	for i := 0; i < len(kind); i++ {
		if c := kind[i]; (c < 'a' || c > 'z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func validCode(kind, code string) bool {
	if code == "" || len(code) > 32 {
		return false
	}
	numeric := kind == "persons" || kind == "keywords"
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c >= '0' && c <= '9':
		case numeric:
			return false
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '-' || c == '_':
		default:
			return false
		}
	}
	return true
}

// personKey returns the persons catalog key of href ("persons/90"), or "".
func personKey(href string) string {
	if k, ok := CatalogKey(href); ok && strings.HasPrefix(k, "persons/") {
		return k
	}
	return ""
}

// anchorPerson returns the person an <a> element links to: its href, else
// the data-href of the hover card inside it (a mirror may have rewritten
// the href), else "".
func anchorPerson(a *html.Node) string {
	if k := personKey(attr(a, "href")); k != "" {
		return k
	}
	if tt := findTooltipLink(a, 0); tt != nil {
		return personKey(attr(tt, "data-href"))
	}
	return ""
}

// findTooltipLink returns the first .tooltip_link[data-href] under n.
func findTooltipLink(n *html.Node, depth int) *html.Node {
	if depth > maxDepth {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if hasAttr(c, "data-href") && (hasClass(c, "tooltip_link") || hasClass(c, "tooltip_title")) {
			return c
		}
		if f := findTooltipLink(c, depth+1); f != nil {
			return f
		}
	}
	return nil
}

// tooltipTitle is the catalog form of the name in a hover card
// ("Lukashenko Alexander"), "" when n has none.
func tooltipTitle(n *html.Node) string {
	var t *html.Node
	var find func(*html.Node, int)
	find = func(n *html.Node, depth int) {
		if t != nil || depth > maxDepth {
			return
		}
		for c := n.FirstChild; c != nil && t == nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if hasClass(c, "tooltip_title") {
				t = c
				return
			}
			find(c, depth+1)
		}
	}
	find(n, 0)
	if t == nil {
		return ""
	}
	var b strings.Builder
	appendRawText(&b, t, 0)
	return clean(b.String())
}

// appendRawText appends every text node under n, removed subtrees included.
func appendRawText(b *strings.Builder, n *html.Node, depth int) {
	if depth > maxDepth {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			appendRawText(b, c, depth+1)
		}
	}
}
