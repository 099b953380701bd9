package kremlin

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxDepth bounds every recursive walk over the DOM, so hostile input
// (millions of nested elements) cannot exhaust the stack. Real pages are
// less than 40 levels deep.
const maxDepth = 256

// clean collapses every run of whitespace (including NBSP and the other
// Unicode spaces) to one ASCII space and trims the ends.
func clean(s string) string {
	// Fast path: ASCII without leading, trailing, doubled or non-' ' spaces.
	simple := len(s) > 0 && s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; simple && i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\r', c == '\f', c == '\v':
			simple = false
		case c == ' ' && s[i+1] == ' ':
			simple = false
		}
	}
	if simple {
		return s
	}
	var c cleaner
	c.b = make([]byte, 0, len(s))
	c.add(s)
	return string(c.b)
}

// cleanSegs is clean of the segments' concatenation, built in one buffer.
func cleanSegs(p paragraph) string {
	n := 0
	for _, s := range p {
		n += len(s.text)
	}
	var c cleaner
	c.b = make([]byte, 0, n)
	for _, s := range p {
		c.add(s.text)
	}
	return string(c.b)
}

// cleanStart marks the bytes that may start whitespace: the ASCII spaces
// and the first bytes of the Unicode spaces (U+0085 and U+00A0: 0xC2;
// U+1680: 0xE1; U+2000–U+205F: 0xE2; U+3000: 0xE3).
var cleanStart = func() (t [256]bool) {
	for _, c := range []byte{' ', '\t', '\n', '\v', '\f', '\r', 0xC2, 0xE1, 0xE2, 0xE3} {
		t[c] = true
	}
	return t
}()

// cleaner appends text to b with whitespace runs collapsed to one space,
// none at the ends. It copies the runs between possible spaces whole.
type cleaner struct {
	b     []byte
	space bool // whitespace seen since the last text
}

func (c *cleaner) add(s string) {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && !cleanStart[s[j]] {
			j++
		}
		if j == i {
			if s[i] < utf8.RuneSelf {
				c.space = true
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				c.space = true
				i += size
				continue
			}
			j = i + size // a character that only starts like a space (an em dash)
		}
		if c.space && len(c.b) > 0 {
			c.b = append(c.b, ' ')
		}
		c.space = false
		c.b = append(c.b, s[i:j]...)
		i = j
	}
}

// hasClass reports whether n has class c.
func hasClass(n *html.Node, c string) bool {
	if n == nil || n.Type != html.ElementNode {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == "class" && a.Namespace == "" {
			for _, f := range strings.Fields(a.Val) {
				if f == c {
					return true
				}
			}
			return false
		}
	}
	return false
}

// attr returns the value of attribute key of n ("" when absent).
func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

// hasAttr reports whether n carries attribute key.
func hasAttr(n *html.Node, key string) bool {
	if n == nil {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return true
		}
	}
	return false
}

// removedClasses are the classes whose elements never contribute text:
// media, cuts ("See also" / "Additional"), tag and status blocks, person
// and glossary hover cards (SPEC §4.3 "Body", "Person tooltips").
var removedClasses = []string{
	"masha-ignore",
	"read__tooltip",
	"read__cut",
	"read__bottommeta",
	"read__tags",
	"read__status",
	"slider",
	"media",
	"media__container",
	"photoset",
	"video__description",
}

// skipped reports whether the element n and its subtree are removed from
// any text taken from the page.
func skipped(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return n.Type == html.CommentNode
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe,
		atom.Object, atom.Embed, atom.Svg, atom.Video, atom.Audio, atom.Img,
		atom.Figure, atom.Textarea, atom.Select, atom.Button, atom.Input, atom.Head:
		return true
	}
	for _, a := range n.Attr {
		if a.Key != "class" || a.Namespace != "" {
			continue
		}
		for _, f := range strings.Fields(a.Val) {
			for _, c := range removedClasses {
				if f == c {
					return true
				}
			}
		}
	}
	return false
}

// nodeText is the visible text of n with removed subtrees (tooltips, media,
// scripts …) skipped and <br> read as a space, whitespace collapsed.
func nodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	appendText(&b, n, 0)
	return clean(b.String())
}

func appendText(b *strings.Builder, n *html.Node, depth int) {
	if depth > maxDepth {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			if skipped(c) {
				continue
			}
			if c.DataAtom == atom.Br {
				b.WriteByte(' ')
				continue
			}
			block := isBlock(c.DataAtom)
			if block {
				b.WriteByte(' ')
			}
			appendText(b, c, depth+1)
			if block {
				b.WriteByte(' ')
			}
		}
	}
}

// isBlock reports whether elements of this tag break paragraphs.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center,
		atom.Details, atom.Dialog, atom.Dd, atom.Div, atom.Dl, atom.Dt,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header,
		atom.Hgroup, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Table, atom.Tbody, atom.Thead, atom.Tfoot,
		atom.Tr, atom.Td, atom.Th, atom.Caption, atom.Ul, atom.Summary:
		return true
	}
	return false
}

// isLeafBlock reports whether an element of this tag is read as one
// paragraph when it has no block descendants.
func isLeafBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Li, atom.Dt, atom.Dd, atom.Pre, atom.Td, atom.Th, atom.Caption,
		atom.Address, atom.Summary:
		return true
	}
	return false
}

// hasBlockDescendant reports whether n contains a (not removed) block element.
func hasBlockDescendant(n *html.Node, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || skipped(c) {
			continue
		}
		if isBlock(c.DataAtom) || hasBlockDescendant(c, depth+1) {
			return true
		}
	}
	return false
}

// seg is a piece of paragraph text and whether it is set in bold.
type seg struct {
	text string
	bold bool
	// person is the catalog key ("persons/90") of the person link the
	// text sits in. A seg with empty text and a person marks a hover card
	// standing on its own after a name.
	person string
}

// paragraph is one body paragraph as a sequence of text pieces.
type paragraph []seg

// String is the paragraph's text with whitespace collapsed.
func (p paragraph) String() string {
	if len(p) == 1 {
		return clean(p[0].text)
	}
	return cleanSegs(p)
}

// collectSegs appends the text pieces of n's subtree to out. person is
// the person link n sits in ("" for none).
func collectSegs(n *html.Node, bold bool, person string, out paragraph, depth int) paragraph {
	if depth > maxDepth {
		return out
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			if c.Data != "" {
				out = append(out, seg{c.Data, bold, person})
			}
		case html.ElementNode:
			if skipped(c) {
				if person == "" && hasClass(c, "read__tooltip") {
					if tl := findTooltipLink(c, 0); tl != nil {
						if k := personKey(attr(tl, "data-href")); k != "" {
							out = append(out, seg{"", bold, k})
						}
					}
				}
				continue
			}
			switch {
			case c.DataAtom == atom.Br:
				out = append(out, seg{" ", bold, person})
			case c.DataAtom == atom.B || c.DataAtom == atom.Strong:
				out = collectSegs(c, true, person, out, depth+1)
			case isBlock(c.DataAtom):
				out = append(out, seg{" ", bold, person})
				out = collectSegs(c, bold, person, out, depth+1)
				out = append(out, seg{" ", bold, person})
			default:
				out = collectSegs(c, bold, innerPerson(c, person), out, depth+1)
			}
		}
	}
	return out
}

// innerPerson is the person link inside element c: c's own when c is a
// person link, else the enclosing one.
func innerPerson(c *html.Node, person string) string {
	if c.DataAtom == atom.A {
		if k := anchorPerson(c); k != "" {
			return k
		}
	}
	return person
}

// bodyParagraphs splits the article body into paragraphs: every p (also
// inside blockquote, lists, tables …), every heading, and runs of loose
// inline text between blocks. Removed subtrees are skipped.
func bodyParagraphs(body *html.Node) []paragraph {
	w := &bodyWalker{}
	w.walk(body, 0)
	w.flush()
	return w.out
}

type bodyWalker struct {
	inline paragraph
	out    []paragraph
}

func (w *bodyWalker) emit(p paragraph) {
	for _, s := range p {
		if strings.TrimFunc(s.text, unicode.IsSpace) != "" {
			w.out = append(w.out, p)
			return
		}
	}
}

func (w *bodyWalker) flush() {
	if len(w.inline) > 0 {
		w.emit(w.inline)
		w.inline = nil
	}
}

func (w *bodyWalker) walk(n *html.Node, depth int) {
	if depth > maxDepth {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			w.inline = append(w.inline, seg{c.Data, false, ""})
		case html.ElementNode:
			if skipped(c) {
				continue
			}
			a := c.DataAtom
			switch {
			case a == atom.Br:
				w.inline = append(w.inline, seg{" ", false, ""})
			case isLeafBlock(a) && !hasBlockDescendant(c, 0):
				w.flush()
				w.emit(collectSegs(c, false, "", nil, depth+1))
			case isBlock(a) || hasBlockDescendant(c, 0):
				w.flush()
				w.walk(c, depth+1)
				w.flush()
			default:
				w.inline = collectSegs(c, a == atom.B || a == atom.Strong, innerPerson(c, ""), w.inline, depth+1)
			}
		}
	}
}
