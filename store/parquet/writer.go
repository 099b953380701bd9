// Package parquet writes the archive's records as two Parquet tables for
// analysis: documents.parquet (one row per document and language) and
// turns.parquet (one row per speaker turn), zstd-compressed, with real
// types (DATE, TIME, UTC TIMESTAMP, LIST) that DuckDB, Polars, pandas
// (pyarrow) and Spark read as they are. The columns are described in
// README.md ("Analysing the archive").
//
// Files are written under temporary names in the output directory and
// renamed into place by Commit; memory stays flat however many records
// are written (row groups are flushed every few megabytes).
package parquet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// File names inside the output directory.
const (
	DocumentsFile = "documents.parquet"
	TurnsFile     = "turns.parquet"
)

// Known tag columns get list columns of their own (tags_<col>,
// tag_keys_<col>); any other column goes to tags_other.
var knownTagColumns = []string{"geography", "topics", "persons"}

// DocumentRow is one row of documents.parquet.
type DocumentRow struct {
	ID       int64    `parquet:"id"`
	Lang     string   `parquet:"lang,dict"`
	Version  int32    `parquet:"version"`
	URL      string   `parquet:"url"`
	Title    string   `parquet:"title"`
	Date     *int32   `parquet:"date,date"`          // days since 1970-01-01
	Time     *string  `parquet:"time,optional,dict"` // "HH:MM", Moscow wall clock (as in JSONL; Spark has no TIME type)
	Place    *string  `parquet:"place,optional,dict"`
	Lead     string   `parquet:"lead"`
	Sections []string `parquet:"sections,list" parquet-element:",dict"`

	// UTC instants (ms) and the Moscow offset they were published with.
	Published              *int64 `parquet:"published,timestamp(millisecond:utc)"`
	PublishedOffsetMinutes *int32 `parquet:"published_offset_minutes,optional"`
	Updated                *int64 `parquet:"updated,timestamp(millisecond:utc)"`
	UpdatedOffsetMinutes   *int32 `parquet:"updated_offset_minutes,optional"`

	TagsGeography    []string   `parquet:"tags_geography,list" parquet-element:",dict"`
	TagKeysGeography []*string  `parquet:"tag_keys_geography,list" parquet-element:",optional,dict"`
	TagsTopics       []string   `parquet:"tags_topics,list" parquet-element:",dict"`
	TagKeysTopics    []*string  `parquet:"tag_keys_topics,list" parquet-element:",optional,dict"`
	TagsPersons      []string   `parquet:"tags_persons,list" parquet-element:",dict"`
	TagKeysPersons   []*string  `parquet:"tag_keys_persons,list" parquet-element:",optional,dict"`
	TagsOther        []OtherTag `parquet:"tags_other,list"`

	Text           string `parquet:"text"`
	Turns          int32  `parquet:"turns"`
	IsAnnouncement bool   `parquet:"is_announcement"`

	Source        string `parquet:"source,dict"`
	CapturedAt    *int64 `parquet:"captured_at,timestamp(millisecond:utc)"`
	FetchedAt     *int64 `parquet:"fetched_at,timestamp(millisecond:utc)"`
	SourceURL     string `parquet:"source_url"`
	RawSHA256     string `parquet:"raw_sha256"`
	ParserVersion int32  `parquet:"parser_version"`
	SchemaVersion int32  `parquet:"schema_version"`
}

// OtherTag is a tag of a column other than geography, topics and persons.
type OtherTag struct {
	Column string  `parquet:"column,dict"`
	Tag    string  `parquet:"tag"`
	Key    *string `parquet:"key,optional"`
}

// TurnRow is one row of turns.parquet.
type TurnRow struct {
	ID         int64   `parquet:"id"`
	Lang       string  `parquet:"lang,dict"`
	Version    int32   `parquet:"version"`
	Seq        int32   `parquet:"seq"` // 1 for the first turn of the document
	Speaker    string  `parquet:"speaker,dict"`
	SpeakerKey *string `parquet:"speaker_key,optional,dict"`
	Note       *string `parquet:"note,optional,dict"`
	Text       string  `parquet:"text"`
}

// flushBytes is how much text is buffered before a row group is written:
// it bounds the writer's memory (the pages of one row group are held until
// it is complete).
const flushBytes = 8 << 20

// Writer writes the two tables into a directory.
type Writer struct {
	dir          string
	docsF, turnF *os.File
	docs         *pq.GenericWriter[DocumentRow]
	turns        *pq.GenericWriter[TurnRow]
	docBuf       []DocumentRow
	turnBuf      []TurnRow
	docBytes     int
	turnBytes    int
	nDocs, nTurn int
	done         bool
}

// Create starts the two files in dir (created when missing) under
// temporary names.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("parquet export: %w", err)
	}
	w := &Writer{dir: dir}
	var err error
	if w.docsF, err = os.CreateTemp(dir, "."+DocumentsFile+".tmp-*"); err != nil {
		return nil, fmt.Errorf("parquet export: %w", err)
	}
	if w.turnF, err = os.CreateTemp(dir, "."+TurnsFile+".tmp-*"); err != nil {
		w.docsF.Close()
		os.Remove(w.docsF.Name())
		return nil, fmt.Errorf("parquet export: %w", err)
	}
	opts := []pq.WriterOption{
		pq.Compression(&pq.Zstd),
		pq.CreatedBy("kremlin-archive", "1", ""),
		pq.KeyValueMetadata("kremlin-archive.schema_version", fmt.Sprint(record.SchemaVersion)),
		pq.PageBufferSize(256 << 10),
	}
	w.docs = pq.NewGenericWriter[DocumentRow](w.docsF, opts...)
	w.turns = pq.NewGenericWriter[TurnRow](w.turnF, opts...)
	return w, nil
}

// Write adds one record: a document row and a row per turn.
func (w *Writer) Write(r *record.Record) error {
	if w.done {
		return errors.New("parquet export: write after commit")
	}
	row, err := DocumentOf(r)
	if err != nil {
		return err
	}
	w.docBuf = append(w.docBuf, row)
	w.docBytes += len(row.Text) + len(row.Lead) + len(row.Title) + 512
	for _, t := range TurnsOf(r) {
		w.turnBuf = append(w.turnBuf, t)
		w.turnBytes += len(t.Text) + len(t.Speaker) + 64
	}
	w.nDocs++
	w.nTurn += len(r.Turns)
	if len(w.docBuf) >= 256 {
		if _, err := w.docs.Write(w.docBuf); err != nil {
			return fmt.Errorf("parquet export: documents: %w", err)
		}
		w.docBuf = w.docBuf[:0]
	}
	if len(w.turnBuf) >= 1024 {
		if _, err := w.turns.Write(w.turnBuf); err != nil {
			return fmt.Errorf("parquet export: turns: %w", err)
		}
		w.turnBuf = w.turnBuf[:0]
	}
	if w.docBytes >= flushBytes {
		if err := w.flushDocs(); err != nil {
			return err
		}
	}
	if w.turnBytes >= flushBytes {
		if err := w.flushTurns(); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) flushDocs() error {
	if len(w.docBuf) > 0 {
		if _, err := w.docs.Write(w.docBuf); err != nil {
			return fmt.Errorf("parquet export: documents: %w", err)
		}
		w.docBuf = w.docBuf[:0]
	}
	w.docBytes = 0
	if err := w.docs.Flush(); err != nil {
		return fmt.Errorf("parquet export: documents: %w", err)
	}
	return nil
}

func (w *Writer) flushTurns() error {
	if len(w.turnBuf) > 0 {
		if _, err := w.turns.Write(w.turnBuf); err != nil {
			return fmt.Errorf("parquet export: turns: %w", err)
		}
		w.turnBuf = w.turnBuf[:0]
	}
	w.turnBytes = 0
	if err := w.turns.Flush(); err != nil {
		return fmt.Errorf("parquet export: turns: %w", err)
	}
	return nil
}

// Counts returns the rows written so far.
func (w *Writer) Counts() (documents, turns int) { return w.nDocs, w.nTurn }

// Commit completes both files, syncs them and renames them into place
// (documents.parquet, then turns.parquet). After a failed Commit nothing
// is renamed.
func (w *Writer) Commit() error {
	if w.done {
		return errors.New("parquet export: committed twice")
	}
	if err := w.flushDocs(); err != nil {
		return err
	}
	if err := w.flushTurns(); err != nil {
		return err
	}
	if err := w.docs.Close(); err != nil {
		return fmt.Errorf("parquet export: documents: %w", err)
	}
	if err := w.turns.Close(); err != nil {
		return fmt.Errorf("parquet export: turns: %w", err)
	}
	for _, f := range []*os.File{w.docsF, w.turnF} {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("parquet export: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("parquet export: %w", err)
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return fmt.Errorf("parquet export: %w", err)
		}
	}
	w.done = true
	if err := os.Rename(w.docsF.Name(), filepath.Join(w.dir, DocumentsFile)); err != nil {
		os.Remove(w.docsF.Name())
		os.Remove(w.turnF.Name())
		return fmt.Errorf("parquet export: %w", err)
	}
	if err := os.Rename(w.turnF.Name(), filepath.Join(w.dir, TurnsFile)); err != nil {
		os.Remove(w.turnF.Name())
		return fmt.Errorf("parquet export: %w", err)
	}
	return nil
}

// Abort removes the temporary files of an export that was not committed.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	for _, f := range []*os.File{w.docsF, w.turnF} {
		f.Close()
		os.Remove(f.Name())
	}
}

// DocumentOf is the documents.parquet row of r.
func DocumentOf(r *record.Record) (DocumentRow, error) {
	row := DocumentRow{
		ID: r.ID, Lang: r.Lang, Version: int32(r.Version), URL: r.URL, Title: r.Title,
		Place: r.Place, Lead: r.Lead, Sections: nonNil(r.Sections), Text: r.Text,
		Turns: int32(len(r.Turns)), IsAnnouncement: r.IsAnnouncement,
		Source: r.Source, SourceURL: r.SourceURL, RawSHA256: r.RawSHA256,
		ParserVersion: int32(r.ParserVersion), SchemaVersion: int32(r.SchemaVersion),
	}
	if row.Source == "" {
		row.Source = record.SourceLive
	}
	var err error
	if r.Date != nil {
		d, perr := time.Parse(time.DateOnly, *r.Date)
		if perr != nil {
			return row, fmt.Errorf("record %s/%d: date %q: %w", r.Lang, r.ID, *r.Date, perr)
		}
		days := int32(d.Unix() / 86400)
		row.Date = &days
	}
	row.Time = r.Time
	if row.Published, row.PublishedOffsetMinutes, err = instant(r.Published); err != nil {
		return row, fmt.Errorf("record %s/%d: published: %w", r.Lang, r.ID, err)
	}
	if row.Updated, row.UpdatedOffsetMinutes, err = instant(r.Updated); err != nil {
		return row, fmt.Errorf("record %s/%d: updated: %w", r.Lang, r.ID, err)
	}
	captured := r.CapturedAt
	if captured == "" {
		captured = r.FetchedAt
	}
	if row.CapturedAt, _, err = instant(nilIfEmpty(captured)); err != nil {
		return row, fmt.Errorf("record %s/%d: captured_at: %w", r.Lang, r.ID, err)
	}
	if row.FetchedAt, _, err = instant(nilIfEmpty(r.FetchedAt)); err != nil {
		return row, fmt.Errorf("record %s/%d: fetched_at: %w", r.Lang, r.ID, err)
	}
	row.TagsGeography, row.TagKeysGeography = tagColumn(r, "geography")
	row.TagsTopics, row.TagKeysTopics = tagColumn(r, "topics")
	row.TagsPersons, row.TagKeysPersons = tagColumn(r, "persons")
	var others []string
	for col := range r.Tags {
		if !isKnown(col) {
			others = append(others, col)
		}
	}
	sort.Strings(others)
	for _, col := range others {
		tags, keys := tagColumn(r, col)
		for i, t := range tags {
			row.TagsOther = append(row.TagsOther, OtherTag{Column: col, Tag: t, Key: keys[i]})
		}
	}
	return row, nil
}

// TurnsOf are the turns.parquet rows of r.
func TurnsOf(r *record.Record) []TurnRow {
	out := make([]TurnRow, len(r.Turns))
	for i, t := range r.Turns {
		out[i] = TurnRow{ID: r.ID, Lang: r.Lang, Version: int32(r.Version), Seq: int32(i + 1),
			Speaker: t.Speaker, SpeakerKey: t.SpeakerKey, Note: nilIfEmpty(t.Note), Text: t.Text}
	}
	return out
}

// tagColumn returns the tags of one column and their keys, the same length.
func tagColumn(r *record.Record, col string) ([]string, []*string) {
	tags := nonNil(r.Tags[col])
	keys := make([]*string, len(tags))
	copy(keys, r.TagKeys[col])
	return tags, keys
}

func isKnown(col string) bool {
	for _, k := range knownTagColumns {
		if k == col {
			return true
		}
	}
	return false
}

// instant parses an RFC 3339 time into UTC milliseconds and its offset in
// minutes east of UTC.
func instant(s *string) (*int64, *int32, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, nil, err
	}
	ms := t.UnixMilli()
	_, off := t.Zone()
	m := int32(off / 60)
	return &ms, &m, nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
