//go:build !unix

package store

import "os"

// lockSupported is false where flock(2) does not exist: there the writer
// keeps the archive file for its whole run (bbolt's own lock excludes a
// second writer) and read-only commands wait for it, as before the
// reader protocol existed.
const lockSupported = false

func tryLock(f *os.File, exclusive bool) (bool, error) { return true, nil }

func unlock(f *os.File) error { return nil }
