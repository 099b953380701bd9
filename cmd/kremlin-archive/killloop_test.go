package main

// Kill loops: the real CLI as a subprocess, killed with SIGKILL at random
// moments and restarted, must end with the complete archive and refetch at
// most the documents in flight at each kill; SIGINT ends a run cleanly
// (exit 130, "interrupted" in the ledger); a killed run is marked
// "crashed" by the next run.

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// okDocFetches counts genuine document answers (200, no fault).
func okDocFetches(site *fakesite.Site) int {
	return len(site.Filter(func(r fakesite.Request) bool { return r.Kind == fakesite.KindDoc && r.OK() }))
}

func TestKillLoop_SIGKILLAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess kill loop")
	}
	// 300 documents at 20 ms each is about 6 s of work: more than the 15
	// rounds of 20–400 ms consume, so every round is killed mid-run.
	site, srv := startSite(t, fakesite.Options{N: 300, Seed: 51, Latency: 20 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	rng := rand.New(rand.NewPCG(51, 52))

	// The subprocess's start-up (program init, much slower under -race)
	// is not part of a run: measure it once and add it to every delay, so
	// that rounds are killed mid-run, not before the run starts.
	t0 := time.Now()
	vc, _ := startCLI(t, "version")
	vc.Wait()
	startup := time.Since(t0)

	const rounds = 15
	start := time.Now()
	kills, finished := 0, 0
	for i := 0; i < rounds; i++ {
		cmd, out := startCLI(t, "backfill", "--config", e.cfgPath)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := startup + 20*time.Millisecond + time.Duration(rng.Int64N(int64(380*time.Millisecond)))
		select {
		case err := <-done:
			// The run ended before its kill: it must have completed.
			if code := exitOf(err); code != ExitOK {
				t.Fatalf("round %d: backfill exited %d before the kill\n%s", i, code, tail(out.String(), 10))
			}
			finished++
		case <-time.After(delay):
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if code := exitOf(err); code == ExitOK {
				finished++ // it won the race
			} else {
				kills++
			}
		}
	}
	site.WaitIdle(2 * time.Second)
	archivedBefore := 0
	for _, n := range site.DocFetchCounts() {
		if n > 0 {
			archivedBefore++
		}
	}
	loop := time.Since(start)

	// One final run completes the archive.
	final := e.mustRun(ExitOK, "backfill")
	site.WaitIdle(2 * time.Second)
	if got := summaryField(t, final.stderr, "exit"); got != "0" {
		t.Errorf("final run summary exit=%s", got)
	}

	recs := e.records()
	checkArchive(t, site, recs)
	for _, r := range recs {
		if r.Version != 1 {
			t.Errorf("document %d has %d versions", r.ID, r.Version)
		}
	}
	if v := e.run(context.Background(), "verify"); v.code != ExitOK || !strings.Contains(v.stdout, "0 problem(s)") {
		t.Errorf("verify after %d kills: exit %d\n%s", kills, v.code, v.stdout)
	}

	dupOK, dupAny := 0, 0
	for _, d := range site.Docs() {
		if n := site.DocFetchesOK(d.ID); n > 1 {
			dupOK += n - 1
		}
		if n := site.DocFetches(d.ID); n > 1 {
			dupAny += n - 1
		}
	}
	t.Logf("kill loop: %d SIGKILLs, %d runs finished on their own, %s; documents fetched before the final run: %d of %d; "+
		"duplicate genuine document fetches: %d (any outcome: %d); total document fetches %d",
		kills, finished, loop.Round(time.Millisecond), archivedBefore, len(site.Docs()), dupOK, dupAny, okDocFetches(site))
	if kills < rounds/2 {
		t.Errorf("only %d of %d rounds were killed mid-run: the test does not test kills", kills, rounds)
	}
	if dupOK > kills {
		t.Errorf("%d duplicate document fetches after %d kills: only the request in flight at a kill may repeat", dupOK, kills)
	}

	// Every killed run that had started is marked crashed, none is left
	// "running", and the ledger has no gaps.
	runs := e.runsJSON()
	crashed := 0
	for i, r := range runs {
		switch {
		case r.Status == "running":
			t.Errorf("run %d still marked running", r.ID)
		case r.Status == "crashed":
			crashed++
			if r.ExitCode != -1 {
				t.Errorf("crashed run %d has exit code %d", r.ID, r.ExitCode)
			}
		}
		if i > 0 && runs[i-1].ID != r.ID+1 {
			t.Errorf("ledger gap between runs %d and %d", r.ID, runs[i-1].ID)
		}
	}
	if crashed > kills || crashed == 0 {
		t.Errorf("%d runs marked crashed after %d kills", crashed, kills)
	}
	if runs[0].Status != "ok" {
		t.Errorf("last run: %+v", runs[0])
	}
}

func TestSignals_InterruptAndCrash(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 120, Seed: 53, Latency: 15 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")

	// SIGINT: exit 130, the ledger says interrupted, the message says how
	// to resume.
	cmd, out := startCLI(t, "backfill", "--config", e.cfgPath)
	waitFor(t, 20*time.Second, "10 documents fetched", func() bool { return okDocFetches(site) >= 10 })
	sent := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code := exitOf(cmd.Wait())
	if code != ExitInterrupted {
		t.Fatalf("SIGINT: exit %d, want %d\n%s", code, ExitInterrupted, tail(out.String(), 10))
	}
	if el := time.Since(sent); el > 3*time.Second {
		t.Errorf("SIGINT took %s to stop the run", el)
	}
	if !strings.Contains(out.String(), "Interrupted: the archive is consistent") {
		t.Errorf("no resume message after SIGINT:\n%s", tail(out.String(), 5))
	}
	runs := e.runsJSON()
	if len(runs) != 1 || runs[0].Status != "interrupted" || runs[0].ExitCode != ExitInterrupted || runs[0].End.IsZero() {
		t.Errorf("ledger after SIGINT: %+v", runs)
	}
	if runs[0].New == 0 {
		t.Errorf("the interrupted run counts no new document: %+v", runs[0])
	}

	// SIGKILL: the run stays "running" until the next run starts, which
	// marks it crashed.
	cmd, _ = startCLI(t, "backfill", "--config", e.cfgPath)
	before := okDocFetches(site)
	waitFor(t, 20*time.Second, "5 more documents", func() bool { return okDocFetches(site) >= before+5 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	runs = e.runsJSON()
	if len(runs) != 2 || runs[0].Status != "running" {
		t.Errorf("ledger right after SIGKILL: %+v", runs)
	}
	txt := e.mustRun(ExitOK, "runs")
	if !strings.Contains(txt.stdout, "running") {
		t.Errorf("runs does not show the killed run as running:\n%s", txt.stdout)
	}
	e.mustRun(ExitOK, "backfill")
	runs = e.runsJSON()
	if len(runs) != 3 {
		t.Fatalf("ledger: %d runs, want 3", len(runs))
	}
	if runs[1].Status != "crashed" || runs[1].ExitCode != -1 {
		t.Errorf("killed run after the next start: %+v, want crashed", runs[1])
	}
	if runs[2].Status != "interrupted" {
		t.Errorf("first run changed to %q", runs[2].Status)
	}
	txt = e.mustRun(ExitOK, "runs")
	if !strings.Contains(txt.stdout, "crashed") || !strings.Contains(txt.stdout, "interrupted") {
		t.Errorf("runs does not show crashed and interrupted:\n%s", txt.stdout)
	}
	site.WaitIdle(time.Second)
	checkArchive(t, site, e.records())
}
