package kremlin

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// pageIndex holds the elements the parser looks up in the whole page of a
// document, found in one walk. It replaced a goquery Find per element,
// each a walk of the whole tree with a CSS selector compiled anew and
// tried on every element. Every field is what goquery's
// Find(selector).First() (or Find(selector), for the lists) would give:
// the same matching rules as cascadia, in document order;
// TestPageIndexMatchesGoquery holds the two together.
type pageIndex struct {
	articleReadIn *html.Node   // article.read__in
	html          *html.Node   // html
	materialLink  *html.Node   // #material_link
	ogURL         *html.Node   // meta[property="og:url"]
	canonical     *html.Node   // link[rel="canonical"]
	status        *html.Node   // .read__status
	updated       *html.Node   // .read__updated
	tagCols       []*html.Node // .read__tagscol (all of them)
}

// indexPage walks the descendants of root in document order.
func indexPage(root *html.Node) *pageIndex {
	x := &pageIndex{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			x.visit(c)
			walk(c)
		}
	}
	walk(root)
	return x
}

func (x *pageIndex) visit(n *html.Node) {
	switch n.Data {
	case "html":
		if x.html == nil {
			x.html = n
		}
	case "meta":
		if x.ogURL == nil && attrEquals(n, "property", "og:url") {
			x.ogURL = n
		}
	case "link":
		if x.canonical == nil && attrEquals(n, "rel", "canonical") {
			x.canonical = n
		}
	}
	if x.materialLink == nil && attrEquals(n, "id", "material_link") {
		x.materialLink = n
	}
	for _, a := range n.Attr {
		if a.Key == "class" && strings.Contains(a.Val, "read__") {
			x.visitClasses(n)
			return
		}
	}
}

// visitClasses looks at an element with a read__ class.
func (x *pageIndex) visitClasses(n *html.Node) {
	if x.articleReadIn == nil && n.Data == "article" && classIncludes(n, "read__in") {
		x.articleReadIn = n
	}
	if x.status == nil && classIncludes(n, "read__status") {
		x.status = n
	}
	if x.updated == nil && classIncludes(n, "read__updated") {
		x.updated = n
	}
	if classIncludes(n, "read__tagscol") {
		x.tagCols = append(x.tagCols, n)
	}
}

// attrEquals is cascadia's [key="val"]: some attribute key equals val.
func attrEquals(n *html.Node, key, val string) bool {
	for _, a := range n.Attr {
		if a.Key == key && a.Val == val {
			return true
		}
	}
	return false
}

// classIncludes is cascadia's .class: some class attribute has it among
// its words, split on " \t\r\n\f" (not on NBSP and other Unicode spaces).
func classIncludes(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && wordIncluded(class, a.Val) {
			return true
		}
	}
	return false
}

func wordIncluded(word, s string) bool {
	for s != "" {
		i := strings.IndexAny(s, " \t\r\n\f")
		if i == -1 {
			return s == word
		}
		if s[:i] == word {
			return true
		}
		s = s[i+1:]
	}
	return false
}

// selectionOf is a goquery selection of n alone (empty for nil), for the
// goquery code that works from an indexed element.
func selectionOf(n *html.Node) *goquery.Selection {
	if n == nil {
		return &goquery.Selection{}
	}
	return goquery.NewDocumentFromNode(n).Selection
}

// textOf is goquery's Text of n: every descendant text, as it is.
func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// attrOr is goquery's AttrOr on n: the first attribute named key, else def.
func attrOr(n *html.Node, key, def string) string {
	if n == nil {
		return def
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return def
}
