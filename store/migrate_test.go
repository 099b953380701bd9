package store_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// testdata/schema1.db is an archive written by kremlin-archive's schema-1
// code (see testdata/README.md); testdata/schema1.manifest.jsonl lists
// every version of every document in it as that code read it back.

type manifestEntry struct {
	Lang    string          `json:"lang"`
	ID      int64           `json:"id"`
	Version int             `json:"version"`
	Doc     *store.Doc      `json:"doc"`
	Record  json.RawMessage `json:"record"`
	RawHead string          `json:"raw_head"`
	RawSHA  string          `json:"raw_body_sha256"`
	RawLen  int             `json:"raw_body_len"`
}

func gunzipTo(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// migrateOpts make packs of about 4 pages, so that the migration seals
// some.
func migrateOpts() *store.Options {
	o := testOpts()
	o.PackBytes = 100 << 10
	return o
}

// schema1Archive copies the schema-1 archive into a temporary directory.
func schema1Archive(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	gunzipTo(t, filepath.Join("testdata", "schema1.db.gz"), path)
	return path
}

func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.jsonl")
	gunzipTo(t, filepath.Join("testdata", "schema1.manifest.jsonl.gz"), path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []manifestEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		var e manifestEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if len(out) < 20 {
		t.Fatalf("manifest has %d entries", len(out))
	}
	return out
}

// checkAgainstManifest reads every version the manifest lists and
// compares it with what the schema-1 code read.
func checkAgainstManifest(t *testing.T, db *store.DB, m []manifestEntry) {
	t.Helper()
	current := map[string]record.Record{}
	var maxSeq uint64
	for _, e := range m {
		what := fmt.Sprintf("%s/%d version %d", e.Lang, e.ID, e.Version)
		var want record.Record
		if err := json.Unmarshal(e.Record, &want); err != nil {
			t.Fatal(err)
		}
		got, err := db.Record(e.Lang, e.ID, e.Version)
		if err != nil || got == nil {
			t.Errorf("%s: Record: %v", what, err)
			continue
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: record differs:\n got %+v\nwant %+v", what, *got, want)
		}
		raw, err := db.RawResponse(e.Lang, e.ID, e.Version)
		if err != nil || raw == nil {
			t.Errorf("%s: RawResponse: %v", what, err)
			continue
		}
		if string(raw.Head()) != e.RawHead || raw.SHA256() != e.RawSHA || len(raw.Body) != e.RawLen || raw.URL != want.SourceURL {
			t.Errorf("%s: raw response differs (head %v, body sha %s len %d, url %q)", what, string(raw.Head()) == e.RawHead, raw.SHA256(), len(raw.Body), raw.URL)
		}
		if e.Doc == nil {
			continue
		}
		current[fmt.Sprintf("%s/%d", e.Lang, e.ID)] = want
		maxSeq = max(maxSeq, e.Doc.Seq)
		d, err := db.Doc(e.Lang, e.ID)
		if err != nil || d == nil {
			t.Errorf("%s: Doc: %v", what, err)
			continue
		}
		if !reflect.DeepEqual(normDoc(d), normDoc(e.Doc)) {
			t.Errorf("%s: bookkeeping differs:\n got %+v\nwant %+v", what, normDoc(d), normDoc(e.Doc))
		}
	}
	if hw, _ := db.HighWater(); hw != maxSeq {
		t.Errorf("HighWater = %d, want %d", hw, maxSeq)
	}
	// Scan (the export) gives every current record once, in order.
	n := 0
	err := db.Scan(store.Filter{}, func(d *store.Doc, r *record.Record) error {
		n++
		want, ok := current[fmt.Sprintf("%s/%d", d.Lang, d.ID)]
		want.Version = d.Versions
		want.Normalize()
		if !ok || !reflect.DeepEqual(*r, want) {
			t.Errorf("Scan %s/%d: record differs", d.Lang, d.ID)
		}
		return nil
	})
	if err != nil || n != len(current) {
		t.Errorf("Scan: %d records, %v; want %d", n, err, len(current))
	}
	if ps, _ := verifyProblems(t, db); len(ps) != 0 {
		t.Errorf("Verify: %q", ps)
	}
}

// checkOtherState checks what the migration does not touch.
func checkOtherState(t *testing.T, db *store.DB) {
	t.Helper()
	if ps, err := db.PendingList(""); err != nil || len(ps) != 2 || ps[0].ID != 999002 && ps[1].ID != 999002 {
		t.Errorf("frontier after migration: %+v, %v", ps, err)
	}
	if runs, err := db.Runs(0); err != nil || len(runs) != 2 || runs[0].Status != "ok" {
		t.Errorf("run ledger: %+v, %v", runs, err)
	}
	if st, err := db.SectionStates(); err != nil || len(st) != 4 {
		t.Errorf("listing states: %d, %v", len(st), err)
	}
	if ds, err := db.Dicts(); err != nil || len(ds) != 1 || db.CurrentDict("en") != ds[0].ID {
		t.Errorf("dictionaries: %+v, %v", ds, err)
	}
}

func TestMigrate_Schema1_ReadAsItIs(t *testing.T) {
	m := readManifest(t)
	path := schema1Archive(t)
	db := mustOpenPath(t, path, &store.Options{ReadOnly: true})
	if db.Schema() != 1 {
		t.Fatalf("Schema() = %d, want 1", db.Schema())
	}
	checkAgainstManifest(t, db, m)
	checkOtherState(t, db)
	st, err := db.Storage()
	if err != nil || st.Versions != len(m) || st.RecordBytes == 0 {
		t.Errorf("Storage of a schema-1 archive: %+v, %v", st, err)
	}
}

func TestMigrate_Schema1_InPlace(t *testing.T) {
	m := readManifest(t)
	path := schema1Archive(t)
	ro := mustOpenPath(t, path, &store.Options{ReadOnly: true})
	old1, _ := ro.Storage()
	ro.Close()
	db := mustOpenPath(t, path, migrateOpts())
	if db.Schema() != 2 || db.MetaValue(store.KeySchema) != "2" {
		t.Fatalf("after a writer's Open: Schema() = %d, meta says %q; want 2", db.Schema(), db.MetaValue(store.KeySchema))
	}
	for _, b := range []string{"raw", "records", "changes"} {
		if db.HasBucket(b) {
			t.Errorf("schema-1 bucket %s left after the migration", b)
		}
	}
	checkAgainstManifest(t, db, m)
	checkOtherState(t, db)
	st, _ := db.Storage()
	// (Small files are rounded up to a power of two: compare the pages
	// in use.)
	if st.HighWater >= old1.HighWater {
		t.Errorf("the migrated archive uses %d bytes, the schema-1 one %d", st.HighWater, old1.HighWater)
	}
	if st.Versions != len(m) || st.RecordBytes != 0 || st.Packs < 3 {
		t.Errorf("Storage after migration: %d versions, %d record bytes apart, %d packs; want %d, 0, several", st.Versions, st.RecordBytes, st.Packs, len(m))
	}
	t.Logf("schema 1: %d bytes in use; migrated: %d (packs %d, %d staged versions)", old1.HighWater, st.HighWater, st.Packs, st.StagedVersions)

	// The archive goes on: a new document and a new version of an old one.
	hw, _ := db.HighWater()
	put(t, db, doc{id: 424242, title: "after the migration"}, 0)
	old := m[0]
	var rec record.Record
	json.Unmarshal(old.Record, &rec)
	d0, _ := db.Doc(old.Lang, old.ID)
	put(t, db, doc{lang: old.Lang, id: old.ID, title: "new version after the migration", at: time.Now()}, 0)
	if d := mustDoc(t, db, old.Lang, old.ID); d.Versions != d0.Versions+1 || d.Seq <= hw {
		t.Errorf("new version of %s/%d: versions %d (was %d), seq %d (high water was %d)", old.Lang, old.ID, d.Versions, d0.Versions, d.Seq, hw)
	}
	if r, err := db.Record(old.Lang, old.ID, 1); err != nil || r.Title != rec.Title && old.Version == 1 {
		t.Errorf("old version after a new one: %v, %v", r, err)
	}
	// Reopen: nothing left to migrate.
	db = reopen(t, db, testOpts())
	if db.Schema() != 2 {
		t.Errorf("Schema() after reopen = %d", db.Schema())
	}
}

// A migration stopped after any batch (a crash, a full disk) leaves an
// archive that reads completely, that older kremlin-archive refuses, and
// whose migration the next writer finishes.
func TestMigrate_Schema1_Interrupted(t *testing.T) {
	m := readManifest(t)
	errStop := errors.New("stopped for the test")
	for stopAt := 0; ; stopAt++ {
		path := schema1Archive(t)
		batches := 0
		restore := store.SetMigrationForTest(3, func(batch int) error {
			batches = batch + 1
			if batch == stopAt {
				return errStop
			}
			return nil
		})
		_, err := store.Open(path, migrateOpts())
		restore()
		if err == nil {
			if stopAt < 2 {
				t.Fatalf("the migration of the test archive took %d batches; the test wants several", batches)
			}
			break // stopAt is past the last batch: nothing was interrupted
		}
		if !errors.Is(err, errStop) || !strings.Contains(err.Error(), "run the command again to resume") {
			t.Fatalf("stop at batch %d: Open: %v", stopAt, err)
		}
		t.Run(fmt.Sprintf("stopped before batch %d", stopAt), func(t *testing.T) {
			ro := mustOpenPath(t, path, &store.Options{ReadOnly: true})
			if ro.Schema() != 1 || ro.MetaValue(store.KeySchema) != "2" {
				t.Errorf("half-migrated: Schema() = %d, meta says %q; want read as 1, marked 2", ro.Schema(), ro.MetaValue(store.KeySchema))
			}
			checkAgainstManifest(t, ro, m)
			ro.Close()
			db := mustOpenPath(t, path, migrateOpts())
			if db.Schema() != 2 || db.HasBucket("raw") {
				t.Errorf("after the resumed migration: Schema() = %d, raw bucket %v", db.Schema(), db.HasBucket("raw"))
			}
			checkAgainstManifest(t, db, m)
			checkOtherState(t, db)
		})
	}
}

// Schema 1 had a page dictionary but none for records: the migration
// trains both (when the language has enough pages) before compacting.
func TestMigrate_Schema1_TrainsDictionaries(t *testing.T) {
	m := readManifest(t)
	o := migrateOpts()
	o.DictTrainAfter = 10
	db := mustOpenPath(t, schema1Archive(t), o)
	ds, _ := db.Dicts()
	var rec uint32
	for _, d := range ds {
		if slices.Contains(d.Records, "en") {
			rec = d.ID
		}
	}
	if rec == 0 || db.CurrentDict("en") == 1 {
		t.Fatalf("after the migration: dictionaries %+v, current page dictionary %d; want new ones for en", ds, db.CurrentDict("en"))
	}
	for _, e := range m {
		if e.Lang != "en" {
			continue
		}
		if _, _, sealed := db.Loc("en", e.ID, e.Version); sealed {
			if blob := db.StoredBlob("en", e.ID, e.Version); store.BlobRecordDict(blob) != rec || store.BlobDict(blob) != db.CurrentDict("en") {
				t.Errorf("en/%d: pack compressed with dictionaries %d, %d", e.ID, store.BlobDict(blob), store.BlobRecordDict(blob))
			}
		}
	}
	checkAgainstManifest(t, db, m)
}
