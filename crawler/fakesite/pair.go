package fakesite

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
)

// Pair is an EN and a RU site on two servers, with partially overlapping
// IDs (see GeneratePair).
type Pair struct {
	EN, RU             *Site
	ENServer, RUServer *httptest.Server
}

// StartPair generates nEN English and nRU Russian documents sharing overlap
// IDs and serves each language on its own httptest server. configure, if
// not nil, adjusts each site's options (Lang and Docs are already set)
// before it is built.
func StartPair(nEN, nRU, overlap int, seed int64, configure func(*Options)) *Pair {
	en, ru := GeneratePair(nEN, nRU, overlap, seed)
	mk := func(lang string, docs []Doc) *Site {
		if docs == nil {
			docs = []Doc{}
		}
		o := Options{Lang: lang, Docs: docs, Seed: seed}
		if configure != nil {
			configure(&o)
		}
		o.Lang, o.Docs = lang, docs
		return New(o)
	}
	p := &Pair{EN: mk(LangEN, en), RU: mk(LangRU, ru)}
	p.ENServer = p.EN.Start()
	p.RUServer = p.RU.Start()
	return p
}

// Close closes both servers.
func (p *Pair) Close() {
	p.EN.Close()
	p.RU.Close()
	p.ENServer.Close()
	p.RUServer.Close()
}

// HostHandler serves several sites on one server, choosing by the Host
// header (or the host of an absolute-form proxy request): en.kremlin.ru →
// the EN site, kremlin.ru and www.kremlin.ru → the RU site. Any other host
// gets the first site. Point a crawler's HTTP proxy at a server running
// this handler to crawl http://en.kremlin.ru and http://kremlin.ru
// "through a proxy" without the network.
func HostHandler(sites ...*Site) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		want := ""
		switch host {
		case "en.kremlin.ru":
			want = LangEN
		case "kremlin.ru", "www.kremlin.ru":
			want = LangRU
		}
		for _, s := range sites {
			if s.Lang() == want {
				s.Handler().ServeHTTP(w, r)
				return
			}
		}
		if len(sites) > 0 {
			sites[0].Handler().ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}
