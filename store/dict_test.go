package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
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

// packOpts make packs of about 4 pages.
func packOpts(o *store.Options) { o.PackBytes = 4 * len(realisticPage("en", 1, 1)) }

func TestDB_Dictionary_TrainedAfterThreshold(t *testing.T) {
	const after = 20
	db := mustOpen(t, withDictAfter(after), packOpts)

	putPages(t, db, "en", 1, after-1)
	if id := db.CurrentDict("en"); id != 0 {
		t.Fatalf("dictionary %d trained after %d pages, want none before %d", id, after-1, after)
	}
	if ds, _ := db.Dicts(); len(ds) != 0 {
		t.Fatalf("Dicts() = %+v before the threshold", ds)
	}
	packs := db.PackDicts("en")
	if len(packs) != 1 || packs[0] < 3 {
		t.Errorf("packs by dictionary = %v, want several without", packs)
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
	if len(ds) != 2 || ds[0].ID != 1 || ds[0].Size <= 0 || !slices.Equal(ds[0].Current, []string{"en"}) ||
		ds[1].ID != 2 || ds[1].Size <= 0 || !slices.Equal(ds[1].Records, []string{"en"}) {
		t.Errorf("Dicts() = %+v, want one dictionary current for en's pages, one for its records", ds)
	}
	// Older packs were recompressed with them.
	if got := db.PackDicts("en"); len(got) != 1 || got[1] < packs[0] {
		t.Errorf("packs by dictionary after training = %v, want all %d with dictionary 1", got, packs[0])
	}
	after1, _ := db.Storage()
	perBefore := float64(before.PackBytes) / float64(before.PackedVersions)
	perAfter := float64(after1.PackBytes) / float64(after1.PackedVersions)
	t.Logf("stored bytes per packed version: %.0f without dictionaries, %.0f with (raw %.0f)", perBefore, perAfter, float64(after1.RawBytes)/float64(after1.Versions))
	if perAfter >= perBefore {
		t.Errorf("recompression with the dictionaries did not shrink the packs: %.0f → %.0f bytes per version", perBefore, perAfter)
	}
	checkBodies(t, db, "en", 1, after)

	// New packs use the current dictionaries.
	putPages(t, db, "en", after+1, after+8)
	if _, _, sealed := db.Loc("en", after+1, 1); !sealed {
		t.Fatalf("en/%d not sealed", after+1)
	}
	if blob := db.StoredBlob("en", after+1, 1); store.BlobDict(blob) != 1 || store.BlobRecordDict(blob) != 2 {
		t.Errorf("new pack compressed with dictionaries %d, %d; want 1, 2", store.BlobDict(blob), store.BlobRecordDict(blob))
	}

	// Reopen: the dictionaries are loaded, not trained again.
	db = reopen(t, db, &store.Options{NoSync: true, DictTrainAfter: after, PackBytes: 4 * len(realisticPage("en", 1, 1))})
	if id := db.CurrentDict("en"); id != 1 {
		t.Errorf("after reopen CurrentDict(en) = %d, want 1", id)
	}
	checkBodies(t, db, "en", 1, after+8)
	putPages(t, db, "en", after+9, after+16)
	if ds, _ := db.Dicts(); len(ds) != 2 {
		t.Errorf("after reopen and more pages: %d dictionaries, want 2", len(ds))
	}
	if blob := db.StoredBlob("en", after+9, 1); store.BlobDict(blob) != 1 {
		t.Errorf("after reopen a new pack names dictionary %d, want 1", store.BlobDict(blob))
	}

	// Russian pages get their own dictionaries.
	putPages(t, db, "ru", 1, after)
	if id := db.CurrentDict("ru"); id != 3 {
		t.Errorf("CurrentDict(ru) = %d, want 3", id)
	}
	ds, _ = db.Dicts()
	cur := map[uint32][]string{}
	for _, d := range ds {
		cur[d.ID] = append(d.Current, d.Records...)
	}
	if len(ds) != 4 || !slices.Equal(cur[1], []string{"en"}) || !slices.Equal(cur[3], []string{"ru"}) || !slices.Equal(cur[4], []string{"ru"}) {
		t.Errorf("Dicts() = %+v, want 1 and 2 current for en, 3 and 4 for ru", ds)
	}
	checkBodies(t, db, "ru", 1, after)
	// And everything is still readable after another reopen, read-only.
	path := db.Path()
	db.Close()
	ro := mustOpenPath(t, path, &store.Options{ReadOnly: true})
	checkBodies(t, ro, "en", 1, after+16)
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
	db := mustOpen(t, withDictAfter(20), packOpts)
	putPages(t, db, "en", 1, 20) // dictionaries 1 (pages) and 2 (records)
	if err := db.TrainDict("en"); err != nil {
		t.Fatal(err)
	}
	if id := db.CurrentDict("en"); id != 3 {
		t.Fatalf("CurrentDict(en) after TrainDict = %d, want 3", id)
	}
	ds, _ := db.Dicts()
	if len(ds) != 4 || ds[0].ID != 1 || len(ds[0].Current) != 0 || len(ds[1].Records) != 0 || !slices.Equal(ds[2].Current, []string{"en"}) || !slices.Equal(ds[3].Records, []string{"en"}) {
		t.Errorf("Dicts() = %+v, want 1 and 2 (kept), 3 and 4 (current)", ds)
	}
	packs := db.PackDicts("en")
	if len(packs) != 1 || packs[3] < 4 {
		t.Errorf("packs by dictionary = %v, want all with 3", packs)
	}
	if d := store.BlobRecordDict(db.StoredBlob("en", 1, 1)); d != 4 {
		t.Errorf("a pack's records name dictionary %d, want 4", d)
	}

	// A pack written with the older dictionaries (as after a crash in the
	// middle of recompression) names them and stays readable; so does one
	// written without any.
	old := db.ReencodeBlobForTest(db.StoredBlob("en", 1, 1), 1)
	if store.BlobDict(old) != 1 {
		t.Fatalf("ReencodeBlobForTest with dictionary 1 names %d", store.BlobDict(old))
	}
	if err := db.PutBlobForTest("en", 1, 1, old); err != nil {
		t.Fatal(err)
	}
	db.PutBlobForTest("en", 9, 1, db.ReencodeBlobForTest(db.StoredBlob("en", 9, 1), 0))
	db = reopen(t, db, &store.Options{NoSync: true, DictTrainAfter: 20})
	if got := db.PackDicts("en"); got[1] != 1 || got[0] != 1 || got[3] != packs[3]-2 {
		t.Errorf("packs by dictionary = %v", got)
	}
	checkBodies(t, db, "en", 1, 20)
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
	db := mustOpen(t, withDictAfter(20), packOpts)
	putPages(t, db, "en", 1, 20)
	good := db.StoredBlob("en", 2, 1)
	inBlob, _ := store.BlobEntries(good)
	db.PutBlobForTest("en", 2, 1, store.SetFrameDictForTest(good, 99)) // names dictionary 99, which does not exist
	_, err := db.RawResponse("en", 2, 1)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("RawResponse of a pack naming a missing dictionary: %v, want ErrCorrupt", err)
	}
	ps, _ := verifyProblems(t, db)
	if len(ps) != len(inBlob) || !slices.ContainsFunc(ps, func(p store.Problem) bool { return p.ID == 2 && p.Version == 1 }) {
		t.Errorf("Verify problems = %v, want one per version of the pack %v", ps, inBlob)
	}
	// Put it back so the final check passes.
	db.PutBlobForTest("en", 2, 1, good)
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

// ratios are the stored sizes of pages (head + body) and their records:
// each page and record compressed alone without a dictionary, and in
// sealed packs (with the dictionaries).
type ratios struct{ raw, records, plain, packed int64 }

func (s ratios) String() string {
	return fmt.Sprintf("raw %d B + records %d B; each page and record alone: zstd %.3f of the raw bytes; in packs %.3f",
		s.raw, s.records, float64(s.plain)/float64(s.raw), float64(s.packed)/float64(s.raw))
}

// measure stores pages (dictionaries trained on the first train) with
// their records, in packs of 256 KiB (these sets are small), and measures
// the packs against the pages and records compressed one by one.
func measure(t *testing.T, pages []doc, train int, recs func(d doc) *store.Fetched) ratios {
	t.Helper()
	var s ratios
	db := mustOpen(t, withDictAfter(train), func(o *store.Options) { o.PackBytes = 256 << 10 })
	for _, p := range pages {
		f := recs(p)
		if _, err := db.PutDocument(f, 0); err != nil {
			t.Fatal(err)
		}
		s.raw += int64(len(f.Raw.Head()) + len(f.Raw.Body))
		r, _ := db.Record("en", p.id, 1)
		rec, _ := record.Marshal(r)
		s.records += int64(len(rec))
		s.plain += int64(db.PlainSizeForTest(append(f.Raw.Head(), f.Raw.Body...)) + db.PlainSizeForTest(rec))
	}
	st, err := db.Storage()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packs < 2 {
		t.Fatalf("%d packs", st.Packs)
	}
	s.plain = s.plain * st.PackedRawBytes / s.raw // the packed pages' share
	s.raw, s.packed = st.PackedRawBytes, st.PackBytes
	for _, p := range pages {
		raw, err := db.RawResponse("en", p.id, 1)
		if err != nil || !bytes.Equal(raw.Body, p.body) {
			t.Fatalf("%d: body does not round-trip (%v)", p.id, err)
		}
	}
	return s
}

func TestDB_Dictionary_CompressionRatio_Synthetic(t *testing.T) {
	// 60 pages of ~31 KB with ~80% shared boilerplate: the first 20 train
	// the dictionaries.
	var pages []doc
	for id := int64(1); id <= 60; id++ {
		pages = append(pages, doc{id: id, body: realisticPage("en", id, 1)})
	}
	s := measure(t, pages, 20, func(d doc) *store.Fetched { return d.fetched() })
	t.Logf("synthetic pages: %v", s)
	if float64(s.packed) > 0.4*float64(s.plain) {
		t.Errorf("packs save less than 60%% on pages sharing 80%% of their bytes: %v", s)
	}
}

func TestDB_Dictionary_CompressionRatio_RealPages(t *testing.T) {
	root := samples.Root(t)
	files, _ := filepath.Glob(filepath.Join(root, "events", "president", "news", "*.html"))
	re := regexp.MustCompile(`^(\d+)\.html$`)
	var pages []doc
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
		pages = append(pages, doc{id: id, body: b})
	}
	if len(pages) < 10 {
		t.Skipf("only %d sample event pages", len(pages))
	}
	// Train on half, in a fixed order; measure the other half. The record
	// carries the page's text (as the parser would: the test has no
	// parser, so the page's visible text stands in for it).
	sort.Slice(pages, func(i, j int) bool {
		return pages[i].id%2 < pages[j].id%2 || (pages[i].id%2 == pages[j].id%2 && pages[i].id < pages[j].id)
	})
	tag := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	space := regexp.MustCompile(`\s+`)
	s := measure(t, pages, len(pages)/2, func(d doc) *store.Fetched {
		f := d.fetched()
		f.Record.Text = strings.TrimSpace(space.ReplaceAllString(tag.ReplaceAllString(string(d.body), " "), " "))
		return f
	})
	t.Logf("real pages, %d held out of %d: %v", len(pages)-len(pages)/2, len(pages), s)
	if s.packed > s.plain {
		t.Errorf("packs make real pages bigger: %v", s)
	}
}
