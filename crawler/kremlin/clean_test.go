package kremlin

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// cleanReference is the byte-at-a-time clean the fast one replaced: the
// definition both are held to.
func cleanReference(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				space = true
				i++
				continue
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				space = true
				i += size
				continue
			}
		}
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		b = append(b, s[i:i+size]...)
		i += size
	}
	return string(b)
}

func TestCleanMatchesReference(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", " a ", "a  b", "Vladimir\u00a0Putin:\n", "\u2003em\u2014dash\u3000ideographic\u205f",
		"\u0085nel\u1680ogham\u2028ls\u2029ps\u202fnnbsp", "Путин\u00a0В.В.", "\xe2\x80", "\xc2", "a\xc2 b", "\xe2\x80\x94\xe2",
		"tab\tand\vvt\fff\rcr", "  lead and trail\u00a0\u00a0",
	} {
		if got, want := clean(s), cleanReference(s); got != want {
			t.Errorf("clean(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCleanSegsIsCleanOfConcatenation(t *testing.T) {
	tests := [][]string{
		{"Vladimir ", "Putin", ":"},
		{" ", " ", "\u00a0"},
		{"a\u00a0", "\u00a0b"},
		{"", "x", ""},
		{"Шойгу", "\n", " Сергей "},
	}
	for _, parts := range tests {
		p := make(paragraph, len(parts))
		for i, s := range parts {
			p[i] = seg{text: s}
		}
		if got, want := cleanSegs(p), clean(strings.Join(parts, "")); got != want {
			t.Errorf("cleanSegs(%q) = %q, want %q", parts, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a  b", " Vladimir\u00a0Putin: ", "\u2003\u2014", "\xe2\x80x", "Путин\tВ"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, cut int) {
		if got, want := clean(s), cleanReference(s); got != want {
			t.Fatalf("clean(%q) = %q, want %q", s, got, want)
		}
		// Split at a rune boundary, as text nodes are.
		if cut < 0 {
			cut = -cut
		}
		if len(s) > 0 {
			cut %= len(s) + 1
			for cut < len(s) && !utf8.RuneStart(s[cut]) {
				cut++
			}
			p := paragraph{{text: s[:cut]}, {text: s[cut:]}}
			if got, want := cleanSegs(p), clean(s); utf8.ValidString(s) && got != want {
				t.Fatalf("cleanSegs(%q|%q) = %q, want %q", s[:cut], s[cut:], got, want)
			}
		}
	})
}
