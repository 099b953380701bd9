package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/cmd/kremlin-archive/web"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
	. "github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

const (
	putin      = record.HeadOfStateKey
	lukashenko = "persons/90"
	hostile    = `<script>alert("x")</script> 'quoted' "dq" ` + "\u202eevil\u200f"
)

func keys(ks ...string) []*string {
	var out []*string
	for _, k := range ks {
		out = append(out, record.Str(k))
	}
	return out
}

var docs = []Doc{
	{Lang: "en", ID: 100, Title: "Talks with Alexander Lukashenko", Date: "2014-03-05", Time: "15:30", Place: "Sochi",
		Sections: []string{"News", "Transcripts"}, ListedIn: []string{"news", "transcripts"},
		Lead:    "The presidents discussed economic cooperation.",
		Tags:    map[string][]string{"persons": {"Lukashenko Alexander"}, "geography": {"Belarus"}},
		TagKeys: map[string][]*string{"persons": keys(lukashenko), "geography": keys("countries/BY")},
		Turns: []record.Turn{
			Turn("President of Russia Vladimir Putin", putin, "We discussed the sanctions imposed on our countries."),
			Turn("President of Belarus Alexander Lukashenko", lukashenko, "Economic cooperation with Russia is growing.\n\nThe sanctions hurt everybody."),
		}},
	{Lang: "ru", ID: 100, Title: "Переговоры с Александром Лукашенко", Date: "2014-03-05", Place: "Сочи",
		Sections: []string{"Новости"}, Tags: map[string][]string{"persons": {"Лукашенко Александр"}},
		TagKeys: map[string][]*string{"persons": keys(lukashenko)},
		Turns: []record.Turn{
			Turn("В.Путин", putin, "Мы обсудили санкции против наших стран."),
			Turn("А.Лукашенко", lukashenko, "Экономическое сотрудничество растёт."),
		}},
	{Lang: "en", ID: 103, Title: hostile + " alert", Date: "2017-02-02", Place: hostile,
		Sections: []string{hostile}, Lead: hostile + " lead",
		Tags:    map[string][]string{"persons": {hostile}, "topics": {`"><img src=x onerror=alert(1)>`}},
		TagKeys: map[string][]*string{"persons": keys(`persons/1"><script>`), "topics": {nil}},
		Turns:   []record.Turn{Turn(hostile, "", "Speech with <b>alert</b> & <i>markup</i> "+hostile)},
		Body:    `<html><head><script src="http://evil.example/x.js"></script><link rel="stylesheet" href="http://evil.example/s.css"></head><body><img src="http://evil.example/i.png"><script>alert(1)</script>` + hostile + `</body></html>`},
}

type fixture struct {
	url  string
	path string
	ix   *search.Index
}

func setup(t *testing.T, open func(path string) search.Opener) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kremlin.db")
	if err := WriteArchive(path, docs...); err != nil {
		t.Fatal(err)
	}
	ro := func() (*store.DB, error) { return store.Open(path, &store.Options{ReadOnly: true}) }
	ix, err := search.Open(search.DefaultDir(path), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Update(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	h := &web.Holder{}
	h.Swap(ix)
	o := search.Opener(ro)
	if open != nil {
		o = open(path)
	}
	srv, err := web.New(web.Config{Index: h, Open: o})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{url: ts.URL, path: path, ix: ix}
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestAPISearch(t *testing.T) {
	f := setup(t, nil)
	for _, tc := range []struct {
		name   string
		query  string
		status int
		hits   []string // id/lang/speaker of each hit
		check  func(t *testing.T, m map[string]any)
	}{
		{"phrase", `q=%22economic+cooperation%22`, 200, []string{"100/en/President of Belarus Alexander Lukashenko"}, func(t *testing.T, m map[string]any) {
			h := m["hits"].([]any)[0].(map[string]any)
			if h["snippet"] != "<mark>Economic</mark> <mark>cooperation</mark> with Russia is growing." {
				t.Errorf("snippet %q", h["snippet"])
			}
			if h["title"] != "Talks with Alexander Lukashenko" || h["date"] != "2014-03-05" || h["url"] != "http://en.kremlin.ru/events/president/news/100" {
				t.Errorf("hit %v", h)
			}
			f := m["facets"].(map[string]any)
			if p := f["persons"].([]any); len(p) != 1 || p[0].(map[string]any)["value"] != lukashenko {
				t.Errorf("persons facet %v", p)
			}
		}},
		{"russian morphology", "q=" + url.QueryEscape("санкциями"), 200, []string{"100/ru/В.Путин"}, nil},
		{"speaker filter is turn-level", "q=sanctions&speaker=" + url.QueryEscape(lukashenko), 200,
			[]string{"100/en/President of Belarus Alexander Lukashenko"}, func(t *testing.T, m map[string]any) {
				if m["turns"] != true {
					t.Errorf("turns = %v", m["turns"])
				}
			}},
		{"speaker filter excludes the other speaker", "q=discussed&speaker=" + url.QueryEscape(lukashenko), 200, nil, nil},
		{"filters", "q=cooperation&lang=en&from=2014-01-01&to=2014-12-31&tag=countries%2FBY&place=Sochi&section=transcripts&sort=date", 200,
			[]string{"100/en/President of Belarus Alexander Lukashenko"}, nil},
		{"no facets", "q=cooperation&facets=0&limit=1", 200, []string{"100/en/President of Belarus Alexander Lukashenko"}, func(t *testing.T, m map[string]any) {
			if len(m["facets"].(map[string]any)) != 0 || m["limit"].(float64) != 1 {
				t.Errorf("facets %v limit %v", m["facets"], m["limit"])
			}
		}},
		{"bad language", "q=x&lang=de", 400, nil, nil},
		{"bad date", "q=x&from=yesterday", 400, nil, nil},
		{"bad limit", "q=x&limit=many", 400, nil, nil},
		{"bad sort", "q=x&sort=random", 400, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, f.url+"/api/search?"+tc.query)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			if tc.status != 200 {
				if m["error"] == "" || m["error"] == nil {
					t.Errorf("no error message: %s", body)
				}
				return
			}
			for _, k := range []string{"total", "took_ms", "hits", "facets"} {
				if _, ok := m[k]; !ok {
					t.Errorf("no %q in %s", k, body)
				}
			}
			var got []string
			for _, h := range m["hits"].([]any) {
				h := h.(map[string]any)
				for _, k := range []string{"id", "lang", "title", "date", "url", "speaker", "snippet"} {
					if _, ok := h[k]; !ok {
						t.Errorf("hit without %q: %v", k, h)
					}
				}
				got = append(got, strings.Join([]string{jsonNum(h["id"]), h["lang"].(string), h["speaker"].(string)}, "/"))
			}
			if !reflect.DeepEqual(got, tc.hits) && !(len(got) == 0 && len(tc.hits) == 0) {
				t.Errorf("hits %v, want %v", got, tc.hits)
			}
			if int(m["total"].(float64)) != len(tc.hits) && !strings.Contains(tc.query, "limit") {
				t.Errorf("total %v, want %d", m["total"], len(tc.hits))
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// exported returns the record `export` writes for lang/id.
func exported(t *testing.T, path, lang string, id int64) map[string]any {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out map[string]any
	err = db.Scan(store.Filter{Lang: lang, IDs: []int64{id}}, func(d *store.Doc, r *record.Record) error {
		b, err := record.Marshal(r)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &out)
	})
	if err != nil || out == nil {
		t.Fatalf("scan %s/%d: %v", lang, id, err)
	}
	return out
}

func TestAPIDoc(t *testing.T) {
	f := setup(t, nil)
	for _, ref := range []struct {
		lang string
		id   int64
	}{{"en", 100}, {"ru", 100}, {"en", 103}} {
		resp, body := get(t, f.url+"/api/doc/"+ref.lang+"/"+jsonNum(ref.id))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if want := exported(t, f.path, ref.lang, ref.id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s/%d:\n got %v\nwant %v", ref.lang, ref.id, got, want)
		}
		if resp.Header.Get("X-Kremlin-Copy") != "" {
			t.Errorf("X-Kremlin-Copy set when the archive was readable")
		}
	}
	for _, u := range []string{"/api/doc/en/999", "/api/doc/de/100", "/api/doc/en/x", "/api/doc/en/100?version=7"} {
		if resp, body := get(t, f.url+u); resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Errorf("%s: status %d: %s", u, resp.StatusCode, body)
		}
	}
}

// While a crawl holds the archive, documents come from the index and
// searches keep working; pages that need the archive answer 503.
func TestArchiveBusy(t *testing.T) {
	f := setup(t, func(string) search.Opener {
		return func() (*store.DB, error) { return nil, store.ErrLocked }
	})
	resp, body := get(t, f.url+"/api/doc/en/100")
	if resp.StatusCode != 200 || resp.Header.Get("X-Kremlin-Copy") != "index" {
		t.Fatalf("status %d copy %q: %s", resp.StatusCode, resp.Header.Get("X-Kremlin-Copy"), body)
	}
	var got map[string]any
	json.Unmarshal([]byte(body), &got)
	if got["title"] != "Talks with Alexander Lukashenko" || got["version"].(float64) != 1 {
		t.Errorf("indexed copy %v", got)
	}
	resp, body = get(t, f.url+"/doc/en/100")
	if resp.StatusCode != 200 || !strings.Contains(body, "indexed copy") || !strings.Contains(body, "The sanctions hurt everybody.") {
		t.Errorf("document page while busy: %d\n%s", resp.StatusCode, body)
	}
	for _, u := range []string{"/doc/en/100/raw", "/raw/en/100/1", "/doc/en/100/versions"} {
		resp, _ := get(t, f.url+u)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q", u, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := get(t, f.url+"/api/search?q=sanctions"); resp.StatusCode != 200 {
		t.Errorf("search while busy: %d", resp.StatusCode)
	}
}

func TestAPISpeakers(t *testing.T) {
	f := setup(t, nil)
	resp, body := get(t, f.url+"/api/speakers")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode, body)
	}
	var m struct {
		Total    int              `json:"total"`
		Speakers []search.Speaker `json:"speakers"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Total != 3 || len(m.Speakers) != 3 {
		t.Fatalf("speakers %+v", m)
	}
	byKey := map[string]search.Speaker{}
	for _, s := range m.Speakers {
		byKey[s.Key] = s
	}
	if s := byKey[putin]; s.Turns != 2 || len(s.Labels) != 2 {
		t.Errorf("putin %+v", s)
	}
	if s := byKey["label:"+strings.Join(strings.Fields(strings.ToLower(hostile)), " ")]; s.Turns != 1 || s.Name != hostile {
		t.Errorf("unresolved speaker grouped by label: %+v", byKey)
	}
	_, body = get(t, f.url+"/api/speakers?lang=ru&name=лукаш")
	if !strings.Contains(body, `"total": 1`) || !strings.Contains(body, "А.Лукашенко") {
		t.Errorf("filtered speakers: %s", body)
	}
}

func TestReadOnly(t *testing.T) {
	f := setup(t, nil)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		for _, u := range []string{"/", "/api/search", "/api/doc/en/100", "/doc/en/100", "/raw/en/100/1"} {
			req, _ := http.NewRequest(m, f.url+u, strings.NewReader("x=1"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d", m, u, resp.StatusCode)
			}
		}
	}
}

func TestRawSandboxed(t *testing.T) {
	f := setup(t, nil)
	resp, body := get(t, f.url+"/raw/en/103/1")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode, body)
	}
	if body != docs[2].Body {
		t.Errorf("raw body is not the stored body:\n%s", body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "sandbox", "img-src data:", "form-action 'none'", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"script-src", "allow-scripts", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, body = get(t, f.url+"/doc/en/103/raw")
	if resp.StatusCode != 200 || !strings.Contains(body, `<iframe class="raw" title="The page as captured" sandbox src="/raw/en/103/1">`) {
		t.Errorf("raw page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := get(t, f.url+"/raw/en/103/2"); resp.StatusCode != 404 {
		t.Errorf("missing version: %d", resp.StatusCode)
	}
}

// Every value on every page is escaped, and text that might carry
// direction overrides is isolated in <bdi>.
func TestEscaping(t *testing.T) {
	f := setup(t, nil)
	pages := []string{"/?q=alert", "/?q=" + url.QueryEscape(hostile), "/?tag=" + url.QueryEscape(`persons/1"><script>`),
		"/?speaker=" + url.QueryEscape(hostile), "/?place=" + url.QueryEscape(hostile), "/doc/en/103", "/doc/en/103?q=alert",
		"/doc/en/103/versions", "/doc/en/103/raw", "/speakers", "/speakers?name=" + url.QueryEscape(hostile),
		"/?q=alert&from=" + url.QueryEscape(hostile)}
	for _, p := range pages {
		resp, body := get(t, f.url+p)
		if resp.StatusCode != 200 && resp.StatusCode != 400 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: CSP %q", p, resp.Header.Get("Content-Security-Policy"))
		}
		for _, bad := range []string{"<script", "<img", `"dq"`, "onerror=alert(1)>"} {
			if strings.Contains(body, bad) {
				i := strings.Index(body, bad)
				t.Errorf("%s: unescaped %q: …%s…", p, bad, body[max(0, i-80):min(len(body), i+80)])
			}
		}
		if p == "/doc/en/103" && !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the hostile title is not shown escaped", p)
		}
		// every direction override sits inside a <bdi> (or a form value)
		for i := 0; ; {
			j := strings.Index(body[i:], "\u202e")
			if j < 0 {
				break
			}
			at := i + j
			before := body[:at]
			open := strings.Count(before, "<bdi>") - strings.Count(before, "</bdi>")
			inValue := strings.LastIndex(before, "<") > strings.LastIndex(before, ">") // an attribute
			inTitle := strings.LastIndex(before, "<title>") > strings.LastIndex(before, "</title>")
			if open <= 0 && !inValue && !inTitle {
				t.Errorf("%s: U+202E outside <bdi>: …%s…", p, body[max(0, at-100):at])
			}
			i = at + 1
		}
	}
	_, body := get(t, f.url+"/api/search?q=alert")
	if strings.Contains(body, "<script") {
		t.Errorf("API answer carries a raw <script: %s", body)
	}
}

func TestPages(t *testing.T) {
	f := setup(t, nil)
	for _, tc := range []struct {
		page string
		want []string
	}{
		{"/?q=%22sanctions+hurt%22", []string{
			`<a href="/doc/en/100?q=%22sanctions&#43;hurt%22#t1">`, "said by", `href="/?speaker=persons%2F90"`,
			"The <mark>sanctions</mark> <mark>hurt</mark> everybody.", "Documents 1–1 of 1"}},
		{"/?q=cooperation&speaker=persons%2F90", []string{"said by President of Belarus Alexander Lukashenko", "Turns 1–1 of 1",
			`aria-label="Remove filter said by President of Belarus Alexander Lukashenko"`}},
		{"/?tag=persons%2F90", []string{"tag: Lukashenko Alexander", "Documents 1–2 of 2"}},
		{"/doc/en/100?q=sanctions", []string{"Talks with Alexander Lukashenko", "5 March 2014, 15:30 (Moscow time, UTC&#43;03:00)",
			`<a href="/?place=Sochi">`, `<section class="turn" id="t1">`, `<a href="/?speaker=persons%2f90">`,
			"The <mark>sanctions</mark> hurt everybody.", `<a href="/doc/ru/100?q=sanctions" hreflang="ru">Русский</a>`,
			`<a href="/?tag=countries%2FBY">`, "http://en.kremlin.ru/events/president/news/100", "the site itself (live)",
			"Raw page as captured", "Versions (1)"}},
		{"/doc/en/100?side=1", []string{"Talks with Alexander Lukashenko", "Переговоры с Александром Лукашенко", `class="side"`}},
		{"/speakers", []string{`<a href="/?speaker=head-of-state%2Fputin">`, "President of Russia Vladimir Putin"}},
	} {
		resp, body := get(t, f.url+tc.page)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", tc.page, resp.StatusCode)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %q in\n%s", tc.page, w, body)
			}
		}
	}
	for _, p := range []string{"/doc/en/999", "/doc/xx/1", "/nothing"} {
		if resp, _ := get(t, f.url+p); resp.StatusCode != 404 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
	}
}

func TestVersionsDiff(t *testing.T) {
	f := setup(t, nil)
	db, err := store.Open(f.path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	d.Title = "Talks with President Alexander Lukashenko"
	d.Turns = append([]record.Turn{}, d.Turns...)
	d.Turns[1].Text = "Economic cooperation with Russia is growing fast.\n\nThe sanctions hurt everybody."
	if out, err := Put(db, d); err != nil || out != store.OutcomeUpdated {
		t.Fatal(out, err)
	}
	db.Close()
	_, body := get(t, f.url+"/doc/en/100/versions")
	for _, w := range []string{"Changes from version 1 to version 2", "<ins>President</ins>", "<ins>fast.</ins>", "<del>growing.</del>", "Title, Text"} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q in\n%s", w, body)
		}
	}
	_, body = get(t, f.url+"/doc/en/100?v=1")
	if !strings.Contains(body, "This is version 1 of 2") || !strings.Contains(body, "<h1><bdi>Talks with Alexander Lukashenko</bdi></h1>") {
		t.Errorf("old version page:\n%s", body)
	}
}
