package crawler

import (
	"net/http"
	"net/url"
	"strings"
)

// siteAuth holds the credentials of a base URL with user information
// (http://user:password@mirror/). They travel in an Authorization
// header, never in the URLs the crawler builds: those URLs end up in
// messages, the run ledger, the frontier and the archive itself
// (source_url, WARC-Target-URI).
type siteAuth struct {
	host string // host name the credentials are for
	user *url.Userinfo
}

// authFor returns the credentials of the first base URL of sites that
// has any (the sites of one gate share a host), or nil.
func authFor(sites []Site) *siteAuth {
	for _, s := range sites {
		if s.Base != nil && s.Base.User != nil {
			return &siteAuth{host: s.Base.Hostname(), user: s.Base.User}
		}
	}
	return nil
}

// set adds Basic credentials to a request for u when u is on their host
// (redirects to another host never carry them).
func (a *siteAuth) set(h http.Header, u string) {
	if a == nil {
		return
	}
	pu, err := url.Parse(u)
	if err != nil || !strings.EqualFold(pu.Hostname(), a.host) {
		return
	}
	pw, _ := a.user.Password()
	req := http.Request{Header: h}
	req.SetBasicAuth(a.user.Username(), pw)
}
