package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An archive written by the schema-1 code (store/testdata/schema1.db.gz)
// is read as it is by read-only commands, migrated in place by the first
// writer (here a crawl of hosts that do not answer: it migrates, then
// finds nothing to fetch), and exports the same records afterwards.
func TestMigration_Schema1ThroughTheCLI(t *testing.T) {
	e := newEnv(t, []siteConf{{lang: "en", base: "http://127.0.0.1:1"}, {lang: "ru", base: "http://127.0.0.1:1"}}, "")
	f, err := os.Open(filepath.Join("..", "..", "store", "testdata", "schema1.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()

	stats := func() map[string]int {
		r := e.mustRun(ExitOK, "stats", "--json")
		var rep struct {
			Langs map[string]struct {
				Documents int `json:"documents"`
				Versions  int `json:"versions"`
			} `json:"languages"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("stats --json: %v", err)
		}
		return map[string]int{"en": rep.Langs["en"].Documents, "ru": rep.Langs["ru"].Documents, "versions": rep.Langs["en"].Versions + rep.Langs["ru"].Versions}
	}
	before := stats()
	if before["en"] != 16 || before["ru"] != 6 || before["versions"] != 24 {
		t.Fatalf("stats of the schema-1 archive: %v", before)
	}
	exportBefore := e.mustRun(ExitOK, "export", "--format", "jsonl").stdout
	showBefore := e.mustRun(ExitOK, "show", firstID(t, exportBefore), "--raw", "--lang", "en").stdout

	r := e.mustRun(ExitUnreachable, "crawl")
	if !strings.Contains(r.stderr, "archive migrated to schema 2") {
		t.Errorf("the crawl did not say it migrated the archive:\n%s", tail(r.stderr, 10))
	}
	if after := stats(); after["en"] != before["en"] || after["ru"] != before["ru"] || after["versions"] != before["versions"] {
		t.Errorf("stats after the migration: %v, before %v", after, before)
	}
	if got := e.mustRun(ExitOK, "export", "--format", "jsonl").stdout; got != exportBefore {
		t.Errorf("the export changed with the migration")
	}
	if got := e.mustRun(ExitOK, "show", firstID(t, exportBefore), "--raw", "--lang", "en").stdout; got != showBefore {
		t.Errorf("show --raw changed with the migration")
	}
	if v := e.run(context.Background(), "verify"); v.code != ExitOK || !strings.Contains(v.stdout, "0 problem(s)") {
		t.Errorf("verify after the migration: exit %d\n%s", v.code, v.stdout)
	}
	if st := e.mustRun(ExitOK, "stats", "--storage").stdout; !strings.Contains(st, "packs") {
		t.Errorf("stats --storage after the migration:\n%s", st)
	}
}

// firstID returns the ID of the first English record of a JSONL export.
func firstID(t *testing.T, jsonl string) string {
	t.Helper()
	for _, line := range strings.Split(jsonl, "\n") {
		var r struct {
			ID   json.Number `json:"id"`
			Lang string      `json:"lang"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Lang == "en" {
			return r.ID.String()
		}
	}
	t.Fatal("no English record exported")
	return ""
}
