package store

// Sharing the archive file between one writer and any number of readers.
//
// bbolt lets one process hold the file for writing, and nobody may read it
// meanwhile. A crawl runs for hours, and stats, show, runs, export (and a
// long-running serve) must work during it. The protocol, with three
// sidecar lock files next to the archive (flock(2) locks: they belong to
// an open file, are released by the kernel when the process dies, and are
// never deleted):
//
//   - <db>.lock: the run lock. A writer (crawl, backfill, reparse) holds
//     it exclusively for its whole life, so two writers still exclude each
//     other at once (ErrLocked, exit 6).
//   - <db>.readers: readers hold it shared from before they open the
//     archive file until after they close it. The writer polls it between
//     its transactions: when it cannot lock it exclusively, a reader is
//     waiting, and the writer closes the archive file (after the
//     transactions in flight) until the readers are gone.
//   - <db>.turn: a writer that wants the file back holds it exclusively
//     while it waits for the readers in place to finish; readers pass
//     through it (shared, briefly) before announcing themselves, so a
//     stream of readers cannot keep the writer out.
//
// A reader holds the file for the duration of its snapshot: a CLI command
// from Open to Close (an export is one snapshot); a DB opened with
// OnDemand (serve) opens the file for each operation or Snapshot and
// closes it after, so it never keeps a writer waiting between requests.

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Sidecar lock files.
func runLockPath(db string) string { return db + ".lock" }
func readersPath(db string) string { return db + ".readers" }
func turnPath(db string) string    { return db + ".turn" }

const (
	// watchEvery is how often a writer looks for waiting readers; it
	// bounds how long a reader waits for a writer that is idle (fetching
	// the next page).
	watchEvery = 10 * time.Millisecond
	// pollEvery is how often a waiting process tries a lock again.
	pollEvery = 2 * time.Millisecond
	// writerWaitLog is how long a writer waits for readers before it
	// says so in the log (and again each time as long again has passed).
	writerWaitLog = time.Minute
)

// errClosed is returned by operations on a closed DB.
var errClosed = errors.New("the archive is closed")

// handle is the state of the archive file: open or released.
type handle struct {
	mu     sync.RWMutex // RLock: an operation uses bolt; Lock: bolt is opened or closed
	bolt   *bolt.DB     // nil while released (to readers, or between operations on demand)
	closed bool

	active atomic.Int32 // operations in flight
	holds  atomic.Int32 // Snapshot nesting (OnDemand)

	run, readers, turn *os.File // sidecar lock files (nil: not used)
	readerLocked       bool     // this reader holds the readers lock (under mu)

	stop        chan struct{}
	watcherDone chan struct{}

	// Figures of the protocol, for tests and benchmarks.
	releases atomic.Int64 // times a writer gave the file to readers
	waited   atomic.Int64 // nanoseconds spent waiting for the file
}

// acquire returns the open bbolt handle for one operation, opening the
// file first when it is released; release must follow.
func (db *DB) acquire() (*bolt.DB, error) {
	h := &db.h
	for {
		h.mu.RLock()
		if h.bolt != nil {
			h.active.Add(1)
			return h.bolt, nil
		}
		closed := h.closed
		h.mu.RUnlock()
		if closed {
			return nil, errClosed
		}
		h.mu.Lock()
		var err error
		if h.bolt == nil && !h.closed {
			err = db.openFile(false)
		}
		h.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

// release ends an operation started with acquire. A DB opened on demand
// closes the file when no operation and no Snapshot needs it.
func (db *DB) release() {
	h := &db.h
	n := h.active.Add(-1)
	h.mu.RUnlock()
	if n == 0 && db.opts.OnDemand && h.holds.Load() == 0 {
		h.mu.Lock()
		if h.active.Load() == 0 && h.holds.Load() == 0 && h.bolt != nil {
			db.closeFile()
		}
		h.mu.Unlock()
	}
}

// view runs fn in a read transaction of the archive file.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	b, err := db.acquire()
	if err != nil {
		return err
	}
	defer db.release()
	if err := db.flushGroup(); err != nil {
		return err
	}
	return b.View(fn)
}

// update runs fn in a write transaction of the archive file.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	if db.opts.ReadOnly {
		return berrors.ErrDatabaseReadOnly
	}
	b, err := db.acquire()
	if err != nil {
		return err
	}
	defer db.release()
	if db.grouping() {
		// Commit the pending group first (group.go), and keep a new one
		// from starting until this transaction is done.
		g := &db.group
		g.mu.Lock()
		defer g.mu.Unlock()
		if err := g.flush(); err != nil {
			return err
		}
	}
	return b.Update(fn)
}

// Snapshot runs fn with the archive file held: every read fn makes sees
// the same state of the archive. Only a DB opened with OnDemand releases
// the file between operations; for the others Snapshot just runs fn.
func (db *DB) Snapshot(fn func() error) error {
	if !db.opts.OnDemand {
		return fn()
	}
	h := &db.h
	h.holds.Add(1)
	// Open the file now, so that the snapshot starts here.
	if _, err := db.acquire(); err != nil {
		h.holds.Add(-1)
		return err
	}
	h.active.Add(-1)
	h.mu.RUnlock()
	defer func() {
		if h.holds.Add(-1) == 0 {
			// Close, unless an operation still runs.
			h.mu.RLock()
			h.active.Add(1)
			db.release()
		}
	}()
	return fn()
}

// openSidecars opens the lock files. A writer creates them; a reader
// creates them when it can and otherwise opens them read-only (flock
// works on read-only files), and goes without them when they do not
// exist and cannot be made (an archive on read-only media: there is no
// writer to wait for).
func (db *DB) openSidecars() error {
	if !lockSupported {
		return nil
	}
	open := func(p string) (*os.File, error) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil || !db.opts.ReadOnly {
			return f, err
		}
		f, err2 := os.Open(p)
		if err2 == nil {
			return f, nil
		}
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, nil
		}
		return nil, err
	}
	var err error
	h := &db.h
	if !db.opts.ReadOnly {
		if h.run, err = open(runLockPath(db.path)); err != nil {
			return fmt.Errorf("lock file: %w", err)
		}
	}
	if h.readers, err = open(readersPath(db.path)); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if h.turn, err = open(turnPath(db.path)); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if h.readers == nil || h.turn == nil {
		h.readers, h.turn = closeFile(h.readers), closeFile(h.turn)
	}
	return nil
}

func closeFile(f *os.File) *os.File {
	if f != nil {
		f.Close()
	}
	return nil
}

// takeRunLock takes the writer's run lock, waiting up to LockTimeout.
func (db *DB) takeRunLock() error {
	if db.h.run == nil {
		return nil
	}
	ok, err := db.waitLock(db.h.run, true, time.Now().Add(db.opts.LockTimeout), "")
	if err != nil {
		return fmt.Errorf("%s: lock file: %w", db.path, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w (a crawl, backfill or reparse is running; this run was skipped)", db.path, ErrLocked)
	}
	return nil
}

// waitLock takes a lock on f, polling until deadline (zero: no limit;
// what, when not empty, is logged when the wait is long).
func (db *DB) waitLock(f *os.File, exclusive bool, deadline time.Time, what string) (bool, error) {
	start := time.Now()
	nextLog := start.Add(writerWaitLog)
	for {
		ok, err := tryLock(f, exclusive)
		if ok || err != nil {
			return ok, err
		}
		now := time.Now()
		if !deadline.IsZero() && now.After(deadline) {
			return false, nil
		}
		if what != "" && now.After(nextLog) {
			db.log().Warn(what, "waiting", now.Sub(start).Round(time.Second).String())
			nextLog = now.Add(writerWaitLog)
		}
		time.Sleep(pollEvery)
	}
}

// openFile opens the archive file (under h.mu): a writer after the readers
// in place have closed it, a reader after announcing itself and waiting
// up to LockTimeout. first is the open made by Open.
func (db *DB) openFile(first bool) error {
	h := &db.h
	start := time.Now()
	defer func() { h.waited.Add(int64(time.Since(start))) }()
	bopts := &bolt.Options{
		ReadOnly:        db.opts.ReadOnly,
		NoSync:          db.opts.NoSync,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 64 << 20,
		PreLoadFreelist: true, // a reader too: Storage reports the free pages
	}
	if db.opts.ReadOnly {
		deadline := start.Add(db.opts.LockTimeout)
		if h.readers != nil {
			// Pass the turn (a writer waiting for its turn goes first),
			// then announce this reader.
			ok, err := db.waitLock(h.turn, false, deadline, "")
			if err == nil && ok {
				ok, err = db.waitLock(h.readers, false, deadline, "")
				unlock(h.turn)
			}
			if err != nil {
				return fmt.Errorf("%s: lock file: %w", db.path, err)
			}
			if !ok {
				return fmt.Errorf("%s: %w (a writer did not let go of it within %s)", db.path, ErrLocked, db.opts.LockTimeout)
			}
		}
		if h.readers != nil {
			// Wait for the writer to close the file before asking bbolt,
			// which retries its lock only every 50 ms.
			if f, err := os.Open(db.path); err == nil {
				if ok, _ := db.waitLock(f, false, deadline, ""); ok {
					unlock(f)
				}
				f.Close()
			}
		}
		bopts.Timeout = max(time.Until(deadline), 10*time.Millisecond)
		b, err := db.boltOpen(bopts)
		if err != nil {
			if h.readers != nil {
				unlock(h.readers)
			}
			return err
		}
		h.bolt, h.readerLocked = b, h.readers != nil
		if w := time.Since(start); w > time.Millisecond {
			db.log().Debug("waited for the archive file", "db", db.path, "waited_seconds", w.Seconds())
		}
		db.cache.reset()
		if !first {
			// A writer may have trained a dictionary since.
			return b.View(func(tx *bolt.Tx) error { return db.codec.load(tx) })
		}
		return nil
	}

	// A writer: wait for the readers in place, keeping new ones out.
	if h.readers != nil {
		const what = "waiting for readers of the archive (stats, show, export, serve) to finish"
		if _, err := db.waitLock(h.turn, true, time.Time{}, what); err != nil {
			return fmt.Errorf("%s: lock file: %w", db.path, err)
		}
		defer unlock(h.turn)
		if _, err := db.waitLock(h.readers, true, time.Time{}, what); err != nil {
			return fmt.Errorf("%s: lock file: %w", db.path, err)
		}
		defer unlock(h.readers)
	}
	bopts.Timeout = db.opts.LockTimeout
	b, err := db.boltOpen(bopts)
	if err != nil {
		return err
	}
	// Grow the file a MiB at a time (bbolt's default is 16 MiB beyond what
	// is used once the map exceeds 16 MiB): the file on disk stays within
	// a MiB of its contents.
	b.AllocSize = allocSize
	h.bolt = b
	return nil
}

// allocSize is how much the file grows at a time.
const allocSize = 1 << 20

func (db *DB) boltOpen(o *bolt.Options) (*bolt.DB, error) {
	if err := preOpenCheck(db.path); err != nil {
		return nil, err
	}
	b, err := bolt.Open(db.path, 0o644, o)
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%s: %w (the lock is held by another process; wait for it to finish or stop it)", db.path, ErrLocked)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, fmt.Errorf("%s: %w: %v", db.path, ErrNotArchive, err)
		}
		return nil, fmt.Errorf("open %s: %w", db.path, err)
	}
	return b, nil
}

// closeFile closes the archive file (under h.mu), waiting for the
// transactions in flight, and lets the readers' lock go.
func (db *DB) closeFile() error {
	h := &db.h
	if h.bolt == nil {
		return nil
	}
	gerr := db.flushGroup()
	if gerr != nil {
		// For the writer's next operation, when the file was closed
		// for readers: its documents were not committed.
		db.group.mu.Lock()
		db.group.err = gerr
		db.group.mu.Unlock()
	}
	err := errors.Join(gerr, h.bolt.Close())
	h.bolt = nil
	if h.readerLocked {
		unlock(h.readers)
		h.readerLocked = false
	}
	return err
}

// watch runs in a writer: when a reader announces itself, the file is
// closed after the operations in flight; the next operation opens it
// again once the readers are done.
func (db *DB) watch() {
	h := &db.h
	defer close(h.watcherDone)
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.RLock()
		open := h.bolt != nil
		h.mu.RUnlock()
		if !open {
			continue
		}
		ok, err := tryLock(h.readers, true)
		if err != nil {
			continue
		}
		if ok {
			unlock(h.readers)
			continue
		}
		h.mu.Lock()
		if h.bolt != nil && !h.closed {
			if err := db.closeFile(); err != nil {
				db.log().Error("closing the archive file for readers", "err", err)
			}
			h.releases.Add(1)
		}
		h.mu.Unlock()
	}
}

// shutdown closes the file and the lock files.
func (db *DB) shutdown() error {
	h := &db.h
	db.stopFlusher()
	if h.stop != nil {
		close(h.stop)
		<-h.watcherDone
		h.stop = nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if n := h.releases.Load(); n > 0 {
		db.log().Info("the archive file was shared with readers", "db", db.path, "releases", n, "waited_seconds", time.Duration(h.waited.Load()).Seconds())
	}
	// The error of a commit when the file was closed for readers, not
	// yet returned (closeFile below returns its own).
	err := db.flushGroup()
	err = errors.Join(err, db.closeFile())
	// Every group committed, the journal has nothing to give: it goes,
	// before the run lock does.
	if jerr := db.closeJournal(err == nil); jerr != nil {
		db.log().Warn("closing the group journal", "err", jerr)
	}
	db.mapMeter.mu.Lock()
	db.mapMeter.close()
	db.mapMeter.mu.Unlock()
	if h.run != nil {
		unlock(h.run)
	}
	h.run, h.readers, h.turn = closeFile(h.run), closeFile(h.readers), closeFile(h.turn)
	return err
}

func (db *DB) log() *slog.Logger {
	if db.opts.Logger != nil {
		return db.opts.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// LockStats are figures of the file-sharing protocol.
type LockStats struct {
	Releases int64         // times this writer closed the file for readers
	Waited   time.Duration // total time spent waiting for the file
}

// LockStats returns the figures of the file-sharing protocol so far.
func (db *DB) LockStats() LockStats {
	return LockStats{Releases: db.h.releases.Load(), Waited: time.Duration(db.h.waited.Load())}
}
