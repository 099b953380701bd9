package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
)

// ProxyError is a failure of the proxy between us and the site: it could
// not be reached, it refused the tunnel (CONNECT), or it answered in the
// site's place (407 Proxy Authentication Required, a 502 or 504 of its
// own, an error page marked as the proxy's). No answer from the site
// arrived, so it is a network error (wrapped in a *NetError): it is never
// taken for the site's answer — never stored, never a robots.txt — and it
// counts towards the host being unreachable. Proxy names the proxy with
// its password redacted.
type ProxyError struct {
	Proxy  string
	Status int    // the proxy's HTTP status, 0 when it gave none
	Reason string // what the status means here, or what failed
	Err    error  // the underlying network error, if any
}

func (e *ProxyError) Error() string {
	switch {
	case e.Status != 0:
		return fmt.Sprintf("the proxy %s answered %d %s (%s)", e.Proxy, e.Status, http.StatusText(e.Status), e.Reason)
	case e.Err != nil:
		return fmt.Sprintf("the proxy %s: %s: %v", e.Proxy, e.Reason, e.Err)
	}
	return fmt.Sprintf("the proxy %s: %s", e.Proxy, e.Reason)
}

func (e *ProxyError) Unwrap() error { return e.Err }

// cause says what went wrong in a few words, for UnreachableError.
func (e *ProxyError) cause() string {
	if e.Status != 0 {
		return fmt.Sprintf("the proxy %s answered %d %s", e.Proxy, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("the proxy %s %s", e.Proxy, e.Reason)
}

// fatal reports a proxy failure that retrying cannot cure within a run:
// the proxy wants credentials we do not have (or rejects ours).
func (e *ProxyError) fatal() bool { return e.Status == http.StatusProxyAuthRequired }

// proxyName is how messages name a proxy: its URL without the password.
func proxyName(p *url.URL) string { return redact.Secrets(p.String()) }

// proxyFor returns the proxy a request goes through (nil: direct).
func proxyFor(proxy func(*http.Request) (*url.URL, error), req *http.Request) *url.URL {
	if proxy == nil {
		return nil
	}
	p, err := proxy(req)
	if err != nil {
		return nil
	}
	return p
}

// proxyFailure turns a network error of a request made through proxy into
// a *ProxyError when it is the proxy's failure: it could not be reached
// (net/http's "proxyconnect" errors), the SOCKS handshake failed, or the
// proxy refused the CONNECT tunnel (onProxyConnect). Other errors, and
// every error of a direct request, are returned as they are.
func proxyFailure(proxy *url.URL, err error) error {
	if proxy == nil || err == nil {
		return err
	}
	var pe *ProxyError
	if errors.As(err, &pe) {
		return err
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "proxyconnect":
		return &ProxyError{Proxy: proxyName(proxy), Reason: "cannot be reached", Err: err}
	case strings.Contains(err.Error(), "socks connect"):
		return &ProxyError{Proxy: proxyName(proxy), Reason: "could not open a connection to the site", Err: err}
	}
	return err
}

// onProxyConnect is the transport's OnProxyConnectResponse hook: a proxy
// that refuses a CONNECT tunnel (407, 403, 502…) fails the request with a
// *ProxyError instead of net/http's bare status text.
func onProxyConnect(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	reason := "it refused the tunnel to " + req.Host
	if resp.StatusCode == http.StatusProxyAuthRequired {
		reason = "it wants credentials: put user:password into the proxy URL, or check them"
	}
	return &ProxyError{Proxy: proxyName(proxy), Status: resp.StatusCode, Reason: reason}
}

// proxyAnswer reports a response that comes from a forwarding proxy
// rather than from the site. Only plain-HTTP requests through an HTTP(S)
// proxy can get one: through a CONNECT tunnel or a SOCKS proxy the answer
// is the site's own. The proxy's are: 407 (always), 502 and 504 (the
// gateway's errors: whatever their origin, no page of the site came
// back), and any answer carrying a proxy's error marker (RFC 9209
// Proxy-Status with an error, Squid's X-Squid-Error).
func proxyAnswer(proxy *url.URL, req *http.Request, resp *http.Response) error {
	if proxy == nil || req.URL.Scheme != "http" || (proxy.Scheme != "http" && proxy.Scheme != "https") {
		return nil
	}
	st := resp.StatusCode
	reason := ""
	switch {
	case st == http.StatusProxyAuthRequired:
		reason = "it wants credentials: put user:password into the proxy URL, or check them"
	case resp.Header.Get("X-Squid-Error") != "":
		reason = "its error " + resp.Header.Get("X-Squid-Error")
	case strings.Contains(strings.ToLower(resp.Header.Get("Proxy-Status")), "error="):
		reason = "Proxy-Status: " + resp.Header.Get("Proxy-Status")
	case st == http.StatusBadGateway || st == http.StatusGatewayTimeout:
		reason = "no answer from the site came through it"
	default:
		return nil
	}
	return &ProxyError{Proxy: proxyName(proxy), Status: st, Reason: reason}
}

// proxyRefused stops the host at once when the proxy wants credentials
// (407): every later request would get the same answer. The host is
// unreachable, not refusing us: no cool-down is recorded.
func (g *gate) proxyRefused(err error) error {
	var pe *ProxyError
	if err == nil || !errors.As(err, &pe) || !pe.fatal() {
		return err
	}
	g.refused = &UnreachableError{Host: g.host, Cause: pe.cause(), Err: err}
	g.log.Warn("the proxy refuses us; stopping this host for this run", "err", err)
	return g.refused
}
