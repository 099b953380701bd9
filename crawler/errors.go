package crawler

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable is wrapped by every error that stops work on a whole
// host for this run: the site refused us (403 burst, 429/503 with a long
// Retry-After, anti-bot pages), we are in a cool-down recorded by an
// earlier run, or robots.txt could not be read. The next run may retry
// (after the recorded cool-down).
var ErrUnavailable = errors.New("host unavailable")

// ErrDrift means the pages no longer look like the site's known layout:
// too many pages lacked the fields every page has.
var ErrDrift = errors.New("the site's page layout may have changed")

// ErrDisallowed is returned for a URL robots.txt disallows.
var ErrDisallowed = errors.New("disallowed by robots.txt")

// RefusedError says the site refused us and until when we stay away.
type RefusedError struct {
	Host   string
	Until  time.Time
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused us (%s); cooling down until %s", e.Host, e.Reason, e.Until.UTC().Format(time.RFC3339))
}

func (e *RefusedError) Unwrap() error { return ErrUnavailable }

// RobotsError says robots.txt of a host could not be read, so the host
// is treated as fully disallowed for now (RFC 9309 §2.3.1.3-4).
type RobotsError struct {
	Host   string
	Status int // 0 when no response
	Err    error
}

func (e *RobotsError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("robots.txt of %s answered %d; not crawling %s until it can be read", e.Host, e.Status, e.Host)
	}
	return fmt.Sprintf("robots.txt of %s is unreachable (%v); not crawling %s until it can be read", e.Host, e.Err, e.Host)
}

func (e *RobotsError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// NetError is a failed exchange: no complete response was received.
type NetError struct {
	URL       string
	Err       error
	Timeout   bool
	Truncated bool
}

func (e *NetError) Error() string { return fmt.Sprintf("GET %s: %v", e.URL, e.Err) }
func (e *NetError) Unwrap() error { return e.Err }

// TooLargeError is a response body over the configured limit (max_body).
// The body is never stored cut short.
type TooLargeError struct {
	URL      string
	Limit    int64
	Size     int64  // -1 when the server did not say
	Encoding string // set when the body is small but inflates beyond the limit (Content-Encoding)
}

func (e *TooLargeError) Error() string {
	if e.Encoding != "" {
		return fmt.Sprintf("GET %s: the %s-encoded body inflates to more than the max_body limit of %d bytes (a compression bomb, or a page far larger than any of the site's); raise max_body in crawl.yaml to archive it", e.URL, e.Encoding, e.Limit)
	}
	if e.Size > 0 {
		return fmt.Sprintf("GET %s: body of %d bytes is over the max_body limit of %d bytes; raise max_body in crawl.yaml to archive it", e.URL, e.Size, e.Limit)
	}
	return fmt.Sprintf("GET %s: body is over the max_body limit of %d bytes; raise max_body in crawl.yaml to archive it", e.URL, e.Limit)
}

// StatusError is an HTTP response that is not the page (404, 500 after
// retries, a single 403…).
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Status) }

// RedirectError is a redirect the crawler does not follow.
type RedirectError struct {
	URL, Location, Reason string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("GET %s: redirect to %s refused: %s", e.URL, e.Location, e.Reason)
}

// ErrUnreachable is wrapped by every error that stops work on a host
// because no answer came from it at all: DNS failure, connection refused
// or reset, timeouts, a proxy that cannot reach it. Unlike ErrUnavailable
// (the site answered and refused us), no cool-down is recorded: the next
// run tries again. The remedy is the operator's (a proxy, the Wayback
// Machine as a source, a corrected base_url).
var ErrUnreachable = errors.New("host unreachable")

// hostStopped reports an error that ends work on the whole host for this
// run: it refused us (ErrUnavailable) or does not answer (ErrUnreachable).
func hostStopped(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnreachable)
}

// UnreachableError says a host could not be reached and why.
type UnreachableError struct {
	Host  string
	Cause string // what failed, for the operator: "DNS lookup failed", "connection refused", …
	Err   error  // the last network error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s cannot be reached (%s): %v", e.Host, e.Cause, e.Err)
}

func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// NetFailure is what failed in an exchange that got no answer, in the
// categories an operator acts on differently.
type NetFailure int

const (
	NetOther      NetFailure = iota
	NetNoSuchHost            // DNS: the name does not exist
	NetDNS                   // DNS lookup failed (resolver error, timeout)
	NetProxy                 // the configured proxy cannot be reached
	NetRefused               // connection refused
	NetReset                 // connection reset or broken
	NetNoRoute               // no route to the host or network
	NetTLS                   // TLS certificate not trusted
	NetTimeout               // no answer in time
)

// ClassifyNet says what failed in a network error.
func ClassifyNet(err error) NetFailure {
	var dns *net.DNSError
	var ne *NetError
	var opErr *net.OpError
	var pe *ProxyError
	if errors.As(err, &pe) {
		return NetProxy
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case err == nil:
		return NetOther
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return NetNoSuchHost
		}
		return NetDNS
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return NetProxy
	case strings.Contains(err.Error(), "proxyconnect") || strings.Contains(err.Error(), "socks connect"):
		return NetProxy
	case errors.Is(err, syscall.ECONNREFUSED):
		return NetRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return NetReset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return NetNoRoute
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), strings.Contains(err.Error(), "tls: "):
		return NetTLS
	case errors.As(err, &ne) && ne.Timeout:
		return NetTimeout
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return NetTimeout
	}
	return NetOther
}

// netCause names what failed in a network error, in words an operator
// can act on.
func netCause(err error) string {
	var pe *ProxyError
	if errors.As(err, &pe) {
		return pe.cause()
	}
	switch ClassifyNet(err) {
	case NetNoSuchHost, NetDNS:
		var dns *net.DNSError
		errors.As(err, &dns)
		if dns.IsNotFound {
			return "DNS: no such host " + dns.Name
		}
		return "DNS lookup of " + dns.Name + " failed"
	case NetProxy:
		return "the proxy cannot be reached"
	case NetRefused:
		return "connection refused"
	case NetReset:
		return "connection reset"
	case NetNoRoute:
		return "no route to the host"
	case NetTLS:
		if strings.Contains(err.Error(), "tls: ") {
			return "TLS handshake failed"
		}
		return "TLS certificate not trusted"
	case NetTimeout:
		return "timed out"
	}
	return "network error"
}
