package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/parquet"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// exportParquet writes o.out/documents.parquet and o.out/turns.parquet
// with the filters of the JSONL export, atomically.
func exportParquet(ctx context.Context, db *store.DB, o *exportOpts, sp *speakers, stderr *console, log *slog.Logger) (int, error) {
	w, err := parquet.Create(o.out)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	var done atomic.Int64 // read by the progress display
	prog := startProgress(stderr, log, 30*time.Second, func() progressSnap {
		n := done.Load()
		return progressSnap{Done: n, Unit: "records", Count: n, CountOf: "records"}
	})
	err = db.Scan(o.filter, func(_ *store.Doc, r *record.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sp.resolve(r); err != nil {
			return err
		}
		done.Add(1)
		return w.Write(r)
	})
	prog.stop()
	if err == nil {
		err = w.Commit()
	}
	docs, turns := w.Counts()
	if err != nil {
		return docs, err
	}
	fmt.Fprintf(stderr, "parquet export in %s: %s (%d rows), %s (%d rows)\n", o.out, parquet.DocumentsFile, docs, parquet.TurnsFile, turns)
	return docs, nil
}
