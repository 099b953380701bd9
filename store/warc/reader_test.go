package warc

// An independent WARC reader for the tests, on the standard library only:
// it reads a .warc.gz file gzip member by gzip member, requires exactly
// one record per member, frames the block by Content-Length, checks the
// end-of-record marker, recomputes the block digest and, for responses,
// finds the payload after the HTTP head and recomputes its digest. It
// shares no code with the writer.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

type field struct{ name, value string }

// rec is one WARC record as read back.
type rec struct {
	Offset  int64 // of its gzip member in the file
	Version string
	Fields  []field
	Block   []byte
	Head    []byte // response records: the HTTP head, up to and including the blank line
	Payload []byte // response records: the bytes after the head
}

// get returns the first value of the named field ("" if absent).
func (r *rec) get(name string) string {
	for _, f := range r.Fields {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// rawBytes serializes r again as it was read (header, block, end marker).
func (r *rec) rawBytes() []byte {
	var b bytes.Buffer
	b.WriteString(r.Version + "\r\n")
	for _, f := range r.Fields {
		b.WriteString(f.name + ": " + f.value + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Block)
	b.WriteString("\r\n\r\n")
	return b.Bytes()
}

func (r *rec) count(name string) int {
	n := 0
	for _, f := range r.Fields {
		if strings.EqualFold(f.name, name) {
			n++
		}
	}
	return n
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readWARC reads every record of a .warc.gz file and checks its framing
// and digests; any violation fails the test.
func readWARC(t testing.TB, path string) []rec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := &countingReader{r: f}
	br := bufio.NewReader(cr)
	var zr *gzip.Reader
	var out []rec
	for {
		off := cr.n - int64(br.Buffered())
		if _, err := br.Peek(1); err == io.EOF {
			break
		}
		if zr == nil {
			zr, err = gzip.NewReader(br)
		} else {
			err = zr.Reset(br)
		}
		if err != nil {
			t.Fatalf("%s at %d: gzip member: %v", path, off, err)
		}
		zr.Multistream(false) // stop at the end of this member
		member, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s at %d: gzip member: %v", path, off, err)
		}
		r, rest, err := parseRecord(member)
		if err != nil {
			t.Fatalf("%s at %d: %v", path, off, err)
		}
		if len(rest) != 0 {
			t.Fatalf("%s at %d: gzip member holds %d bytes after its record: one record per member expected", path, off, len(rest))
		}
		r.Offset = off
		if err := checkDigests(&r); err != nil {
			t.Fatalf("%s at %d (%s %s): %v", path, off, r.get("WARC-Type"), r.get("WARC-Target-URI"), err)
		}
		out = append(out, r)
	}
	return out
}

// parseRecord parses one record from the start of p and returns the rest.
func parseRecord(p []byte) (rec, []byte, error) {
	var r rec
	end := bytes.Index(p, []byte("\r\n\r\n"))
	if end < 0 {
		return r, nil, fmt.Errorf("no end of WARC header")
	}
	lines := strings.Split(string(p[:end]), "\r\n")
	r.Version = lines[0]
	if r.Version != "WARC/1.1" {
		return r, nil, fmt.Errorf("version line %q", r.Version)
	}
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return r, nil, fmt.Errorf("bad header line %q", l)
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.ContainsAny(k, " \t") {
			return r, nil, fmt.Errorf("bad header line %q", l)
		}
		r.Fields = append(r.Fields, field{k, strings.TrimSpace(v)})
	}
	for _, name := range []string{"WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length"} {
		if r.count(name) != 1 {
			return r, nil, fmt.Errorf("%d %s fields, want 1", r.count(name), name)
		}
	}
	n, err := strconv.Atoi(r.get("Content-Length"))
	if err != nil || n < 0 {
		return r, nil, fmt.Errorf("Content-Length %q", r.get("Content-Length"))
	}
	start := end + 4
	if len(p) < start+n+4 {
		return r, nil, fmt.Errorf("record cut short: Content-Length %d, %d bytes left", n, len(p)-start)
	}
	r.Block = p[start : start+n]
	if tail := p[start+n : start+n+4]; string(tail) != "\r\n\r\n" {
		return r, nil, fmt.Errorf("end of record marker %q", tail)
	}
	if r.get("WARC-Type") == "response" {
		i := bytes.Index(r.Block, []byte("\r\n\r\n"))
		if i < 0 {
			return r, nil, fmt.Errorf("response block without end of HTTP head")
		}
		r.Head, r.Payload = r.Block[:i+4], r.Block[i+4:]
	}
	return r, p[start+n+4:], nil
}

// checkDigests verifies the block digest of every record and the payload
// digest of responses; both must be present where the writer promises them.
func checkDigests(r *rec) error {
	if err := checkDigest("block", r.get("WARC-Block-Digest"), r.Block); err != nil {
		return err
	}
	if r.get("WARC-Type") == "response" {
		return checkDigest("payload", r.get("WARC-Payload-Digest"), r.Payload)
	}
	if r.count("WARC-Payload-Digest") != 0 {
		return fmt.Errorf("payload digest on a %s record", r.get("WARC-Type"))
	}
	return nil
}

func checkDigest(what, value string, data []byte) error {
	hexSum, ok := strings.CutPrefix(value, "sha256:")
	if !ok || len(hexSum) != 64 || strings.ToLower(hexSum) != hexSum {
		return fmt.Errorf("%s digest %q: want sha256: and 64 lowercase hex digits", what, value)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != hexSum {
		return fmt.Errorf("%s digest %s, computed %s", what, hexSum, got)
	}
	return nil
}

// httpBody parses a response block as an HTTP client would (status line,
// headers, then the body framed by Content-Length or Transfer-Encoding) and
// returns the response and its body bytes.
func httpBody(t testing.TB, block []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(block)), nil)
	if err != nil {
		t.Fatalf("HTTP head does not parse: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("HTTP body as an HTTP reader frames it: %v", err)
	}
	return resp, body
}
