// Package samples finds, for tests, the real pages of en.kremlin.ru kept
// outside the project in shared/site/samples (a 2020 wget mirror). They
// are read at test time only, never copied into the repository.
package samples

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the mirror's directory (the one holding
// events/president/news/…) or skips t.
func Root(t testing.TB) string {
	t.Helper()
	dir, ok := Find()
	if !ok {
		t.Skip("real sample pages not found (set KREMLIN_SAMPLES to the samples folder, e.g. /work/shared/site/samples); skipping")
	}
	return dir
}

// Find returns the mirror's directory and whether it was found. It looks
// in $KREMLIN_SAMPLES, then in shared/site/samples beside every directory
// above the working directory.
func Find() (string, bool) {
	const mirror = "en.kremlin.ru-2020-08"
	var cands []string
	if env := os.Getenv("KREMLIN_SAMPLES"); env != "" {
		cands = append(cands, env, filepath.Join(env, mirror))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, "shared", "site", "samples", mirror))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(filepath.Join(c, "events", "president", "news")); err == nil && st.IsDir() {
			return c, true
		}
	}
	return "", false
}
