package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/store"
)

func runCrawl(ctx context.Context, mode crawler.Mode, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommand(mode.String())
	fs.StringVar(&c.metricsFile, "metrics-file", "", "write the run's figures in Prometheus text format")
	progressEvery := fs.Duration("progress-interval", time.Minute, "how often to log progress when stderr is not a terminal")
	var from, to string
	if mode == crawler.ModeBackfill {
		fs.StringVar(&from, "from", "", "oldest publication date to backfill (YYYY-MM-DD)")
		fs.StringVar(&to, "to", "", "newest publication date to backfill (YYYY-MM-DD)")
	}
	if _, err := c.parse(fs, args, stderr, 0); err != nil {
		return err
	}
	for _, d := range []struct{ name, val string }{{"--from", from}, {"--to", to}} {
		if d.val == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.val); err != nil {
			return usageErr("kremlin-archive backfill --from 2012-05-07 --to 2012-12-31", "%s: %q is not a date in the form YYYY-MM-DD", d.name, d.val)
		}
	}
	if from != "" && to != "" && from > to {
		return usageErr("kremlin-archive backfill --from 2012-05-07 --to 2012-12-31", "--from %s is after --to %s", from, to)
	}
	opts, err := crawlerOptions(c.cfg, c.log)
	if err != nil {
		return err
	}
	db, err := c.openDB(false)
	if err != nil {
		return err
	}
	defer db.Close()

	start := time.Now()
	run, err := db.StartRun(mode.String(), args, start.UTC())
	if err != nil {
		return err
	}
	cr, err := crawler.New(db, opts)
	if err != nil {
		return err
	}
	c.log.Info("run started", "mode", mode.String(), "run", run.ID, "db", c.cfg.DB, "sites", siteList(opts.Sites))
	stats := cr.Stats()
	prog := startProgress(stderr, isTerminal(stderr), c.log, *progressEvery, func() progressSnap {
		return crawlSnap(stats, start)
	})
	res, fatal := cr.Run(ctx, crawler.RunOptions{Mode: mode, From: from, To: to, RunID: run.ID})
	prog.stop()

	// Work out how the run ended: the error decides the exit code.
	var runErr error
	switch {
	case ctx.Err() != nil:
		runErr = context.Canceled
	case fatal != nil:
		runErr = fatal
	default:
		runErr = res.Err()
		if runErr == nil && stats.Failed.Load() > 0 {
			runErr = fmt.Errorf("%w: %d failed fetches this run", ErrPartial, stats.Failed.Load())
		} else if runErr != nil && exitCode(runErr) == ExitError {
			// Listing pages that could not be read: the walk resumes next run.
			runErr = fmt.Errorf("%w: %v", ErrPartial, runErr)
		}
	}
	code := exitCode(runErr)
	pending, failed, err := pendingCounts(db)
	if err != nil && runErr == nil {
		runErr = err
	}
	run.End = time.Now().UTC()
	run.Status = statusName(code)
	run.ExitCode = code
	if runErr != nil {
		run.Error = runErr.Error()
	}
	run.Requests = int(stats.Requests.Load())
	run.Bytes = stats.Bytes.Load()
	run.Throttled = int(stats.Throttled.Load())
	run.Retries = int(stats.Retries.Load())
	run.Warnings = int(stats.Warnings.Load())
	run.Pending = pending
	if err := db.FinishRun(run); err != nil && runErr == nil {
		runErr = err
	}
	attrs := []any{
		"mode", mode.String(), "run", run.ID, "status", run.Status, "exit", code,
		"new", run.New, "updated", run.Updated, "unchanged", run.Unchanged, "failed", run.Failed,
		"pending", pending, "failing", failed, "listing_pages", run.ListingPages,
		"requests", run.Requests, "bytes", run.Bytes, "throttled", run.Throttled, "retries", run.Retries,
		"warnings", run.Warnings, "disallowed", stats.Skipped.Load(), "duration", run.End.Sub(run.Start).Round(time.Millisecond).String(),
	}
	if runErr != nil {
		attrs = append(attrs, "error", runErr.Error())
	}
	c.log.Info("run finished", attrs...)
	if c.metricsFile != "" {
		if err := writeMetrics(c.metricsFile, run, pending, failed, db); err != nil {
			c.log.Error("metrics file not written", "path", c.metricsFile, "err", err)
		}
	}
	if runErr != nil && c.logFormat == "json" {
		// Log collectors get the error in the summary line; keep stderr
		// all JSON.
		return &loggedError{runErr}
	}
	return runErr
}

func siteList(sites []crawler.Site) []string {
	var out []string
	for _, s := range sites {
		out = append(out, s.Lang+"="+s.Base.Redacted())
	}
	return out
}

// pendingCounts returns the documents in the frontier and how many of
// them have failed at least once.
func pendingCounts(db *store.DB) (pending, failed int, err error) {
	ps, err := db.PendingList("")
	if err != nil {
		return 0, 0, err
	}
	for i := range ps {
		if ps[i].Failed() {
			failed++
		}
	}
	return len(ps), failed, nil
}

func statusName(code int) string {
	switch code {
	case ExitOK:
		return "ok"
	case ExitPartial:
		return "partial"
	case ExitRefused:
		return "refused"
	case ExitDrift:
		return "drift"
	case ExitInterrupted:
		return "interrupted"
	}
	return "error"
}

func crawlSnap(s *crawler.Stats, start time.Time) progressSnap {
	docs := s.New.Load() + s.Updated.Load() + s.Unchanged.Load()
	return progressSnap{
		Done:    s.PagesDone.Load(),
		Total:   s.PagesTotal.Load(),
		Unit:    "listing pages",
		Rate:    float64(docs) / max(time.Since(start).Seconds(), 0.001),
		RateOf:  "docs",
		Summary: fmt.Sprintf("new=%d updated=%d unchanged=%d failed=%d requests=%d", s.New.Load(), s.Updated.Load(), s.Unchanged.Load(), s.Failed.Load(), s.Requests.Load()),
	}
}
