package store

import (
	"os"

	bolt "go.etcd.io/bbolt"
)

// StorageStats describes where the bytes of the archive file go.
type StorageStats struct {
	Versions int   `json:"versions"`  // stored versions (raw responses with their records)
	RawBytes int64 `json:"raw_bytes"` // the raw responses as received (head + body)
	// RecordJSONBytes is the size of the parsed records as JSON,
	// uncompressed.
	RecordJSONBytes int64 `json:"record_json_bytes"`
	// StoredBytes is what pages and records take compressed: packs and
	// staged entries (where both are compressed together), and in an
	// archive of schema 1 the raw blobs.
	StoredBytes int64 `json:"stored_bytes"`
	// Of which the records (in groups) and the pages frames; the rest is
	// the blobs' headers.
	RecordGroupBytes int64 `json:"record_group_bytes"`
	PagesFrameBytes  int64 `json:"pages_frame_bytes"`
	// RecordBytes is what schema-1 records take compressed apart from
	// their pages (0 once migrated: records share the packs).
	RecordBytes int64 `json:"record_bytes_apart"`
	FileBytes   int64 `json:"file_bytes"` // the archive file on disk

	Packs          int   `json:"packs"`            // sealed packs
	PackedVersions int   `json:"packed_versions"`  // versions in them
	PackBytes      int64 `json:"pack_bytes"`       // their stored size
	PackedRawBytes int64 `json:"packed_raw_bytes"` // the raw responses in them
	StagedVersions int   `json:"staged_versions"`  // versions staged in open packs
	StagedBytes    int64 `json:"staged_bytes"`     // their stored size

	PageSize  int           `json:"page_size"`
	Buckets   []BucketUsage `json:"buckets"`
	HighWater int64         `json:"high_water_bytes"` // bytes up to bbolt's last used page
	// FreeBytes is what bbolt has freed and not reused yet; the rest of
	// the pages below HighWater not in a bucket are the freelist and the
	// two meta pages.
	FreeBytes int64 `json:"free_bytes"`
}

// BucketUsage is the space of one bucket.
type BucketUsage struct {
	Name          string `json:"name"`
	Keys          int    `json:"keys"`
	LeafPages     int    `json:"leaf_pages"`
	OverflowPages int    `json:"overflow_pages"` // pages of values larger than a page, beyond their first
	BranchPages   int    `json:"branch_pages"`
	Bytes         int64  `json:"bytes"`        // pages × page size
	InUse         int64  `json:"in_use_bytes"` // bytes of those pages holding data (the rest is page slack)
	Data          int64  `json:"data_bytes"`   // keys + values
}

// Storage measures where the bytes of the file go: every bucket's pages
// and their fill, the packs and what they hold. It reads every page, so it
// takes a while on a large archive.
func (db *DB) Storage() (*StorageStats, error) {
	st := &StorageStats{}
	if fi, err := os.Stat(db.path); err == nil {
		st.FileBytes = fi.Size()
	}
	err := db.safeView(func(tx *bolt.Tx) error {
		bdb := tx.DB()
		st.PageSize = bdb.Info().PageSize
		st.HighWater = tx.Size()
		s := bdb.Stats()
		st.FreeBytes = int64(s.FreePageN+s.PendingPageN) * int64(st.PageSize)
		if err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			bs := b.Stats()
			u := BucketUsage{
				Name: string(name), Keys: bs.KeyN,
				LeafPages: bs.LeafPageN, OverflowPages: bs.LeafOverflowN + bs.BranchOverflowN, BranchPages: bs.BranchPageN,
				InUse: int64(bs.LeafInuse + bs.BranchInuse),
			}
			pages := bs.LeafPageN + bs.LeafOverflowN + bs.BranchPageN + bs.BranchOverflowN
			if pages == 0 {
				u.InUse = 0 // an inline bucket: it lives in its parent's page
			}
			u.Bytes = int64(pages) * int64(st.PageSize)
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				u.Data += int64(len(k) + len(v))
				db.touch(tx, len(v)+costScanned/4)
				switch string(name) {
				case string(bPacks), string(bStage):
					l, err := parsePackBlob(v)
					if err != nil {
						continue // verify reports it
					}
					for _, e := range l.entries {
						st.Versions++
						st.RawBytes += int64(e.headLen + e.bodyLen)
						st.RecordJSONBytes += int64(e.recLen)
					}
					for _, g := range l.groups {
						st.RecordGroupBytes += int64(len(g))
					}
					st.PagesFrameBytes += int64(len(l.pages))
					st.StoredBytes += int64(len(v))
					if string(name) == string(bPacks) {
						for _, e := range l.entries {
							st.PackedRawBytes += int64(e.headLen + e.bodyLen)
						}
						st.Packs++
						st.PackedVersions += len(l.entries)
						st.PackBytes += int64(len(v))
					} else {
						st.StagedVersions += len(l.entries)
						st.StagedBytes += int64(len(v))
					}
				case string(bRawV1):
					st.Versions++
					st.StoredBytes += int64(len(v))
					if len(v) > blobHeaderN {
						if n, _, err := frameInfo(v[blobHeaderN:]); err == nil && n > 0 {
							st.RawBytes += n
						}
					}
				case string(bRecordsV1):
					st.RecordBytes += int64(len(v))
					if len(v) > blobHeaderN {
						if n, _, err := frameInfo(v[blobHeaderN:]); err == nil && n > 0 {
							st.RecordJSONBytes += n
						}
					}
				}
			}
			st.Buckets = append(st.Buckets, u)
			return nil
		}); err != nil {
			return err
		}
		return nil
	})
	return st, err
}
