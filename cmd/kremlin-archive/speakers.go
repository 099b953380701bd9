package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// speakers applies the archive-level speaker keys (the alias table and the
// paired document, see crawler/kremlin/archive.go) to records read for
// output. The archive itself keeps the keys each page gives.
type speakers struct {
	db    *store.DB
	table *kremlin.SpeakerTable
	added int // keys added so far
}

// loadSpeakers reads the archive's speaker alias table. An archive that
// has none yet (never reparsed by this version) gets one learned in memory
// from its records for this run, with a note to run reparse; a table
// older than the archive's last change is used as it is, with a note.
//
// With learn false (a quick look at one document) a missing table is not
// learned: only the paired document is used.
func loadSpeakers(ctx context.Context, db *store.DB, learn bool, stderr io.Writer) (*speakers, error) {
	if stderr == nil {
		stderr = io.Discard
	}
	b, err := db.SpeakerTable()
	if err != nil {
		return nil, err
	}
	mark, err := db.HighWater()
	if err != nil {
		return nil, err
	}
	var t *kremlin.SpeakerTable
	if b != nil {
		if t, err = kremlin.UnmarshalTable(b); err != nil {
			fmt.Fprintf(stderr, "note: %v; learning one from the records for this export\n", err)
		}
	}
	switch {
	case t == nil && !learn:
		t = kremlin.NewSpeakerTable()
	case t == nil:
		if t, err = buildSpeakerTable(ctx, db); err != nil {
			return nil, err
		}
		if b == nil {
			fmt.Fprintf(stderr, "note: the archive has no speaker alias table yet; learned one from %d records for this export (run `kremlin-archive reparse` to store it)\n", t.Records)
		}
	case t.HighWater < mark:
		fmt.Fprintf(stderr, "note: the speaker alias table was learned at change %d, the archive is at %d; run `kremlin-archive reparse` to learn from the newer records\n", t.HighWater, mark)
	}
	return &speakers{db: db, table: t}, nil
}

// buildSpeakerTable learns the alias table from every current record.
func buildSpeakerTable(ctx context.Context, db *store.DB) (*kremlin.SpeakerTable, error) {
	mark, err := db.HighWater()
	if err != nil {
		return nil, err
	}
	t := kremlin.NewSpeakerTable()
	t.HighWater = mark
	err = db.Scan(store.Filter{}, func(_ *store.Doc, r *record.Record) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		t.Learn(r)
		return nil
	})
	return t, err
}

// rebuildSpeakerTable learns the alias table and stores it in the archive.
func rebuildSpeakerTable(ctx context.Context, db *store.DB) (*kremlin.SpeakerTable, error) {
	t, err := buildSpeakerTable(ctx, db)
	if err != nil {
		return nil, err
	}
	b, err := kremlin.MarshalTable(t)
	if err != nil {
		return nil, err
	}
	return t, db.PutSpeakerTable(b)
}

// resolve fills r's null speaker keys, reading the same document in the
// other language from the archive when r has any.
func (s *speakers) resolve(r *record.Record) error {
	if s.table == nil {
		return nil // page keys only
	}
	var other *record.Record
	if hasNullKey(r) {
		ol := record.LangRU
		if r.Lang == record.LangRU {
			ol = record.LangEN
		}
		var err error
		if other, err = s.db.Record(ol, r.ID, 0); err != nil {
			return fmt.Errorf("speaker keys of %s/%d: the %s record: %w", r.Lang, r.ID, ol, err)
		}
	}
	s.added += s.table.Resolve(r, other)
	return nil
}

// resolvePair fills the null keys of two records of one ID, each from the
// other as stored (neither sees the other's archive-level keys, so the
// result does not depend on the order).
func (s *speakers) resolvePair(a, b *record.Record) {
	if s.table == nil {
		return
	}
	ca, cb := *a, *b
	ca.Turns = append([]record.Turn(nil), a.Turns...)
	cb.Turns = append([]record.Turn(nil), b.Turns...)
	s.added += s.table.Resolve(a, &cb)
	s.added += s.table.Resolve(b, &ca)
}

func hasNullKey(r *record.Record) bool {
	for _, t := range r.Turns {
		if t.SpeakerKey == nil {
			return true
		}
	}
	return false
}

// reparseSpeakers rebuilds the archive's speaker alias table after a
// reparse and says what it holds.
func reparseSpeakers(ctx context.Context, db *store.DB, stdout io.Writer) error {
	t, err := rebuildSpeakerTable(ctx, db)
	if err != nil {
		return fmt.Errorf("speaker alias table: %w", err)
	}
	res, amb := t.Counts()
	fmt.Fprintf(stdout, "speaker alias table: %d labels resolve to one person, %d labels are ambiguous (learned from %d records)\n", res, amb, t.Records)
	return nil
}
