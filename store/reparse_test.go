package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// reparseArchive stores n en documents (every third with two versions)
// and 3 ru documents.
func reparseArchive(t *testing.T, n int) (*store.DB, int) {
	t.Helper()
	db := mustOpen(t)
	versions := 0
	for id := int64(1); id <= int64(n); id++ {
		put(t, db, doc{id: id, title: fmt.Sprintf("Doc %d", id), date: "2024-05-06"}, 0)
		versions++
		if id%3 == 0 {
			put(t, db, doc{id: id, title: fmt.Sprintf("Doc %d v2", id), date: "2024-05-06", at: t0.Add(time.Hour)}, 0)
			versions++
		}
	}
	for id := int64(1); id <= 3; id++ {
		put(t, db, doc{lang: "ru", id: id, title: fmt.Sprintf("Документ %d", id)}, 0)
	}
	return db, versions
}

func TestDB_Reparse_ChangedTitle(t *testing.T) {
	const n = 70 // more than one batch of 64
	db, versions := reparseArchive(t, n)
	hw, _ := db.HighWater()
	before := map[int64]*record.Record{}
	for id := int64(1); id <= n; id++ {
		r, _ := db.Record("en", id, 1)
		before[id] = r
	}

	var seen []string
	var progress []int
	st, err := db.Reparse("en", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		if !bytes.Contains(raw.Body, []byte(old.Title)) || raw.URL != old.SourceURL || raw.FetchedAt.IsZero() || raw.Status != 200 {
			t.Errorf("%d: raw %q / %v does not go with record %q", old.ID, raw.URL, raw.FetchedAt, old.Title)
		}
		seen = append(seen, fmt.Sprintf("%s/%d", old.Lang, old.ID))
		nr := *old
		nr.Title = strings.ToUpper(old.Title)
		nr.ParserVersion = 2
		// A parser does not know the fetch fields; whatever it says is ignored.
		nr.FetchedAt, nr.SourceURL, nr.RawSHA256 = "", "http://wrong", "bad"
		nr.Version = 42
		return &nr, nil
	}, func(lang string, id int64, version int, err error) {
		t.Errorf("onError(%s, %d, %d, %v)", lang, id, version, err)
	}, func(done int) { progress = append(progress, done) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != n || st.Versions != versions || st.Changed != n || st.Failed != 0 {
		t.Errorf("ReparseStats = %+v, want documents %d versions %d changed %d", st, n, versions, n)
	}
	if len(seen) != versions || slices.ContainsFunc(seen, func(s string) bool { return strings.HasPrefix(s, "ru/") }) {
		t.Errorf("the parser saw %d versions (want %d) of en only", len(seen), versions)
	}
	if len(progress) < 2 || !slices.IsSorted(progress) || progress[len(progress)-1] != n {
		t.Errorf("progress = %v, want growing in more than one step to %d", progress, n)
	}

	for id := int64(1); id <= n; id++ {
		d := mustDoc(t, db, "en", id)
		r, _ := db.Record("en", id, 1)
		old := before[id]
		if r.Title != strings.ToUpper(old.Title) || r.ParserVersion != 2 || r.Version != 0 {
			t.Errorf("%d v1 after reparse: title %q parser %d version %d", id, r.Title, r.ParserVersion, r.Version)
		}
		if r.FetchedAt != old.FetchedAt || r.SourceURL != old.SourceURL || r.RawSHA256 != old.RawSHA256 {
			t.Errorf("%d: fetch fields changed: %q %q %q, want %q %q %q", id, r.FetchedAt, r.SourceURL, r.RawSHA256, old.FetchedAt, old.SourceURL, old.RawSHA256)
		}
		cur, _ := db.Record("en", id, 0)
		if d.Title != cur.Title || !strings.HasPrefix(d.Title, "DOC ") {
			t.Errorf("%d: Doc.Title %q, current record %q", id, d.Title, cur.Title)
		}
		if d.Seq <= hw {
			t.Errorf("%d: Seq %d not bumped past %d", id, d.Seq, hw)
		}
	}
	// export --since the old high-water mark sees exactly the changed documents.
	got := scanKeys(t, db, store.Filter{Since: hw})
	if len(got) != n || slices.ContainsFunc(got, func(k key) bool { return k.lang != "en" }) {
		t.Errorf("Scan(Since: %d) = %d documents, want the %d reparsed", hw, len(got), n)
	}
	if hw2, _ := db.HighWater(); hw2 != hw+n {
		t.Errorf("HighWater = %d, want %d", hw2, hw+n)
	}
	if r, _ := db.Record("ru", 1, 0); r.Title != "Документ 1" {
		t.Errorf("ru record touched: %q", r.Title)
	}

	// Reparsing again with the same parser changes nothing.
	hw, _ = db.HighWater()
	st, err = db.Reparse("", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		nr := *old
		return &nr, nil
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed != 0 || st.Documents != n+3 {
		t.Errorf("second Reparse = %+v, want %d documents, none changed", st, n+3)
	}
	if hw2, _ := db.HighWater(); hw2 != hw {
		t.Errorf("HighWater moved from %d to %d without a change", hw, hw2)
	}
}

func TestDB_Reparse_OnlyOldVersionChanged(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1, title: "first"}, 0)
	put(t, db, doc{id: 1, title: "second"}, 0)
	seq := mustDoc(t, db, "en", 1).Seq
	st, err := db.Reparse("en", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		nr := *old
		if old.Title == "first" {
			nr.Lead = "a better lead"
		}
		return &nr, nil
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed != 0 || st.Versions != 2 {
		t.Errorf("ReparseStats = %+v, want 2 versions, 0 current records changed", st)
	}
	if r, _ := db.Record("en", 1, 1); r.Lead != "a better lead" {
		t.Errorf("old version not rewritten: lead %q", r.Lead)
	}
	if d := mustDoc(t, db, "en", 1); d.Seq != seq || d.Title != "second" {
		t.Errorf("Doc = seq %d title %q, want seq %d title second", d.Seq, d.Title, seq)
	}
}

func TestDB_Reparse_ParserVersionOnly(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1}, 0)
	hw, _ := db.HighWater()
	st, _ := db.Reparse("", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		nr := *old
		nr.ParserVersion = 7
		return &nr, nil
	}, nil, nil)
	if st.Changed != 0 {
		t.Errorf("Changed = %d for a parser version bump only", st.Changed)
	}
	if r, _ := db.Record("en", 1, 0); r.ParserVersion != 7 {
		t.Errorf("parser_version = %d, want 7 (the record is rewritten)", r.ParserVersion)
	}
	if hw2, _ := db.HighWater(); hw2 != hw {
		t.Errorf("HighWater moved %d → %d", hw, hw2)
	}
}

func TestDB_Reparse_ParserError_KeepsOldRecord(t *testing.T) {
	db, versions := reparseArchive(t, 10)
	hw, _ := db.HighWater()
	type call struct {
		lang    string
		id      int64
		version int
	}
	var errs []call
	bad := errors.New("layout not recognised")
	st, err := db.Reparse("en", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		if old.ID%2 == 0 {
			return nil, bad
		}
		nr := *old
		nr.Title = "reparsed"
		return &nr, nil
	}, func(lang string, id int64, version int, err error) {
		if !errors.Is(err, bad) {
			t.Errorf("onError got %v", err)
		}
		errs = append(errs, call{lang, id, version})
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantFailed := 0
	for id := int64(2); id <= 10; id += 2 {
		wantFailed++
		if id%3 == 0 {
			wantFailed++
		}
	}
	if st.Failed != wantFailed || len(errs) != wantFailed || st.Versions != versions || st.Changed != 5 {
		t.Errorf("ReparseStats = %+v (onError %d calls), want failed %d, changed 5", st, len(errs), wantFailed)
	}
	if !slices.Contains(errs, call{"en", 6, 2}) {
		t.Errorf("onError calls %v lack en/6 version 2", errs)
	}
	for id := int64(2); id <= 10; id += 2 {
		r, _ := db.Record("en", id, 0)
		if r.Title == "reparsed" {
			t.Errorf("%d: record replaced although the parser failed", id)
		}
		if d := mustDoc(t, db, "en", id); d.Seq > hw {
			t.Errorf("%d: seq bumped although the parser failed", id)
		}
	}
}

// Regression (fixed): reparse.go:97-115 (reparseBatch) keeps whatever
// identity the parser returns. A record naming another document (a parser
// that takes the ID from a link, a page stored under the wrong ID) is
// written under this document's key, and the store's own Verify then
// reports "parsed record names en/N". PutDocument cannot do this (the key
// is taken from the record). Fix: in reparseBatch, treat nr.ID != old.ID
// || nr.Lang != old.Lang like a parser error (st.Failed++, onError, keep
// the old record).
func TestDB_Reparse_OtherIdentity_KeepsOldRecord(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1, title: "one"}, 0)
	var failed []int64
	st, err := db.Reparse("", func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		nr := *old
		nr.ID = 2
		nr.Title = "two"
		return &nr, nil
	}, func(lang string, id int64, version int, err error) { failed = append(failed, id) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Failed != 1 || !slices.Equal(failed, []int64{1}) {
		t.Errorf("ReparseStats = %+v, onError for %v; want the version refused", st, failed)
	}
	if r, _ := db.Record("en", 1, 0); r.ID != 1 || r.Title != "one" {
		t.Errorf("record of en/1 = %d %q, want the old one", r.ID, r.Title)
	}
}
