package search_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store/search"
	"github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

// The benchmarks run over a synthetic archive of benchIDs IDs (in both
// languages), written once per run; for profiles:
//
//	go test ./store/search -run '^$' -bench Build -benchtime 1x -cpuprofile cpu.out
//
// The speed targets of `serve` are measured on 80,000 documents with
// .ci/bench-serve.
var benchIDs = flag.Int("bench-ids", 1500, "document IDs of the benchmarks' synthetic archive")

var benchArchive struct {
	once   sync.Once
	path   string
	en, ru []fakesite.Doc
	err    error
}

func synthetic(b *testing.B) (string, []fakesite.Doc, []fakesite.Doc) {
	b.Helper()
	a := &benchArchive
	a.once.Do(func() {
		dir, err := os.MkdirTemp("", "search-bench")
		if err != nil {
			a.err = err
			return
		}
		a.path = filepath.Join(dir, "bench.db")
		a.en, a.ru, a.err = searchtest.Write(a.path, searchtest.Options{IDs: *benchIDs})
	})
	if a.err != nil {
		b.Fatal(a.err)
	}
	return a.path, a.en, a.ru
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchArchive.path != "" {
		os.RemoveAll(filepath.Dir(benchArchive.path))
	}
	os.Exit(code)
}

// BenchmarkBuild builds the index of the synthetic archive from scratch.
func BenchmarkBuild(b *testing.B) {
	path, en, ru := synthetic(b)
	docs := len(en) + len(ru)
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "index")
		ix, err := search.Open(dir, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		n, err := ix.Update(context.Background(), opener(path))
		if err != nil || n != docs {
			b.Fatalf("indexed %d of %d documents: %v", n, docs, err)
		}
		cpu += cpuTime() - c0
		b.StopTimer()
		ix.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(docs*b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(docs*b.N)/cpu.Seconds(), "docs/cpu-s")
}

// cpuTime is the CPU time (user and system) of this process so far: on a
// shared machine it says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearch runs searches like those of .ci/bench-serve (words,
// phrases, filters; facets counted), each one different.
func BenchmarkSearch(b *testing.B) {
	path, en, _ := synthetic(b)
	ix, err := search.Open(filepath.Join(b.TempDir(), "index"), search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Update(context.Background(), opener(path)); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	words := func(d fakesite.Doc) []string {
		var out []string
		for _, p := range d.Paragraphs {
			for _, w := range strings.FieldsFunc(p.Text, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if len([]rune(w)) >= 5 {
					out = append(out, w)
				}
			}
		}
		return out
	}
	var qs []search.Query
	for len(qs) < 600 {
		d := en[r.IntN(len(en))]
		ws := words(d)
		if len(ws) < 3 {
			continue
		}
		w := ws[r.IntN(len(ws))]
		switch len(qs) % 3 {
		case 0:
			qs = append(qs, search.Query{Q: w, Facets: true})
		case 1:
			p := d.Paragraphs[r.IntN(len(d.Paragraphs))]
			pw := strings.Fields(p.Text)
			if len(pw) < 4 {
				continue
			}
			k := 2 + r.IntN(3)
			i := r.IntN(len(pw) - k + 1)
			qs = append(qs, search.Query{Q: `"` + strings.Trim(strings.Join(pw[i:i+k], " "), ".,:;!?") + `"`, Facets: true})
		case 2:
			qs = append(qs, search.Query{Q: w, Lang: "en", From: "2005-01-01", To: "2015-12-31", Facets: true})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		q.Offset = i / len(qs) // not an answer from the cache
		if _, err := ix.Search(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchKinds runs the searches of .ci/bench-serve, kind by kind,
// over an index built before — by .ci/bench-serve, say:
//
//	KREMLIN_BENCH_INDEX=/tmp/bench.db.index KREMLIN_BENCH_IDS=40000 \
//	  go test ./store/search -run '^$' -bench SearchKinds -cpuprofile cpu.out
//
// (the IDs those of the synthetic archive the index was built from), or
// over an index of the benchmarks' own archive without it. It reports each
// kind's 95th percentile.
func BenchmarkSearchKinds(b *testing.B) {
	dir, ids := os.Getenv("KREMLIN_BENCH_INDEX"), *benchIDs
	var en, ru []fakesite.Doc
	if dir == "" {
		var path string
		path, en, ru = synthetic(b)
		dir = filepath.Join(b.TempDir(), "index")
		ix, err := search.Open(dir, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ix.Update(context.Background(), opener(path)); err != nil {
			b.Fatal(err)
		}
		ix.Close()
	} else {
		if s := os.Getenv("KREMLIN_BENCH_IDS"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				b.Fatal("KREMLIN_BENCH_IDS:", err)
			}
			ids = n
		}
		en, ru = searchtest.Generate(ids, 1)
	}
	ix, err := search.Open(dir, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for _, k := range searchtest.Queries(en, ru, 100) {
		b.Run(k.Name, func(b *testing.B) {
			var ds []time.Duration
			for i := 0; i < b.N; i++ {
				q, err := search.QueryOf(k.Queries[i%len(k.Queries)])
				if err != nil {
					b.Fatal(err)
				}
				q.Facets = true
				q.Offset = i / len(k.Queries) // not an answer from the cache
				t0 := time.Now()
				if _, err := ix.Search(context.Background(), q); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[(len(ds)*95+99)/100-1].Microseconds())/1000, "p95-ms")
		})
	}
}
