package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kremlin-archive/kremlin-archive/cmd/kremlin-archive/web"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
	. "github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

// chromium finds Debian's chromium. In CI (CI=true, or
// KREMLIN_BROWSER_TEST=1 as .ci/run sets it) a missing browser fails the
// test instead of skipping it.
func chromium(t *testing.T) string {
	for _, name := range []string{os.Getenv("KREMLIN_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" || os.Getenv("KREMLIN_BROWSER_TEST") == "1" {
		t.Fatal("chromium is not installed (apt-get install chromium); the browser test must run in CI")
	}
	t.Skip("chromium is not installed (apt-get install chromium); set KREMLIN_BROWSER_TEST=1 to make this a failure")
	return ""
}

// TestBrowser drives a real headless Chromium through the pages, with the
// keyboard where a person would type: search a phrase, filter by the
// speaker who said it, open the document, switch language, open the raw
// page as captured — and checks that nothing the raw page refers to is
// fetched (it names a server of its own, which must see no request).
func TestBrowser(t *testing.T) {
	exe := chromium(t)

	var outside atomic.Int64 // requests the captured page would make
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outside.Add(1)
		w.Write([]byte("/* nothing */"))
	}))
	defer evil.Close()

	d := docs[0]
	d.Body = `<!doctype html><html><head><title>Captured</title><link rel="stylesheet" href="` + evil.URL + `/s.css">` +
		`<script src="` + evil.URL + `/x.js"></script><link rel="prefetch" href="` + evil.URL + `/p">` +
		`<style>@import url(` + evil.URL + `/i.css); body{background:url(` + evil.URL + `/bg.png)}</style></head>` +
		`<body><h1 id="captured">As captured</h1><img src="` + evil.URL + `/i.png"><iframe src="` + evil.URL + `/f"></iframe>` +
		`<object data="` + evil.URL + `/o"></object><script>fetch("` + evil.URL + `/js"); document.title="ran"</script>` +
		`<form action="` + evil.URL + `/post"></form><video src="` + evil.URL + `/v.mp4" autoplay></video></body></html>`
	path := filepath.Join(t.TempDir(), "kremlin.db")
	if err := WriteArchive(path, d, docs[1], docs[2]); err != nil {
		t.Fatal(err)
	}
	ro := func() (*store.DB, error) { return store.Open(path, &store.Options{ReadOnly: true}) }
	ix, err := search.Open(search.DefaultDir(path), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Update(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	h := &web.Holder{}
	h.Swap(ix)
	srv, err := web.New(web.Config{Index: h, Open: ro})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 1000),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	var mu sync.Mutex
	requested := map[network.RequestID]string{} // every request the tab started
	blocked := map[network.RequestID]string{}   // and those the browser refused to send, with why
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requested[e.RequestID] = e.Request.URL
		case *network.EventLoadingFailed:
			if e.BlockedReason != "" {
				blocked[e.RequestID] = string(e.BlockedReason)
			}
		}
	}))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser (no timeout on this first call)
		t.Fatal(err)
	}
	step := func(name string, fn func(ctx context.Context) error) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := fn(sctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	shots := t.TempDir()
	if dir := os.Getenv("KREMLIN_SCREENSHOTS"); dir != "" {
		shots = dir
	}
	shot := func(ctx context.Context, name string) error {
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(shots, name), b, 0o644)
	}
	location := func(ctx context.Context) string {
		u, _ := chromedp.Run(ctx, chromedp.Location())
		return u
	}
	// navigate runs act, which leads to another page, and returns once
	// that page has replaced the one before it and sel is visible on it.
	// Waiting for sel alone is not enough: the search page before a search
	// already lists documents (every one, when nothing is asked), and a
	// check could read the old page while the new one is still loading.
	navigate := func(ctx context.Context, act chromedp.Action[chromedp.Void], sel string) error {
		before := location(ctx)
		if err := chromedp.Do(ctx, act); err != nil {
			return err
		}
		// While the page changes, the browser may refuse to look at it
		// ("Inspected target navigated or closed"): ask again.
		for {
			now, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil && now != before {
				var ready string
				if ready, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`)); err == nil && ready == "complete" {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("still on %s (%v): %w", now, err, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
		return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
	}
	text := func(ctx context.Context, sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	step("search a phrase with the keyboard", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("q"))); err != nil {
			return err
		}
		if err := navigate(ctx, chromedp.SendKeys(chromedp.ID("q"), `"sanctions hurt"`+kb.Enter), ".hit"); err != nil {
			return err
		}
		if got := text(ctx, ".count"); !strings.HasPrefix(got, "Documents 1–1 of 1") {
			t.Errorf("result count %q", got)
		}
		if got := text(ctx, ".hit .snippet"); got != "The sanctions hurt everybody." {
			t.Errorf("snippet %q", got)
		}
		if err := shot(ctx, "search.png"); err != nil {
			return err
		}
		// On a phone: no horizontal scrolling.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))); err != nil {
			return err
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil {
			return err
		}
		if wide {
			t.Errorf("the search page scrolls sideways on a phone")
		}
		if err := shot(ctx, "search-phone.png"); err != nil {
			return err
		}
		return chromedp.Do(ctx, chromedp.EmulateReset())
	})
	step("filter by the speaker who said it", func(ctx context.Context) error {
		if err := navigate(ctx, chromedp.Click(chromedp.CSS(".hit .meta a")), ".chips"); err != nil {
			return err
		}
		u, _ := url.Parse(location(ctx))
		if u.Query().Get("speaker") != lukashenko || u.Query().Get("q") != "" {
			t.Errorf("speaker link %s", u)
		}
		// the chip names the speaker; searching within their words:
		if got := text(ctx, ".chips li"); !strings.Contains(got, "said by President of Belarus Alexander Lukashenko") {
			t.Errorf("chip %q", got)
		}
		if err := navigate(ctx, chromedp.SendKeys(chromedp.ID("q"), "cooperation"+kb.Enter), ".hit"); err != nil {
			return err
		}
		if got := text(ctx, ".count"); !strings.HasPrefix(got, "Turns 1–1 of 1") {
			t.Errorf("turn count %q", got)
		}
		return nil
	})
	step("open the document", func(ctx context.Context) error {
		if err := navigate(ctx, chromedp.Click(chromedp.CSS(".hit h2 a")), "article.doc"); err != nil {
			return err
		}
		if got := text(ctx, "h1"); got != "Talks with Alexander Lukashenko" {
			t.Errorf("title %q", got)
		}
		if got := text(ctx, "#t1 mark"); got != "cooperation" {
			t.Errorf("marked word %q", got)
		}
		return shot(ctx, "document.png")
	})
	step("switch language", func(ctx context.Context) error {
		if err := navigate(ctx, chromedp.Click(chromedp.CSS(`a[hreflang="ru"]`)), `article.doc[lang="ru"]`); err != nil {
			return err
		}
		if got := text(ctx, "h1"); got != "Переговоры с Александром Лукашенко" {
			t.Errorf("Russian title %q", got)
		}
		return navigate(ctx, chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)), `article.doc[lang="en"]`)
	})
	step("open the raw page", func(ctx context.Context) error {
		mu.Lock()
		clear(requested)
		clear(blocked)
		mu.Unlock()
		if err := navigate(ctx, chromedp.Click(chromedp.CSS(`a[href$="/raw"]`)), "iframe.raw"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(1500*time.Millisecond)); err != nil {
			return err
		}
		if got := text(ctx, "h1"); got != "The page as captured" {
			t.Errorf("raw page title %q", got)
		}
		// The captured page itself, opened directly: shown, its scripts not run.
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/raw/en/100/1"), chromedp.WaitVisible(chromedp.ID("captured")),
			chromedp.Sleep(1500*time.Millisecond)); err != nil {
			return err
		}
		if title, _ := chromedp.Run(ctx, chromedp.Title()); title != "Captured" {
			t.Errorf("a script of the captured page ran: title %q", title)
		}
		return nil
	})
	if n := outside.Load(); n != 0 {
		t.Errorf("the captured page made %d request(s) outside the sandbox", n)
	}
	// What the browser says: every request of the raw page's references
	// to another origin was refused by the page's policy before it left.
	mu.Lock()
	outsideTries := 0
	for id, u := range requested {
		if strings.HasPrefix(u, ts.URL+"/") || strings.HasPrefix(u, "data:") {
			continue
		}
		outsideTries++
		if blocked[id] != "csp" {
			t.Errorf("request outside the server not blocked by the content security policy: %s (%q)", u, blocked[id])
		}
	}
	mu.Unlock()
	if outsideTries == 0 {
		t.Errorf("the captured page's references were never even tried: the test does not test the sandbox")
	}
	t.Logf("screenshots in %s", shots)
}

var _ = record.HeadOfStateKey
