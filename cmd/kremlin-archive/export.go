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
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

type exportOpts struct {
	format   string // jsonl or warc; "" = from --out's extension, else jsonl
	out      string
	warcFile bool // warc: --out names one .warc.gz file, not a directory
	ids      string
	since    string
	sinceOK  bool
	state    string
	paired   bool
	current  bool // warc: only the current version of each document
	// speakerKeys is "archive" (the page's speaker keys plus those the
	// archive resolves) or "page" (only the page's, as stored).
	speakerKeys string
	filter      store.Filter
}

func newExportCmd(c *common) *cobra.Command {
	var o exportOpts
	cmd := &cobra.Command{
		Use:   "export",
		Short: "records as JSONL or Parquet, or the raw pages as WARC 1.1",
		Long: `Writes the archive out, nothing touches the network.

JSONL: one record per line in (language, ID) order, to stdout or to --out
(a name ending in .gz is compressed). Parquet: --format parquet --out DIR
writes DIR/documents.parquet and DIR/turns.parquet (see README "Analysing
the archive"). WARC 1.1: every stored capture as a
response record plus a metadata record with the parsed record; --out
a.warc.gz writes one file, --out DIR --format warc writes rotated files
(1 GiB) into DIR. The format follows --out's extension (.jsonl, .jsonl.gz,
.warc.gz) unless --format says otherwise; a contradiction is an error.

Output files are written under a temporary name and renamed when
complete. The high-water mark printed at the end (and kept by --state)
makes incremental exports: --since N exports what changed after N.

Speaker keys are exported as the archive resolves them (the page, labels
resolved on other pages, the same document in the other language);
--speaker-keys page exports only what each page says, as stored.`,
		Example: `  kremlin-archive export --out all.jsonl.gz
  kremlin-archive export --lang ru --section transcripts --from 2022-01-01 --to 2022-12-31
  kremlin-archive export --state export.state --out new.jsonl
  kremlin-archive export --paired --out pairs.jsonl
  kremlin-archive export --format parquet --out pq/
  kremlin-archive export --out kremlin.warc.gz --current-only
  kremlin-archive export --format warc --out warc/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runExport(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "jsonl, parquet or warc (default: from --out's extension, else jsonl)")
	f.StringVar(&o.out, "out", "", "output: a file (.jsonl, .jsonl.gz, .warc.gz), a directory for --format parquet or warc, or - for stdout (default)")
	f.StringVar(&o.filter.Lang, "lang", "", "only this language: en or ru")
	f.StringVar(&o.filter.Section, "section", "", "listing (news, transcripts) or publication section (News, Transcripts)")
	f.StringVar(&o.filter.From, "from", "", "publication date >= (YYYY-MM-DD)")
	f.StringVar(&o.filter.To, "to", "", "publication date <= (YYYY-MM-DD)")
	f.StringVar(&o.ids, "id", "", "only these document IDs (comma-separated)")
	f.StringVar(&o.since, "since", "", "only records added or changed after this high-water mark")
	f.StringVar(&o.state, "state", "", "file keeping the high-water mark between incremental exports")
	f.BoolVar(&o.paired, "paired", false, "jsonl: one line per ID with its en and ru records (IDs present in both)")
	f.StringVar(&o.speakerKeys, "speaker-keys", "archive", "archive (speaker keys resolved across the archive) or page (only what each page says)")
	f.BoolVar(&o.current, "current-only", false, "warc: only the current version of each document (default: every stored capture)")
	return cmd
}

func runExport(ctx context.Context, c *common, o exportOpts) error {
	stdout, stderr := c.stdout, c.stderr
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
	sp := &speakers{} // --speaker-keys page: records as stored
	if o.speakerKeys != "page" {
		if sp, err = loadSpeakers(ctx, db, true, stderr); err != nil {
			return err
		}
	}
	start := time.Now()
	var n int
	switch o.format {
	case "warc":
		n, err = exportWARC(ctx, db, &o, sp, stderr, c.log)
	case "parquet":
		n, err = exportParquet(ctx, db, &o, sp, stderr, c.log)
	default:
		n, err = exportJSONL(ctx, db, &o, sp, stdout, stderr, c.log)
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

// formatByExt maps the endings of --out to the format they imply, longest
// first. (A new format adds its ending here, e.g. {".parquet", "parquet"}.)
var formatByExt = []struct{ ext, format string }{
	{".jsonl.gz", "jsonl"}, {".ndjson.gz", "jsonl"}, {".json.gz", "jsonl"},
	{".jsonl", "jsonl"}, {".ndjson", "jsonl"}, {".json", "jsonl"},
	{".warc.gz", "warc"}, {".warc", "warc"},
}

// decideFormat settles the format and the kind of output from --format
// and --out: the extension decides unless --format is given, and the two
// must agree.
func (o *exportOpts) decideFormat() error {
	hint := "kremlin-archive export --out records.jsonl.gz   (or --out kremlin.warc.gz, or --format warc --out warc/)"
	switch o.format {
	case "", "jsonl", "warc", "parquet":
	default:
		return usageErr(hint, "--format must be jsonl, parquet or warc (got %q)", o.format)
	}
	if o.format == "parquet" {
		// Two files: --out is the directory that holds them.
		if o.out == "" || o.out == "-" {
			return usageErr("kremlin-archive export --format parquet --out pq/", "--format parquet needs --out DIR (it writes DIR/documents.parquet and DIR/turns.parquet)")
		}
		if st, err := os.Stat(o.out); err == nil && !st.IsDir() {
			return usageErr("kremlin-archive export --format parquet --out pq/", "--out %s is a file: --format parquet writes two files into a directory", o.out)
		}
		for _, e := range formatByExt {
			if strings.HasSuffix(strings.ToLower(o.out), e.ext) {
				return usageErr("kremlin-archive export --format parquet --out pq/", "--out %s names a %s file but --format is parquet (a directory)", o.out, strings.ToUpper(e.format))
			}
		}
		return nil
	}
	if o.out == "" || o.out == "-" {
		if o.format == "warc" {
			return usageErr("kremlin-archive export --out kremlin.warc.gz   (or --format warc --out warc/ for rotated files)", "--format warc needs --out: a .warc.gz file or a directory")
		}
		o.format = "jsonl"
		return nil
	}
	lower := strings.ToLower(o.out)
	implied := ""
	for _, e := range formatByExt {
		if strings.HasSuffix(lower, e.ext) {
			implied = e.format
			break
		}
	}
	isDir := strings.HasSuffix(o.out, "/") || strings.HasSuffix(o.out, string(filepath.Separator))
	if st, err := os.Stat(o.out); err == nil && st.IsDir() {
		isDir = true
	}
	switch {
	case isDir && o.format != "warc":
		return usageErr(fmt.Sprintf("kremlin-archive export --format warc --out %s   (or --out records.jsonl.gz)", o.out),
			"--out %s is a directory: JSONL goes to a file; for WARC files in that directory add --format warc", o.out)
	case isDir:
		return nil // warc, rotated files in the directory
	case implied == "warc" && !strings.HasSuffix(lower, ".gz"):
		return usageErr(fmt.Sprintf("kremlin-archive export --out %s.gz", o.out), "--out %s: WARC files are written gzip-compressed (one member per record); name it %s.gz", o.out, o.out)
	case implied != "" && o.format != "" && implied != o.format:
		return usageErr(fmt.Sprintf("kremlin-archive export --out %s   (the format follows the extension), or change --out", o.out),
			"--out %s names a %s file but --format is %s", o.out, strings.ToUpper(implied), o.format)
	case implied != "":
		o.format = implied
		o.warcFile = implied == "warc"
	case o.format == "":
		o.format = "jsonl"
	}
	// --format warc with an --out without a known extension: a directory.
	return nil
}

func (o *exportOpts) check() error {
	hint := "kremlin-archive export --format jsonl --since 1234 --out new.jsonl"
	if err := o.decideFormat(); err != nil {
		return err
	}
	if o.format != "jsonl" && o.paired {
		return usageErr(hint, "--paired is for JSONL output")
	}
	switch o.speakerKeys {
	case "", "archive", "page":
	default:
		return usageErr(hint, "--speaker-keys must be archive or page (got %q)", o.speakerKeys)
	}
	if o.format != "warc" && o.current {
		return usageErr("kremlin-archive export --out kremlin.warc.gz --current-only", "--current-only is for WARC output (JSONL always holds the current version)")
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
	for _, s := range strings.Split(o.ids, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return usageErr(hint, "--id: %q is not a document ID", s)
		}
		o.filter.IDs = append(o.filter.IDs, id)
	}
	if o.since != "" {
		if o.state != "" {
			return usageErr(hint, "--since and --state do not go together: --state keeps the mark itself")
		}
		n, err := strconv.ParseUint(o.since, 10, 64)
		if err != nil {
			return usageErr(hint, "--since: %q is not a sequence number (the high-water mark a previous export printed)", o.since)
		}
		o.filter.Since, o.sinceOK = n, true
	}
	return nil
}

// exportJSONL writes one record per line (or one pair per line).
func exportJSONL(ctx context.Context, db *store.DB, o *exportOpts, sp *speakers, stdout io.Writer, stderr *console, log *slog.Logger) (int, error) {
	out, err := openOutput(o.out, stdout)
	if err != nil {
		return 0, err
	}
	defer out.abort()
	if f, ok := stdout.(*os.File); ok && out.tmp == nil && term.IsTerminal(int(f.Fd())) {
		stderr.noBar() // records go to the same terminal: a bar would cut into them
	}
	total := int64(0)
	if stderr.isTTY() && !o.paired {
		// Count first, for the progress bar's total.
		_ = db.ScanDocs(func(d *store.Doc) error {
			if o.filter.Match(d) {
				total++
			}
			return nil
		})
	}
	var n, onlyOne int
	var done atomic.Int64 // n, for the progress goroutine
	prog := startProgress(stderr, log, 30*time.Second, func() progressSnap {
		d := done.Load()
		return progressSnap{Done: d, Total: total, Unit: "records", Count: d, CountOf: "records"}
	})
	defer prog.stop()
	if o.paired {
		n, onlyOne, err = writePairs(ctx, db, o, sp, out.w)
	} else {
		err = db.Scan(o.filter, func(_ *store.Doc, r *record.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := sp.resolve(r); err != nil {
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
			done.Store(int64(n))
			return nil
		})
	}
	prog.stop()
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
func writePairs(ctx context.Context, db *store.DB, o *exportOpts, sp *speakers, w io.Writer) (n, onlyOne int, err error) {
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
		sp.resolvePair(p.EN, p.RU)
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
