package main

// Reading the archive while a crawl writes it: the real CLI in separate
// processes, as an operator runs them.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// cliResult is one finished CLI process.
type cliResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runCLI runs the CLI as a process of its own and fails the test when it
// has not finished within limit.
func runCLI(t *testing.T, limit time.Duration, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KA_RUN_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := cliResult{code: exitOf(err), stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("kremlin-archive %s did not finish within %s\n%s", strings.Join(args, " "), limit, tail(r.stderr, 10))
	}
	return r
}

// archivedSeqs reads, through a read-only snapshot, the change number of
// every archived document.
func archivedSeqs(t *testing.T, path string) map[int64]uint64 {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open during the backfill: %v", err)
	}
	defer db.Close()
	out := map[int64]uint64{}
	if err := db.ScanDocs(func(d *store.Doc) error { out[d.ID] = d.Seq; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReaders_DuringBackfill: export, stats, show and runs work while a
// backfill writes (each within 10 s) and each sees one consistent state:
// the export holds every document archived before it started, and exactly
// the documents of its high-water mark; a second writer is still refused
// (exit 6); the backfill loses nothing.
func TestReaders_DuringBackfill(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocesses during a backfill of several seconds")
	}
	// 400 documents at 15 ms each: the backfill runs for 6 s or more.
	site, srv := startSite(t, fakesite.Options{N: 400, Seed: 61, Latency: 15 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	backfill, bout := startCLI(t, "backfill", "--config", e.cfgPath)
	defer backfill.Process.Kill()
	finished := make(chan struct{})
	var backfillErr error
	go func() { backfillErr = backfill.Wait(); close(finished) }()
	running := func() bool {
		select {
		case <-finished:
			return false
		default:
			return true
		}
	}
	waitFor(t, 30*time.Second, "60 documents", func() bool { return okDocFetches(site) >= 60 })

	// Round after round of readers while the backfill goes on.
	const limit = 10 * time.Second
	outPath := filepath.Join(e.dir, "during.jsonl")
	mark := regexp.MustCompile(`high-water mark: (\d+)`)
	rounds := 0
	var lastCount int
	for ; rounds < 3 && running(); rounds++ {
		before := archivedSeqs(t, e.dbPath)

		ex := runCLI(t, limit, "export", "--config", e.cfgPath, "--out", outPath)
		if ex.code != ExitOK {
			t.Fatalf("export during the backfill: exit %d\n%s", ex.code, tail(ex.stderr, 10))
		}
		recs := readJSONL(t, outPath)
		got := map[int64]bool{}
		for _, r := range recs {
			if got[r.ID] {
				t.Errorf("export has document %d twice", r.ID)
			}
			got[r.ID] = true
			if r.RawSHA256 == "" || r.Title == "" || r.Version != 1 {
				t.Errorf("export record %d is incomplete: %+v", r.ID, r)
			}
		}
		for id := range before {
			if !got[id] {
				t.Errorf("round %d: document %d, archived before the export started, is not in it", rounds, id)
			}
		}
		m := mark.FindStringSubmatch(ex.stderr)
		if m == nil {
			t.Fatalf("export printed no high-water mark:\n%s", ex.stderr)
		}
		hw, _ := strconv.ParseUint(m[1], 10, 64)
		// One snapshot: the export holds exactly the documents whose
		// change number is at most its mark (the backfill only adds).
		after := archivedSeqs(t, e.dbPath)
		for id, seq := range after {
			if (seq <= hw) != got[id] {
				t.Errorf("round %d: document %d (change %d) exported %v with the export's mark at %d", rounds, id, seq, got[id], hw)
			}
		}
		if len(recs) < lastCount || len(recs) < len(before) {
			t.Errorf("round %d: export of %d records after one of %d (and %d archived before it)", rounds, len(recs), lastCount, len(before))
		}
		lastCount = len(recs)

		st := runCLI(t, limit, "stats", "--json", "--config", e.cfgPath)
		if st.code != ExitOK {
			t.Fatalf("stats during the backfill: exit %d\n%s", st.code, tail(st.stderr, 10))
		}
		var rep struct {
			Langs map[string]struct {
				Documents int `json:"documents"`
			} `json:"languages"`
			HighWater uint64 `json:"high_water_seq"`
		}
		if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil {
			t.Fatalf("stats --json: %v\n%s", err, st.stdout)
		}
		n := 0
		for _, seq := range archivedSeqs(t, e.dbPath) {
			if seq <= rep.HighWater {
				n++
			}
		}
		if rep.Langs["en"].Documents != n || n < len(after) {
			t.Errorf("round %d: stats counts %d documents at mark %d; the archive had %d then", rounds, rep.Langs["en"].Documents, rep.HighWater, n)
		}

		var some int64
		for id := range after {
			some = id
			break
		}
		for _, args := range [][]string{{"show", strconv.FormatInt(some, 10)}, {"show", strconv.FormatInt(some, 10), "--raw", "--lang", "en"}, {"runs"}} {
			r := runCLI(t, limit, append(args, "--config", e.cfgPath)...)
			if r.code != ExitOK || r.stdout == "" {
				t.Errorf("%v during the backfill: exit %d\n%s", args, r.code, tail(r.stderr, 5))
			}
		}

		// Two writers still exclude each other.
		cr := runCLI(t, limit, "crawl", "--config", e.cfgPath)
		if (cr.code != ExitLocked || !strings.Contains(cr.stderr, "another kremlin-archive run holds the archive")) && running() {
			t.Errorf("a crawl during the backfill: exit %d, want %d\n%s", cr.code, ExitLocked, tail(cr.stderr, 5))
		}
		t.Logf("round %d: export of %d records in %s, stats in %s, crawl refused in %s", rounds, len(recs), ex.took.Round(time.Millisecond), st.took.Round(time.Millisecond), cr.took.Round(time.Millisecond))
	}
	select {
	case <-finished:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the backfill did not finish\n%s", tail(bout.String(), 10))
	}
	if code := exitOf(backfillErr); code != ExitOK {
		t.Fatalf("backfill: exit %d\n%s", code, tail(bout.String(), 10))
	}
	if rounds == 0 || lastCount >= len(site.Docs()) {
		t.Errorf("%d rounds of readers, the last export had %d of %d documents: the readers did not run during the backfill", rounds, lastCount, len(site.Docs()))
	}
	site.WaitIdle(time.Second)
	checkArchive(t, site, e.records())
	if v := e.run(context.Background(), "verify"); v.code != ExitOK {
		t.Errorf("verify after the backfill: exit %d\n%s", v.code, v.stdout)
	}
}
