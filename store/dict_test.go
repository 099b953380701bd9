package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func putPages(t testing.TB, db *store.DB, lang string, from, to int64) {
	t.Helper()
	for id := from; id <= to; id++ {
		put(t, db, doc{lang: lang, id: id, body: realisticPage(lang, id, 1)}, 0)
	}
}

func checkBodies(t *testing.T, db *store.DB, lang string, from, to int64) {
	t.Helper()
	for id := from; id <= to; id++ {
		raw, err := db.RawResponse(lang, id, 0)
		if err != nil {
			t.Errorf("RawResponse(%s, %d): %v", lang, id, err)
			continue
		}
		if !bytes.Equal(raw.Body, realisticPage(lang, id, 1)) {
			t.Errorf("RawResponse(%s, %d): body differs", lang, id)
		}
	}
}

func TestDB_Dictionary_TrainedAfterThreshold(t *testing.T) {
	const after = 20
	db := mustOpen(t, withDictAfter(after))

	putPages(t, db, "en", 1, after-1)
	if id := db.CurrentDict("en"); id != 0 {
		t.Fatalf("dictionary %d trained after %d pages, want none before %d", id, after-1, after)
	}
	if ds, _ := db.Dicts(); len(ds) != 0 {
		t.Fatalf("Dicts() = %+v before the threshold", ds)
	}
	if got := db.RawBlobDicts("en"); !mapsEqual(got, map[uint32]int{0: after - 1}) {
		t.Errorf("blobs by dictionary = %v", got)
	}
	before, _ := db.Storage()

	putPages(t, db, "en", after, after) // the threshold
	if id := db.CurrentDict("en"); id != 1 {
		t.Fatalf("CurrentDict(en) = %d after %d pages, want 1", id, after)
	}
	if id := db.StoredCurrentDict("en"); id != 1 {
		t.Errorf("the meta bucket names dictionary %d for en, want 1", id)
	}
	if id := db.CurrentDict("ru"); id != 0 {
		t.Errorf("CurrentDict(ru) = %d, want none (ru has no pages)", id)
	}
	ds, err := db.Dicts()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != 1 || ds[0].Size <= 0 || !slices.Equal(ds[0].Current, []string{"en"}) {
		t.Errorf("Dicts() = %+v, want one dictionary current for en", ds)
	}
	// Older pages were recompressed with it.
	if got := db.RawBlobDicts("en"); !mapsEqual(got, map[uint32]int{1: after}) {
		t.Errorf("blobs by dictionary after training = %v, want all %d with dictionary 1", got, after)
	}
	after1, _ := db.Storage()
	perBefore := float64(before.StoredBytes) / float64(before.Versions)
	perAfter := float64(after1.StoredBytes) / float64(after1.Versions)
	t.Logf("stored bytes per page: %.0f without dictionary, %.0f with (raw %.0f)", perBefore, perAfter, float64(after1.RawBytes)/float64(after1.Versions))
	if perAfter >= perBefore {
		t.Errorf("recompression with the dictionary did not shrink the pages: %.0f → %.0f bytes per page", perBefore, perAfter)
	}
	checkBodies(t, db, "en", 1, after)

	// New pages use the current dictionary.
	putPages(t, db, "en", after+1, after+1)
	if blob := db.RawBlob("en", after+1, 1); store.BlobDict(blob) != 1 {
		t.Errorf("new page compressed with dictionary %d, want 1", store.BlobDict(blob))
	}

	// Reopen: the dictionary is loaded, not trained again.
	db = reopen(t, db, &store.Options{NoSync: true, DictTrainAfter: after})
	if id := db.CurrentDict("en"); id != 1 {
		t.Errorf("after reopen CurrentDict(en) = %d, want 1", id)
	}
	checkBodies(t, db, "en", 1, after+1)
	putPages(t, db, "en", after+2, after+3)
	if ds, _ := db.Dicts(); len(ds) != 1 {
		t.Errorf("after reopen and more pages: %d dictionaries, want 1", len(ds))
	}
	if blob := db.RawBlob("en", after+3, 1); store.BlobDict(blob) != 1 {
		t.Errorf("after reopen a new page names dictionary %d, want 1", store.BlobDict(blob))
	}

	// Russian pages get their own dictionary.
	putPages(t, db, "ru", 1, after)
	if id := db.CurrentDict("ru"); id != 2 {
		t.Errorf("CurrentDict(ru) = %d, want 2", id)
	}
	ds, _ = db.Dicts()
	cur := map[uint32][]string{}
	for _, d := range ds {
		cur[d.ID] = d.Current
	}
	if len(ds) != 2 || !slices.Equal(cur[1], []string{"en"}) || !slices.Equal(cur[2], []string{"ru"}) {
		t.Errorf("Dicts() = %+v, want 1 current for en, 2 for ru", ds)
	}
	checkBodies(t, db, "ru", 1, after)
	// And everything is still readable after another reopen, read-only.
	path := db.Path()
	db.Close()
	ro := mustOpenPath(t, path, &store.Options{ReadOnly: true})
	checkBodies(t, ro, "en", 1, after+3)
	checkBodies(t, ro, "ru", 1, after)
	if ps, _ := verifyProblems(t, ro); len(ps) != 0 {
		t.Errorf("Verify: %v", ps)
	}
}

func mapsEqual(a, b map[uint32]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDB_TrainDict_NewVersionKeepsOldBlobsReadable(t *testing.T) {
	db := mustOpen(t, withDictAfter(20))
	putPages(t, db, "en", 1, 20) // dictionary 1
	if err := db.TrainDict("en"); err != nil {
		t.Fatal(err)
	}
	if id := db.CurrentDict("en"); id != 2 {
		t.Fatalf("CurrentDict(en) after TrainDict = %d, want 2", id)
	}
	ds, _ := db.Dicts()
	if len(ds) != 2 || ds[0].ID != 1 || len(ds[0].Current) != 0 || ds[1].ID != 2 {
		t.Errorf("Dicts() = %+v, want 1 (kept) and 2 (current)", ds)
	}
	if got := db.RawBlobDicts("en"); !mapsEqual(got, map[uint32]int{2: 20}) {
		t.Errorf("blobs by dictionary = %v, want all with 2", got)
	}

	// A blob written with the older dictionary (as after a crash in the
	// middle of recompression) names it and stays readable.
	raw, _ := db.RawResponse("en", 5, 1)
	old := db.EncodeForTest(store.MarshalRaw(raw), 1)
	if store.BlobDict(old) != 1 {
		t.Fatalf("EncodeForTest with dictionary 1 names %d", store.BlobDict(old))
	}
	if err := db.PutRawBlobForTest("en", 5, 1, old); err != nil {
		t.Fatal(err)
	}
	// And one written without any.
	raw6, _ := db.RawResponse("en", 6, 1)
	db.PutRawBlobForTest("en", 6, 1, db.EncodeForTest(store.MarshalRaw(raw6), 0))
	db = reopen(t, db, &store.Options{NoSync: true, DictTrainAfter: 20})
	if got := db.RawBlobDicts("en"); !mapsEqual(got, map[uint32]int{0: 1, 1: 1, 2: 18}) {
		t.Errorf("blobs by dictionary = %v", got)
	}
	if r, err := db.RawResponse("en", 5, 1); err != nil || !bytes.Equal(r.Body, realisticPage("en", 5, 1)) {
		t.Errorf("page compressed with the old dictionary: %v", err)
	}
	if r, err := db.RawResponse("en", 6, 1); err != nil || !bytes.Equal(r.Body, realisticPage("en", 6, 1)) {
		t.Errorf("page compressed without dictionary: %v", err)
	}
}

func TestDB_TrainDict_TooFewPages(t *testing.T) {
	db := mustOpen(t)
	putPages(t, db, "en", 1, 7)
	if err := db.TrainDict("en"); err == nil {
		t.Error("TrainDict with 7 pages succeeded")
	}
	if err := db.TrainDict("ru"); err == nil {
		t.Error("TrainDict without pages succeeded")
	}
	if ds, _ := db.Dicts(); len(ds) != 0 {
		t.Errorf("Dicts() = %+v", ds)
	}
}

func TestDB_RawResponse_UnknownDictionary(t *testing.T) {
	db := mustOpen(t)
	putPages(t, db, "en", 1, 2)
	blob := db.RawBlob("en", 2, 1)
	blob[4] = 99 // names dictionary 99, which does not exist
	db.PutRawBlobForTest("en", 2, 1, blob)
	_, err := db.RawResponse("en", 2, 1)
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "dictionary 99") {
		t.Errorf("RawResponse of a blob naming a missing dictionary: %v, want ErrCorrupt naming it", err)
	}
	ps, _ := verifyProblems(t, db)
	if len(ps) != 1 || ps[0].ID != 2 || ps[0].Version != 1 || !strings.Contains(ps[0].Msg, "dictionary 99") {
		t.Errorf("Verify problems = %v, want one about en/2 version 1", ps)
	}
	// Put it back so the final check passes.
	blob[4] = 0
	db.PutRawBlobForTest("en", 2, 1, blob)
}

// Training a dictionary is an optimisation: it must never make storing a
// page fail. (With the dictionary builder of klauspost/compress, pages
// too similar made training fail — "no content is repeated more than
// average across inputs" — and PutDocument returned that error for a
// committed document, on every later call too.)
func TestDB_PutDocument_DictionaryTrainingNeverFails(t *testing.T) {
	for _, body := range []string{"<html>maintenance</html>", "", "x"} {
		db := mustOpen(t, withDictAfter(20))
		for id := int64(1); id <= 25; id++ {
			f := doc{id: id}.fetched()
			f.Raw.Body = []byte(body)
			out, err := db.PutDocument(f, 0)
			if err != nil || out != store.OutcomeNew {
				t.Fatalf("body %q: PutDocument(%d) = %v, %v; want new, nil", body, id, out, err)
			}
		}
		if db.CurrentDict("en") == 0 {
			t.Errorf("body %q: no dictionary after 25 pages", body)
		}
	}
}

// ---- compression ratios --------------------------------------------------

type sizes struct{ raw, plain, dict int64 }

func (s sizes) String() string {
	return fmt.Sprintf("raw %d B, zstd %d B (%.1fx), zstd+dictionary %d B (%.1fx); dictionary saves %.0f%%",
		s.raw, s.plain, float64(s.raw)/float64(s.plain), s.dict, float64(s.raw)/float64(s.dict), 100*(1-float64(s.dict)/float64(s.plain)))
}

func TestDB_Dictionary_CompressionRatio_Synthetic(t *testing.T) {
	// 60 pages of ~31 KB with ~80% shared boilerplate: the first 20 train
	// the dictionary, the other 40 are measured.
	const train, total = 20, 60
	db := mustOpen(t, withDictAfter(train))
	putPages(t, db, "en", 1, total)
	if db.CurrentDict("en") == 0 {
		t.Fatal("no dictionary trained")
	}
	var s sizes
	for id := int64(train + 1); id <= total; id++ {
		raw, _ := db.RawResponse("en", id, 1)
		m := store.MarshalRaw(raw)
		s.raw += int64(len(m))
		s.plain += int64(len(db.EncodeForTest(m, 0)))
		s.dict += int64(len(db.RawBlob("en", id, 1)))
	}
	n := int64(total - train)
	t.Logf("synthetic pages (mean of %d held-out pages): raw %d B, zstd %d B, zstd+dictionary %d B", n, s.raw/n, s.plain/n, s.dict/n)
	t.Logf("synthetic pages: %v", s)
	if float64(s.dict) > 0.6*float64(s.plain) {
		t.Errorf("the dictionary saves less than 40%% on pages sharing 80%% of their bytes: %v", s)
	}
}

// samplesRoot finds the real pages of /work/shared/site/samples, or skips.
// They are read at test time only, never copied into the repository.
func samplesRoot(t testing.TB) string {
	t.Helper()
	var cands []string
	if env := os.Getenv("KREMLIN_SAMPLES"); env != "" {
		cands = append(cands, env, filepath.Join(env, "en.kremlin.ru-2020-08"))
	}
	cands = append(cands, filepath.Join("..", "..", "shared", "site", "samples", "en.kremlin.ru-2020-08"))
	for _, c := range cands {
		if st, err := os.Stat(filepath.Join(c, "events", "president", "news")); err == nil && st.IsDir() {
			return c
		}
	}
	t.Skip("real sample pages not found (set KREMLIN_SAMPLES to the samples folder, e.g. /work/shared/site/samples); skipping")
	return ""
}

func TestDB_Dictionary_CompressionRatio_RealPages(t *testing.T) {
	root := samplesRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "events", "president", "news", "*.html"))
	re := regexp.MustCompile(`^(\d+)\.html$`)
	type page struct {
		id   int64
		body []byte
	}
	var pages []page
	for _, f := range files {
		m := re.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			continue
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page{id, b})
	}
	if len(pages) < 10 {
		t.Skipf("only %d sample event pages", len(pages))
	}
	// Train on half, in a fixed order; measure the other half.
	sort.Slice(pages, func(i, j int) bool { return pages[i].id < pages[j].id })
	var trainSet, testSet []page
	for i, p := range pages {
		if i%2 == 0 {
			trainSet = append(trainSet, p)
		} else {
			testSet = append(testSet, p)
		}
	}
	db := mustOpen(t, withDictAfter(len(trainSet)))
	for _, p := range append(trainSet, testSet...) {
		put(t, db, doc{id: p.id, body: p.body}, 0)
	}
	if db.CurrentDict("en") == 0 {
		t.Fatal("no dictionary trained")
	}
	var all, typical sizes
	var perPage []string
	for _, p := range testSet {
		raw, err := db.RawResponse("en", p.id, 1)
		if err != nil || !bytes.Equal(raw.Body, p.body) {
			t.Fatalf("%d: body does not round-trip (%v)", p.id, err)
		}
		m := store.MarshalRaw(raw)
		s := sizes{int64(len(m)), int64(len(db.EncodeForTest(m, 0))), int64(len(db.RawBlob("en", p.id, 1)))}
		all.raw, all.plain, all.dict = all.raw+s.raw, all.plain+s.plain, all.dict+s.dict
		if len(p.body) <= 64<<10 {
			typical.raw, typical.plain, typical.dict = typical.raw+s.raw, typical.plain+s.plain, typical.dict+s.dict
		}
		perPage = append(perPage, fmt.Sprintf("%d: %d → %d / %d", p.id, s.raw, s.plain, s.dict))
	}
	t.Logf("real pages, trained on %d, measured on %d held-out pages: %v", len(trainSet), len(testSet), all)
	t.Logf("real pages ≤ 64 KB: %v", typical)
	t.Logf("per page (raw → zstd / zstd+dict): %s", strings.Join(perPage, "; "))
	if all.dict > all.plain {
		t.Errorf("the dictionary makes real pages bigger: %v", all)
	}
	for _, p := range pages {
		if d := mustDoc(t, db, "en", p.id); d.RawSHA256 != sha(p.body) {
			t.Errorf("%d: raw_sha256 %s, want %s", p.id, d.RawSHA256, sha(p.body))
		}
	}
}
