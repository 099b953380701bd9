// Command kremlin-fakesite serves a generated copy of en.kremlin.ru and/or
// kremlin.ru (crawler/fakesite) on a local address, for benchmarks and
// manual crawler runs:
//
//	kremlin-fakesite -addr 127.0.0.1:8080 -lang en -docs 5000 -seed 1 \
//	    -faults 'seed=7,max=2,503=0.02,reset=0.01,burst=150/60s:30s' -log requests.jsonl
//
// With -wayback it also serves a fake Wayback Machine holding captures of
// the site's pages (CDX server and playback, crawler/fakesite.Wayback);
// with -live-down the site itself drops every connection, as kremlin.ru
// does for most of the world:
//
//	kremlin-fakesite -addr 127.0.0.1:8080 -docs 3000 -live-down -wayback 127.0.0.1:8090
//
// It prints the base URL of each host; on SIGINT or SIGTERM it prints a
// summary (requests, statuses, faults, duplicate document fetches, peak
// concurrency, smallest gap between requests) to stderr and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kremlin-fakesite:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, addrRU string
	lang         string
	docs, ruDocs int
	overlap      int
	seed         int64
	perPage      int
	faults       string
	quirks       string
	logPath      string
	latency      time.Duration
	robotsStatus int
	crawlDelay   int
	allowNoUA    bool

	wayback      string // address of the fake Wayback Machine ("" = none)
	waybackPlain bool
	wayback429   int
	waybackRA    time.Duration
	liveDown     bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("kremlin-fakesite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address (the EN host with -lang both)")
	fs.StringVar(&c.addrRU, "addr-ru", "", "listen address of the RU host with -lang both (default: port of -addr + 1)")
	fs.StringVar(&c.lang, "lang", "en", "en, ru or both")
	fs.IntVar(&c.docs, "docs", 5000, "number of generated documents (EN with -lang both)")
	fs.IntVar(&c.ruDocs, "ru-docs", 0, "RU documents with -lang both (default: -docs × 1.4)")
	fs.IntVar(&c.overlap, "overlap", -1, "IDs present on both hosts with -lang both (default: all EN documents)")
	fs.Int64Var(&c.seed, "seed", 1, "corpus seed")
	fs.IntVar(&c.perPage, "per-page", 20, "listing page size")
	fs.StringVar(&c.quirks, "listing-quirks", "", "hostile listings: no-data-page, endless=repeat-last, endless=same-page (comma-separated)")
	fs.StringVar(&c.faults, "faults", "", "fault spec, e.g. seed=7,max=2,429=0.02,503=0.01,reset=0.01,hang=0.005,burst=150/60s:30s")
	fs.StringVar(&c.logPath, "log", "", "append every request as a JSON line to this file")
	fs.DurationVar(&c.latency, "latency", 0, "added latency per request")
	fs.IntVar(&c.robotsStatus, "robots-status", 0, "answer /robots.txt with this status instead of 200")
	fs.IntVar(&c.crawlDelay, "crawl-delay", 0, "add Crawl-delay: N to robots.txt")
	fs.BoolVar(&c.allowNoUA, "allow-empty-ua", false, "serve requests without User-Agent (the real site answers 403)")
	fs.StringVar(&c.wayback, "wayback", "", "also serve a fake Wayback Machine with captures of the site(s) at this address")
	fs.BoolVar(&c.waybackPlain, "wayback-plain", false, "one plain capture per document (no noise, no bad captures)")
	fs.IntVar(&c.wayback429, "wayback-429", 0, "every N-th request to each Wayback endpoint answers 429")
	fs.DurationVar(&c.waybackRA, "wayback-retry-after", time.Second, "Retry-After of the Wayback's 429s (0: none)")
	fs.BoolVar(&c.liveDown, "live-down", false, "the site(s) drop every connection (use with -wayback)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch c.lang {
	case "en", "ru", "both":
	default:
		return c, fmt.Errorf("-lang must be en, ru or both, got %q", c.lang)
	}
	return c, nil
}

// host is one served site.
type host struct {
	site *fakesite.Site
	srv  *http.Server
	ln   net.Listener
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	faults, err := fakesite.ParseFaults(c.faults)
	if err != nil {
		return err
	}
	quirks, err := fakesite.ParseQuirks(c.quirks)
	if err != nil {
		return err
	}
	var (
		logMu  sync.Mutex
		logEnc *json.Encoder
	)
	if c.logPath != "" {
		f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logEnc = json.NewEncoder(f)
	}
	opts := func(lang string, docs []fakesite.Doc) fakesite.Options {
		o := fakesite.Options{
			Lang: lang, Docs: docs, Seed: c.seed, PerPage: c.perPage,
			Faults: faults, Latency: c.latency, AllowEmptyUserAgent: c.allowNoUA,
			Quirks: quirks,
		}
		if docs == nil {
			o.N = c.docs
		}
		if c.robotsStatus != 0 {
			o.Robots.Status = c.robotsStatus
		}
		if c.crawlDelay > 0 {
			o.Robots.Body = fakesite.RobotsWith("Crawl-delay: " + strconv.Itoa(c.crawlDelay))
		}
		if logEnc != nil {
			o.OnRequest = func(r fakesite.Request) {
				logMu.Lock()
				defer logMu.Unlock()
				_ = logEnc.Encode(struct {
					Lang string `json:"lang"`
					fakesite.Request
				}{lang, r})
			}
		}
		return o
	}

	var sites []*fakesite.Site
	var addrs []string
	switch c.lang {
	case "both":
		ru := c.ruDocs
		if ru == 0 {
			ru = c.docs * 7 / 5
		}
		ov := c.overlap
		if ov < 0 {
			ov = c.docs
		}
		en, rud := fakesite.GeneratePair(c.docs, ru, ov, c.seed)
		sites = []*fakesite.Site{fakesite.New(opts("en", en)), fakesite.New(opts("ru", rud))}
		ruAddr := c.addrRU
		if ruAddr == "" {
			h, p, err := net.SplitHostPort(c.addr)
			if err != nil {
				return err
			}
			n, _ := strconv.Atoi(p)
			if n != 0 {
				n++
			}
			ruAddr = net.JoinHostPort(h, strconv.Itoa(n))
		}
		addrs = []string{c.addr, ruAddr}
	default:
		sites = []*fakesite.Site{fakesite.New(opts(c.lang, nil))}
		addrs = []string{c.addr}
	}

	var hosts []host
	var drops []*fakesite.DropServer
	for i, s := range sites {
		ln, err := net.Listen("tcp", addrs[i])
		if err != nil {
			for _, h := range hosts {
				h.ln.Close()
			}
			for _, d := range drops {
				d.Close()
			}
			return err
		}
		if c.liveDown {
			drops = append(drops, fakesite.DropOn(ln))
			fmt.Fprintf(stdout, "kremlin-fakesite: %s (%d documents) at http://%s drops every connection\n", s.Lang(), len(s.Docs()), ln.Addr())
			continue
		}
		h := host{site: s, ln: ln, srv: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second}}
		hosts = append(hosts, h)
		fmt.Fprintf(stdout, "kremlin-fakesite: %s (%d documents, %d news pages) at http://%s\n",
			s.Lang(), len(s.Docs()), s.Pages("news"), ln.Addr())
	}
	defer func() {
		for _, d := range drops {
			d.Close()
		}
	}()
	var wb *fakesite.Wayback
	if c.wayback != "" {
		wb = fakesite.NewWayback(fakesite.WaybackOptions{Sites: sites, Seed: c.seed, Plain: c.waybackPlain,
			Limits: fakesite.WaybackLimits{CDXEvery: c.wayback429, WebEvery: c.wayback429, RetryAfter: c.waybackRA}})
		ln, err := net.Listen("tcp", c.wayback)
		if err != nil {
			for _, h := range hosts {
				h.ln.Close()
			}
			return err
		}
		hosts = append(hosts, host{ln: ln, srv: &http.Server{Handler: wb.Handler(), ReadHeaderTimeout: 30 * time.Second}})
		archivable := 0
		for _, d := range wb.Docs("") {
			if d.Archivable {
				archivable++
			}
		}
		fmt.Fprintf(stdout, "kremlin-fakesite: Wayback Machine (%d documents with a capture of the page) at http://%s\n", archivable, ln.Addr())
	}
	errc := make(chan error, len(hosts))
	for _, h := range hosts {
		go func(h host) {
			if err := h.srv.Serve(h.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(h)
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, h := range hosts {
		if h.site != nil {
			h.site.Close() // release hanging requests
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = h.srv.Shutdown(sctx)
		cancel()
		h.srv.Close()
	}
	for _, h := range hosts {
		if h.site != nil {
			h.site.WaitIdle(time.Second)
			summary(stderr, h.site)
		}
	}
	for _, d := range drops {
		fmt.Fprintf(stderr, "kremlin-fakesite: %d connections dropped at %s\n", d.Connections(), d.URL)
	}
	if wb != nil {
		waybackSummary(stderr, wb)
	}
	return err
}

// waybackSummary writes the end-of-run report of the fake Wayback Machine.
func waybackSummary(w io.Writer, wb *fakesite.Wayback) {
	kinds := map[string]int{}
	for _, r := range wb.Requests() {
		kinds[r.Kind]++
	}
	fmt.Fprintf(w, "kremlin-fakesite Wayback: %d requests: %d CDX calls, %d playback requests; %d answered 429, %d made during a 429 pause\n",
		wb.TotalRequests(), wb.CDXCalls(), wb.CaptureFetches(), wb.Throttled(), wb.PauseViolations())
	fmt.Fprintf(w, "  kinds: %s\n", fmtCounts(kinds))
}

// summary writes the end-of-run report for one site.
func summary(w io.Writer, s *fakesite.Site) {
	reqs := s.Requests()
	status := map[int]int{}
	faults := map[fakesite.FaultKind]int{}
	for _, r := range reqs {
		status[r.Status]++
		if r.Fault != fakesite.FaultNone {
			faults[r.Fault]++
		}
	}
	fmt.Fprintf(w, "kremlin-fakesite %s: %d requests, %d listing pages, max in flight %d, min gap %s\n",
		s.Lang(), len(reqs), s.ListingFetches(), s.MaxInFlight(), s.MinGap())
	fmt.Fprintf(w, "  statuses: %s\n", fmtCounts(status))
	if len(faults) > 0 {
		fm := map[string]int{}
		for k, v := range faults {
			fm[string(k)] = v
		}
		fmt.Fprintf(w, "  faults: %s\n", fmtCounts(fm))
	}
	counts := s.DocFetchCounts()
	type dup struct {
		id int64
		n  int
	}
	var dups []dup
	extra := 0
	for id, n := range counts {
		if n > 1 {
			dups = append(dups, dup{id, n})
			extra += n - 1
		}
	}
	sort.Slice(dups, func(i, j int) bool {
		if dups[i].n != dups[j].n {
			return dups[i].n > dups[j].n
		}
		return dups[i].id < dups[j].id
	})
	fmt.Fprintf(w, "  documents fetched: %d of %d; fetched more than once: %d (%d extra fetches)\n",
		len(counts), len(s.Docs()), len(dups), extra)
	for i, d := range dups {
		if i == 10 {
			fmt.Fprintf(w, "    …\n")
			break
		}
		fmt.Fprintf(w, "    %d: %d fetches\n", d.id, d.n)
	}
}

func fmtCounts[K int | string](m map[K]int) string {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%v×%d", k, m[k])
	}
	return out
}
