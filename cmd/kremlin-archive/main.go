// Command kremlin-archive keeps a complete, faithful archive of the
// website of the President of Russia (en.kremlin.ru and kremlin.ru): raw
// pages and parsed records in one bbolt file, crawled politely, resumable
// after any stop, exportable as JSONL and WARC.
//
// Run `kremlin-archive help` for the commands and exit codes, and
// `kremlin-archive COMMAND --help` for each command.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	_ "time/tzdata" // Europe/Moscow on systems without a zoneinfo database
)

func main() {
	// No heap profile sampling: nothing here reads one, and its records
	// of allocation sites held ~1.4 MiB of a backfill's heap
	// (runtime/metrics /memory/classes/profiling/buckets). Set first, as
	// the runtime asks.
	runtime.MemProfileRate = 0
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the context is done; restore default handling
	// so a second ^C kills at once.
	context.AfterFunc(ctx, stop)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := report(os.Stderr, err)
	stop()
	os.Exit(code)
}
