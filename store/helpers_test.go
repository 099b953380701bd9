package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Subprocess roles. The test binary re-executes itself with
// STORE_TEST_CHILD=<role> to play a second process (lock holder, crash
// victim, verify of a damaged file); TestMain dispatches before any test
// runs.
const childEnv = "STORE_TEST_CHILD"

var childRoles = map[string]func() int{}

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		fn, ok := childRoles[role]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
			os.Exit(2)
		}
		os.Exit(fn())
	}
	os.Exit(m.Run())
}

// child starts the test binary in role with extra environment variables.
// Its stdout is returned as a line reader.
func child(tb testing.TB, role string, env ...string) (*exec.Cmd, *bufio.Reader) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + role}, env...)...)
	cmd.Stderr = &lockedBuffer{}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewReader(out)
}

// childStderr returns what the child wrote to stderr so far.
func childStderr(cmd *exec.Cmd) string { return cmd.Stderr.(*lockedBuffer).String() }

// waitLine reads lines from r until one equals want, or fails after d.
func waitLine(tb testing.TB, cmd *exec.Cmd, r *bufio.Reader, want string, d time.Duration) {
	tb.Helper()
	got := make(chan error, 1)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if strings.TrimSpace(line) == want {
				got <- nil
				return
			}
			if err != nil {
				got <- err
				return
			}
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			tb.Fatalf("child exited before printing %q: %v; stderr:\n%s", want, err, childStderr(cmd))
		}
	case <-time.After(d):
		tb.Fatalf("child did not print %q within %v; stderr:\n%s", want, d, childStderr(cmd))
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// testOpts are the options of mustOpen: no fsync, a dictionary after 20
// pages of a language (200 in production). Until its dictionary exists,
// every PutDocument of a language decompresses all its stored pages, so
// tests storing hundreds of documents want it early.
func testOpts() *store.Options {
	return &store.Options{NoSync: true, DictTrainAfter: 20}
}

// mustOpen opens a new archive in a temporary directory. When the test
// ends, the archive is verified (a test leaving an inconsistent archive
// fails) and closed.
func mustOpen(tb testing.TB, opts ...func(*store.Options)) *store.DB {
	tb.Helper()
	o := testOpts()
	for _, f := range opts {
		f(o)
	}
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "archive.db"), o)
}

// mustOpenPath opens the archive at path; see mustOpen.
func mustOpenPath(tb testing.TB, path string, o *store.Options) *store.DB {
	tb.Helper()
	db, err := store.Open(path, o)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if !o.ReadOnly {
			var problems []string
			if _, err := db.Verify(func(p store.Problem) { problems = append(problems, p.String()) }); err == nil && len(problems) > 0 {
				tb.Errorf("archive left inconsistent by the test: %d problems:\n%s", len(problems), strings.Join(problems, "\n"))
			}
		}
		db.Close()
	})
	return db
}

func withDictAfter(n int) func(*store.Options) {
	return func(o *store.Options) { o.DictTrainAfter = n }
}

// reopen closes db and opens the same file again with o.
func reopen(tb testing.TB, db *store.DB, o *store.Options) *store.DB {
	tb.Helper()
	path := db.Path()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return mustOpenPath(tb, path, o)
}

// doc describes a test document; fetched builds what the crawler would
// hand to PutDocument.
type doc struct {
	lang    string
	id      int64
	title   string
	date    string // YYYY-MM-DD, "" = null
	updated string // RFC 3339, "" = null
	body    []byte // nil = a small page naming the title
	at      time.Time
	listed  []string
	lupd    string // listed updated
	secs    []string
}

func (d doc) fetched() *store.Fetched {
	if d.lang == "" {
		d.lang = "en"
	}
	if d.title == "" {
		d.title = fmt.Sprintf("Document %d", d.id)
	}
	if d.at.IsZero() {
		d.at = t0
	}
	if d.body == nil {
		d.body = []byte(fmt.Sprintf("<html><head><title>%s</title></head><body><h1 class=\"entry-title\">%s</h1><p>fetched %s</p></body></html>",
			d.title, d.title, d.at.Format(time.RFC3339Nano)))
	}
	if d.secs == nil {
		d.secs = []string{"News"}
	}
	u := fmt.Sprintf("http://%s/events/president/news/%d", host(d.lang), d.id)
	rec := &record.Record{
		ID: d.id, Lang: d.lang, URL: u, Title: d.title,
		Lead:          "Lead of " + d.title,
		Sections:      d.secs,
		Tags:          map[string][]string{"topics": {"Foreign policy"}},
		Text:          "Text of " + d.title,
		FetchedAt:     d.at.UTC().Format(time.RFC3339),
		SourceURL:     u,
		ParserVersion: 1,
	}
	if d.date != "" {
		rec.Date = record.Str(d.date)
	}
	if d.updated != "" {
		rec.Updated = record.Str(d.updated)
	}
	raw := &store.Raw{
		URL: u, FetchedAt: d.at, Proto: "HTTP/1.1", Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}, "Date": {d.at.Format(http.TimeFormat)}},
		Body:   d.body,
	}
	return &store.Fetched{Raw: raw, Record: rec, ListedIn: d.listed, ListedUpdated: d.lupd}
}

func host(lang string) string {
	if lang == "ru" {
		return "kremlin.ru"
	}
	return "en.kremlin.ru"
}

// put stores d and fails the test on error.
func put(tb testing.TB, db *store.DB, d doc, runID uint64) store.Outcome {
	tb.Helper()
	o, err := db.PutDocument(d.fetched(), runID)
	if err != nil {
		tb.Fatalf("PutDocument(%s/%d): %v", d.lang, d.id, err)
	}
	return o
}

// mustDoc returns the bookkeeping of a document, failing when absent.
func mustDoc(tb testing.TB, db *store.DB, lang string, id int64) *store.Doc {
	tb.Helper()
	d, err := db.Doc(lang, id)
	if err != nil {
		tb.Fatalf("Doc(%s, %d): %v", lang, id, err)
	}
	if d == nil {
		tb.Fatalf("Doc(%s, %d) = nil, want the document", lang, id)
	}
	return d
}

// verifyProblems runs Verify and returns the problems found.
func verifyProblems(tb testing.TB, db *store.DB) ([]store.Problem, *store.VerifyStats) {
	tb.Helper()
	var ps []store.Problem
	st, err := db.Verify(func(p store.Problem) { ps = append(ps, p) })
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	if st.Problems != len(ps) {
		tb.Errorf("VerifyStats.Problems = %d, but %d problems were reported", st.Problems, len(ps))
	}
	return ps, st
}

// ---- realistic pages ----------------------------------------------------

// Pages of the site are ~31 KB of HTML; navigation, footer, scripts and
// styles (about 80%) are the same on every page, the article is not.
// realisticPage builds such a page deterministically from (lang, id,
// version): the boilerplate from a fixed seed, the article from the page's.

var (
	boilerOnce sync.Once
	boiler     map[string][3]string // lang -> head+nav, pre-footer, footer+scripts
	vocab      map[string][]string
)

func words(lang string, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	latin := []rune("etaoinshrdlucmfwypvbgkqjxz")
	cyr := []rune("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё")
	alpha := latin
	if lang == "ru" {
		alpha = cyr
	}
	out := make([]string, 3000)
	for i := range out {
		n := 2 + r.IntN(9)
		var b strings.Builder
		for range n {
			// skewed letter frequencies, like natural text
			k := int(float64(len(alpha)) * r.Float64() * r.Float64())
			b.WriteRune(alpha[k])
		}
		out[i] = b.String()
	}
	return out
}

// sentence writes n Zipf-distributed words of lang.
func sentence(b *strings.Builder, r *rand.Rand, lang string, n int) {
	v := vocab[lang]
	for i := range n {
		// Zipf-like: small indexes much more frequent.
		k := int(float64(len(v)) * r.Float64() * r.Float64() * r.Float64())
		w := v[k]
		if i == 0 {
			rs := []rune(w)
			w = strings.ToUpper(string(rs[0])) + string(rs[1:])
		}
		b.WriteString(w)
		if i < n-1 {
			b.WriteByte(' ')
		}
	}
	b.WriteString(". ")
}

func initBoiler() {
	boilerOnce.Do(func() {
		vocab = map[string][]string{"en": words("en", 1), "ru": words("ru", 2)}
		boiler = map[string][3]string{}
		for _, lang := range []string{"en", "ru"} {
			r := rand.New(rand.NewPCG(42, uint64(len(lang))))
			var head, mid, foot strings.Builder
			head.WriteString("<!DOCTYPE html>\n<html lang=\"" + lang + "\" class=\"no-js\">\n<head>\n<meta charset=\"utf-8\">\n")
			head.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
			for i := range 16 {
				fmt.Fprintf(&head, "<link rel=\"stylesheet\" href=\"/static/css/%s-%d.css?v=%08x\" media=\"all\">\n", vocab[lang][i], i, r.Uint32())
			}
			head.WriteString("<script>\n")
			for i := range 38 {
				fmt.Fprintf(&head, "  window.%s_%d = function(el, opts) { var o = opts || {}; if (!el) { return null; } el.setAttribute('data-%s', o.%s || %d); return el; };\n",
					vocab["en"][i], i, vocab["en"][i+1], vocab["en"][i+2], r.IntN(1000))
			}
			head.WriteString("</script>\n</head>\n<body class=\"page page_event\">\n<header class=\"header\">\n<nav class=\"nav\"><ul class=\"nav__list\">\n")
			for i := range scale(lang, 72) {
				var t strings.Builder
				sentence(&t, r, lang, 2+r.IntN(3))
				fmt.Fprintf(&head, "<li class=\"nav__item\"><a href=\"/%s/%s/%d\" class=\"nav__link\" data-section=\"%d\">%s</a></li>\n",
					vocab["en"][r.IntN(50)], vocab["en"][r.IntN(200)], i, i, strings.TrimSuffix(t.String(), ". "))
			}
			head.WriteString("</ul></nav>\n</header>\n<main class=\"main\">\n")
			mid.WriteString("</div>\n<div class=\"read__bottommeta\">\n<p class=\"read__copyright\">")
			sentence(&mid, r, lang, 30)
			mid.WriteString("</p></div>\n</article>\n</main>\n")
			foot.WriteString("<footer class=\"footer\">\n<div class=\"footer__cols\">\n")
			for i := range scale(lang, 46) {
				var t strings.Builder
				sentence(&t, r, lang, 3+r.IntN(4))
				fmt.Fprintf(&foot, "<div class=\"footer__item\"><a href=\"/%s/%d\">%s</a></div>\n", vocab["en"][r.IntN(300)], i, t.String())
			}
			foot.WriteString("<p class=\"footer__license\">")
			for range scale(lang, 8) {
				sentence(&foot, r, lang, 14)
			}
			foot.WriteString("</p>\n</div>\n</footer>\n<script>\n")
			for i := range 26 {
				fmt.Fprintf(&foot, "  (function(){ var n = document.querySelectorAll('.%s'); for (var i = 0; i < n.length; i++) { n[i].classList.add('%s_%d'); } })();\n",
					vocab["en"][i+100], vocab["en"][i+200], i)
			}
			foot.WriteString("</script>\n</body>\n</html>\n")
			boiler[lang] = [3]string{head.String(), mid.String(), foot.String()}
		}
	})
}

// scale shrinks the text parts of the Russian boilerplate: Cyrillic
// takes two bytes a letter.
func scale(lang string, n int) int {
	if lang == "ru" {
		return n * 6 / 10
	}
	return n
}

// realisticPage returns a ~31 KB page of lang with ~80% boilerplate.
func realisticPage(lang string, id int64, version int) []byte {
	initBoiler()
	bp := boiler[lang]
	r := rand.New(rand.NewPCG(uint64(id), uint64(version)+uint64(len(lang))*1000))
	var b strings.Builder
	b.Grow(34 << 10)
	b.WriteString(bp[0])
	fmt.Fprintf(&b, "<article class=\"read\" id=\"event-%d\">\n<h1 class=\"entry-title p-name\">", id)
	sentence(&b, r, lang, 8+r.IntN(6))
	fmt.Fprintf(&b, "</h1>\n<div class=\"read__meta\"><time class=\"read__published\" datetime=\"20%02d-%02d-%02d\">%d</time><div class=\"read__time\">%02d:%02d</div></div>\n",
		10+r.IntN(16), 1+r.IntN(12), 1+r.IntN(28), id, r.IntN(24), r.IntN(60))
	b.WriteString("<div class=\"read__lead\"><p>")
	sentence(&b, r, lang, 30)
	b.WriteString("</p></div>\n<div class=\"entry-content e-content read__internal_content\">\n")
	// the article: ~20% of the page
	target := len(bp[0]) + len(bp[1]) + len(bp[2])
	article := target / 4
	start := b.Len()
	for b.Len()-start < article {
		b.WriteString("<p>")
		for range 2 + r.IntN(4) {
			sentence(&b, r, lang, 8+r.IntN(15))
		}
		b.WriteString("</p>\n")
	}
	b.WriteString(bp[1])
	b.WriteString(bp[2])
	return []byte(b.String())
}
