package kremlin

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
)

// checkIndex compares indexPage with goquery's Find on the same tree.
func checkIndex(t *testing.T, name string, body []byte) {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return
	}
	d := goquery.NewDocumentFromNode(root)
	x := indexPage(root)
	first := func(sel string) *html.Node {
		if s := d.Find(sel).First(); s.Length() > 0 {
			return s.Get(0)
		}
		return nil
	}
	for _, c := range []struct {
		sel string
		got *html.Node
	}{
		{"article.read__in", x.articleReadIn},
		{"html", x.html},
		{"#material_link", x.materialLink},
		{`meta[property="og:url"]`, x.ogURL},
		{`link[rel="canonical"]`, x.canonical},
		{".read__status", x.status},
		{".read__updated", x.updated},
	} {
		if want := first(c.sel); want != c.got {
			t.Errorf("%s: index %s = %v, goquery finds %v", name, c.sel, c.got, want)
		}
	}
	if want := d.Find(".read__tagscol").Nodes; !slices.Equal(want, x.tagCols) {
		t.Errorf("%s: index has %d .read__tagscol, goquery finds %d", name, len(x.tagCols), len(want))
	}
}

// TestPageIndexMatchesGoquery: the one-walk index finds what goquery's
// selectors find, on crafted pages and on every page the parser tests use.
func TestPageIndexMatchesGoquery(t *testing.T) {
	crafted := []string{
		`<div class="read__status">a</div><p class="read__status">b</p><article class="read__in">x</article><article class="read__in">y</article>`,
		`<div class="x read__updated y">u</div><div class="read__updated">v</div><span id="material_link">m</span><b id="material_link">n</b>`,
		"<div class=\"read__status\u00a0x\">nbsp is not a separator</div><div class=\"a\tread__status\">tab is</div>",
		`<div class="read__tagscol"><div class="read__tagscol">nested</div></div><div class="read__tagscolumn">no</div>`,
		`<section class="read__in">not an article</section><ARTICLE CLASS="read__in">upper</ARTICLE>`,
		`<meta property="og:url " content="x"><meta property="og:url" content="y"><link rel="canonical alternate" href="a"><link rel="canonical" href="b">`,
		`<svg><a class="read__status">foreign</a></svg><div id="MATERIAL_LINK">case</div>`,
	}
	for i, c := range crafted {
		checkIndex(t, fmt.Sprintf("crafted %d", i), []byte(fmt.Sprintf(pageTemplate, c)))
	}
	for _, fx := range loadFixtures(t) {
		checkIndex(t, fx.name, fx.body)
	}
	site := fakesite.New(fakesite.Options{Lang: "ru", N: 60, Seed: 3})
	for _, d := range site.Docs() {
		body, _ := site.Page(fmt.Sprintf("/events/president/%s/%d", d.Canonical(), d.ID))
		checkIndex(t, fmt.Sprint("fake ", d.ID), body)
	}
	if root, ok := samples.Find(); ok {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".html") {
				b, rerr := os.ReadFile(path)
				if rerr != nil {
					t.Fatal(rerr)
				}
				checkIndex(t, path, b)
			}
			return nil
		})
	}
}
