package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/config"
	"github.com/kremlin-archive/kremlin-archive/config/redact"
	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// Exit codes. Documented in README.md and in `kremlin-archive help`.
const (
	ExitOK          = 0   // done
	ExitError       = 1   // something failed; see the message
	ExitUsage       = 2   // bad command line or crawl.yaml
	ExitPartial     = 3   // finished, but some documents failed; they are retried by later runs
	ExitRefused     = 4   // the site refused us (throttled, blocked, robots.txt unreadable); the next run respects the recorded cool-down
	ExitDrift       = 5   // pages no longer look like the site's known layout
	ExitLocked      = 6   // another kremlin-archive run holds the archive
	ExitUnreachable = 7   // a host could not be reached at all (DNS, connection, timeout, proxy); no cool-down
	ExitInterrupted = 130 // stopped by SIGINT/SIGTERM; the next run resumes
)

// ErrPartial means the run finished but some documents failed.
var ErrPartial = errors.New("some documents could not be archived")

// UsageError is a bad command line or configuration. Hint says what to do.
type UsageError struct {
	Msg  string
	Hint string
}

func (e *UsageError) Error() string { return e.Msg }

func usageErr(hint, format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// hintError adds a "Try:" line to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// interruptedError is an interruption whose consequence is not "run it
// again to resume" (an export starts over); msg says what it is.
type interruptedError struct {
	err error // wraps context.Canceled
	msg string
}

func (e *interruptedError) Error() string { return e.msg }
func (e *interruptedError) Unwrap() error { return e.err }

// loggedError is an error already reported in the log (JSON logs): it
// sets the exit code but prints nothing more.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ue *UsageError
	var fe *config.FieldError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue), errors.As(err, &fe), errors.Is(err, config.ErrNotFound):
		return ExitUsage
	case errors.Is(err, store.ErrLocked):
		return ExitLocked
	case errors.Is(err, crawler.ErrUnreachable):
		return ExitUnreachable
	case errors.Is(err, crawler.ErrUnavailable):
		return ExitRefused
	case errors.Is(err, crawler.ErrDrift):
		return ExitDrift
	case errors.Is(err, ErrPartial):
		return ExitPartial
	}
	return ExitError
}

// report prints err (if any) with its hint and returns the exit code.
func report(w io.Writer, err error) int {
	code := exitCode(err)
	var le *loggedError
	if errors.As(err, &le) {
		return code
	}
	if err == nil || code == ExitInterrupted {
		if code == ExitInterrupted {
			var ie *interruptedError
			if errors.As(err, &ie) {
				fmt.Fprintln(w, "Interrupted:", ie.msg)
			} else {
				fmt.Fprintln(w, "Interrupted: the archive is consistent; run the same command again to resume.")
			}
		}
		return code
	}
	msg := redact.Secrets(err.Error()) // cron mails this: never a password
	if code == ExitUsage {
		fmt.Fprintln(w, "Error:", strings.ReplaceAll(msg, "\n", "\n       "))
	} else {
		fmt.Fprintln(w, "Error:", msg)
	}
	var ue *UsageError
	var he *hintError
	switch {
	case errors.As(err, &ue) && ue.Hint != "":
		fmt.Fprintln(w, "Try:  ", ue.Hint)
	case errors.As(err, &he):
		fmt.Fprintln(w, "Try:  ", he.hint)
	case code == ExitUsage:
		fmt.Fprintln(w, "Try:   kremlin-archive help")
	case code == ExitLocked:
		fmt.Fprintln(w, "Try:   wait for the other run to finish (cron: this run was skipped, nothing is lost)")
	case code == ExitRefused:
		fmt.Fprintln(w, "Try:   nothing now: the next run waits for the cool-down; see README \"Troubleshooting\" if it keeps happening")
	case code == ExitDrift:
		fmt.Fprintln(w, "Try:   check a page of the site by hand; if its layout changed, update kremlin-archive")
	case code == ExitPartial:
		fmt.Fprintln(w, "Try:   kremlin-archive stats   (lists the failed documents; later runs retry them)")
	}
	return code
}
