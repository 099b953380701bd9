package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

func newReparseCmd(c *common) *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "reparse",
		Short: "rebuild every parsed record from the stored raw pages (offline)",
		Long: `Rebuilds every parsed record from the stored raw pages, without a single
request, after a parser change (kremlin-archive version shows the parser
version); reports how many changed. Changed records get a new change
number, so the next incremental export carries them.`,
		Example: `  kremlin-archive reparse
  kremlin-archive reparse --lang ru`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lang != "" && lang != "en" && lang != "ru" {
				return usageErr("kremlin-archive reparse --lang ru", "--lang must be en or ru (got %q)", lang)
			}
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runReparse(cmd.Context(), c, lang, commandLine(cmd))
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", "only this language (en or ru)")
	return cmd
}

func runReparse(ctx context.Context, c *common, lang string, args []string) error {
	stdout := c.stdout
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
		pageURL := raw.URL
		if target, _, ok := old.Capture(); ok && old.Source == record.SourceWayback {
			// A Wayback copy is parsed as the page it captured (a /print
			// capture as the page itself).
			pageURL = strings.TrimSuffix(strings.TrimSuffix(target, "/"), "/print")
		}
		doc, err := kremlin.ParseDocument(body, pageURL, kremlin.Options{Lang: old.Lang, CanonicalBase: canon[old.Lang]})
		if err != nil {
			return nil, err
		}
		return &doc.Record, nil
	}
	onErr := func(l string, id int64, v int, err error) {
		c.log.Warn("stored page no longer parses as a document; its record is kept", "lang", l, "id", id, "version", v, "err", err)
	}
	st, err := db.Reparse(lang, fn, onErr, func(done int) {
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
	if err == nil {
		err = reparseSpeakers(ctx, db, stdout)
	}
	return err
}
