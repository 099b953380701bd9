package crawler

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	body := strings.Repeat("<p>kremlin</p>", 300) // 4,200 bytes
	boom := errors.New("connection reset")
	tests := []struct {
		name    string
		r       io.Reader
		size    int64
		limit   int64
		want    string
		wantErr error
	}{
		{"announced size", strings.NewReader(body), int64(len(body)), 1 << 20, body, nil},
		{"unknown size", strings.NewReader(body), -1, 1 << 20, body, nil},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(body)), int64(len(body)), 1 << 20, body, nil},
		{"shorter than announced", strings.NewReader(body[:100]), int64(len(body)), 1 << 20, body[:100], nil},
		{"longer than announced", strings.NewReader(body), 100, 1 << 20, body, nil},
		{"longer than announced, cut at the limit", strings.NewReader(body), 100, 1000, body[:1000], nil},
		{"announced beyond the limit", strings.NewReader(body), int64(len(body)), 1000, body[:1000], nil},
		{"unknown size beyond the limit", strings.NewReader(body), -1, 1000, body[:1000], nil},
		{"empty", strings.NewReader(""), 0, 1 << 20, "", nil},
		{"error mid-body", io.MultiReader(strings.NewReader(body[:50]), iotest.ErrReader(boom)), int64(len(body)), 1 << 20, body[:50], boom},
		{"data with the error", iotest.DataErrReader(strings.NewReader(body)), int64(len(body)), 1 << 20, body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBody(tt.r, tt.size, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, []byte(tt.want)) {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}
