package store

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestSpeakerTableStorage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := db.SpeakerTable(); err != nil || b != nil {
		t.Fatalf("new archive: table %q, %v; want none", b, err)
	}
	for _, v := range [][]byte{[]byte(`{"format":1}`), []byte(`{"format":1,"labels":{"a b":"persons/1"}}`)} {
		if err := db.PutSpeakerTable(v); err != nil {
			t.Fatal(err)
		}
		if b, err := db.SpeakerTable(); err != nil || !bytes.Equal(b, v) {
			t.Fatalf("table %q, %v; want %q", b, err, v)
		}
	}
	db.Close()
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if b, err := ro.SpeakerTable(); err != nil || !bytes.Contains(b, []byte("persons/1")) {
		t.Errorf("read-only: %q, %v", b, err)
	}
}
