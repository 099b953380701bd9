package store_test

import (
	"bytes"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// versionsOf maps each document of an archive to its versions' raw
// digests, oldest first.
func versionsOf(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if err := db.ScanDocs(func(d *store.Doc) error {
		key := fmt.Sprintf("%s/%d", d.Lang, d.ID)
		vs, err := db.Versions(d.Lang, d.ID)
		if err != nil {
			return err
		}
		for _, v := range vs {
			out[key] = append(out[key], v.Record.RawSHA256+" "+v.Record.Title)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// After any damage of the indexes, repair leaves an archive that verify
// finds clean, where every document kept all its versions or is in the
// frontier to be fetched again, and no version it kept is one it did not
// have.
func TestDB_Repair_IndexDamage(t *testing.T) {
	cases := indexDamageCases()
	// Changed bytes in each kind of entry, beside the damages verify's
	// own test makes.
	flip := func(bkt string, key func(tx *bolt.Tx) []byte, off int) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b := bucket(tx, bkt)
			k := key(tx)
			v := bytes.Clone(b.Get(k))
			if off < 0 {
				off += len(v)
			}
			v[off] ^= 0x04
			return b.Put(k, v)
		}
	}
	docKey := func(id int64) func(*bolt.Tx) []byte { return func(*bolt.Tx) []byte { return store.DocKey("en", id) } }
	packOf := func(id int64) func(*bolt.Tx) []byte {
		return func(tx *bolt.Tx) []byte { return store.PackKey(docOf(tx, "en", id).LocsForTest()[0][0]) }
	}
	stageOf := func(id int64) func(*bolt.Tx) []byte {
		return func(tx *bolt.Tx) []byte {
			l := docOf(tx, "en", id).LocsForTest()[0]
			return store.StageKey(l[0], int(l[1]))
		}
	}
	for _, off := range []int{0, 5, 20, -9, -1} {
		cases = append(cases,
			indexDamage{name: fmt.Sprintf("doc byte %d", off), edit: flip(store.BucketDocs, docKey(7), off)},
			indexDamage{name: fmt.Sprintf("pending byte %d", off), edit: flip(store.BucketPending, func(*bolt.Tx) []byte { return store.DocKey("ru", 1) }, off)},
			indexDamage{name: fmt.Sprintf("pack byte %d", off), edit: flip(store.BucketPacks, packOf(2), off)},
			indexDamage{name: fmt.Sprintf("staged byte %d", off), edit: flip(store.BucketStage, stageOf(11), off)},
		)
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			path := buildArchive(t, 12, false)
			db := openNoCheck(t, path)
			before := versionsOf(t, db)
			db.Close()
			boltEdit(t, path, tt.edit)
			db = openNoCheck(t, path)
			if ps, _ := verifyProblems(t, db); len(ps) == 0 {
				t.Fatal("verify found nothing")
			}
			var acts []store.RepairAction
			st, err := db.Repair(func(a store.RepairAction) { acts = append(acts, a) })
			if err != nil {
				t.Fatal(err)
			}
			if ps, _ := verifyProblems(t, db); len(ps) != 0 {
				t.Fatalf("after repair (%+v, %q): %q", st, acts, ps)
			}
			after := versionsOf(t, db)
			pend, err := db.PendingList("")
			if err != nil {
				t.Fatal(err)
			}
			pending := map[string]bool{}
			for _, p := range pend {
				pending[fmt.Sprintf("%s/%d", p.Lang, p.ID)] = true
			}
			for doc, vs := range before {
				got := after[doc]
				if fmt.Sprint(got) == fmt.Sprint(vs) {
					continue
				}
				if !pending[doc] {
					t.Errorf("%s: versions %q became %q and it is not queued for refetch", doc, vs, got)
				}
				for _, v := range got {
					if !contains(vs, v) {
						t.Errorf("%s: repair kept a version it did not have: %q", doc, v)
					}
				}
			}
			for doc := range after {
				if before[doc] == nil {
					t.Errorf("%s: a document repair made up", doc)
				}
			}
			// A second repair has nothing to do.
			st, err = db.Repair(func(store.RepairAction) {})
			if err != nil || !st.NothingToRepair {
				t.Errorf("second repair: %+v, %v", st, err)
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
