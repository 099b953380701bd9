package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// benchPages are distinct realistic pages (~31 KB, ~80% boilerplate).
func benchPages(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = realisticPage("en", int64(1_000_000+i), 1)
	}
	return out
}

// BenchmarkPutDocument stores realistic pages into an archive whose
// dictionary is already trained, as a crawl does after its first pages.
//
//	go test ./store -run '^$' -bench PutDocument -benchtime 2000x
func BenchmarkPutDocument(b *testing.B) {
	pages := benchPages(256)
	for _, sync := range []bool{true, false} {
		name := "fsync"
		if !sync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.db")
			db, err := store.Open(path, &store.Options{NoSync: !sync, DictTrainAfter: 20})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			for id := int64(1); id <= 40; id++ {
				put(b, db, doc{id: id, body: realisticPage("en", id, 1)}, 0)
			}
			if db.CurrentDict("en") == 0 {
				b.Fatal("no dictionary trained")
			}
			before, _ := db.Storage()
			sizeBefore := db.Size()
			text := strings.Repeat("Vladimir Putin took part in the meeting. ", 150)
			id := int64(1000)
			var rawBytes int64
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				id++
				d := doc{id: id, body: pages[id%int64(len(pages))], date: "2024-05-06"}
				f := d.fetched()
				f.Record.Text = text
				rawBytes += int64(len(f.Raw.Body))
				if _, err := db.PutDocument(f, 0); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(id - 1000)
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu_us/page")
			after, _ := db.Storage()
			b.ReportMetric(float64(rawBytes)/n, "body_B/page")
			b.ReportMetric(float64(after.StoredBytes-before.StoredBytes)/n, "stored_B/page")
			b.ReportMetric(float64(db.Size()-sizeBefore)/n, "file_B/page")
			b.SetBytes(int64(len(pages[0])))
		})
	}
}

// BenchmarkScan reads every record of a 2,000-document archive (what
// `export` does), chunk by chunk.
//
//	go test ./store -run '^$' -bench Scan
func BenchmarkScan(b *testing.B) {
	const docs = 2000
	db := mustOpen(b, withDictAfter(20))
	pages := benchPages(64)
	text := strings.Repeat("Vladimir Putin took part in the meeting. ", 150)
	for id := int64(1); id <= docs; id++ {
		f := doc{id: id, body: pages[id%64], date: fmt.Sprintf("20%02d-01-01", 10+id%15)}.fetched()
		f.Record.Text = text
		if _, err := db.PutDocument(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    store.Filter
	}{
		{"all", store.Filter{}},
		{"from-to", store.Filter{From: "2015-01-01", To: "2016-12-31"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			seen := 0
			b.ReportAllocs()
			for b.Loop() {
				seen = 0
				if err := db.Scan(tc.f, func(d *store.Doc, r *record.Record) error { seen++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(docs), "ns/doc")
			b.ReportMetric(float64(seen), "matched")
		})
	}
}

// BenchmarkRawResponse reads random documents' raw pages one at a time,
// as `show ID --raw` does: a fresh read-only DB per document (no cache),
// the page decompressed from its pack. With KA_BENCH_DB it reads that
// archive (.ci/bench-backfill sets it); otherwise a 3,000-document one.
//
//	go test ./store -run '^$' -bench RawResponse -benchtime 300x
func BenchmarkRawResponse(b *testing.B) {
	path := os.Getenv("KA_BENCH_DB")
	if path == "" {
		db := mustOpen(b, withDictAfter(20))
		pages := benchPages(64)
		for id := int64(1); id <= 3000; id++ {
			if _, err := db.PutDocument(doc{id: id, body: pages[id%64]}.fetched(), 0); err != nil {
				b.Fatal(err)
			}
		}
		path = db.Path()
		db.Close()
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	var keys []store.Doc
	db.ScanDocs(func(d *store.Doc) error { keys = append(keys, *d); return nil })
	db.Close()
	if len(keys) == 0 {
		b.Fatal("empty archive")
	}
	r := rand.New(rand.NewPCG(1, 2))
	var bytes int64
	var opening, reading time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		d := keys[r.IntN(len(keys))]
		t0 := time.Now()
		db, err := store.Open(path, &store.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		raw, err := db.RawResponse(d.Lang, d.ID, 0)
		if err != nil || raw == nil {
			b.Fatalf("%s/%d: %v", d.Lang, d.ID, err)
		}
		reading += time.Since(t1)
		opening += t1.Sub(t0)
		bytes += int64(len(raw.Body))
		db.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/doc")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N)/1000, "cpu_ms/doc")
	b.ReportMetric(float64(opening.Microseconds())/float64(b.N)/1000, "open_ms")
	b.ReportMetric(float64(reading.Microseconds())/float64(b.N)/1000, "read_ms")
	b.ReportMetric(float64(bytes)/float64(b.N), "body_B/doc")
}

// cpuTime is the CPU time (user + system) of this process so far: on a
// shared machine it says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
