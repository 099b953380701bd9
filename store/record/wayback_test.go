package record

import (
	"strings"
	"testing"
	"time"
)

func TestWaybackTarget(t *testing.T) {
	at := time.Date(2020, 8, 27, 15, 20, 33, 0, time.UTC)
	tests := []struct {
		in, orig string
		ok       bool
	}{
		{"https://web.archive.org/web/20200827152033id_/http://en.kremlin.ru/events/president/news/63953", "http://en.kremlin.ru/events/president/news/63953", true},
		{"http://127.0.0.1:9/web/20200827152033/https://kremlin.ru:443/events/president/news/63953/print", "https://kremlin.ru:443/events/president/news/63953/print", true},
		{"https://web.archive.org/web/20200827152033id_/http://en.kremlin.ru/events/president/news/63953?x=1&y=2", "http://en.kremlin.ru/events/president/news/63953?x=1&y=2", true},
		{"https://web.archive.org/web/20200827152033id_/http%3A%2F%2Fen.kremlin.ru%2Fevents%2Fpresident%2Fnews%2F1", "http://en.kremlin.ru/events/president/news/1", true},
		{"https://web.archive.org/web/2020id_/http://en.kremlin.ru/", "", false},           // not 14 digits
		{"https://web.archive.org/web/20200827152033xx/http://en.kremlin.ru/", "", false},  // bad modifier
		{"https://web.archive.org/web/20200827152033id_/ftp://en.kremlin.ru/", "", false},  // not http(s)
		{"https://web.archive.org/web/20201327152033id_/http://en.kremlin.ru/", "", false}, // month 13
		{"http://en.kremlin.ru/events/president/news/63953", "", false},                    // not a capture URL
		{"https://web.archive.org/cdx/search/cdx?url=en.kremlin.ru", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		orig, ts, ok := WaybackTarget(tt.in)
		if ok != tt.ok || orig != tt.orig || (ok && !ts.Equal(at)) {
			t.Errorf("WaybackTarget(%q) = %q, %s, %v; want %q, %s, %v", tt.in, orig, ts, ok, tt.orig, at, tt.ok)
		}
	}
}

func TestRecordCapture(t *testing.T) {
	live := Record{SourceURL: "http://en.kremlin.ru/events/president/news/1", FetchedAt: "2026-01-02T03:04:05Z"}
	if u, at, ok := live.Capture(); !ok || u != live.SourceURL || at.Format(time.RFC3339) != live.FetchedAt {
		t.Errorf("live: %q %s %v", u, at, ok)
	}
	wb := Record{Source: SourceWayback, SourceURL: "https://web.archive.org/web/20200827152033id_/http://en.kremlin.ru/events/president/news/1",
		FetchedAt: "2026-01-02T03:04:05Z", CapturedAt: "2020-08-27T15:20:33Z"}
	if u, at, ok := wb.Capture(); !ok || u != "http://en.kremlin.ru/events/president/news/1" || at.Format(time.RFC3339) != wb.CapturedAt {
		t.Errorf("wayback: %q %s %v", u, at, ok)
	}
	if _, _, ok := (&Record{}).Capture(); ok {
		t.Error("empty record has a capture")
	}
}

// FuzzWaybackTarget: any input is either refused or gives an absolute
// http(s) URL and a time that round-trips to the 14 digits it came from.
func FuzzWaybackTarget(f *testing.F) {
	f.Add("https://web.archive.org/web/20200827152033id_/http://en.kremlin.ru/events/president/news/63953")
	f.Add("http://x/web/19991231235959/https://kremlin.ru/")
	f.Add("http://x/web/20000101000000im_/http%3a%2f%2fa/b")
	f.Fuzz(func(t *testing.T, s string) {
		orig, at, ok := WaybackTarget(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(orig, "http://") && !strings.HasPrefix(orig, "https://") && !strings.HasPrefix(strings.ToLower(orig), "http") {
			t.Fatalf("%q: original %q is not http(s)", s, orig)
		}
		if !strings.Contains(s, at.Format(WaybackTimestamp)) {
			t.Fatalf("%q: time %s not in the URL", s, at)
		}
	})
}
