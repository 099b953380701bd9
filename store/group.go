package store

// Group commit: the documents a writer stores in quick succession share
// one bbolt transaction, so that a backfill from a fast mirror does not
// spend a quarter of its CPU in the two fdatasyncs of each commit.
//
// Each document is still all or nothing: its raw page, record,
// bookkeeping, change number, the run's counters and its removal from
// the frontier are in the same transaction. A group only delays the
// commit, so the archive after a crash is the archive as it was after
// some earlier commit, and every earlier state is a consistent one (the
// crash test's claim, which holds for any prefix of the writes). The
// last group's documents are written to the group journal as they are
// stored (journal.go): after a SIGKILL the next writer stores them
// again; after a power loss that lost them too, they are still in the
// frontier, and the next run fetches them again.
//
// A group is committed when it is Options.GroupCommit old (a background
// flusher sees to that while the writer waits for the network), when it
// holds groupDocs documents or groupBytes bytes, and before anything
// else touches the archive: a read (which must see the documents stored
// before it), any other write (so that the order of the writes is the
// order of the commits), closing the file for waiting readers, Close.
//
// Locks, in order: the handle's RLock (h.mu), then g.mu. Every holder of
// g.mu holds h.mu's RLock, so closeFile (under h.mu's Lock) may commit
// without g.mu being held by anyone; and every write in group mode holds
// g.mu, so no write waits for bbolt's writer lock while a group's
// transaction stays open.

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	groupDocs  = 32
	groupBytes = 256 << 10 // compressed bytes of the group's documents
)

var errJournal = errors.New("write the group journal")

type group struct {
	mu    sync.Mutex
	tx    *bolt.Tx // open while a group is pending
	docs  int
	bytes int
	first time.Time // when the group's first document was stored

	// err is the error of a commit made by the flusher, for the next
	// operation to return.
	err error

	j         *journal // the group journal (writers; see journal.go)
	replaying bool     // openJournal stores a journal's documents again

	stop chan struct{}
	done chan struct{}
}

// grouping reports whether this DB groups document commits.
func (db *DB) grouping() bool {
	return (db.opts.GroupCommit > 0 || db.group.replaying) && !db.opts.ReadOnly
}

// window is how long a group may stay open.
func (db *DB) window() time.Duration {
	if db.opts.GroupCommit > 0 && !db.group.replaying {
		return db.opts.GroupCommit
	}
	return time.Hour // a replay: one group, as the journal held
}

// updateDoc runs fn, the transaction that stores p, in the pending
// group (see group commit above) and writes p to the group journal; or
// in a transaction of its own when the DB does not group.
//
// When fn fails, the whole group is rolled back: the error says how many
// documents stored before it went with it (they stay in the frontier).
func (db *DB) updateDoc(fn func(tx *bolt.Tx) error, p *docPut) (err error) {
	if !db.grouping() || db.group.j == nil {
		return db.update(fn)
	}
	b, err := db.acquire()
	if err != nil {
		return err
	}
	defer db.release()
	g := &db.group
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.takeErr(); err != nil {
		return err
	}
	if g.tx == nil {
		if err := g.begin(b); err != nil {
			if !errors.Is(err, errJournal) {
				return err
			}
			// No journal, no group: this document is committed alone.
			db.log().Warn("the group journal cannot be written; committing each document on its own", "err", err)
			return b.Update(fn)
		}
	}
	ok := false
	defer func() {
		if !ok { // fn failed or panicked
			n := g.docs
			g.rollback()
			if err != nil && n > 0 {
				err = fmt.Errorf("%w (the %d documents stored since the last commit were rolled back with it; they stay in the frontier)", err, n)
			}
		}
	}()
	if err := fn(g.tx); err != nil {
		return err
	}
	ok = true
	g.docs++
	g.bytes += len(p.blob)
	if !g.replaying { // a replay's documents are in the journal already
		if err := g.j.append(p); err != nil {
			// Not journalled: commit it now.
			db.log().Warn("writing the group journal; committing at once", "err", err)
			return g.commit()
		}
	}
	if g.docs >= groupDocs || g.bytes >= groupBytes || time.Since(g.first) >= db.window() {
		return g.commit()
	}
	return nil
}

// begin opens the transaction of a new group, advancing the group epoch
// in it, and starts the group's journal.
func (g *group) begin(b *bolt.DB) error {
	tx, err := b.Begin(true)
	if err != nil {
		return err
	}
	m := tx.Bucket(bMeta)
	epoch := getU64(m, kGroupEpoch) + 1
	if err := m.Put(kGroupEpoch, u64(epoch)); err != nil {
		tx.Rollback()
		return err
	}
	// A replay's group is the journal's own (this epoch, its records):
	// the journal stays as it is until the group commits, so a crash
	// during the replay leaves it whole.
	if !g.replaying {
		if err := g.j.begin(epoch); err != nil {
			tx.Rollback()
			return fmt.Errorf("%w: %v", errJournal, err)
		}
	}
	g.tx, g.first = tx, time.Now()
	return nil
}

// commit commits the pending group, if any (under g.mu).
func (g *group) commit() error {
	if g.tx == nil {
		return nil
	}
	err := g.tx.Commit()
	n := g.docs
	g.tx, g.docs, g.bytes = nil, 0, 0
	if err != nil {
		g.j.invalidate()
		return fmt.Errorf("commit the last %d stored documents: %w (they stay in the frontier)", n, err)
	}
	return nil
}

func (g *group) rollback() {
	if g.tx != nil {
		g.tx.Rollback()
		// The next group reuses the epoch: this one's records must not
		// pass for its.
		g.j.invalidate()
	}
	g.tx, g.docs, g.bytes = nil, 0, 0
}

// takeErr returns (and forgets) the error of the flusher's last commit.
func (g *group) takeErr() error {
	err := g.err
	g.err = nil
	return err
}

// flush commits the pending group, if any (under g.mu). A commit error
// of the flusher's, not yet returned, comes back here.
func (g *group) flush() error { return errors.Join(g.takeErr(), g.commit()) }

// flushGroup is flush for a caller that holds h.mu (RLock or Lock).
func (db *DB) flushGroup() error {
	if db.opts.ReadOnly {
		return nil
	}
	g := &db.group
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.flush()
}

// Flush commits the documents stored and not yet committed (with
// GroupCommit); a no-op otherwise.
func (db *DB) Flush() error {
	h := &db.h
	h.mu.RLock()
	defer h.mu.RUnlock()
	// With the file closed there is no group (closeFile committed it),
	// but maybe the error of that commit, still to be returned.
	return db.flushGroup()
}

// startFlusher starts the goroutine that commits a group once it is
// GroupCommit old.
func (db *DB) startFlusher() {
	g := &db.group
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	every := max(db.opts.GroupCommit/4, 5*time.Millisecond)
	go func() {
		defer close(g.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-t.C:
			}
			h := &db.h
			h.mu.RLock()
			if h.bolt != nil {
				g.mu.Lock()
				if g.tx != nil && time.Since(g.first) >= db.window() {
					if err := g.commit(); err != nil {
						db.log().Error("committing stored documents", "err", err)
						g.err = err
					}
				}
				g.mu.Unlock()
			}
			h.mu.RUnlock()
		}
	}()
}

// stopFlusher stops the flusher (before the file is closed for good).
func (db *DB) stopFlusher() {
	g := &db.group
	if g.stop != nil {
		close(g.stop)
		<-g.done
		g.stop = nil
	}
}
