package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

type exportOpts struct {
	format  string
	out     string
	since   uint64
	sinceOK bool
	state   string
	paired  bool
	current bool // warc: only the current version of each document
	filter  store.Filter
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommand("export")
	var o exportOpts
	var ids, since string
	fs.StringVar(&o.format, "format", "jsonl", "jsonl or warc")
	fs.StringVar(&o.out, "out", "", "output file (jsonl; .gz compresses; default stdout) or directory (warc)")
	fs.StringVar(&o.filter.Lang, "lang", "", "en or ru")
	fs.StringVar(&o.filter.Section, "section", "", "listing (news, transcripts) or publication section (News, Transcripts)")
	fs.StringVar(&o.filter.From, "from", "", "publication date >= (YYYY-MM-DD)")
	fs.StringVar(&o.filter.To, "to", "", "publication date <= (YYYY-MM-DD)")
	fs.StringVar(&ids, "id", "", "only these document IDs (comma-separated)")
	fs.StringVar(&since, "since", "", "only records added or changed after this sequence number")
	fs.StringVar(&o.state, "state", "", "file keeping the high-water mark between incremental exports")
	fs.BoolVar(&o.paired, "paired", false, "one line per ID with its en and ru records (IDs present in both)")
	fs.BoolVar(&o.current, "current-only", false, "warc: only the current version of each document (default: every stored capture)")
	if _, err := c.parse(fs, args, stderr, 0); err != nil {
		return err
	}
	if err := o.check(ids, since); err != nil {
		return err
	}
	if o.state != "" {
		mark, ok, err := readState(o.state)
		if err != nil {
			return err
		}
		if ok {
			o.filter.Since, o.sinceOK = mark, true
		}
	}
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	mark, err := db.HighWater()
	if err != nil {
		return err
	}
	start := time.Now()
	var n int
	switch o.format {
	case "warc":
		n, err = exportWARC(ctx, db, &o, stderr, c.log)
	default:
		n, err = exportJSONL(ctx, db, &o, stdout, stderr, c.log)
	}
	if err != nil {
		return err
	}
	if o.state != "" {
		if err := writeState(o.state, mark); err != nil {
			return fmt.Errorf("export complete but the state file was not updated: %w", err)
		}
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "exported %d records in %s (%.0f/s); high-water mark: %d\n", n, el.Round(time.Millisecond), float64(n)/max(el.Seconds(), 1e-9), mark)
	return nil
}

func (o *exportOpts) check(ids, since string) error {
	hint := "kremlin-archive export --format jsonl --since 1234 --out new.jsonl"
	switch o.format {
	case "jsonl", "warc":
	default:
		return usageErr(hint, "--format must be jsonl or warc (got %q)", o.format)
	}
	if o.format == "warc" && o.out == "" {
		return usageErr("kremlin-archive export --format warc --out warc/", "--format warc needs --out DIR")
	}
	if o.format == "warc" && o.paired {
		return usageErr(hint, "--paired is for --format jsonl")
	}
	if o.filter.Lang != "" && o.filter.Lang != "en" && o.filter.Lang != "ru" {
		return usageErr(hint, "--lang must be en or ru (got %q)", o.filter.Lang)
	}
	for _, d := range []struct{ n, v string }{{"--from", o.filter.From}, {"--to", o.filter.To}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return usageErr(hint, "%s: %q is not a date in the form YYYY-MM-DD", d.n, d.v)
		}
	}
	for _, s := range strings.Split(ids, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return usageErr(hint, "--id: %q is not a document ID", s)
		}
		o.filter.IDs = append(o.filter.IDs, id)
	}
	if since != "" {
		if o.state != "" {
			return usageErr(hint, "--since and --state do not go together: --state keeps the mark itself")
		}
		n, err := strconv.ParseUint(since, 10, 64)
		if err != nil {
			return usageErr(hint, "--since: %q is not a sequence number (the high-water mark a previous export printed)", since)
		}
		o.filter.Since, o.sinceOK = n, true
	}
	return nil
}

// exportJSONL writes one record per line (or one pair per line).
func exportJSONL(ctx context.Context, db *store.DB, o *exportOpts, stdout, stderr io.Writer, log *slog.Logger) (int, error) {
	out, err := openOutput(o.out, stdout)
	if err != nil {
		return 0, err
	}
	defer out.abort()
	total := 0
	if isTerminal(stderr) {
		// Count first, for the progress bar's total.
		_ = db.ScanDocs(func(d *store.Doc) error {
			total++
			return nil
		})
	}
	var n, onlyOne int
	start := time.Now()
	prog := startProgress(stderr, isTerminal(stderr), log, 30*time.Second, func() progressSnap {
		return progressSnap{Done: int64(n), Total: int64(total), Unit: "records", Rate: float64(n) / max(time.Since(start).Seconds(), 0.001), RateOf: "records"}
	})
	defer prog.stop()
	if o.paired {
		n, onlyOne, err = writePairs(ctx, db, o, out.w)
	} else {
		err = db.Scan(o.filter, func(_ *store.Doc, r *record.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			b, err := record.Marshal(r)
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if _, err := out.w.Write(b); err != nil {
				return err
			}
			n++
			return nil
		})
	}
	if err != nil {
		return n, err
	}
	if err := out.commit(); err != nil {
		return n, err
	}
	if o.paired {
		fmt.Fprintf(stderr, "paired export: %d IDs in both languages; %d IDs have only one language (not exported)\n", n, onlyOne)
	}
	return n, nil
}

// pair is one line of `export --paired`.
type pair struct {
	ID int64          `json:"id"`
	EN *record.Record `json:"en"`
	RU *record.Record `json:"ru"`
}

// writePairs writes one line per ID archived in both languages, in ID
// order. It keeps only the two ID lists in memory (8 bytes per document).
func writePairs(ctx context.Context, db *store.DB, o *exportOpts, w io.Writer) (n, onlyOne int, err error) {
	en, ru := map[int64]bool{}, map[int64]bool{}
	err = db.ScanDocs(func(d *store.Doc) error {
		f := o.filter
		f.Lang, f.Since = "", 0
		if !f.Match(d) {
			return nil
		}
		if d.Lang == "en" {
			en[d.ID] = d.Seq > o.filter.Since
		} else {
			ru[d.ID] = d.Seq > o.filter.Since
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	var both []int64
	for id, changedEN := range en {
		changedRU, ok := ru[id]
		if !ok {
			onlyOne++
			continue
		}
		if o.filter.Since > 0 && !changedEN && !changedRU {
			continue
		}
		both = append(both, id)
	}
	for id := range ru {
		if _, ok := en[id]; !ok {
			onlyOne++
		}
	}
	slices.Sort(both)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, id := range both {
		if err := ctx.Err(); err != nil {
			return n, onlyOne, err
		}
		p := pair{ID: id}
		for _, l := range []string{"en", "ru"} {
			d, err := db.Doc(l, id)
			if err != nil {
				return n, onlyOne, err
			}
			r, err := db.Record(l, id, 0)
			if err != nil {
				return n, onlyOne, err
			}
			r.Version = d.Versions
			r.Normalize()
			if l == "en" {
				p.EN = r
			} else {
				p.RU = r
			}
		}
		if err := enc.Encode(&p); err != nil {
			return n, onlyOne, err
		}
		n++
	}
	return n, onlyOne, nil
}

// output is a file written to a temporary name and renamed into place only
// when complete (stdout when no name is given). A ".gz" name compresses.
type output struct {
	w      io.Writer
	tmp    *os.File
	path   string
	gz     *gzip.Writer
	buf    *bufio.Writer
	closed bool
}

func openOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" || path == "-" {
		buf := bufio.NewWriterSize(stdout, 256<<10)
		return &output{w: buf, buf: buf}, nil
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output in %s: %w", dir, err)
	}
	o := &output{tmp: tmp, path: path}
	o.buf = bufio.NewWriterSize(tmp, 256<<10)
	o.w = o.buf
	if strings.HasSuffix(path, ".gz") {
		o.gz = gzip.NewWriter(o.buf)
		o.w = o.gz
	}
	return o, nil
}

func (o *output) commit() error {
	if o.gz != nil {
		if err := o.gz.Close(); err != nil {
			return err
		}
	}
	if err := o.buf.Flush(); err != nil {
		return err
	}
	if o.tmp == nil {
		o.closed = true
		return nil
	}
	if err := o.tmp.Sync(); err != nil {
		return err
	}
	if err := o.tmp.Close(); err != nil {
		return err
	}
	o.closed = true
	if err := os.Chmod(o.tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(o.tmp.Name(), o.path)
}

// abort removes the temporary file of an output that was not committed.
func (o *output) abort() {
	if o.closed || o.tmp == nil {
		return
	}
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}

// exportState is the content of a --state file.
type exportState struct {
	Since      uint64    `json:"since"`
	ExportedAt time.Time `json:"exported_at"`
}

// readState reads the mark of a --state file; ok is false when the file
// does not exist yet (first export: everything).
func readState(path string) (uint64, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	s := strings.TrimSpace(string(b))
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, true, nil
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, false, usageErr("delete the state file to export everything again, or fix it", "--state %s: not a kremlin-archive export state (%v)", path, err)
	}
	return st.Since, true, nil
}

// writeState replaces the state file atomically.
func writeState(path string, mark uint64) error {
	b, err := json.Marshal(exportState{Since: mark, ExportedAt: time.Now().UTC()})
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes data to a temporary file beside path, syncs it
// and renames it over path: readers see the old file or the new one,
// never a part.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
