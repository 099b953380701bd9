package fakesite

import (
	"bytes"
	"compress/gzip"
	"sync"
)

// gzipBytes gzips b.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

var bombs sync.Map // inflated size -> []byte

// gzipBomb returns a gzip stream of size zero bytes: about size/1000
// bytes on the wire (1 MB for 1 GiB). It is made once per size.
func gzipBomb(size int64) []byte {
	if b, ok := bombs.Load(size); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(zeros)))
		zw.Write(zeros[:n])
		left -= n
	}
	zw.Close()
	b, _ := bombs.LoadOrStore(size, buf.Bytes())
	return b.([]byte)
}
