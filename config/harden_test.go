package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10 defect 9: a password in crawl.yaml never appears in an error
// (cron mails them).
func TestParse_SecretsRedacted(t *testing.T) {
	for _, tc := range []struct{ name, in, field string }{
		{"proxy bad port", `proxy: "http://user:secret@127.0.0.1:notaport"` + "\n", "proxy"},
		{"proxy bad scheme", `proxy: "ftp://user:secret@127.0.0.1:21"` + "\n", "proxy"},
		{"proxy without host", `proxy: "http://user:secret@"` + "\n", "proxy"},
		{"proxy token", `proxy: "socks4://secret@127.0.0.1:1080"` + "\n", "proxy"},
		{"base url", "sites:\n  - lang: en\n    base_url: \"http://user:secret@mirror:notaport\"\n    sections: [news]\n", "sites[0].base_url"},
		{"canonical url", "sites:\n  - lang: en\n    base_url: http://x\n    canonical_url: \"ftp://user:secret@x\"\n    sections: [news]\n", "sites[0].canonical_url"},
		{"wrong type", "retries: \"http://user:secret@x\"\n", "retries"},
		{"not yaml", "proxy: \"http://user:secret@x\n  - [\n", "YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the password is in the error: %v", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("the error does not name %s: %v", tc.field, err)
			}
		})
	}
}

// endless is an input that never ends; reading it whole would never return.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// Issue 10 defect 10: crawl.yaml is capped at 1 MiB and never read whole.
func TestParse_SizeCap(t *testing.T) {
	src := &endless{}
	_, err := Parse(src)
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("Parse(endless) = %v, want a *FieldError naming the 1 MiB limit", err)
	}
	if src.n > 2*MaxFileBytes {
		t.Errorf("read %d bytes of an oversized input, want at most about %d", src.n, MaxFileBytes)
	}
	// Exactly at the limit is fine (comments only: the defaults).
	if _, err := Parse(io.LimitReader(&endless{}, MaxFileBytes)); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", MaxFileBytes, err)
	}

	// A big file on disk: the error names it.
	path := filepath.Join(t.TempDir(), "crawl.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(189 << 20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(path, true)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(189 MB file) = %v", err)
	}
}
