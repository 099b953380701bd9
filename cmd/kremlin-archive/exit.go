package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
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
	fmt.Fprintln(w, "Error:", indent(redact.Secrets(err.Error()))) // cron mails this: never a password
	var ue *UsageError
	var he *hintError
	hint := ""
	switch {
	case errors.As(err, &ue) && ue.Hint != "":
		hint = ue.Hint
	case errors.As(err, &he):
		hint = he.hint
	case code == ExitUsage:
		hint = "kremlin-archive help"
	case code == ExitLocked:
		hint = "wait for the other run to finish (cron: this run was skipped, nothing is lost)"
	case code == ExitRefused:
		hint = "nothing now: the next run waits for the cool-down; see README \"Troubleshooting\" if it keeps happening"
	case code == ExitUnreachable:
		hint = "check the network and the proxy; nothing was recorded, the next run tries again"
	case code == ExitDrift:
		hint = "check a page of the site by hand; if its layout changed, update kremlin-archive"
	case code == ExitPartial:
		hint = "kremlin-archive stats   (lists the failed documents; later runs retry them)"
	case errors.Is(err, store.ErrPagesDamaged):
		hint = damagedPagesHint
	case errors.Is(err, store.ErrCorrupt):
		hint = damagedHint
	}
	if hint != "" {
		fmt.Fprintln(w, "Try:  ", indent(redact.Secrets(hint)))
	}
	return code
}

// indent lines up the continuation lines of a message under its first.
func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n       ")
}

// unreachableHint says, for each host of err that could not be reached,
// what to do about it: the remedy depends on what failed and on whether
// the host is the real site or a mirror the operator runs.
func unreachableHint(err error, cfg *config.Config) string {
	var lines []string
	seen := map[string]bool{}
	walkErrors(err, func(e error) {
		ue, ok := e.(*crawler.UnreachableError)
		if !ok || seen[ue.Host] {
			return
		}
		seen[ue.Host] = true
		lines = append(lines, hostRemedy(ue, cfg))
	})
	lines = append(lines, "Nothing was recorded (no cool-down): the next run tries again.")
	return strings.Join(lines, "\n")
}

// walkErrors calls fn for err and every error it wraps.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	}
}

// siteOf finds the configured site whose base URL is on host (host:port).
func siteOf(cfg *config.Config, host string) (int, *config.Site) {
	for i := range cfg.Sites {
		if u, err := url.Parse(cfg.Sites[i].BaseURL); err == nil && (u.Host == host || u.Hostname() == host) {
			return i, &cfg.Sites[i]
		}
	}
	return -1, nil
}

func hostRemedy(ue *crawler.UnreachableError, cfg *config.Config) string {
	name := ue.Host
	if h, _, err := net.SplitHostPort(ue.Host); err == nil {
		name = h
	}
	field := "sites[].base_url"
	if i, s := siteOf(cfg, ue.Host); s != nil {
		field = fmt.Sprintf("sites[%d].base_url (%s)", i, s.BaseURL)
	}
	real := config.IsRealHost(name)
	proxied := cfg.Proxy != "" || os.Getenv("HTTPS_PROXY") != "" || os.Getenv("HTTP_PROXY") != "" || os.Getenv("https_proxy") != "" || os.Getenv("http_proxy") != ""
	const blocked = "the site blocks many foreign and datacenter addresses at the network level: " +
		"set proxy: in crawl.yaml to a proxy in Russia (e.g. socks5://127.0.0.1:1080 over ssh -D), " +
		"or take the missing pages from the Wayback Machine: --wayback fallback (wayback: {use: fallback} in crawl.yaml)"
	viaProxy := "the proxy reached nothing: check that the proxy itself can reach " + name + ", or use --wayback fallback"
	switch crawler.ClassifyNet(ue.Err) {
	case crawler.NetNoSuchHost:
		if real {
			return fmt.Sprintf("%s: the name does not resolve here: check this machine's DNS resolver (a resolver that filters the site looks the same); a SOCKS5 proxy (socks5h://) resolves names on its side", name)
		}
		return fmt.Sprintf("%s: no such host: fix %s in crawl.yaml", name, field)
	case crawler.NetDNS:
		return fmt.Sprintf("%s: the DNS lookup failed: check this machine's network and resolver", name)
	case crawler.NetProxy:
		return fmt.Sprintf("%s: the proxy does not answer: start it, or fix proxy: in crawl.yaml (or HTTPS_PROXY/HTTP_PROXY)", name)
	case crawler.NetTLS:
		return fmt.Sprintf("%s: its TLS certificate is not trusted here: set ca_file in crawl.yaml to its CA bundle (README, \"HTTPS\"), or use http:// in %s", name, field)
	case crawler.NetRefused:
		switch {
		case real && proxied:
			return fmt.Sprintf("%s: connection refused through the proxy: %s", name, viaProxy)
		case real:
			return fmt.Sprintf("%s: connection refused: %s", name, blocked)
		}
		return fmt.Sprintf("%s: connection refused: nothing listens there; start the mirror or server, or fix %s in crawl.yaml", name, field)
	}
	what := "no answer (timeouts, resets)"
	switch {
	case real && proxied:
		return fmt.Sprintf("%s: %s through the proxy: %s", name, what, viaProxy)
	case real:
		return fmt.Sprintf("%s: %s: if this machine's network works, %s", name, what, blocked)
	}
	return fmt.Sprintf("%s: %s: check that it is up and reachable from here, and %s in crawl.yaml", name, what, field)
}

// The remedies for a damaged archive.
const (
	damagedHint = "kremlin-archive verify   (lists every damaged document), then\n" +
		"kremlin-archive repair   (drops the damaged copies and entries, keeps every good version, queues\n" +
		"                          the documents concerned for the next crawl to fetch again)"
	damagedPagesHint = "kremlin-archive verify   (reports the damage), then\n" +
		"kremlin-archive repair   (copies every readable entry into a new file, keeps the damaged one as\n" +
		"                          <db>.damaged, and queues what was lost for the next crawl to fetch again)"
)
