package fakesite

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Wayback is a fake Internet Archive Wayback Machine holding captures of
// fake sites, speaking the real APIs (SPEC §10):
//
//   - the CDX server, GET /cdx/search/cdx: url= with matchType=exact or
//     prefix (or a trailing *), output=json (a header row naming the
//     fields, the rows, then an empty row and the resume key when more
//     captures are left) or plain text, fl=, filter=[!]field:regex
//     (repeatable; the regex must match the whole field, as Java's
//     Matcher.matches), collapse=field[:N] (adjacent rows), from=, to=,
//     limit=, showResumeKey=, resumeKey=; gzip-compressed unless gzip=false,
//     as documented. Keys are SURT-like: scheme, port 80/443 and www. are
//     folded, so http, https, :80 and www. captures share a key.
//   - playback, GET /web/<timestamp><modifier>/<original URL>: with id_,
//     the captured bytes as they were, the site's headers as
//     X-Archive-Orig-*, Content-Type as captured, Memento-Datetime and
//     Link; captured error pages with their captured status; captured
//     redirects with their status and a Location rewritten into /web/;
//     without id_, the page rewritten with the Wayback banner. A timestamp
//     that is not an exact capture answers 302 to the nearest capture
//     (x-archive-redirect-reason); a URL never captured answers the
//     Archive's own 404 page.
//   - 429 Too Many Requests on either endpoint (WaybackLimits), with the
//     requests made before a 429's pause had passed counted.
//
// Captures are planned from the sites' documents deterministically (see
// NewWayback): several per document, some differing only in template
// noise (script hashes, a footer comment), some holding earlier edits of
// the document, under the URL forms the real index holds (http, https,
// :80, www., another section path, /print), captures of 403, 404 and 500
// answers, anti-bot pages captured with status 200, redirect captures,
// and documents never captured. The truth for tests comes from Docs.
type Wayback struct {
	opts WaybackOptions

	mu    sync.Mutex
	caps  []*Capture // sorted by (key, timestamp, URL)
	docs  map[docKey]*WaybackDoc
	count map[string]int       // requests per endpoint ("cdx", "web"), for 429s
	pause map[string]time.Time // end of the last 429's pause per endpoint

	log []WaybackRequest

	inFlight, peak int
}

// MaxInFlight is the largest number of requests the fake was answering at
// once.
func (w *Wayback) MaxInFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

type docKey struct {
	lang string
	id   int64
}

// WaybackOptions configure a fake Wayback Machine.
type WaybackOptions struct {
	// Sites whose documents are captured.
	Sites []*Site
	// Seed varies the capture plan.
	Seed int64
	// Limits makes the endpoints answer 429.
	Limits WaybackLimits
	// Latency delays every answer.
	Latency time.Duration
	// Plain captures every document once, under its canonical path, with
	// status 200 and nothing else: for figures that must not depend on
	// the plan's noise.
	Plain bool
	// MaxRows caps the rows of one CDX answer whatever limit= asks (the
	// real server has such a cap, 150,000), so that tests see paging.
	MaxRows int
	// SeparateWWW files captures of www.<host> under their own keys, as
	// a replay system without the Archive's canonicaliser may (the
	// Internet Archive folds www. into the host's key).
	SeparateWWW bool
}

// WaybackLimits makes the fake answer 429 Too Many Requests.
type WaybackLimits struct {
	// CDXEvery and WebEvery: every n-th request to the CDX server or to
	// playback answers 429 (0: never).
	CDXEvery, WebEvery int
	// RetryAfter is the Retry-After sent with a 429; 0 sends none (the
	// client must then wait 60 s).
	RetryAfter time.Duration
}

// Capture is one capture the fake holds.
type Capture struct {
	URL       string    // original URL as captured
	Time      time.Time // capture time (UTC, whole seconds)
	Status    int       // captured status
	Header    http.Header
	Body      []byte
	Location  string // original target of a captured redirect
	Lang      string
	DocID     int64  // 0: not a document capture
	Kind      string // CapturePage, CaptureTemplate, CaptureEdit, CaptureError …
	Version   int    // index of the document content it holds (Docs().Versions), -1 for none
	Mime      string
	key       string
	timestamp string
	digest    string
	size      int
	// render makes the body of a planned capture on demand: a plan of
	// thousands of documents neither keeps nor renders their pages until
	// they are asked for. ident names what render makes (the same ident,
	// the same bytes): the digest is made from it, and size is an
	// estimate, as the Archive's length (of the compressed record) is.
	render func() []byte
	ident  string
}

// Bytes is the captured body.
func (c *Capture) Bytes() []byte {
	if c.Body == nil && c.render != nil {
		return c.render()
	}
	return c.Body
}

// Capture kinds.
const (
	CapturePage     = "page"      // the document page, current or earlier content
	CapturePrint    = "print"     // the /print variant of the document page
	CaptureError    = "error"     // a captured 403, 404 or 500 answer
	CaptureAntiBot  = "antibot"   // an anti-bot page captured with status 200
	CaptureRedirect = "redirect"  // a captured redirect
	CaptureListing  = "listing"   // a listing page (not a document)
	CaptureTab      = "tab"       // a photos tab (not a document)
	CaptureWrongDoc = "wrong-doc" // another document's page captured under this URL
)

// Timestamp is the capture's 14-digit timestamp.
func (c *Capture) Timestamp() string { return c.timestamp }

// Digest is the base32 SHA-1 of the captured body, as the CDX server lists it.
func (c *Capture) Digest() string { return c.digest }

// WaybackDoc is the truth about one document's captures.
type WaybackDoc struct {
	Lang string
	ID   int64
	// Captures of the document, oldest first (every URL form and status).
	Captures []*Capture
	// Archivable: at least one capture is the document page (status 200).
	Archivable bool
	// Versions are the document's distinct contents among its good
	// captures, oldest first: what `backfill --history` must keep.
	Versions []ExpectedRecord
	// Current is the content of the newest good capture of the document
	// page (of its /print variant when the page itself has none): what a
	// run that takes one copy per document must store.
	Current ExpectedRecord
}

// waybackEnd is the newest capture time of the plan (fixed, so that the
// plan does not depend on the clock).
var waybackEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// NewWayback plans the captures of every document of the sites. It is
// deterministic for a seed and the sites' documents.
func NewWayback(o WaybackOptions) *Wayback {
	w := &Wayback{opts: o, docs: map[docKey]*WaybackDoc{}, count: map[string]int{}, pause: map[string]time.Time{}}
	for _, s := range o.Sites {
		w.planSite(s)
	}
	w.sortCaptures()
	return w
}

// Start serves the fake on a new httptest server.
func (w *Wayback) Start() *httptest.Server {
	return httptest.NewServer(w.Handler())
}

// Handler serves the fake.
func (w *Wayback) Handler() http.Handler { return http.HandlerFunc(w.serveHTTP) }

// AddCapture adds a capture (tests that need an exact situation). Body
// and headers are taken as given; Time is truncated to the second.
func (w *Wayback) AddCapture(c Capture) *Capture {
	w.mu.Lock()
	defer w.mu.Unlock()
	cc := c
	w.finish(&cc)
	w.caps = append(w.caps, &cc)
	w.sortCaptures()
	if cc.DocID != 0 {
		d := w.docs[docKey{cc.Lang, cc.DocID}]
		if d != nil {
			d.Captures = append(d.Captures, &cc)
			sort.SliceStable(d.Captures, func(i, j int) bool { return d.Captures[i].Time.Before(d.Captures[j].Time) })
		}
	}
	return &cc
}

// RemoveCaptures drops every capture of document id of lang.
func (w *Wayback) RemoveCaptures(lang string, id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.caps = slices.DeleteFunc(w.caps, func(c *Capture) bool { return c.Lang == lang && c.DocID == id })
	delete(w.docs, docKey{lang, id})
}

// Docs returns the truth for every planned document of lang ("" = all),
// in (lang, ID) order.
func (w *Wayback) Docs(lang string) []*WaybackDoc {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*WaybackDoc
	for k, d := range w.docs {
		if lang == "" || k.lang == lang {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lang != out[j].Lang {
			return out[i].Lang < out[j].Lang
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Doc returns the truth for one document.
func (w *Wayback) Doc(lang string, id int64) (*WaybackDoc, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.docs[docKey{lang, id}]
	return d, ok
}

// CaptureAt returns the capture played back at a /web/<ts>id_/<url>
// address (exact timestamp and key), or nil.
func (w *Wayback) CaptureAt(captureURL string) *Capture {
	ts, _, orig, ok := splitPlayback(captureURL)
	if !ok {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	key := w.key(orig)
	for _, c := range w.caps {
		if c.key == key && c.timestamp == ts {
			return c
		}
	}
	return nil
}

// ---- planning ----

func (w *Wayback) planSite(s *Site) {
	docs := s.Docs()
	for _, d := range docs {
		w.planDoc(s, d, docs)
	}
}

// planDoc plans the captures of document d. The document's contents are
// its earlier edits (if any) then its current content; each content is
// captured one to three times, under varied URL forms, with template
// noise; bad captures (error pages, anti-bot pages, redirects) are mixed
// in, a few documents are never captured and a few only badly.
func (w *Wayback) planDoc(s *Site, d Doc, all []Doc) {
	r := newRand(uint64(w.opts.Seed), hashString(d.Lang), uint64(d.ID), 0x3a7b)
	wd := &WaybackDoc{Lang: d.Lang, ID: d.ID}
	w.docs[docKey{d.Lang, d.ID}] = wd
	host := hostOf(s)
	start := d.Time.UTC().Add(time.Duration(1+r.IntN(72)) * time.Hour)
	if start.After(waybackEnd) {
		start = d.Time.UTC().Add(10 * time.Minute)
	}
	span := waybackEnd.Sub(start)
	if span < time.Hour {
		span = time.Hour
	}
	at := func(frac float64) time.Time {
		return start.Add(time.Duration(frac * float64(span))).Truncate(time.Second)
	}
	if w.opts.Plain {
		c := w.pageCapture(s, d, d, 0, "http://"+host+docPath(d.Canonical(), d.ID), at(0.1), r, false)
		w.addDocCapture(wd, c)
		w.finishDoc(s, wd, []Doc{d})
		return
	}
	roll := r.IntN(100)
	if roll < 3 {
		w.finishDoc(s, wd, nil) // never captured
		return
	}
	// The contents: earlier edits, then the current one.
	contents := []Doc{d}
	if r.IntN(100) < 15 {
		contents = earlierContents(d, 1+r.IntN(2))
	}
	if roll < 6 {
		// Only bad captures: a 403 of the throttled site, and an anti-bot
		// page captured with 200.
		w.addDocCapture(wd, w.errorCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID), at(0.2), 403))
		w.addDocCapture(wd, w.antiBotCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID), at(0.3)))
		w.finishDoc(s, wd, nil)
		return
	}
	n := len(contents)
	printOnly := r.IntN(100) < 3
	for v, content := range contents {
		lo, hi := float64(v)/float64(n), float64(v+1)/float64(n)
		copies := 1 + r.IntN(3)
		for k := 0; k < copies; k++ {
			frac := lo + (hi-lo)*(0.05+0.9*float64(k)/float64(copies))
			u := w.urlForm(s, d, host, r, printOnly)
			w.addDocCapture(wd, w.pageCapture(s, d, content, v, u, at(frac), r, k > 0))
		}
	}
	newest := at(0.99)
	switch b := r.IntN(100); {
	case b < 6:
		// The newest capture is a 403 of the throttled site.
		w.addDocCapture(wd, w.errorCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID), newest, 403))
	case b < 10:
		// The newest capture under status 200 is an anti-bot page.
		w.addDocCapture(wd, w.antiBotCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID), newest))
	case b < 13:
		w.addDocCapture(wd, w.errorCapture(s, d, "https://"+host+docPath(d.Canonical(), d.ID), newest, 500))
	case b < 16:
		w.addDocCapture(wd, w.errorCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID), newest, 404))
	case b < 20:
		// http redirected to https: the redirect is captured, its target a
		// second later.
		from := "http://" + host + docPath(d.Canonical(), d.ID)
		to := "https://" + host + docPath(d.Canonical(), d.ID)
		w.addDocCapture(wd, w.redirectCapture(s, d, from, to, newest))
		w.addDocCapture(wd, w.pageCapture(s, d, d, len(contents)-1, to, newest.Add(time.Second), r, true))
	case b < 22:
		// Another document's page captured under this URL (a site fault).
		other := all[r.IntN(len(all))]
		if other.ID != d.ID {
			c := w.pageCapture(s, other, other, -1, "http://"+host+docPath(d.Canonical(), d.ID), newest, r, false)
			c.DocID, c.Kind, c.Version = d.ID, CaptureWrongDoc, -1
			w.addDocCapture(wd, c)
		}
	}
	if d.Photos > 0 && r.IntN(100) < 30 {
		tab := w.tabCapture(s, d, "http://"+host+docPath(d.Canonical(), d.ID)+"/photos", at(0.5))
		w.finish(tab)
		w.caps = append(w.caps, tab)
	}
	w.finishDoc(s, wd, contents)
}

// urlForm picks the URL a capture was made under.
func (w *Wayback) urlForm(s *Site, d Doc, host string, r *rand.Rand, printOnly bool) string {
	sec := d.Canonical()
	if len(d.Sections) > 1 && r.IntN(100) < 30 {
		sec = d.Sections[1+r.IntN(len(d.Sections)-1)]
	}
	path := docPath(sec, d.ID)
	if printOnly {
		path += "/print"
	} else if r.IntN(100) < 4 {
		path += "/print"
	}
	switch x := r.IntN(100); {
	case x < 55:
		return "http://" + host + path
	case x < 80:
		return "https://" + host + path
	case x < 90:
		return "http://" + host + ":80" + path
	default:
		if strings.Count(host, ".") == 1 {
			return "http://www." + host + path
		}
		return "https://" + host + path
	}
}

// earlierContents returns n earlier edits of d followed by d itself:
// each earlier one lacks the last paragraphs (or, for short bodies,
// carries an earlier title) and, when d has a "Last updated" stamp, an
// earlier one.
func earlierContents(d Doc, n int) []Doc {
	out := make([]Doc, 0, n+1)
	for j := 0; j < n; j++ {
		e := d.Clone()
		cut := n - j
		if len(e.Paragraphs) > cut {
			e.Paragraphs = e.Paragraphs[:len(e.Paragraphs)-cut]
		} else {
			e.Title = strings.TrimSpace(e.Title) + strings.Repeat(" (preliminary)", cut)
		}
		if !d.Updated.IsZero() {
			e.Updated = d.Updated.Add(-time.Duration(cut) * time.Hour)
		}
		out = append(out, e)
	}
	return append(out, d.Clone())
}

func (w *Wayback) addDocCapture(wd *WaybackDoc, c *Capture) {
	c.Lang = wd.Lang
	if c.DocID == 0 {
		c.DocID = wd.ID
	}
	w.finish(c)
	w.caps = append(w.caps, c)
	wd.Captures = append(wd.Captures, c)
}

// finishDoc settles the truth of a document: its versions are the
// distinct contents among its good captures, oldest first.
func (w *Wayback) finishDoc(s *Site, wd *WaybackDoc, contents []Doc) {
	sort.SliceStable(wd.Captures, func(i, j int) bool { return wd.Captures[i].Time.Before(wd.Captures[j].Time) })
	last, newestPage, newestPrint := -1, -1, -1
	for _, c := range wd.Captures {
		if c.Version < 0 || c.Status != 200 || (c.Kind != CapturePage && c.Kind != CapturePrint) {
			continue
		}
		wd.Archivable = true
		if c.Version != last {
			wd.Versions = append(wd.Versions, s.expected(contents[c.Version]))
			last = c.Version
		}
		if c.Kind == CapturePage {
			newestPage = c.Version
		} else {
			newestPrint = c.Version
		}
	}
	switch {
	case newestPage >= 0:
		wd.Current = s.expected(contents[newestPage])
	case newestPrint >= 0:
		wd.Current = s.expected(contents[newestPrint])
	}
}

// pageCapture captures content (a version of document d) at u.
// noise varies the template (script hashes, a footer comment) so that the
// payload, and so the digest, differs while the document does not.
func (w *Wayback) pageCapture(s *Site, d, content Doc, version int, u string, t time.Time, r *rand.Rand, noise bool) *Capture {
	pu, _ := url.Parse(u)
	sec := d.Canonical()
	if rest, ok := strings.CutPrefix(pu.Path, "/events/president/"); ok {
		if i := strings.LastIndex(rest, "/"+itoa(d.ID)); i > 0 {
			sec = rest[:i]
		}
	}
	view, kind := viewPage, CapturePage
	if strings.HasSuffix(pu.Path, "/print") {
		view, kind = viewPrint, CapturePrint
	}
	c := content.Clone()
	noisy, seed := noise || r.IntN(100) < 50, r.Uint64()
	ident := fmt.Sprintf("%s/%d/v%d/%s/%d", c.Lang, d.ID, version, sec, view)
	if noisy {
		ident += fmt.Sprintf("/%x", seed)
	}
	if version < 0 {
		ident += "/" + u // another document's page under this URL
	}
	render := func() []byte {
		cc := c.Clone()
		body := s.rd.renderDoc(&cc, sec, view)
		if noisy {
			body = templateNoise(body, seed)
		}
		return body
	}
	h := http.Header{}
	h.Set("Server", "nginx")
	h.Set("Date", t.Format(http.TimeFormat))
	h.Set("Content-Type", htmlType)
	if r.IntN(100) < 30 {
		h.Set("Transfer-Encoding", "chunked")
	} else {
		h.Set("Content-Length", sizeLater)
	}
	h.Set("Connection", "close")
	h.Set("Vary", "Accept-Encoding")
	return &Capture{URL: u, Time: t, Status: 200, Header: h, render: render, ident: ident, size: estimateSize(&c), Kind: kind, Version: version, Mime: "text/html"}
}

// estimateSize is about what the Archive lists as the length of a
// capture of d's page: its compressed record, a template of some 20 KB
// and the text.
func estimateSize(d *Doc) int {
	n := 6000 + len(d.Title) + len(d.Lead)
	for _, p := range d.Paragraphs {
		n += len(p.Text)/3 + len(p.Speaker)
	}
	return n
}

// sizeLater stands for the Content-Length of a body rendered later.
const sizeLater = "(size)"

// templateNoise changes what the site changes between captures of an
// unchanged document: the cache-busting hashes of its scripts and styles,
// and a comment in the footer.
func templateNoise(body []byte, h uint64) []byte {
	hex := fmt.Sprintf("%010x", h&0xffffffffff)
	body = bytes.Replace(body, []byte("app.js?d260006831"), []byte("app.js?d"+hex[:9]), 1)
	body = bytes.Replace(body, []byte("screen.css?d9293862f7"), []byte("screen.css?d"+hex[1:10]), 1)
	return bytes.Replace(body, []byte("</body>"), []byte(fmt.Sprintf("<!-- %s %.3fs -->\n</body>", "node"+hex[:2], float64(h%997)/1000)), 1)
}

func (w *Wayback) errorCapture(s *Site, d Doc, u string, t time.Time, status int) *Capture {
	body := statusPage(status)
	if status == 404 {
		pu, _ := url.Parse(u)
		body = s.rd.render404(pu.Path)
	}
	h := http.Header{}
	h.Set("Server", "nginx")
	h.Set("Date", t.Format(http.TimeFormat))
	h.Set("Content-Type", htmlType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &Capture{URL: u, Time: t, Status: status, Header: h, Body: body, Kind: CaptureError, Version: -1, Mime: "text/html"}
}

func (w *Wayback) antiBotCapture(s *Site, d Doc, u string, t time.Time) *Capture {
	body := challengePage(d.Lang, uint64(d.ID))
	h := http.Header{}
	h.Set("Server", "ddos-guard")
	h.Set("Date", t.Format(http.TimeFormat))
	h.Set("Content-Type", htmlType)
	h.Set("Set-Cookie", "__ddg1_=x; Path=/; HttpOnly")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &Capture{URL: u, Time: t, Status: 200, Header: h, Body: body, Kind: CaptureAntiBot, Version: -1, Mime: "text/html"}
}

func (w *Wayback) redirectCapture(s *Site, d Doc, from, to string, t time.Time) *Capture {
	body := statusPage(301)
	h := http.Header{}
	h.Set("Server", "nginx")
	h.Set("Date", t.Format(http.TimeFormat))
	h.Set("Content-Type", htmlType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &Capture{URL: from, Time: t, Status: 301, Header: h, Body: body, Location: to, Kind: CaptureRedirect, Version: -1, Mime: "text/html"}
}

func (w *Wayback) tabCapture(s *Site, d Doc, u string, t time.Time) *Capture {
	c := d.Clone()
	h := http.Header{}
	h.Set("Content-Type", htmlType)
	h.Set("Content-Length", sizeLater)
	render := func() []byte { cc := c.Clone(); return s.rd.renderDoc(&cc, cc.Canonical(), viewPhotos) }
	return &Capture{URL: u, Time: t, Status: 200, Header: h, render: render, ident: fmt.Sprintf("%s/%d/photos", d.Lang, d.ID), size: 5000,
		Lang: d.Lang, Kind: CaptureTab, Version: -1, Mime: "text/html"}
}

// finish computes a capture's key, timestamp and digest.
func (w *Wayback) finish(c *Capture) {
	c.Time = c.Time.UTC().Truncate(time.Second)
	c.key = w.key(c.URL)
	c.timestamp = c.Time.Format("20060102150405")
	if c.render != nil && c.ident != "" {
		sum := sha1.Sum([]byte("planned capture " + c.ident))
		c.digest = base32.StdEncoding.EncodeToString(sum[:])
	} else {
		body := c.Bytes()
		sum := sha1.Sum(body)
		c.digest = base32.StdEncoding.EncodeToString(sum[:])
		c.size = len(body)
	}
	if c.Mime == "" {
		c.Mime = "text/html"
	}
	if c.Header == nil {
		c.Header = http.Header{}
	}
}

func (w *Wayback) sortCaptures() {
	sort.SliceStable(w.caps, func(i, j int) bool {
		a, b := w.caps[i], w.caps[j]
		if a.key != b.key {
			return a.key < b.key
		}
		if a.timestamp != b.timestamp {
			return a.timestamp < b.timestamp
		}
		return a.URL < b.URL
	})
}

// hostOf is the real host a site's captures are made at.
func hostOf(s *Site) string {
	u, err := url.Parse(s.rd.base)
	if err != nil {
		return "en.kremlin.ru"
	}
	return u.Host
}

// key is the index key of a URL in this fake (see surtKey).
func (w *Wayback) key(raw string) string { return surtKeyWWW(raw, w.opts.SeparateWWW) }

// surtKey is the index key of a URL, as the Archive's canonicaliser
// makes it: lower case, scheme dropped, port 80/443 dropped, a leading
// www. dropped, host labels reversed and comma-separated, then ")" and
// the path (and sorted query).
func surtKey(raw string) string { return surtKeyWWW(raw, false) }

func surtKeyWWW(raw string, keepWWW bool) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.ToLower(u.Hostname())
	if !keepWWW {
		host = strings.TrimPrefix(host, "www.")
	}
	labels := strings.Split(host, ".")
	slices.Reverse(labels)
	key := strings.Join(labels, ",")
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		key += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	key += ")" + strings.ToLower(path)
	if u.RawQuery != "" {
		q := strings.Split(u.RawQuery, "&")
		sort.Strings(q)
		key += "?" + strings.ToLower(strings.Join(q, "&"))
	}
	return key
}

// ---- serving ----

// WaybackRequest is one logged request to the fake.
type WaybackRequest struct {
	Seq      int
	Start    time.Time
	Path     string
	Query    string
	Endpoint string // "cdx", "web" or "other"
	Kind     string // "cdx", "capture", "nearest", "banner", "missing", "429", "bad"
	Status   int
	// DuringPause: the request came before the pause of the endpoint's
	// last 429 had passed.
	DuringPause bool
	DocID       int64
	Lang        string
}

// Requests returns the request log.
func (w *Wayback) Requests() []WaybackRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// CDXCalls is the number of requests to the CDX server.
func (w *Wayback) CDXCalls() int { return w.countEndpoint("cdx") }

// CaptureFetches is the number of requests to playback (/web/…).
func (w *Wayback) CaptureFetches() int { return w.countEndpoint("web") }

// TotalRequests is the number of requests of any kind.
func (w *Wayback) TotalRequests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.log)
}

// PauseViolations is the number of requests made to an endpoint before
// the pause its last 429 asked for had passed.
func (w *Wayback) PauseViolations() int {
	n := 0
	for _, r := range w.Requests() {
		if r.DuringPause {
			n++
		}
	}
	return n
}

// Throttled is the number of 429 answers sent.
func (w *Wayback) Throttled() int {
	n := 0
	for _, r := range w.Requests() {
		if r.Kind == "429" {
			n++
		}
	}
	return n
}

// ResetLog clears the request log (the 429 pauses are kept).
func (w *Wayback) ResetLog() {
	w.mu.Lock()
	w.log = nil
	w.mu.Unlock()
}

func (w *Wayback) countEndpoint(ep string) int {
	n := 0
	for _, r := range w.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

func (w *Wayback) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.inFlight++
	w.peak = max(w.peak, w.inFlight)
	w.mu.Unlock()
	// A request is no longer in flight once its answer is being sent: a
	// client may ask its next question as soon as it has the last byte,
	// before this handler has returned.
	answered := sync.OnceFunc(func() {
		w.mu.Lock()
		w.inFlight--
		w.mu.Unlock()
	})
	defer answered()
	rw = &answeringWriter{ResponseWriter: rw, before: answered}
	if w.opts.Latency > 0 {
		select {
		case <-time.After(w.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	rec := WaybackRequest{Start: time.Now(), Path: r.URL.Path, Query: r.URL.RawQuery, Endpoint: "other"}
	switch {
	case r.URL.Path == "/cdx/search/cdx":
		rec.Endpoint = "cdx"
	case strings.HasPrefix(r.URL.Path, "/web/"):
		rec.Endpoint = "web"
	}
	w.mu.Lock()
	rec.Seq = len(w.log) + 1
	if until, ok := w.pause[rec.Endpoint]; ok && rec.Start.Before(until) {
		rec.DuringPause = true
	}
	w.count[rec.Endpoint]++
	n := w.count[rec.Endpoint]
	every := 0
	switch rec.Endpoint {
	case "cdx":
		every = w.opts.Limits.CDXEvery
	case "web":
		every = w.opts.Limits.WebEvery
	}
	throttle := every > 0 && n%every == 0
	if throttle {
		ra := w.opts.Limits.RetryAfter
		if ra <= 0 {
			ra = time.Minute
		}
		w.pause[rec.Endpoint] = rec.Start.Add(ra)
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.log = append(w.log, rec)
		w.mu.Unlock()
	}()
	if throttle {
		rec.Kind, rec.Status = "429", http.StatusTooManyRequests
		if ra := w.opts.Limits.RetryAfter; ra > 0 {
			rw.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		}
		writeBody(rw, http.StatusTooManyRequests, "text/html", []byte("<html><body><h1>429 Too Many Requests</h1></body></html>\n"))
		return
	}
	switch rec.Endpoint {
	case "cdx":
		w.serveCDX(rw, r, &rec)
	case "web":
		w.servePlayback(rw, r, &rec)
	default:
		rec.Kind, rec.Status = "bad", 404
		writeBody(rw, 404, "text/plain", []byte("not found\n"))
	}
}

// answeringWriter calls before ahead of the first body byte.
type answeringWriter struct {
	http.ResponseWriter
	before func()
}

func (a *answeringWriter) Write(p []byte) (int, error) {
	a.before()
	return a.ResponseWriter.Write(p)
}

func writeBody(rw http.ResponseWriter, status int, ctype string, body []byte) {
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
}

// cdxFieldNames are the fields the CDX server knows, in its default order.
var cdxFieldNames = []string{"urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"}

func (c *Capture) field(name string) string {
	switch name {
	case "urlkey":
		return c.key
	case "timestamp":
		return c.timestamp
	case "original":
		return c.URL
	case "mimetype":
		return c.Mime
	case "statuscode":
		return strconv.Itoa(c.Status)
	case "digest":
		return c.digest
	case "length":
		return strconv.Itoa(c.size)
	}
	return ""
}

type cdxFilter struct {
	field  string
	re     *regexp.Regexp
	invert bool
}

func (w *Wayback) serveCDX(rw http.ResponseWriter, r *http.Request, rec *WaybackRequest) {
	rec.Kind = "cdx"
	q := r.URL.Query()
	bad := func(msg string) {
		rec.Status = 400
		writeBody(rw, 400, "text/plain", []byte(msg+"\n"))
	}
	target := q.Get("url")
	if target == "" {
		bad("url= is required")
		return
	}
	match := q.Get("matchType")
	if strings.HasSuffix(target, "*") {
		target, match = strings.TrimSuffix(target, "*"), "prefix"
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	key := w.key(target)
	fields := cdxFieldNames
	if fl := q.Get("fl"); fl != "" {
		fields = strings.Split(fl, ",")
		for _, f := range fields {
			if !slices.Contains(cdxFieldNames, f) {
				bad("unknown field " + f)
				return
			}
		}
	}
	var filters []cdxFilter
	for _, f := range q["filter"] {
		cf := cdxFilter{}
		if strings.HasPrefix(f, "!") {
			cf.invert, f = true, f[1:]
		}
		name, expr, ok := strings.Cut(f, ":")
		if !ok || !slices.Contains(cdxFieldNames, name) {
			bad("bad filter " + f)
			return
		}
		re, err := regexp.Compile("^(?:" + expr + ")$")
		if err != nil {
			bad("bad filter regex " + expr)
			return
		}
		cf.field, cf.re = name, re
		filters = append(filters, cf)
	}
	type collapse struct {
		field string
		n     int
	}
	var collapses []collapse
	for _, c := range q["collapse"] {
		name, n, _ := strings.Cut(c, ":")
		cc := collapse{field: name}
		if n != "" {
			cc.n, _ = strconv.Atoi(n)
		}
		collapses = append(collapses, cc)
	}
	limit := 150000
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			bad("bad limit " + l)
			return
		}
		limit = min(n, limit)
	}
	if w.opts.MaxRows > 0 {
		limit = min(limit, w.opts.MaxRows)
	}
	from, to := q.Get("from"), q.Get("to")
	if from != "" {
		from += strings.Repeat("0", max(0, 14-len(from)))
	}
	if to != "" {
		to += strings.Repeat("9", max(0, 14-len(to)))
	}
	afterKey, afterTS := "", ""
	if rk := q.Get("resumeKey"); rk != "" {
		dec, err := url.QueryUnescape(rk)
		if err != nil || !strings.HasSuffix(dec, "!") {
			bad("bad resumeKey")
			return
		}
		afterKey, afterTS, _ = strings.Cut(strings.TrimSuffix(dec, "!"), " ")
	}

	w.mu.Lock()
	caps := slices.Clone(w.caps)
	w.mu.Unlock()
	var out []*Capture
	prev := map[string]string{}
	more := false
	for _, c := range caps {
		if match == "prefix" {
			if !strings.HasPrefix(c.key, key) {
				continue
			}
		} else if c.key != key {
			continue
		}
		if afterKey != "" && (c.key < afterKey || (c.key == afterKey && c.timestamp <= afterTS)) {
			continue
		}
		if (from != "" && c.timestamp < from) || (to != "" && c.timestamp > to) {
			continue
		}
		keep := true
		for _, f := range filters {
			if f.re.MatchString(c.field(f.field)) == f.invert {
				keep = false
				break
			}
		}
		if !keep {
			continue
		}
		dup := false
		for _, cl := range collapses {
			v := c.field(cl.field)
			if cl.n > 0 && len(v) > cl.n {
				v = v[:cl.n]
			}
			if p, ok := prev[cl.field]; ok && p == v {
				dup = true
			}
			prev[cl.field] = v
		}
		if dup {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, c)
	}
	resume := ""
	if more && q.Get("showResumeKey") == "true" && len(out) > 0 {
		last := out[len(out)-1]
		resume = url.QueryEscape(last.key + " " + last.timestamp + "!")
	}
	var body []byte
	ctype := "text/plain"
	if q.Get("output") == "json" {
		ctype = "application/json"
		table := [][]string{}
		if len(out) > 0 {
			table = append(table, fields)
			for _, c := range out {
				row := make([]string, len(fields))
				for i, f := range fields {
					row[i] = c.field(f)
				}
				table = append(table, row)
			}
			if resume != "" {
				table = append(table, []string{}, []string{resume})
			}
		}
		body, _ = json.Marshal(table)
	} else {
		var b bytes.Buffer
		for _, c := range out {
			row := make([]string, len(fields))
			for i, f := range fields {
				row[i] = c.field(f)
			}
			b.WriteString(strings.Join(row, " ") + "\n")
		}
		if resume != "" {
			b.WriteString("\n" + resume + "\n")
		}
		body = b.Bytes()
	}
	rec.Status = 200
	if q.Get("gzip") != "false" {
		// As documented: gzip-encoded unless gzip=false.
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(body)
		_ = zw.Close()
		rw.Header().Set("Content-Encoding", "gzip")
		body = zb.Bytes()
	}
	writeBody(rw, 200, ctype, body)
}

// playbackRE splits /web/<timestamp><modifier>/<url>.
var playbackRE = regexp.MustCompile(`^/web/([0-9]{1,14})([a-z]{2}_)?/(.+)$`)

// splitPlayback splits a playback URL or path.
func splitPlayback(s string) (ts, mod, orig string, ok bool) {
	if i := strings.Index(s, "/web/"); i > 0 {
		s = s[i:]
	}
	m := playbackRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", "", false
	}
	orig = m[3]
	if !strings.Contains(orig, "://") {
		// Some clients squash the double slash of the original URL.
		orig = strings.Replace(orig, ":/", "://", 1)
	}
	return m[1], m[2], orig, true
}

func (w *Wayback) servePlayback(rw http.ResponseWriter, r *http.Request, rec *WaybackRequest) {
	raw := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		raw += "?" + r.URL.RawQuery
	}
	ts, mod, orig, ok := splitPlayback(raw)
	if !ok {
		rec.Kind, rec.Status = "bad", 400
		writeBody(rw, 400, "text/plain", []byte("bad playback URL\n"))
		return
	}
	key := w.key(orig)
	w.mu.Lock()
	var cands []*Capture
	for _, c := range w.caps {
		if c.key == key {
			cands = append(cands, c)
		}
	}
	w.mu.Unlock()
	if len(cands) == 0 {
		rec.Kind, rec.Status = "missing", 404
		writeBody(rw, 404, htmlType, waybackErrorPage(orig))
		return
	}
	rec.DocID, rec.Lang = cands[0].DocID, cands[0].Lang
	var exact *Capture
	for _, c := range cands {
		if c.timestamp == ts {
			exact = c
			break
		}
	}
	if exact != nil && exact.Location != "" && w.key(exact.Location) == key {
		// A redirect to itself under another scheme or www.: played back
		// it would loop, so the Archive answers with the nearest other
		// capture instead.
		var others []*Capture
		for _, c := range cands {
			if c != exact {
				others = append(others, c)
			}
		}
		if len(others) > 0 {
			exact, cands = nil, others
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	self := scheme + "://" + r.Host
	if exact == nil {
		// The capture nearest to the time asked for.
		want := ts + strings.Repeat("0", 14-len(ts))
		wt, _ := time.Parse("20060102150405", want)
		best := cands[0]
		for _, c := range cands[1:] {
			if absDur(c.Time.Sub(wt)) < absDur(best.Time.Sub(wt)) {
				best = c
			}
		}
		rec.Kind, rec.Status = "nearest", http.StatusFound
		rw.Header().Set("Location", self+"/web/"+best.timestamp+mod+"/"+best.URL)
		rw.Header().Set("X-Archive-Redirect-Reason", "found capture at "+best.timestamp)
		writeBody(rw, http.StatusFound, "text/plain; charset=utf-8", nil)
		return
	}
	c := exact
	h := rw.Header()
	captured := c.Bytes()
	for k, vs := range c.Header {
		if http.CanonicalHeaderKey(k) == "Content-Type" {
			continue
		}
		for _, v := range vs {
			if v == sizeLater {
				v = strconv.Itoa(len(captured))
			}
			h.Add("X-Archive-Orig-"+k, v)
		}
	}
	h.Set("Memento-Datetime", c.Time.Format(http.TimeFormat))
	h.Set("Link", fmt.Sprintf(`<%s>; rel="original", <%s/web/%s/%s>; rel="memento"; datetime="%s"`, c.URL, self, c.timestamp, c.URL, c.Time.Format(http.TimeFormat)))
	h.Set("X-Archive-Src", "fake-crawl-"+c.timestamp[:8]+".warc.gz")
	ctype := c.Header.Get("Content-Type")
	if ctype == "" {
		ctype = c.Mime
	}
	body := captured
	if mod != "id_" {
		rec.Kind = "banner"
		body = bannerPage(self, c)
	} else {
		rec.Kind = "capture"
	}
	if c.Location != "" {
		h.Set("Location", self+"/web/"+c.timestamp+mod+"/"+c.Location)
	}
	rec.Status = c.Status
	writeBody(rw, c.Status, ctype, body)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// bannerPage is a capture as the Wayback Machine shows it to a browser:
// its scripts, its toolbar, links rewritten into /web/.
func bannerPage(self string, c *Capture) []byte {
	body := string(c.Bytes())
	prefix := self + "/web/" + c.timestamp + "/"
	for _, host := range []string{"http://en.kremlin.ru", "http://kremlin.ru", "http://static.kremlin.ru"} {
		body = strings.ReplaceAll(body, `"`+host, `"`+prefix+host)
	}
	head := `<script src="/_static/js/bundle-playback.js?v=1" charset="utf-8"></script><script src="/_static/js/wombat.js?v=1"></script><script>__wm.init("` + self + `/web");</script>`
	toolbar := `<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp-base" lang="en" style="display:none;direction:ltr;"></div><!-- END WAYBACK TOOLBAR INSERT -->`
	body = strings.Replace(body, "<head>", "<head>"+head, 1)
	body = strings.Replace(body, "<body", toolbar+"<body", 1)
	return []byte(body)
}

// waybackErrorPage is the Archive's own page for a URL it has not archived.
func waybackErrorPage(orig string) []byte {
	return []byte(`<!DOCTYPE html>
<html lang="en"><head><title>Wayback Machine</title></head>
<body><div id="error"><h2>Hrm.</h2><p>The Wayback Machine has not archived that URL.</p>
<p><a href="/save/` + orig + `">Save this url in the Wayback Machine</a></p></div></body></html>
`)
}
