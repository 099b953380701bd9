package fakesite

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestListingQuirks(t *testing.T) {
	s := New(Options{N: 50, Seed: 3, Sections: []string{"news"}})
	last := s.Pages("news")
	id := s.IDs("news")[0]
	for _, tc := range []struct {
		name   string
		q      ListingQuirks
		page   int
		status int
		has    []string
		hasNot []string
	}{
		{"normal end", ListingQuirks{}, last, 200, []string{`data-page="3"`}, []string{`rel="next"`}},
		{"normal past the end", ListingQuirks{}, last + 1, 404, nil, nil},
		{"no data-page", ListingQuirks{NoDataPage: true}, 2, 200, []string{`rel="next"`}, []string{"data-page=", "data-pages=", `rel="last"`, `rel="first"`}},
		{"repeat last", ListingQuirks{Endless: EndlessRepeatLast}, last + 5, 200, []string{`rel="next"`, `/page/9"`}, nil},
		{"same page", ListingQuirks{Endless: EndlessSamePage}, 7, 200, []string{`rel="next"`, `data-id="` + itoa(id) + `"`}, nil},
		{"odd item", ListingQuirks{Items: map[int64]OddItem{id: {Href: "/events/president/news/ 1 ", DataID: " 1 "}}}, 1, 200,
			[]string{`href="/events/president/news/ 1 "`, `data-id=" 1 "`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.SetListingQuirks(tc.q)
			body, st := s.Page("/events/president/news/page/" + itoa(int64(tc.page)))
			if tc.page == 1 {
				body, st = s.Page("/events/president/news")
			}
			if st != tc.status {
				t.Fatalf("status %d, want %d", st, tc.status)
			}
			for _, w := range tc.has {
				if !bytes.Contains(body, []byte(w)) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, w := range tc.hasNot {
				if bytes.Contains(body, []byte(w)) {
					t.Errorf("page has %s", w)
				}
			}
		})
	}
	if q, err := ParseQuirks("no-data-page, endless=same-page"); err != nil || !q.NoDataPage || q.Endless != EndlessSamePage {
		t.Errorf("ParseQuirks = %+v, %v", q, err)
	}
	if _, err := ParseQuirks("endless"); err == nil {
		t.Error("ParseQuirks accepted a bad quirk")
	}
}

func TestHostileFaults(t *testing.T) {
	f, err := ParseFaults("gzip-bomb=1,bomb-bytes=1048576,match=^/events/president/news/[0-9]+$")
	if err != nil || f.BombBytes != 1<<20 || f.Match == nil || !f.Match("/events/president/news/5") || f.Match("/events/president/news") {
		t.Fatalf("ParseFaults = %+v, %v", f, err)
	}
	s := New(Options{N: 5, Seed: 3, Faults: f})
	srv := s.Start()
	defer srv.Close()
	id := s.IDs("news")[0]
	tr := &http.Transport{DisableCompression: true}
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("User-Agent", "test")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/events/president/news/" + itoa(id))
	wire, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := gzip.NewReader(bytes.NewReader(wire))
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("bomb: %v, Content-Encoding %q", err, resp.Header.Get("Content-Encoding"))
	}
	n, _ := io.Copy(io.Discard, zr)
	if n != 1<<20 || len(wire) > 8<<10 {
		t.Errorf("bomb: %d bytes inflating to %d, want a few KB inflating to 1 MiB", len(wire), n)
	}
	s.ForcePath("/events/president/news/"+itoa(id), Fault{Kind: FaultRedirectHTTPS}, 1)
	resp = get("/events/president/news/" + itoa(id))
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.HasPrefix(loc, "https://"+srv.Listener.Addr().String()+"/events/") {
		t.Errorf("redirect-https: %d Location %q", resp.StatusCode, loc)
	}
}
