package kremlin

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/net/html"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
)

// sameTree returns "" when a and b are the same tree (node types, names,
// namespaces, attributes in order, texts, children in order), else where
// they first differ.
func sameTree(a, b *html.Node) string {
	return diffNode(a, b, "")
}

func diffNode(a, b *html.Node, path string) string {
	here := path + "/" + nodeLabel(a)
	switch {
	case a.Type != b.Type:
		return fmt.Sprintf("%s: type %d vs %d", here, a.Type, b.Type)
	case a.DataAtom != b.DataAtom || a.Data != b.Data:
		return fmt.Sprintf("%s: data %q (%v) vs %q (%v)", here, a.Data, a.DataAtom, b.Data, b.DataAtom)
	case a.Namespace != b.Namespace:
		return fmt.Sprintf("%s: namespace %q vs %q", here, a.Namespace, b.Namespace)
	case !reflect.DeepEqual(attrsOrNil(a.Attr), attrsOrNil(b.Attr)):
		return fmt.Sprintf("%s: attributes %v vs %v", here, a.Attr, b.Attr)
	}
	ca, cb := a.FirstChild, b.FirstChild
	for i := 0; ca != nil || cb != nil; i++ {
		if ca == nil || cb == nil {
			return fmt.Sprintf("%s: child %d missing on one side (%v vs %v)", here, i, ca != nil, cb != nil)
		}
		if ca.Parent != a || cb.Parent != b {
			return fmt.Sprintf("%s: child %d has a wrong parent", here, i)
		}
		if d := diffNode(ca, cb, here); d != "" {
			return d
		}
		ca, cb = ca.NextSibling, cb.NextSibling
	}
	return ""
}

func attrsOrNil(a []html.Attribute) []html.Attribute {
	if len(a) == 0 {
		return nil
	}
	return a
}

func nodeLabel(n *html.Node) string {
	switch n.Type {
	case html.ElementNode:
		return n.Data
	case html.TextNode:
		return "#text"
	case html.CommentNode:
		return "#comment"
	case html.DocumentNode:
		return "#document"
	case html.DoctypeNode:
		return "#doctype"
	}
	return "?"
}

// checkFast parses body both ways; it reports a difference, and whether
// the fast path took the page.
func checkFast(t testing.TB, name string, body []byte) bool {
	t.Helper()
	ref, refErr := html.Parse(bytes.NewReader(body))
	fast, _ := fastParseIn(body, true, new(arena))
	if fast == nil {
		return false
	}
	if refErr != nil {
		t.Errorf("%s: the fast parser built a tree where html.Parse fails (%v)", name, refErr)
		return true
	}
	if d := sameTree(fast, ref); d != "" {
		t.Errorf("%s: fast tree differs from html.Parse's: %s", name, d)
	}
	return true
}

const pageTemplate = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>T</title></head> <body>%s</body></html>\n"

// TestParseHTMLMatchesXNetHTML checks the fast tree builder against
// x/net/html on the constructs it handles, and that it leaves to
// x/net/html what it does not (fast=false).
func TestParseHTMLMatchesXNetHTML(t *testing.T) {
	tests := []struct {
		name string
		html string // a whole page, or a body for the page template when it has no doctype
		fast bool
	}{
		{"plain paragraphs", "<p>a</p><p>b &amp; c&nbsp;d</p>", true},
		{"implied p end", "<p>one<p>two<div>three</div>", true},
		{"stray </p>", "text</p>more", true},
		{"list items close each other", "<ul><li>a<li>b<li>c</ul><ol><li>x</li></ol>", true},
		{"dd dt", "<dl><dt>a<dd>b<dt>c</dl>", true},
		{"headings close headings", "<h1>a<h2>b</h1>c", true},
		{"bold split over two", "<p><b>Vladimir Putin</b><b>:</b> Good afternoon.</p>", true},
		{"formatting closed in order", "<p><b><i>x</i></b></p>", true},
		{"span closed by its block", "<div><span>a</div>b", true},
		{"link attributes are sorted", `<a title="t" href="/x" class="c">l</a>`, true},
		{"duplicate attributes keep the first", `<div class="a" class="b" id=x>d</div>`, true},
		{"unquoted and empty attributes", `<input type=text required disabled/><img src=a.jpg alt="">`, true},
		{"upper-case names", `<DIV CLASS="x"><P>Hi</P></DIV>`, true},
		{"void elements", "<p>a<br>b<br/>c<hr>d<img src=x>e<wbr>f</p>", true},
		{"comments everywhere", "<!-- a --><p>b<!--c--></p><!--[if IE]><p>x</p><![endif]-->", true},
		{"entities in text", "&lt;tag&gt; &quot;q&quot; &#171;x&#187; &hellip; &unknown; &amp", true},
		{"entity-like in attribute", `<a href="/s?a=1&amp;b=2&c=3">x</a>`, true},
		{"script raw text", `<script>if (a < b && c > d) { x = "</div>"; }</script><p>after</p>`, true},
		{"style and noscript", "<style>p > b { x: y }</style><noscript><img src=x></noscript>", true},
		{"title in body", "<title>a &amp; <b>b</b></title>", true},
		{"iframe", `<iframe src="x">fallback <b>x</b></iframe>`, true},
		{"pre drops first newline", "<pre>\nline</pre><pre>\n\nx</pre>", true},
		{"form and button", `<form action="/s"><input name=q><button type=submit>Go</button></form>`, true},
		{"text after body", "<p>x</p></body> <!-- c --> </html> <!-- d -->", true},
		{"lone less-than", "a < b <3 c<", true},
		{"custom element", "<my-widget data-x=1>w</my-widget>", true},
		{"misnested formatting", "<p><b>bold<i>both</b>italic</i></p>", false},
		{"formatting across a block", "<b>x<div>y</b>z</div>", false},
		{"link inside link", `<a href=1>one<a href=2>two</a></a>`, false},
		{"table", "<table><tr><td>x</td></tr></table>", false},
		{"svg", "<svg><title>x</title></svg>", false},
		{"select", "<select><option>a</select>", false},
		{"nested form", "<form><form></form></form>", false},
		{"textarea", "<textarea>\nx &amp; <b>y</b></textarea><textarea>\n\nz</textarea>", true},
		{"template", "<template><p>x</p></template>", false},
		{"odd attribute value", `<a href="x"b='y'c=d"e>x</a>`, false},
		{"entity without semicolon in attribute", `<a href="?a=1&copy=2">x</a>`, false},
		{"known entity as a prefix in attribute", `<a href="?a=1&notit;">x</a>`, false},
		{"legacy entity in attribute", `<a title="&amp &lt">x</a>`, false},
		{"script with an HTML comment", "<script><!-- document.write('<script></script>') --></script>", false},
		{"bogus comment", "<?xml version=1?><p>x</p>", false},
		{"unclosed comment", "<p>x<!-- never closed", false},
		{"NUL byte", "<p>a\x00b</p>", false},
		{"CR LF", "<p>a\r\nb</p>", false},
		{"no doctype", "<html><body><p>quirks</p></body></html>", false},
		{"upper-case doctype", "<!DOCTYPE HTML><html><head></head><body></body></html>", false},
		{"content in head", "<!doctype html><html><head><p>x</p></head><body></body></html>", false},
		{"three identical formatting elements", "<b><b><b><b>deep</b></b></b></b>", false},
		{"formatting popped by a block end", "<div><b>x</div>y", false},
		{"empty body page", "<!doctype html><html><head></head><body></body></html>", true},
		{"eof inside body", "<!doctype html><html><head></head><body><div><p>open", true},
		{"eof in head", "<!doctype html><html><head><title>x</title>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.html
			if !strings.HasPrefix(strings.ToLower(src), "<!doctype") && !strings.HasPrefix(src, "<html") {
				src = fmt.Sprintf(pageTemplate, src)
			}
			if fast := checkFast(t, tt.name, []byte(src)); fast != tt.fast {
				t.Errorf("fast path taken: %v, want %v", fast, tt.fast)
			}
			// parseHTML always gives x/net/html's tree.
			root, _, _, err := parseHTML([]byte(src))
			ref, refErr := html.Parse(strings.NewReader(src))
			if (err != nil) != (refErr != nil) {
				t.Fatalf("parseHTML error %v, html.Parse error %v", err, refErr)
			}
			if err == nil {
				if d := sameTree(root, ref); d != "" {
					t.Errorf("parseHTML differs from html.Parse: %s", d)
				}
			}
		})
	}
}

// TestParseHTMLOnSitePages: the site's own pages (fixtures, the real
// samples, the fake site's documents, listings, tab, print and error
// pages in both languages) all take the fast path, with x/net/html's tree.
func TestParseHTMLOnSitePages(t *testing.T) {
	var pages []struct {
		name string
		body []byte
	}
	add := func(name string, body []byte) {
		pages = append(pages, struct {
			name string
			body []byte
		}{name, body})
	}
	for _, fx := range loadFixtures(t) {
		if strings.HasPrefix(fx.name, "err_atom_feed") || strings.HasPrefix(fx.name, "err_empty") ||
			strings.HasPrefix(fx.name, "err_challenge_ddos") || strings.HasPrefix(fx.name, "err_challenge_js") ||
			strings.HasPrefix(fx.name, "err_challenge_nginx") || strings.HasPrefix(fx.name, "err_challenge_ru") ||
			strings.HasSuffix(fx.name, "_truncated") {
			checkFast(t, fx.name, fx.body) // not the site's template: either path, same tree
			continue
		}
		add("fixture "+fx.name, fx.body)
	}
	for _, lang := range []string{"en", "ru"} {
		site := fakesite.New(fakesite.Options{Lang: lang, N: 120, Seed: 7})
		for i, d := range site.Docs() {
			p := fmt.Sprintf("/events/president/%s/%d", d.Canonical(), d.ID)
			paths := []string{p}
			if i%10 == 0 {
				paths = append(paths, p+"/print", p+"/photos", p+"/videos")
			}
			for _, path := range paths {
				if body, status := site.Page(path); status == 200 {
					add(lang+path, body)
				}
			}
		}
		for _, path := range []string{"/events/president/news", "/events/president/news/page/2", "/events/president/transcripts", "/events/president/news/nonexistent"} {
			body, _ := site.Page(path)
			add(lang+path, body)
		}
	}
	if root, ok := samples.Find(); ok {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".html") {
				b, rerr := os.ReadFile(path)
				if rerr != nil {
					t.Fatal(rerr)
				}
				add("sample "+strings.TrimPrefix(path, root), b)
			}
			return nil
		})
	}
	for _, p := range pages {
		if !checkFast(t, p.name, p.body) {
			t.Errorf("%s: a page of the site's template was left to html.Parse", p.name)
		}
	}
}

// TestParseKeepsNoPageString: records and listing items own their strings
// (none points into the parsed page, which would keep the whole page in
// memory as long as any of them lives).
func TestParseKeepsNoPageString(t *testing.T) {
	checked := 0
	for _, fx := range loadFixtures(t) {
		var v any
		var src string
		switch fx.mode {
		case "document":
			doc, page, err := parseDocument(fx.body, fx.url, Options{Lang: fx.lang})
			if err != nil {
				continue
			}
			v, src = doc, page
		case "listing":
			l, page, err := parseListing(fx.body, fx.url)
			if err != nil {
				continue
			}
			v, src = l, page
		}
		if src == "" {
			t.Errorf("%s: parsed by html.Parse, not by the fast path", fx.name)
			continue
		}
		checked++
		if s := stringsInto(reflect.ValueOf(v), src); s != "" {
			t.Errorf("%s: result string %q points into the page", fx.name, s)
		}
	}
	if checked < 20 {
		t.Errorf("only %d fixtures checked", checked)
	}
}

// TestDetach: detach copies exactly the strings that point into the page,
// in fields, pointers, slices and map keys and values.
func TestDetach(t *testing.T) {
	page := string([]byte("<p>Vladimir Putin: persons/90 news</p>"))
	sub := func(s string) string {
		i := strings.Index(page, s)
		return page[i : i+len(s)]
	}
	type inner struct {
		S  string
		P  *string
		SS []string
	}
	type outer struct {
		A   string
		In  inner
		M   map[string][]string
		MS  map[string]string
		MP  map[string][]*string
		Own string
	}
	key := sub("news")
	ps := sub("persons/90")
	v := &outer{
		A:   sub("Vladimir"),
		In:  inner{S: sub("Putin"), P: &ps, SS: []string{sub("persons"), "own"}},
		M:   map[string][]string{key: {sub("Putin")}},
		MS:  map[string]string{"k": sub("news")},
		MP:  map[string][]*string{"k": {&ps}},
		Own: "own",
	}
	detach(v, page)
	if s := stringsInto(reflect.ValueOf(v), page); s != "" {
		t.Fatalf("%q still points into the page", s)
	}
	if v.A != "Vladimir" || v.In.S != "Putin" || *v.In.P != "persons/90" || v.In.SS[0] != "persons" ||
		len(v.M["news"]) != 1 || v.M["news"][0] != "Putin" || v.MS["k"] != "news" || *v.MP["k"][0] != "persons/90" {
		t.Fatalf("values changed: %+v", v)
	}
}

// stringsInto returns a string reachable from v that points into page.
func stringsInto(v reflect.Value, page string) string {
	lo := uintptr(unsafe.Pointer(unsafe.StringData(page)))
	hi := lo + uintptr(len(page))
	var found string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if found != "" {
			return
		}
		switch v.Kind() {
		case reflect.String:
			if inPage(v.String(), lo, hi) {
				found = v.String()
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Key())
				walk(it.Value())
			}
		}
	}
	walk(v)
	return found
}

// FuzzParseHTML: whatever the input, the fast parser either declines or
// builds exactly html.Parse's tree, and never panics.
func FuzzParseHTML(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.body)
	}
	for _, s := range []string{
		fmt.Sprintf(pageTemplate, "<p><b>a</b><i>b<p>c</i></p>"),
		fmt.Sprintf(pageTemplate, "<ul><li><a href=x>1</a><li><b>2</b></ul><pre>\n\nx</pre>"),
		fmt.Sprintf(pageTemplate, `<form><input a=1 b='2' c><button>x</button></form><hr>`),
		fmt.Sprintf(pageTemplate, "<script>a</script ><style>b</STYLE><title>&amp;</title>"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, "input", body)
	})
}
