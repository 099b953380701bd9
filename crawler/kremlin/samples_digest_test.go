package kremlin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
)

// samplesDigestFile holds, for every real sample page, the SHA-256 of
// everything the parser makes of it (Classify, ParseDocument and
// ParseListing: records, warnings, errors), as the golden files do for
// the fixtures. The pages themselves are not in the repository (they are
// not ours to copy), so neither are the records: only their digests.
const samplesDigestFile = "samples.sha256"

// TestSamplesParseUnchanged holds the parser to the same output on every
// real sample page: a change of the parser that changes any record,
// warning or error of one of them fails here. Rewrite the digests with
// `go test ./crawler/kremlin -run SamplesParseUnchanged -update` only for
// an intended change of the parser's output (with a ParserVersion bump).
func TestSamplesParseUnchanged(t *testing.T) {
	root := samples.Root(t)
	var rels []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".xml")) {
			rel, _ := filepath.Rel(root, path)
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(rels)
	if len(rels) < 20 {
		t.Fatalf("%d sample pages found, want the 25 of the samples folder", len(rels))
	}
	var got strings.Builder
	for _, rel := range rels {
		body, url := sample(t, root, rel)
		got.WriteString(sampleDigest(body, url) + "  " + rel + "\n")
	}
	path := filepath.Join("testdata", samplesDigestFile)
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("the parser's output on the real sample pages changed (run with -update only for an intended change):\n%s", lineDiff(string(want), got.String()))
	}
}

// sampleDigest is the SHA-256 of the parser's output on one page.
func sampleDigest(body []byte, url string) string {
	res := goldenResult{URL: url, Classify: Classify(body, url).String()}
	doc, err := ParseDocument(body, url, Options{Lang: "en"})
	if err != nil {
		var nd *NotDocumentError
		kind := ""
		if errors.As(err, &nd) {
			kind = nd.Kind.String()
		}
		res.Error = &goldenErr{Is: "ErrNotDocument", Kind: kind, Message: err.Error()}
	}
	res.Document = doc
	l, err := ParseListing(body, url)
	if err != nil {
		if res.Error == nil {
			res.Error = &goldenErr{}
		}
		res.Error.Is += ",ErrNotListing"
		res.Error.Message += " | " + err.Error()
	}
	res.Listing = l
	sum := sha256.Sum256(marshalGolden(res))
	return hex.EncodeToString(sum[:])
}
