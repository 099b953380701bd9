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

	// Wayback is the state of the listing's discovery through the
	// Wayback Machine's CDX index (nil when never done).
	Wayback *WaybackWalk `json:"wayback,omitempty"`
}

// WaybackWalk is where the discovery of a listing's documents through
// the Wayback Machine's CDX index stands.
type WaybackWalk struct {
	// Cursor is the position of an unfinished walk of the index, or nil;
	// History that of an unfinished walk for `backfill --history`, kept
	// apart so that the hourly crawls never disturb it.
	Cursor  *CDXCursor `json:"cursor,omitempty"`
	History *CDXCursor `json:"history,omitempty"`
	// WWW says whether the CDX server files captures of www.<host> apart
	// from <host> ("separate": both are walked) or under the same key
	// ("folded", as the Internet Archive does); "" until asked.
	WWW string `json:"www,omitempty"`
	// Complete is set once a walk of every capture has ended;
	// CompleteFrom is when the last walk that ended began: later walks ask
	// only for captures made since shortly before it. HistoryComplete and
	// HistoryFrom are the same for the walks of `backfill --history`.
	Complete        bool      `json:"complete,omitempty"`
	CompleteFrom    time.Time `json:"complete_from,omitzero"`
	HistoryComplete bool      `json:"history_complete,omitempty"`
	HistoryFrom     time.Time `json:"history_from,omitzero"`
	LastWalk        time.Time `json:"last_walk,omitzero"`
	// Documents is how many documents the last complete walk found.
	Documents int `json:"documents,omitempty"`
}

// CDXCursor is an unfinished walk of the CDX index: the query (URL
// prefix, from) and the resume key of the next batch of captures.
type CDXCursor struct {
	Prefix    string    `json:"prefix"`               // url= of the query, e.g. en.kremlin.ru/events/president/news/
	Prefixes  []string  `json:"prefixes,omitempty"`   // prefixes still to walk after this one
	From      string    `json:"from,omitempty"`       // from= (timestamp prefix), "" for every capture
	ResumeKey string    `json:"resume_key,omitempty"` // "" = the first batch
	StartedAt time.Time `json:"started_at"`
	Batches   int       `json:"batches"`           // CDX calls answered so far
	Rows      int       `json:"rows"`              // captures seen so far
	Documents int       `json:"documents"`         // documents found so far
	History   bool      `json:"history,omitempty"` // every capture is queued (backfill --history)
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
	err := db.view(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bSections), sectionKey(lang, section), st)
		return err
	})
	return st, err
}

// SaveSectionState stores the state of a listing.
func (db *DB) SaveSectionState(st *SectionState) error {
	return db.update(func(tx *bolt.Tx) error { return putSectionState(tx, st) })
}

func putSectionState(tx *bolt.Tx, st *SectionState) error {
	return putJSON(tx.Bucket(bSections), sectionKey(st.Lang, st.Section), st)
}

// SectionStates returns the state of every listing.
func (db *DB) SectionStates() ([]SectionState, error) {
	var out []SectionState
	err := db.view(func(tx *bolt.Tx) error {
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
	// Throttles counts 429 answers in a row from a Wayback Machine
	// endpoint: each one doubles the pause before the next request.
	Throttles int `json:"throttles,omitempty"`

	// Unreachable is set when the host gave no answer at all in the last
	// run that tried it (UnreachableCause says how it failed), and cleared
	// by the first answer. With wayback.use fallback, runs go straight to
	// the Wayback Machine until LastProbe is old enough to try the host
	// again.
	Unreachable      time.Time `json:"unreachable,omitzero"`
	UnreachableCause string    `json:"unreachable_cause,omitempty"`
	LastProbe        time.Time `json:"last_probe,omitzero"`

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
	err := db.view(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bHosts), []byte(host), hs)
		return err
	})
	return hs, err
}

// UpdateHostState loads a host's state, applies fn and stores it, in one
// transaction.
func (db *DB) UpdateHostState(host string, fn func(*HostState)) error {
	return db.update(func(tx *bolt.Tx) error {
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
	err := db.view(func(tx *bolt.Tx) error {
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
