package store

import (
	"encoding/json"
	"testing"
)

func TestRunMemo(t *testing.T) {
	var m runMemo
	enc := func(r Run) []byte {
		b, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kept := Run{ID: 1, Mode: "backfill", Args: []string{"--from=2020"}, New: 5}
	m.keep(enc(kept), kept)
	tests := []struct {
		name string
		raw  []byte
		want Run
	}{
		{"the bytes kept", enc(kept), kept},
		{"changed by another write", enc(Run{ID: 1, Mode: "backfill", Status: "ok", New: 9}), Run{ID: 1, Mode: "backfill", Status: "ok", New: 9}},
		{"another run", enc(Run{ID: 2, Mode: "crawl"}), Run{ID: 2, Mode: "crawl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.decode(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if string(enc(got)) != string(enc(tt.want)) {
				t.Errorf("decode = %+v, want %+v", got, tt.want)
			}
			if len(got.Args) > 0 {
				got.Args[0] = "changed"
				if again, _ := m.decode(tt.raw); again.Args[0] == "changed" {
					t.Error("the memo's Args are shared with a decoded run")
				}
			}
		})
	}
	if _, err := m.decode([]byte("{")); err == nil {
		t.Error("decode of a cut record: no error")
	}
}
