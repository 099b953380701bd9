package kremlin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdatedLabel: the known wordings of the "last updated" label, in
// both languages and letter cases, parse without a warning; an unknown one
// is warned about (the layout-drift signal) and the time is read anyway.
func TestUpdatedLabel(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ru_news.html"))
	if err != nil {
		t.Fatal(err)
	}
	m := fixtureHeader.FindSubmatch(b)
	body := b[len(m[0]):]
	const label = "Последнее обновление:"
	if !bytes.Contains(body, []byte(label)) {
		t.Fatalf("fixture does not carry the label %q", label)
	}
	tests := []struct {
		label string
		warn  bool
	}{
		{"Последнее обновление:", false},
		{"последнее обновление", false},
		{"ПОСЛЕДНЕЕ ОБНОВЛЕНИЕ:", false},
		{"Дата последнего обновления:", false},
		{"Дата обновления:", false},
		{"Обновлено:", false},
		{"Обновлён", false},
		{"Текст обновлён:", false},
		{"Last updated at", false},
		{"Опубликовано:", true},
		{"Дата создания:", true},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			page := bytes.Replace(body, []byte(label), []byte(tt.label), 1)
			doc, err := ParseDocument(page, string(m[1]), Options{Lang: "ru"})
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range doc.Warnings {
				if strings.HasPrefix(w, "updated:") {
					warned = true
				}
			}
			if warned != tt.warn {
				t.Errorf("label %q: warned %v (%q), want %v", tt.label, warned, doc.Warnings, tt.warn)
			}
			if doc.Record.Updated == nil || !strings.HasPrefix(*doc.Record.Updated, "2025-05-08T18:30") {
				t.Errorf("label %q: updated = %v, want 2025-05-08T18:30…", tt.label, doc.Record.Updated)
			}
		})
	}
}
