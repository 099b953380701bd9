package search_test

import (
	"fmt"
	"runtime/pprof"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/search"
	"github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

func TestBuildSpeed(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BUILD_IDS"))
	db := os.Getenv("BUILD_DB")
	if n == 0 && db == "" {
		t.Skip()
	}
	if db == "" {
		dir := t.TempDir()
		db = filepath.Join(dir, "a.db")
		t0 := time.Now()
		if _, _, err := searchtest.Write(db, searchtest.Options{IDs: n}); err != nil {
			t.Fatal(err)
		}
		t.Logf("archive %d ids: %v", n, time.Since(t0))
	}
	ix, err := search.Open(search.DefaultDir(db), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if os.Getenv("HEAP_AT") != "" {
		d, _ := time.ParseDuration(os.Getenv("HEAP_AT"))
		go func() {
			for i := 0; ; i++ {
				time.Sleep(d)
				f, _ := os.Create(fmt.Sprintf("/tmp/heap%d.out", i))
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	t0 := time.Now()
	done, err := ix.Update(context.Background(), func() (*store.DB, error) { return store.Open(db, &store.Options{ReadOnly: true}) })
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	t.Logf("indexed %d docs in %v: %.0f docs/s; state %+v", done, el, float64(done)/el.Seconds(), ix.State())
	if os.Getenv("PROF_EMPTY") != "" {
		f, _ := os.Create("/tmp/cpuempty.out")
		pprof.StartCPUProfile(f)
		for i := 0; i < 20; i++ {
			ix.Search(context.Background(), search.Query{Facets: true})
		}
		pprof.StopCPUProfile()
		f.Close()
	}
	for _, q := range []search.Query{
		{Q: "sanctions"}, {Q: "cooperation"}, {Q: "санкциями"}, {Q: `"the development of"`}, {Q: "Putin", Facets: true},
		{Q: "cooperation", Facets: true}, {Q: "cooperation", Lang: "en", From: "2015-01-01", To: "2018-12-31", Facets: true},
		{Q: "cooperation", Speaker: "head-of-state/putin", Facets: true}, {Q: "", Facets: true}, {Speaker: "head-of-state/putin", Facets: true},
	} {
		var ds []time.Duration
		var res *search.Result
		for i := 0; i < 10; i++ {
			t1 := time.Now()
			res, err = ix.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(t1))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		snip := ""
		if len(res.Hits) > 0 {
			snip = res.Hits[0].Snippet
		}
		t.Logf("%+v: total %d, median %v max %v  %.120s", q, res.Total, ds[5], ds[9], snip)
	}
}
