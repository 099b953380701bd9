package fakesite

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// HTTPProxy is a forwarding HTTP proxy (absolute-form requests, as
// clients send them to a proxy) that counts what it forwards, for tests of
// the crawler's proxy support.
type HTTPProxy struct {
	URL  string       // http://127.0.0.1:port
	Hits atomic.Int64 // requests forwarded

	srv   *httptest.Server
	tr    *http.Transport
	mu    sync.Mutex
	hosts map[string]bool
}

// StartHTTPProxy starts a forwarding proxy on loopback.
func StartHTTPProxy() *HTTPProxy {
	p := &HTTPProxy{hosts: map[string]bool{}, tr: &http.Transport{DisableCompression: true, Proxy: nil}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Close stops the proxy.
func (p *HTTPProxy) Close() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
}

// Hosts lists the hosts requests were forwarded to.
func (p *HTTPProxy) Hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sortedKeys(p.hosts)
}

func (p *HTTPProxy) serve(w http.ResponseWriter, r *http.Request) {
	if !r.URL.IsAbs() {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	p.Hits.Add(1)
	p.mu.Lock()
	p.hosts[r.URL.Host] = true
	p.mu.Unlock()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Proxy-Connection")
	req.Header.Set("Via", "1.1 fakesite-proxy")
	resp, err := p.tr.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// SOCKS5Proxy is a minimal SOCKS5 server (no authentication, CONNECT
// only) that counts connections and the bytes it relays to the client.
type SOCKS5Proxy struct {
	URL   string       // socks5://127.0.0.1:port
	Conns atomic.Int64 // connections accepted
	Down  atomic.Int64 // bytes relayed from targets to clients

	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	targets map[string]bool
}

// StartSOCKS5 starts a SOCKS5 proxy on loopback.
func StartSOCKS5() (*SOCKS5Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &SOCKS5Proxy{ln: ln, targets: map[string]bool{}, URL: "socks5://" + ln.Addr().String()}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.Conns.Add(1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p, nil
}

// Close stops the proxy and waits for its connections to end.
func (p *SOCKS5Proxy) Close() {
	p.ln.Close()
	p.wg.Wait()
}

// Targets lists the host:port targets clients connected to.
func (p *SOCKS5Proxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sortedKeys(p.targets)
}

func (p *SOCKS5Proxy) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil || hdr[0] != 5 {
		return
	}
	if _, err := io.ReadFull(r, make([]byte, hdr[1])); err != nil {
		return
	}
	c.Write([]byte{5, 0}) // no authentication
	req := make([]byte, 4)
	if _, err := io.ReadFull(r, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1, 4:
		ip := make([]byte, map[byte]int{1: 4, 4: 16}[req[3]])
		if _, err := io.ReadFull(r, ip); err != nil {
			return
		}
		host = net.IP(ip).String()
	case 3:
		l, err := r.ReadByte()
		if err != nil {
			return
		}
		name := make([]byte, l)
		if _, err := io.ReadFull(r, name); err != nil {
			return
		}
		host = string(name)
	default:
		return
	}
	pb := make([]byte, 2)
	if _, err := io.ReadFull(r, pb); err != nil {
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(pb[0])<<8|int(pb[1])))
	p.mu.Lock()
	p.targets[target] = true
	p.mu.Unlock()
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, r); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(countingWriter{c, &p.Down}, up); done <- struct{}{} }()
	<-done
}

// countingWriter counts the bytes written through it as they pass.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
