package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// fetcher makes one HTTP GET at a time through colly and returns the
// response exactly as received. colly is used as a plain synchronous
// client: its robots.txt check, visited set, redirect following, retries
// and body limit are all off, because they do not meet an archive's needs
// (see the package documentation); the host gate does those jobs.
type fetcher struct {
	c       *colly.Collector
	capture *captureTransport
	auth    *siteAuth // credentials of the base URL, if it has any
}

// newTransport builds the HTTP transport shared by every host gate: proxy,
// TLS roots, timeouts, no compression, no connection reuse.
func newTransport(o *Options) (*http.Transport, error) {
	proxy, err := proxyFunc(o.Proxy)
	if err != nil {
		return nil, err
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate found in it", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	return &http.Transport{
		Proxy: proxy,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:   tlsConf,
		ForceAttemptHTTP2: false,
		// One connection per host, kept between requests that follow each
		// other closely (a backfill at a short delay: no TCP and TLS
		// handshake per page, for the site nor for us), closed when idle
		// longer than keepIdle: at polite delays each request opens its
		// own, so a connection the server closed meanwhile is rarely
		// reused. When it is, net/http sends the request again on a new
		// connection; captureTransport sees it (httptrace) and the gate
		// counts it as a request of its own.
		MaxConnsPerHost:       1,
		MaxIdleConnsPerHost:   1,
		IdleConnTimeout:       keepIdle,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		// Never ask for or undo compression: the archive keeps the bytes
		// the server sent, and hashes those.
		DisableCompression: true,
		// A proxy refusing a CONNECT tunnel is the proxy's failure.
		OnProxyConnectResponse: onProxyConnect,
	}, nil
}

// keepIdle is how long an idle connection to a host is kept for the next
// request (servers commonly close theirs after 5 to 75 s).
const keepIdle = 4 * time.Second

// newFetcher builds the collector of one host gate over the shared transport.
func newFetcher(tr http.RoundTripper, o *Options) *fetcher {
	capture := &captureTransport{base: tr, maxBody: o.MaxBody}
	if ht, ok := tr.(*http.Transport); ok {
		capture.proxy = ht.Proxy
	}
	c := colly.NewCollector()
	// NewCollector applies COLLY_* environment variables after its options;
	// set every field that matters here, after it, so a stray variable in a
	// cron environment cannot switch anything off.
	c.UserAgent = o.UserAgent
	c.Headers = nil
	c.IgnoreRobotsTxt = true // robots.txt is obeyed by the host gate, not by colly
	c.AllowURLRevisit = true // refetch decisions are the archive's, not colly's
	c.ParseHTTPErrorResponse = true
	c.MaxBodySize = 0 // the capture transport enforces the limit, with an error
	c.MaxDepth = 0
	c.MaxRequests = 0
	c.CacheDir = ""
	c.AllowedDomains = nil
	c.DisallowedDomains = nil
	c.URLFilters = nil
	c.DisallowedURLFilters = nil
	c.DetectCharset = false
	c.TraceHTTP = false
	c.Async = false
	c.WithTransport(capture)
	// No client timeout: get gives every request a context with the
	// deadline, and a client timeout as well costs a second timer and
	// goroutine per request (colly's default would be 10s).
	c.SetRequestTimeout(0)
	c.SetRedirectHandler(func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // the gate follows redirects itself
	})
	return &fetcher{c: c, capture: capture}
}

// get fetches u once. It returns the raw response for any HTTP status;
// an error means no complete response was received.
func (f *fetcher) get(ctx context.Context, u string, timeout time.Duration) (*store.Raw, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f.c.Context = ctx
	f.capture.reset()
	hdr := http.Header{}
	hdr.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	f.auth.set(hdr, u)
	err := f.c.Request(http.MethodGet, u, nil, nil, hdr)
	raw, capErr := f.capture.take()
	if capErr != nil {
		return nil, capErr
	}
	if raw != nil {
		return raw, nil
	}
	if err == nil {
		err = errors.New("no response")
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, &NetError{URL: u, Err: fmt.Errorf("no complete response within %s", timeout), Timeout: true}
	}
	return nil, &NetError{URL: u, Err: err}
}

// captureTransport records each response exactly as it arrives (status,
// headers, body bytes before any decoding), enforces the body size limit
// with an error instead of silent truncation, and detects short bodies.
type captureTransport struct {
	base    http.RoundTripper
	maxBody int64
	proxy   func(*http.Request) (*url.URL, error) // the transport's proxy choice, to tell its answers from the site's

	mu   sync.Mutex
	raw  *store.Raw
	err  error
	sent int // times the last request was sent (0: never)
}

func (t *captureTransport) reset() {
	t.mu.Lock()
	t.raw, t.err, t.sent = nil, nil, 0
	t.mu.Unlock()
}

// sentTimes is how many times the last request went out: 0 when it never
// reached the transport, 2 when net/http resent it on a new connection.
func (t *captureTransport) sentTimes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}

func (t *captureTransport) take() (*store.Raw, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.raw, t.err
}

func (t *captureTransport) fail(err error) error {
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
	return err
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	proxy := proxyFor(t.proxy, req)
	// Each connection the transport takes for this request is one
	// request sent: more than one means it resent the request after a
	// kept connection failed.
	var conns atomic.Int32
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { conns.Add(1) },
	}))
	resp, err := t.base.RoundTrip(req)
	t.mu.Lock()
	t.sent = max(int(conns.Load()), 1)
	t.mu.Unlock()
	if err != nil {
		return nil, t.fail(&NetError{URL: u, Err: proxyFailure(proxy, err), Timeout: isTimeout(req.Context(), err)})
	}
	defer resp.Body.Close()
	if perr := proxyAnswer(proxy, req, resp); perr != nil {
		return nil, t.fail(&NetError{URL: u, Err: perr})
	}
	if resp.ContentLength > t.maxBody {
		return nil, t.fail(&TooLargeError{URL: u, Limit: t.maxBody, Size: resp.ContentLength})
	}
	body, err := readBody(resp.Body, resp.ContentLength, t.maxBody+1)
	if err != nil {
		return nil, t.fail(&NetError{URL: u, Err: fmt.Errorf("body cut off after %d bytes: %w", len(body), err), Truncated: true, Timeout: isTimeout(req.Context(), err)})
	}
	if int64(len(body)) > t.maxBody {
		return nil, t.fail(&TooLargeError{URL: u, Limit: t.maxBody, Size: -1})
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, t.fail(&NetError{URL: u, Err: fmt.Errorf("body has %d bytes, Content-Length says %d", len(body), resp.ContentLength), Truncated: true})
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" && resp.ContentLength < 0 {
		if n, perr := strconv.ParseInt(cl, 10, 64); perr == nil && n != int64(len(body)) {
			return nil, t.fail(&NetError{URL: u, Err: fmt.Errorf("body has %d bytes, Content-Length says %d", len(body), n), Truncated: true})
		}
	}
	raw := &store.Raw{
		URL:       u,
		FetchedAt: time.Now().UTC(),
		Proto:     resp.Proto,
		Status:    resp.StatusCode,
		Header:    resp.Header.Clone(),
		Body:      body,
	}
	t.mu.Lock()
	t.raw = raw
	t.mu.Unlock()
	// colly gets no body: the archive reads the raw bytes captured here,
	// and decodes them itself within max_body (decodeBody). Given one,
	// colly would gunzip it without any limit (a 1 MB gzip bomb is 1 GiB
	// of memory), then copy it again.
	resp.Body = http.NoBody
	resp.ContentLength = 0
	resp.Uncompressed = true // nothing for colly to inflate
	return resp, nil
}

func isTimeout(ctx context.Context, err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(ctx.Err(), context.DeadlineExceeded)
}
