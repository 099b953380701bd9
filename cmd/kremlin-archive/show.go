package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// ErrNotArchived means the asked document is not in the archive.
var ErrNotArchived = errors.New("not in the archive")

func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommand("show")
	lang := fs.String("lang", "", "en or ru (default: every language the document exists in)")
	raw := fs.Bool("raw", false, "print the raw page body exactly as received")
	versions := fs.Bool("versions", false, "list the stored versions")
	version := fs.Int("version", 0, "show this version (1 = oldest; default: current)")
	pos, err := c.parse(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("kremlin-archive show 71326 --lang en", "show takes one document ID")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usageErr("kremlin-archive show 71326", "%q is not a document ID (a positive number, e.g. the 71326 of /events/president/news/71326)", pos[0])
	}
	if *lang != "" && *lang != "en" && *lang != "ru" {
		return usageErr("kremlin-archive show 71326 --lang ru", "--lang must be en or ru (got %q)", *lang)
	}
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()

	langs := []string{"en", "ru"}
	if *lang != "" {
		langs = []string{*lang}
	}
	var found []string
	for _, l := range langs {
		d, err := db.Doc(l, id)
		if err != nil {
			return err
		}
		if d != nil {
			found = append(found, l)
		}
	}
	if len(found) == 0 {
		return notArchived(db, langs, id)
	}
	if *raw {
		if len(found) > 1 {
			return usageErr(fmt.Sprintf("kremlin-archive show %d --raw --lang en", id), "document %d exists in %s; --raw needs --lang", id, strings.Join(found, " and "))
		}
		r, err := db.RawResponse(found[0], id, *version)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("document %s/%d has no version %d", found[0], id, *version)
		}
		_, err = stdout.Write(r.Body)
		return err
	}
	if *versions {
		for _, l := range found {
			vs, err := db.Versions(l, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s/%d: %d version(s)\n", l, id, len(vs))
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  version\tfetched_at\tupdated\traw_sha256\tchanged fields")
			for i, v := range vs {
				changed := "-"
				if i > 0 {
					changed = strings.Join(changedFields(vs[i-1].Record, v.Record), ",")
				}
				upd := "-"
				if v.Record.Updated != nil {
					upd = *v.Record.Updated
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", v.N, v.Record.FetchedAt, upd, v.Record.RawSHA256[:min(16, len(v.Record.RawSHA256))], changed)
			}
			tw.Flush()
		}
		return nil
	}
	out := map[string]*record.Record{}
	for _, l := range found {
		d, err := db.Doc(l, id)
		if err != nil {
			return err
		}
		r, err := db.Record(l, id, *version)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("document %s/%d has no version %d", l, id, *version)
		}
		r.Version = d.Versions
		r.Normalize()
		out[l] = r
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if *lang != "" {
		return enc.Encode(out[*lang])
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
