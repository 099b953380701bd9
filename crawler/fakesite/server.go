package fakesite

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Site.
type Options struct {
	// Lang is LangEN (default) or LangRU.
	Lang string
	// Docs is the corpus. When nil, N documents are generated with Seed
	// (Generate); N = 0 gives an empty site.
	Docs []Doc
	N    int
	Seed int64
	// PerPage is the listing page size (default 20).
	PerPage int
	// Sections are the listings served (paths under /events/president/).
	// Default: "news" and "transcripts" plus any other section the
	// documents name. A document is served only under its own sections
	// that are listed here.
	Sections []string
	// Robots configures /robots.txt.
	Robots Robots
	// Faults configures random and throttle failures.
	Faults Faults
	// BaseURL is the absolute base written into pages (og:url,
	// #material_link, tag links …). Default: the real host of Lang
	// (http://en.kremlin.ru, http://kremlin.ru), as on a mirror.
	BaseURL string
	// AbsoluteNav writes listing navigation (head rel links, more-next /
	// more-prev) as absolute URLs on BaseURL instead of root-relative paths.
	AbsoluteNav bool
	// Latency delays every answer (context-aware).
	Latency time.Duration
	// AllowEmptyUserAgent serves requests without a User-Agent; by default
	// they get 403, as on the real site (SPEC §6.2, 2024).
	AllowEmptyUserAgent bool
	// OnRequest, if set, is called after every request is logged.
	OnRequest func(Request)
	// Quirks make the listings hostile (odd entries, no page numbers,
	// endless pages); see ListingQuirks.
	Quirks ListingQuirks
}

// Robots configures /robots.txt.
type Robots struct {
	// Body is the file served with status 200 (default DefaultRobots).
	Body string
	// Status, when set and not 200, is sent instead (404, 429, 500, 503 …)
	// with a short error body. 429/503 carry Retry-After: RetryAfter
	// seconds (default 1).
	Status     int
	RetryAfter time.Duration
	// Delay holds the answer back this long (context-aware).
	Delay time.Duration
	// Hang never answers: the request waits until the client gives up or
	// the site is closed.
	Hang bool
}

// Site is a fake kremlin.ru host. It is safe for concurrent use.
type Site struct {
	opts Options
	rd   *renderer

	mu       sync.RWMutex
	docs     map[int64]*Doc
	all      []*Doc // every document, newest first
	lists    map[string][]*Doc
	sections []string // configured listings, longest first for routing
	robots   Robots
	quirks   ListingQuirks

	log    requestLog
	faults *faultState

	doneOnce sync.Once
	done     chan struct{}
}

// New builds a site. It panics on invalid options (a document of another
// language, invalid fault rates): these are programming errors of a test.
func New(opts Options) *Site {
	if opts.Lang == "" {
		opts.Lang = LangEN
	}
	if opts.Lang != LangEN && opts.Lang != LangRU {
		panic("fakesite: Lang must be en or ru, got " + opts.Lang)
	}
	if opts.PerPage <= 0 {
		opts.PerPage = 20
	}
	if err := opts.Faults.Validate(); err != nil {
		panic(err)
	}
	l := labelsFor(opts.Lang)
	base := opts.BaseURL
	if base == "" {
		base = l.base
	}
	s := &Site{
		opts:   opts,
		rd:     &renderer{l: l, base: strings.TrimRight(base, "/")},
		docs:   map[int64]*Doc{},
		faults: newFaultState(opts.Faults),
		done:   make(chan struct{}),
		robots: opts.Robots,
		quirks: opts.Quirks,
	}
	s.log.hook = opts.OnRequest
	docs := opts.Docs
	if docs == nil && opts.N > 0 {
		docs = Generate(opts.Lang, opts.N, opts.Seed)
	}
	for i := range docs {
		s.put(docs[i])
	}
	s.reindex()
	return s
}

// put stores a copy of d (caller holds mu or is New).
func (s *Site) put(d Doc) {
	if d.Lang == "" {
		d.Lang = s.opts.Lang
	}
	if d.Lang != s.opts.Lang {
		panic(fmt.Sprintf("fakesite: document %d is %q on the %q site", d.ID, d.Lang, s.opts.Lang))
	}
	if len(d.Sections) == 0 {
		d.Sections = []string{"news"}
	}
	d.Time = d.Time.In(Moscow)
	c := d.Clone()
	s.docs[d.ID] = &c
}

// reindex rebuilds the sorted lists (caller holds mu or is New).
func (s *Site) reindex() {
	s.all = s.all[:0]
	for _, d := range s.docs {
		s.all = append(s.all, d)
	}
	sort.Slice(s.all, func(i, j int) bool { return sortKeyLess(s.all[i], s.all[j]) })
	secs := s.opts.Sections
	if len(secs) == 0 {
		seen := map[string]bool{"news": true, "transcripts": true}
		secs = []string{"news", "transcripts"}
		var extra []string
		for _, d := range s.all {
			for _, sec := range d.Sections {
				if !seen[sec] {
					seen[sec] = true
					extra = append(extra, sec)
				}
			}
		}
		sort.Strings(extra)
		secs = append(secs, extra...)
	}
	s.lists = map[string][]*Doc{}
	for _, sec := range secs {
		s.lists[sec] = nil
	}
	for _, d := range s.all {
		for _, sec := range d.Sections {
			if _, ok := s.lists[sec]; ok {
				s.lists[sec] = append(s.lists[sec], d)
			}
		}
	}
	s.sections = append(s.sections[:0], secs...)
	sort.SliceStable(s.sections, func(i, j int) bool { return len(s.sections[i]) > len(s.sections[j]) })
}

// Lang is the site's language.
func (s *Site) Lang() string { return s.opts.Lang }

// PerPage is the listing page size.
func (s *Site) PerPage() int { return s.opts.PerPage }

// Sections are the listings served.
func (s *Site) Sections() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := append([]string(nil), s.sections...)
	sort.Strings(out)
	return out
}

// Handler serves the site.
func (s *Site) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start serves the site on a new httptest server. Closing the server also
// closes the site (Close), so hanging answers end.
func (s *Site) Start() *httptest.Server {
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener = &closeHookListener{Listener: srv.Listener, hook: s.Close}
	srv.Start()
	return srv
}

// Close releases every request held by a hang fault or a hanging robots.txt
// and makes later hangs return at once. The handler keeps serving.
func (s *Site) Close() { s.doneOnce.Do(func() { close(s.done) }) }

type closeHookListener struct {
	net.Listener
	hook func()
}

func (l *closeHookListener) Close() error {
	l.hook()
	return l.Listener.Close()
}

// ForcePath makes the next `times` requests of path (the URL path, no
// query) fail with fault, before any random fault and also for
// /robots.txt. Calls queue up in order.
func (s *Site) ForcePath(path string, fault Fault, times int) {
	if times <= 0 {
		return
	}
	if fault.Kind == FaultGzipBomb && fault.Size > 0 {
		// Make the bomb now, not while a client waits for the answer:
		// building a large one takes seconds under the race detector.
		gzipBomb(fault.Size)
	}
	fs := s.faults
	fs.mu.Lock()
	fs.forced[path] = append(fs.forced[path], forcedFault{f: fault, times: times})
	fs.mu.Unlock()
}

// SetRobots replaces the robots.txt behaviour.
func (s *Site) SetRobots(r Robots) {
	s.mu.Lock()
	s.robots = r
	s.mu.Unlock()
}

// ThrottleBlocks is the number of times the burst throttle has fired.
func (s *Site) ThrottleBlocks() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.blocks
}

// ---- truth accessors ----

// Doc returns a copy of document id.
func (s *Site) Doc(id int64) (Doc, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok {
		return Doc{}, false
	}
	return d.Clone(), true
}

// Docs returns copies of all documents, newest first.
func (s *Site) Docs() []Doc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Doc, len(s.all))
	for i, d := range s.all {
		out[i] = d.Clone()
	}
	return out
}

// IDs returns the IDs of section's listing, newest first.
func (s *Site) IDs(section string) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []int64
	for _, d := range s.lists[section] {
		out = append(out, d.ID)
	}
	return out
}

// Pages is data-pages of section (0 for an unknown section).
func (s *Site) Pages(section string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lists[section]
	if !ok {
		return 0
	}
	return pageCount(len(l), s.opts.PerPage)
}

// Listing returns what page p of section shows right now.
func (s *Site) Listing(section string, p int) (ListingPage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lists[section]
	if !ok {
		return ListingPage{}, false
	}
	from, to, ok := pageWindow(len(l), s.opts.PerPage, p)
	if !ok {
		return ListingPage{}, false
	}
	lp := ListingPage{Section: section, Page: p, Pages: pageCount(len(l), s.opts.PerPage)}
	for _, d := range l[from:to] {
		lp.IDs = append(lp.IDs, d.ID)
	}
	return lp, true
}

// Expected returns the parser truth for document id (see Expected).
func (s *Site) Expected(id int64) (ExpectedRecord, bool) {
	d, ok := s.Doc(id)
	if !ok {
		return ExpectedRecord{}, false
	}
	return s.expected(d), true
}

// expected is Expected with the site's BaseURL in the url field.
func (s *Site) expected(d Doc) ExpectedRecord {
	e := Expected(d)
	e.URL = s.rd.abs(docPath(d.Canonical(), d.ID))
	return e
}

// ExpectedAll returns the truth for every document, newest first.
func (s *Site) ExpectedAll() []ExpectedRecord {
	docs := s.Docs()
	out := make([]ExpectedRecord, len(docs))
	for i, d := range docs {
		out[i] = s.expected(d)
	}
	return out
}

// URL is the canonical real-host URL of document id (the record's url).
func (s *Site) URL(id int64) string {
	d, ok := s.Doc(id)
	if !ok {
		return ""
	}
	return s.rd.abs(docPath(d.Canonical(), id))
}

// Page renders the body served for path right now (query ignored), with
// its status, without faults and without logging.
func (s *Site) Page(path string) (body []byte, status int) {
	resp := s.route(path, "")
	return resp.body, resp.status
}

// ---- mutations ----

// AddDocs adds documents (replacing any with the same ID). New items at the
// top shift every listing page.
func (s *Site) AddDocs(docs ...Doc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		s.put(d)
	}
	s.reindex()
}

// NewDocs generates n new documents newer than every current one, with
// IDs above the current maximum (not added; pass them to AddDocs).
func (s *Site) NewDocs(n int) []Doc {
	s.mu.RLock()
	var newest time.Time
	var maxID int64
	for _, d := range s.all {
		if d.Time.After(newest) {
			newest = d.Time
		}
		if d.ID > maxID {
			maxID = d.ID
		}
	}
	s.mu.RUnlock()
	if newest.IsZero() {
		newest = genEnd
	}
	return GenerateAfter(s.opts.Lang, newest, maxID+1, n, s.opts.Seed)
}

// Update changes document id with fn and bumps its update stamp: Updated
// becomes one day after the later of the old stamp and the publication
// time (so the listing's date-only span.updated changes too), unless fn
// itself set a later Updated. It reports whether id exists.
func (s *Site) Update(id int64, fn func(*Doc)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.docs[id]
	if !ok {
		return false
	}
	c := old.Clone()
	fn(&c)
	c.ID = id
	bump := old.Updated
	if old.Time.After(bump) {
		bump = old.Time
	}
	bump = bump.Add(24 * time.Hour)
	if !c.Updated.After(bump) {
		c.Updated = bump
	}
	s.put(c)
	s.reindex()
	return true
}

// Remove deletes document id; its pages answer 404 and listings close up.
func (s *Site) Remove(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.docs[id]; !ok {
		return false
	}
	delete(s.docs, id)
	s.reindex()
	return true
}

// ---- routing ----

// response is a routed answer before faults.
type response struct {
	status   int
	body     []byte
	ctype    string
	location string

	// classification for the log
	kind    string
	docID   int64
	section string
	page    int
}

const htmlType = "text/html; charset=utf-8"

func (s *Site) notFound(path string) response {
	return response{status: 404, body: s.rd.render404(path), ctype: htmlType, kind: KindOther}
}

// route answers path (query ignored, as the site ignores ?page=N).
func (s *Site) route(path, _ string) response {
	switch {
	case path == "/robots.txt":
		return s.robotsResponse()
	case path == "/":
		return response{status: 200, body: s.rd.renderHome(s.Sections()), ctype: htmlType, kind: KindHome}
	case strings.HasPrefix(path, "/d/"):
		id, err := strconv.ParseInt(strings.TrimSuffix(path[3:], "/"), 10, 64)
		if err != nil {
			return s.notFound(path)
		}
		d, ok := s.Doc(id)
		if !ok {
			return response{status: 404, body: s.rd.render404(path), ctype: htmlType, kind: KindShort, docID: id}
		}
		return response{status: http.StatusFound, body: statusPage(http.StatusFound), location: docPath(d.Canonical(), id), ctype: htmlType, kind: KindShort, docID: id}
	case strings.HasPrefix(path, "/events/president/"):
		return s.routeEvents(path)
	}
	return s.notFound(path)
}

func (s *Site) routeEvents(path string) response {
	rest := strings.TrimSuffix(strings.TrimPrefix(path, "/events/president/"), "/")
	s.mu.RLock()
	sec := ""
	for _, c := range s.sections {
		if rest == c || strings.HasPrefix(rest, c+"/") {
			sec = c
			break
		}
	}
	s.mu.RUnlock()
	if sec == "" {
		return s.notFound(path)
	}
	tail := strings.TrimPrefix(strings.TrimPrefix(rest, sec), "/")
	parts := strings.Split(tail, "/")
	switch {
	case tail == "":
		return s.listing(sec, 1, path, false)
	case len(parts) == 2 && parts[0] == "page":
		p, err := strconv.Atoi(parts[1])
		if err != nil || p < 1 || parts[1][0] == '0' {
			return s.notFound(path)
		}
		return s.listing(sec, p, path, false)
	case tail == "feed" || (len(parts) == 3 && parts[0] == "feed" && parts[1] == "page"):
		p := 1
		if len(parts) == 3 {
			var err error
			if p, err = strconv.Atoi(parts[2]); err != nil || p < 1 || parts[2][0] == '0' {
				return s.notFound(path)
			}
		}
		return s.feed(sec, p, path)
	case len(parts) == 2 && parts[0] == "by-date":
		day, err := time.ParseInLocation("02.01.2006", parts[1], Moscow)
		if err != nil {
			return s.notFound(path)
		}
		s.mu.RLock()
		p, ok := pageOfDate(s.lists[sec], s.opts.PerPage, day)
		s.mu.RUnlock()
		if !ok {
			return s.notFound(path)
		}
		return s.listing(sec, p, path, true)
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || parts[0][0] == '0' || len(parts) > 2 {
		return s.notFound(path)
	}
	view, kind := viewPage, KindDoc
	if len(parts) == 2 {
		switch parts[1] {
		case "print":
			view, kind = viewPrint, KindPrint
		case "photos":
			view, kind = viewPhotos, KindPhotos
		case "videos":
			view, kind = viewVideos, KindVideos
		default:
			return s.notFound(path)
		}
	}
	s.mu.RLock()
	d := s.docs[id]
	s.mu.RUnlock()
	nf := func() response {
		r := s.notFound(path)
		r.kind, r.docID, r.section = kind, id, sec
		return r
	}
	if d == nil || !d.InSection(sec) {
		return nf()
	}
	if (view == viewPhotos && d.Photos == 0) || (view == viewVideos && !d.Video) {
		return nf()
	}
	return response{status: 200, body: s.rd.renderDoc(d, sec, view), ctype: htmlType, kind: kind, docID: id, section: sec}
}

// feed renders page p of sec's Atom feed.
func (s *Site) feed(sec string, p int, reqPath string) response {
	s.mu.RLock()
	list := s.lists[sec]
	from, to, ok := pageWindow(len(list), s.opts.PerPage, p)
	if !ok {
		s.mu.RUnlock()
		r := s.notFound(reqPath)
		r.kind, r.section, r.page = KindFeed, sec, p
		return r
	}
	v := listingView{sec: sec, page: p, pages: pageCount(len(list), s.opts.PerPage), items: append([]*Doc(nil), list[from:to]...)}
	s.mu.RUnlock()
	return response{status: 200, body: s.rd.renderFeed(v), ctype: "text/xml; charset=utf-8", kind: KindFeed, section: sec, page: p}
}

// listing renders page p of sec; dataPath is the requested path.
func (s *Site) listing(sec string, p int, reqPath string, byDate bool) response {
	s.mu.RLock()
	list := s.lists[sec]
	per := s.opts.PerPage
	from, to, next, ok := s.window(len(list), per, p)
	if byDate {
		from, to, ok = pageWindow(len(list), per, p)
		next = p < pageCount(len(list), per)
	}
	if !ok {
		s.mu.RUnlock()
		r := s.notFound(reqPath)
		r.kind, r.section, r.page = KindListing, sec, p
		return r
	}
	v := listingView{
		sec:        sec,
		page:       p,
		pages:      pageCount(len(list), per),
		items:      append([]*Doc(nil), list[from:to]...),
		dataPath:   strings.TrimSuffix(reqPath, "/"),
		absNav:     s.opts.AbsoluteNav,
		next:       next,
		noDataPage: s.quirks.NoDataPage,
		odd:        s.quirks.Items,
	}
	if from > 0 {
		v.prev = list[from-1]
	}
	if len(list) > 0 {
		v.year = list[0].Time.In(Moscow).Year()
		v.maxDate = list[0].Time.In(Moscow).Format("2006-01-02")
		v.minDate = list[len(list)-1].Time.In(Moscow).Format("2006-01-02")
	}
	if news := s.lists["news"]; len(news) > 0 {
		i := 22
		if i >= len(news) {
			i = len(news) - 1
		}
		v.promoted = news[i]
	}
	s.mu.RUnlock()
	kind := KindListing
	if byDate {
		kind = KindByDate
	}
	return response{status: 200, body: s.rd.renderListing(v), ctype: htmlType, kind: kind, section: sec, page: p}
}
