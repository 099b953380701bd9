package fakesite

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Page kinds of logged requests (Request.Kind).
const (
	KindDoc     = "doc"     // an event page under some section path
	KindPrint   = "print"   // …/<id>/print
	KindPhotos  = "photos"  // …/<id>/photos tab page
	KindVideos  = "videos"  // …/<id>/videos tab page
	KindListing = "listing" // a section listing page
	KindByDate  = "by-date" // a by-date listing page
	KindFeed    = "feed"    // an Atom feed page
	KindShort   = "short"   // /d/<id>
	KindRobots  = "robots"  // /robots.txt
	KindHome    = "home"    // /
	KindOther   = "other"   // anything else (404s …)
)

// Request is one logged request: what the client asked and what the
// server did.
type Request struct {
	Seq    int    `json:"seq"`             // arrival order, from 1
	Method string `json:"method"`          // GET, HEAD …
	Path   string `json:"path"`            // URL path
	Query  string `json:"query,omitempty"` // raw query
	Host   string `json:"host"`            // Host header (or the host of an absolute-form request)

	UserAgent  string `json:"user_agent"`
	RemoteAddr string `json:"remote_addr"`

	Start time.Time `json:"start"` // when the handler started
	End   time.Time `json:"end"`   // when the handler returned (after the last byte or the reset)

	Status int       `json:"status"`           // status sent; 0 when no response was sent (reset, client gave up)
	Fault  FaultKind `json:"fault,omitempty"`  // fault applied, FaultNone for a normal answer
	Forced bool      `json:"forced,omitempty"` // the fault came from ForcePath
	Bytes  int64     `json:"bytes"`            // body bytes written
	// Canceled is set when the client went away before the answer ended.
	Canceled bool `json:"canceled,omitempty"`

	// Classification of the path.
	Kind    string `json:"kind"`              // KindDoc, KindListing …
	DocID   int64  `json:"doc_id,omitempty"`  // for doc, print, photos, videos and short links
	Section string `json:"section,omitempty"` // listing section of listings and document paths
	Page    int    `json:"page,omitempty"`    // listing page number (by-date: the page served)

	Proxy ProxyHints `json:"proxy"`
}

// ProxyHints are the signs that a request came through a proxy.
type ProxyHints struct {
	AbsoluteURI   bool   `json:"absolute_uri,omitempty"`     // request line carried an absolute URI (forward-proxy form)
	Via           string `json:"via,omitempty"`              // Via header
	XForwardedFor string `json:"x_forwarded_for,omitempty"`  // X-Forwarded-For header
	Forwarded     string `json:"forwarded,omitempty"`        // Forwarded header
	ProxyConn     string `json:"proxy_connection,omitempty"` // Proxy-Connection header
}

// Any reports whether any hint is present.
func (p ProxyHints) Any() bool {
	return p.AbsoluteURI || p.Via != "" || p.XForwardedFor != "" || p.Forwarded != "" || p.ProxyConn != ""
}

// Duration is End-Start.
func (r Request) Duration() time.Duration { return r.End.Sub(r.Start) }

// OK reports a normal 200 answer (no fault).
func (r Request) OK() bool { return r.Status == 200 && r.Fault == FaultNone }

// requestLog is the goroutine-safe log with an in-flight gauge.
type requestLog struct {
	mu       sync.Mutex
	reqs     []Request
	seq      atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
	hook     func(Request)
}

func (l *requestLog) begin() int {
	n := l.inFlight.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return int(l.seq.Add(1))
}

func (l *requestLog) end(r Request) {
	l.inFlight.Add(-1)
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(r)
	}
}

// Requests returns a copy of the log in arrival order (Seq).
func (s *Site) Requests() []Request {
	s.log.mu.Lock()
	out := append([]Request(nil), s.log.reqs...)
	s.log.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Filter returns the logged requests for which keep is true, in arrival order.
func (s *Site) Filter(keep func(Request) bool) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Count is the number of requests of path (any method, any outcome).
func (s *Site) Count(path string) int {
	return len(s.Filter(func(r Request) bool { return r.Path == path }))
}

// DocFetches is the number of GETs of any document URL of id (the event
// page under any section path; not print, tab or /d/ URLs), whatever the
// outcome.
func (s *Site) DocFetches(id int64) int {
	return len(s.Filter(func(r Request) bool { return r.Method == "GET" && r.Kind == KindDoc && r.DocID == id }))
}

// DocFetchesOK is the number of GETs of document URLs of id answered with
// the genuine page (200, no fault).
func (s *Site) DocFetchesOK(id int64) int {
	return len(s.Filter(func(r Request) bool {
		return r.Method == "GET" && r.Kind == KindDoc && r.DocID == id && r.OK()
	}))
}

// DocFetchCounts maps every fetched document id to its number of GETs.
func (s *Site) DocFetchCounts() map[int64]int {
	m := map[int64]int{}
	for _, r := range s.Requests() {
		if r.Method == "GET" && r.Kind == KindDoc {
			m[r.DocID]++
		}
	}
	return m
}

// ListingFetches is the number of listing and by-date requests.
func (s *Site) ListingFetches() int {
	return len(s.Filter(func(r Request) bool { return r.Kind == KindListing || r.Kind == KindByDate }))
}

// MaxInFlight is the peak number of requests being handled at once.
func (s *Site) MaxInFlight() int { return int(s.log.peak.Load()) }

// InFlight is the number of requests being handled now.
func (s *Site) InFlight() int { return int(s.log.inFlight.Load()) }

// WaitIdle waits up to timeout until no request is in flight, so that the
// log holds every request a client has seen answered (a request is logged
// when its handler returns, which can be just after the client read the
// last byte). It reports whether the site became idle.
func (s *Site) WaitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.log.inFlight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// MinGap is the smallest time between the end of one request and the start
// of the next (requests ordered by start). It is negative when requests
// overlapped, and 0 with fewer than two requests.
func (s *Site) MinGap() time.Duration {
	g, _ := s.gaps()
	return g
}

// MinStartGap is the smallest time between the starts of two consecutive
// requests; 0 with fewer than two requests.
func (s *Site) MinStartGap() time.Duration {
	_, g := s.gaps()
	return g
}

func (s *Site) gaps() (endToStart, startToStart time.Duration) {
	rs := s.Requests()
	if len(rs) < 2 {
		return 0, 0
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
	first := true
	for i := 1; i < len(rs); i++ {
		a := rs[i].Start.Sub(rs[i-1].End)
		b := rs[i].Start.Sub(rs[i-1].Start)
		if first || a < endToStart {
			endToStart = a
		}
		if first || b < startToStart {
			startToStart = b
		}
		first = false
	}
	return endToStart, startToStart
}

// ResetLog clears the request log and the in-flight peak (requests in
// flight stay counted). Fault and throttle state are kept.
func (s *Site) ResetLog() {
	s.log.mu.Lock()
	s.log.reqs = nil
	s.log.mu.Unlock()
	s.log.peak.Store(s.log.inFlight.Load())
}
