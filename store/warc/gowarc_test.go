package warc

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gowarc "github.com/nlnwa/gowarc/v3"
)

// checkWithGowarc reads a file back with gowarc's own reader, failing on
// the first syntax error, spec violation or digest mismatch, as a second
// reader next to readWARC. It only reads: gowarc's file writer (whose
// default name generator looks up the outbound IP) is not used.
func checkWithGowarc(t *testing.T, path string, wantRecords int) {
	t.Helper()
	r, err := gowarc.NewWarcFileReader(path, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	var respID string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("gowarc: %s record %d: %v", path, n, err)
		}
		if len(rec.Validation) > 0 {
			t.Errorf("gowarc: %s record %d: %v", path, n, rec.Validation)
		}
		wr := rec.WarcRecord
		h := wr.WarcHeader()
		switch wr.Type() {
		case gowarc.Warcinfo:
			if n != 0 {
				t.Errorf("gowarc: %s: warcinfo at record %d", path, n)
			}
		case gowarc.Response:
			respID = h.GetId(gowarc.WarcRecordID)
			pb, ok := wr.Block().(gowarc.PayloadBlock)
			if !ok {
				t.Fatalf("gowarc: %s: response block is %T, not an HTTP block", path, wr.Block())
			}
			if pb.PayloadDigest() != h.Get(gowarc.WarcPayloadDigest) {
				t.Errorf("gowarc: payload digest %s, header %s", pb.PayloadDigest(), h.Get(gowarc.WarcPayloadDigest))
			}
			if _, ok := wr.Block().(gowarc.HttpResponseBlock); !ok {
				t.Errorf("gowarc: response block %T", wr.Block())
			}
		case gowarc.Metadata:
			if h.GetId(gowarc.WarcRefersTo) != respID || h.GetId(gowarc.WarcConcurrentTo) != respID {
				t.Errorf("gowarc: metadata refers to %s / %s, previous response %s", h.GetId(gowarc.WarcRefersTo), h.GetId(gowarc.WarcConcurrentTo), respID)
			}
		default:
			t.Errorf("gowarc: %s: unexpected record type %s", path, wr.Type())
		}
		if wr.Block().BlockDigest() != h.Get(gowarc.WarcBlockDigest) {
			t.Errorf("gowarc: block digest %s, header %s", wr.Block().BlockDigest(), h.Get(gowarc.WarcBlockDigest))
		}
		_ = rec.Close()
		n++
	}
	if n != wantRecords {
		t.Errorf("gowarc: %s: %d records, want %d", path, n, wantRecords)
	}
}

// TestReadersCatchCorruption makes sure both readers used by the tests
// would notice a wrong digest: one byte of a response body is changed
// (framing intact) and the file written again, one gzip member per record.
func TestReadersCatchCorruption(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, Options{Dir: dir})
	writeAll(t, w, newCapture("en", 1, 1, "http://en.kremlin.ru/d/1", testNow, nil, htmlBody(1, 4000)))
	path := filepath.Join(dir, w.Stats().Files[0])
	recs := readWARC(t, path)

	var out bytes.Buffer
	for i, r := range recs {
		p := r.rawBytes()
		if i == 1 {
			p[len(p)-10] ^= 0x20 // inside the body, before the end marker
		}
		zw := gzip.NewWriter(&out)
		zw.Write(p)
		zw.Close()
	}
	bad := filepath.Join(dir, "bad.warc.gz")
	if err := os.WriteFile(bad, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	zr, err := gzip.NewReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(zr)
	var digestErrs int
	for len(all) > 0 {
		r, rest, err := parseRecord(all)
		if err != nil {
			t.Fatal(err)
		}
		if checkDigests(&r) != nil {
			digestErrs++
		}
		all = rest
	}
	if digestErrs != 1 {
		t.Errorf("test reader found %d digest errors, want 1", digestErrs)
	}

	gr, err := gowarc.NewWarcFileReader(bad, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	var gerr error
	for {
		rec, err := gr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			gerr = err
			break
		}
		_ = rec.Close()
	}
	if gerr == nil || !strings.Contains(gerr.Error(), "digest") {
		t.Errorf("gowarc did not report the changed byte: %v", gerr)
	}
}
