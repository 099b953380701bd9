package fakesite

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testUA = "kremlin-archive-test/1.0 (+https://example.org)"

// noRedirect is a client that reports redirects instead of following them.
func client() *http.Client {
	return &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: false},
	}
}

func fetch(t *testing.T, c *http.Client, u string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("User-Agent", testUA)
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func mustFetch(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	resp, b, err := fetch(t, c, u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, b
}

func TestHTTPBasics(t *testing.T) {
	s := New(Options{N: 60, Seed: 31})
	srv := s.Start()
	defer srv.Close()
	c := client()
	id := s.IDs("news")[0]

	resp, body := mustFetch(t, c, srv.URL+docPath("news", id))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %q for %d bytes", cl, len(body))
	}
	if resp.Request.URL.Scheme != "http" {
		t.Error("redirected away from http")
	}

	// /d/<id> redirects to the canonical path
	resp, _ = mustFetch(t, c, srv.URL+"/d/"+itoa(id))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != docPath("news", id) {
		t.Errorf("/d/: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// ?page=N is ignored
	_, p1 := mustFetch(t, c, srv.URL+"/events/president/news")
	_, pq := mustFetch(t, c, srv.URL+"/events/president/news?page=3")
	if !bytes.Equal(p1, pq) {
		t.Error("?page=3 differs from page 1")
	}
	// unknown paths → site 404 page
	for _, p := range []string{"/nope", "/events/president/news/12345678", "/events/president/news/page/999", "/events/president/news/abc", "/d/99999999"} {
		resp, body := mustFetch(t, c, srv.URL+p)
		if resp.StatusCode != 404 || !bytes.Contains(body, []byte("Page not found")) {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	// a news-only doc is not served under transcripts
	for _, d := range s.Docs() {
		if !d.InSection("transcripts") {
			resp, _ := mustFetch(t, c, srv.URL+docPath("transcripts", d.ID))
			if resp.StatusCode != 404 {
				t.Errorf("news-only %d under transcripts: %d", d.ID, resp.StatusCode)
			}
			break
		}
	}
	// HEAD
	req, _ := http.NewRequest("HEAD", srv.URL+docPath("news", id), nil)
	req.Header.Set("User-Agent", testUA)
	hr, err := c.Do(req)
	if err != nil || hr.StatusCode != 200 || hr.ContentLength <= 0 {
		t.Errorf("HEAD: %v %v", hr, err)
	}
	// POST
	pr, _ := http.NewRequest("POST", srv.URL+"/", nil)
	pr.Header.Set("User-Agent", testUA)
	if r, err := c.Do(pr); err != nil || r.StatusCode != 405 {
		t.Errorf("POST: %v %v", r, err)
	}
	// no User-Agent → 403
	nr, _ := http.NewRequest("GET", srv.URL+"/events/president/news", nil)
	nr.Header.Set("User-Agent", "")
	if r, err := c.Do(nr); err != nil || r.StatusCode != 403 {
		t.Errorf("empty UA: %v %v", r, err)
	}
	// robots.txt
	resp, body = mustFetch(t, c, srv.URL+"/robots.txt")
	if resp.StatusCode != 200 || string(body) != DefaultRobots || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("robots: %d %q", resp.StatusCode, body)
	}
}

func TestMutations(t *testing.T) {
	s := New(Options{N: 40, Seed: 32})
	srv := s.Start()
	defer srv.Close()
	c := client()
	id := s.IDs("news")[5]
	before, _ := s.Doc(id)

	ok := s.Update(id, func(d *Doc) {
		d.Paragraphs = append(d.Paragraphs, Para{Kind: ParaText, Text: "A correction was made."})
	})
	if !ok {
		t.Fatal("Update failed")
	}
	after, _ := s.Doc(id)
	if !after.Updated.After(before.Updated) || after.Updated.Format("2006-01-02") == before.Updated.Format("2006-01-02") {
		t.Fatalf("Updated %s → %s: date must change", before.Updated, after.Updated)
	}
	_, body := mustFetch(t, c, srv.URL+docPath("news", id))
	got, _ := parseDoc(body, LangEN, RealBaseEN)
	if !strings.HasSuffix(got.Text, "A correction was made.") {
		t.Error("updated text not served")
	}
	if want := Expected(after); got.Updated == nil || *got.Updated != *want.Updated {
		t.Errorf("page updated %v want %v", got.Updated, *want.Updated)
	}
	_, lb := mustFetch(t, c, srv.URL+"/events/president/news")
	pl, _ := parseListing(lb)
	found := false
	for _, it := range pl.items {
		if it.id == id {
			found = true
			if it.updated != after.Updated.Format("2006-01-02") {
				t.Errorf("listing span.updated %q want %s", it.updated, after.Updated.Format("2006-01-02"))
			}
		}
	}
	if !found {
		t.Fatal("updated doc not on page 1")
	}

	if !s.Remove(id) {
		t.Fatal("Remove failed")
	}
	if resp, _ := mustFetch(t, c, srv.URL+docPath("news", id)); resp.StatusCode != 404 {
		t.Errorf("removed doc: %d", resp.StatusCode)
	}
	for _, x := range s.IDs("news") {
		if x == id {
			t.Fatal("removed doc still listed")
		}
	}
	if s.Update(id, func(*Doc) {}) || s.Remove(id) {
		t.Error("mutating a missing doc reported success")
	}
}

func TestTwoHosts(t *testing.T) {
	p := StartPair(30, 45, 20, 33, func(o *Options) { o.PerPage = 10 })
	defer p.Close()
	c := client()
	ruOnly := int64(0)
	for _, d := range p.RU.Docs() {
		if _, ok := p.EN.Doc(d.ID); !ok {
			ruOnly = d.ID
			break
		}
	}
	if ruOnly == 0 {
		t.Fatal("no RU-only id")
	}
	d, _ := p.RU.Doc(ruOnly)
	if resp, _ := mustFetch(t, c, p.RUServer.URL+docPath(d.Canonical(), ruOnly)); resp.StatusCode != 200 {
		t.Errorf("RU doc on RU host: %d", resp.StatusCode)
	}
	if resp, _ := mustFetch(t, c, p.ENServer.URL+docPath(d.Canonical(), ruOnly)); resp.StatusCode != 404 {
		t.Errorf("RU-only doc on EN host: %d", resp.StatusCode)
	}
	if p.EN.PerPage() != 10 || p.RU.Lang() != LangRU {
		t.Error("configure not applied")
	}
	// shared id: both hosts serve it, in their own language
	for _, e := range p.EN.Docs() {
		if _, ok := p.RU.Doc(e.ID); ok {
			_, eb := mustFetch(t, c, p.ENServer.URL+docPath(e.Canonical(), e.ID))
			_, rb := mustFetch(t, c, p.RUServer.URL+docPath(e.Canonical(), e.ID))
			if !bytes.Contains(eb, []byte(`lang="en"`)) || !bytes.Contains(rb, []byte(`lang="ru"`)) {
				t.Error("wrong language served")
			}
			break
		}
	}

	// one server for both hosts, used as a forward proxy
	proxy := httptest.NewServer(HostHandler(p.EN, p.RU))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	pc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	p.EN.WaitIdle(time.Second)
	p.EN.ResetLog()
	resp, body := mustFetch(t, pc, "http://en.kremlin.ru/events/president/news")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("lister-page")) {
		t.Fatalf("via proxy: %d", resp.StatusCode)
	}
	resp, _ = mustFetch(t, pc, "http://kremlin.ru"+docPath(d.Canonical(), ruOnly))
	if resp.StatusCode != 200 {
		t.Errorf("RU via proxy: %d", resp.StatusCode)
	}
	p.EN.WaitIdle(time.Second)
	reqs := p.EN.Requests()
	if len(reqs) != 1 || !reqs[0].Proxy.AbsoluteURI || reqs[0].Host != "en.kremlin.ru" {
		t.Errorf("proxy hints not logged: %+v", reqs)
	}
}
