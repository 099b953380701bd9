package crawler

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// Payload returns the body of a stored or fetched response as a parser
// must read it: its Content-Encoding undone (gzip, deflate, zstd, in the
// order the header lists them), never more than limit bytes — whatever a
// compressed body inflates to. raw.Body itself, what the archive keeps
// and hashes, is never touched. A body that would inflate beyond limit is
// a *TooLargeError; one that cannot be decoded is an error naming the
// encoding. Nothing in the program inflates a response any other way.
func Payload(raw *store.Raw, limit int64) ([]byte, error) {
	return payload(raw, limit, false)
}

// payload is Payload; with prefix, a *TooLargeError comes with the first
// limit bytes (robots.txt: rules past 500 KiB may be ignored).
func payload(raw *store.Raw, limit int64, prefix bool) ([]byte, error) {
	codings := contentCodings(raw.Header.Get("Content-Encoding"))
	if len(codings) == 0 {
		if int64(len(raw.Body)) > limit {
			err := &TooLargeError{URL: raw.URL, Limit: limit, Size: int64(len(raw.Body))}
			if !prefix {
				return nil, err
			}
			return raw.Body[:limit], err
		}
		return raw.Body, nil
	}
	// Two passes: the first only counts (memory: the decoders' windows),
	// so a bomb is refused before anything is allocated for it; the
	// second decodes into a buffer of the exact size.
	n, err := inflate(raw, codings, limit+1, io.Discard)
	if err != nil {
		return nil, err
	}
	var tooLarge error
	if n > limit {
		tooLarge = &TooLargeError{URL: raw.URL, Limit: limit, Size: -1, Encoding: strings.Join(codings, ", ")}
		if !prefix {
			return nil, tooLarge
		}
		n = limit
	}
	out := &fixedBuffer{b: make([]byte, 0, n)}
	if _, err := inflate(raw, codings, n, out); err != nil {
		return nil, err
	}
	return out.b, tooLarge
}

// fixedBuffer is a writer into a slice that never grows (bytes.Buffer
// doubles itself when full).
type fixedBuffer struct{ b []byte }

func (f *fixedBuffer) Write(p []byte) (int, error) {
	if len(f.b)+len(p) > cap(f.b) {
		return 0, io.ErrShortBuffer
	}
	f.b = append(f.b, p...)
	return len(p), nil
}

// inflate undoes codings on raw.Body and writes at most max decoded
// bytes to w; it returns how many it wrote.
func inflate(raw *store.Raw, codings []string, max int64, w io.Writer) (int64, error) {
	var r io.Reader = bytes.NewReader(raw.Body)
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for i := len(codings) - 1; i >= 0; i-- { // the last coding applied is undone first
		dec, err := decoder(codings[i], r, max)
		if err != nil {
			return 0, fmt.Errorf("GET %s: body is not %s although Content-Encoding says so: %w", raw.URL, codings[i], err)
		}
		if c, ok := dec.(io.Closer); ok {
			closers = append(closers, c)
		}
		r = dec
	}
	n, err := io.Copy(w, io.LimitReader(r, max))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, &NetError{URL: raw.URL, Err: fmt.Errorf("%s body cut short", strings.Join(codings, ", ")), Truncated: true}
		}
		return n, fmt.Errorf("GET %s: %s body cannot be decoded: %w", raw.URL, strings.Join(codings, ", "), err)
	}
	return n, nil
}

// decodeBody is Payload for the crawler: limit is max_body.
func (w *worker) decodeBody(raw *store.Raw) ([]byte, error) { return Payload(raw, w.c.opts.MaxBody) }

// contentCodings lists the codings of a Content-Encoding header, lower
// case, identity left out.
func contentCodings(h string) []string {
	var out []string
	for _, c := range strings.Split(h, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && c != "identity" {
			out = append(out, c)
		}
	}
	return out
}

// decoder returns a reader undoing one content coding of r.
func decoder(coding string, r io.Reader, limit int64) (io.Reader, error) {
	switch coding {
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "deflate":
		// RFC 9110: zlib-wrapped; some servers send raw deflate.
		br := bufio.NewReader(r)
		hdr, _ := br.Peek(2)
		if len(hdr) == 2 && hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
			return zlib.NewReader(br)
		}
		return flate.NewReader(br), nil
	case "zstd":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)+1), zstd.WithDecoderMaxWindow(uint64(max(limit, 1<<20))))
		if err != nil {
			return nil, err
		}
		return zstdReader{d}, nil
	}
	return nil, fmt.Errorf("unsupported content coding %q", coding)
}

type zstdReader struct{ *zstd.Decoder }

func (z zstdReader) Close() error { z.Decoder.Close(); return nil }
