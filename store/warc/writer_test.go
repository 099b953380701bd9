package warc

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

var testNow = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

// newCapture builds a store.Capture directly, as ScanCaptures would hand
// it out, without a database: the raw response and a record whose fetch
// fields (fetched_at, source_url, raw_sha256) agree with it.
func newCapture(lang string, id int64, version int, rawURL string, at time.Time, header http.Header, body []byte) *store.Capture {
	if header == nil {
		header = http.Header{
			"Content-Type":   {"text/html; charset=utf-8"},
			"Content-Length": {fmt.Sprint(len(body))},
			"Date":           {at.Format(http.TimeFormat)},
		}
	}
	sum := sha256.Sum256(body)
	date := at.Format("2006-01-02")
	rec := &record.Record{
		ID:        id,
		Lang:      lang,
		URL:       rawURL,
		Title:     fmt.Sprintf("Document %d <b>&</b> «кавычки»", id),
		Date:      &date,
		Lead:      "Lead",
		Sections:  []string{"News", "Transcripts"},
		Tags:      map[string][]string{"persons": {"Vladimir Putin"}},
		Text:      "First paragraph.\n\nSecond paragraph.",
		Turns:     []record.Turn{{Speaker: "Vladimir Putin", Text: "Good afternoon."}},
		FetchedAt: at.UTC().Format(time.RFC3339Nano),
		SourceURL: rawURL,
		RawSHA256: hex.EncodeToString(sum[:]),

		ParserVersion: 3,
		SchemaVersion: record.SchemaVersion,
	}
	rec.Normalize()
	return &store.Capture{
		Doc:     &store.Doc{Lang: lang, ID: id, Versions: version},
		Version: version,
		Raw: &store.Raw{
			URL:       rawURL,
			FetchedAt: at,
			Proto:     "HTTP/1.1",
			Status:    http.StatusOK,
			Header:    header,
			Body:      body,
		},
		Record: rec,
	}
}

func htmlBody(id int64, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!DOCTYPE html><html><head><title>%d</title></head><body>", id)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<p>Paragraph %d of document %d: Владимир Путин провёл встречу.</p>\n", i, id)
	}
	b.WriteString("</body></html>")
	return b.Bytes()
}

func newTestWriter(t testing.TB, o Options) *Writer {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	w, err := NewWriter(o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func writeAll(t testing.TB, w *Writer, caps ...*store.Capture) {
	t.Helper()
	for _, c := range caps {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every file the writer reports, in order.
func readAll(t testing.TB, dir string, st Stats) [][]rec {
	t.Helper()
	var out [][]rec
	for _, name := range st.Files {
		out = append(out, readWARC(t, filepath.Join(dir, name)))
	}
	return out
}

// checkCapture compares a response + metadata pair with the capture it
// came from.
func checkCapture(t *testing.T, c *store.Capture, resp, meta rec, infoID string) {
	t.Helper()
	name := captureName(c)
	if resp.get("WARC-Type") != "response" || meta.get("WARC-Type") != "metadata" {
		t.Fatalf("%s: record types %q, %q", name, resp.get("WARC-Type"), meta.get("WARC-Type"))
	}
	for _, r := range []rec{resp, meta} {
		if got := r.get("WARC-Target-URI"); got != c.Raw.URL {
			t.Errorf("%s: %s WARC-Target-URI %q, want %q", name, r.get("WARC-Type"), got, c.Raw.URL)
		}
		d, err := time.Parse(time.RFC3339Nano, r.get("WARC-Date"))
		if err != nil || !d.Equal(c.Raw.FetchedAt) || !strings.HasSuffix(r.get("WARC-Date"), "Z") {
			t.Errorf("%s: WARC-Date %q, want %s in UTC", name, r.get("WARC-Date"), c.Raw.FetchedAt.UTC().Format(time.RFC3339Nano))
		}
		if r.get("WARC-Warcinfo-ID") != infoID {
			t.Errorf("%s: WARC-Warcinfo-ID %q, want %q", name, r.get("WARC-Warcinfo-ID"), infoID)
		}
		if r.count("WARC-IP-Address") != 0 {
			t.Errorf("%s: WARC-IP-Address present", name)
		}
	}
	if got := resp.get("Content-Type"); got != "application/http;msgtype=response" {
		t.Errorf("%s: response Content-Type %q", name, got)
	}
	// The payload is the stored body, byte for byte, and its digest is the
	// record's raw_sha256.
	if !bytes.Equal(resp.Payload, c.Raw.Body) {
		t.Errorf("%s: payload differs from the stored body (%d vs %d bytes)", name, len(resp.Payload), len(c.Raw.Body))
	}
	if got, want := resp.get("WARC-Payload-Digest"), "sha256:"+c.Record.RawSHA256; got != want {
		t.Errorf("%s: WARC-Payload-Digest %s, want %s (raw_sha256)", name, got, want)
	}
	if sum := sha256.Sum256(c.Raw.Body); hex.EncodeToString(sum[:]) != c.Record.RawSHA256 {
		t.Fatalf("%s: test capture is inconsistent", name)
	}
	hr, body := httpBody(t, resp.Block)
	if hr.StatusCode != c.Raw.Status {
		t.Errorf("%s: HTTP status %d, want %d", name, hr.StatusCode, c.Raw.Status)
	}
	if !bytes.Equal(body, c.Raw.Body) {
		t.Errorf("%s: an HTTP reader gets %d body bytes, want the %d stored", name, len(body), len(c.Raw.Body))
	}
	// The metadata record links to the response and holds the record.
	respID := resp.get("WARC-Record-ID")
	if meta.get("WARC-Refers-To") != respID || meta.get("WARC-Concurrent-To") != respID {
		t.Errorf("%s: metadata WARC-Refers-To %q, WARC-Concurrent-To %q, want %q", name, meta.get("WARC-Refers-To"), meta.get("WARC-Concurrent-To"), respID)
	}
	if got := meta.get("Content-Type"); got != "application/json" {
		t.Errorf("%s: metadata Content-Type %q", name, got)
	}
	want, err := record.Marshal(c.Record)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(meta.Block, want) {
		t.Errorf("%s: metadata block is not record.Marshal's output:\n%s\n%s", name, meta.Block, want)
	}
	var got record.Record
	if err := json.Unmarshal(meta.Block, &got); err != nil {
		t.Fatalf("%s: metadata JSON: %v", name, err)
	}
	if !reflect.DeepEqual(&got, c.Record) {
		t.Errorf("%s: metadata record decodes to\n%+v\nwant\n%+v", name, got, *c.Record)
	}
}

func checkWarcinfo(t *testing.T, r rec, file string, want map[string]string) {
	t.Helper()
	if r.get("WARC-Type") != "warcinfo" {
		t.Fatalf("%s starts with a %q record, want warcinfo", file, r.get("WARC-Type"))
	}
	if r.get("WARC-Filename") != file {
		t.Errorf("%s: WARC-Filename %q", file, r.get("WARC-Filename"))
	}
	if r.get("Content-Type") != "application/warc-fields" {
		t.Errorf("%s: warcinfo Content-Type %q", file, r.get("Content-Type"))
	}
	if r.get("WARC-Date") != "2026-11-28T09:30:00Z" {
		t.Errorf("%s: warcinfo WARC-Date %q, want Options.Now", file, r.get("WARC-Date"))
	}
	fields := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(r.Block), "\r\n"), "\r\n") {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			t.Fatalf("%s: warcinfo line %q", file, l)
		}
		fields[k] = v
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s: warcinfo %s = %q, want %q", file, k, fields[k], v)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	info := map[string]string{
		"isPartOf":    "kremlin.ru and en.kremlin.ru",
		"description": "Export of the kremlin-archive store",
		"operator":    "Archive team <archive@example.org>",
	}
	w := newTestWriter(t, Options{Dir: dir, Prefix: "test", Software: "kremlin-archive/1.0", Info: info})
	t1 := time.Date(2026, 11, 27, 21, 4, 5, 0, time.UTC)
	t2 := time.Date(2026, 11, 28, 1, 2, 3, 123456789, time.FixedZone("MSK", 3*3600))
	caps := []*store.Capture{
		newCapture("en", 71326, 1, "http://en.kremlin.ru/events/president/transcripts/71326", t1, nil, htmlBody(71326, 30000)),
		newCapture("en", 71326, 2, "http://en.kremlin.ru/events/president/news/71326", t2, nil, htmlBody(71327, 31000)),
		newCapture("ru", 5, 1, "http://kremlin.ru/events/president/news/5?print=1", t1.Add(time.Millisecond), nil, htmlBody(5, 500)),
	}
	writeAll(t, w, caps...)

	st := w.Stats()
	if want := []string{"test-20261128093000-00000.warc.gz"}; !slices.Equal(st.Files, want) {
		t.Fatalf("files %v, want %v", st.Files, want)
	}
	if st.Captures != 3 || st.Records != 7 {
		t.Errorf("stats %+v", st)
	}
	fi, err := os.Stat(filepath.Join(dir, st.Files[0]))
	if err != nil || fi.Size() != st.Bytes {
		t.Errorf("file size %v (%v), Stats.Bytes %d", fi.Size(), err, st.Bytes)
	}
	files := readAll(t, dir, st)
	recs := files[0]
	if len(recs) != 1+2*len(caps) {
		t.Fatalf("%d records, want %d", len(recs), 1+2*len(caps))
	}
	var raw int64
	for _, r := range recs {
		raw += int64(len(r.Block))
	}
	if raw >= st.RawBytes {
		t.Errorf("Stats.RawBytes %d is not larger than the blocks (%d)", st.RawBytes, raw)
	}
	checkWarcinfo(t, recs[0], st.Files[0], map[string]string{
		"software":    "kremlin-archive/1.0",
		"format":      "WARC File Format 1.1",
		"conformsTo":  "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
		"isPartOf":    info["isPartOf"],
		"description": info["description"],
		"operator":    info["operator"],
	})
	infoID := recs[0].get("WARC-Record-ID")
	ids := map[string]bool{}
	for _, r := range recs {
		id := r.get("WARC-Record-ID")
		if !strings.HasPrefix(id, "<urn:uuid:") || !strings.HasSuffix(id, ">") || len(id) != len("<urn:uuid:>")+36 || ids[id] {
			t.Errorf("record ID %q malformed or repeated", id)
		}
		ids[id] = true
	}
	for i, c := range caps {
		checkCapture(t, c, recs[1+2*i], recs[2+2*i], infoID)
	}
	// The fractional second survives; a whole second is written without one.
	if got := recs[3].get("WARC-Date"); got != "2026-11-27T22:02:03.123456789Z" {
		t.Errorf("WARC-Date %q", got)
	}
	if got := recs[1].get("WARC-Date"); got != "2026-11-27T21:04:05Z" {
		t.Errorf("WARC-Date %q", got)
	}
	// The second check: gowarc's validating reader on the same file.
	checkWithGowarc(t, filepath.Join(dir, st.Files[0]), len(recs))
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	const max = 8000
	w := newTestWriter(t, Options{Dir: dir, Prefix: "rot", MaxFileSize: max})
	rng := rand.New(rand.NewPCG(1, 2))
	var caps []*store.Capture
	for i := range 12 {
		body := make([]byte, 1500+rng.IntN(3000)) // incompressible
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		h := http.Header{"Content-Type": {"application/octet-stream"}}
		caps = append(caps, newCapture("en", int64(100+i), 1, fmt.Sprintf("http://en.kremlin.ru/d/%d", 100+i), testNow.Add(time.Duration(i)*time.Second), h, body))
	}
	writeAll(t, w, caps...)
	st := w.Stats()
	if len(st.Files) < 3 {
		t.Fatalf("only %d files for %d incompressible captures with MaxFileSize %d", len(st.Files), len(caps), max)
	}
	for i, name := range st.Files {
		if want := fmt.Sprintf("rot-20261128093000-%05d.warc.gz", i); name != want {
			t.Errorf("file %d is %s, want %s", i, name, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(st.Files) {
		t.Errorf("directory has %d entries, Stats lists %d files", len(entries), len(st.Files))
	}
	next := 0
	var total int64
	for i, recs := range readAll(t, dir, st) {
		name := st.Files[i]
		fi, _ := os.Stat(filepath.Join(dir, name))
		total += fi.Size()
		checkWarcinfo(t, recs[0], name, nil)
		if (len(recs)-1)%2 != 0 || len(recs) < 3 {
			t.Fatalf("%s: %d records: want warcinfo and whole captures", name, len(recs))
		}
		for j := 1; j < len(recs); j += 2 {
			checkCapture(t, caps[next], recs[j], recs[j+1], recs[0].get("WARC-Record-ID"))
			next++
		}
		// Rotated after, never before, the limit: every file but the last
		// has reached it, and its last capture started below it.
		last := recs[len(recs)-2].Offset
		if i < len(st.Files)-1 && (fi.Size() < max || last >= max) {
			t.Errorf("%s: %d bytes, last capture at %d: rotation should happen at the first capture end past %d", name, fi.Size(), last, max)
		}
		checkWithGowarc(t, filepath.Join(dir, name), len(recs))
	}
	if next != len(caps) {
		t.Errorf("read back %d captures, wrote %d", next, len(caps))
	}
	if total != st.Bytes || st.Captures != len(caps) || st.Records != len(st.Files)+2*len(caps) {
		t.Errorf("stats %+v, files total %d bytes", st, total)
	}
}

func TestOpenSuffix(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	names := func() []string {
		var out []string
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if got := names(); len(got) != 0 {
		t.Fatalf("files before the first capture: %v", got)
	}
	if err := w.Write(newCapture("en", 1, 1, "https://en.kremlin.ru/d/1", testNow, nil, []byte("<p>x</p>"))); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), []string{"kremlin-archive-20261128093000-00000.warc.gz.open"}; !slices.Equal(got, want) {
		t.Fatalf("while writing: %v, want %v", got, want)
	}
	if st := w.Stats(); len(st.Files) != 0 || st.Captures != 1 {
		t.Errorf("stats while writing %+v", st)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), []string{"kremlin-archive-20261128093000-00000.warc.gz"}; !slices.Equal(got, want) {
		t.Fatalf("after Close: %v, want %v", got, want)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err := w.Write(newCapture("en", 2, 3, "https://en.kremlin.ru/d/2", testNow, nil, nil))
	if err == nil || !strings.Contains(err.Error(), "en/2 version 3") {
		t.Errorf("Write after Close: %v", err)
	}

	// A writer that got no capture writes nothing.
	empty := t.TempDir()
	w = newTestWriter(t, Options{Dir: empty})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("empty export wrote %d files", len(entries))
	}
}

func TestNamesNeverOverwrite(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"p-20261128093000-00000.warc.gz", "p-20261128093000-00001.warc.gz.open"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := newTestWriter(t, Options{Dir: dir, Prefix: "p"})
	writeAll(t, w, newCapture("en", 1, 1, "http://en.kremlin.ru/d/1", testNow, nil, []byte("x")))
	if got := w.Stats().Files; !slices.Equal(got, []string{"p-20261128093000-00002.warc.gz"}) {
		t.Errorf("files %v", got)
	}
	for _, n := range []string{"p-20261128093000-00000.warc.gz", "p-20261128093000-00001.warc.gz.open"} {
		if b, _ := os.ReadFile(filepath.Join(dir, n)); string(b) != "keep" {
			t.Errorf("%s was overwritten", n)
		}
	}
}

func TestTransferEncoding(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	body := htmlBody(9, 3000)
	// Stored with a chunked Transfer-Encoding header (the body itself is
	// de-chunked), once with the canonical name and once lower-cased with
	// a stale Content-Length.
	h1 := http.Header{"Content-Type": {"text/html"}, "Transfer-Encoding": {"chunked"}}
	h2 := http.Header{"content-type": {"text/html"}, "transfer-encoding": {"chunked"}, "content-length": {"17"}}
	c1 := newCapture("en", 9, 1, "http://en.kremlin.ru/d/9", testNow, h1, body)
	c2 := newCapture("en", 9, 2, "http://en.kremlin.ru/d/9", testNow.Add(time.Hour), h2, body)
	before := []http.Header{h1.Clone(), h2.Clone()}
	writeAll(t, w, c1, c2)
	if !reflect.DeepEqual(c1.Raw.Header, before[0]) || !reflect.DeepEqual(c2.Raw.Header, before[1]) {
		t.Error("Write modified the capture's headers")
	}
	recs := readAll(t, dir, w.Stats())[0]
	for i, c := range []*store.Capture{c1, c2} {
		resp := recs[1+2*i]
		checkCapture(t, c, resp, recs[2+2*i], recs[0].get("WARC-Record-ID"))
		head := string(resp.Head)
		if strings.Contains(strings.ToLower(head), "\ntransfer-encoding:") {
			t.Errorf("version %d: head still has Transfer-Encoding:\n%s", c.Version, head)
		}
		if !strings.Contains(head, "\r\nX-Archive-Orig-Transfer-Encoding: chunked\r\n") {
			t.Errorf("version %d: head lacks X-Archive-Orig-Transfer-Encoding:\n%s", c.Version, head)
		}
		if want := fmt.Sprintf("\r\nContent-Length: %d\r\n", len(body)); !strings.Contains(head, want) {
			t.Errorf("version %d: head lacks %q:\n%s", c.Version, want, head)
		}
		hr, _ := httpBody(t, resp.Block)
		if hr.ContentLength != int64(len(body)) || len(hr.TransferEncoding) != 0 {
			t.Errorf("version %d: an HTTP reader sees Content-Length %d, Transfer-Encoding %v", c.Version, hr.ContentLength, hr.TransferEncoding)
		}
	}
	if head := string(recs[3].Head); !strings.Contains(head, "\r\nX-Archive-Orig-Content-Length: 17\r\n") || strings.Contains(head, "content-length") {
		t.Errorf("stale Content-Length not kept as X-Archive-Orig-Content-Length:\n%s", head)
	}
	// Without Transfer-Encoding the head is store.Raw.Head's, unchanged.
	c3 := newCapture("en", 10, 1, "http://en.kremlin.ru/d/10", testNow, nil, body)
	if !bytes.Equal(httpHead(c3.Raw), c3.Raw.Head()) {
		t.Error("head without Transfer-Encoding was changed")
	}
}

// TestHTTPTestServer records real responses from a local test server the
// way the crawler does (raw transport, headers cloned, body as read): a
// chunked gzip-encoded page and a plain one.
func TestHTTPTestServer(t *testing.T) {
	page := htmlBody(42, 20000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/plain" {
			w.Write(page)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(page[:len(page)/2])
		zw.Flush()
		w.(http.Flusher).Flush() // forces chunked transfer coding
		zw.Write(page[len(page)/2:])
		zw.Close()
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(path string, id int64) *store.Capture {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		c := newCapture("en", id, 1, resp.Request.URL.String(), time.Now().UTC(), resp.Header.Clone(), body)
		c.Raw.Proto, c.Raw.Status = resp.Proto, resp.StatusCode
		if path != "/plain" && !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
			t.Fatalf("test server did not chunk: %v", resp.TransferEncoding)
		}
		return c
	}
	gz, plain := fetch("/gz", 1), fetch("/plain", 2)
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	writeAll(t, w, gz, plain)
	st := w.Stats()
	recs := readAll(t, dir, st)[0]
	checkCapture(t, gz, recs[1], recs[2], recs[0].get("WARC-Record-ID"))
	checkCapture(t, plain, recs[3], recs[4], recs[0].get("WARC-Record-ID"))
	hr, body := httpBody(t, recs[1].Block)
	if hr.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", hr.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, page) {
		t.Errorf("decoded payload differs from the page (%v)", err)
	}
	checkWithGowarc(t, filepath.Join(dir, st.Files[0]), len(recs))
}

func TestBinaryAndEmptyBodies(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	rng := rand.New(rand.NewPCG(3, 4))
	bin := make([]byte, 70000)
	for i := range bin {
		bin[i] = byte(rng.Uint32())
	}
	invalid := []byte("caf\xe9 \xff\xfe\x00\x01 \xc3\x28 \xed\xa0\x80 \r\n\r\nWARC/1.1\r\n\r\n end \xf0\x28\x8c\x28")
	binHeader := http.Header{"Content-Type": {"image/jpeg"}}
	noCT := http.Header{}
	empty204 := newCapture("en", 3, 1, "http://en.kremlin.ru/d/3", testNow, noCT, nil)
	empty204.Raw.Status = http.StatusNoContent
	caps := []*store.Capture{
		newCapture("ru", 1, 1, "http://kremlin.ru/d/1", testNow, nil, invalid),
		newCapture("ru", 2, 1, "http://kremlin.ru/d/2", testNow, binHeader, bin),
		newCapture("en", 3, 2, "http://en.kremlin.ru/d/3", testNow, http.Header{"Content-Length": {"0"}}, []byte{}),
		empty204,
		newCapture("en", 4, 1, "http://en.kremlin.ru/d/4", testNow, noCT, nil), // no Content-Length: body runs to the end
	}
	writeAll(t, w, caps...)
	st := w.Stats()
	recs := readAll(t, dir, st)[0]
	for i, c := range caps {
		checkCapture(t, c, recs[1+2*i], recs[2+2*i], recs[0].get("WARC-Record-ID"))
	}
	emptySum := "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, i := range []int{5, 7, 9} {
		if recs[i].get("WARC-Payload-Digest") != emptySum || len(recs[i].Payload) != 0 {
			t.Errorf("empty body: payload %d bytes, digest %s", len(recs[i].Payload), recs[i].get("WARC-Payload-Digest"))
		}
		if n := fmt.Sprint(len(recs[i].Head)); recs[i].get("Content-Length") != n {
			t.Errorf("empty body: Content-Length %s, head is %s bytes", recs[i].get("Content-Length"), n)
		}
	}
	checkWithGowarc(t, filepath.Join(dir, st.Files[0]), len(recs))
}

func TestRejectedCaptures(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	good := func() *store.Capture {
		return newCapture("en", 71326, 2, "http://en.kremlin.ru/d/71326", testNow, nil, []byte("<p>x</p>"))
	}
	cases := map[string]func(c *store.Capture){
		"no raw":       func(c *store.Capture) { c.Raw = nil },
		"no record":    func(c *store.Capture) { c.Record = nil },
		"no URL":       func(c *store.Capture) { c.Raw.URL = "" },
		"relative URL": func(c *store.Capture) { c.Raw.URL = "/events/president/news/1" },
		"ftp URL":      func(c *store.Capture) { c.Raw.URL = "ftp://kremlin.ru/x" },
		"space in URL": func(c *store.Capture) { c.Raw.URL = "http://kremlin.ru/a b" },
		"CRLF in URL":  func(c *store.Capture) { c.Raw.URL = "http://kremlin.ru/a\r\nWARC-Type: x" },
		"no date":      func(c *store.Capture) { c.Raw.FetchedAt = time.Time{} },
		"sha mismatch": func(c *store.Capture) { c.Raw.Body = []byte("<p>y</p>") },
	}
	for name, mod := range cases {
		c := good()
		mod(c)
		err := w.Write(c)
		if err == nil || !strings.Contains(err.Error(), "en/71326 version 2") {
			t.Errorf("%s: error %v, want one naming en/71326 version 2", name, err)
		}
	}
	if err := w.Write(nil); err == nil {
		t.Error("nil capture accepted")
	}
	// Rejections write nothing and leave the writer usable.
	if st := w.Stats(); st.Records != 0 {
		t.Errorf("rejected captures wrote %d records", st.Records)
	}
	c := good()
	c.Record.RawSHA256 = strings.ToUpper(c.Record.RawSHA256)
	writeAll(t, w, c)
	if st := w.Stats(); st.Captures != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	w, err := NewWriter(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if w.o.Prefix != DefaultPrefix || w.o.MaxFileSize != DefaultMaxFileSize || w.o.Software != DefaultSoftware || w.o.Now == nil {
		t.Errorf("defaults %+v", w.o)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("output directory not created: %v", err)
	}
	bad := []Options{
		{},
		{Dir: dir, Prefix: "a/b"},
		{Dir: dir, Prefix: "a b"},
		{Dir: dir, Info: map[string]string{"format": "WARC/1.0"}},
		{Dir: dir, Info: map[string]string{"Software": "x"}},
		{Dir: dir, Info: map[string]string{"bad name": "x"}},
		{Dir: dir, Info: map[string]string{"a:b": "x"}},
		{Dir: dir, Info: map[string]string{"description": "two\r\nlines"}},
		{Dir: dir, Software: "x\ny"},
	}
	for _, o := range bad {
		if _, err := NewWriter(o); err == nil {
			t.Errorf("NewWriter(%+v) accepted", o)
		}
	}
}

// TestConcurrentWrites checks that concurrent callers get whole captures
// (run with -race).
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir, MaxFileSize: 20000})
	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- w.Write(newCapture("en", int64(i), 1, fmt.Sprintf("http://en.kremlin.ru/d/%d", i), testNow, nil, htmlBody(int64(i), 5000)))
			_ = w.Stats()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, recs := range readAll(t, dir, w.Stats()) {
		for j := 1; j < len(recs); j += 2 {
			if recs[j+1].get("WARC-Refers-To") != recs[j].get("WARC-Record-ID") {
				t.Fatal("capture records interleaved")
			}
			seen[recs[j].get("WARC-Target-URI")] = true
		}
	}
	if len(seen) != n {
		t.Errorf("%d captures read back, want %d", len(seen), n)
	}
}

// failAfter passes n bytes through, then fails: a disk that fills up.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("no space left on device (simulated)")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestWriteErrorLeavesNothing: an I/O error in the middle of an export
// (a full disk) fails that capture, every later one, and Close; the
// export leaves no file at all (issue 10: a partial .warc.gz under a final
// name was taken for a complete export).
func TestWriteErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir, MaxFileSize: 4000}) // rotates: finished files are undone too
	c1 := newCapture("en", 1, 1, "http://en.kremlin.ru/d/1", testNow, nil, htmlBody(1, 2000))
	c3 := newCapture("en", 3, 1, "http://en.kremlin.ru/d/3", testNow, nil, htmlBody(3, 2000))
	for _, c := range []*store.Capture{c1, c3} {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	// The disk fills up in the middle of the next capture: part of it
	// reaches the file before the error.
	w.mu.Lock()
	if w.f == nil {
		if err := w.openFile(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.bw.Flush(); err != nil {
		t.Fatal(err)
	}
	w.bw.Reset(&failAfter{w: w.f, n: 5000})
	w.mu.Unlock()
	noise := make([]byte, 1<<20) // incompressible: it must overflow the buffer
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	big := newCapture("en", 2, 1, "http://en.kremlin.ru/d/2", testNow, http.Header{}, noise)
	if err := w.Write(big); err == nil || !strings.Contains(err.Error(), "en/2 version 1") || !strings.Contains(err.Error(), "simulated") {
		t.Fatalf("write on a full disk: %v", err)
	}
	if err := w.Write(c1); err == nil || !strings.Contains(err.Error(), "failed earlier") {
		t.Errorf("write after an I/O error: %v", err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "simulated") || !strings.Contains(err.Error(), "no file") {
		t.Errorf("Close after an I/O error: %v, want the error and that no file was kept", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed export left %v", entries)
	}
	if st := w.Stats(); len(st.Files) != 0 {
		t.Errorf("stats list files of a failed export: %v", st.Files)
	}

	// Also when the file cannot even be cut back.
	dir = t.TempDir()
	w = newTestWriter(t, Options{Dir: dir})
	if err := w.Write(c1); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	_ = w.f.Close()
	w.mu.Unlock()
	if err := w.Write(big); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed cut-back succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("after a failed cut-back: %v", entries)
	}
}

// TestAllOrNothing: no file of an export has a final name before Close;
// Abort (an error elsewhere, an interruption) removes every file, rotated
// ones included; Close never overwrites a final name taken meanwhile, and
// then keeps nothing either.
func TestAllOrNothing(t *testing.T) {
	caps := func(n int) []*store.Capture {
		var out []*store.Capture
		for i := 1; i <= n; i++ {
			out = append(out, newCapture("en", int64(i), 1, fmt.Sprintf("http://en.kremlin.ru/d/%d", i), testNow, nil, htmlBody(int64(i), 3000)))
		}
		return out
	}
	finals := func(dir string) (final, open []string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), fileExt) {
				final = append(final, e.Name())
			} else {
				open = append(open, e.Name())
			}
		}
		return final, open
	}
	for _, tc := range []struct {
		name string
		end  func(w *Writer, dir string) error
		keep int // final files after the end
	}{
		{"close", func(w *Writer, _ string) error { return w.Close() }, 6},
		{"abort", func(w *Writer, _ string) error { return w.Abort() }, 0},
		{"name taken", func(w *Writer, dir string) error {
			if err := os.WriteFile(filepath.Join(dir, "kremlin-archive-20261128093000-00001.warc.gz"), []byte("other"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := w.Close()
			if err == nil || !strings.Contains(err.Error(), "not overwritten") {
				t.Errorf("Close with a final name taken: %v", err)
			}
			return nil
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newTestWriter(t, Options{Dir: dir, MaxFileSize: 1}) // one file per capture
			for _, c := range caps(6) {
				if err := w.Write(c); err != nil {
					t.Fatal(err)
				}
			}
			if final, open := finals(dir); len(final) != 0 || len(open) < 3 {
				t.Fatalf("before the end: final %v, open %v; want no final name and several rotated files", final, open)
			}
			if err := tc.end(w, dir); err != nil {
				t.Fatal(err)
			}
			final, open := finals(dir)
			if len(final) != tc.keep || len(open) != 0 {
				t.Errorf("after the end: final %v, open %v; want %d final files", final, open, tc.keep)
			}
			if tc.name == "name taken" {
				if b, _ := os.ReadFile(filepath.Join(dir, final[0])); string(b) != "other" {
					t.Errorf("the other file was overwritten")
				}
			}
			if err := w.Write(caps(1)[0]); err == nil {
				t.Error("Write after the end succeeded")
			}
		})
	}
}

// A copy taken from the Wayback Machine is written as the capture it is:
// WARC-Date the capture time, WARC-Target-URI the page's original URL,
// the site's headers as stored; the metadata record's JSON says where it
// came from (source "wayback", source_url the capture fetched,
// captured_at).
func TestWaybackCopy(t *testing.T) {
	captured := time.Date(2019, 4, 5, 6, 7, 8, 0, time.UTC)
	fetched := testNow.Add(-time.Hour)
	orig := "http://en.kremlin.ru/events/president/news/63953"
	captureURL := "https://web.archive.org/web/" + captured.Format(record.WaybackTimestamp) + "id_/" + orig
	body := htmlBody(63953, 3000)
	header := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Server": {"nginx"}, "Transfer-Encoding": {"chunked"}}
	c := newCapture("en", 63953, 1, captureURL, fetched, header, body)
	c.Record.Source = record.SourceWayback
	c.Record.CapturedAt = captured.Format(time.RFC3339)
	c.Record.URL = orig
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	writeAll(t, w, c)
	files := readAll(t, dir, w.Stats())
	if len(files) != 1 || len(files[0]) != 3 {
		t.Fatalf("files %d", len(files))
	}
	resp, meta := files[0][1], files[0][2]
	for _, r := range []rec{resp, meta} {
		if got := r.get("WARC-Target-URI"); got != orig {
			t.Errorf("%s WARC-Target-URI %q, want the original URL %q", r.get("WARC-Type"), got, orig)
		}
		if got := r.get("WARC-Date"); got != "2019-04-05T06:07:08Z" {
			t.Errorf("%s WARC-Date %q, want the capture time", r.get("WARC-Type"), got)
		}
	}
	hr, got := httpBody(t, resp.Block)
	if !bytes.Equal(got, body) || hr.Header.Get("Server") != "nginx" {
		t.Errorf("response: %d body bytes, headers %v", len(got), hr.Header)
	}
	var m record.Record
	if err := json.Unmarshal(meta.Block, &m); err != nil {
		t.Fatal(err)
	}
	if m.Source != record.SourceWayback || m.SourceURL != captureURL || m.CapturedAt != "2019-04-05T06:07:08Z" {
		t.Errorf("metadata says source %q, source_url %q, captured_at %q", m.Source, m.SourceURL, m.CapturedAt)
	}
}
