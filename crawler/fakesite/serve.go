package fakesite

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveHTTP is the request pipeline: log → method/User-Agent checks →
// latency → burst throttle → forced fault → robots.txt → random fault →
// routed page, written as the fault says.
func (s *Site) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Seq:        s.log.begin(),
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Host:       r.Host,
		UserAgent:  r.UserAgent(),
		RemoteAddr: r.RemoteAddr,
		Start:      time.Now(),
		Proxy: ProxyHints{
			AbsoluteURI:   strings.HasPrefix(r.RequestURI, "http://") || strings.HasPrefix(r.RequestURI, "https://"),
			Via:           r.Header.Get("Via"),
			XForwardedFor: r.Header.Get("X-Forwarded-For"),
			Forwarded:     r.Header.Get("Forwarded"),
			ProxyConn:     r.Header.Get("Proxy-Connection"),
		},
	}
	defer func() {
		rec.End = time.Now()
		if r.Context().Err() != nil && rec.Status == 0 {
			rec.Canceled = true
		}
		s.log.end(rec)
	}()
	ctx := r.Context()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeSimple(w, &rec, http.StatusMethodNotAllowed, statusPage(http.StatusMethodNotAllowed), "")
		return
	}
	if rec.UserAgent == "" && !s.opts.AllowEmptyUserAgent {
		rec.Fault = FaultNoUA
		s.writeSimple(w, &rec, http.StatusForbidden, statusPage(http.StatusForbidden), "")
		return
	}
	if s.opts.Latency > 0 && !s.sleep(ctx, s.opts.Latency) {
		return
	}
	if s.faults.throttled(rec.Start) {
		rec.Fault = FaultThrottle
		s.writeSimple(w, &rec, http.StatusForbidden, statusPage(http.StatusForbidden), "")
		return
	}
	fault, forced := s.faults.takeForced(rec.Path)
	rec.Forced = forced
	resp := s.route(rec.Path, rec.Query)
	rec.Kind, rec.DocID, rec.Section, rec.Page = resp.kind, resp.docID, resp.section, resp.page
	if !forced {
		fault = s.faults.random(rec.Path)
	}
	if rec.Path == "/robots.txt" && fault.Kind == FaultNone {
		s.serveRobots(ctx, w, &rec)
		return
	}
	s.write(ctx, w, r, &rec, resp, fault)
}

func (s *Site) robotsResponse() response {
	s.mu.RLock()
	body := s.robots.Body
	s.mu.RUnlock()
	if body == "" {
		body = DefaultRobots
	}
	return response{status: 200, body: []byte(body), ctype: "text/plain; charset=utf-8", kind: KindRobots}
}

// serveRobots answers /robots.txt as Options.Robots says.
func (s *Site) serveRobots(ctx context.Context, w http.ResponseWriter, rec *Request) {
	s.mu.RLock()
	rb := s.robots
	s.mu.RUnlock()
	if rb.Hang {
		rec.Fault = FaultHang
		s.sleep(ctx, 0)
		s.abortIfAlive(ctx, w)
		return
	}
	if rb.Delay > 0 && !s.sleep(ctx, rb.Delay) {
		return
	}
	if rb.Status != 0 && rb.Status != http.StatusOK {
		if rb.Status == http.StatusTooManyRequests || rb.Status == http.StatusServiceUnavailable {
			ra := rb.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		}
		s.writeSimple(w, rec, rb.Status, statusPage(rb.Status), "")
		return
	}
	resp := s.robotsResponse()
	s.writeSimple(w, rec, 200, resp.body, resp.ctype)
}

// sleep waits d (0 = until the request or the site ends); false when the
// request ended first.
func (s *Site) sleep(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return d > 0
	}
}

func setCommonHeaders(h http.Header, ctype string, n int) {
	if ctype == "" {
		ctype = htmlType
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(n))
	h.Set("Server", "nginx")
}

// writeSimple writes a complete answer.
func (s *Site) writeSimple(w http.ResponseWriter, rec *Request, status int, body []byte, ctype string) {
	setCommonHeaders(w.Header(), ctype, len(body))
	w.WriteHeader(status)
	rec.Status = status
	if rec.Method == http.MethodHead {
		return
	}
	n, _ := w.Write(body)
	rec.Bytes += int64(n)
}

// write sends resp, shaped by fault.
func (s *Site) write(ctx context.Context, w http.ResponseWriter, r *http.Request, rec *Request, resp response, f Fault) {
	rec.Fault = f.Kind
	ff := &s.faults.f
	switch f.Kind {
	case FaultNone:
	case Fault403, Fault500, Fault502:
		code, _ := strconv.Atoi(string(f.Kind))
		s.writeSimple(w, rec, code, statusPage(code), "")
		return
	case Fault429, Fault503:
		code, _ := strconv.Atoi(string(f.Kind))
		ra := f.RetryAfter
		if ra <= 0 {
			ra = ff.retryAfter()
		}
		switch f.Form {
		case RetryAfterSeconds:
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		case RetryAfterDate:
			w.Header().Set("Retry-After", time.Now().Add(ra+time.Second).UTC().Format(http.TimeFormat))
		}
		s.writeSimple(w, rec, code, statusPage(code), "")
		return
	case FaultReset:
		s.reset(w, rec, false)
		return
	case FaultResetAfterHeaders:
		setCommonHeaders(w.Header(), resp.ctype, len(resp.body))
		w.WriteHeader(resp.status)
		rec.Status = resp.status
		s.reset(w, rec, true)
		return
	case FaultHang:
		d := f.Delay
		if d == 0 {
			d = ff.HangFor
		}
		if !s.sleep(ctx, d) || d == 0 {
			s.abortIfAlive(ctx, w) // nothing is sent
			return
		}
	case FaultSlow:
		d := f.Delay
		if d == 0 {
			d = ff.slowFor()
		}
		setCommonHeaders(w.Header(), resp.ctype, len(resp.body))
		w.WriteHeader(resp.status)
		rec.Status = resp.status
		if r.Method == http.MethodHead {
			return
		}
		const chunks = 20
		step := (len(resp.body) + chunks - 1) / chunks
		for i := 0; i < len(resp.body); i += step {
			end := min(i+step, len(resp.body))
			n, err := w.Write(resp.body[i:end])
			rec.Bytes += int64(n)
			if err != nil {
				return
			}
			flush(w)
			if end < len(resp.body) && !s.sleep(ctx, d/chunks) {
				return
			}
		}
		return
	case FaultTruncate:
		setCommonHeaders(w.Header(), resp.ctype, len(resp.body))
		w.WriteHeader(resp.status)
		rec.Status = resp.status
		if r.Method == http.MethodHead {
			return
		}
		n, _ := w.Write(resp.body[:len(resp.body)/2])
		rec.Bytes += int64(n)
		flush(w)
		s.closeConn(w, false)
		return
	case FaultChallenge:
		w.Header().Set("Set-Cookie", "__ddg1_="+strconv.FormatUint(mix(uint64(rec.Seq)), 36)+"; Path=/; HttpOnly")
		s.writeSimple(w, rec, 200, challengePage(s.opts.Lang, mix(uint64(rec.Seq))), "")
		return
	case FaultEmpty:
		s.writeSimple(w, rec, 200, nil, "")
		return
	case FaultWrongPage:
		resp = s.wrongPage(rec.Path, resp)
	case FaultRedirect:
		w.Header().Set("Location", ff.redirectTo()+rec.Path)
		s.writeSimple(w, rec, http.StatusFound, statusPage(http.StatusFound), "")
		return
	case FaultOversize:
		size := f.Size
		if size == 0 {
			size = ff.oversize()
		}
		s.writeOversize(ctx, w, rec, resp.body, size)
		return
	case FaultGzip:
		w.Header().Set("Content-Encoding", "gzip")
		if resp.location != "" {
			w.Header().Set("Location", resp.location)
		}
		s.writeSimple(w, rec, resp.status, gzipBytes(resp.body), resp.ctype)
		return
	case FaultGzipBomb:
		size := f.Size
		if size == 0 {
			size = ff.bombBytes()
		}
		w.Header().Set("Content-Encoding", "gzip")
		s.writeSimple(w, rec, 200, gzipBomb(size), "")
		return
	case FaultRedirectHTTPS:
		w.Header().Set("Location", "https://"+r.Host+r.URL.RequestURI())
		s.writeSimple(w, rec, http.StatusFound, statusPage(http.StatusFound), "")
		return
	}
	if resp.location != "" {
		w.Header().Set("Location", resp.location)
	}
	s.writeSimple(w, rec, resp.status, resp.body, resp.ctype)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// abortIfAlive closes the connection without an answer when a hang ended
// because the site closed (the client is still waiting); otherwise
// net/http would send an empty 200.
func (s *Site) abortIfAlive(ctx context.Context, w http.ResponseWriter) {
	if ctx.Err() == nil {
		s.closeConn(w, false)
	}
}

// reset hijacks the connection and closes it with RST (SO_LINGER 0).
func (s *Site) reset(w http.ResponseWriter, rec *Request, afterHeaders bool) {
	if afterHeaders {
		flush(w)
	}
	s.closeConn(w, true)
	if !afterHeaders {
		rec.Status = 0
	}
}

// closeConn hijacks and closes the connection; with rst the close sends a
// TCP reset. Without hijack support it aborts the handler.
func (s *Site) closeConn(w http.ResponseWriter, rst bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if buf != nil && buf.Writer.Buffered() > 0 {
		_ = buf.Flush()
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeOversize sends the page padded with an HTML comment to size bytes.
func (s *Site) writeOversize(ctx context.Context, w http.ResponseWriter, rec *Request, body []byte, size int64) {
	cut := bytes.LastIndex(body, []byte("</body>"))
	if cut < 0 {
		cut = len(body)
	}
	head, tail := body[:cut], body[cut:]
	const open, closing = "<!-- ", " -->"
	pad := size - int64(len(body)) - int64(len(open)+len(closing))
	if pad < 0 {
		pad = 0
	}
	total := int64(len(body)) + int64(len(open)+len(closing)) + pad
	setCommonHeaders(w.Header(), htmlType, int(total))
	w.WriteHeader(200)
	rec.Status = 200
	if rec.Method == http.MethodHead {
		return
	}
	write := func(p []byte) bool {
		n, err := w.Write(p)
		rec.Bytes += int64(n)
		return err == nil && ctx.Err() == nil
	}
	if !write(head) || !write([]byte(open)) {
		return
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for pad > 0 {
		n := min(pad, int64(len(chunk)))
		if !write(chunk[:n]) {
			return
		}
		pad -= n
	}
	if write([]byte(closing)) {
		write(tail)
	}
}

// wrongPage answers with another page of the same kind: another document
// for a document path, another listing page for a listing path.
func (s *Site) wrongPage(path string, orig response) response {
	s.mu.RLock()
	all := s.all
	var other *Doc
	if len(all) > 1 {
		for i, d := range all {
			if d.ID == orig.docID || (orig.docID == 0 && i == 0) {
				other = all[(i+1)%len(all)]
				break
			}
		}
		if other == nil {
			other = all[0]
		}
	}
	s.mu.RUnlock()
	switch orig.kind {
	case KindListing, KindByDate:
		pages := s.Pages(orig.section)
		p := orig.page%pages + 1
		if p == orig.page && pages > 1 {
			p = 1
		}
		wrong := s.listing(orig.section, p, "/events/president/"+orig.section+"/page/"+strconv.Itoa(p), false)
		wrong.kind, wrong.page = orig.kind, orig.page
		return wrong
	}
	if other == nil {
		return orig
	}
	body := s.rd.renderDoc(other, other.Canonical(), viewPage)
	return response{status: 200, body: body, ctype: htmlType, kind: orig.kind, docID: orig.docID, section: orig.section}
}
