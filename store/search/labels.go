package search

import (
	"encoding/json"
	"errors"
	"os"
	"sync"
)

// labelSet maps the facet field's values to their labels as printed, per
// language ("p:persons/90" → "Lukashenko Alexander" in English,
// "Лукашенко Александр" in Russian): the first label seen for a value. It
// is kept in labels.json beside the index.
type labelSet struct {
	mu    sync.RWMutex
	m     map[string]map[string]string // lang → value → label
	dirty bool
}

func (l *labelSet) add(lang, value, label string) {
	l.mu.RLock()
	_, ok := l.m[lang][value]
	l.mu.RUnlock()
	if ok || label == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[string]string{}
	}
	if l.m[lang] == nil {
		l.m[lang] = map[string]string{}
	}
	if _, ok := l.m[lang][value]; !ok {
		l.m[lang][value] = label
		l.dirty = true
	}
}

// label returns the label of value, in lang when there is one (English
// when lang is "").
func (l *labelSet) label(lang, value string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if lang == "" {
		lang = "en"
	}
	if s, ok := l.m[lang][value]; ok {
		return s, true
	}
	for _, m := range l.m {
		if s, ok := m[value]; ok {
			return s, true
		}
	}
	return "", false
}

func (l *labelSet) load(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return json.Unmarshal(b, &l.m)
}

// save writes the labels when they changed since the last save.
func (l *labelSet) save(path string) error {
	l.mu.Lock()
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(l.m)
	l.dirty = false
	l.mu.Unlock()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
