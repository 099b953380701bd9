package crawler

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
)

// proxyFunc chooses the proxy for each request: the configured one when
// set, else HTTP_PROXY / HTTPS_PROXY / NO_PROXY (upper or lower case).
//
// Unlike Go's http.ProxyFromEnvironment, loopback addresses are proxied
// too unless NO_PROXY names them: a user who sets HTTP_PROXY to reach the
// site through a tunnel on localhost means it for every request.
func proxyFunc(configured string) (func(*http.Request) (*url.URL, error), error) {
	if configured != "" {
		u, err := url.Parse(configured)
		if err != nil {
			return nil, fmt.Errorf("proxy: %s", redact.Secrets(err.Error()))
		}
		return http.ProxyURL(u), nil
	}
	env := proxyEnv{
		http:    getenv("HTTP_PROXY"),
		https:   getenv("HTTPS_PROXY"),
		noProxy: getenv("NO_PROXY"),
	}
	for _, p := range []*string{&env.http, &env.https} {
		if *p == "" {
			continue
		}
		u, err := parseProxy(*p)
		if err != nil {
			return nil, err
		}
		*p = u.String()
	}
	return env.proxy, nil
}

type proxyEnv struct{ http, https, noProxy string }

func getenv(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return os.Getenv(strings.ToLower(name))
}

func parseProxy(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		// "host:port" without a scheme means an HTTP proxy.
		u2, err2 := url.Parse("http://" + s)
		if err2 != nil || u2.Host == "" {
			return nil, fmt.Errorf("proxy environment variable: bad proxy URL %q", redactProxy(s))
		}
		u = u2
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy environment variable: unsupported scheme in %q (use http, https or socks5)", redactProxy(s))
	}
	return u, nil
}

func (e proxyEnv) proxy(req *http.Request) (*url.URL, error) {
	p := e.http
	if req.URL.Scheme == "https" {
		p = e.https
	}
	if p == "" || e.bypass(req.URL) {
		return nil, nil
	}
	return url.Parse(p)
}

// bypass implements NO_PROXY: comma-separated host names (a leading dot
// or none matches subdomains too), IP addresses, CIDR ranges, host:port
// pairs, or "*" for everything.
func (e proxyEnv) bypass(u *url.URL) bool {
	host, port := u.Hostname(), u.Port()
	ip := net.ParseIP(host)
	for _, entry := range strings.Split(e.noProxy, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry == "" {
			continue
		}
		if entry == "*" {
			return true
		}
		if _, cidr, err := net.ParseCIDR(entry); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return true
			}
			continue
		}
		eh, ep := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			eh, ep = h, p
		}
		if ep != "" && ep != port {
			continue
		}
		if eip := net.ParseIP(eh); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return true
			}
			continue
		}
		eh = strings.TrimPrefix(eh, "*")
		h := strings.ToLower(host)
		if strings.HasPrefix(eh, ".") {
			if strings.HasSuffix(h, eh) || h == eh[1:] {
				return true
			}
		} else if h == eh || strings.HasSuffix(h, "."+eh) {
			return true
		}
	}
	return false
}

// redactProxy is redact.Secrets for a proxy setting, which may lack the
// scheme ("user:password@host:port" means an HTTP proxy).
func redactProxy(s string) string {
	if strings.Contains(s, "://") {
		return redact.Secrets(s)
	}
	return strings.TrimPrefix(redact.Secrets("http://"+s), "http://")
}
