package main

import (
	"fmt"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// writeMetrics writes the run's figures in the Prometheus text format,
// atomically (node_exporter's textfile collector may read at any time).
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
	gauge("kremlin_archive_pending_documents", "Documents discovered and not yet archived.", pending, "")
	gauge("kremlin_archive_failing_documents", "Pending documents whose last fetch failed.", failed, "")
	counts := map[string]int{}
	if err := db.ScanDocs(func(d *store.Doc) error { counts[d.Lang]++; return nil }); err != nil {
		return err
	}
	fmt.Fprintf(&b, "# HELP kremlin_archive_documents Archived documents per language.\n# TYPE kremlin_archive_documents gauge\n")
	for _, lang := range []string{"en", "ru"} {
		fmt.Fprintf(&b, "kremlin_archive_documents{lang=%q} %d\n", lang, counts[lang])
	}
	gauge("kremlin_archive_db_bytes", "Size of the archive file.", db.Size(), "")
	return writeFileAtomic(path, []byte(b.String()))
}
