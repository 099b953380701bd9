package crawler

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// hostScope tells the gate which origins are the host's own — those of
// its sites' base URLs — and gives its fetcher the base URL's
// credentials. Only the host's own origins decide whether the host can
// be crawled: robots.txt of another origin that a redirect leads to
// (https:// on the same host, a host of allow_redirect_hosts) concerns
// the documents redirected there, never the host.
func (g *gate) hostScope(sites []Site) {
	g.f.auth = authFor(sites)
	g.own = map[string]bool{}
	for _, s := range sites {
		g.own[originKey(s.Base.Scheme, s.Base.Host)] = true
	}
}

// originKey is the canonical form of an origin: lower case, without the
// scheme's default port.
func originKey(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

// ownOrigin reports whether origin ("scheme://host:port") is one of the
// host's own. A gate without a scope (tests of the gate alone) owns
// every origin.
func (g *gate) ownOrigin(origin string) bool {
	if g.own == nil {
		return true
	}
	scheme, host, _ := strings.Cut(origin, "://")
	return g.own[originKey(scheme, host)]
}

func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// OriginError says that an origin other than the host's own, reached by
// a redirect, cannot be used: its robots.txt cannot be read (so nothing
// there may be fetched) or it does not answer. It is the failure of the
// document that was redirected there — the document backs off and `stats`
// names it with this error — never of the host: it wraps neither
// ErrUnavailable nor ErrUnreachable.
type OriginError struct {
	Origin string
	Err    error
}

func (e *OriginError) Error() string {
	return fmt.Sprintf("%s, reached by a redirect, cannot be used: %v", e.Origin, e.Err)
}

// foreignFailed turns the failure of another origin's robots.txt into an
// *OriginError, remembered for the rest of the run so that the next
// document redirected there fails at once. A refusal (429 on robots.txt,
// which starts a cool-down of the host: the same server is throttling
// us) is returned unchanged.
func (g *gate) foreignFailed(origin string, err error) error {
	var re *RefusedError
	if errors.As(err, &re) {
		return err
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Cause, ue.Err)
	}
	oe := &OriginError{Origin: origin, Err: err}
	if g.badOrigins == nil {
		g.badOrigins = map[string]error{}
	}
	g.badOrigins[origin] = oe
	g.log.Warn("an origin reached by a redirect cannot be used; the documents redirected there fail, the host goes on",
		"origin", origin, "err", err)
	return oe
}
