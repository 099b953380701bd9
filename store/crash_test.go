package store_test

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// The crash test: a child process stores documents in a loop the way the
// crawler does (listing page → frontier → fetch → store, now and then a
// refetch of an updated document) and is SIGKILLed at a random moment;
// the parent reopens the archive and checks that no document is partial.
// Version n of document id always has the same content (crashVersion), so
// the parent can check every stored byte.

func crashVersion(id int64, n int) doc {
	return doc{lang: "en", id: id, title: fmt.Sprintf("Doc %d v%d", id, n), body: realisticPage("en", id, n),
		at: t0.Add(time.Duration(id)*time.Minute + time.Duration(n)*time.Hour)}
}

func crashUpdated(n int) string { return t0.AddDate(0, 0, n).Format("2006-01-02") }

func init() {
	childRoles["crasher"] = func() int {
		fail := func(err error) int { fmt.Fprintln(os.Stderr, "crasher:", err); return 1 }
		seed, _ := strconv.ParseUint(os.Getenv("STORE_TEST_SEED"), 10, 64)
		r := rand.New(rand.NewPCG(seed, 1))
		o := &store.Options{DictTrainAfter: 20}
		if os.Getenv("STORE_TEST_GROUP") != "" {
			o.GroupCommit = time.Hour // committed by the next listing (or a full group)
		}
		db, err := store.Open(os.Getenv("STORE_TEST_PATH"), o)
		if err != nil {
			return fail(err)
		}
		run, err := db.StartRun("crawl", nil, time.Now())
		if err != nil {
			return fail(err)
		}
		fmt.Println("ready")
		store1 := func(id int64, n int, p *store.Pending) error {
			f := crashVersion(id, n).fetched()
			if p != nil {
				f.ListedIn, f.ListedUpdated = p.ListedIn, p.ListedUpdated
			}
			_, err := db.PutDocument(f, run.ID)
			if err == nil {
				fmt.Println("stored", id, n)
			}
			return err
		}
		next := func(id int64) int {
			d, _ := db.Doc("en", id)
			if d == nil {
				return 1
			}
			return d.Versions + 1
		}
		// Resume: what an earlier life left in the frontier, new
		// documents in ID order (as listed).
		due, err := db.DuePending("en", time.Now())
		if err != nil {
			return fail(err)
		}
		slices.SortFunc(due, func(a, b store.Pending) int { return cmp.Compare(a.ID, b.ID) })
		var maxID int64
		db.ScanDocs(func(d *store.Doc) error { maxID = max(maxID, d.ID); return nil })
		for _, p := range due {
			if err := store1(p.ID, next(p.ID), &p); err != nil {
				return fail(err)
			}
			maxID = max(maxID, p.ID)
		}
		// Listing pages of crashPage documents each, stored one after
		// the other (in a group, when grouped), then now and then a
		// refetch of an updated document.
		for page := maxID/crashPage + 1; ; page++ {
			var items []store.ListedItem
			for id := (page-1)*crashPage + 1; id <= page*crashPage; id++ {
				items = append(items, store.ListedItem{ID: id, URL: fmt.Sprint("/events/president/news/", id)})
			}
			st := &store.SectionState{Lang: "en", Section: "news", Cursor: &store.Cursor{Page: int(page), Mode: "crawl"}}
			res, err := db.RecordListing("en", "news", items, time.Now(), st, run.ID)
			if err != nil {
				return fail(err)
			}
			if len(res.Fetch) != crashPage {
				return fail(fmt.Errorf("listing page %d: %+v", page, res))
			}
			for _, p := range res.Fetch {
				if err := store1(p.ID, 1, &p); err != nil {
					return fail(err)
				}
			}
			if r.IntN(4) != 0 {
				j := 1 + r.Int64N(page*crashPage)
				n := next(j)
				// Run 0: an update seen by a later run (within one run a
				// document is current once fetched).
				res, err := db.RecordListing("en", "news", []store.ListedItem{{ID: j, Updated: crashUpdated(n)}}, time.Now(), nil, 0)
				if err != nil {
					return fail(err)
				}
				if len(res.Fetch) != 1 || res.Fetch[0].Reason != "updated" {
					return fail(fmt.Errorf("update listing of %d: %+v", j, res))
				}
				if err := store1(j, n, &res.Fetch[0]); err != nil {
					return fail(err)
				}
			}
		}
	}
}

// crashPage is how many documents a listing page of the crash test
// lists.
const crashPage = 4

func TestDB_CrashSafety_SIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	// Each document committed on its own, and in groups (group.go) whose
	// journal gives back after the kill what was stored and not
	// committed.
	for _, group := range []bool{false, true} {
		t.Run(fmt.Sprintf("group=%v", group), func(t *testing.T) { crashSafety(t, group) })
	}
}

func crashSafety(t *testing.T, group bool) {
	path := filepath.Join(t.TempDir(), "crash.db")
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STORE_TEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set STORE_TEST_SEED to repeat the kill times)", seed)
	r := rand.New(rand.NewPCG(seed, 2))

	const kills = 6
	prevDocs := 0
	for k := range kills {
		env := []string{"STORE_TEST_PATH=" + path, fmt.Sprintf("STORE_TEST_SEED=%d", seed+uint64(k))}
		if group {
			env = append(env, "STORE_TEST_GROUP=1")
		}
		cmd, out := child(t, "crasher", env...)
		waitLine(t, cmd, out, "ready", 30*time.Second)
		stored := make(chan int, 1000)
		var maxStored atomic.Int64 // the highest new document reported stored
		go func() {
			n := 0
			for {
				line, err := out.ReadString('\n')
				if err != nil {
					close(stored)
					return
				}
				if strings.HasPrefix(line, "stored ") {
					var id int64
					var v int
					if _, err := fmt.Sscanf(line, "stored %d %d", &id, &v); err == nil && v == 1 {
						maxStored.Store(max(maxStored.Load(), id))
					}
					n++
					select {
					case stored <- n:
					default:
					}
				}
			}
		}()
		// Half the kills come at a random time (under -race, often during
		// the dictionary training), half a moment after a random number
		// of stored documents (so the archive grows however slow the
		// machine).
		var when string
		if k%2 == 0 {
			delay := time.Duration(30+r.IntN(1500)) * time.Millisecond
			time.Sleep(delay)
			when = fmt.Sprintf("after %v", delay)
		} else {
			target := 1 + r.IntN(60)
			deadline := time.After(60 * time.Second)
		wait:
			for {
				select {
				case n, ok := <-stored:
					if !ok {
						t.Fatalf("child exited early; stderr:\n%s", childStderr(cmd))
					}
					if n >= target {
						break wait
					}
				case <-deadline:
					t.Fatalf("child stored fewer than %d documents in 60s", target)
				}
			}
			extra := time.Duration(r.IntN(10_000)) * time.Microsecond
			time.Sleep(extra)
			when = fmt.Sprintf("%v after store #%d", extra, target)
		}
		if cmd.ProcessState != nil {
			t.Fatalf("child exited early; stderr:\n%s", childStderr(cmd))
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child ended by itself (%v), not by the kill; stderr:\n%s", cmd.ProcessState, childStderr(cmd))
		}
		for range stored { // every line the child wrote before the kill
		}
		docs := checkCrashArchive(t, path, prevDocs)
		// What the child said it stored, it stored: a kill loses no
		// document it reported (in a group, the journal gives it back).
		if m := maxStored.Load(); int64(docs) < m {
			t.Errorf("kill %d: document %d was reported stored; the archive holds 1..%d", k+1, m, docs)
		}
		t.Logf("kill %d %s: %d documents", k+1, when, docs)
		prevDocs = docs
	}
	if prevDocs < 20 {
		t.Logf("only %d documents stored in %d lives: the dictionary path was not exercised", prevDocs, kills)
	}
	// The next run marks every killed run crashed.
	db := mustOpenPath(t, path, testOpts())
	db.StartRun("crawl", nil, time.Now())
	runs, _ := db.Runs(0)
	if len(runs) != kills+1 {
		t.Errorf("%d runs in the ledger, want %d", len(runs), kills+1)
	}
	for _, run := range runs[1:] {
		if run.Status != "crashed" {
			t.Errorf("run %d status %q, want crashed", run.ID, run.Status)
		}
	}
}

// checkCrashArchive reopens the archive after a kill and checks it; it
// returns the number of documents.
func checkCrashArchive(t *testing.T, path string, prevDocs int) int {
	t.Helper()
	db, err := store.Open(path, testOpts())
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()

	if ps, _ := verifyProblems(t, db); len(ps) != 0 {
		t.Errorf("Verify after kill: %d problems: %v", len(ps), ps)
	}
	var docs []store.Doc
	if err := db.ScanDocs(func(d *store.Doc) error { docs = append(docs, *d); return nil }); err != nil {
		t.Fatal(err)
	}
	// New documents are stored in ID order.
	for i, d := range docs {
		if d.ID != int64(i+1) {
			t.Fatalf("documents are not 1..%d: position %d holds %d", len(docs), i, d.ID)
		}
	}
	if len(docs) < prevDocs {
		t.Errorf("%d documents after the kill, %d before: committed documents lost", len(docs), prevDocs)
	}
	updates := 0
	for _, d := range docs {
		if d.Versions < 1 {
			t.Errorf("%d: %d versions", d.ID, d.Versions)
		}
		updates += d.Versions - 1
		for n := 1; n <= d.Versions; n++ {
			want := crashVersion(d.ID, n)
			raw, err := db.RawResponse("en", d.ID, n)
			if err != nil || raw == nil || !bytes.Equal(raw.Body, want.body) {
				t.Errorf("%d v%d: raw page missing or wrong (%v)", d.ID, n, err)
			}
			rec, err := db.Record("en", d.ID, n)
			if err != nil || rec == nil || rec.Title != want.title {
				t.Errorf("%d v%d: record missing or wrong (%v)", d.ID, n, err)
			}
		}
		if d.Title != crashVersion(d.ID, d.Versions).title || d.RawSHA256 != sha(crashVersion(d.ID, d.Versions).body) {
			t.Errorf("%d: bookkeeping %q/%s does not describe version %d", d.ID, d.Title, d.RawSHA256, d.Versions)
		}
	}

	// The frontier: at most the rest of the listing page being fetched
	// and one update being refetched when the kill came.
	pend, err := db.PendingList("")
	if err != nil {
		t.Fatal(err)
	}
	if len(pend) > crashPage+1 {
		t.Errorf("%d pending entries, want ≤ %d: %+v", len(pend), crashPage+1, pend)
	}
	archived := map[int64]store.Doc{}
	for _, d := range docs {
		archived[d.ID] = d
	}
	var newPending []int64
	for _, p := range pend {
		d, ok := archived[p.ID]
		switch p.Reason {
		case "new":
			newPending = append(newPending, p.ID)
			if ok {
				t.Errorf("pending new %d is archived", p.ID)
			}
		case "updated":
			if !ok || p.ListedUpdated <= d.UpdateMark {
				t.Errorf("pending update %+v of %+v", p, d)
			}
		default:
			t.Errorf("pending entry %+v", p)
		}
	}
	// The new ones pending are the rest of the last listing page:
	// len(docs)+1 and on, up to its end.
	slices.Sort(newPending)
	for i, id := range newPending {
		if id != int64(len(docs)+1+i) {
			t.Errorf("pending new %v with %d documents archived", newPending, len(docs))
			break
		}
	}
	// The listing's section state went in with its frontier entries.
	st, _ := db.SectionState("en", "news")
	switch {
	case st.Cursor == nil:
		if len(docs) != 0 || len(newPending) != 0 {
			t.Errorf("no section state with %d documents", len(docs))
		}
	case st.Cursor.Page*crashPage != len(docs)+len(newPending):
		t.Errorf("section cursor at page %d (of %d documents each) with %d documents and %d new pending", st.Cursor.Page, crashPage, len(docs), len(newPending))
	}

	// Run counters were committed with the documents.
	runs, _ := db.Runs(0)
	var news, updated int
	for _, r := range runs {
		news += r.New
		updated += r.Updated
	}
	if news != len(docs) || updated != updates {
		t.Errorf("run ledger counts %d new, %d updated; the archive holds %d documents, %d updates", news, updated, len(docs), updates)
	}
	if db.CurrentDict("en") != 0 {
		if bd := db.PackDicts("en"); len(bd) > 1 {
			t.Logf("blobs by dictionary after the kill: %v (a kill during recompression leaves a mix)", bd)
		}
	}
	return len(docs)
}
