package store

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func journalDoc(t *testing.T, db *DB, id int64) *docPut {
	t.Helper()
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	u := fmt.Sprint("http://en.kremlin.ru/events/president/news/", id)
	f := &Fetched{
		Raw: &Raw{URL: u, FetchedAt: at, Status: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: []byte(strings.Repeat(fmt.Sprintf("<p>document %d</p>", id), 50))},
		Record: &record.Record{ID: id, Lang: "en", URL: u, Title: fmt.Sprint("Document ", id), FetchedAt: at.Format(time.RFC3339)},
	}
	p, err := db.preparePut(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Records of another group left in the file beyond the current group's
// (a longer group before it, or a rolled-back one with the same epoch)
// never pass for the current group's.
func TestJournal_OtherGroupsRecords(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "j.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := os.CreateTemp(t.TempDir(), "journal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	j := &journal{f: f}
	read := func() (uint64, int) {
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		e, recs := readJournal(data)
		return e, len(recs)
	}
	if err := j.begin(7); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 4; id++ {
		if err := j.append(journalDoc(t, db, id)); err != nil {
			t.Fatal(err)
		}
	}
	if e, n := read(); e != 7 || n != 4 {
		t.Fatalf("first group: epoch %d, %d records", e, n)
	}
	// The same epoch again (the first group was rolled back), records
	// of the very same sizes: the old ones beyond do not pass.
	j.invalidate()
	if e, n := read(); e != 0 || n != 0 {
		t.Fatalf("invalidated: epoch %d, %d records", e, n)
	}
	if err := j.begin(7); err != nil {
		t.Fatal(err)
	}
	if e, n := read(); e != 7 || n != 0 {
		t.Fatalf("new group before its first record: epoch %d, %d records", e, n)
	}
	if err := j.append(journalDoc(t, db, 1)); err != nil {
		t.Fatal(err)
	}
	if e, n := read(); e != 7 || n != 1 {
		t.Fatalf("new group of one record over the old group's four: epoch %d, %d records", e, n)
	}
}

// killedWriter makes a new archive at path and beside it the journal of
// a group that a killed writer did not commit (epoch 1, the archive's
// committed epoch being 0), holding the documents puts makes.
func killedWriter(t *testing.T, path string, puts func(db *DB) []*docPut) {
	t.Helper()
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// Written aside: the writer's Close removes its own journal.
	f, err := os.Create(journalPath(path) + ".tmp")
	if err != nil {
		t.Fatal(err)
	}
	j := &journal{f: f}
	if err := j.begin(1); err != nil {
		t.Fatal(err)
	}
	for _, p := range puts(db) {
		if err := j.append(p); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	db.Close()
	if err := os.Rename(journalPath(path)+".tmp", journalPath(path)); err != nil {
		t.Fatal(err)
	}
}

// A journal whose records cannot be stored again stops Open with an
// error that names it (and says what to do), promptly, and is kept.
func TestJournal_ReplayFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	killedWriter(t, path, func(db *DB) []*docPut {
		bad := journalDoc(t, db, 2)
		bad.blob = []byte("not a staged entry")
		return []*docPut{journalDoc(t, db, 1), bad}
	})
	for _, group := range []time.Duration{0, time.Second} {
		done := make(chan error, 1)
		go func() {
			db, err := Open(path, &Options{NoSync: true, GroupCommit: group})
			if err == nil {
				db.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "group journal") || !strings.Contains(err.Error(), "move it away") {
				t.Errorf("GroupCommit %v: Open = %v, want the journal's error", group, err)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("GroupCommit %v: %v is not ErrCorrupt", group, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("GroupCommit %v: Open hangs on a journal it cannot replay", group)
		}
		if _, err := os.Stat(journalPath(path)); err != nil {
			t.Fatalf("GroupCommit %v: the journal is gone after a failed replay: %v", group, err)
		}
	}
	// Moved away, the archive opens, without the journal's first
	// document either (the replay was rolled back as a whole).
	if err := os.Rename(journalPath(path), journalPath(path)+".bad"); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d, err := db.Doc("en", 1); err != nil || d != nil {
		t.Errorf("doc 1 after a rolled-back replay: %+v %v", d, err)
	}
}

// A writer killed while it replays a journal leaves the journal whole:
// the next one stores every document of it (the replay's group writes
// nothing to the journal before it commits).
func TestJournal_KilledDuringReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	const n = 4
	killedWriter(t, path, func(db *DB) []*docPut {
		var puts []*docPut
		for id := int64(1); id <= n; id++ {
			puts = append(puts, journalDoc(t, db, id))
		}
		return puts
	})
	whole, err := os.ReadFile(journalPath(path))
	if err != nil {
		t.Fatal(err)
	}

	// What a SIGKILL after the replay's second document leaves.
	killed := filepath.Join(t.TempDir(), "j.db")
	replayed = func(i int) {
		if i != 1 {
			return
		}
		for _, suffix := range []string{"", ".journal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if suffix != "" && string(b) != string(whole) {
				t.Errorf("the journal changed during the replay")
			}
			if err := os.WriteFile(killed+suffix, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer func() { replayed = nil }()
	for _, p := range []string{path, killed} {
		db, err := Open(p, &Options{NoSync: true, GroupCommit: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		replayed = nil
		for id := int64(1); id <= n; id++ {
			if d, err := db.Doc("en", id); err != nil || d == nil {
				t.Errorf("%s: doc %d after the replay: %+v %v", filepath.Base(filepath.Dir(p)), id, d, err)
			}
		}
		db.Close()
	}
}

// A commit that failed when the file was closed for readers comes back
// from the writer's next Flush or Close (the watcher only logs it), not
// lost with the closed file.
func TestGroupCommit_ErrorAfterClosedForReaders(t *testing.T) {
	for _, last := range []string{"Flush", "Close"} {
		db, err := Open(filepath.Join(t.TempDir(), "g.db"), &Options{NoSync: true, GroupCommit: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		db.h.mu.Lock()
		db.closeFile()
		db.h.mu.Unlock()
		db.group.mu.Lock()
		db.group.err = errors.New("disk full")
		db.group.mu.Unlock()
		if last == "Flush" {
			err = db.Flush()
			db.Close()
		} else {
			err = db.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s = %v, want the commit's error", last, err)
		}
	}
}
