package warc

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// TestWriteSample writes sample WARC files for checks with other tools
// (testdata/warcio-verify.mjs). It runs only when WARC_SAMPLE_DIR names
// the output directory:
//
//	WARC_SAMPLE_DIR=/tmp/warc-sample go test -run TestWriteSample ./store/warc/
//
// The captures cover the cases the writer treats specially: an ordinary
// page, a gzip Content-Encoding, a stored chunked Transfer-Encoding, invalid
// UTF-8 and binary bytes, an empty body, an HTTP/2 status line; a small
// MaxFileSize makes it rotate.
func TestWriteSample(t *testing.T) {
	dir := os.Getenv("WARC_SAMPLE_DIR")
	if dir == "" {
		t.Skip("WARC_SAMPLE_DIR not set")
	}
	w, err := NewWriter(Options{
		Dir:         dir,
		Prefix:      "sample",
		MaxFileSize: 8 << 10,
		Software:    "kremlin-archive/test",
		Info:        map[string]string{"isPartOf": "kremlin-archive sample", "description": "store/warc TestWriteSample"},
		Now:         func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Hour)
	page := htmlBody(71326, 40000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(page)
	zw.Close()
	bin := make([]byte, 60000)
	for i := range bin {
		bin[i] = byte(i*7 + i/251)
	}
	h2 := newCapture("en", 6, 1, "https://en.kremlin.ru/d/6", at.Add(6*time.Second), nil, htmlBody(6, 1000))
	h2.Raw.Proto = "HTTP/2.0"
	empty := newCapture("en", 5, 1, "http://en.kremlin.ru/d/5", at.Add(5*time.Second), http.Header{"Content-Length": {"0"}}, []byte{})
	caps := []*store.Capture{
		newCapture("en", 71326, 1, "http://en.kremlin.ru/events/president/transcripts/71326", at, nil, page),
		newCapture("en", 71326, 2, "http://en.kremlin.ru/events/president/news/71326", at.Add(time.Second+123456789), http.Header{
			"Content-Type": {"text/html; charset=utf-8"}, "Content-Encoding": {"gzip"}, "Vary": {"Accept-Encoding"},
		}, gz.Bytes()),
		newCapture("ru", 3, 1, "http://kremlin.ru/events/president/news/3", at.Add(2*time.Second), http.Header{
			"Content-Type": {"text/html; charset=utf-8"}, "Transfer-Encoding": {"chunked"},
		}, htmlBody(3, 20000)),
		newCapture("ru", 4, 1, "http://kremlin.ru/d/4", at.Add(3*time.Second), nil, []byte("caf\xe9 \xff\xfe\x00 \r\n\r\n end")),
		newCapture("ru", 7, 1, "http://kremlin.ru/d/7.jpg", at.Add(4*time.Second), http.Header{"Content-Type": {"image/jpeg"}}, bin),
		empty,
		h2,
	}
	writeAll(t, w, caps...)
	st := w.Stats()
	t.Logf("wrote %v: %d captures, %d records, %d bytes", st.Files, st.Captures, st.Records, st.Bytes)
}
