package store

import (
	"os"
	"path/filepath"
	"testing"
)

// Any one changed byte of a sealed value is found: the value no longer
// carries a checksum that matches (and verify, where every value must
// carry one, reports it either way).
func FuzzSums_ChangedByte(f *testing.F) {
	f.Add([]byte(`{"lang":"en","id":5,"url":"/events/president/news/5"}`), uint(3), byte(1))
	f.Add([]byte(`{"a":1}`), uint(0), byte(0x20))
	f.Add([]byte("title"), uint(40), byte(0x80))
	f.Fuzz(func(t *testing.T, data []byte, off uint, xor byte) {
		key := []byte("en\x00\x00\x00\x00\x00\x00\x00\x07")
		// Arbitrary bytes never panic.
		jsonSum(key, data)
		docSum(key, data)
		decodeDoc("en", 7, data)
		if xor == 0 {
			return
		}
		if len(data) > 2 && data[0] == '{' {
			v := sealJSON(key, data)
			if p, ok := jsonSum(key, v); !p || !ok {
				t.Fatalf("sealed value does not check: %q", v)
			}
			w := append([]byte(nil), v...)
			w[int(off%uint(len(w)))] ^= xor
			if p, ok := jsonSum(key, w); p && ok {
				t.Fatalf("a changed byte went unnoticed: %q -> %q", v, w)
			}
		}
		d := &Doc{Lang: "en", ID: 7, Versions: 1, Title: string(data), Date: "2000-01-02", locs: []loc{{1, 0}}}
		v := encodeDoc(d)
		w := append([]byte(nil), v...)
		w[int(off%uint(len(w)))] ^= xor
		_, present, ok := docSum(key, w)
		if _, err := decodeDoc("en", 7, w); err == nil && present && ok {
			t.Fatalf("a changed byte of a document entry went unnoticed at %d", off%uint(len(w)))
		}
	})
}

// preOpenCheck reads untrusted files: never a panic, whatever the bytes.
func FuzzPreOpenCheck(f *testing.F) {
	page := make([]byte, 8192)
	f.Add(page)
	f.Add([]byte{0xED, 0xDA, 0x0C, 0xED})
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "x.db")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		preOpenCheck(path)
	})
}
