package parquet_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store/parquet"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// corpus returns records in both languages as an export writes them:
// the fake site's truth with fetch fields, versions, every speaker-key
// case, announcements without dates, an extra tag column.
func corpus(t testing.TB, n int) []*record.Record {
	t.Helper()
	en, ru := fakesite.GeneratePair(n, n, n*3/4, 21)
	var out []*record.Record
	for i, d := range append(en, ru...) {
		r := fakesite.Expected(d)
		keys := fakesite.SpeakerKeys(d)
		for j := range r.Turns {
			r.Turns[j].SpeakerKey = keys[j]
		}
		fetched := time.Date(2026, 11, 28, 10, 0, i%60, 0, time.UTC).Format(time.RFC3339)
		r.FetchedAt, r.CapturedAt = fetched, fetched
		r.SourceURL = "http://127.0.0.1:18080/events/president/news/" + fmt.Sprint(r.ID)
		r.RawSHA256 = strings.Repeat("0123456789abcdef", 4)
		r.ParserVersion = 2
		r.Version = 1 + i%3
		if i%7 == 0 {
			r.Source = record.SourceWayback
			r.CapturedAt = "2015-03-20T12:34:56Z"
		}
		if i%11 == 0 {
			if r.Tags == nil {
				r.Tags, r.TagKeys = map[string][]string{}, map[string][]*string{}
			}
			r.Tags["организации"] = []string{"Сбербанк", "Без ссылки"}
			r.TagKeys["организации"] = []*string{record.Str("organizations/12"), nil}
		}
		r.Normalize()
		out = append(out, &r)
	}
	return out
}

// TestRoundTripJSONLParquet writes records as JSONL and as Parquet, reads
// the Parquet files back with an independent implementation (Apache Arrow's
// Go Parquet reader) and checks that they hold the same rows and values,
// with the documented column types.
func TestRoundTripJSONLParquet(t *testing.T) {
	recs := corpus(t, 150)
	dir := t.TempDir()

	// The JSONL export's lines, as they would be read back.
	var jsonl bytes.Buffer
	for _, r := range recs {
		b, err := record.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		jsonl.Write(append(b, '\n'))
	}
	var want []record.Record
	sc := bufio.NewScanner(&jsonl)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}

	w, err := parquet.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	turns := 0
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		turns += len(r.Turns)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if turns == 0 {
		t.Fatal("corpus has no turns")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("output directory holds %d entries, want the two files", len(entries))
	}

	docs := readTable(t, filepath.Join(dir, parquet.DocumentsFile))
	defer docs.Release()
	trs := readTable(t, filepath.Join(dir, parquet.TurnsFile))
	defer trs.Release()
	if int(docs.NumRows()) != len(want) || int(trs.NumRows()) != turns {
		t.Fatalf("rows: documents %d, turns %d; want %d and %d", docs.NumRows(), trs.NumRows(), len(want), turns)
	}
	checkTypes(t, docs.Schema(), map[string]string{
		"id": "int64", "lang": "utf8", "version": "int32", "date": "date32", "time": "utf8",
		"published": "timestamp[ms, tz=UTC]", "published_offset_minutes": "int32",
		"updated": "timestamp[ms, tz=UTC]", "place": "utf8", "sections": "list<element: utf8>",
		"tags_persons": "list<element: utf8>", "tag_keys_persons": "list<element: utf8, nullable>",
		"text": "utf8", "turns": "int32", "is_announcement": "bool", "captured_at": "timestamp[ms, tz=UTC]",
		"fetched_at": "timestamp[ms, tz=UTC]", "parser_version": "int32",
	})
	checkTypes(t, trs.Schema(), map[string]string{
		"id": "int64", "lang": "utf8", "version": "int32", "seq": "int32", "speaker": "utf8",
		"speaker_key": "utf8", "note": "utf8", "text": "utf8",
	})

	got := recordsFrom(t, docs, trs)
	if len(got) != len(want) {
		t.Fatalf("%d records read back, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Normalize()
		g.Normalize()
		wb, _ := record.Marshal(&w)
		gb, _ := record.Marshal(&g)
		if !bytes.Equal(wb, gb) {
			t.Fatalf("record %s/%d differs after the Parquet round trip:\njsonl   %s\nparquet %s", w.Lang, w.ID, wb, gb)
		}
	}
}

func readTable(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, aparquet.NewReaderProperties(memory.DefaultAllocator),
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow reads %s: %v", path, err)
	}
	return tbl
}

func checkTypes(t *testing.T, s *arrow.Schema, want map[string]string) {
	t.Helper()
	for name, typ := range want {
		idx := s.FieldIndices(name)
		if len(idx) != 1 {
			t.Errorf("column %s missing", name)
			continue
		}
		if got := s.Field(idx[0]).Type.String(); got != typ {
			t.Errorf("column %s: type %s, want %s", name, got, typ)
		}
	}
}

// columns gives typed access to one record batch by column name.
type columns struct {
	t   *testing.T
	rec arrow.RecordBatch
}

func (c columns) col(name string) arrow.Array {
	idx := c.rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		c.t.Fatalf("column %s missing", name)
	}
	return c.rec.Column(idx[0])
}

func (c columns) str(name string, i int) *string {
	a := c.col(name).(*array.String)
	if a.IsNull(i) {
		return nil
	}
	s := a.Value(i)
	return &s
}

func (c columns) strs(name string, i int) []*string {
	l := c.col(name).(*array.List)
	if l.IsNull(i) {
		return nil
	}
	vals := l.ListValues().(*array.String)
	start, end := l.ValueOffsets(i)
	out := []*string{}
	for j := start; j < end; j++ {
		if vals.IsNull(int(j)) {
			out = append(out, nil)
		} else {
			s := vals.Value(int(j))
			out = append(out, &s)
		}
	}
	return out
}

func (c columns) i64(name string, i int) int64 { return c.col(name).(*array.Int64).Value(i) }
func (c columns) i32(name string, i int) *int32 {
	a := c.col(name).(*array.Int32)
	if a.IsNull(i) {
		return nil
	}
	v := a.Value(i)
	return &v
}

func (c columns) ts(name, offsetCol string, i int) *string {
	a := c.col(name).(*array.Timestamp)
	if a.IsNull(i) {
		return nil
	}
	tm := time.UnixMilli(int64(a.Value(i))).UTC()
	if offsetCol != "" {
		off := c.i32(offsetCol, i)
		tm = tm.In(time.FixedZone("", int(*off)*60))
	}
	s := tm.Format(time.RFC3339)
	return &s
}

func deref(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// recordsFrom rebuilds records from the two tables.
func recordsFrom(t *testing.T, docs, turns arrow.Table) []record.Record {
	type key struct {
		lang string
		id   int64
	}
	byDoc := map[key][]record.Turn{}
	tr := array.NewTableReader(turns, 1000)
	defer tr.Release()
	for tr.Next() {
		c := columns{t, tr.RecordBatch()}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			k := key{*c.str("lang", i), c.i64("id", i)}
			if seq := int(*c.i32("seq", i)); seq != len(byDoc[k])+1 {
				t.Fatalf("%v: turn seq %d after %d turns", k, seq, len(byDoc[k]))
			}
			turn := record.Turn{Speaker: *c.str("speaker", i), SpeakerKey: c.str("speaker_key", i), Text: *c.str("text", i)}
			if n := c.str("note", i); n != nil {
				turn.Note = *n
			}
			byDoc[k] = append(byDoc[k], turn)
		}
	}
	var out []record.Record
	dr := array.NewTableReader(docs, 100)
	defer dr.Release()
	for dr.Next() {
		c := columns{t, dr.RecordBatch()}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			r := record.Record{
				ID: c.i64("id", i), Lang: *c.str("lang", i), URL: *c.str("url", i), Title: *c.str("title", i),
				Place: c.str("place", i), Lead: *c.str("lead", i), Text: *c.str("text", i),
				IsAnnouncement: c.col("is_announcement").(*array.Boolean).Value(i),
				Source:         *c.str("source", i), SourceURL: *c.str("source_url", i), RawSHA256: *c.str("raw_sha256", i),
				ParserVersion: int(*c.i32("parser_version", i)), SchemaVersion: int(*c.i32("schema_version", i)),
				Version: int(*c.i32("version", i)),
			}
			if d := c.col("date").(*array.Date32); !d.IsNull(i) {
				r.Date = record.Str(d.Value(i).ToTime().Format(time.DateOnly))
			}
			r.Time = c.str("time", i)
			r.Published = c.ts("published", "published_offset_minutes", i)
			r.Updated = c.ts("updated", "updated_offset_minutes", i)
			if p := c.ts("captured_at", "", i); p != nil {
				r.CapturedAt = *p
			}
			if p := c.ts("fetched_at", "", i); p != nil {
				r.FetchedAt = *p
			}
			r.Sections = deref(c.strs("sections", i))
			r.Tags, r.TagKeys = map[string][]string{}, map[string][]*string{}
			for _, col := range []string{"geography", "topics", "persons"} {
				if tags := c.strs("tags_"+col, i); len(tags) > 0 {
					r.Tags[col] = deref(tags)
					r.TagKeys[col] = c.strs("tag_keys_"+col, i)
				}
			}
			other := c.col("tags_other").(*array.List)
			st := other.ListValues().(*array.Struct)
			start, end := other.ValueOffsets(i)
			for j := int(start); j < int(end); j++ {
				col := st.Field(0).(*array.String).Value(j)
				r.Tags[col] = append(r.Tags[col], st.Field(1).(*array.String).Value(j))
				var k *string
				if ka := st.Field(2).(*array.String); !ka.IsNull(j) {
					k = record.Str(ka.Value(j))
				}
				r.TagKeys[col] = append(r.TagKeys[col], k)
			}
			r.Turns = byDoc[key{r.Lang, r.ID}]
			if n := int(*c.i32("turns", i)); n != len(r.Turns) {
				t.Errorf("%s/%d: turns column %d, turns.parquet has %d", r.Lang, r.ID, n, len(r.Turns))
			}
			out = append(out, r)
		}
	}
	return out
}
