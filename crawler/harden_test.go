package crawler

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// Issue 10 defect 3: every encoded body is decoded within a limit.
func TestPayload(t *testing.T) {
	page := bytes.Repeat([]byte("<p>text</p>"), 1000)
	var zl, fl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(page)
	zw.Close()
	fw, _ := flate.NewWriter(&fl, flate.DefaultCompression)
	fw.Write(page)
	fw.Close()
	zs, _ := zstd.NewWriter(nil)
	zst := zs.EncodeAll(page, nil)
	bomb := gz(make([]byte, 8<<20))
	cut := gz(page)
	cut = cut[:len(cut)/2]
	const limit = 1 << 20
	for _, tc := range []struct {
		name, enc string
		body      []byte
		want      []byte
		err       string // substring of the error; "" = none
		tooLarge  bool
	}{
		{"identity", "", page, page, "", false},
		{"identity header", "identity", page, page, "", false},
		{"gzip", "gzip", gz(page), page, "", false},
		{"x-gzip, any case", " X-GZIP ", gz(page), page, "", false},
		{"twice", "gzip, gzip", gz(gz(page)), page, "", false},
		{"deflate (zlib)", "deflate", zl.Bytes(), page, "", false},
		{"deflate (raw)", "deflate", fl.Bytes(), page, "", false},
		{"zstd", "zstd", zst, page, "", false},
		{"bomb", "gzip", bomb, nil, "max_body", true},
		{"plain too large", "", make([]byte, limit+1), nil, "max_body", true},
		{"not gzip", "gzip", page, nil, "not gzip", false},
		{"cut short", "gzip", cut, nil, "cut short", false},
		{"brotli", "br", page, nil, "unsupported", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := &store.Raw{URL: "http://h/x", Header: http.Header{}, Body: tc.body}
			if tc.enc != "" {
				raw.Header.Set("Content-Encoding", tc.enc)
			}
			got, err := Payload(raw, limit)
			if tc.err == "" {
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("Payload = %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || got != nil {
				t.Fatalf("Payload = %d bytes, %v; want an error with %q", len(got), err, tc.err)
			}
			var tl *TooLargeError
			if errors.As(err, &tl) != tc.tooLarge {
				t.Errorf("TooLargeError: %v, want %v", errors.As(err, &tl), tc.tooLarge)
			}
			if !bytes.Equal(raw.Body, tc.body) {
				t.Error("the raw body was changed")
			}
		})
	}
}

// Issue 10 defect 3: colly never inflates a response. A 256 MiB gzip
// bomb is fetched as its compressed bytes, allocating a small multiple of
// them (colly used to inflate it whole, with no limit).
func TestFetch_BombNotInflated(t *testing.T) {
	bomb := gz(make([]byte, 256<<20))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/html")
		w.Write(bomb)
	}))
	defer srv.Close()
	o := testOptions()
	o.MaxBody = 32 << 20
	g := testGate(t, srv.URL, o, nil, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/bomb"))
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(raw.Body, bomb) {
		t.Fatalf("get = %v; want the compressed bytes as sent", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("fetching a %d-byte bomb allocated %d MiB: something inflated it", len(bomb), alloc>>20)
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Payload(raw, o.MaxBody)
	runtime.ReadMemStats(&after)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("Payload of the bomb: %v", err)
	}
	// The bomb is refused by counting, before any buffer is made for it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("decoding the bomb allocated %d KiB", alloc>>10)
	}
}

// Issue 10 defect 2: a proxy's own answer is never the site's.
func TestProxyAnswersAreNetworkErrors(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow:\n")
		case "/squid":
			w.Header().Set("X-Squid-Error", "ERR_CONNECT_FAIL 111")
			w.WriteHeader(503)
		case "/503":
			w.WriteHeader(503)
		default:
			fmt.Fprint(w, "page")
		}
	}))
	defer site.Close()
	tlsSite := httptest.NewTLSServer(site.Config.Handler)
	defer tlsSite.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadProxy := "http://u:secret@" + closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name     string
		auth     string // the proxy wants these credentials
		status   int    // the proxy answers everything itself
		proxyURL func(p *fakesite.HTTPProxy) string
		target   string // the site's base URL
		path     string
		wantSt   int    // ProxyError.Status; -1: no ProxyError
		cause    string // in netCause / UnreachableError
		stopped  bool   // the host is given up at once
	}{
		{"407 forward", "u:right", 0, func(p *fakesite.HTTPProxy) string { return p.URL }, site.URL, "/a", 407, "answered 407", true},
		{"407 CONNECT", "u:right", 0, func(p *fakesite.HTTPProxy) string { return p.URL }, tlsSite.URL, "/a", 407, "answered 407", true},
		{"407 wrong password", "u:right", 0, func(p *fakesite.HTTPProxy) string { return strings.Replace(p.URL, "//", "//u:secret@", 1) }, site.URL, "/a", 407, "u:xxxxx@", true},
		{"502 of the proxy", "", 502, func(p *fakesite.HTTPProxy) string { return p.URL }, site.URL, "/a", 502, "answered 502", false},
		{"proxy down", "", 0, func(*fakesite.HTTPProxy) string { return deadProxy }, site.URL, "/a", 0, "cannot be reached", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hp := fakesite.StartHTTPProxy()
			hp.Auth, hp.Status = tc.auth, tc.status
			defer hp.Close()
			o := testOptions()
			o.Proxy = tc.proxyURL(hp)
			o.Retries = 1
			db := openTestDB(t)
			g := testGate(t, tc.target, o, db, 0)
			_, err := g.get(context.Background(), mustURL(t, tc.target+tc.path))
			var pe *ProxyError
			if !errors.As(err, &pe) || pe.Status != tc.wantSt {
				t.Fatalf("get = %v; want a ProxyError with status %d", err, tc.wantSt)
			}
			var ue *UnreachableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrUnavailable) {
				t.Fatalf("get = %v; want the host unreachable (not refusing)", err)
			}
			if !strings.Contains(ue.Cause, "the proxy") || !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("error %q (cause %q) does not name the proxy's failure %q", err, ue.Cause, tc.cause)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the password is in the error: %v", err)
			}
			if tc.stopped && hp.Answered.Load() != 1 {
				t.Errorf("the proxy was asked %d times; a 407 must stop the host at once", hp.Answered.Load())
			}
			hs, _ := db.HostState(g.host)
			if hs.Robots != nil || !hs.CooldownUntil.IsZero() {
				t.Errorf("stored robots %+v, cool-down %v: the proxy's answer was taken for the site's", hs.Robots, hs.CooldownUntil)
			}
		})
	}

	// The site's own answers through a proxy stay the site's.
	hp := fakesite.StartHTTPProxy()
	defer hp.Close()
	o := testOptions()
	o.Proxy = hp.URL
	o.Retries = 0
	g := testGate(t, site.URL, o, nil, 0)
	_, err := g.get(context.Background(), mustURL(t, site.URL+"/503"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("the site's 503 through a proxy: %v", err)
	}
	_, err = g.get(context.Background(), mustURL(t, site.URL+"/squid"))
	var pe *ProxyError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "ERR_CONNECT_FAIL") {
		t.Errorf("an answer marked as Squid's error: %v", err)
	}
}

// Issue 10 defect 4: a redirect to https:// on the same host where TLS
// fails is the failure of that document: the host goes on, and its own
// robots.txt stays the one stored.
func TestGate_ForeignOriginFailureIsTheDocuments(t *testing.T) {
	var srvURL string
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
		case "/moved", "/moved2":
			http.Redirect(w, r, strings.Replace(srvURL, "http://", "https://", 1)+r.URL.Path, http.StatusFound)
		default:
			fmt.Fprint(w, "page")
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	db := openTestDB(t)
	o := testOptions()
	o.Retries = 1
	g := testGate(t, srv.URL, o, db, 0)
	g.hostScope([]Site{{Lang: "en", Base: mustURL(t, srv.URL)}})
	for i := 0; i < 8*failStreakLimit; i++ {
		path := []string{"/moved", "/moved2"}[i%2]
		_, err := g.get(context.Background(), mustURL(t, srv.URL+path))
		var oe *OriginError
		if !errors.As(err, &oe) || hostStopped(err) || !strings.Contains(err.Error(), "redirected to https://") {
			t.Fatalf("get %s #%d = %v; want the document's OriginError naming the redirect", path, i, err)
		}
	}
	if g.refused != nil {
		t.Fatalf("the host was given up: %v", g.refused)
	}
	raw, err := g.get(context.Background(), mustURL(t, srv.URL+"/fine"))
	if err != nil || string(raw.Body) != "page" {
		t.Fatalf("the next document: %v", err)
	}
	if _, err := g.get(context.Background(), mustURL(t, srv.URL+"/private/x")); !errors.Is(err, ErrDisallowed) {
		t.Errorf("the host's robots.txt no longer applies: %v", err)
	}
	hs, _ := db.HostState(g.host)
	if hs.Robots == nil || hs.Robots.URL != srv.URL+"/robots.txt" {
		t.Errorf("stored robots.txt %+v, want the host's own", hs.Robots)
	}
	if n := h.get("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times", n)
	}
}

// Issue 10 defect 5: where a walk ends.
func TestWalkEnd(t *testing.T) {
	items := func(ids ...int64) []kremlin.ListItem {
		var out []kremlin.ListItem
		for _, id := range ids {
			out = append(out, kremlin.ListItem{ID: id})
		}
		return out
	}
	seen := &idSet{}
	steps := []struct {
		lst  kremlin.Listing
		p    int
		want string // substring; "" = the walk goes on
	}{
		{kremlin.Listing{Items: items(1, 2), Next: "/p/2"}, 1, ""},
		{kremlin.Listing{Items: items(2, 3), Next: "/p/3"}, 2, ""}, // shifted by one: 3 is new
		{kremlin.Listing{Items: items(3, 2), Next: "/p/4"}, 3, "repeats itself"},
		{kremlin.Listing{Items: items(9), Next: "/p/5", Pages: 4}, 4, "declares 4 pages"},
		{kremlin.Listing{Items: items(10)}, 5, "no next page"},
	}
	for i, s := range steps {
		got := walkEnd(&s.lst, s.p, seen)
		if (s.want == "") != (got == "") || !strings.Contains(got, s.want) {
			t.Errorf("step %d: walkEnd = %q, want %q", i, got, s.want)
		}
	}
}

func TestIDSet(t *testing.T) {
	var s idSet
	ids := []int64{0, 1, 63, 64, 65, 127, 128, 71326, 1 << 40, -1, -64, -65}
	for _, id := range ids {
		if !s.add(id) {
			t.Errorf("add(%d) the first time: reported present", id)
		}
	}
	for _, id := range ids {
		if s.add(id) {
			t.Errorf("add(%d) again: reported new", id)
		}
	}
	for _, id := range []int64{2, 62, 66, 71325, 71327, 1<<40 + 1, -2, -63, -66} {
		if !s.add(id) {
			t.Errorf("add(%d): a neighbour of a member reported present", id)
		}
	}
	if n := len(s.words); n > 12 {
		t.Errorf("%d words for 21 IDs in 7 64-ID windows", n)
	}
}
