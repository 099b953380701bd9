package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// archive is the Wayback Machine seen as a client: its CDX index server
// (/cdx/search/cdx) and its playback of captures (/web/…), each behind a
// gate of its own, so each has its own delay, its own pause after a 429
// and its own cool-down, kept in the store like a site's. One request is
// in flight to the Archive at a time, whichever host's pages it is for.
type archive struct {
	mu      sync.Mutex
	base    *url.URL
	cdx     *gate // the CDX server: at most cdx_per_minute calls a minute
	web     *gate // playback: delay between capture fetches
	limit   int   // captures per CDX call
	maxBody int64 // max_body, also for bodies compressed in transit
	stats   *Stats
	err     error // why the Archive cannot be used this run (a cool-down)
}

// Default paging of the CDX server: a large batch keeps the number of
// calls small (each call counts against the per-minute limit, whatever
// its size); the server's own cap is 150,000.
const defaultCDXLimit = 25000

func newArchive(c *Crawler) *archive {
	o := &c.opts.Wayback
	host := o.Base.Host
	cdxDelay := time.Minute / time.Duration(max(o.CDXPerMinute, 1))
	a := &archive{base: o.Base, limit: o.CDXLimit, maxBody: c.opts.MaxBody, stats: c.stats}
	if a.limit <= 0 {
		a.limit = defaultCDXLimit
	}
	mk := func(key string, delay time.Duration) *gate {
		g := newGate(key, delay, newFetcher(c.tr, &c.opts), c.db, &c.opts, c.stats)
		g.archive, g.pause429 = true, o.Pause429
		return g
	}
	a.cdx = mk(host+"/cdx", cdxDelay)
	a.web = mk(host+"/web", o.Delay)
	return a
}

// open reads both endpoints' state (pauses and cool-downs of earlier
// runs). A cool-down makes the Archive unavailable for this run.
func (a *archive) open(now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, g := range []*gate{a.cdx, a.web} {
		if err := g.open(now); err != nil {
			if !hostStopped(err) {
				return err
			}
			a.err = err
		}
	}
	return nil
}

func (a *archive) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return errors.Join(a.cdx.close(), a.web.close())
}

// get makes one request through g, one at a time to the Archive.
func (a *archive) get(ctx context.Context, g *gate, u *url.URL) (*store.Raw, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	return g.get(ctx, u)
}

// ---- the CDX server ----

// cdxRow is one capture listed by the CDX server.
type cdxRow struct {
	URLKey, Timestamp, Original, Status, Digest, Length string
}

// cdxFields are the fields asked for (fl=): just what choosing a capture
// needs, so that rows stay small.
var cdxFields = []string{"urlkey", "timestamp", "original", "statuscode", "digest", "length"}

// cdxQuery is one batch of a CDX walk.
type cdxQuery struct {
	Prefix    string // url=, e.g. en.kremlin.ru/events/president/
	From      string // from=, a timestamp prefix ("" = every capture)
	ResumeKey string
	Limit     int
	Fields    []string // fl= (default cdxFields)
	Filter    string   // a filter= besides statuscode:200 ("" = none)
	NoFilter  bool     // no filters, no collapse (probes)
}

func (a *archive) cdxURL(q cdxQuery) *url.URL {
	v := url.Values{}
	v.Set("url", q.Prefix)
	v.Set("matchType", "prefix")
	v.Set("output", "json")
	fields := q.Fields
	if len(fields) == 0 {
		fields = cdxFields
	}
	v.Set("fl", strings.Join(fields, ","))
	if !q.NoFilter {
		v.Add("filter", "statuscode:200")
		if q.Filter != "" {
			v.Add("filter", q.Filter)
		}
		// Adjacent captures of one URL with the same payload digest are
		// byte for byte the same page: one of them is enough.
		v.Set("collapse", "digest")
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	v.Set("showResumeKey", "true")
	if q.From != "" {
		v.Set("from", q.From)
	}
	if q.ResumeKey != "" {
		v.Set("resumeKey", q.ResumeKey)
	}
	u := *a.base
	u.Path = strings.TrimSuffix(a.base.Path, "/") + "/cdx/search/cdx"
	u.RawPath = ""
	u.RawQuery = v.Encode()
	return &u
}

// CDXError is a CDX call that failed: the walk stops there and resumes
// from the same batch on the next run.
type CDXError struct {
	Lang, Prefix string
	Err          error
}

func (e *CDXError) Error() string {
	return fmt.Sprintf("Wayback Machine index (CDX) for %s (url=%s): %v", e.Lang, e.Prefix, e.Err)
}
func (e *CDXError) Unwrap() error { return e.Err }

// cdxBatch makes one CDX call and returns its rows and the key of the
// next batch ("" after the last).
func (a *archive) cdxBatch(ctx context.Context, q cdxQuery) ([]cdxRow, string, error) {
	u := a.cdxURL(q)
	a.stats.CDXCalls.Add(1)
	raw, err := a.get(ctx, a.cdx, u)
	if err != nil {
		return nil, "", err
	}
	if raw.Status != http.StatusOK {
		return nil, "", &StatusError{URL: u.String(), Status: raw.Status}
	}
	body := raw.Body
	if raw.Header.Get("Content-Encoding") == "" && bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		// Compressed without saying so: the CDX server gzips its answers
		// unless asked not to.
		raw.Header.Set("Content-Encoding", "gzip")
	}
	body, err = a.decodeTransferCompression(raw)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %v", u, err)
	}
	return parseCDXJSON(body)
}

// parseCDXJSON reads the CDX server's JSON output: a header row naming
// the fields, one row per capture, and, when more captures are left, an
// empty row followed by a row holding the resume key. An empty answer
// (no capture at all) is "[]" or nothing.
func parseCDXJSON(body []byte) (rows []cdxRow, resumeKey string, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, "", nil
	}
	var table [][]string
	if err := json.Unmarshal(body, &table); err != nil {
		snippet := string(body[:min(len(body), 120)])
		return nil, "", fmt.Errorf("the CDX server's answer is not the JSON table asked for (%v): %q", err, snippet)
	}
	if len(table) == 0 {
		return nil, "", nil
	}
	col := map[string]int{}
	for i, name := range table[0] {
		col[name] = i
	}
	_, hasKey := col["urlkey"]
	_, hasOrig := col["original"]
	if !hasKey && !hasOrig {
		return nil, "", fmt.Errorf("the CDX server's answer has no header row naming its fields (first row %q)", table[0])
	}
	field := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return r[i]
		}
		return ""
	}
	for i := 1; i < len(table); i++ {
		r := table[i]
		if len(r) == 0 {
			// The end of the rows: the next row, if any, is the resume key.
			if i+1 < len(table) && len(table[i+1]) > 0 {
				resumeKey = table[i+1][0]
			}
			break
		}
		rows = append(rows, cdxRow{
			URLKey:    field(r, "urlkey"),
			Timestamp: field(r, "timestamp"),
			Original:  field(r, "original"),
			Status:    field(r, "statuscode"),
			Digest:    field(r, "digest"),
			Length:    field(r, "length"),
		})
	}
	return rows, resumeKey, nil
}

// ---- playback ----

// captureURL is the raw (id_) playback URL of a capture: the captured
// bytes without the Wayback banner or any rewriting.
func (a *archive) captureURL(timestamp, original string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(a.base.String(), "/") + "/web/" + timestamp + "id_/" + original)
	if err != nil {
		return nil, fmt.Errorf("capture URL of %s at %s: %w", original, timestamp, err)
	}
	return u, nil
}

// capturedPage is a capture fetched in raw mode and checked to be a
// capture of the page asked for.
type capturedPage struct {
	raw      *store.Raw // as stored: the original status, headers and bytes; URL = the capture URL
	original string     // the original URL captured
	at       time.Time  // when it was captured
}

// NotCaptureError says why a capture is not a copy of the document: a
// captured error page or redirect elsewhere, a rewritten (banner) page,
// a page the Archive does not play back. The capture is never tried
// again; another capture of the document may be.
type NotCaptureError struct {
	URL    string
	Status int // HTTP status of the answer (0: none)
	Reason string
	// content: the page itself is wrong (every capture of the same
	// payload digest is rejected with it).
	content bool
}

func (e *NotCaptureError) Error() string {
	return fmt.Sprintf("%s: not a capture of the document: %s", e.URL, e.Reason)
}

// maxCaptureHops bounds the redirects followed from one capture: the
// Archive's own redirect to the nearest capture, then captured redirects
// (http→https, one section path to another).
const maxCaptureHops = 5

// capture fetches the capture of document id taken at timestamp from
// original (timestamp "" or not an exact capture: the nearest one) and
// follows redirects that stay on a capture of the same document. It
// returns a *NotCaptureError when the answer is not the page, and the
// gate's errors otherwise.
func (a *archive) capture(ctx context.Context, timestamp, original string, id int64) (*capturedPage, error) {
	ts, orig := timestamp, original
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		if seen[ts+" "+orig] {
			return nil, &NotCaptureError{URL: orig, Reason: "redirects in a loop"}
		}
		seen[ts+" "+orig] = true
		u, err := a.captureURL(ts, orig)
		if err != nil {
			return nil, &NotCaptureError{URL: orig, Reason: err.Error()}
		}
		a.stats.CaptureRequests.Add(1)
		raw, err := a.get(ctx, a.web, u)
		var se *StatusError
		switch {
		case errors.As(err, &se) && raw != nil && raw.Header.Get("Memento-Datetime") != "":
			return nil, &NotCaptureError{URL: u.String(), Status: se.Status, Reason: fmt.Sprintf("a capture of an HTTP %d answer", se.Status), content: true}
		case errors.As(err, &se) && se.Status == http.StatusNotFound:
			return nil, &NotCaptureError{URL: u.String(), Status: se.Status, Reason: "the Wayback Machine has no such capture (404)"}
		case errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusGone):
			return nil, &NotCaptureError{URL: u.String(), Status: se.Status, Reason: fmt.Sprintf("the Wayback Machine does not play it back (HTTP %d)", se.Status)}
		case err != nil:
			return nil, err
		}
		memento := raw.Header.Get("Memento-Datetime") != ""
		if isRedirect(raw.Status) {
			if hop >= maxCaptureHops {
				return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: fmt.Sprintf("more than %d redirects", maxCaptureHops)}
			}
			nts, norig, why := a.redirectTarget(u, raw, id)
			if why != "" {
				what := "a redirect of the Wayback Machine"
				if memento {
					what = "a captured redirect"
				}
				return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: what + " " + why}
			}
			ts, orig = nts, norig
			continue
		}
		if raw.Status != http.StatusOK {
			return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: fmt.Sprintf("HTTP %d from the Wayback Machine", raw.Status)}
		}
		if !memento {
			return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: "not a raw capture: the answer has no Memento-Datetime"}
		}
		body, err := a.decodeTransferCompression(raw)
		if err != nil {
			return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: err.Error()}
		}
		if why := rewrittenByArchive(body); why != "" {
			return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: "a page rewritten by the Wayback Machine (" + why + "), not the raw capture"}
		}
		at, err := http.ParseTime(raw.Header.Get("Memento-Datetime"))
		if err != nil {
			at, err = time.ParseInLocation(record.WaybackTimestamp, ts, time.UTC)
			if err != nil {
				return nil, &NotCaptureError{URL: u.String(), Status: raw.Status, Reason: "no capture time (Memento-Datetime " + raw.Header.Get("Memento-Datetime") + ")"}
			}
		}
		stored := &store.Raw{
			URL:       u.String(),
			FetchedAt: raw.FetchedAt,
			Proto:     raw.Proto,
			Status:    raw.Status,
			Header:    originalHeaders(raw.Header, len(body)),
			Body:      body,
		}
		return &capturedPage{raw: stored, original: orig, at: at.UTC()}, nil
	}
}

// redirectTarget reads the target of a redirect answered by playback:
// the Archive's own redirect to the nearest capture, or a captured
// redirect, whose Location the Archive rewrites into its /web/ space. It
// is followed only to a capture of the same document (another scheme,
// port, www. or section path); why says what is wrong otherwise.
func (a *archive) redirectTarget(cur *url.URL, raw *store.Raw, id int64) (ts, orig, why string) {
	loc := raw.Header.Get("Location")
	if loc == "" {
		return "", "", "without a Location"
	}
	next, err := cur.Parse(loc)
	if err != nil {
		return "", "", fmt.Sprintf("to an unreadable Location %q", loc)
	}
	if !strings.EqualFold(next.Hostname(), a.base.Hostname()) {
		return "", "", "out of the Wayback Machine, to " + next.String()
	}
	target, at, ok := record.WaybackTarget(next.String())
	if !ok {
		return "", "", "to " + next.String() + ", not a capture"
	}
	tid, ok := kremlin.DocumentID(target)
	if !ok || tid != id || isTabPath(target) {
		return "", "", "to " + target + ", another page"
	}
	return at.Format(record.WaybackTimestamp), target, ""
}

// isTabPath reports a …/photos or …/videos tab page: it carries the
// document's ID but is not the document.
func isTabPath(u string) bool {
	p := u
	if pu, err := url.Parse(u); err == nil {
		p = pu.Path
	}
	p = strings.TrimSuffix(p, "/")
	return strings.HasSuffix(p, "/photos") || strings.HasSuffix(p, "/videos")
}

// isPrintPath reports the …/print variant of a document page.
func isPrintPath(u string) bool {
	p := u
	if pu, err := url.Parse(u); err == nil {
		p = pu.Path
	}
	return strings.HasSuffix(strings.TrimSuffix(p, "/"), "/print")
}

// decodeTransferCompression undoes a Content-Encoding the Archive added
// in transit (we never ask for one, but the CDX server compresses unless
// told not to): the stored body is the page as the site sent it. The
// limit is max_body, counted before anything is allocated (Payload).
func (a *archive) decodeTransferCompression(raw *store.Raw) ([]byte, error) {
	body, err := Payload(raw, a.maxBody)
	if err != nil {
		return nil, fmt.Errorf("answer in Content-Encoding %q that cannot be used: %v", raw.Header.Get("Content-Encoding"), err)
	}
	return body, nil
}

// originalHeaders rebuilds the headers the site sent from a raw
// playback answer: every X-Archive-Orig-<name> becomes <name>, and
// Content-Type, which the Archive passes on as it was captured, is kept.
// The Archive's own headers (Memento-Datetime, Link, X-Archive-Src …) are
// not the site's and are dropped: the capture time and URL are kept in
// the record (captured_at, source_url). Length and encoding headers that
// no longer describe the stored body keep their original value under
// X-Archive-Orig-, as WARC tools expect.
func originalHeaders(h http.Header, bodyLen int) http.Header {
	const prefix = "X-Archive-Orig-"
	out := http.Header{}
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if !strings.HasPrefix(ck, prefix) || len(ck) == len(prefix) {
			continue
		}
		name := http.CanonicalHeaderKey(ck[len(prefix):])
		switch name {
		case "Content-Encoding":
			out[prefix+name] = append(out[prefix+name], vs...)
			continue
		case "Content-Length":
			if len(vs) != 1 || strings.TrimSpace(vs[0]) != strconv.Itoa(bodyLen) {
				out[prefix+name] = append(out[prefix+name], vs...)
				continue
			}
		}
		out[name] = append(out[name], vs...)
	}
	if ct := h.Values("Content-Type"); len(ct) > 0 {
		out["Content-Type"] = append([]string(nil), ct...)
	}
	return out
}

// rewrittenByArchive reports the marks the Wayback Machine leaves in a
// page it has rewritten for viewing (the banner, its scripts, links
// rewritten into /web/): such a page is never the original.
func rewrittenByArchive(body []byte) string {
	head := body
	const window = 64 << 10
	if len(head) > window {
		head = head[:window]
	}
	lower := bytes.ToLower(head)
	for _, m := range []struct{ mark, why string }{
		{"<!-- begin wayback toolbar insert -->", "its toolbar"},
		{"wm-ipp-base", "its toolbar"},
		{"/_static/js/wombat.js", "its replay script"},
		{"/_static/js/bundle-playback.js", "its replay script"},
		{"__wm.init(", "its replay script"},
		{"<!-- end wayback toolbar insert -->", "its toolbar"},
	} {
		if bytes.Contains(lower, []byte(m.mark)) {
			return m.why
		}
	}
	return ""
}
