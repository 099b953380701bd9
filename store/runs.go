package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Run is one entry of the run ledger.
type Run struct {
	ID       uint64    `json:"id"`
	Mode     string    `json:"mode"` // crawl, backfill, reparse, …
	Args     []string  `json:"args,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Status   string    `json:"status"` // running, ok, partial, refused, interrupted, drift, error, crashed
	ExitCode int       `json:"exit_code"`
	Error    string    `json:"error,omitempty"`

	New          int   `json:"new"`
	Updated      int   `json:"updated"`
	Unchanged    int   `json:"unchanged"`
	Failed       int   `json:"failed"` // failed fetch attempts
	ListingPages int   `json:"listing_pages"`
	Requests     int   `json:"requests"`
	Bytes        int64 `json:"bytes"`
	Throttled    int   `json:"throttled"` // refusals: 403, 429, 503, anti-bot pages
	Retries      int   `json:"retries"`
	Warnings     int   `json:"warnings"` // parse-health warnings
	Pending      int   `json:"pending"`  // documents left in the frontier at the end
	Reparsed     int   `json:"reparsed,omitempty"`
	Changed      int   `json:"changed,omitempty"`

	// Documents stored (new or updated) from each source: the live site
	// and Wayback Machine captures.
	Live    int `json:"live"`
	Wayback int `json:"wayback"`
	// Requests to the Wayback Machine: CDX index calls and capture fetches.
	CDXCalls        int `json:"cdx_calls,omitempty"`
	CaptureRequests int `json:"capture_requests,omitempty"`
	// Fallback says why the run took pages from the Wayback Machine
	// ("" when it did not).
	Fallback string `json:"fallback,omitempty"`
}

// countSource counts one document stored from source (record.Source).
func (r *Run) countSource(source string) {
	if source == record.SourceWayback {
		r.Wayback++
	} else {
		r.Live++
	}
}

// StartRun adds a run to the ledger. Runs still marked "running" (their
// process died without finishing) are marked "crashed" first.
func (db *DB) StartRun(mode string, args []string, now time.Time) (*Run, error) {
	clean := make([]string, len(args))
	for i, a := range args {
		clean[i] = redact.Secrets(a)
	}
	r := &Run{Mode: mode, Args: clean, Start: now, Status: "running"}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var old Run
			if _, err := getJSON(b, k, &old); err != nil {
				return err
			}
			_ = v
			if old.Status != "running" {
				break
			}
			old.Status = "crashed"
			old.ExitCode = -1
			if err := putJSON(b, k, &old); err != nil {
				return err
			}
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
		return putJSON(b, u64(id), r)
	})
	return r, err
}

// FinishRun stores the final figures of a run. Counters that the store
// keeps itself (new, updated, unchanged, failed, listing pages) are taken
// from the ledger, not from r.
func (db *DB) FinishRun(r *Run) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		var stored Run
		if _, err := getJSON(b, u64(r.ID), &stored); err != nil {
			return err
		}
		r.New, r.Updated, r.Unchanged = stored.New, stored.Updated, stored.Unchanged
		r.Failed, r.ListingPages = stored.Failed, stored.ListingPages
		r.Error = redact.Secrets(r.Error) // the ledger is shown and exported: no credentials
		r.Live, r.Wayback = stored.Live, stored.Wayback
		return putJSON(b, u64(r.ID), r)
	})
}

// RunCounters returns the counters the store keeps for run id.
func (db *DB) RunCounters(id uint64) (*Run, error) {
	var r Run
	err := db.view(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bRuns), u64(id), &r)
		return err
	})
	return &r, err
}

// Runs returns the last n runs, newest first (n <= 0: all).
func (db *DB) Runs(n int) ([]Run, error) {
	var out []Run
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		c := b.Cursor()
		for k, _ := c.Last(); k != nil && (n <= 0 || len(out) < n); k, _ = c.Prev() {
			var r Run
			if _, err := getJSON(b, k, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// runStartOf returns the start of run id (zero when id is 0 or unknown).
func runStartOf(tx *bolt.Tx, id uint64) time.Time {
	if id == 0 {
		return time.Time{}
	}
	var r Run
	if ok, err := getJSON(tx.Bucket(bRuns), u64(id), &r); err != nil || !ok {
		return time.Time{}
	}
	return r.Start
}

// countRun applies fn to the ledger entry of run id inside tx (id 0: no-op).
func countRun(tx *bolt.Tx, id uint64, fn func(*Run)) error {
	if id == 0 {
		return nil
	}
	b := tx.Bucket(bRuns)
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, id)
	v := b.Get(key)
	if v == nil {
		return nil
	}
	r, err := lastRun.decode(v)
	if err != nil {
		return err
	}
	fn(&r)
	enc, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	enc = sealJSON(key, enc)
	if err := b.Put(key, enc); err != nil {
		return err
	}
	lastRun.keep(enc, r)
	return nil
}

// runMemo is the last run record written by countRun and its decoded
// form: a run's counters change with every document, and the bytes found
// are most often the ones countRun wrote last, whose decoding it has
// (countRun changes counters only).
type runMemo struct {
	mu  sync.Mutex
	raw []byte
	run Run
}

var lastRun runMemo

func (m *runMemo) decode(v []byte) (Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw != nil && bytes.Equal(m.raw, v) {
		r := m.run
		r.Args = slices.Clone(r.Args)
		return r, nil
	}
	var r Run
	if err := json.Unmarshal(v, &r); err != nil {
		return Run{}, fmt.Errorf("%w: run record: %v", ErrCorrupt, err)
	}
	return r, nil
}

func (m *runMemo) keep(raw []byte, r Run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.raw, m.run = raw, r
	m.run.Args = slices.Clone(r.Args)
}
