package fakesite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// freshClient never reuses connections, so a fault hits exactly one
// request (the transport does not silently retry on a reused connection).
func freshClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true},
	}
}

func lastReq(t *testing.T, s *Site) Request {
	t.Helper()
	// the handler logs after it returns; wait briefly for it
	for i := 0; i < 200; i++ {
		if rs := s.Requests(); len(rs) > 0 && s.InFlight() == 0 {
			return rs[len(rs)-1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("request not logged")
	return Request{}
}

func TestFaultModes(t *testing.T) {
	s := New(Options{N: 30, Seed: 41, Faults: Faults{RedirectTo: "http://elsewhere.invalid"}})
	srv := s.Start()
	defer srv.Close()
	c := freshClient(3 * time.Second)
	id := s.IDs("news")[0]
	path := docPath("news", id)
	u := srv.URL + path
	normal, _ := s.Page(path)

	run := func(f Fault) (*http.Response, []byte, error, Request) {
		t.Helper()
		s.WaitIdle(time.Second)
		s.ResetLog()
		s.ForcePath(path, f, 1)
		resp, body, err := fetch(t, c, u)
		return resp, body, err, lastReq(t, s)
	}

	for _, k := range []FaultKind{Fault403, Fault500, Fault502} {
		resp, _, err, rec := run(Fault{Kind: k})
		want, _ := strconv.Atoi(string(k))
		if err != nil || resp.StatusCode != want || rec.Fault != k || !rec.Forced {
			t.Errorf("%s: %v %v %+v", k, resp, err, rec)
		}
	}
	for _, k := range []FaultKind{Fault429, Fault503} {
		resp, _, _, _ := run(Fault{Kind: k, Form: RetryAfterSeconds, RetryAfter: 3 * time.Second})
		if resp.Header.Get("Retry-After") != "3" {
			t.Errorf("%s seconds: Retry-After %q", k, resp.Header.Get("Retry-After"))
		}
		resp, _, _, _ = run(Fault{Kind: k, Form: RetryAfterDate, RetryAfter: 5 * time.Second})
		ra, err := http.ParseTime(resp.Header.Get("Retry-After"))
		if err != nil || ra.Before(time.Now()) {
			t.Errorf("%s date: Retry-After %q (%v)", k, resp.Header.Get("Retry-After"), err)
		}
		resp, _, _, _ = run(Fault{Kind: k, Form: RetryAfterNone})
		if _, has := resp.Header["Retry-After"]; has || resp.StatusCode != map[FaultKind]int{Fault429: 429, Fault503: 503}[k] {
			t.Errorf("%s none: %d %q", k, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}

	// reset before any response
	if _, _, err, rec := run(Fault{Kind: FaultReset}); err == nil || rec.Status != 0 || rec.Fault != FaultReset {
		t.Errorf("reset: err %v, rec %+v", err, rec)
	}
	// headers, then reset
	resp, _, err, rec := run(Fault{Kind: FaultResetAfterHeaders})
	if err == nil {
		t.Errorf("reset-after-headers: no error (status %d)", resp.StatusCode)
	}
	if rec.Status != 200 {
		t.Errorf("reset-after-headers logged status %d", rec.Status)
	}
	// truncated body
	resp, body, err, rec := run(Fault{Kind: FaultTruncate})
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) != len(normal)/2 || resp.ContentLength != int64(len(normal)) {
		t.Errorf("truncate: err %v, %d of %d bytes, CL %d", err, len(body), len(normal), resp.ContentLength)
	}
	if rec.Bytes != int64(len(normal)/2) {
		t.Errorf("truncate logged %d bytes", rec.Bytes)
	}
	// challenge page
	resp, body, _, _ = run(Fault{Kind: FaultChallenge})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("challenge-form")) || bytes.Contains(body, []byte("read__in")) {
		t.Errorf("challenge: %d", resp.StatusCode)
	}
	// empty
	resp, body, _, _ = run(Fault{Kind: FaultEmpty})
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 0 {
		t.Errorf("empty: %d, %d bytes", resp.StatusCode, len(body))
	}
	// wrong page
	resp, body, _, _ = run(Fault{Kind: FaultWrongPage})
	got, _ := parseDoc(body, LangEN, RealBaseEN)
	if resp.StatusCode != 200 || got.ID == id || got.ID == 0 {
		t.Errorf("wrong page: %d, page of %d", resp.StatusCode, got.ID)
	}
	// redirect off host
	resp, _, _, _ = run(Fault{Kind: FaultRedirect})
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != 302 || loc == nil || loc.Host != "elsewhere.invalid" || loc.Path != path {
		t.Errorf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// oversize
	resp, body, err, _ = run(Fault{Kind: FaultOversize, Size: 1 << 20})
	if err != nil || len(body) != 1<<20 || resp.ContentLength != 1<<20 || !bytes.HasSuffix(body, []byte("</html>")) {
		t.Errorf("oversize: %v, %d bytes", err, len(body))
	}
	// slow: complete, but takes the time
	start := time.Now()
	resp, body, err, _ = run(Fault{Kind: FaultSlow, Delay: 200 * time.Millisecond})
	if err != nil || !bytes.Equal(body, normal) || time.Since(start) < 150*time.Millisecond {
		t.Errorf("slow: %v, %d bytes in %s", err, len(body), time.Since(start))
	}
	// hang with a limit: the page comes late
	start = time.Now()
	resp, body, err, _ = run(Fault{Kind: FaultHang, Delay: 150 * time.Millisecond})
	if err != nil || !bytes.Equal(body, normal) || time.Since(start) < 140*time.Millisecond {
		t.Errorf("hang 150ms: %v after %s", err, time.Since(start))
	}
	// hang without limit: the client's deadline ends it
	short := freshClient(150 * time.Millisecond)
	s.WaitIdle(time.Second)
	s.ResetLog()
	s.ForcePath(path, Fault{Kind: FaultHang}, 1)
	_, _, err = fetch(t, short, u)
	if err == nil {
		t.Error("hang: no timeout")
	}
	rec = lastReq(t, s)
	if rec.Fault != FaultHang || !rec.Canceled || rec.Status != 0 {
		t.Errorf("hang logged %+v", rec)
	}
	// and after all that, the path serves normally
	resp, body, err = fetch(t, c, u)
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, normal) {
		t.Errorf("after faults: %v %v", resp, err)
	}
}

func TestHangEndsOnClose(t *testing.T) {
	s := New(Options{N: 5, Seed: 42, Robots: Robots{Hang: true}})
	srv := s.Start()
	done := make(chan error, 1)
	go func() {
		_, _, err := fetch(t, freshClient(0), srv.URL+"/robots.txt") // no client timeout
		done <- err
	}()
	for s.InFlight() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("server Close blocked on a hanging request")
	}
	<-done
}

func TestRobotsVariants(t *testing.T) {
	s := New(Options{N: 5, Seed: 43})
	srv := s.Start()
	defer srv.Close()
	c := freshClient(2 * time.Second)
	get := func() (*http.Response, string, error) {
		resp, b, err := fetch(t, c, srv.URL+"/robots.txt")
		return resp, string(b), err
	}
	for _, st := range []int{404, 500, 503, 429} {
		s.SetRobots(Robots{Status: st, RetryAfter: 2 * time.Second})
		resp, _, err := get()
		if err != nil || resp.StatusCode != st {
			t.Fatalf("robots %d: %v %v", st, resp, err)
		}
		if (st == 429 || st == 503) && resp.Header.Get("Retry-After") != "2" {
			t.Errorf("robots %d Retry-After %q", st, resp.Header.Get("Retry-After"))
		}
	}
	s.SetRobots(Robots{Body: RobotsWith("Crawl-delay: 7", "Disallow: /events/president/transcripts")})
	_, body, _ := get()
	if !strings.Contains(body, "Crawl-delay: 7") || !strings.Contains(body, "Disallow: /events/president/transcripts") || !strings.HasPrefix(body, "User-agent: *") {
		t.Errorf("robots body %q", body)
	}
	s.SetRobots(Robots{Delay: 100 * time.Millisecond})
	start := time.Now()
	if _, body, _ := get(); body != DefaultRobots || time.Since(start) < 90*time.Millisecond {
		t.Error("robots delay")
	}
	s.SetRobots(Robots{Hang: true})
	if _, _, err := fetch(t, freshClient(100*time.Millisecond), srv.URL+"/robots.txt"); err == nil {
		t.Error("robots hang: no timeout")
	}
	s.SetRobots(Robots{})
	s.ForcePath("/robots.txt", Fault{Kind: Fault503, Form: RetryAfterNone}, 2)
	for i := 0; i < 2; i++ {
		if resp, _, _ := get(); resp.StatusCode != 503 {
			t.Errorf("forced robots 503: %d", resp.StatusCode)
		}
	}
	if resp, body, _ := get(); resp.StatusCode != 200 || body != DefaultRobots {
		t.Errorf("robots after forced faults: %d", resp.StatusCode)
	}
}

func TestThrottleBurst(t *testing.T) {
	s := New(Options{N: 30, Seed: 44, Faults: Faults{Throttle: &Throttle{Requests: 5, BlockRequests: 3}}})
	srv := s.Start()
	defer srv.Close()
	c := client()
	var got []int
	for i := 0; i < 14; i++ {
		resp, _ := mustFetch(t, c, srv.URL+"/events/president/news")
		got = append(got, resp.StatusCode)
	}
	want := []int{200, 200, 200, 200, 200, 403, 403, 403, 200, 200, 200, 200, 200, 403}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v\nwant     %v", got, want)
	}
	if s.ThrottleBlocks() != 2 {
		t.Errorf("blocks %d", s.ThrottleBlocks())
	}
	if rs := s.Requests(); rs[5].Fault != FaultThrottle {
		t.Errorf("throttled request logged as %q", rs[5].Fault)
	}

	// time-based: 4 quick requests within 1s → blocked for 150ms
	s2 := New(Options{N: 10, Seed: 45, Faults: Faults{Throttle: &Throttle{Requests: 4, Window: time.Second, BlockFor: 150 * time.Millisecond}}})
	srv2 := s2.Start()
	defer srv2.Close()
	for i := 0; i < 4; i++ {
		if resp, _ := mustFetch(t, c, srv2.URL+"/robots.txt"); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := mustFetch(t, c, srv2.URL+"/robots.txt"); resp.StatusCode != 403 {
		t.Fatalf("5th quick request: %d", resp.StatusCode)
	}
	time.Sleep(200 * time.Millisecond)
	if resp, _ := mustFetch(t, c, srv2.URL+"/robots.txt"); resp.StatusCode != 200 {
		t.Fatalf("after the block: %d", resp.StatusCode)
	}

	// a polite client never trips a windowed throttle
	s3 := New(Options{N: 10, Seed: 46, Faults: Faults{Throttle: &Throttle{Requests: 3, Window: 100 * time.Millisecond, BlockFor: time.Second}}})
	srv3 := s3.Start()
	defer srv3.Close()
	for i := 0; i < 6; i++ {
		if resp, _ := mustFetch(t, c, srv3.URL+"/events/president/news"); resp.StatusCode != 200 {
			t.Fatalf("polite request %d: %d", i, resp.StatusCode)
		}
		time.Sleep(60 * time.Millisecond)
	}
}

var fastKinds = map[FaultKind]float64{
	Fault403: 0.1, Fault429: 0.1, Fault503: 0.1, Fault500: 0.05, Fault502: 0.05,
	FaultReset: 0.05, FaultTruncate: 0.05, FaultChallenge: 0.05, FaultEmpty: 0.05, FaultWrongPage: 0.05,
}

func TestFaultDecisionsDeterministic(t *testing.T) {
	f := Faults{Seed: 9, Rates: fastKinds, MaxConsecutive: 2}
	g := Faults{Seed: 9, Rates: fastKinds, MaxConsecutive: 2}
	h := Faults{Seed: 10, Rates: fastKinds, MaxConsecutive: 2}
	same, diff := true, false
	for i := 0; i < 200; i++ {
		p := "/events/president/news/" + itoa(int64(50000+i%17))
		if f.Decide(p, i/17) != g.Decide(p, i/17) {
			same = false
		}
		if f.Decide(p, i/17) != h.Decide(p, i/17) {
			diff = true
		}
	}
	if !same || !diff {
		t.Fatalf("same seed equal: %v, other seed differs: %v", same, diff)
	}

	// the server's decisions equal Decide
	s := New(Options{N: 30, Seed: 47, Faults: f})
	srv := s.Start()
	defer srv.Close()
	c := freshClient(2 * time.Second)
	path := "/events/president/news"
	for n := 0; n < 25; n++ {
		fetch(t, c, srv.URL+path)
	}
	s.WaitIdle(time.Second)
	rs := s.Requests()
	for n, r := range rs {
		if want := f.Decide(path, n).Kind; r.Fault != want {
			t.Fatalf("request %d: fault %q, Decide says %q", n, r.Fault, want)
		}
	}
}

func TestMaxConsecutive(t *testing.T) {
	all := map[FaultKind]float64{Fault503: 0.5, Fault500: 0.5} // every draw is a fault
	for _, m := range []int{1, 2, 3} {
		f := Faults{Seed: 1, Rates: all, MaxConsecutive: m}
		var pattern []bool
		for n := 0; n < 12; n++ {
			pattern = append(pattern, f.Decide("/x", n).Kind != FaultNone)
		}
		for n, faulted := range pattern {
			if want := n%(m+1) != m; faulted != want {
				t.Fatalf("max %d: pattern %v", m, pattern)
			}
		}
	}
	// realistic rates: no path ever has more than MaxConsecutive faults in a row
	f := Faults{Seed: 3, Rates: map[FaultKind]float64{Fault503: 0.4, FaultReset: 0.3}, MaxConsecutive: 2}
	for i := 0; i < 100; i++ {
		run := 0
		var st pathFaultState
		p := "/p/" + itoa(int64(i))
		for n := 0; n < 50; n++ {
			if st.next(&f, p).Kind != FaultNone {
				run++
				if run > 2 {
					t.Fatalf("%s: %d faults in a row", p, run)
				}
			} else {
				run = 0
			}
		}
	}
	// unbounded
	u := Faults{Seed: 1, Rates: all, MaxConsecutive: -1}
	for n := 0; n < 10; n++ {
		if u.Decide("/x", n).Kind == FaultNone {
			t.Fatal("unbounded faults let a request through")
		}
	}
}

// TestBoundedRetriesArchiveEverything shows the property crawler tests rely
// on: with MaxConsecutive = M, fetching each document up to M+1 times gets
// every genuine page.
func TestBoundedRetriesArchiveEverything(t *testing.T) {
	s := New(Options{N: 40, Seed: 48, Faults: Faults{Seed: 5, Rates: fastKinds, MaxConsecutive: 2}})
	srv := s.Start()
	defer srv.Close()
	c := freshClient(2 * time.Second)
	faulted := 0
	for _, d := range s.Docs() {
		path := docPath(d.Canonical(), d.ID)
		want, _ := s.Page(path)
		ok := false
		var log []string
		for attempt := 0; attempt < 3 && !ok; attempt++ {
			start := time.Now()
			resp, body, err := fetch(t, c, srv.URL+path)
			if err == nil && resp.StatusCode == 200 && bytes.Equal(body, want) {
				ok = true
			} else {
				faulted++
				code := 0
				if resp != nil {
					code = resp.StatusCode
				}
				log = append(log, fmt.Sprintf("attempt %d: %d, %d bytes, %v after %s", attempt, code, len(body), err, time.Since(start)))
			}
		}
		if !ok {
			t.Fatalf("doc %d not fetched in 3 attempts: %v", d.ID, log)
		}
		s.WaitIdle(time.Second)
		if s.DocFetchesOK(d.ID) != 1 {
			t.Fatalf("doc %d: %d good fetches", d.ID, s.DocFetchesOK(d.ID))
		}
	}
	if faulted == 0 {
		t.Error("no faults happened")
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("seed=7,max=3,429=0.02,503=0.01,reset=0.01,burst=150/60s:30s,burst-extend,retry-after=2s,oversize-bytes=1000")
	if err != nil {
		t.Fatal(err)
	}
	if f.Seed != 7 || f.MaxConsecutive != 3 || f.Rates[Fault429] != 0.02 || f.RetryAfter != 2*time.Second || f.OversizeBytes != 1000 {
		t.Errorf("parsed %+v", f)
	}
	if th := f.Throttle; th == nil || th.Requests != 150 || th.Window != time.Minute || th.BlockFor != 30*time.Second || !th.Extend {
		t.Errorf("throttle %+v", f.Throttle)
	}
	g, err := ParseFaults(f.String())
	if err != nil || g.String() != f.String() {
		t.Errorf("round trip %q → %q (%v)", f.String(), g.String(), err)
	}
	b, err := ParseFaults("burst=20:5r")
	if err != nil || b.Throttle.BlockRequests != 5 || b.Throttle.Requests != 20 {
		t.Errorf("burst count: %+v %v", b.Throttle, err)
	}
	for _, bad := range []string{"bogus=1", "429=2", "429=0.6,503=0.6", "burst=x:1s", "burst-once"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConcurrentMutationsAndRequests(t *testing.T) {
	s := New(Options{N: 60, Seed: 49, Faults: Faults{Seed: 1, Rates: map[FaultKind]float64{Fault503: 0.1}}})
	srv := s.Start()
	defer srv.Close()
	c := client()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				fetch(t, c, srv.URL+"/events/president/news/page/2")
				fetch(t, c, srv.URL+"/events/president/transcripts")
			}
		}()
	}
	for i := 0; i < 5; i++ {
		s.AddDocs(s.NewDocs(1)...)
		ids := s.IDs("news")
		s.Update(ids[3], func(d *Doc) { d.Title += " (updated)" })
		s.Remove(ids[len(ids)-1])
	}
	wg.Wait()
	s.WaitIdle(time.Second)
	if len(s.Requests()) != 80 {
		t.Errorf("%d requests logged", len(s.Requests()))
	}
}
