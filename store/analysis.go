package store

import (
	bolt "go.etcd.io/bbolt"
)

// Derived data the archive keeps for analysis, rebuilt offline (by
// `reparse`) from the records: today the speaker alias table. It lives in
// a bucket of its own, created on first write, so archives without it
// read as before.

var (
	bAnalysis     = []byte("analysis")
	kSpeakerTable = []byte("speaker_table")
)

// PutSpeakerTable stores the encoded speaker alias table, replacing any
// earlier one.
func (db *DB) PutSpeakerTable(b []byte) error {
	return db.update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bAnalysis)
		if err != nil {
			return err
		}
		return bk.Put(kSpeakerTable, sealJSON(kSpeakerTable, b))
	})
}

// SpeakerTable returns the stored speaker alias table, nil when the
// archive has none yet.
func (db *DB) SpeakerTable() ([]byte, error) {
	var out []byte
	err := db.safeView(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bAnalysis)
		if bk == nil {
			return nil
		}
		if v := bk.Get(kSpeakerTable); v != nil {
			out = unsealJSON(kSpeakerTable, v)
		}
		return nil
	})
	return out, err
}
