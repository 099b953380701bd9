package kremlin

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseHTML parses a page into exactly the tree html.Parse builds from it
// (same nodes, types, names, attributes in the same order, texts).
//
// Most of a page's parsing time went to x/net/html: a generic tokenizer
// reading byte by byte through an io.Reader, a string for every tag name,
// attribute and text, one allocation per node. The site's pages use a
// small, well-formed part of HTML, so parseHTML first tries fastParseIn, a
// tokenizer and tree builder for that part only: it works on one copy of
// the page (names, attribute values and texts are substrings of it) and
// allocates nodes in blocks. At the first construct outside that part
// (tables, forms inside forms, misnested formatting elements, foreign
// content, templates, an unusual doctype, a NUL or CR byte, …) it gives up
// and html.Parse does the whole page. Its rules are those of x/net/html's
// tree construction for the modes it handles; TestParseHTMLMatchesXNetHTML
// and FuzzParseHTML hold the two to the same trees.
//
// The fast tree's strings point into one copy of the page, returned as
// page: whatever is kept from the tree past the parse goes through detach
// first.
//
// The fast builder's nodes come from ar (nil: none is used), a set of
// blocks recycled from one page to the next (see arena): its caller
// releases it once nothing points into the tree.
func parseHTML(body []byte) (root *html.Node, page string, ar *arena, err error) {
	ar = newArena()
	if doc, src := fastParseIn(body, false, ar); doc != nil {
		return doc, src, ar, nil
	}
	ar.release() // the builder's partial tree is dropped
	root, err = html.Parse(bytes.NewReader(body))
	return root, "", nil, err
}

// Insertion modes of the fast builder (a subset of the HTML5 ones).
const (
	modeInitial = iota
	modeBeforeHTML
	modeBeforeHead
	modeInHead
	modeAfterHead
	modeInBody
	modeText
	modeAfterBody
	modeAfterAfterBody
)

// maxOpen is below x/net/html's limit of 512 open elements (deeper pages
// are left to it, and to its error).
const maxOpen = 500

// domBuilder is the state of one fastParseIn.
type domBuilder struct {
	src string // the page (one copy; every string of the tree points into it unless unescaped)
	raw []byte // the same bytes, for atom lookups without allocation
	pos int

	doc        *html.Node
	oe         []*html.Node // open elements
	afe        []*html.Node // active formatting elements (never a marker here: those constructs are refused)
	head, form *html.Node
	mode       int
	origMode   int
	rawTag     string // the element whose raw text comes next ("" for none)

	ar    *arena           // where blocks come from
	nodes []html.Node      // block of nodes handed out one by one
	attrs []html.Attribute // block of attributes

	// the current token
	tt      html.TokenType
	data    string
	tagAtom atom.Atom
	attr    []html.Attribute
}

var errBail = struct{}{}

// fastParseIn returns the tree, its nodes and attributes taken from ar,
// or nil when the page needs html.Parse. A panic of its own (a bug) also
// falls back to html.Parse, unless strict (tests) asks to see it.
func fastParseIn(body []byte, strict bool, ar *arena) (doc *html.Node, page string) {
	if bytes.IndexByte(body, 0) >= 0 || bytes.IndexByte(body, '\r') >= 0 {
		return nil, "" // NUL and CR are rewritten by x/net/html; rare: leave them to it
	}
	b := &domBuilder{src: string(body), raw: body, ar: ar}
	b.doc = b.newNode(html.DocumentNode, 0, "")
	defer func() {
		if r := recover(); r != nil {
			if r != errBail && strict {
				panic(r)
			}
			doc, page = nil, ""
		}
	}()
	for b.next() {
		b.process()
	}
	switch b.mode {
	case modeInBody, modeAfterBody, modeAfterAfterBody:
		return b.doc, b.src
	}
	return nil, "" // EOF in the head, before <body> or inside raw text
}

func bail() { panic(errBail) }

func (b *domBuilder) newNode(t html.NodeType, a atom.Atom, data string) *html.Node {
	if len(b.nodes) == 0 {
		b.nodes = b.ar.nodeBlock()
	}
	n := &b.nodes[0]
	b.nodes = b.nodes[1:]
	n.Type, n.DataAtom, n.Data = t, a, data
	return n
}

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r' }

const wsChars = " \t\r\n\f"

// ---- tokenizer ----

// next reads the next token into b.tt/b.data/b.tagAtom/b.attr; false at
// the end of the page.
func (b *domBuilder) next() bool {
	s := b.src
	if b.pos >= len(s) {
		return false
	}
	if b.rawTag != "" {
		tag := b.rawTag
		b.rawTag = ""
		end := b.rawEnd(tag)
		if end > b.pos {
			text := s[b.pos:end]
			b.pos = end
			if tag == "title" || tag == "textarea" {
				text = unescape(text)
			}
			b.tt, b.data = html.TextToken, text
			return true
		}
	}
	start := b.pos
	i := start
	for {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			i = len(s)
			break
		}
		i += j
		if i+1 >= len(s) {
			i = len(s) // a final "<" is text
			break
		}
		c := s[i+1]
		if isLetter(c) || c == '/' || c == '!' || c == '?' {
			break
		}
		i++ // "<" followed by anything else is text
	}
	if i > start {
		b.pos = i
		b.tt, b.data = html.TextToken, unescape(s[start:i])
		return true
	}
	// a markup token at b.pos
	c := s[b.pos+1]
	switch {
	case isLetter(c):
		b.pos++
		b.readTag(html.StartTagToken)
		switch b.data {
		case "iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp":
			b.rawTag = b.data
		case "plaintext":
			bail()
		}
	case c == '/':
		if b.pos+2 >= len(s) || !isLetter(s[b.pos+2]) {
			bail() // "</>", "</ …": bogus comments
		}
		b.pos += 2
		b.readTag(html.EndTagToken)
	case c == '!':
		if strings.HasPrefix(s[b.pos:], "<!--") {
			b.readComment()
		} else {
			b.readDoctype()
		}
	default: // "<?": a bogus comment
		bail()
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// rawEnd finds where the raw text of tag ends: at "</tag" (any case)
// followed by whitespace, "/" or ">".
func (b *domBuilder) rawEnd(tag string) int {
	s := b.src
	for i := b.pos; ; {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			bail() // raw text up to the end of the page
		}
		i += j
		if tag == "script" && strings.Contains(s[b.pos:i], "<!--") {
			bail() // the escaped states of script data
		}
		k := i + 2 + len(tag)
		if k < len(s) && strings.EqualFold(s[i+2:k], tag) {
			if c := s[k]; isWS(c) || c == '/' || c == '>' {
				return i
			}
		}
		i += 2
	}
}

// readTag reads a start or end tag; b.pos is at its name.
func (b *domBuilder) readTag(tt html.TokenType) {
	s := b.src
	i := b.pos
	for i < len(s) && !isWS(s[i]) && s[i] != '/' && s[i] != '>' {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '-' {
			bail()
		}
		i++
	}
	name, a := b.lowerName(b.pos, i)
	b.tt, b.data, b.tagAtom, b.attr = tt, name, a, nil
	if a != 0 {
		b.data = a.String()
	}
	var attrs []html.Attribute
	for {
		for i < len(s) && isWS(s[i]) {
			i++
		}
		if i >= len(s) {
			bail() // EOF in a tag: x/net/html drops it
		}
		if s[i] == '>' {
			i++
			break
		}
		if s[i] == '/' {
			if tt == html.StartTagToken && i+1 < len(s) && s[i+1] == '>' {
				i += 2 // self-closing: the same as a start tag for every element handled here
				break
			}
			bail()
		}
		if tt == html.EndTagToken {
			bail() // attributes on an end tag
		}
		k := i
		for i < len(s) && !isWS(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=' {
			switch s[i] {
			case '"', '\'', '<':
				bail()
			}
			i++
		}
		if i == k {
			bail() // "=" first
		}
		key := b.lowerKey(k, i)
		for i < len(s) && isWS(s[i]) {
			i++
		}
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && isWS(s[i]) {
				i++
			}
			if i >= len(s) {
				bail()
			}
			switch q := s[i]; q {
			case '"', '\'':
				j := strings.IndexByte(s[i+1:], q)
				if j < 0 {
					bail()
				}
				val = s[i+1 : i+1+j]
				i += j + 2
			case '>':
				bail()
			default:
				v := i
				for i < len(s) && !isWS(s[i]) && s[i] != '>' {
					switch s[i] {
					case '"', '\'', '<', '=', '`':
						bail()
					}
					i++
				}
				val = s[v:i]
				if strings.HasSuffix(val, "/") {
					bail()
				}
			}
			val = unescapeAttr(val)
		}
		dup := false
		for _, at := range attrs {
			if at.Key == key {
				dup = true // x/net/html keeps the first of a repeated attribute
				break
			}
		}
		if !dup {
			if attrs == nil {
				attrs = b.attrBlock()
			}
			if len(attrs) == cap(attrs) {
				bail() // more than maxAttrs attributes
			}
			attrs = append(attrs, html.Attribute{Key: key, Val: val})
		}
	}
	b.pos = i
	if len(attrs) > 0 {
		b.attrs = b.attrs[len(attrs):]
		b.attr = attrs[:len(attrs):len(attrs)]
	}
}

const maxAttrs = 64

// attrBlock returns an empty slice at the start of the free attribute
// block, with room for maxAttrs attributes.
func (b *domBuilder) attrBlock() []html.Attribute {
	if len(b.attrs) < maxAttrs {
		b.attrs = b.ar.attrBlock()
	}
	return b.attrs[:0:maxAttrs]
}

// lowerName returns src[i:j] lower-cased (a substring when it already is)
// and its atom.
func (b *domBuilder) lowerName(i, j int) (string, atom.Atom) {
	if !hasUpper(b.src[i:j]) {
		return b.src[i:j], atom.Lookup(b.raw[i:j])
	}
	l := lowerASCII(b.raw[i:j])
	return string(l), atom.Lookup(l)
}

// lowerKey is lowerName without the atom (attribute names need none).
func (b *domBuilder) lowerKey(i, j int) string {
	if !hasUpper(b.src[i:j]) {
		return b.src[i:j]
	}
	return string(lowerASCII(b.raw[i:j]))
}

func hasUpper(s string) bool {
	for k := 0; k < len(s); k++ {
		if 'A' <= s[k] && s[k] <= 'Z' {
			return true
		}
	}
	return false
}

// unescape is html.UnescapeString, which looks for "&" rune by rune.
func unescape(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	return html.UnescapeString(s)
}

// safeEntities are named references that x/net/html decodes the same way
// in attribute values and in text (followed by ";").
var safeEntities = []string{"amp", "quot", "lt", "gt", "apos", "nbsp", "laquo", "raquo", "mdash", "ndash", "hellip", "copy"}

// unescapeAttr decodes character references in an attribute value as
// x/net/html does. It differs there from text in two ways (a name without
// ";" before "=" is kept, and a known name is not decoded as the prefix of
// an unknown one): values where that matters are left to it.
func unescapeAttr(v string) string {
	if strings.IndexByte(v, '&') < 0 {
		return v
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '&' || i+1 >= len(v) || v[i+1] == '#' {
			continue
		}
		j := i + 1
		for j < len(v) && (isLetter(v[j]) || '0' <= v[j] && v[j] <= '9') {
			j++
		}
		if j == i+1 {
			continue // "&" alone is "&" either way
		}
		if j < len(v) && v[j] == ';' && slices.Contains(safeEntities, v[i+1:j]) {
			continue // decoded the same way in both
		}
		// Otherwise both leave the reference as it is exactly when text
		// decoding does (an "&b=2" of a query string): anything it would
		// decode is left to x/net/html.
		ref := v[i:min(j+1, len(v))]
		if html.UnescapeString(ref) != ref {
			bail()
		}
	}
	return html.UnescapeString(v)
}

// readComment reads "<!--…-->".
func (b *domBuilder) readComment() {
	s := b.src
	start := b.pos + 4
	end := strings.Index(s[start:], "-->")
	if end < 0 {
		bail()
	}
	text := s[start : start+end]
	if strings.HasPrefix(text, ">") || strings.HasPrefix(text, "->") || strings.Contains(text, "--!") || strings.HasSuffix(text, "-") {
		bail() // abrupt and odd endings
	}
	b.pos = start + end + 3
	b.tt, b.data = html.CommentToken, unescape(text)
}

// readDoctype reads "<!doctype html>", the only doctype handled.
func (b *domBuilder) readDoctype() {
	s := b.src
	const d = "<!doctype"
	if len(s)-b.pos < len(d)+1 || !strings.EqualFold(s[b.pos:b.pos+len(d)], d) || !isWS(s[b.pos+len(d)]) {
		bail()
	}
	i := b.pos + len(d)
	for i < len(s) && isWS(s[i]) {
		i++
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 || s[i:i+j] != "html" {
		bail()
	}
	b.pos = i + j + 1
	b.tt, b.data = html.DoctypeToken, "html"
}

// ---- tree construction ----

func (b *domBuilder) top() *html.Node {
	if len(b.oe) == 0 {
		return b.doc
	}
	return b.oe[len(b.oe)-1]
}

func (b *domBuilder) addChild(n *html.Node) {
	b.top().AppendChild(n)
	if n.Type == html.ElementNode {
		b.oe = append(b.oe, n)
		if len(b.oe) > maxOpen {
			bail()
		}
	}
}

func (b *domBuilder) addElement() *html.Node {
	n := b.newNode(html.ElementNode, b.tagAtom, b.data)
	n.Attr = b.attr
	b.addChild(n)
	return n
}

func (b *domBuilder) addVoid() {
	b.addElement()
	b.oe = b.oe[:len(b.oe)-1]
}

func (b *domBuilder) addText(text string) {
	if text == "" {
		return
	}
	t := b.top()
	if n := t.LastChild; n != nil && n.Type == html.TextNode {
		n.Data += text
		return
	}
	b.addChild(b.newNode(html.TextNode, 0, text))
}

func (b *domBuilder) addComment(parent *html.Node) {
	parent.AppendChild(b.newNode(html.CommentNode, 0, b.data))
}

// popTo pops the open elements down to length i. Popping a formatting
// element that stays in the active list would make x/net/html reconstruct
// it later: that page is left to it.
func (b *domBuilder) popTo(i int) {
	for _, n := range b.oe[i:] {
		if slices.Contains(b.afe, n) {
			bail()
		}
	}
	b.oe = b.oe[:i]
}

// scope stop elements beyond <html>: none of them is ever open here
// (applet, caption, marquee, object, table, td, th, template, select are
// refused), so an element is in default scope when it is open at all.
func (b *domBuilder) indexInScope(s int, tags ...atom.Atom) int {
	for i := len(b.oe) - 1; i >= 0; i-- {
		n := b.oe[i]
		if slices.Contains(tags, n.DataAtom) {
			return i
		}
		switch s {
		case scopeListItem:
			if n.DataAtom == atom.Ol || n.DataAtom == atom.Ul {
				return -1
			}
		case scopeButton:
			if n.DataAtom == atom.Button {
				return -1
			}
		}
	}
	return -1
}

const (
	scopeDefault = iota
	scopeListItem
	scopeButton
)

func (b *domBuilder) popUntil(s int, tags ...atom.Atom) bool {
	if i := b.indexInScope(s, tags...); i >= 0 {
		b.popTo(i)
		return true
	}
	return false
}

func (b *domBuilder) generateImpliedEndTags(except string) {
	i := len(b.oe) - 1
	for ; i >= 0; i-- {
		n := b.oe[i]
		switch n.DataAtom {
		case atom.Dd, atom.Dt, atom.Li, atom.Optgroup, atom.Option, atom.P, atom.Rb, atom.Rp, atom.Rt, atom.Rtc:
			if n.Data == except {
				break
			}
			continue
		}
		break
	}
	b.popTo(i + 1)
}

// process applies the current token in the current mode.
func (b *domBuilder) process() {
	for !b.step() {
	}
}

// step is one insertion-mode step; false means "reprocess the token".
func (b *domBuilder) step() bool {
	switch b.mode {
	case modeInitial:
		switch b.tt {
		case html.TextToken:
			if strings.TrimLeft(b.data, wsChars) == "" {
				return true
			}
		case html.CommentToken:
			b.addComment(b.doc)
			return true
		case html.DoctypeToken:
			b.doc.AppendChild(b.newNode(html.DoctypeNode, 0, "html"))
			b.mode = modeBeforeHTML
			return true
		}
		bail() // quirks mode
	case modeBeforeHTML:
		switch b.tt {
		case html.TextToken:
			if strings.TrimLeft(b.data, wsChars) == "" {
				return true
			}
		case html.CommentToken:
			b.addComment(b.doc)
			return true
		case html.StartTagToken:
			if b.tagAtom == atom.Html {
				b.addElement()
				b.mode = modeBeforeHead
				return true
			}
		}
		bail()
	case modeBeforeHead:
		switch b.tt {
		case html.TextToken:
			if strings.TrimLeft(b.data, wsChars) == "" {
				return true
			}
		case html.CommentToken:
			b.addComment(b.top())
			return true
		case html.StartTagToken:
			if b.tagAtom == atom.Head {
				b.head = b.addElement()
				b.mode = modeInHead
				return true
			}
		}
		bail()
	case modeInHead:
		switch b.tt {
		case html.TextToken:
			rest := strings.TrimLeft(b.data, wsChars)
			b.addText(b.data[:len(b.data)-len(rest)])
			if rest == "" {
				return true
			}
		case html.CommentToken:
			b.addComment(b.top())
			return true
		case html.StartTagToken:
			switch b.tagAtom {
			case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
				b.addVoid()
				return true
			case atom.Noscript, atom.Script, atom.Title, atom.Noframes, atom.Style:
				b.rawElement()
				return true
			}
		case html.EndTagToken:
			if b.tagAtom == atom.Head {
				b.oe = b.oe[:len(b.oe)-1]
				b.mode = modeAfterHead
				return true
			}
		}
		bail()
	case modeAfterHead:
		switch b.tt {
		case html.TextToken:
			rest := strings.TrimLeft(b.data, wsChars)
			b.addText(b.data[:len(b.data)-len(rest)])
			if rest == "" {
				return true
			}
		case html.CommentToken:
			b.addComment(b.top())
			return true
		case html.StartTagToken:
			if b.tagAtom == atom.Body {
				b.addElement()
				b.mode = modeInBody
				return true
			}
		}
		bail()
	case modeInBody:
		b.inBody()
		return true
	case modeText:
		switch b.tt {
		case html.TextToken:
			d := b.data
			if n := b.top(); n.DataAtom == atom.Textarea && n.FirstChild == nil {
				d = strings.TrimPrefix(d, "\n") // a newline right after <textarea> is dropped
			}
			b.addText(d)
			return true
		case html.EndTagToken:
			b.oe = b.oe[:len(b.oe)-1]
			b.mode = b.origMode
			return true
		}
		bail()
	case modeAfterBody:
		switch b.tt {
		case html.TextToken:
			if strings.TrimLeft(b.data, wsChars) == "" {
				b.inBody()
				return true
			}
		case html.CommentToken:
			b.addComment(b.oe[0])
			return true
		case html.EndTagToken:
			if b.tagAtom == atom.Html {
				b.mode = modeAfterAfterBody
				return true
			}
		case html.DoctypeToken:
			bail()
		}
		if b.tt == html.StartTagToken && b.tagAtom == atom.Html {
			bail()
		}
		b.mode = modeInBody
		return false
	case modeAfterAfterBody:
		switch b.tt {
		case html.TextToken:
			if strings.TrimLeft(b.data, wsChars) == "" {
				b.inBody()
				return true
			}
		case html.CommentToken:
			b.addComment(b.doc)
			return true
		case html.DoctypeToken:
			bail()
		}
		if b.tt == html.StartTagToken && b.tagAtom == atom.Html {
			bail()
		}
		b.mode = modeInBody
		return false
	}
	bail()
	return true
}

// rawElement adds a script, style, title … element whose content the
// tokenizer reads as raw text.
func (b *domBuilder) rawElement() {
	if b.rawTag == "" {
		bail() // only the tokenizer's raw elements come here
	}
	b.addElement()
	b.origMode = b.mode
	b.mode = modeText
}

// inBody is the "in body" insertion mode for the elements handled.
func (b *domBuilder) inBody() {
	switch b.tt {
	case html.TextToken:
		d := b.data
		if n := b.top(); (n.DataAtom == atom.Pre || n.DataAtom == atom.Listing) && n.FirstChild == nil && strings.HasPrefix(d, "\n") {
			d = d[1:] // a newline right after <pre> is dropped
		}
		b.addText(d)
	case html.CommentToken:
		b.addComment(b.top())
	case html.DoctypeToken:
		bail()
	case html.StartTagToken:
		b.inBodyStart()
	case html.EndTagToken:
		b.inBodyEnd()
	}
}

func (b *domBuilder) inBodyStart() {
	switch a := b.tagAtom; a {
	case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
		b.addVoid()
	case atom.Noframes, atom.Script, atom.Style, atom.Title, atom.Iframe, atom.Noembed, atom.Noscript, atom.Textarea:
		b.rawElement()
	case atom.Xmp:
		b.popUntil(scopeButton, atom.P)
		b.rawElement()
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Search, atom.Section, atom.Summary, atom.Ul:
		b.popUntil(scopeButton, atom.P)
		b.addElement()
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		b.popUntil(scopeButton, atom.P)
		switch b.top().DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			b.popTo(len(b.oe) - 1)
		}
		b.addElement()
	case atom.Pre, atom.Listing:
		b.popUntil(scopeButton, atom.P)
		b.addElement()
	case atom.Form:
		if b.form != nil {
			bail() // a form inside a form is dropped
		}
		b.popUntil(scopeButton, atom.P)
		b.form = b.addElement()
	case atom.Li, atom.Dd, atom.Dt:
		for i := len(b.oe) - 1; i >= 0; i-- {
			n := b.oe[i]
			if a == atom.Li && n.DataAtom == atom.Li || a != atom.Li && (n.DataAtom == atom.Dd || n.DataAtom == atom.Dt) {
				b.popTo(i)
				break
			}
			if n.DataAtom == atom.Address || n.DataAtom == atom.Div || n.DataAtom == atom.P || !isSpecial(n) {
				continue
			}
			break
		}
		b.popUntil(scopeButton, atom.P)
		b.addElement()
	case atom.Button:
		if b.indexInScope(scopeDefault, atom.Button) >= 0 {
			bail()
		}
		b.addElement()
	case atom.A:
		for _, n := range b.afe {
			if n.DataAtom == atom.A {
				bail() // a link inside a link: the adoption agency
			}
		}
		b.addFormatting()
	case atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		b.addFormatting()
	case atom.Area, atom.Br, atom.Embed, atom.Img, atom.Keygen, atom.Wbr, atom.Input, atom.Param, atom.Source, atom.Track:
		b.addVoid()
	case atom.Hr:
		if b.indexInScope(scopeButton, atom.P) >= 0 {
			b.generateImpliedEndTags("p")
			b.popUntil(scopeDefault, atom.P)
		}
		b.addVoid()
	case atom.Html, atom.Body, atom.Frameset, atom.Template, atom.Plaintext, atom.Nobr,
		atom.Applet, atom.Marquee, atom.Object, atom.Table, atom.Image,
		atom.Select, atom.Option, atom.Optgroup, atom.Rb, atom.Rtc, atom.Rp, atom.Rt,
		atom.Math, atom.Svg, atom.Caption, atom.Col, atom.Colgroup, atom.Frame, atom.Head,
		atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
		bail()
	default:
		if a == 0 && b.data == "" {
			bail()
		}
		b.addElement()
	}
}

// addFormatting adds a formatting element: x/net/html sorts its
// attributes, and keeps at most three identical ones active (the
// Noah's Ark clause, left to it).
func (b *domBuilder) addFormatting() {
	same := 0
	for _, n := range b.afe {
		if n.DataAtom == b.tagAtom {
			same++
		}
	}
	if same >= 3 {
		bail()
	}
	n := b.addElement()
	slices.SortFunc(n.Attr, func(x, y html.Attribute) int {
		if c := strings.Compare(x.Namespace, y.Namespace); c != 0 {
			return c
		}
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		return strings.Compare(x.Val, y.Val)
	})
	b.afe = append(b.afe, n)
}

func (b *domBuilder) inBodyEnd() {
	switch a := b.tagAtom; a {
	case atom.Body:
		b.mode = modeAfterBody
	case atom.Html:
		b.mode = modeAfterAfterBody
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Button, atom.Center, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header, atom.Hgroup, atom.Listing, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.Pre, atom.Search, atom.Section, atom.Summary, atom.Ul:
		if b.indexInScope(scopeDefault, a) < 0 {
			return // ignored
		}
		b.generateImpliedEndTags("")
		b.popUntil(scopeDefault, a)
	case atom.Form:
		node := b.form
		b.form = nil
		i := b.indexInScope(scopeDefault, atom.Form)
		if node == nil || i == -1 || b.oe[i] != node {
			return // ignored
		}
		b.generateImpliedEndTags("")
		if b.top() != node {
			bail() // the form closes under still-open elements
		}
		b.oe = b.oe[:len(b.oe)-1]
	case atom.P:
		if b.indexInScope(scopeButton, atom.P) < 0 {
			// "</p>" without an open p makes an empty p
			b.tagAtom, b.data, b.attr = atom.P, "p", nil
			b.addElement()
		}
		b.popUntil(scopeButton, atom.P)
	case atom.Li:
		b.popUntil(scopeListItem, atom.Li)
	case atom.Dd, atom.Dt:
		b.popUntil(scopeDefault, a)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		b.popUntil(scopeDefault, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6)
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		b.endFormatting(a)
	case atom.Nobr, atom.Applet, atom.Marquee, atom.Object, atom.Br, atom.Template, atom.Select:
		bail()
	default:
		b.endOther(a, b.data)
	}
}

// endFormatting is the adoption agency algorithm in the cases where it
// only pops elements; anything that would move nodes is refused.
func (b *domBuilder) endFormatting(a atom.Atom) {
	if cur := b.top(); cur.Data == b.data && !slices.Contains(b.afe, cur) {
		b.oe = b.oe[:len(b.oe)-1]
		return
	}
	fi := -1
	for j := len(b.afe) - 1; j >= 0; j-- {
		if b.afe[j].DataAtom == a {
			fi = j
			break
		}
	}
	if fi < 0 {
		b.endOther(a, b.data)
		return
	}
	fe := b.afe[fi]
	oi := slices.Index(b.oe, fe)
	if oi < 0 {
		bail()
	}
	for _, n := range b.oe[oi+1:] {
		if isSpecial(n) {
			bail() // a block inside the formatting element: nodes move
		}
	}
	b.afe = slices.Delete(b.afe, fi, fi+1)
	b.popTo(oi)
}

// endOther is "any other end tag".
func (b *domBuilder) endOther(a atom.Atom, name string) {
	for i := len(b.oe) - 1; i >= 0; i-- {
		n := b.oe[i]
		if n.DataAtom == a && (a != 0 || n.Data == name) {
			b.popTo(i)
			return
		}
		if isSpecial(n) {
			return
		}
	}
}

// isSpecial is x/net/html's isSpecialElement for HTML elements.
func isSpecial(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Address, atom.Applet, atom.Area, atom.Article, atom.Aside, atom.Base, atom.Basefont,
		atom.Bgsound, atom.Blockquote, atom.Body, atom.Br, atom.Button, atom.Caption, atom.Center,
		atom.Col, atom.Colgroup, atom.Dd, atom.Details, atom.Dir, atom.Div, atom.Dl, atom.Dt,
		atom.Embed, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.Frame,
		atom.Frameset, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Head, atom.Header,
		atom.Hgroup, atom.Hr, atom.Html, atom.Iframe, atom.Img, atom.Input, atom.Keygen, atom.Li,
		atom.Link, atom.Listing, atom.Main, atom.Marquee, atom.Menu, atom.Meta, atom.Nav,
		atom.Noembed, atom.Noframes, atom.Noscript, atom.Object, atom.Ol, atom.P, atom.Param,
		atom.Plaintext, atom.Pre, atom.Script, atom.Section, atom.Select, atom.Source, atom.Style,
		atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Template, atom.Textarea, atom.Tfoot,
		atom.Th, atom.Thead, atom.Title, atom.Tr, atom.Track, atom.Ul, atom.Wbr, atom.Xmp:
		return true
	}
	return false
}

// detach gives its own memory to every string reachable from v (a
// pointer) that points into page, so that nothing kept from a parse holds
// the whole page (a record or a listing item outlives the page; a speaker
// label learned by an alias table would otherwise pin a 200 KB page).
func detach(v any, page string) {
	if page == "" {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(page)))
	detachValue(reflect.ValueOf(v), lo, lo+uintptr(len(page)))
}

func inPage(s string, lo, hi uintptr) bool {
	if s == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= lo && p < hi
}

func detachValue(v reflect.Value, lo, hi uintptr) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); inPage(s, lo, hi) && v.CanSet() {
			v.SetString(strings.Clone(s))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			detachValue(v.Elem(), lo, hi)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			detachValue(v.Field(i), lo, hi)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			detachValue(v.Index(i), lo, hi)
		}
	case reflect.Map:
		type entry struct{ old, key, val reflect.Value }
		var moved []entry
		it := v.MapRange()
		for it.Next() {
			k, val := it.Key(), it.Value()
			nk, nv, change := k, val, false
			if k.Kind() == reflect.String && inPage(k.String(), lo, hi) {
				nk, change = clonedString(k), true
			}
			switch val.Kind() {
			case reflect.String:
				if inPage(val.String(), lo, hi) {
					nv, change = clonedString(val), true
				}
			case reflect.Struct, reflect.Array: // a copy: detach it and store it back
				nv = reflect.New(val.Type()).Elem()
				nv.Set(val)
				detachValue(nv, lo, hi)
				change = true
			default: // slices, maps, pointers share their contents: changed in place
				detachValue(val, lo, hi)
			}
			if change {
				moved = append(moved, entry{k, nk, nv})
			}
		}
		for _, e := range moved {
			v.SetMapIndex(e.old, reflect.Value{})
			v.SetMapIndex(e.key, e.val)
		}
	}
}

func clonedString(v reflect.Value) reflect.Value {
	c := reflect.New(v.Type()).Elem()
	c.SetString(strings.Clone(v.String()))
	return c
}
