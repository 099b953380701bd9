package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/warc"
)

// exportWARC writes the stored captures as WARC/1.1: rotated files in the
// directory o.out, or (o.warcFile) the single file o.out, written in a
// temporary directory beside it and renamed into place when complete.
// Nothing touches the network.
func exportWARC(ctx context.Context, db *store.DB, o *exportOpts, sp *speakers, stderr *console, log *slog.Logger) (int, error) {
	dir, prefix, maxSize := o.out, "", int64(0)
	if o.warcFile {
		tmp, err := os.MkdirTemp(filepath.Dir(o.out), "."+filepath.Base(o.out)+".tmp-*")
		if err != nil {
			return 0, fmt.Errorf("create output in %s: %w", filepath.Dir(o.out), err)
		}
		defer os.RemoveAll(tmp)
		dir, maxSize = tmp, math.MaxInt64
		prefix = strings.TrimSuffix(filepath.Base(o.out), ".warc.gz")
		if prefix == "" || strings.ContainsFunc(prefix, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
			prefix = "" // the writer's default
		}
	}
	w, err := warc.NewWriter(warc.Options{
		Dir:         dir,
		Prefix:      prefix,
		MaxFileSize: maxSize,
		Software:    "kremlin-archive/" + buildVersion(),
		Info: map[string]string{
			"description": "Website of the President of Russia (kremlin.ru, en.kremlin.ru), archived by kremlin-archive",
			"isPartOf":    "kremlin-archive " + filepath.Base(db.Path()),
		},
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var done atomic.Int64
	prog := startProgress(stderr, log, 30*time.Second, func() progressSnap {
		d := done.Load()
		return progressSnap{Unit: "captures", Count: d, CountOf: "captures"}
	})
	err = db.ScanCaptures(o.filter, !o.current, func(c *store.Capture) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.Version == c.Doc.Versions {
			if err := sp.resolve(c.Record); err != nil { // the current version: archive-level speaker keys
				return err
			}
		}
		if err := w.Write(c); err != nil {
			return err
		}
		n++
		done.Store(int64(n))
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
	if !o.warcFile {
		fmt.Fprintf(stderr, "WARC files in %s: %v\n", o.out, st.Files)
		return n, nil
	}
	switch len(st.Files) {
	case 0:
		fmt.Fprintf(stderr, "no capture matches; %s not written\n", o.out)
		return 0, nil
	case 1:
	default:
		return n, fmt.Errorf("WARC export to %s: %d files written where one was asked for", o.out, len(st.Files))
	}
	if err := os.Rename(filepath.Join(dir, st.Files[0]), o.out); err != nil {
		return n, err
	}
	if d, err := os.Open(filepath.Dir(o.out)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	fmt.Fprintf(stderr, "WARC file: %s\n", o.out)
	return n, nil
}
