package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// ErrCorrupt means verify found problems.
var ErrCorrupt = errors.New("the archive has problems")

func newVerifyCmd(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "re-read every stored page and record; check digests and indexes",
		Long: `Re-reads the whole archive: bbolt's own page check, every raw body against
its SHA-256, every record decoded, the indexes checked against each other.
Every bookkeeping entry is checked against its checksum and against the
record it was derived from. Prints each problem with the document it
concerns (language, ID and URL); exits 1 when there is any: then run
kremlin-archive repair.`,
		Example: "  kremlin-archive verify --db /srv/kremlin/kremlin.db",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.setup(cmd); err != nil {
				return err
			}
			return runVerify(cmd.Context(), c, c.stdout)
		},
	}
}

func runVerify(ctx context.Context, c *common, stdout io.Writer) error {
	db, err := c.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	docs := map[string]bool{}
	st, err := db.Verify(func(p store.Problem) {
		fmt.Fprintln(stdout, "PROBLEM", p.String())
		if p.ID != 0 {
			docs[fmt.Sprintf("%s/%d", p.Lang, p.ID)] = true
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified %d documents, %d versions (%s of raw bodies), %d pending: %d problem(s)\n",
		st.Documents, st.Versions, humanBytes(st.RawBytes), st.Pending, st.Problems)
	if st.Problems > 0 {
		names := sortedKeys(docs)
		list := strings.Join(names[:min(len(names), 20)], " ")
		if len(names) > 20 {
			list += fmt.Sprintf(" … and %d more (listed above)", len(names)-20)
		}
		return withHint(fmt.Errorf("%w: %d problem(s) in %d document(s): %s", ErrCorrupt, st.Problems, len(names), list),
			"kremlin-archive repair   (drops the damaged copies and entries, keeps every good version, and queues the documents named above for the next crawl to fetch again; then run kremlin-archive crawl)")
	}
	return nil
}
