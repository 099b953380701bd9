package fakesite

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func TestSURTKey(t *testing.T) {
	for in, want := range map[string]string{
		"http://en.kremlin.ru/events/president/news/1":           "ru,kremlin,en)/events/president/news/1",
		"https://en.kremlin.ru:443/events/president/news/1":      "ru,kremlin,en)/events/president/news/1",
		"http://www.kremlin.ru:80/Events/President/news/1/print": "ru,kremlin)/events/president/news/1/print",
		"http://kremlin.ru:8080/x?b=2&a=1":                       "ru,kremlin:8080)/x?a=1&b=2",
		"http://kremlin.ru":                                      "ru,kremlin)/",
	} {
		if got := surtKey(in); got != want {
			t.Errorf("surtKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func testWayback(t *testing.T, o WaybackOptions) (*Wayback, string) {
	t.Helper()
	if o.Sites == nil {
		o.Sites = []*Site{New(Options{N: 300, Seed: 41})}
	}
	wb := NewWayback(o)
	srv := wb.Start()
	t.Cleanup(srv.Close)
	return wb, srv.URL
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(zr)
	}
	return resp, b
}

func cdx(t *testing.T, base string, q url.Values) ([][]string, *http.Response) {
	t.Helper()
	q.Set("output", "json")
	resp, b := get(t, base+"/cdx/search/cdx?"+q.Encode())
	var table [][]string
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf("CDX answer %q: %v", b, err)
	}
	return table, resp
}

// The CDX server: prefix match, filters matching whole fields, adjacent
// collapse, paging with resume keys that covers every row once.
func TestWaybackCDX(t *testing.T) {
	wb, base := testWayback(t, WaybackOptions{Seed: 2})
	all, resp := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"urlkey,timestamp,original,statuscode,digest"}})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Error("CDX answers are gzipped unless gzip=false")
	}
	if all[0][0] != "urlkey" || len(all) < 300 {
		t.Fatalf("header %v, %d rows", all[0], len(all))
	}
	statuses := map[string]int{}
	for _, r := range all[1:] {
		if !strings.HasPrefix(r[0], "ru,kremlin,en)/events/president/news/") {
			t.Fatalf("row outside the prefix: %v", r)
		}
		statuses[r[3]]++
	}
	for _, st := range []string{"200", "301", "403", "404", "500"} {
		if statuses[st] == 0 {
			t.Errorf("no capture with status %s in the plan: %v", st, statuses)
		}
	}

	filtered, _ := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"urlkey,statuscode"},
		"filter": {"statuscode:200", "urlkey:.*/[0-9][0-9]*(/print)?/?"}})
	for _, r := range filtered[1:] {
		if r[1] != "200" || strings.HasSuffix(r[0], "/photos") {
			t.Fatalf("filter let through %v", r)
		}
	}
	if len(filtered) >= len(all) {
		t.Error("the filters removed nothing")
	}
	neg, _ := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"statuscode"}, "filter": {"!statuscode:200"}})
	if len(neg)-1+len(filtered)-1 > len(all)-1 || len(neg) < 2 {
		t.Errorf("negated filter: %d rows", len(neg)-1)
	}
	if part, _ := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "filter": {"statuscode:20"}}); len(part) != 0 {
		t.Errorf("a regex matching part of a field selects rows: %d", len(part))
	}

	collapsed, _ := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"urlkey,digest"}, "collapse": {"urlkey"}})
	keys := map[string]bool{}
	for _, r := range collapsed[1:] {
		if keys[r[0]] {
			t.Fatalf("collapse=urlkey repeats %s", r[0])
		}
		keys[r[0]] = true
	}

	// Paging: 37 rows at a time, every row once, in order.
	var paged [][]string
	resume := ""
	for calls := 0; ; calls++ {
		q := url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"urlkey,timestamp,original,statuscode,digest"}, "limit": {"37"}, "showResumeKey": {"true"}}
		if resume != "" {
			q.Set("resumeKey", resume)
		}
		page, _ := cdx(t, base, q)
		resume = ""
		for i := 1; i < len(page); i++ {
			if len(page[i]) == 0 {
				resume = page[i+1][0]
				break
			}
			paged = append(paged, page[i])
		}
		if resume == "" {
			break
		}
		if calls > 100 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(all[1:]) {
		t.Errorf("paging: %d rows, want the %d rows of one query, in order", len(paged), len(all)-1)
	}

	// from= keeps captures made since.
	recent, _ := cdx(t, base, url.Values{"url": {"en.kremlin.ru/events/president/news/"}, "matchType": {"prefix"}, "fl": {"timestamp"}, "from": {"2026"}})
	for _, r := range recent[1:] {
		if r[0] < "20260101000000" {
			t.Fatalf("from=2026 gave %s", r[0])
		}
	}
	// Plain text and gzip=false.
	resp, b := get(t, base+"/cdx/search/cdx?url=en.kremlin.ru/events/president/news/&matchType=prefix&limit=2&showResumeKey=true&gzip=false")
	if resp.Header.Get("Content-Encoding") != "" || strings.Count(string(b), "\n") != 4 {
		t.Errorf("plain text answer: %q", b)
	}
	_ = wb
}

// Playback: raw captures with the site's headers, the banner without
// id_, the nearest capture for another timestamp, the Archive's 404.
func TestWaybackPlayback(t *testing.T) {
	wb, base := testWayback(t, WaybackOptions{Seed: 3})
	var page, redirect *Capture
	for _, d := range wb.Docs("en") {
		for _, c := range d.Captures {
			switch {
			case c.Kind == CapturePage && page == nil && c.Header.Get("Content-Length") != "":
				page = c
			case c.Kind == CaptureRedirect && redirect == nil:
				redirect = c
			}
		}
	}
	if page == nil || redirect == nil {
		t.Fatal("the plan has no page or redirect capture")
	}
	resp, body := get(t, base+"/web/"+page.Timestamp()+"id_/"+page.URL)
	if resp.StatusCode != 200 || !bytes.Equal(body, page.Bytes()) {
		t.Fatalf("raw capture: %d, %d bytes (want %d)", resp.StatusCode, len(body), len(page.Bytes()))
	}
	if resp.Header.Get("X-Archive-Orig-Server") != "nginx" || resp.Header.Get("X-Archive-Orig-Content-Length") != fmt.Sprint(len(page.Bytes())) ||
		resp.Header.Get("Content-Type") != htmlType || resp.Header.Get("Memento-Datetime") != page.Time.Format(http.TimeFormat) {
		t.Errorf("raw capture headers: %v", resp.Header)
	}
	resp, body = get(t, base+"/web/"+page.Timestamp()+"/"+page.URL)
	if bytes.Equal(body, page.Bytes()) || !bytes.Contains(body, []byte("BEGIN WAYBACK TOOLBAR INSERT")) || !bytes.Contains(body, []byte("/web/"+page.Timestamp()+"/http://en.kremlin.ru")) {
		t.Errorf("without id_: the page is not rewritten with the banner")
	}
	resp, _ = get(t, base+"/web/2001id_/"+page.URL)
	if resp.StatusCode != 302 || !strings.Contains(resp.Header.Get("Location"), "id_/") || !strings.HasPrefix(resp.Header.Get("X-Archive-Redirect-Reason"), "found capture at ") || resp.Header.Get("Memento-Datetime") != "" {
		t.Errorf("inexact timestamp: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, base+"/web/"+redirect.Timestamp()+"id_/"+redirect.URL)
	if resp.StatusCode == 301 {
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/web/"+redirect.Timestamp()+"id_/"+redirect.Location) {
			t.Errorf("captured redirect Location %q not rewritten into /web/", loc)
		}
	} else if resp.StatusCode != 302 {
		// A redirect to itself (http → https) is skipped for the nearest capture.
		t.Errorf("captured redirect: %d", resp.StatusCode)
	}
	resp, body = get(t, base+"/web/20200101000000id_/http://en.kremlin.ru/nothing/here")
	if resp.StatusCode != 404 || !bytes.Contains(body, []byte("Wayback Machine")) {
		t.Errorf("never captured: %d %q", resp.StatusCode, body)
	}
	if got := wb.CaptureAt(base + "/web/" + page.Timestamp() + "id_/" + page.URL); got != page {
		t.Errorf("CaptureAt: %v", got)
	}
}

// 429s: every n-th request, with Retry-After; requests made before the
// pause ends are counted.
func TestWayback429(t *testing.T) {
	wb, base := testWayback(t, WaybackOptions{Seed: 4, Limits: WaybackLimits{CDXEvery: 2, RetryAfter: 2 * time.Second}})
	u := base + "/cdx/search/cdx?url=en.kremlin.ru/&matchType=prefix&limit=1&output=json"
	r1, _ := get(t, u)
	r2, _ := get(t, u)
	r3, _ := get(t, u)
	if r1.StatusCode != 200 || r2.StatusCode != 429 || r2.Header.Get("Retry-After") != "2" || r3.StatusCode != 200 {
		t.Errorf("statuses %d %d (Retry-After %q) %d", r1.StatusCode, r2.StatusCode, r2.Header.Get("Retry-After"), r3.StatusCode)
	}
	if n := wb.PauseViolations(); n != 1 {
		t.Errorf("%d requests counted during the pause, want 1", n)
	}
	if wb.Throttled() != 1 || wb.CDXCalls() != 3 {
		t.Errorf("throttled %d, CDX calls %d", wb.Throttled(), wb.CDXCalls())
	}
}

// The plan is deterministic and its truth agrees with the site: the
// newest content of a document is what the site serves.
func TestWaybackPlan(t *testing.T) {
	site := New(Options{N: 300, Seed: 41})
	a := NewWayback(WaybackOptions{Sites: []*Site{site}, Seed: 9})
	b := NewWayback(WaybackOptions{Sites: []*Site{site}, Seed: 9})
	kinds := map[string]int{}
	edited, never, onlyBad := 0, 0, 0
	for i, d := range a.Docs("en") {
		e := b.Docs("en")[i]
		if len(d.Captures) != len(e.Captures) {
			t.Fatalf("%d: plans differ", d.ID)
		}
		for j, c := range d.Captures {
			kinds[c.Kind]++
			if c.Digest() != e.Captures[j].Digest() {
				t.Fatalf("%d: plans differ", d.ID)
			}
		}
		switch {
		case len(d.Captures) == 0:
			never++
		case !d.Archivable:
			onlyBad++
		case len(d.Versions) > 1:
			edited++
			want, _ := site.Expected(d.ID)
			if !record.SameContent(&d.Versions[len(d.Versions)-1], &want) {
				t.Errorf("%d: the last content is not the site's", d.ID)
			}
		}
	}
	for _, k := range []string{CapturePage, CapturePrint, CaptureError, CaptureAntiBot, CaptureRedirect, CaptureWrongDoc} {
		if kinds[k] == 0 {
			t.Errorf("no %s capture in a plan of 300 documents: %v", k, kinds)
		}
	}
	if edited == 0 || never == 0 || onlyBad == 0 {
		t.Errorf("edited %d, never captured %d, only bad captures %d", edited, never, onlyBad)
	}
}
