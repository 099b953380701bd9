package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func runReparse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommand("reparse")
	lang := fs.String("lang", "", "only this language")
	if _, err := c.parse(fs, args, stderr, 0); err != nil {
		return err
	}
	canon := map[string]string{}
	for _, s := range c.cfg.Sites {
		canon[s.Lang] = s.Canonical
	}
	if _, err := os.Stat(c.cfg.DB); err != nil {
		return withHint(fmt.Errorf("%s: %w", c.cfg.DB, store.ErrNoArchive), "point --db at an existing archive")
	}
	db, err := c.openDB(false)
	if err != nil {
		return err
	}
	defer db.Close()
	run, err := db.StartRun("reparse", args, time.Now().UTC())
	if err != nil {
		return err
	}
	fn := func(raw *store.Raw, old *record.Record) (*record.Record, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		body, err := crawler.Payload(raw, int64(c.cfg.MaxBody)) // a page sent gzip-encoded is stored so
		if err != nil {
			return nil, err
		}
		doc, err := kremlin.ParseDocument(body, raw.URL, kremlin.Options{Lang: old.Lang, CanonicalBase: canon[old.Lang]})
		if err != nil {
			return nil, err
		}
		return &doc.Record, nil
	}
	onErr := func(l string, id int64, v int, err error) {
		c.log.Warn("stored page no longer parses as a document; its record is kept", "lang", l, "id", id, "version", v, "err", err)
	}
	st, err := db.Reparse(*lang, fn, onErr, func(done int) {
		if done%5000 < 64 {
			c.log.Info("reparse progress", "documents", done)
		}
	})
	run.End = time.Now().UTC()
	run.Reparsed, run.Changed = st.Versions, st.Changed
	code := exitCode(err)
	if err == nil && ctx.Err() != nil {
		code = ExitInterrupted
		err = context.Canceled
	}
	run.Status, run.ExitCode = statusName(code), code
	if err != nil {
		run.Error = err.Error()
	}
	if ferr := db.FinishRun(run); ferr != nil && err == nil {
		err = ferr
	}
	fmt.Fprintf(stdout, "reparsed %d versions of %d documents with parser version %d: %d documents changed, %d versions refused by the parser (kept)\n",
		st.Versions, st.Documents, kremlin.ParserVersion, st.Changed, st.Failed)
	return err
}
