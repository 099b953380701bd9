package crawler

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// BenchmarkBackfill runs a whole backfill of a fake site (news and
// transcripts, delay 0, fsync on, as `kremlin-archive backfill` does) into
// a new archive per iteration: the profile of where a backfill's CPU goes.
// The fake site serves from the same process; leave it out of the profile:
//
//	go test ./crawler -run '^$' -bench Backfill -benchtime 3x -cpuprofile cpu.out
//	go tool pprof -top -ignore 'fakesite|net/http.\(\*conn\)' crawler.test cpu.out
//
// The CPU of the real binary against wget is measured by .ci/bench-cpu.
func BenchmarkBackfill(b *testing.B) {
	const docs = 2000
	site := fakesite.New(fakesite.Options{N: docs, Seed: 1})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	o := testOptions()
	o.Timeout = 30e9
	o.Sites = []Site{{Lang: "en", Base: base, Sections: []string{"news", "transcripts"}}}
	dir := b.TempDir()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		db, err := store.Open(filepath.Join(dir, fmt.Sprintf("bench%d.db", n)), &store.Options{GroupCommit: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(db, o)
		if err != nil {
			b.Fatal(err)
		}
		id, err := db.StartRun("backfill", nil, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Run(context.Background(), RunOptions{Mode: ModeBackfill, RunID: id.ID})
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			b.Fatal(err)
		}
		if got := c.Stats().New.Load(); got != docs {
			b.Fatalf("%d new documents, want %d", got, docs)
		}
		db.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*docs), "ns/doc")
}
