package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ErrNotArchived means the asked document is not in the archive.
var ErrNotArchived = errors.New("not in the archive")

// showOptions are the flags of show.
type showOptions struct {
	lang     string
	raw      bool
	versions bool
	version  int
}

func newShowCmd(c *common) *cobra.Command {
	var o showOptions
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "one document as JSON (both languages), its raw page or its versions",
		Long: `Prints a document's record as JSON: both languages keyed "en" and "ru", or
one with --lang. --raw prints the page body exactly as received (one
language); --versions lists the stored versions with the fields that
changed; --version N shows an older version (1 = oldest). A document that
is not archived says whether it is pending or failing and why.`,
		Example: `  kremlin-archive show 71326
  kremlin-archive show 71326 --lang ru --raw > 71326.html
  kremlin-archive show 71326 --versions
  kremlin-archive show 71326 --lang en --version 1`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("kremlin-archive show 71326 --lang en", "show takes one document ID (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageErr("kremlin-archive show 71326", "%q is not a document ID (a positive number, e.g. the 71326 of /events/president/news/71326)", args[0])
			}
			if o.lang != "" && o.lang != "en" && o.lang != "ru" {
				return usageErr("kremlin-archive show 71326 --lang ru", "--lang must be en or ru (got %q)", o.lang)
			}
			if o.version < 0 {
				return usageErr(fmt.Sprintf("kremlin-archive show %d --versions", id), "--version must be a version number: 1 is the oldest (got %d)", o.version)
			}
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runShow(cmd.Context(), c, id, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.lang, "lang", "", "en or ru (default: every language the document exists in)")
	f.BoolVar(&o.raw, "raw", false, "print the raw page body exactly as received (needs --lang when both exist)")
	f.BoolVar(&o.versions, "versions", false, "list the stored versions and the fields that changed")
	f.IntVar(&o.version, "version", 0, "show this version (1 = oldest; default: the current one)")
	return cmd
}

func runShow(ctx context.Context, c *common, id int64, o showOptions) error {
	stdout := c.stdout
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()

	langs := []string{"en", "ru"}
	if o.lang != "" {
		langs = []string{o.lang}
	}
	var found []string
	docs := map[string]*store.Doc{}
	for _, l := range langs {
		d, err := db.Doc(l, id)
		if err != nil {
			return err
		}
		if d != nil {
			found = append(found, l)
			docs[l] = d
		}
	}
	if len(found) == 0 {
		return notArchived(db, langs, id)
	}
	if o.version > 0 {
		for _, l := range found {
			if n := docs[l].Versions; o.version > n {
				return usageErr(fmt.Sprintf("kremlin-archive show %d --lang %s --version %d   (or --versions to list them)", id, l, n),
					"document %s/%d has %d version(s); there is no version %d", l, id, n, o.version)
			}
		}
	}
	if o.raw {
		if len(found) > 1 {
			return usageErr(fmt.Sprintf("kremlin-archive show %d --raw --lang en", id), "document %d exists in %s; --raw needs --lang", id, strings.Join(found, " and "))
		}
		r, err := db.RawResponse(found[0], id, o.version)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("document %s/%d: the raw page of version %d is missing from the archive (run kremlin-archive verify)", found[0], id, max(o.version, docs[found[0]].Versions))
		}
		_, err = stdout.Write(r.Body)
		return err
	}
	if o.versions {
		for _, l := range found {
			vs, err := db.Versions(l, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s/%d: %d version(s)\n", l, id, len(vs))
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  version\tsource\tcaptured_at\tfetched_at\tupdated\traw_sha256\tchanged fields")
			for i, v := range vs {
				changed := "-"
				if i > 0 {
					changed = strings.Join(changedFields(vs[i-1].Record, v.Record), ",")
				}
				upd := "-"
				if v.Record.Updated != nil {
					upd = *v.Record.Updated
				}
				v.Record.Normalize() // copies stored before source and captured_at existed
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.N, v.Record.Source, v.Record.CapturedAt, v.Record.FetchedAt, upd, v.Record.RawSHA256[:min(16, len(v.Record.RawSHA256))], changed)
			}
			tw.Flush()
		}
		return nil
	}
	out := map[string]*record.Record{}
	for _, l := range found {
		r, err := db.Record(l, id, o.version)
		if err != nil {
			return err
		}
		r.Version = docs[l].Versions
		r.Normalize()
		out[l] = r
	}
	if o.version == 0 { // the current records: archive-level speaker keys
		sp, err := loadSpeakers(ctx, db, false, nil)
		if err != nil {
			return err
		}
		for _, r := range out {
			if err := sp.resolve(r); err != nil {
				return err
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if o.lang != "" {
		return enc.Encode(out[o.lang])
	}
	return enc.Encode(out)
}

// notArchived explains why a document is missing: pending, failing, or unknown.
func notArchived(db *store.DB, langs []string, id int64) error {
	ps, err := db.PendingList("")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.ID == id && (len(langs) > 1 || p.Lang == langs[0]) {
			if p.Failed() {
				return fmt.Errorf("document %s/%d is %w yet: %d failed attempt(s), last error: %s; next try after %s", p.Lang, id, ErrNotArchived, p.Attempts, p.LastError, p.NextTry.Format("2006-01-02 15:04"))
			}
			return fmt.Errorf("document %s/%d is %w yet: discovered %s, waiting to be fetched", p.Lang, id, ErrNotArchived, p.DiscoveredAt.Format("2006-01-02 15:04"))
		}
	}
	return withHint(fmt.Errorf("document %d is %w (%s)", id, ErrNotArchived, strings.Join(langs, ", ")), "kremlin-archive crawl, or kremlin-archive backfill for older documents")
}

// changedFields names the record fields that differ between two versions.
func changedFields(a, b *record.Record) []string {
	ca, cb := a.Content(), b.Content()
	va, vb := reflect.ValueOf(ca), reflect.ValueOf(cb)
	var out []string
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			name := va.Type().Field(i).Tag.Get("json")
			name, _, _ = strings.Cut(name, ",")
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}
