package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// SectionState is the crawl state of one listing (language + section).
type SectionState struct {
	Lang    string `json:"lang"`
	Section string `json:"section"`
	// Complete is set once a walk has reached the listing's last page:
	// every document the listing held then is archived or pending.
	Complete    bool      `json:"complete"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	// Cursor is the position of an unfinished full walk (backfill), or nil.
	Cursor *Cursor `json:"cursor,omitempty"`
	// Head is the position of an unfinished walk of the newest pages (the
	// first part of every crawl), or nil: a run interrupted there resumes
	// it, so new documents beyond the first page are not lost.
	Head *Cursor `json:"head,omitempty"`
	// Ranged is the position of an unfinished backfill of a date range
	// (--from/--to), kept apart so it never disturbs the full walk.
	Ranged *Cursor `json:"ranged,omitempty"`
	// Pages is the listing's page count (data-pages) when last seen.
	Pages     int       `json:"pages,omitempty"`
	LastWalk  time.Time `json:"last_walk,omitzero"`
	LastItems int       `json:"last_items,omitempty"` // items on the last page seen
}

// Cursor is where an unfinished walk of a listing stands. Pages shift as
// new items appear, so a resumed walk starts one page before Page and
// checks its position against the IDs of the last page it processed.
type Cursor struct {
	Page      int       `json:"page"`            // next page to process
	PrevIDs   []int64   `json:"prev_ids"`        // IDs of the last processed page (Page-1)
	From      string    `json:"from,omitempty"`  // backfill range, YYYY-MM-DD
	To        string    `json:"to,omitempty"`    //
	StartedAt time.Time `json:"started_at"`      //
	Done      int       `json:"done_pages"`      // pages processed so far
	Pages     int       `json:"pages,omitempty"` // data-pages when started
	Mode      string    `json:"mode,omitempty"`  // "backfill" or "crawl"
}

func sectionKey(lang, section string) []byte { return []byte(lang + "/" + section) }

// SectionState returns the state of a listing (a zero state when new).
func (db *DB) SectionState(lang, section string) (*SectionState, error) {
	st := &SectionState{Lang: lang, Section: section}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bSections), sectionKey(lang, section), st)
		return err
	})
	return st, err
}

// SaveSectionState stores the state of a listing.
func (db *DB) SaveSectionState(st *SectionState) error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return putSectionState(tx, st) })
}

func putSectionState(tx *bolt.Tx, st *SectionState) error {
	return putJSON(tx.Bucket(bSections), sectionKey(st.Lang, st.Section), st)
}

// SectionStates returns the state of every listing.
func (db *DB) SectionStates() ([]SectionState, error) {
	var out []SectionState
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSections).ForEach(func(k, v []byte) error {
			var st SectionState
			if _, err := getJSON(tx.Bucket(bSections), k, &st); err != nil {
				return err
			}
			out = append(out, st)
			return nil
		})
	})
	return out, err
}

// HostState is what the archive remembers about one host between runs:
// when the site last refused us and until when to stay away, and the
// last robots.txt.
type HostState struct {
	Host string `json:"host"`

	CooldownUntil  time.Time `json:"cooldown_until,omitzero"`
	CooldownReason string    `json:"cooldown_reason,omitempty"`
	// Cooldowns counts consecutive cool-downs; each one doubles the next
	// (up to the configured maximum). A run without refusal resets it.
	Cooldowns   int       `json:"cooldowns,omitempty"`
	LastRefusal time.Time `json:"last_refusal,omitzero"`
	// LastRequest is when the last request to the host ended, so the next
	// run keeps the delay even when it starts right after this one.
	LastRequest time.Time `json:"last_request,omitzero"`
	// Refusals and PauseUntil carry a refusal that did not (yet) start a
	// cool-down over to the next run: the burst count goes on.
	Refusals   int       `json:"refusals,omitempty"`
	PauseUntil time.Time `json:"pause_until,omitzero"`

	Robots *RobotsCopy `json:"robots,omitempty"`
}

// RobotsCopy is the last robots.txt fetched from a host.
type RobotsCopy struct {
	URL       string    `json:"url"`
	Status    int       `json:"status"` // 0 when unreachable
	Body      []byte    `json:"body,omitempty"`
	FetchedAt time.Time `json:"fetched_at"`
	Error     string    `json:"error,omitempty"`
}

// HostState returns the state of a host (zero when never seen).
func (db *DB) HostState(host string) (*HostState, error) {
	hs := &HostState{Host: host}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bHosts), []byte(host), hs)
		return err
	})
	return hs, err
}

// UpdateHostState loads a host's state, applies fn and stores it, in one
// transaction.
func (db *DB) UpdateHostState(host string, fn func(*HostState)) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bHosts)
		hs := &HostState{Host: host}
		if _, err := getJSON(b, []byte(host), hs); err != nil {
			return err
		}
		fn(hs)
		return putJSON(b, []byte(host), hs)
	})
}

// HostStates returns every host's state.
func (db *DB) HostStates() ([]HostState, error) {
	var out []HostState
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bHosts).ForEach(func(k, v []byte) error {
			var hs HostState
			if _, err := getJSON(tx.Bucket(bHosts), k, &hs); err != nil {
				return err
			}
			out = append(out, hs)
			return nil
		})
	})
	return out, err
}
