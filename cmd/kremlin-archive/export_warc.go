package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/warc"
)

// exportWARC writes the stored captures as WARC/1.1 files into o.out.
// Nothing touches the network.
func exportWARC(ctx context.Context, db *store.DB, o *exportOpts, stderr io.Writer, log *slog.Logger) (int, error) {
	w, err := warc.NewWriter(warc.Options{
		Dir:      o.out,
		Software: "kremlin-archive/1.0",
		Info: map[string]string{
			"description": "Website of the President of Russia (kremlin.ru, en.kremlin.ru), archived by kremlin-archive",
			"isPartOf":    "kremlin-archive " + filepath.Base(db.Path()),
		},
	})
	if err != nil {
		return 0, err
	}
	n := 0
	start := time.Now()
	prog := startProgress(stderr, isTerminal(stderr), log, 30*time.Second, func() progressSnap {
		return progressSnap{Done: int64(n), Unit: "captures", Rate: float64(n) / max(time.Since(start).Seconds(), 0.001), RateOf: "captures"}
	})
	err = db.ScanCaptures(o.filter, !o.current, func(c *store.Capture) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Write(c); err != nil {
			return err
		}
		n++
		return nil
	})
	prog.stop()
	if err != nil {
		// All or nothing: the files written so far are removed.
		if aerr := w.Abort(); aerr != nil {
			log.Warn("WARC export: some files of the failed export could not be removed", "dir", o.out, "err", aerr)
		}
		if ctx.Err() != nil {
			return 0, &interruptedError{err: ctx.Err(), msg: "the WARC export was stopped and nothing was kept; run the same command again: it starts over."}
		}
		return 0, fmt.Errorf("WARC export failed, nothing was kept (run the same command again: it starts over): %w", err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("WARC export failed, nothing was kept (run the same command again: it starts over): %w", err)
	}
	st := w.Stats()
	fmt.Fprintf(stderr, "WARC files in %s: %v\n", o.out, st.Files)
	return n, nil
}
