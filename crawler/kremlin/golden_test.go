package kremlin

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is one page of testdata/. Its first line is a comment naming the
// URL it stands for, the language and what to parse it as:
//
//	<!-- kremlin-test url=http://en.kremlin.ru/… lang=en parse=document -->
//
// That line is removed before parsing; the rest is the body as served.
type fixture struct {
	name string
	url  string
	lang string
	mode string // "document" or "listing"
	body []byte
}

var fixtureHeader = regexp.MustCompile(`^<!-- kremlin-test url=(\S+) lang=(\S*) parse=(document|listing) -->\n`)

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	var out []fixture
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := fixtureHeader.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: first line must be <!-- kremlin-test url=… lang=… parse=document|listing -->", f)
		}
		out = append(out, fixture{
			name: strings.TrimSuffix(filepath.Base(f), ".html"),
			url:  string(m[1]), lang: string(m[2]), mode: string(m[3]),
			body: b[len(m[0]):],
		})
	}
	return out
}

// goldenResult is what a golden file holds.
type goldenResult struct {
	URL      string     `json:"url"`
	Classify string     `json:"classify"`
	Document *Document  `json:"document,omitempty"`
	Listing  *Listing   `json:"listing,omitempty"`
	Error    *goldenErr `json:"error,omitempty"`
}

type goldenErr struct {
	Is      string `json:"is"`             // the sentinel it wraps
	Kind    string `json:"kind,omitempty"` // NotDocumentError.Kind
	Message string `json:"message"`
}

func runFixture(t *testing.T, fx fixture) goldenResult {
	t.Helper()
	kind := Classify(fx.body, fx.url)
	res := goldenResult{URL: fx.url, Classify: kind.String()}
	switch fx.mode {
	case "document":
		doc, err := ParseDocument(fx.body, fx.url, Options{Lang: fx.lang})
		if err != nil {
			var nd *NotDocumentError
			if !errors.As(err, &nd) || !errors.Is(err, ErrNotDocument) {
				t.Fatalf("error is not a *NotDocumentError wrapping ErrNotDocument: %v", err)
			}
			if nd.Kind != kind {
				t.Errorf("Classify says %v, ParseDocument's error says %v", kind, nd.Kind)
			}
			res.Error = &goldenErr{Is: "ErrNotDocument", Kind: nd.Kind.String(), Message: err.Error()}
			break
		}
		if kind != KindDocument {
			t.Errorf("ParseDocument succeeded but Classify says %v", kind)
		}
		res.Document = doc
	case "listing":
		l, err := ParseListing(fx.body, fx.url)
		if err != nil {
			if !errors.Is(err, ErrNotListing) {
				t.Fatalf("error does not wrap ErrNotListing: %v", err)
			}
			if kind == KindListing {
				t.Errorf("ParseListing failed on a page Classify calls a listing: %v", err)
			}
			res.Error = &goldenErr{Is: "ErrNotListing", Message: err.Error()}
			break
		}
		if kind != KindListing {
			t.Errorf("ParseListing succeeded but Classify says %v", kind)
		}
		res.Listing = l
	}
	return res
}

func marshalGolden(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// TestGolden parses every testdata/*.html and compares the result with
// testdata/<case>.golden.json. Run `go test ./crawler/kremlin -update` to
// rewrite the golden files after an intended change (and review the diff).
func TestGolden(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			got := marshalGolden(runFixture(t, fx))
			path := filepath.Join("testdata", fx.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run with -update to accept):\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff is a small line-by-line diff for test output.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := max(len(w), len(g))
	shown := 0
	for i := 0; i < n && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("  line " + strconv.Itoa(i+1) + ":\n  - " + wl + "\n  + " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
