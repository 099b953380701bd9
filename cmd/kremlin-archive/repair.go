package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// repairOptions are the flags of `repair`.
type repairOptions struct {
	JSON bool
}

func newRepairCmd(c *common) *cobra.Command {
	var o repairOptions
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "drop damaged copies, rebuild the indexes, queue what was lost for refetch",
		Long: `Sets right what verify reports. Drops every damaged copy (a page or record
that does not decode or does not match its digest) and damaged bookkeeping,
keeping every good version; rebuilds each document's bookkeeping from its
records; puts every document that lost something back in the frontier, so
the next crawl or backfill fetches it again; sets the archive's counters
right. A file whose own pages are damaged (bbolt's page check fails: the
file cut short, a page header changed) is first copied, every entry that
can still be read, into a new file put in its place (the damaged file is
kept as <db>.damaged). Reports each action with the document it concerns,
then verifies the archive: exits 0 when it is consistent. It writes, like
crawl: exit 6 while another run holds the archive.`,
		Example: `  kremlin-archive repair
  kremlin-archive repair --json
  kremlin-archive verify || { kremlin-archive repair && kremlin-archive crawl; }`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runRepair(cmd.Context(), c, o, commandLine(cmd))
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as one JSON object")
	return cmd
}

// repairReport is what `repair --json` prints.
type repairReport struct {
	Actions  []store.RepairAction `json:"actions"`
	Totals   *store.RepairStats   `json:"totals"`
	Problems []string             `json:"problems_left"`
}

func runRepair(ctx context.Context, c *common, o repairOptions, args []string) error {
	stdout := c.stdout
	if _, err := os.Stat(c.cfg.DB); err != nil {
		return withHint(fmt.Errorf("%s: %w", c.cfg.DB, store.ErrNoArchive), "point --db at an existing archive")
	}
	db, err := c.openDBWith(store.Options{Salvage: true})
	if err != nil {
		return err
	}
	defer db.Close()
	rep := repairReport{Actions: []store.RepairAction{}, Problems: []string{}}
	st, err := db.Repair(func(a store.RepairAction) {
		rep.Actions = append(rep.Actions, a)
		if !o.JSON {
			fmt.Fprintln(stdout, "REPAIR", a.String())
		}
	})
	if errors.Is(err, store.ErrPagesDamaged) {
		return withHint(err, "restore the archive file from a backup: not even its structure could be read")
	}
	if err != nil {
		return err
	}
	rep.Totals = st
	if st.AnalysisDropped && ctx.Err() == nil {
		if err := reparseSpeakers(ctx, db, io.Discard); err != nil {
			return fmt.Errorf("rebuilding the speaker table: %w", err)
		}
	}
	run, err := db.StartRun("repair", args, time.Now().UTC())
	if err == nil {
		run.End = time.Now().UTC()
		run.Status, run.ExitCode = statusName(ExitOK), ExitOK
		run.Changed = st.Rebuilt
		err = db.FinishRun(run)
	}
	if err != nil {
		return err
	}
	// The archive must be consistent now.
	vst, err := db.Verify(func(p store.Problem) { rep.Problems = append(rep.Problems, p.String()) })
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, "PROBLEM", p)
		}
		if st.NothingToRepair {
			fmt.Fprintf(stdout, "nothing to repair: %d documents\n", st.Documents)
		} else {
			fmt.Fprintf(stdout, "repaired: %d documents kept (%d versions), %d damaged versions dropped, %d good versions given back, %d bookkeeping entries rebuilt, %d documents removed (no good version left), %d damaged other entries dropped, %d versions moved out of damaged packs; %d documents queued for refetch: run `kremlin-archive crawl` (or backfill) to fetch them\n",
				st.Documents, st.KeptVersions, st.DroppedVersions, st.Recovered, st.Rebuilt, st.Removed, st.DroppedEntries, st.Restaged, st.Refetch)
		}
	}
	if vst.Problems > 0 {
		return withHint(fmt.Errorf("%w: %d problem(s) are left after repair", ErrCorrupt, vst.Problems),
			"restore the archive file from a backup; report the problems above")
	}
	return nil
}
