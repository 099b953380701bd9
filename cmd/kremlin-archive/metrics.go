package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// writeMetrics writes the run's figures in the Prometheus text format,
// atomically (node_exporter's textfile collector may read at any time).
// It is written at the end of every crawl or backfill that opened the
// archive — not by a run skipped because another holds it (exit 6): the
// file keeps the figures of the last run that did something.
func writeMetrics(path string, run *store.Run, pending, failed int, db *store.DB) error {
	var b strings.Builder
	gauge := func(name, help string, v any, labels string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s%s %v\n", name, help, name, name, labels, v)
	}
	mode := fmt.Sprintf(`{mode=%q}`, run.Mode)
	gauge("kremlin_archive_last_run_timestamp_seconds", "End of the last run (Unix time).", run.End.Unix(), mode)
	gauge("kremlin_archive_last_run_duration_seconds", "Duration of the last run.", run.End.Sub(run.Start).Seconds(), mode)
	gauge("kremlin_archive_last_run_exit_code", "Exit code of the last run.", run.ExitCode, mode)
	gauge("kremlin_archive_last_run_documents_new", "Documents archived for the first time by the last run.", run.New, mode)
	gauge("kremlin_archive_last_run_documents_updated", "New versions stored by the last run.", run.Updated, mode)
	gauge("kremlin_archive_last_run_documents_unchanged", "Refetched documents without changes in the last run.", run.Unchanged, mode)
	gauge("kremlin_archive_last_run_fetch_failures", "Failed document fetches in the last run.", run.Failed, mode)
	gauge("kremlin_archive_last_run_requests", "HTTP requests made by the last run.", run.Requests, mode)
	gauge("kremlin_archive_last_run_bytes", "Response body bytes received by the last run.", run.Bytes, mode)
	gauge("kremlin_archive_last_run_throttled", "Refusals (403, 429, 503, anti-bot pages) in the last run.", run.Throttled, mode)
	gauge("kremlin_archive_last_run_parse_warnings", "Pages with parse-health warnings in the last run.", run.Warnings, mode)
	gauge("kremlin_archive_last_run_documents_wayback", "Documents stored from Wayback Machine captures by the last run.", run.Wayback, mode)
	gauge("kremlin_archive_last_run_wayback_requests", "Requests to the Wayback Machine (CDX calls and capture fetches) in the last run.", run.CDXCalls+run.CaptureRequests, mode)
	last, err := lastSuccess(db)
	if err != nil {
		return err
	}
	var ts int64
	if !last.IsZero() {
		ts = last.Unix()
	}
	gauge("kremlin_archive_last_success_timestamp_seconds",
		"End of the last crawl or backfill that finished its work (exit 0, or 3: some documents failed and are retried), from the run ledger; 0 = never.", ts, "")
	gauge("kremlin_archive_pending_documents", "Documents discovered and not yet archived.", pending, "")
	gauge("kremlin_archive_failing_documents", "Pending documents whose last fetch failed.", failed, "")
	type key struct{ lang, source string }
	counts := map[key]int{}
	if err := db.ScanDocs(func(d *store.Doc) error {
		src := d.Source
		if src == "" {
			src = record.SourceLive
		}
		counts[key{d.Lang, src}]++
		return nil
	}); err != nil {
		return err
	}
	for _, lang := range []string{"en", "ru"} {
		for _, src := range []string{record.SourceLive, record.SourceWayback} {
			if _, ok := counts[key{lang, src}]; !ok {
				counts[key{lang, src}] = 0 // both languages and sources always present
			}
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.lang+"\x00"+a.source, b.lang+"\x00"+b.source)
	})
	fmt.Fprintf(&b, "# HELP kremlin_archive_documents Archived documents per language and source of the current copy (live: the site; wayback: the Wayback Machine).\n# TYPE kremlin_archive_documents gauge\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "kremlin_archive_documents{lang=%q,source=%q} %d\n", k.lang, k.source, counts[k])
	}
	gauge("kremlin_archive_db_bytes", "Size of the archive file.", db.Size(), "")
	return writeFileAtomic(path, []byte(b.String()))
}

// lastSuccess is the end of the newest crawl or backfill in the ledger
// that finished its work (exit 0 or 3); zero when there is none.
func lastSuccess(db *store.DB) (time.Time, error) {
	for n := 200; ; n = 0 {
		runs, err := db.Runs(n)
		if err != nil {
			return time.Time{}, err
		}
		for _, r := range runs {
			if (r.Mode == "crawl" || r.Mode == "backfill") && (r.ExitCode == ExitOK || r.ExitCode == ExitPartial) && r.Status != "running" && !r.End.IsZero() {
				return r.End, nil
			}
		}
		if n == 0 || len(runs) < n {
			return time.Time{}, nil
		}
	}
}
