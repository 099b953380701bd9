package search_test

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/search"
)

func TestTmpLatency(t *testing.T) {
	dir := os.Getenv("IDX")
	if dir == "" {
		t.Skip()
	}
	ix, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	run := func(name string, qs []search.Query) {
		var ds []time.Duration
		for r := 0; r < 3; r++ {
			for _, q := range qs {
				q.Limit = 20 + r // defeat the cache
				t0 := time.Now()
				if _, err := ix.Search(context.Background(), q); err != nil {
					t.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("%-20s p50 %6.1f p95 %6.1f ms", name, float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)*95/100].Microseconds())/1000)
	}
	words := []string{"cooperation", "economic", "development", "region", "government", "meeting", "сотрудничество", "развития", "Putin", "security"}
	var a, b, c, d []search.Query
	for _, w := range words {
		a = append(a, search.Query{Q: w})
		b = append(b, search.Query{Q: w, Facets: true})
	}
	for _, p := range []string{`"economic cooperation"`, `"the development of"`, `"took part in"`, `"развития регионов"`, `"telephone conversation"`} {
		c = append(c, search.Query{Q: p})
		d = append(d, search.Query{Q: p, Facets: true})
	}
	run("word", a)
	run("word+facets", b)
	run("phrase", c)
	run("phrase+facets", d)
}
