package main

import "time"

// executableReleaseEvery is how often a crawl lets go of its executable's
// pages again (releaseExecutable). Its hot code and read-only data
// (~12.5 MiB: the runtime's tables read by every collection, the parser,
// the store, net/http) come back within a second; what a run used once
// (a listing's end, a dictionary's training, the other language's
// parse) stays out. Without it an 80,000-document backfill's executable
// pages grew from 13.6 to 14.7 MiB over the run. Each release costs a
// few hundred page faults.
const executableReleaseEvery = 30 * time.Second

// keepExecutableReleased releases the executable's pages now and every
// executableReleaseEvery until the returned function is called.
func keepExecutableReleased() (stop func()) {
	releaseExecutable()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(executableReleaseEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				releaseExecutable()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
