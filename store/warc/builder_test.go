package warc

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// TestLargeBody writes a body larger than the part of a block gowarc's
// record builder keeps in memory (blockMemBytes), so the block goes
// through a temporary file in the output directory, and checks that the
// record is still exact and the temporary file is gone after Write.
func TestLargeBody(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	rng := rand.New(rand.NewPCG(7, 8))
	body := make([]byte, 3*blockMemBytes+12345)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	big := newCapture("en", 1, 1, "http://en.kremlin.ru/d/1.pdf", testNow, http.Header{"Content-Type": {"application/pdf"}}, body)
	small := newCapture("en", 2, 1, "http://en.kremlin.ru/d/2", testNow, nil, htmlBody(2, 1000))
	for _, c := range []*store.Capture{big, small} {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".warc.gz.open") {
				t.Errorf("after Write: stray file %s in the output directory", e.Name())
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	recs := readAll(t, dir, st)[0]
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	checkCapture(t, big, recs[1], recs[2], recs[0].get("WARC-Record-ID"))
	checkCapture(t, small, recs[3], recs[4], recs[0].get("WARC-Record-ID"))
	checkWithGowarc(t, filepath.Join(dir, st.Files[0]), len(recs))
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after Close: %d entries in the output directory, want the one file", len(entries))
	}
}

// TestConcurrentWriters runs two Writers at once (run with -race): gowarc
// touches package state of github.com/google/uuid whenever a record
// builder is created, which builderMu serialises.
func TestConcurrentWriters(t *testing.T) {
	var wg sync.WaitGroup
	dirs := []string{t.TempDir(), t.TempDir()}
	ws := make([]*Writer, len(dirs))
	for i, dir := range dirs {
		ws[i] = newTestWriter(t, Options{Dir: dir})
	}
	const n = 20
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n {
				id := int64(i*1000 + j)
				if err := w.Write(newCapture("en", id, 1, fmt.Sprintf("http://en.kremlin.ru/d/%d", id), testNow, nil, htmlBody(id, 2000))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		st := w.Stats()
		if st.Captures != n {
			t.Errorf("writer %d: %d captures, want %d", i, st.Captures, n)
		}
		for _, f := range st.Files {
			checkWithGowarc(t, filepath.Join(dirs[i], f), len(readWARC(t, filepath.Join(dirs[i], f))))
		}
	}
}
