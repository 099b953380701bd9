package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// printStorage prints where the bytes of the archive file go (`stats
// --storage`).
func printStorage(w io.Writer, s *store.StorageStats) {
	ratio := func(n int64) string {
		if s.RawBytes == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", float64(n)/float64(s.RawBytes))
	}
	fmt.Fprintf(w, "\nStorage: the file is %s, %s of the %s of raw responses it holds (%d versions)\n",
		humanBytes(s.FileBytes), ratio(s.FileBytes), humanBytes(s.RawBytes), s.Versions)
	fmt.Fprintf(w, "  pages and records compressed together: %s (%s of raw; records as JSON %s) in %d packs (%d versions) and %d staged versions (%s)\n",
		humanBytes(s.StoredBytes), ratio(s.StoredBytes), humanBytes(s.RecordJSONBytes), s.Packs, s.PackedVersions, s.StagedVersions, humanBytes(s.StagedBytes))
	if s.RecordBytes > 0 {
		fmt.Fprintf(w, "  records stored apart (schema 1, until a crawl migrates the archive): %s\n", humanBytes(s.RecordBytes))
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  bucket\tkeys\tleaf pages\toverflow pages\tbranch pages\tsize\tin use\tdata\t")
	var inBuckets int64
	for _, b := range s.Buckets {
		inBuckets += b.Bytes
		use := "-"
		if b.Bytes > 0 {
			use = fmt.Sprintf("%.0f%%", 100*float64(b.InUse)/float64(b.Bytes))
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", b.Name, b.Keys, b.LeafPages, b.OverflowPages, b.BranchPages, humanBytes(b.Bytes), use, humanBytes(b.Data))
	}
	tw.Flush()
	fmt.Fprintf(w, "  free pages (reused by later writes): %s; freelist and meta pages: %s\n", humanBytes(s.FreeBytes), humanBytes(max(s.HighWater-inBuckets-s.FreeBytes, 0)))
	fmt.Fprintf(w, "  file beyond its last page (growth reserve): %s\n", humanBytes(max(s.FileBytes-s.HighWater, 0)))
}
