package kremlin

import "testing"

// Issue 10 defect 1: the URL of a document is built from its ID; the
// listed link is only a hint.
func TestDocumentPath(t *testing.T) {
	for _, tc := range []struct {
		section string
		id      int64
		hint    string
		want    string
	}{
		{"news", 38764, "", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/38764", "/events/president/news/38764"},
		{"news", 38764, "/events/president/transcripts/38764/", "/events/president/transcripts/38764"},
		{"news", 38764, "http://en.kremlin.ru/events/president/transcripts/speeches/38764", "/events/president/transcripts/speeches/38764"},
		{"news", 38764, "/events/president/news/ 38764 ", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/%2038764", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/38765", "/events/president/news/38764"}, // another document
		{"news", 38764, "/events/president/news/38764/photos", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/38764?x=1", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/38764.html", "/events/president/news/38764"},
		{"news", 38764, "../38764.html", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/038764", "/events/president/news/38764"},
		{"news", 38764, "/events/president/news/page/38764", "/events/president/news/38764"},
		{"news", 38764, "javascript:alert(1)", "/events/president/news/38764"},
		{"transcripts/speeches", 7, "", "/events/president/transcripts/speeches/7"},
		{"acts/news", 7, "", "/acts/news/7"},
	} {
		if got := DocumentPath(tc.section, tc.id, tc.hint); got != tc.want {
			t.Errorf("DocumentPath(%q, %d, %q) = %q, want %q", tc.section, tc.id, tc.hint, got, tc.want)
		}
	}
}
