package warc

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	gowarc "github.com/nlnwa/gowarc/v3"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// Defaults for Options.
const (
	DefaultPrefix      = "kremlin-archive"
	DefaultMaxFileSize = 1 << 30 // 1 GiB
	DefaultSoftware    = "kremlin-archive"
)

const (
	formatName = "WARC File Format 1.1"
	conformsTo = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
	fileExt    = ".warc.gz"
	openSuffix = ".open"

	contentTypeResponse = "application/http;msgtype=response"
	contentTypeJSON     = "application/json"
	contentTypeFields   = "application/warc-fields"

	origPrefix = "X-Archive-Orig-"

	// maxSerial bounds the search for a free file name.
	maxSerial = 99999

	// blockMemBytes is how much of a record block gowarc's record builder
	// keeps in memory; the rest goes to a temporary file in Options.Dir
	// (see newBuilder). Event pages are about 32 KB, the largest seen
	// 355 KB, so pages stay in memory; a body of up to 32 MiB costs 1 MiB
	// of memory on top of the stored body instead of a second full copy.
	blockMemBytes = 1 << 20
)

// Options configure a Writer.
type Options struct {
	Dir         string            // output directory (created if missing)
	Prefix      string            // file name prefix, default "kremlin-archive"
	MaxFileSize int64             // rotate after this many bytes, default 1 GiB
	Software    string            // e.g. "kremlin-archive/1.0"
	Info        map[string]string // extra warcinfo fields (operator, description, config…)
	Now         func() time.Time  // for file names / warcinfo date; default time.Now
}

// Stats describes what a Writer has written so far.
type Stats struct {
	Files    []string // base names of the files Close made final, in the order written
	Captures int      // captures written (one response + one metadata record each)
	Records  int      // WARC records written, warcinfo records included
	Bytes    int64    // compressed bytes written to disk
	RawBytes int64    // the same records uncompressed
}

// Writer writes captures into rotating WARC/1.1 files (see the package
// documentation for the layout). Its methods may be called from several
// goroutines; captures are written in the order the calls are made.
//
// Records are built and checked by gowarc (github.com/nlnwa/gowarc/v3)
// and serialised by its Marshaler; the Writer keeps the file handling
// (names, gzip members, ".open" suffix, rotation, cut-back), which
// gowarc's file writer would do differently (see the package
// documentation).
type Writer struct {
	mu      sync.Mutex
	o       Options
	madeDir bool // Options.Dir did not exist: an undone export removes it again (when empty)

	infoBlock []byte                    // warcinfo fields, the same for every file
	recOpts   []gowarc.WarcRecordOption // options of every record builder
	marshaler gowarc.Marshaler          // gowarc's record serialiser
	serial    int                       // next serial to try

	// The current file; f is nil between files.
	f    *os.File
	path string // final path, without openSuffix
	// finished are the final paths of the files complete so far, still
	// under their ".open" names: they are renamed together by Close, so
	// that an export that fails or is interrupted leaves no file under a
	// final name (all or nothing).
	finished []string
	bw       *bufio.Writer
	cw       countingWriter // counts compressed bytes into bw
	gz       *gzip.Writer

	// infoID is the WARC-Record-ID of the current file's warcinfo record
	// or, between files, of the next file's: it is chosen before the file
	// is opened so that a capture's records can be built, and rejected,
	// before anything is written.
	infoID string

	stats  Stats
	err    error // sticky I/O error: the writer is unusable after it
	closed bool
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewWriter checks o, creates o.Dir if needed and returns a Writer. No
// file is created until the first Write.
func NewWriter(o Options) (*Writer, error) {
	if o.Dir == "" {
		return nil, errors.New("warc: no output directory")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, `/\`) || strings.ContainsFunc(o.Prefix, isCtlOrSpace) {
		return nil, fmt.Errorf("warc: file name prefix %q contains a path separator, space or control character", o.Prefix)
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.Software == "" {
		o.Software = DefaultSoftware
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	info, err := warcinfoBlock(o.Software, o.Info)
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(o.Dir)
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("warc: %w", err)
	}
	w := &Writer{
		o:         o,
		madeDir:   errors.Is(statErr, fs.ErrNotExist),
		infoBlock: info,
		marshaler: gowarc.NewMarshaler(),
		recOpts: []gowarc.WarcRecordOption{
			gowarc.WithVersion(gowarc.V1_1),
			// Fail on the first syntax error or spec violation instead of
			// collecting warnings. This also makes the builder verify a
			// digest we supply (the payload digest from raw_sha256).
			gowarc.WithStrictValidation(),
			// Block digests always, payload digests of responses when the
			// record has no raw_sha256: SHA-256 in lowercase hex.
			gowarc.WithAddMissingDigest(true),
			gowarc.WithDefaultDigestAlgorithm("sha256"),
			gowarc.WithDefaultDigestEncoding(gowarc.Base16),
			// The builder always adds a missing WARC-Record-ID (and
			// Content-Length); this is the generator it uses. Ours, so that
			// a warcinfo ID can be drawn before its file exists (Writer.infoID).
			gowarc.WithRecordIdFunc(newRecordID),
			// Blocks larger than blockMemBytes spill to a temporary file
			// (removed when the record is closed). The output directory is
			// known to be writable and sized for the export; /tmp may be a
			// small tmpfs, that is memory again.
			gowarc.WithBufferMaxMemBytes(blockMemBytes),
			gowarc.WithBufferTmpDir(o.Dir),
		},
	}
	// Let gowarc's strict warc-fields parser see the warcinfo block now
	// rather than at the first Write.
	id, _ := newRecordID()
	rec, err := w.buildWarcinfo(o.Prefix+"-00000000000000-00000"+fileExt, time.Unix(0, 0), "<"+id+">")
	if err != nil {
		return nil, fmt.Errorf("warc: warcinfo: %w", err)
	}
	_ = rec.Close()
	return w, nil
}

// warcinfoBlock renders the warcinfo fields: software, format, conformsTo,
// then info sorted by name.
//
// gowarc.WarcFields could render "name: value" lines, but it rewrites
// every name it does not know into canonical MIME form (isPartOf becomes
// Ispartof, software Software), so the block is written here.
func warcinfoBlock(software string, info map[string]string) ([]byte, error) {
	var b bytes.Buffer
	add := func(k, v string) error {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r == ':' || isCtlOrSpace(r) }) {
			return fmt.Errorf("warc: warcinfo field name %q is empty or contains ':', a space or a control character", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("warc: warcinfo field %s: value contains a line break", k)
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
		return nil
	}
	if err := add("software", software); err != nil {
		return nil, err
	}
	_ = add("format", formatName)
	_ = add("conformsTo", conformsTo)
	for _, k := range slices.Sorted(maps.Keys(info)) {
		switch strings.ToLower(k) {
		case "software", "format", "conformsto":
			return nil, fmt.Errorf("warc: warcinfo field %s is set by the writer (use Options.Software for the software)", k)
		}
		if err := add(k, info[k]); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// Write appends one capture: a response record with the raw HTTP
// response and a metadata record with the parsed record (see the package
// documentation). Both go into the same file; the file is rotated after
// them once it has reached MaxFileSize. Errors name the document.
//
// A capture that cannot be written (missing parts, a URL that is not an
// absolute http(s) URL, no fetch time, a body whose SHA-256 differs from
// the record's raw_sha256, a record gowarc's strict validation refuses)
// is rejected before anything is written, and the Writer stays usable.
// After an I/O error the file is cut back to the end of the last complete
// capture and every later Write fails.
func (w *Writer) Write(c *store.Capture) error {
	if c == nil {
		return errors.New("warc: nil capture")
	}
	name := captureName(c)
	if c.Raw == nil || c.Record == nil {
		return fmt.Errorf("warc: %s: capture without raw response or record", name)
	}
	target, date := captureTarget(c)
	if err := checkTargetURI(target); err != nil {
		return fmt.Errorf("warc: %s: %w", name, err)
	}
	if date.IsZero() {
		return fmt.Errorf("warc: %s: raw response without fetch time", name)
	}
	js, err := record.Marshal(c.Record)
	if err != nil {
		return fmt.Errorf("warc: %s: encoding record: %w", name, err)
	}
	head := httpHead(c.Raw)

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("warc: %s: writer is closed", name)
	}
	if w.err != nil {
		return fmt.Errorf("warc: %s: writer failed earlier: %w", name, w.err)
	}
	if w.infoID == "" {
		id, _ := newRecordID()
		w.infoID = "<" + id + ">"
	}
	resp, meta, err := w.buildCapture(c, head, js)
	if err != nil {
		return fmt.Errorf("warc: %s: %w", name, err)
	}
	defer resp.Close()
	defer meta.Close()

	if w.f == nil {
		if err := w.openFile(); err != nil {
			w.err = err
			return fmt.Errorf("warc: %s: %w", name, err)
		}
	}
	start := w.cw.n
	raw, err := w.writeRecord(resp)
	if err == nil {
		var n int64
		n, err = w.writeRecord(meta)
		raw += n
	}
	if err != nil {
		w.fail(err, start)
		return fmt.Errorf("warc: %s: %w", name, w.err)
	}
	w.stats.Captures++
	w.stats.Records += 2
	w.stats.RawBytes += raw
	w.stats.Bytes += w.cw.n - start
	if w.cw.n >= w.o.MaxFileSize {
		if err := w.finishFile(); err != nil {
			w.err = err
			return fmt.Errorf("warc: %s: %w", name, err)
		}
	}
	return nil
}

// buildCapture builds the response and metadata records of c with
// gowarc. head is the HTTP head to archive, js the record's JSON. The
// caller closes both records.
//
// The builder computes Content-Length, the block digests and the
// response's payload digest: it splits the response block at the end of
// the HTTP head (its first empty line) and hashes the bytes after it,
// exactly the stored body, without de-chunking or decoding. The
// payload digest is given to it as sha256:<raw_sha256> when the record
// has one, so that gowarc verifies it against the body and the header is
// the record's raw_sha256 by construction.
func (w *Writer) buildCapture(c *store.Capture, head, js []byte) (resp, meta gowarc.WarcRecord, err error) {
	target, date := captureTarget(c)
	rb := w.newBuilder(gowarc.Response)
	rb.AddWarcHeaderTime(gowarc.WarcDate, date) // UTC, RFC 3339 with the fraction if any
	rb.AddWarcHeader(gowarc.WarcTargetURI, target)
	rb.AddWarcHeader(gowarc.WarcWarcinfoID, w.infoID)
	rb.AddWarcHeader(gowarc.ContentType, contentTypeResponse)
	if sum := c.Record.RawSHA256; sum != "" {
		rb.AddWarcHeader(gowarc.WarcPayloadDigest, "sha256:"+strings.ToLower(sum))
	}
	resp, err = build(rb, head, c.Raw.Body)
	if de := (*gowarc.DigestError)(nil); errors.As(err, &de) {
		return nil, nil, fmt.Errorf("body SHA-256 %s differs from the record's raw_sha256 %s", de.Computed, de.Expected)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("response record: %w", err)
	}

	respID := resp.WarcHeader().Get(gowarc.WarcRecordID)
	mb := w.newBuilder(gowarc.Metadata)
	mb.AddWarcHeaderTime(gowarc.WarcDate, date)
	mb.AddWarcHeader(gowarc.WarcTargetURI, target)
	mb.AddWarcHeader(gowarc.WarcRefersTo, respID)
	mb.AddWarcHeader(gowarc.WarcConcurrentTo, respID)
	mb.AddWarcHeader(gowarc.WarcWarcinfoID, w.infoID)
	mb.AddWarcHeader(gowarc.ContentType, contentTypeJSON)
	meta, err = build(mb, js)
	if err != nil {
		_ = resp.Close()
		return nil, nil, fmt.Errorf("metadata record: %w", err)
	}
	return resp, meta, nil
}

// buildWarcinfo builds the warcinfo record of the file base, opened at
// date (written to the second, like the file name).
func (w *Writer) buildWarcinfo(base string, date time.Time, id string) (gowarc.WarcRecord, error) {
	rb := w.newBuilder(gowarc.Warcinfo)
	rb.AddWarcHeader(gowarc.WarcRecordID, id)
	rb.AddWarcHeaderTime(gowarc.WarcDate, date.Truncate(time.Second))
	rb.AddWarcHeader(gowarc.WarcFilename, base)
	rb.AddWarcHeader(gowarc.ContentType, contentTypeFields)
	return build(rb, w.infoBlock)
}

// builderMu serialises gowarc.NewRecordBuilder across Writers. Every call
// runs uuid.EnableRandPool() (gowarc v3.1.0 options.go:67), an
// unsynchronised write to a package variable of github.com/google/uuid,
// which the race detector reports when two goroutines build records at
// the same time. Within one Writer, w.mu already serialises them.
var builderMu sync.Mutex

func (w *Writer) newBuilder(t gowarc.RecordType) gowarc.WarcRecordBuilder {
	builderMu.Lock()
	defer builderMu.Unlock()
	return gowarc.NewRecordBuilder(t, w.recOpts...)
}

// build writes the block parts into rb and builds the record: gowarc
// adds WARC-Record-ID, Content-Length and the digests, and validates the
// whole record strictly. rb is closed on failure.
func build(rb gowarc.WarcRecordBuilder, block ...[]byte) (gowarc.WarcRecord, error) {
	for _, b := range block {
		if _, err := rb.Write(b); err != nil {
			_ = rb.Close()
			return nil, err
		}
	}
	rec, validation, err := rb.Build()
	if err == nil && len(validation) > 0 { // not expected with strict validation
		_ = rec.Close()
		err = errors.Join(validation...)
	}
	return rec, err
}

// Close completes the export: it finishes the current file (flush,
// fsync) and gives every file written its final name, dropping the
// ".open" suffix, in the order written. Until then no file of this Writer
// has a final name, so an export is all or nothing: after an I/O error
// (a full disk…), or when a final name has been taken meanwhile, Close
// removes every file of this Writer and returns the error. Calling Close
// again does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if err == nil && w.f != nil {
		err = w.finishFile()
	}
	if err == nil {
		err = w.commit()
	}
	if err != nil {
		w.removeAll()
		return fmt.Errorf("warc: %w (no file of this export was kept)", err)
	}
	return nil
}

// Abort ends an export that will not be completed (an error elsewhere, an
// interruption): every file this Writer created is removed, and nothing
// more can be written. It returns the first removal error. After Close,
// Abort does nothing.
func (w *Writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.removeAll()
}

// removeAll removes the current file and every finished one, under
// either name (commit may have renamed some).
func (w *Writer) removeAll() error {
	var errs []error
	rm := func(p string) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if w.f != nil {
		_ = w.f.Close()
		rm(w.f.Name())
		w.f = nil
	}
	for _, p := range w.finished {
		rm(p + openSuffix)
		if slices.Contains(w.stats.Files, filepath.Base(p)) {
			rm(p)
		}
	}
	w.finished = nil
	w.stats.Files = nil
	syncDir(w.o.Dir)
	if w.madeDir {
		_ = os.Remove(w.o.Dir) // only if empty: gowarc's disk buffers are gone by now
	}
	return errors.Join(errs...)
}

// commit renames every finished file to its final name. A final name
// taken since the file was opened (another export into the same
// directory) is never overwritten: the commit fails.
func (w *Writer) commit() error {
	for _, p := range w.finished {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s appeared while the export ran; not overwritten", p)
		}
		if err := os.Rename(p+openSuffix, p); err != nil {
			return err
		}
		w.stats.Files = append(w.stats.Files, filepath.Base(p))
	}
	syncDir(w.o.Dir)
	return nil
}

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Stats returns what has been written so far. Files lists finished files
// only; after Close that is every file.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Files = slices.Clone(s.Files)
	return s
}

// openFile creates the next file under its ".open" name and writes its
// warcinfo record, whose ID is w.infoID.
func (w *Writer) openFile() error {
	now := w.o.Now().UTC()
	stamp := now.Format("20060102150405")
	for ; w.serial <= maxSerial; w.serial++ {
		base := fmt.Sprintf("%s-%s-%05d%s", w.o.Prefix, stamp, w.serial, fileExt)
		path := filepath.Join(w.o.Dir, base)
		if _, err := os.Lstat(path); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		f, err := os.OpenFile(path+openSuffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		w.serial++
		w.f, w.path = f, path
		if w.bw == nil {
			w.bw = bufio.NewWriterSize(f, 256<<10)
		} else {
			w.bw.Reset(f)
		}
		w.cw = countingWriter{w: w.bw}
		return w.writeWarcinfo(base, now)
	}
	return fmt.Errorf("no free file name for prefix %s and time %s in %s", w.o.Prefix, stamp, w.o.Dir)
}

func (w *Writer) writeWarcinfo(base string, now time.Time) error {
	rec, err := w.buildWarcinfo(base, now, w.infoID)
	if err == nil {
		defer rec.Close()
		var n int64
		if n, err = w.writeRecord(rec); err == nil {
			w.stats.Records++
			w.stats.RawBytes += n
			w.stats.Bytes += w.cw.n
			return nil
		}
	}
	// Nothing of the file is usable: cut it back to empty, and
	// finishFile (on Close) removes it.
	w.fail(err, 0)
	return w.err
}

// writeRecord serialises rec with gowarc's Marshaler into a gzip member
// of its own (WARC 1.1 Annex D). gowarc has no per-record gzip writer
// outside its WarcFileWriter, which also names, rotates and syncs the
// files, so the member is written here. It returns the uncompressed size.
func (w *Writer) writeRecord(rec gowarc.WarcRecord) (int64, error) {
	if w.gz == nil {
		w.gz = gzip.NewWriter(&w.cw)
	} else {
		w.gz.Reset(&w.cw)
	}
	_, n, err := w.marshaler.Marshal(w.gz, rec, 0)
	if err != nil {
		return n, err
	}
	return n, w.gz.Close()
}

// fail records err as the writer's sticky error and cuts the current file
// back to size good, the end of its last complete record.
func (w *Writer) fail(err error, good int64) {
	w.err = err
	if w.f == nil {
		return
	}
	w.bw.Reset(w.f) // drop what has not reached the file
	if terr := w.f.Truncate(good); terr != nil {
		w.err = errors.Join(err, fmt.Errorf("cutting %s back to its last complete record: %w", w.f.Name(), terr))
		_ = w.f.Close()
		w.f = nil                               // keep the ".open" name: the file may end in a partial record
		w.finished = append(w.finished, w.path) // for removeAll: Close will not commit it
		return
	}
	if _, serr := w.f.Seek(good, io.SeekStart); serr != nil {
		w.err = errors.Join(err, serr)
	}
	w.cw.n = good
}

// finishFile flushes, syncs and closes the current file, which keeps its
// ".open" name until Close (commit). A file whose warcinfo could not be
// written is removed. The next file gets a new warcinfo ID.
func (w *Writer) finishFile() error {
	f, path := w.f, w.path
	w.f = nil
	w.infoID = ""
	if w.cw.n == 0 {
		_ = f.Close()
		return os.Remove(f.Name())
	}
	err := w.bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.finished = append(w.finished, path) // removed with the rest
		return fmt.Errorf("finishing %s: %w", f.Name(), err)
	}
	w.finished = append(w.finished, path)
	return nil
}

// httpHead renders the HTTP head of r for the response block. A
// Transfer-Encoding header is renamed X-Archive-Orig-Transfer-Encoding
// and Content-Length set to the stored body's length, because the stored
// body is no longer transfer-coded (see the package documentation). r is
// not modified. gowarc takes the HTTP block as bytes and has no such
// rewriting (it is a pywb/warcio convention), so it is done here.
func httpHead(r *store.Raw) []byte {
	var te []string
	for k := range r.Header {
		if strings.EqualFold(k, "Transfer-Encoding") {
			te = append(te, k)
		}
	}
	if len(te) == 0 {
		return r.Head()
	}
	h := make(map[string][]string, len(r.Header)+2)
	bodyLen := strconv.Itoa(len(r.Body))
	var origTE, origCL []string
	for k, v := range r.Header {
		switch {
		case strings.EqualFold(k, "Transfer-Encoding"):
			origTE = append(origTE, v...)
		case strings.EqualFold(k, "Content-Length"):
			if len(v) != 1 || v[0] != bodyLen {
				origCL = append(origCL, v...)
			}
		default:
			h[k] = v
		}
	}
	h[origPrefix+"Transfer-Encoding"] = origTE
	if len(origCL) > 0 {
		h[origPrefix+"Content-Length"] = origCL
	}
	h["Content-Length"] = []string{bodyLen}
	rr := *r
	rr.Header = h
	return rr.Head()
}

// captureTarget is the URL and time a capture's records are about: for a
// live copy the URL fetched and the fetch time; for a copy taken from the
// Wayback Machine the original page URL and the capture time (the record,
// in the metadata record, says where it came from: source "wayback",
// source_url the capture URL fetched, captured_at).
func captureTarget(c *store.Capture) (string, time.Time) {
	if c.Record != nil && c.Record.Source == record.SourceWayback {
		if target, at, ok := c.Record.Capture(); ok {
			return target, at
		}
	}
	return c.Raw.URL, c.Raw.FetchedAt
}

// checkTargetURI accepts absolute http and https URLs without spaces or
// control characters, which could not be written as a WARC header value.
// (gowarc then parses the URL again, as a WHATWG URL, when it builds the
// record.)
func checkTargetURI(s string) error {
	if s == "" {
		return errors.New("raw response without URL")
	}
	if strings.ContainsFunc(s, isCtlOrSpace) {
		return fmt.Errorf("URL %q contains a space or control character", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q is not an absolute http(s) URL", s)
	}
	return nil
}

func isCtlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

// newRecordID returns a random (version 4) UUID URN, without the angle
// brackets, as gowarc.WithRecordIdFunc expects. It never fails
// (crypto/rand, Go 1.24+).
func newRecordID() (string, error) {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return "urn:uuid:" + string(b[:]), nil
}

// captureName names a capture in errors: "lang/id version n".
func captureName(c *store.Capture) string {
	lang, id := "", int64(0)
	switch {
	case c.Doc != nil:
		lang, id = c.Doc.Lang, c.Doc.ID
	case c.Record != nil:
		lang, id = c.Record.Lang, c.Record.ID
	}
	return fmt.Sprintf("%s/%d version %d", lang, id, c.Version)
}
