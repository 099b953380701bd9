package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

type key struct {
	lang string
	id   int64
}

func scanKeys(t *testing.T, db *store.DB, f store.Filter) []key {
	t.Helper()
	var out []key
	err := db.Scan(f, func(d *store.Doc, r *record.Record) error {
		if d.Lang != r.Lang || d.ID != r.ID {
			t.Errorf("Scan passed doc %s/%d with record %s/%d", d.Lang, d.ID, r.Lang, r.ID)
		}
		out = append(out, key{d.Lang, d.ID})
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%+v): %v", f, err)
	}
	return out
}

func TestFilter_Match(t *testing.T) {
	d := &store.Doc{Lang: "en", ID: 42, Versions: 2, Seq: 10, Date: "2020-08-27",
		ListedIn: []string{"news"}, Sections: []string{"News", "Security Council"}}
	tests := []struct {
		name string
		f    store.Filter
		want bool
	}{
		{"zero", store.Filter{}, true},
		{"lang", store.Filter{Lang: "en"}, true},
		{"other lang", store.Filter{Lang: "ru"}, false},
		{"ids", store.Filter{IDs: []int64{1, 42}}, true},
		{"other ids", store.Filter{IDs: []int64{1, 43}}, false},
		{"since before", store.Filter{Since: 9}, true},
		{"since equal", store.Filter{Since: 10}, false},
		{"since after", store.Filter{Since: 11}, false},
		{"from", store.Filter{From: "2020-08-27"}, true},
		{"from after", store.Filter{From: "2020-08-28"}, false},
		{"to", store.Filter{To: "2020-08-27"}, true},
		{"to before", store.Filter{To: "2020-08-26"}, false},
		{"range", store.Filter{From: "2020-01-01", To: "2020-12-31"}, true},
		{"listing section", store.Filter{Section: "news"}, true},
		{"listing section, other case", store.Filter{Section: "NEWS"}, true},
		{"publication section", store.Filter{Section: "security council"}, true},
		{"other section", store.Filter{Section: "transcripts"}, false},
		{"all together", store.Filter{Lang: "en", IDs: []int64{42}, Since: 3, From: "2020-08-01", To: "2020-08-31", Section: "News"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(d); got != tt.want {
				t.Errorf("%+v.Match = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
	undated := &store.Doc{Lang: "en", ID: 1, Versions: 1}
	if (&store.Filter{From: "2020-01-01"}).Match(undated) || (&store.Filter{To: "2030-01-01"}).Match(undated) {
		t.Error("a document without date matches a date range")
	}
	if !(&store.Filter{}).Match(undated) {
		t.Error("a document without date does not match the zero filter")
	}
	if (&store.Filter{}).Match(&store.Doc{Lang: "en", ID: 1}) {
		t.Error("a document without stored versions matches")
	}
	// Match must not modify the document.
	f := store.Filter{Section: "x"}
	d2 := &store.Doc{ListedIn: make([]string, 1, 10), Sections: []string{"y"}, Versions: 1}
	d2.ListedIn[0] = "a"
	f.Match(d2)
	if got := d2.ListedIn[:2][1]; got != "" {
		t.Errorf("Match wrote %q into the spare capacity of ListedIn", got)
	}
}

// populate stores documents from..n-1 of each language, with IDs chosen to
// cross byte boundaries (so big-endian key order matters), and returns
// the keys of documents 0..n-1.
func populate(t *testing.T, db *store.DB, langs []string, n int, from ...int) []key {
	t.Helper()
	start := 0
	if len(from) > 0 {
		start = from[0]
	}
	var want []key
	for _, lang := range langs {
		for i := range n {
			if i < start {
				want = append(want, populateKey(lang, i))
				continue
			}
			id := populateKey(lang, i).id
			date := fmt.Sprintf("20%02d-%02d-%02d", 10+i%15, 1+i%12, 1+i%28)
			sec := []string{"News"}
			if i%3 == 0 {
				sec = append(sec, "Transcripts")
			}
			put(t, db, doc{lang: lang, id: id, date: date, secs: sec, listed: []string{[]string{"news", "transcripts"}[i%2]}}, 0)
			want = append(want, key{lang, id})
		}
	}
	slices.SortFunc(want, func(a, b key) int {
		if a.lang != b.lang {
			return cmpStr(a.lang, b.lang)
		}
		return int(a.id - b.id)
	})
	return want
}

func populateKey(lang string, i int) key {
	id := int64(i*97 + 1)
	if i%50 == 7 {
		id += 70000 // IDs above 65535
	}
	return key{lang, id}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestDB_Scan_OrderAndChunks(t *testing.T) {
	if store.ScanChunk != 128 {
		t.Logf("ScanChunk = %d", store.ScanChunk)
	}
	// One archive grown step by step; scanned at each size.
	db := mustOpen(t)
	stored := 0
	for _, n := range []int{0, 1, store.ScanChunk - 1, store.ScanChunk, store.ScanChunk + 1, 2 * store.ScanChunk, 301} {
		want := populate(t, db, []string{"ru", "en"}, n, stored)
		stored = n
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if got := scanKeys(t, db, store.Filter{}); !slices.Equal(got, want) {
				t.Errorf("Scan(all) gave %d documents, want %d in (lang, id) order; first diff at %d", len(got), len(want), firstDiff(got, want))
			}
			for _, lang := range []string{"en", "ru"} {
				var wl []key
				for _, k := range want {
					if k.lang == lang {
						wl = append(wl, k)
					}
				}
				if got := scanKeys(t, db, store.Filter{Lang: lang}); !slices.Equal(got, wl) {
					t.Errorf("Scan(%s) gave %d documents, want %d; first diff at %d", lang, len(got), len(wl), firstDiff(got, wl))
				}
			}
			n := 0
			db.ScanDocs(func(*store.Doc) error { n++; return nil })
			if n != len(want) {
				t.Errorf("ScanDocs saw %d documents, want %d", n, len(want))
			}
		})
	}
}

func firstDiff(a, b []key) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestDB_Scan_Filters(t *testing.T) {
	db := mustOpen(t)
	all := populate(t, db, []string{"en", "ru"}, 300)
	hw, _ := db.HighWater()
	// Change three documents: only they are after hw.
	put(t, db, doc{lang: "ru", id: 98, title: "changed"}, 0)
	put(t, db, doc{lang: "en", id: 1, title: "changed"}, 0)
	put(t, db, doc{lang: "en", id: 1 + 97*250, title: "changed"}, 0)

	count := func(pred func(d *store.Doc) bool) []key {
		var out []key
		db.ScanDocs(func(d *store.Doc) error {
			if pred(d) {
				out = append(out, key{d.Lang, d.ID})
			}
			return nil
		})
		return out
	}
	tests := []struct {
		name string
		f    store.Filter
		want []key
	}{
		{"since", store.Filter{Since: hw}, []key{{"en", 1}, {"en", 1 + 97*250}, {"ru", 98}}},
		{"since, lang", store.Filter{Since: hw, Lang: "ru"}, []key{{"ru", 98}}},
		{"ids", store.Filter{IDs: []int64{98, 195, 5}}, []key{{"en", 98}, {"en", 195}, {"ru", 98}, {"ru", 195}}},
		{"ids, lang", store.Filter{Lang: "en", IDs: []int64{98}}, []key{{"en", 98}}},
		{"from/to", store.Filter{From: "2012-03-01", To: "2013-12-31"}, count(func(d *store.Doc) bool {
			return d.Date != "" && d.Date >= "2012-03-01" && d.Date <= "2013-12-31"
		})},
		{"section listing", store.Filter{Section: "Transcripts"}, count(func(d *store.Doc) bool {
			return slices.Contains(d.ListedIn, "transcripts") || slices.Contains(d.Sections, "Transcripts")
		})},
		{"section publication", store.Filter{Section: "news", Lang: "ru"}, count(func(d *store.Doc) bool { return d.Lang == "ru" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanKeys(t, db, tt.f)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Scan(%+v) = %d documents %v…, want %d %v…", tt.f, len(got), got[:min(5, len(got))], len(tt.want), tt.want[:min(5, len(tt.want))])
			}
			if len(tt.want) == 0 || len(tt.want) == len(all) {
				t.Errorf("useless case: want %d of %d", len(tt.want), len(all))
			}
		})
	}
}

func TestDB_Scan_RecordVersionAndNormalized(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1, title: "a"}, 0)
	put(t, db, doc{id: 1, title: "b"}, 0)
	put(t, db, doc{id: 1, title: "c"}, 0)
	f := doc{id: 2}.fetched()
	f.Record.Tags, f.Record.Sections, f.Record.Turns = nil, nil, nil
	db.PutDocument(f, 0)
	got := map[int64]*record.Record{}
	db.Scan(store.Filter{}, func(d *store.Doc, r *record.Record) error { got[d.ID] = r; return nil })
	if r := got[1]; r == nil || r.Version != 3 || r.Title != "c" {
		t.Errorf("record 1 = %+v, want version 3 title c", r)
	}
	if r := got[2]; r == nil || r.Version != 1 || r.Tags == nil || r.Sections == nil || r.Turns == nil || r.SchemaVersion != record.SchemaVersion {
		t.Errorf("record 2 = %+v, want version 1 and normalized", r)
	}
	// The stored per-version records do not carry the count.
	if r, _ := db.Record("en", 1, 2); r.Version != 0 {
		t.Errorf("stored record version field = %d, want 0", r.Version)
	}
}

func TestDB_Scan_CallbackError(t *testing.T) {
	db := mustOpen(t)
	populate(t, db, []string{"en"}, 200)
	stop := errors.New("stop")
	n := 0
	err := db.Scan(store.Filter{}, func(*store.Doc, *record.Record) error {
		n++
		if n == 150 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 150 {
		t.Errorf("Scan = %v after %d calls, want stop after 150", err, n)
	}
	n = 0
	err = db.ScanCaptures(store.Filter{}, true, func(*store.Capture) error {
		n++
		if n == 130 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 130 {
		t.Errorf("ScanCaptures = %v after %d calls, want stop after 130", err, n)
	}
}

func TestDB_Scan_WritesFromCallback(t *testing.T) {
	// fn runs outside the read transaction: writing from it must not
	// deadlock (bbolt deadlocks on a write inside a read in one goroutine).
	db := mustOpen(t)
	populate(t, db, []string{"en"}, 300)
	done := make(chan error, 1)
	go func() {
		done <- db.Scan(store.Filter{Lang: "en"}, func(d *store.Doc, r *record.Record) error {
			_, err := db.PutDocument(doc{lang: "ru", id: d.ID, title: r.Title}.fetched(), 0)
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Scan with writes in the callback did not finish (deadlock?)")
	}
	if n := len(scanKeys(t, db, store.Filter{Lang: "ru"})); n != 300 {
		t.Errorf("%d ru documents written from the callback, want 300", n)
	}
	done2 := make(chan error, 1)
	go func() {
		done2 <- db.ScanCaptures(store.Filter{Lang: "ru"}, true, func(c *store.Capture) error {
			return db.UpdateHostState("x", func(h *store.HostState) { h.Cooldowns++ })
		})
	}()
	select {
	case err := <-done2:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ScanCaptures with writes in the callback did not finish (deadlock?)")
	}
}

func TestDB_ScanCaptures_AllAndCurrent(t *testing.T) {
	db := mustOpen(t)
	bodies := map[key][][]byte{}
	for id := int64(1); id <= 140; id++ {
		versions := 1 + int(id%3)
		for v := 1; v <= versions; v++ {
			d := doc{id: id, title: fmt.Sprintf("doc %d v%d", id, v), at: t0.Add(time.Duration(v) * time.Hour)}
			d.body = []byte(fmt.Sprintf("<html>%d v%d</html>", id, v))
			put(t, db, d, 0)
			bodies[key{"en", id}] = append(bodies[key{"en", id}], d.body)
		}
	}
	put(t, db, doc{lang: "ru", id: 1}, 0)

	type cap struct {
		id int64
		v  int
	}
	var got []cap
	err := db.ScanCaptures(store.Filter{Lang: "en"}, true, func(c *store.Capture) error {
		got = append(got, cap{c.Doc.ID, c.Version})
		want := bodies[key{"en", c.Doc.ID}][c.Version-1]
		if !bytes.Equal(c.Raw.Body, want) {
			t.Errorf("%d v%d: body %q, want %q", c.Doc.ID, c.Version, c.Raw.Body, want)
		}
		if c.Record.Title != fmt.Sprintf("doc %d v%d", c.Doc.ID, c.Version) {
			t.Errorf("%d v%d: record title %q", c.Doc.ID, c.Version, c.Record.Title)
		}
		if !c.Raw.FetchedAt.Equal(t0.Add(time.Duration(c.Version)*time.Hour)) || c.Raw.URL != c.Record.SourceURL || c.Raw.URL == "" {
			t.Errorf("%d v%d: raw URL %q fetched %v", c.Doc.ID, c.Version, c.Raw.URL, c.Raw.FetchedAt)
		}
		if c.Record.Sections == nil || c.Record.Turns == nil {
			t.Errorf("%d v%d: record not normalized", c.Doc.ID, c.Version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []cap
	for id := int64(1); id <= 140; id++ {
		for v := 1; v <= 1+int(id%3); v++ {
			want = append(want, cap{id, v})
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ScanCaptures(all versions) = %d captures, want %d in the order stored", len(got), len(want))
	}

	got = nil
	db.ScanCaptures(store.Filter{IDs: []int64{2, 3, 1}}, false, func(c *store.Capture) error {
		got = append(got, cap{c.Doc.ID, c.Version})
		return nil
	})
	// en/1 (2 versions), en/2 (3), en/3 (1), then ru/1 (1).
	if want := []cap{{1, 2}, {2, 3}, {3, 1}, {1, 1}}; !slices.Equal(got, want) {
		t.Errorf("ScanCaptures(current) = %v, want %v", got, want)
	}
}

func TestDB_HighWater_FollowsChanges(t *testing.T) {
	db := mustOpen(t)
	steps := []struct {
		d    doc
		want uint64
	}{
		{doc{id: 1}, 1},
		{doc{id: 2}, 2},
		{doc{id: 1}, 2}, // unchanged
		{doc{id: 1, title: "x"}, 3},
		{doc{lang: "ru", id: 1}, 4},
	}
	if hw, _ := db.HighWater(); hw != 0 {
		t.Errorf("HighWater of an empty archive = %d", hw)
	}
	for i, s := range steps {
		put(t, db, s.d, 0)
		if hw, _ := db.HighWater(); hw != s.want {
			t.Errorf("step %d: HighWater = %d, want %d", i, hw, s.want)
		}
	}
	// An export up to the high-water mark then --since it sees only later changes.
	hw, _ := db.HighWater()
	if got := scanKeys(t, db, store.Filter{Since: hw}); len(got) != 0 {
		t.Errorf("Scan(Since: HighWater) = %v, want none", got)
	}
	put(t, db, doc{id: 2, title: "y"}, 0)
	if got := scanKeys(t, db, store.Filter{Since: hw}); !slices.Equal(got, []key{{"en", 2}}) {
		t.Errorf("Scan(Since) after a change = %v, want [en/2]", got)
	}
}

func TestDB_Storage_CountsVersionsAndBytes(t *testing.T) {
	// Packs of about 3 pages: 12 documents make 4 sealed packs (or 3 and
	// an open one).
	db := mustOpen(t, func(o *store.Options) { o.PackBytes = 3 * len(realisticPage("en", 1, 1)) })
	var rawBytes, recBytes int64
	for id := int64(1); id <= 12; id++ {
		f := doc{id: id, body: realisticPage("en", id, 1)}.fetched()
		rawBytes += int64(len(f.Raw.Head()) + len(f.Raw.Body))
		f.Record.RawSHA256 = f.Raw.SHA256()
		b, _ := record.Marshal(f.Record)
		recBytes += int64(len(b))
		if _, err := db.PutDocument(f, 0); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.Storage()
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 12 || st.RawBytes != rawBytes || st.RecordJSONBytes != recBytes {
		t.Errorf("Storage = %d versions, %d raw bytes, %d record bytes; want 12, %d, %d", st.Versions, st.RawBytes, st.RecordJSONBytes, rawBytes, recBytes)
	}
	if st.Packs < 3 || st.PackedVersions+st.StagedVersions != 12 || st.PackBytes+st.StagedBytes != st.StoredBytes {
		t.Errorf("packs %d holding %d versions (%d bytes), %d staged (%d bytes), stored %d", st.Packs, st.PackedVersions, st.PackBytes, st.StagedVersions, st.StagedBytes, st.StoredBytes)
	}
	if st.StoredBytes <= 0 || st.StoredBytes >= st.RawBytes/4 || st.RecordBytes != 0 {
		t.Errorf("stored %d bytes of %d raw (records apart: %d)", st.StoredBytes, st.RawBytes, st.RecordBytes)
	}
	var inBuckets int64
	names := map[string]bool{}
	for _, b := range st.Buckets {
		inBuckets += b.Bytes
		names[b.Name] = true
		if b.InUse > b.Bytes || (b.Bytes > 0 && b.Data > b.Bytes) {
			t.Errorf("bucket %+v: more in use than allocated", b)
		}
	}
	for _, name := range store.AllBuckets {
		if !names[name] {
			t.Errorf("no usage line for bucket %s", name)
		}
	}
	if st.PageSize <= 0 || inBuckets > st.HighWater || st.HighWater > st.FileBytes || st.FileBytes != db.Size() {
		t.Errorf("buckets %d bytes, high water %d, file %d (Size %d)", inBuckets, st.HighWater, st.FileBytes, db.Size())
	}
}

// Captures come in the order they were stored (pack after pack), not in
// ID order: a backfill stores documents newest first.
func TestDB_ScanCaptures_StorageOrder(t *testing.T) {
	db := mustOpen(t, func(o *store.Options) { o.PackBytes = 4 << 10 })
	var want []int64
	for id := int64(60); id >= 1; id-- {
		put(t, db, doc{id: id}, 0)
		want = append(want, id)
	}
	put(t, db, doc{id: 30, title: "second version", at: t0.Add(time.Hour)}, 0)
	want = append(want, 30)
	var got []int64
	versions := map[int64][]int{}
	err := db.ScanCaptures(store.Filter{}, true, func(c *store.Capture) error {
		got = append(got, c.Doc.ID)
		versions[c.Doc.ID] = append(versions[c.Doc.ID], c.Version)
		if c.Doc.ID == 30 && c.Doc.Versions != 2 {
			t.Errorf("capture of 30 carries bookkeeping with %d versions", c.Doc.Versions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || !slices.Equal(versions[30], []int{1, 2}) {
		t.Errorf("ScanCaptures order = %v (versions of 30: %v), want %v", got, versions[30], want)
	}
	if st, _ := db.Storage(); st.Packs < 3 || st.StagedVersions == 0 {
		t.Errorf("the test wants sealed packs and staged versions: %+v", st)
	}
}
