package kremlin

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// Classify tells what a fetched page is. It agrees with ParseDocument and
// ParseListing: ParseDocument succeeds only on KindDocument pages (and
// fails on those too when the page is another document than the one
// pageURL names), ParseListing only on KindListing pages.
//
// The decision, in order:
//
//  1. KindEmpty: empty or whitespace-only body.
//  2. KindFeed: an Atom (or RSS) XML document.
//  3. KindChallenge: an anti-bot, challenge or access-denied interstitial
//     (see isChallenge).
//  4. KindUnknown for a body that is not HTML at all; KindTruncated when
//     there is no closing </html> in the last 4 KB (a body cut off in
//     transfer: fetch it again).
//  5. By markup: article.read__in#event-<id> is a document, div.read__in
//     without the article (h1.read__top_title, bare h1, photoset) a tab
//     page, .lister-page or hentry items a listing. A document fetched at
//     …/print is KindPrint, at …/photos or …/videos KindTab; text versions
//     (/copy/) and trip pages (/events/president/trips/<id>) are
//     KindUnknown. Other pages: "403", "access denied", "доступ
//     ограничен" … in the title or main heading make KindChallenge (a
//     block page in the site's own template); "404", "not found",
//     "ошибка" … KindError; anything else is KindUnknown.
func Classify(body []byte, pageURL string) Kind {
	p := loadPage(body, pageURL)
	p.release()
	return p.kind
}

// page is a fetched body, decoded and classified once.
type page struct {
	raw    []byte // valid UTF-8
	url    string
	path   string
	doc    *goquery.Document
	src    string // the page the tree's strings point into ("" when they do not): see detach
	idx    *pageIndex
	kind   Kind
	reason string

	article *html.Node // article.read__in (documents)
	ar      *arena     // the tree's blocks (nil: not the fast builder's)
}

// release lets the tree's blocks go to the next page's parse. The page's
// tree (doc, idx, article) must not be used after.
func (p *page) release() {
	p.doc, p.idx, p.article = nil, nil, nil
	p.ar.release()
	p.ar = nil
}

// tailWindow is how close to the end of the body </html> must be.
const tailWindow = 4096

func loadPage(body []byte, pageURL string) *page {
	p := &page{url: pageURL, path: urlPath(pageURL)}
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	p.raw = body
	p.kind, p.reason = p.classify()
	return p
}

func (p *page) classify() (Kind, string) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(p.raw), []byte("\uFEFF")))
	if len(trimmed) == 0 {
		return KindEmpty, ""
	}
	head := lowerASCII(trimmed[:min(len(trimmed), 1024)])
	if isFeed(head) {
		return KindFeed, ""
	}
	if ok, why := isChallenge(p.raw); ok {
		return KindChallenge, why
	}
	if !bytes.Contains(head, []byte("<")) {
		return KindUnknown, "not HTML"
	}
	tail := lowerASCII(p.raw[max(0, len(p.raw)-tailWindow):])
	if !bytes.Contains(tail, []byte("</html")) {
		return KindTruncated, "no closing </html> near the end (body cut off?)"
	}

	root, src, ar, err := parseHTML(p.raw)
	p.ar = ar
	if err != nil {
		return KindUnknown, "unparseable HTML: " + err.Error()
	}
	p.doc, p.src = goquery.NewDocumentFromNode(root), src
	p.idx = indexPage(root)

	structural, why := p.structure()
	if structural == KindDocument {
		switch {
		case pathSuffix(p.path) == "print":
			return KindPrint, "print version (…/print)"
		case pathSuffix(p.path) != "":
			return KindTab, "document markup at a " + pathSuffix(p.path) + " URL"
		}
	}
	if hasSegment(p.path, "copy") && strings.HasPrefix(p.path, "/events/") &&
		structural != KindError {
		return KindUnknown, "text version (/copy/)"
	}
	if structural == KindDocument && isTripPath(p.path) {
		return KindUnknown, "trip page (an aggregation, not a document)"
	}
	return structural, why
}

// structure classifies the parsed page by its markup alone.
func (p *page) structure() (Kind, string) {
	d := p.doc
	if a := p.idx.articleReadIn; a != nil {
		p.article = a
		return KindDocument, ""
	}
	if a := d.FindMatcher(selArticleIdEvent).First(); a.Length() > 0 && a.FindMatcher(selH1EntryTitle).Length() > 0 {
		p.article = a.Get(0)
		return KindDocument, ""
	}
	if in := d.FindMatcher(selDivReadIn).First(); in.Length() > 0 {
		switch {
		case in.FindMatcher(selH1ReadTopTitle).Length() > 0:
			return KindTab, "photo tab page (h1.read__top_title)"
		case in.FindMatcher(selReadTopMedia).Length() > 0:
			return KindTab, "video tab page (read__top_media)"
		case in.FindMatcher(selPhotoset).Length() > 0:
			return KindTab, "photo tab page (photoset)"
		case in.FindMatcher(selH1).Length() > 0 && in.FindMatcher(selH1EntryTitle).Length() == 0:
			return KindTab, "tab page (bare h1, no article)"
		}
	}
	if d.FindMatcher(selListerPage).Length() > 0 {
		return KindListing, ""
	}
	if d.FindMatcher(selReadIn).Length() == 0 && listingItems(d, false).Length() > 0 {
		return KindListing, "hentry items without .lister-page"
	}
	if m := blockTitle(d); m != "" {
		return KindChallenge, "block message " + quote(m) + " in the title or heading"
	}
	if isErrorPage(d) {
		return KindError, "title " + strconv.Quote(clean(d.FindMatcher(selTitle).First().Text()))
	}
	if d.FindMatcher(selReadIn).Length() > 0 {
		return KindUnknown, "div.read__in without article or tab markup"
	}
	return KindUnknown, "no document, listing or tab markup"
}

// blockMarkers in a page's title or main heading mark an access-denied
// or throttling page even when it uses the site's own templates.
var blockMarkers = []string{
	"403", "429", "forbidden", "access denied", "too many requests", "captcha",
	"доступ запрещ", "доступ огранич", "слишком много запросов",
}

// blockTitle returns the block marker found in the title or first h1.
func blockTitle(d *goquery.Document) string {
	for _, t := range []string{d.FindMatcher(selTitle).First().Text(), d.FindMatcher(selH1).First().Text()} {
		t = strings.ToLower(clean(t))
		for _, m := range blockMarkers {
			if strings.Contains(t, m) {
				return m
			}
		}
	}
	return ""
}

var errorMarkers = []string{
	"404", "not found", "page does not exist", "no such page", "error",
	"не найден", "ошибка", "не существует", "нет такой страницы",
	"500 internal", "502 bad gateway", "503 service", "504 gateway",
}

// isErrorPage looks for an error message in the title or main heading, or
// an error class on the body.
func isErrorPage(d *goquery.Document) bool {
	texts := []string{d.FindMatcher(selTitle).First().Text(), d.FindMatcher(selH1).First().Text()}
	for _, t := range texts {
		t = strings.ToLower(clean(t))
		for _, m := range errorMarkers {
			if strings.Contains(t, m) {
				return true
			}
		}
	}
	cls := strings.ToLower(d.FindMatcher(selBody).AttrOr("class", ""))
	return strings.Contains(cls, "error") || strings.Contains(cls, "404") || strings.Contains(cls, "not-found")
}

func isFeed(head []byte) bool {
	h := bytes.TrimSpace(head)
	if bytes.HasPrefix(h, []byte("<feed")) || bytes.HasPrefix(h, []byte("<rss")) {
		return true
	}
	if bytes.HasPrefix(h, []byte("<?xml")) && !bytes.Contains(h, []byte("<html")) {
		return bytes.Contains(h, []byte("<feed")) || bytes.Contains(h, []byte("<rss")) ||
			bytes.Contains(h, []byte("atom"))
	}
	return false
}

// siteMarkup are class names every page of the site's own templates has.
var siteMarkup = [][]byte{
	[]byte("read__in"), []byte("lister-page"), []byte("hentry"),
	[]byte("read__"), []byte("topline"), []byte("wrapsite"), []byte("footer__"),
}

// contentMarkup is the markup of real content (document, tab, listing).
var contentMarkup = [][]byte{[]byte("read__in"), []byte("lister-page"), []byte("hentry")}

// strongChallenge markers are specific to anti-bot interstitials and WAF
// block pages; they count whenever the page has no real content markup.
var strongChallenge = []string{
	"checking your browser", "cf-browser-verification", "cf_chl", "__cf_chl",
	"cf-challenge", "challenge-platform", "cdn-cgi/challenge", "ddos-guard",
	"ddos guard", "qrator", "variti", "servicepipe", "stormwall", "_incapsula_",
	"incapsula incident", "sucuri website firewall", "just a moment...",
	"attention required! | cloudflare", "please enable javascript and cookies",
	"please turn javascript on", "are you a robot", "вы робот", "я не робот",
	"подтвердите, что вы не робот", "проверка браузера", "проверяем ваш браузер",
	"g-recaptcha", "h-captcha", "smartcaptcha", "captcha-container",
}

// weakChallenge markers also occur in ordinary text ("DDoS" in a news
// title); they count only on pages without any of the site's markup.
var weakChallenge = []string{
	"captcha", "ddos", "access denied", "access forbidden", "403 forbidden",
	"forbidden", "429 too many requests", "too many requests", "rate limit",
	"доступ запрещ", "доступ огранич", "доступ к сайту ограничен",
	"request blocked", "you have been blocked", "has been blocked",
	"bot protection", "anti-bot", "antibot", "cloudflare", "firewall",
	"enable javascript", "включите javascript", "security check",
}

// jsRedirect markers: a small script-only stub that sends the browser
// elsewhere (often to a challenge).
var jsRedirect = []string{
	"location.href", "location.replace", "window.location", "document.location",
	"location.assign", `http-equiv="refresh"`, "http-equiv='refresh'", "http-equiv=refresh",
}

// isChallenge applies the anti-bot heuristics: strong markers on a page
// without content markup; weak markers or a JavaScript/meta redirect on a
// small page without any of the site's markup.
func isChallenge(raw []byte) (bool, string) {
	for _, m := range contentMarkup {
		if bytes.Contains(raw, m) {
			return false, ""
		}
	}
	low := string(lowerASCII(raw[:min(len(raw), 256<<10)]))
	low = strings.ToLower(low) // Cyrillic markers
	for _, m := range strongChallenge {
		if strings.Contains(low, m) {
			return true, "challenge marker " + quote(m)
		}
	}
	site := false
	for _, m := range siteMarkup {
		if bytes.Contains(raw, m) {
			site = true
			break
		}
	}
	if site {
		return false, ""
	}
	for _, m := range weakChallenge {
		if strings.Contains(low, m) {
			return true, "block marker " + quote(m) + " on a page without site markup"
		}
	}
	if len(raw) < 32<<10 {
		for _, m := range jsRedirect {
			if strings.Contains(low, m) {
				return true, "redirect stub (" + m + ") without site markup"
			}
		}
	}
	return false, ""
}

func quote(s string) string { return `"` + s + `"` }

// lowerASCII returns a lower-cased copy of b (ASCII letters only).
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
