package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// crawlOptions are the flags of crawl and backfill.
type crawlOptions struct {
	mode             crawler.Mode
	from, to         string // backfill only: publication date range
	metricsFile      string
	progressInterval time.Duration
	args             []string // the command line, for the run ledger
	wb               waybackFlags
}

// addRunFlags declares the flags crawl and backfill share.
func addRunFlags(cmd *cobra.Command, o *crawlOptions) {
	f := cmd.Flags()
	f.StringVar(&o.metricsFile, "metrics-file", "", "write the run's figures to this file in Prometheus text format (node_exporter textfile collector), atomically")
	f.DurationVar(&o.progressInterval, "progress-interval", time.Minute, "how often to log progress when stderr is not a terminal (0 = never)")
	f.StringVar(&o.wb.use, "wayback", "", "fallback, only or never: when to take pages from the Wayback Machine (overrides wayback.use)")
}

func newCrawlCmd(c *common) *cobra.Command {
	o := crawlOptions{mode: crawler.ModeCrawl}
	cmd := &cobra.Command{
		Use:   "crawl",
		Short: "fetch what is new since the last run (for cron)",
		Long: `Incremental run. Walks each listing from page 1 and stops at the first page
whose items are all archived and current (after re-checking the pages with
items published within recent_window); fetches new and updated documents;
retries failed documents that are due; then continues an unfinished full
walk, if any. With nothing new it costs one listing page per section.`,
		Example: `  kremlin-archive crawl
  kremlin-archive crawl --config /srv/kremlin/crawl.yaml --log-format json --metrics-file /var/lib/node_exporter/kremlin.prom`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.setup(cmd); err != nil {
				return err
			}
			o.args = commandLine(cmd)
			return runCrawl(cmd.Context(), c, o)
		},
	}
	addRunFlags(cmd, &o)
	return cmd
}

func newBackfillCmd(c *common) *cobra.Command {
	o := crawlOptions{mode: crawler.ModeBackfill}
	cmd := &cobra.Command{
		Use:   "backfill",
		Short: "walk the whole history (resumes an unfinished walk)",
		Long: `Walks each listing to its last page (continuing an unfinished walk),
fetching every document not archived and every document the site has
updated since it was archived. With --from/--to, only documents published
in that range: the first page is found by bisection and the walk stops
after the range.`,
		Example: `  kremlin-archive backfill
  kremlin-archive backfill --from 2012-05-07 --to 2012-12-31`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range []struct{ name, val string }{{"--from", o.from}, {"--to", o.to}} {
				if d.val == "" {
					continue
				}
				if _, err := time.Parse(time.DateOnly, d.val); err != nil {
					return usageErr("kremlin-archive backfill --from 2012-05-07 --to 2012-12-31", "%s: %q is not a date in the form YYYY-MM-DD", d.name, d.val)
				}
			}
			if o.from != "" && o.to != "" && o.from > o.to {
				return usageErr("kremlin-archive backfill --from 2012-05-07 --to 2012-12-31", "--from %s is after --to %s", o.from, o.to)
			}
			if err := c.setup(cmd); err != nil {
				return err
			}
			o.args = commandLine(cmd)
			return runCrawl(cmd.Context(), c, o)
		},
	}
	cmd.Flags().StringVar(&o.from, "from", "", "oldest publication date to backfill (YYYY-MM-DD)")
	cmd.Flags().StringVar(&o.to, "to", "", "newest publication date to backfill (YYYY-MM-DD)")
	cmd.Flags().BoolVar(&o.wb.history, "history", false, "with --wayback only: import every Wayback Machine capture whose content differs as a version")
	addRunFlags(cmd, &o)
	return cmd
}

// commandLine is the command and the flags that were set, for the ledger.
func commandLine(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return out
}

func runCrawl(ctx context.Context, c *common, o crawlOptions) error {
	if err := o.wb.apply(c.cfg, o.from != "" || o.to != ""); err != nil {
		return err
	}
	opts, err := crawlerOptions(c.cfg, c.log)
	if err != nil {
		return err
	}
	// Documents fetched in quick succession (a fast mirror, a replay)
	// share a commit: see group_commit.
	db, err := c.openWriter(store.Options{GroupCommit: time.Duration(c.cfg.GroupCommit)})
	if err != nil {
		return err // exit 6 when another run holds the archive: no metrics, nothing recorded
	}
	defer db.Close()

	start := time.Now()
	run, err := db.StartRun(o.mode.String(), o.args, start.UTC())
	if err != nil {
		return err
	}
	cr, err := crawler.New(db, opts)
	if err != nil {
		return err
	}
	c.log.Info("run started", "mode", o.mode.String(), "run", run.ID, "db", c.cfg.DB, "sites", siteList(opts.Sites))
	stats := cr.Stats()
	prog := startProgress(c.stderr, c.log, o.progressInterval, func() progressSnap {
		return crawlSnap(stats)
	})
	defer tuneRuntime()()
	defer keepExecutableReleased()()
	res, fatal := cr.Run(ctx, crawler.RunOptions{Mode: o.mode, From: o.from, To: o.to, RunID: run.ID, History: o.wb.history})
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
	hint := ""
	if code == ExitUnreachable {
		hint = unreachableHint(runErr, c.cfg)
		runErr = withHint(runErr, hint)
	}
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
	run.CDXCalls, run.CaptureRequests = int(stats.CDXCalls.Load()), int(stats.CaptureRequests.Load())
	run.Fallback = stats.Fallback()
	if err := db.FinishRun(run); err != nil && runErr == nil {
		runErr = err
	}
	attrs := []any{
		"mode", o.mode.String(), "run", run.ID, "status", run.Status, "exit", code,
		"new", run.New, "updated", run.Updated, "unchanged", run.Unchanged, "failed", run.Failed,
		"pending", pending, "failing", failed, "listing_pages", run.ListingPages,
		"requests", run.Requests, "bytes", run.Bytes, "throttled", run.Throttled, "retries", run.Retries,
		"warnings", run.Warnings, "disallowed", stats.Skipped.Load(), "duration", run.End.Sub(run.Start),
	}
	attrs = append(attrs, waybackSummary(stats, run.Live, run.Wayback)...)
	if runErr != nil {
		attrs = append(attrs, "error", runErr.Error())
	}
	if hint != "" {
		attrs = append(attrs, "hint", hint)
	}
	c.log.Info("run finished", attrs...)
	if o.metricsFile != "" {
		if err := writeMetrics(o.metricsFile, run, pending, failed, db); err != nil {
			c.log.Error("metrics file not written", "path", o.metricsFile, "err", err)
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
	case ExitUnreachable:
		return "unreachable"
	case ExitInterrupted:
		return "interrupted"
	}
	return "error"
}

// crawlSnap is the progress of a crawl or backfill: listing pages of the
// walks with a planned end, documents as the rate.
func crawlSnap(s *crawler.Stats) progressSnap {
	total, walks, unsized := s.PagesTotal.Load(), s.Walks.Load(), s.Unsized.Load()
	if unsized > 0 {
		// Listings never walked count as the average of the others until
		// their first page says how long they are.
		if sized := walks - unsized; sized > 0 {
			total += unsized * max(total/sized, 1)
		} else {
			total = 0
		}
	}
	return progressSnap{
		Done:    s.PagesDone.Load(),
		Total:   total,
		Unsized: unsized,
		Unit:    "listing pages",
		Count:   s.New.Load() + s.Updated.Load() + s.Unchanged.Load(),
		CountOf: "docs",
		Fields: []progressField{
			{"new", s.New.Load()}, {"updated", s.Updated.Load()}, {"unchanged", s.Unchanged.Load()},
			{"failed", s.Failed.Load()}, {"requests", s.Requests.Load()}, {"wayback", s.FromWayback.Load()},
		},
	}
}
