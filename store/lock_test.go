package store_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// docCount counts the archived documents through db.
func docCount(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	if err := db.ScanDocs(func(*store.Doc) error { n++; return nil }); err != nil {
		t.Fatalf("ScanDocs: %v", err)
	}
	return n
}

// A reader gets the file from a writer between its transactions, and sees
// one state of the archive until it closes: the writer's next write waits.
func TestLock_ReaderSnapshotWhileWriterRuns(t *testing.T) {
	w := mustOpen(t)
	for id := int64(1); id <= 3; id++ {
		put(t, w, doc{id: id}, 0)
	}
	r, err := store.Open(w.Path(), &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reader Open while a writer has the archive: %v", err)
	}
	if n := docCount(t, r); n != 3 {
		t.Errorf("reader sees %d documents, want 3", n)
	}
	if w.LockStats().Releases < 1 {
		t.Errorf("the writer did not release the file: %+v", w.LockStats())
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.PutDocument(doc{id: 4}.fetched(), 0)
		done <- err
	}()
	// Whatever the writer does meanwhile, the reader's view stays.
	for range 3 {
		if d, err := r.Doc("en", 4); d != nil || err != nil {
			t.Fatalf("the reader sees a document written after it opened: %+v, %v", d, err)
		}
		if n := docCount(t, r); n != 3 {
			t.Fatalf("reader sees %d documents, want 3", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the writer wrote while a reader held the archive (err %v)", err)
	default:
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the writer's PutDocument after the reader closed: %v", err)
	}
	r2 := mustOpenPath(t, w.Path(), &store.Options{ReadOnly: true})
	if n := docCount(t, r2); n != 4 {
		t.Errorf("a new reader sees %d documents, want 4", n)
	}
}

// Writers exclude each other through the run lock, also while the first
// writer has let readers have the file.
func TestLock_SecondWriterRefusedWhileReaderReads(t *testing.T) {
	w := mustOpen(t)
	put(t, w, doc{id: 1}, 0)
	r := mustOpenPath(t, w.Path(), &store.Options{ReadOnly: true})
	_ = docCount(t, r)
	w2, err := store.Open(w.Path(), &store.Options{})
	if err == nil {
		w2.Close()
		t.Fatal("a second writer opened the archive")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second writer: %v, want ErrLocked", err)
	}
}

// A DB opened on demand (serve) holds the file only during an operation
// or a Snapshot; between them a writer writes without waiting.
func TestLock_OnDemandReader(t *testing.T) {
	w := mustOpen(t)
	put(t, w, doc{id: 1}, 0)
	r := mustOpenPath(t, w.Path(), &store.Options{OnDemand: true})
	if d, err := r.Doc("en", 1); err != nil || d == nil {
		t.Fatalf("Doc through the on-demand reader: %v, %v", d, err)
	}
	put(t, w, doc{id: 2}, 0) // would wait forever if the reader kept the file
	if d, err := r.Doc("en", 2); err != nil || d == nil {
		t.Errorf("the on-demand reader does not see a later write: %v, %v", d, err)
	}
	// A Snapshot is one state, whatever the writer does.
	done := make(chan error, 1)
	err := r.Snapshot(func() error {
		hw, _ := r.HighWater()
		go func() {
			_, err := w.PutDocument(doc{id: 3}.fetched(), 0)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		if d, _ := r.Doc("en", 3); d != nil {
			t.Error("the snapshot sees a document written during it")
		}
		if hw2, _ := r.HighWater(); hw2 != hw {
			t.Errorf("high-water mark moved from %d to %d during a snapshot", hw, hw2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Doc("en", 3); d == nil {
		t.Error("after the snapshot the reader does not see the new document")
	}
	if _, err := r.PutDocument(doc{id: 9}.fetched(), 0); err == nil {
		t.Error("PutDocument through a read-only DB succeeded")
	}
}

// A process that holds the file without the protocol (an older
// kremlin-archive, the bbolt tool) keeps a reader out: after its
// LockTimeout it gets ErrLocked, never hangs.
func TestLock_ReaderWaitIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db := mustOpenPath(t, path, testOpts())
	put(t, db, doc{id: 1}, 0)
	db.Close()
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
	if err == nil {
		r.Close()
		t.Fatal("reader opened a file another process holds for writing")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("reader: %v, want ErrLocked", err)
	}
}

// Readers that come one after another cannot keep a writer out: a writer
// waiting for its turn goes before the next reader.
func TestLock_WriterNotStarvedByReaders(t *testing.T) {
	w := mustOpen(t)
	put(t, w, doc{id: 1}, 0)
	stop := make(chan struct{})
	readersDone := make(chan struct{})
	// Two readers in turn, their snapshots overlapping: there is always
	// one holding the file.
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(g) * 5 * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := store.Open(w.Path(), &store.Options{ReadOnly: true})
				if err != nil {
					t.Errorf("reader: %v", err)
					return
				}
				r.Doc("en", 1)
				time.Sleep(10 * time.Millisecond)
				r.Close()
			}
		}()
	}
	go func() { wg.Wait(); close(readersDone) }()
	for id := int64(2); id <= 11; id++ {
		put(t, w, doc{id: id}, 0)
	}
	close(stop)
	<-readersDone
	if d := mustDoc(t, w, "en", 11); d.Versions != 1 {
		t.Errorf("Versions = %d", d.Versions)
	}
}
