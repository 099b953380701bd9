package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func groupOpts() *store.Options {
	o := testOpts()
	o.GroupCommit = time.Hour // only the group's size or another operation commits
	return o
}

// killedCopy copies what is on disk of an open archive (the archive file
// and, with journal, its group journal) to a new directory: what a
// SIGKILL leaves (without the journal: what a power loss may leave).
func killedCopy(t *testing.T, db *store.DB, journal bool) string {
	t.Helper()
	dir := t.TempDir()
	dst := filepath.Join(dir, "archive.db")
	files := []string{""}
	if journal {
		files = append(files, ".journal")
	}
	for _, suffix := range files {
		b, err := os.ReadFile(db.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// groupOfFive stores five documents listed by one listing page into a
// group that is not committed.
func groupOfFive(t *testing.T, db *store.DB) uint64 {
	t.Helper()
	run, err := db.StartRun("backfill", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	var items []store.ListedItem
	for id := int64(1); id <= 5; id++ {
		items = append(items, store.ListedItem{ID: id, URL: fmt.Sprint("/events/president/news/", id)})
	}
	res, err := db.RecordListing("en", "news", items, t0, nil, run.ID)
	if err != nil || len(res.Fetch) != 5 {
		t.Fatalf("RecordListing: %+v %v", res, err)
	}
	for i, p := range res.Fetch {
		d := doc{id: p.ID, title: fmt.Sprintf("Doc %d", p.ID), body: realisticPage("en", p.ID, 1), at: t0.Add(time.Duration(i) * time.Second), listed: p.ListedIn}
		if o := put(t, db, d, run.ID); o != store.OutcomeNew {
			t.Fatalf("doc %d: %v", p.ID, o)
		}
	}
	return run.ID
}

func pendingIDs(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	due, err := db.DuePending("en", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range due {
		ids = append(ids, p.ID)
	}
	return ids
}

// A killed writer's uncommitted group is stored again from the journal
// by the next writer, byte for byte, with the run's counters; without
// the journal (a power loss) the documents are still in the frontier.
func TestGroupCommit_Journal(t *testing.T) {
	db := mustOpen(t, func(o *store.Options) { *o = *groupOpts() })
	runID := groupOfFive(t, db)
	killed := killedCopy(t, db, true)
	lost := killedCopy(t, db, false)

	// The writer itself sees its documents (a read commits the group).
	if d := mustDoc(t, db, "en", 3); d.Versions != 1 {
		t.Fatalf("writer: doc 3 has %d versions", d.Versions)
	}

	for _, tc := range []struct {
		name    string
		path    string
		docs    int
		pending int
	}{
		{"SIGKILL: the journal", killed, 5, 0},
		// The first document was committed alone: the writer's first
		// store counts the language's versions (a read).
		{"power loss: no journal", lost, 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := mustOpenPath(t, tc.path, testOpts())
			n := 0
			for id := int64(1); id <= 5; id++ {
				d, err := re.Doc("en", id)
				if err != nil {
					t.Fatal(err)
				}
				if d == nil {
					continue
				}
				n++
				raw, err := re.RawResponse("en", id, 0)
				if err != nil || string(raw.Body) != string(realisticPage("en", id, 1)) {
					t.Errorf("doc %d: raw body differs after the replay (%v)", id, err)
				}
			}
			if n != tc.docs {
				t.Errorf("%d documents, want %d", n, tc.docs)
			}
			if p := pendingIDs(t, re); len(p) != tc.pending {
				t.Errorf("pending %v, want %d entries", p, tc.pending)
			}
			runs, err := re.Runs(0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range runs {
				if r.ID == runID && r.New != tc.docs {
					t.Errorf("run %d counts %d new, want %d", r.ID, r.New, tc.docs)
				}
			}
			// Replayed once: a second opening finds nothing to do.
			re = reopen(t, re, testOpts())
			if runs, _ := re.Runs(0); len(runs) == 0 {
				t.Fatal("no runs")
			} else {
				for _, r := range runs {
					if r.ID == runID && r.New != tc.docs {
						t.Errorf("after a second opening run %d counts %d new, want %d", r.ID, r.New, tc.docs)
					}
				}
			}
		})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.Path() + ".journal"); !os.IsNotExist(err) {
		t.Errorf("the journal is left after a clean Close: %v", err)
	}
}

// A journal cut in the middle of a record (a power loss during its
// write) gives back the records before the cut; a journal of a group
// that was committed gives nothing.
func TestGroupCommit_JournalTornAndStale(t *testing.T) {
	db := mustOpen(t, func(o *store.Options) { *o = *groupOpts() })
	groupOfFive(t, db)
	killed := killedCopy(t, db, true)
	j, err := os.ReadFile(killed + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside the third record: find the records' starts.
	torn := killedCopy(t, db, true)
	cut := len(j) * 5 / 10
	if err := os.WriteFile(torn+".journal", j[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	re := mustOpenPath(t, torn, testOpts())
	n := 0
	for id := int64(1); id <= 5; id++ {
		if d, _ := re.Doc("en", id); d != nil {
			n++
		}
	}
	if p := pendingIDs(t, re); n == 0 || n == 5 || n+len(p) != 5 {
		t.Errorf("torn journal: %d documents and pending %v, want a prefix stored and the rest pending", n, p)
	}

	// The original commits (a read), then its journal is stale.
	mustDoc(t, db, "en", 1)
	stale := killedCopy(t, db, false)
	if err := os.WriteFile(stale+".journal", j, 0o644); err != nil {
		t.Fatal(err)
	}
	re = mustOpenPath(t, stale, testOpts())
	runs, _ := re.Runs(0)
	if len(runs) != 1 || runs[0].New != 5 {
		t.Errorf("stale journal replayed: runs %+v", runs)
	}
	if p := pendingIDs(t, re); len(p) != 0 {
		t.Errorf("stale journal: pending %v", p)
	}
}

// A journal that is not one gives nothing and breaks nothing.
func TestGroupCommit_JournalGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "archive.db")
	db := mustOpenPath(t, path, testOpts())
	put(t, db, doc{id: 1}, 0)
	db.Close()
	if err := os.WriteFile(path+".journal", []byte(strings.Repeat("not a journal\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	db = mustOpenPath(t, path, groupOpts())
	if d := mustDoc(t, db, "en", 1); d.Versions != 1 {
		t.Errorf("versions %d", d.Versions)
	}
}

// Many documents: groups commit by size, and everything is there and
// sound (mustOpen verifies the archive at the end).
func TestGroupCommit_ManyGroups(t *testing.T) {
	db := mustOpen(t, func(o *store.Options) { *o = *groupOpts() })
	for id := int64(1); id <= 300; id++ {
		put(t, db, doc{id: id, body: realisticPage("en", id, 1)}, 0)
	}
	killed := killedCopy(t, db, true)
	re := mustOpenPath(t, killed, testOpts())
	for id := int64(1); id <= 300; id++ {
		mustDoc(t, re, "en", id)
	}
	for id := int64(1); id <= 300; id += 37 {
		if raw, err := re.RawResponse("en", id, 0); err != nil || string(raw.Body) != string(realisticPage("en", id, 1)) {
			t.Errorf("doc %d: %v", id, err)
		}
	}
}

// A backfill stores a listing page's documents at once, newest first: in
// groups too, the documents' pages stay filled (bbolt splits a grouped
// node front to back, and with the small fill share that suits one
// document per commit would leave pages holding a tenth of a page). One
// document per commit fills them to 90%, groups to about 70%.
func TestGroupCommit_DocsPagesFill(t *testing.T) {
	for _, grouped := range []bool{false, true} {
		t.Run(fmt.Sprintf("grouped=%v", grouped), func(t *testing.T) {
			db := mustOpen(t, func(o *store.Options) {
				if grouped {
					*o = *groupOpts()
				}
			})
			// Groups of 1 to 20 documents (a listing page, cut short by a
			// pack's seal), of both hosts at once, as in a backfill.
			r := rand.New(rand.NewPCG(1, 2))
			left := 0
			for id := int64(1500); id >= 1; id-- {
				put(t, db, doc{id: id, listed: []string{"news"}}, 0)
				put(t, db, doc{lang: "ru", id: id, listed: []string{"news"}}, 0)
				if left--; left <= 0 {
					if err := db.Flush(); err != nil {
						t.Fatal(err)
					}
					left = 1 + r.IntN(10)
				}
			}
			st, err := db.Storage()
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range st.Buckets {
				if b.Name != "docs" {
					continue
				}
				fill := float64(b.InUse) / float64(b.Bytes)
				t.Logf("docs: %d leaf pages, %.0f%% in use", b.LeafPages, 100*fill)
				if want := map[bool]float64{false: 0.85, true: 0.6}[grouped]; fill < want {
					t.Errorf("docs pages %.0f%% in use (%d leaf pages for %d keys)", 100*fill, b.LeafPages, b.Keys)
				}
			}
		})
	}
}
