package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

// serveArchive writes an archive of docs and starts runServe on it; it
// returns the base URL and a function that stops the server and returns
// runServe's error.
func serveArchive(t *testing.T, path string, o serveOptions, docs ...searchtest.Doc) (string, func() error) {
	t.Helper()
	if len(docs) > 0 {
		if err := searchtest.WriteArchive(path, docs...); err != nil {
			t.Fatal(err)
		}
	}
	o.DB, o.Addr = path, "127.0.0.1:0"
	if o.Refresh == 0 {
		o.Refresh = 50 * time.Millisecond
	}
	ready := make(chan string, 1)
	o.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	errc := make(chan error, 1)
	go func() { errc <- runServe(ctx, o, io.Discard, &stderr) }()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-errc:
		cancel()
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var serr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-errc:
			case <-time.After(20 * time.Second):
				serr = errors.New("serve did not stop")
			}
		})
		return serr
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func searchTotal(t *testing.T, base, q string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/search?facets=0&q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("search %q: %d %v", q, resp.StatusCode, err)
	}
	return res.Total
}

// waitBuilt waits until the index's first build (or rebuild) is complete
// and recorded (a search that finds one language's document does not
// mean the other language's batch of the same chunk is searchable yet),
// then checks that q finds one document.
func waitBuilt(t *testing.T, base, q string) {
	t.Helper()
	waitUntil(t, "the first build", func() bool {
		resp, err := http.Get(base + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st struct {
			Building bool `json:"building"`
			Index    struct {
				Complete bool `json:"complete"`
			} `json:"index"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status: %d %v", resp.StatusCode, err)
		}
		return st.Index.Complete && !st.Building
	})
	if n := searchTotal(t, base, q); n != 1 {
		t.Fatalf("after the first build: %d hits for %s", n, q)
	}
}

// waitUntil polls cond until it holds (bounded: the updater runs every 50 ms).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var serveDocs = []searchtest.Doc{
	{Lang: "en", ID: 1, Title: "Meeting with the Governor of Tula Region", Date: "2020-05-05",
		Turns: []record.Turn{searchtest.Turn("Vladimir Putin", record.HeadOfStateKey, "How is the harvest in Tula?")}},
	{Lang: "ru", ID: 1, Title: "Встреча с губернатором Тульской области", Date: "2020-05-05",
		Turns: []record.Turn{searchtest.Turn("В.Путин", record.HeadOfStateKey, "Как урожай в Туле?")}},
}

// A document archived while serve runs (by a crawl, here written straight
// into the archive) is found without a restart, also when a writer held
// the archive for a while; serve never holds the archive itself.
func TestServe_FindsNewDocuments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kremlin.db")
	base, stop := serveArchive(t, path, serveOptions{}, serveDocs...)
	waitBuilt(t, base, "harvest")
	if n := searchTotal(t, base, "урожаи"); n != 1 {
		t.Errorf("Russian morphology: %d hits for урожаи", n)
	}

	// A crawl opens the archive for writing and stores a document: serve
	// keeps answering, and still reads the archive (a writer lets go of
	// the file between its transactions when a reader waits).
	db, err := store.Open(path, &store.Options{NoSync: true, LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n := searchTotal(t, base, "harvest"); n != 1 {
		t.Errorf("search while a crawl holds the archive: %d", n)
	}
	if _, err := searchtest.Put(db, searchtest.Doc{Lang: "en", ID: 2, Title: "Telephone conversation with the President of Finland", Date: "2020-06-01",
		Text: "The leaders discussed fisheries in the Baltic."}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new document while the crawl runs", func() bool { return searchTotal(t, base, "fisheries") == 1 })
	db.Close()
	waitUntil(t, "the new document", func() bool { return searchTotal(t, base, "fisheries") == 1 })
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	// The index is kept: a restart does not rebuild it.
	st, err := os.ReadFile(filepath.Join(path+".index", "state.json"))
	if err != nil || !bytes.Contains(st, []byte(`"complete": true`)) || !bytes.Contains(st, []byte(`"seq": 3`)) {
		t.Errorf("state.json: %s %v", st, err)
	}
}

func TestServe_Reindex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kremlin.db")
	base, stop := serveArchive(t, path, serveOptions{}, serveDocs...)
	waitBuilt(t, base, "harvest")
	stop()
	base, stop = serveArchive(t, path, serveOptions{Reindex: true})
	if n := searchTotal(t, base, "harvest"); n != 1 { // the old index answers at once
		t.Errorf("old index while rebuilding: %d", n)
	}
	waitUntil(t, "the rebuilt index", func() bool {
		_, err := os.Stat(path + ".index.new")
		return errors.Is(err, os.ErrNotExist)
	})
	if n := searchTotal(t, base, "harvest"); n != 1 {
		t.Errorf("rebuilt index: %d", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestServe_Errors(t *testing.T) {
	dir := t.TempDir()
	err := runServe(context.Background(), serveOptions{DB: filepath.Join(dir, "missing.db")}, io.Discard, io.Discard)
	if !errors.Is(err, store.ErrNoArchive) || exitCode(err) == 0 {
		t.Errorf("missing archive: %v", err)
	}
	path := filepath.Join(dir, "kremlin.db")
	base, _ := serveArchive(t, path, serveOptions{}, serveDocs...)
	waitBuilt(t, base, "harvest")
	// A second server of the same archive and index is refused.
	err = runServe(context.Background(), serveOptions{DB: path, Addr: "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "another kremlin-archive serve uses this index") {
		t.Errorf("second server: %v", err)
	}
	err = runServe(context.Background(), serveOptions{DB: path, Addr: "no-port", IndexDir: filepath.Join(dir, "other")}, io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("bad --addr: %v (exit %d)", err, exitCode(err))
	}
}

func TestServe_CommandLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kremlin.db")
	if err := searchtest.WriteArchive(path, serveDocs[0]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--db", path, "--addr", "127.0.0.1:0", "--refresh", "100ms"}, &out, &errb)
	}()
	waitUntil(t, "the server's address", func() bool { return strings.Contains(out.String(), "http://127.0.0.1:") })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
	if err := Run(context.Background(), []string{"serve", "--db", path, "--refresh", "soon"}, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Errorf("bad --refresh: %v", err)
	}
}

// /api/doc answers what `export` writes for the document, speaker keys
// resolved across the archive included (here from the Russian page).
func TestServe_DocIsTheExportRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kremlin.db")
	docs := []searchtest.Doc{
		{Lang: "en", ID: 7, Title: "Talks with Alexander Lukashenko", Date: "2021-02-22", Place: "Sochi",
			Turns: []record.Turn{searchtest.Turn("Vladimir Putin", record.HeadOfStateKey, "Good afternoon."),
				searchtest.Turn("Alexander Lukashenko", "", "Thank you for the invitation.")}},
		{Lang: "ru", ID: 7, Title: "Переговоры с Александром Лукашенко", Date: "2021-02-22", Place: "Сочи",
			Turns: []record.Turn{searchtest.Turn("В.Путин", record.HeadOfStateKey, "Добрый день."),
				searchtest.Turn("А.Лукашенко", "persons/90", "Спасибо за приглашение.")}},
	}
	base, _ := serveArchive(t, path, serveOptions{}, docs...)
	waitBuilt(t, base, "invitation")
	var out syncBuffer
	if err := Run(context.Background(), []string{"export", "--db", path, "--id", "7", "--lang", "en"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal([]byte(out.String()), &want); err != nil {
		t.Fatalf("export: %v\n%s", err, out.String())
	}
	resp, err := http.Get(base + "/api/doc/en/7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/api/doc/en/7:\n got %v\nwant %v", got, want)
	}
	// The index groups the turn under the key export gives it.
	key := want["turns"].([]any)[1].(map[string]any)["speaker_key"]
	if key == nil {
		t.Skip("export resolves no key for this turn; nothing more to compare")
	}
	// The turns of a batch become searchable with, or just after, their
	// document.
	waitUntil(t, fmt.Sprintf("the turn of speaker %v", key), func() bool {
		resp2, err := http.Get(base + "/api/search?facets=0&q=invitation&speaker=" + url.QueryEscape(key.(string)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp2.Body.Close()
		var res struct{ Total int }
		json.NewDecoder(resp2.Body).Decode(&res)
		if res.Total > 1 {
			t.Fatalf("speaker %v: %d turns, want 1", key, res.Total)
		}
		return res.Total == 1
	})
}
