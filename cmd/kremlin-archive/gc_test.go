package main

import (
	"os"
	"runtime"
	"testing"
)

// TestTuneRuntime: a crawl runs on one P unless GOMAXPROCS says
// otherwise, and the previous setting comes back after the last run.
func TestTuneRuntime(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set: the crawl keeps it")
	}
	before := runtime.GOMAXPROCS(0)
	oneP = true
	defer func() { oneP = false }()
	restore1 := tuneRuntime()
	restore2 := tuneRuntime() // a second run in the same process
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS during a crawl = %d, want 1", n)
	}
	restore2()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS while a run is left = %d, want 1", n)
	}
	restore1()
	if n := runtime.GOMAXPROCS(0); n != before {
		t.Errorf("GOMAXPROCS after the runs = %d, want %d", n, before)
	}
}
