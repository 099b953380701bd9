package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// statsReport is what `stats` prints (and `stats --json` encodes).
type statsReport struct {
	DB        string                `json:"db"`
	FileBytes int64                 `json:"file_bytes"`
	Langs     map[string]*langStats `json:"languages"`
	Both      int                   `json:"ids_in_both_languages"`
	OnlyEN    int                   `json:"ids_only_en"`
	OnlyRU    int                   `json:"ids_only_ru"`
	HighWater uint64                `json:"high_water_seq"`
	Pending   []store.Pending       `json:"pending"`
	Listings  []store.SectionState  `json:"listings"`
	Hosts     []store.HostState     `json:"hosts"`
	Runs      []store.Run           `json:"last_runs"`
	Storage   *store.StorageStats   `json:"storage,omitempty"`
}

type langStats struct {
	Documents  int            `json:"documents"`
	BySource   map[string]int `json:"by_source"` // documents whose current copy came from the live site / the Wayback Machine
	Versions   int            `json:"versions"`
	Changed    int            `json:"documents_with_several_versions"`
	ByListing  map[string]int `json:"by_listing"`
	BySection  map[string]int `json:"by_publication_section"`
	Pending    int            `json:"pending"`
	Failing    int            `json:"failing"`
	OldestDate string         `json:"oldest_date,omitempty"`
	NewestDate string         `json:"newest_date,omitempty"`
}

func newStatsCmd(c *common) *cobra.Command {
	var asJSON, storage bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "what is archived, what failed, cool-downs, listings, last runs",
		Long: `Documents per language and listing, versions, IDs present in both
languages, listings (complete, walk in progress), hosts (cool-downs,
robots.txt), the frontier with every failing document and its last error,
and the last runs. --storage also measures compression.`,
		Example: `  kremlin-archive stats
  kremlin-archive stats --json | jq '.languages.en.documents'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runStats(cmd.Context(), c, asJSON, storage)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&storage, "storage", false, "also measure compression (reads every stored page header)")
	return cmd
}

func runStats(ctx context.Context, c *common, asJSON, storage bool) error {
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := buildStats(db, storage)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printStats(c.stdout, rep)
	return nil
}

func buildStats(db *store.DB, storage bool) (*statsReport, error) {
	rep := &statsReport{DB: db.Path(), FileBytes: db.Size(), Langs: map[string]*langStats{}}
	lang := func(l string) *langStats {
		if rep.Langs[l] == nil {
			rep.Langs[l] = &langStats{ByListing: map[string]int{}, BySection: map[string]int{}, BySource: map[string]int{}}
		}
		return rep.Langs[l]
	}
	ids := map[int64]int{} // bit 1 = en, bit 2 = ru
	err := db.ScanDocs(func(d *store.Doc) error {
		ls := lang(d.Lang)
		ls.Documents++
		ls.BySource[docSourceName(d)]++
		ls.Versions += d.Versions
		if d.Versions > 1 {
			ls.Changed++
		}
		for _, s := range d.ListedIn {
			ls.ByListing[s]++
		}
		for _, s := range d.Sections {
			ls.BySection[s]++
		}
		if d.Date != "" {
			if ls.OldestDate == "" || d.Date < ls.OldestDate {
				ls.OldestDate = d.Date
			}
			if d.Date > ls.NewestDate {
				ls.NewestDate = d.Date
			}
		}
		switch d.Lang {
		case "en":
			ids[d.ID] |= 1
		case "ru":
			ids[d.ID] |= 2
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, v := range ids {
		switch v {
		case 3:
			rep.Both++
		case 1:
			rep.OnlyEN++
		case 2:
			rep.OnlyRU++
		}
	}
	if rep.Pending, err = db.PendingList(""); err != nil {
		return nil, err
	}
	for _, p := range rep.Pending {
		ls := lang(p.Lang)
		ls.Pending++
		if p.Failed() {
			ls.Failing++
		}
	}
	if rep.Listings, err = db.SectionStates(); err != nil {
		return nil, err
	}
	if rep.Hosts, err = db.HostStates(); err != nil {
		return nil, err
	}
	if rep.Runs, err = db.Runs(5); err != nil {
		return nil, err
	}
	if rep.HighWater, err = db.HighWater(); err != nil {
		return nil, err
	}
	if storage {
		if rep.Storage, err = db.Storage(); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func printStats(w io.Writer, rep *statsReport) {
	fmt.Fprintf(w, "Archive %s (%s)\n\n", rep.DB, humanBytes(rep.FileBytes))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "lang\tdocuments\tlive\twayback\tversions\tchanged\tpending\tfailing\tdates\tlisted in")
	langs := sortedKeys(rep.Langs)
	for _, l := range langs {
		ls := rep.Langs[l]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s..%s\t%s\n", l, ls.Documents, ls.BySource["live"], ls.BySource["wayback"], ls.Versions, ls.Changed, ls.Pending, ls.Failing, ls.OldestDate, ls.NewestDate, countList(ls.ByListing))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nIDs in both languages: %d (en only: %d, ru only: %d); change sequence high-water mark: %d\n", rep.Both, rep.OnlyEN, rep.OnlyRU, rep.HighWater)
	for _, l := range langs {
		if len(rep.Langs[l].BySection) > 0 {
			fmt.Fprintf(w, "Publication sections (%s): %s\n", l, countList(rep.Langs[l].BySection))
		}
	}

	fmt.Fprintln(w, "\nListings:")
	for _, st := range rep.Listings {
		if st.Section == store.WaybackSection {
			fmt.Fprintf(w, "  %s, Wayback Machine index:%s\n", st.Lang, strings.TrimPrefix(waybackWalkLine(st.Wayback), ";"))
			continue
		}
		state := "never walked to the end"
		if st.Complete {
			state = "complete since " + st.CompletedAt.Format(time.DateTime)
		}
		line := fmt.Sprintf("  %s/%s: %s, %d pages", st.Lang, st.Section, state, st.Pages)
		if st.Cursor != nil {
			line += fmt.Sprintf("; walk in progress at page %d of %d", st.Cursor.Page, st.Cursor.Pages)
		}
		if st.Head != nil {
			line += fmt.Sprintf("; walk of the newest pages interrupted at page %d (continued next run)", st.Head.Page)
		}
		if st.Ranged != nil {
			line += fmt.Sprintf("; backfill %s..%s in progress at page %d", st.Ranged.From, st.Ranged.To, st.Ranged.Page)
		}
		if !st.LastWalk.IsZero() {
			line += "; last walked " + st.LastWalk.Format(time.DateTime)
		}
		fmt.Fprintln(w, line)
	}

	fmt.Fprintln(w, "\nHosts:")
	for _, h := range rep.Hosts {
		line := "  " + h.Host + ":"
		if h.CooldownUntil.After(time.Now()) {
			line += fmt.Sprintf(" COOLING DOWN until %s (%s);", h.CooldownUntil.Format(time.RFC3339), h.CooldownReason)
		} else if !h.LastRefusal.IsZero() {
			line += fmt.Sprintf(" last refusal %s (%s);", h.LastRefusal.Format(time.DateTime), h.CooldownReason)
		}
		if h.PauseUntil.After(time.Now()) {
			line += fmt.Sprintf(" paused until %s (%d answers of 429 in a row);", h.PauseUntil.Format(time.RFC3339), h.Throttles)
		}
		if !h.Unreachable.IsZero() {
			line += fmt.Sprintf(" UNREACHABLE since %s (%s), last tried %s;", h.Unreachable.Format(time.DateTime), h.UnreachableCause, h.LastProbe.Format(time.DateTime))
		}
		if h.Robots != nil {
			line += fmt.Sprintf(" robots.txt %d fetched %s", h.Robots.Status, h.Robots.FetchedAt.Format(time.DateTime))
		} else if !h.LastRequest.IsZero() {
			line += " last request " + h.LastRequest.Format(time.DateTime)
		}
		fmt.Fprintln(w, line)
	}

	failing := 0
	for _, p := range rep.Pending {
		if p.Failed() {
			failing++
		}
	}
	fmt.Fprintf(w, "\nFrontier: %d pending, %d of them failing\n", len(rep.Pending), failing)
	shown := 0
	for _, p := range rep.Pending {
		if !p.Failed() {
			continue
		}
		if shown == 20 {
			fmt.Fprintf(w, "  … and %d more (stats --json lists all)\n", failing-shown)
			break
		}
		shown++
		fmt.Fprintf(w, "  %s/%d attempts=%d next=%s last error: %s\n", p.Lang, p.ID, p.Attempts, p.NextTry.Format(time.DateTime), p.LastError)
	}

	fmt.Fprintln(w, "\nLast runs:")
	printRuns(w, rep.Runs)
	if rep.Storage != nil {
		printStorage(w, rep.Storage)
	}
}

func printRuns(w io.Writer, runs []store.Run) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  run\tmode\tstarted\tduration\tstatus\texit\tnew\tupdated\tunchanged\tfailed\tpending\tlive\twayback\trequests\tthrottled")
	for _, r := range runs {
		dur := "-"
		if !r.End.IsZero() {
			dur = r.End.Sub(r.Start).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Mode, r.Start.Format(time.DateTime), dur, r.Status, r.ExitCode, r.New, r.Updated, r.Unchanged, r.Failed, r.Pending, r.Live, r.Wayback, r.Requests, r.Throttled)
	}
	tw.Flush()
}

func newRunsCmd(c *common) *cobra.Command {
	var n int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "the run ledger: one line per run",
		Long: `The run ledger, newest first: start, duration, mode, status, exit code,
new / updated / unchanged / failed documents, requests, throttling events,
then the error of each run that ended with one. A run whose process was
killed shows as "crashed" once the next run starts.`,
		Example: `  kremlin-archive runs
  kremlin-archive runs -n 5 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return usageErr("kremlin-archive runs -n 20", "-n must not be negative (0 = all runs)")
			}
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runRuns(cmd.Context(), c, n, asJSON)
		},
	}
	cmd.Flags().IntVarP(&n, "limit", "n", 20, "how many runs to list (0 = all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per run")
	return cmd
}

func runRuns(ctx context.Context, c *common, n int, asJSON bool) error {
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.Runs(n)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		for i := range runs {
			if err := enc.Encode(&runs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	printRuns(c.stdout, runs)
	for _, r := range runs {
		if r.Error != "" {
			printRunError(c.stdout, r)
		}
		if r.Fallback != "" {
			fmt.Fprintf(c.stdout, "  run %d took pages from the Wayback Machine (%d CDX calls, %d capture requests): %s\n", r.ID, r.CDXCalls, r.CaptureRequests, r.Fallback)
		}
	}
	return nil
}

// printRunError prints a run's error, continuation lines indented under
// the first (errors of several hosts come one per line).
func printRunError(w io.Writer, r store.Run) {
	head := fmt.Sprintf("  run %d: ", r.ID)
	pad := strings.Repeat(" ", len(head))
	lines := strings.Split(strings.TrimRight(r.Error, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintln(w, head+l)
		} else {
			fmt.Fprintln(w, pad+l)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func countList(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// docSourceName is where a document's current copy came from.
func docSourceName(d *store.Doc) string {
	if d.Source == "" {
		return record.SourceLive
	}
	return d.Source
}

// waybackWalkLine describes a listing's discovery through the Wayback
// Machine's index ("" when never done).
func waybackWalkLine(ws *store.WaybackWalk) string {
	if ws == nil {
		return ""
	}
	line := ""
	if ws.Complete {
		line += fmt.Sprintf("; walked (%d documents, last %s)", ws.Documents, ws.LastWalk.Format(time.DateTime))
	}
	if c := ws.Cursor; c != nil {
		line += fmt.Sprintf("; walk in progress (%s, %d batches, %d documents so far)", c.Prefix, c.Batches, c.Documents)
	}
	if c := ws.History; c != nil {
		line += fmt.Sprintf("; history walk in progress (%s, %d batches, %d documents so far)", c.Prefix, c.Batches, c.Documents)
	}
	return line
}
