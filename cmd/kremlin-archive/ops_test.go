package main

// Operator experience (issue 11): unreachable hosts are told apart from
// refusals, with a remedy that fits; the metrics file; the run ledger;
// JSON logs with numbers; the Russian site without parse warnings;
// export's --out/--format.

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/config"
	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// closedAddr is a loopback address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// fakeNXDOMAIN makes every DNS lookup of the process answer "no such
// host", from a resolver on loopback: the test never asks a real DNS
// server. It is undone when the test ends.
func fakeNXDOMAIN(t testing.TB) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// Header + the question (QNAME labels, QTYPE, QCLASS).
			end := 12
			for end < n && buf[end] != 0 {
				end += int(buf[end]) + 1
			}
			end += 5
			if end > n {
				continue
			}
			resp := append([]byte{}, buf[:end]...)
			resp[2] = 0x84 | (buf[2] & 0x01) // response, authoritative, RD copied
			resp[3] = 0x83                   // recursion available, RCODE 3: NXDOMAIN
			resp[4], resp[5] = 0, 1          // one question
			for i := 6; i < 12; i++ {
				resp[i] = 0 // no answer, authority or additional records
			}
			pc.WriteTo(resp, addr)
		}
	}()
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
	t.Cleanup(func() {
		net.DefaultResolver = old
		pc.Close()
	})
}

// tryLine returns the "Try:" lines of a report (continuations included).
func tryLine(stderr string) string {
	_, after, ok := strings.Cut(stderr, "\nTry:")
	if !ok {
		return ""
	}
	return after
}

func TestUnreachable_NotARefusal(t *testing.T) {
	fakeNXDOMAIN(t)
	tests := []struct {
		name  string
		base  string
		cause string // in the error
		hint  string // in the Try lines
	}{
		{"connection refused", "http://" + closedAddr(t), "connection refused", "nothing listens there; start the mirror or server, or fix sites[0].base_url"},
		{"DNS failure", "http://kremlin-archive-test.invalid", "DNS: no such host kremlin-archive-test.invalid", "no such host: fix sites[0].base_url (http://kremlin-archive-test.invalid)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []siteConf{{lang: "en", base: tt.base}}, "retries: 1\n")
			metrics := filepath.Join(e.dir, "kremlin.prom")
			r := e.run(context.Background(), "backfill", "--metrics-file", metrics)
			if r.code != ExitUnreachable {
				t.Fatalf("exit %d, want %d\n%s", r.code, ExitUnreachable, tail(r.stderr, 10))
			}
			if !strings.Contains(r.stderr, "Error: ") || !strings.Contains(r.stderr, tt.cause) || !strings.Contains(r.stderr, "cannot be reached") {
				t.Errorf("the message does not name the cause %q:\n%s", tt.cause, tail(r.stderr, 6))
			}
			try := tryLine(r.stderr)
			if !strings.Contains(try, tt.hint) || !strings.Contains(try, "no cool-down") {
				t.Errorf("the remedy does not say %q and that nothing was recorded:\n%s", tt.hint, try)
			}
			if strings.Contains(r.stderr, "cooling down") || strings.Contains(r.stderr, "waits for the cool-down") {
				t.Errorf("an unreachable host is reported as a refusal:\n%s", r.stderr)
			}
			for _, h := range e.statsJSON().Hosts {
				if !h.CooldownUntil.IsZero() || h.Cooldowns != 0 || !h.LastRefusal.IsZero() {
					t.Errorf("a cool-down or refusal was recorded for %s: %+v", h.Host, h)
				}
			}
			runs := e.runsJSON()
			if runs[0].Status != "unreachable" || runs[0].ExitCode != ExitUnreachable || !strings.Contains(runs[0].Error, tt.cause) {
				t.Errorf("ledger: %+v", runs[0])
			}
			b, err := os.ReadFile(metrics)
			if err != nil {
				t.Fatal(err)
			}
			ss := parseProm(t, string(b))
			if v := promValue(t, ss, "kremlin_archive_last_run_exit_code", map[string]string{"mode": "backfill"}); v != ExitUnreachable {
				t.Errorf("exit code metric %v", v)
			}
			if v := promValue(t, ss, "kremlin_archive_last_success_timestamp_seconds", nil); v != 0 {
				t.Errorf("last success %v, want 0 (never)", v)
			}
			// JSON logs: the summary line carries the error and the remedy.
			r = e.run(context.Background(), "crawl", "--log-format", "json")
			objs, bad := jsonLines(r.stderr)
			if r.code != ExitUnreachable || len(bad) > 0 {
				t.Fatalf("json: exit %d, non-JSON lines %q", r.code, bad)
			}
			last := objs[len(objs)-1]
			if last["msg"] != "run finished" || last["exit"] != float64(ExitUnreachable) || !strings.Contains(fmt.Sprint(last["hint"]), tt.hint) {
				t.Errorf("JSON summary: %v", last)
			}
		})
	}

	// A host that answered before and is down now, with robots.txt from
	// the archive: unreachable too, and the last success is kept.
	t.Run("down after a good run", func(t *testing.T) {
		site, srv := startSite(t, fakesite.Options{N: 30, Seed: 91})
		e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "retries: 1\n")
		metrics := filepath.Join(e.dir, "kremlin.prom")
		e.mustRun(ExitOK, "backfill", "--metrics-file", metrics)
		b, _ := os.ReadFile(metrics)
		success := promValue(t, parseProm(t, string(b)), "kremlin_archive_last_success_timestamp_seconds", nil)
		if time.Since(time.Unix(int64(success), 0)) > time.Minute {
			t.Fatalf("last success %v is not the backfill that just ended", success)
		}
		site.Close()
		srv.Close()
		r := e.run(context.Background(), "crawl", "--metrics-file", metrics)
		if r.code != ExitUnreachable || !strings.Contains(r.stderr, "connection refused") {
			t.Fatalf("exit %d, want %d\n%s", r.code, ExitUnreachable, tail(r.stderr, 6))
		}
		b, _ = os.ReadFile(metrics)
		ss := parseProm(t, string(b))
		if v := promValue(t, ss, "kremlin_archive_last_success_timestamp_seconds", nil); v != success {
			t.Errorf("last success %v after an unreachable run, want the backfill's %v", v, success)
		}
		if v := promValue(t, ss, "kremlin_archive_last_run_exit_code", map[string]string{"mode": "crawl"}); v != ExitUnreachable {
			t.Errorf("exit code metric %v", v)
		}
		for _, h := range e.statsJSON().Hosts {
			if !h.CooldownUntil.IsZero() {
				t.Errorf("cool-down recorded: %+v", h)
			}
		}
	})

	// The contrast: a 403 burst is a refusal, exit 4, with a cool-down.
	t.Run("403 burst", func(t *testing.T) {
		_, srv := startSite(t, fakesite.Options{N: 40, Seed: 93, Faults: fakesite.Faults{
			Throttle: &fakesite.Throttle{Requests: 12, BlockFor: time.Hour},
		}})
		e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "cooldown: 40m\n")
		r := e.run(context.Background(), "backfill")
		if r.code != ExitRefused || !strings.Contains(r.stderr, "cooling down until") {
			t.Fatalf("exit %d, want %d\n%s", r.code, ExitRefused, tail(r.stderr, 6))
		}
		hs := e.statsJSON().Hosts
		if len(hs) != 1 || time.Until(hs[0].CooldownUntil) < 39*time.Minute {
			t.Errorf("no 40m cool-down recorded: %+v", hs)
		}
		if runs := e.runsJSON(); runs[0].Status != "refused" {
			t.Errorf("ledger status %q", runs[0].Status)
		}
	})
}

// TestUnreachable_Remedies: the remedy fits what failed and where.
func TestUnreachable_Remedies(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "")
	}
	cfg := config.Default()
	proxied := config.Default()
	proxied.Proxy = "socks5://127.0.0.1:1080"
	mirror := config.Default()
	mirror.Sites[1].BaseURL = "http://mirror.example:8080"
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	timeout := &crawler.NetError{URL: "http://kremlin.ru/robots.txt", Err: context.DeadlineExceeded, Timeout: true}
	nx := &net.DNSError{Name: "kremlin.ru", Err: "no such host", IsNotFound: true}
	tests := []struct {
		name string
		cfg  *config.Config
		host string
		err  error
		want []string
		not  []string
	}{
		{"real host refused", cfg, "kremlin.ru", refused, []string{"proxy: in crawl.yaml", "--wayback fallback"}, []string{"base_url"}},
		{"real host silent", cfg, "en.kremlin.ru", timeout, []string{"network level", "proxy", "--wayback fallback"}, []string{"base_url"}},
		{"real host through a proxy", proxied, "kremlin.ru", timeout, []string{"through the proxy", "--wayback fallback"}, []string{"set proxy:"}},
		{"real host without DNS", cfg, "kremlin.ru", nx, []string{"DNS resolver", "socks5h"}, []string{"fix sites"}},
		{"mirror refused", mirror, "mirror.example:8080", refused, []string{"nothing listens", "sites[1].base_url (http://mirror.example:8080)"}, []string{"wayback"}},
		{"mirror silent", mirror, "mirror.example:8080", timeout, []string{"check that it is up", "sites[1].base_url"}, []string{"wayback"}},
		{"proxy down", proxied, "kremlin.ru", &net.OpError{Op: "proxyconnect", Err: refused}, []string{"the proxy does not answer"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("run: %w", errors.Join(&crawler.UnreachableError{Host: tt.host, Cause: "x", Err: tt.err}, errors.New("other")))
			h := unreachableHint(err, tt.cfg)
			for _, w := range tt.want {
				if !strings.Contains(h, w) {
					t.Errorf("hint does not say %q:\n%s", w, h)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(h, n) {
					t.Errorf("hint says %q:\n%s", n, h)
				}
			}
		})
	}
}

// TestMetrics_NotWrittenWhenSkipped: a run that finds the archive held by
// another (exit 6) leaves the metrics file alone.
func TestMetrics_NotWrittenWhenSkipped(t *testing.T) {
	_, srv := startSite(t, fakesite.Options{N: 200, Seed: 95, Latency: 20 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	metrics := filepath.Join(e.dir, "kremlin.prom")
	cmd, out := startCLI(t, "backfill", "--config", e.cfgPath)
	defer cmd.Process.Kill()
	waitFor(t, 10*time.Second, "the first run to start", func() bool { return strings.Contains(out.String(), "run started") })
	r := e.run(context.Background(), "crawl", "--metrics-file", metrics)
	if r.code != ExitLocked {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitLocked, r.stderr)
	}
	if _, err := os.Stat(metrics); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("metrics file written by a skipped run (err %v)", err)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
}

// TestRuns_MultiLineErrors: an error of two hosts is printed with its
// second line under the first, not flush left.
func TestRuns_MultiLineErrors(t *testing.T) {
	var b strings.Builder
	printRunError(&b, store.Run{ID: 12, Error: "en.kremlin.ru refused us (HTTP 403)\nkremlin.ru cannot be reached (timed out)"})
	want := "  run 12: en.kremlin.ru refused us (HTTP 403)\n          kremlin.ru cannot be reached (timed out)\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	// End to end: two unreachable hosts.
	e := newEnv(t, []siteConf{{lang: "en", base: "http://" + closedAddr(t)}, {lang: "ru", base: "http://" + closedAddr(t)}}, "retries: 0\n")
	e.mustRun(ExitUnreachable, "crawl")
	r := e.mustRun(ExitOK, "runs")
	var lines []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "cannot be reached") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "  run 1: ") || !strings.HasPrefix(lines[1], "         ") {
		t.Errorf("multi-line error not indented:\n%s", r.stdout)
	}
}

// numericKeys are the log keys that are counts, rates or durations.
var numericKeys = []string{
	"new", "updated", "unchanged", "failed", "pending", "failing", "listing_pages", "requests", "bytes",
	"throttled", "retries", "warnings", "disallowed", "duration", "exit", "run",
	"done", "total", "percent", "eta", "rate", "wait", "attempt", "of", "count", "pages", "items", "delay",
}

var durationText = regexp.MustCompile(`^-?[0-9.]+(ns|µs|ms|s|m|h)([0-9.]+(ms|s|m))*$`)

// TestLogs_JSONNumbers: in JSON logs every count is a number, durations
// are seconds as numbers, the run summary and the progress lines have one
// key per figure.
func TestLogs_JSONNumbers(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 45, Seed: 97, Latency: 3 * time.Millisecond})
	added := site.Docs()[5]
	site.ForcePath(docPath(added.Canonical(), added.ID), fakesite.Fault{Kind: fakesite.Fault500}, 1)
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill", "--log-format", "json", "--progress-interval", "20ms")
	objs, bad := jsonLines(r.stderr)
	if len(bad) > 0 {
		t.Fatalf("non-JSON lines: %q", bad)
	}
	seen := map[string]bool{}
	progress, sized := 0, 0
	for _, o := range objs {
		for k, v := range o {
			if s, ok := v.(string); ok && durationText.MatchString(s) {
				t.Errorf("%s: %s=%q is a duration as text", o["msg"], k, s)
			}
		}
		for _, k := range numericKeys {
			v, ok := o[k]
			if !ok {
				continue
			}
			seen[k] = true
			if _, num := v.(float64); !num {
				t.Errorf("%s: %s=%v (%T) is not a number", o["msg"], k, v, v)
			}
		}
		if o["msg"] == "progress" {
			progress++
			keys := []string{"rate", "new", "requests"}
			if _, ok := o["total"]; ok {
				sized++ // once the first listing page has declared its size
				keys = append(keys, "done", "percent")
			}
			for _, k := range keys {
				if _, ok := o[k].(float64); !ok {
					t.Errorf("progress line without the number %s: %v", k, o)
				}
			}
			if _, ok := o["stats"]; ok {
				t.Errorf("progress line with a combined stats string: %v", o)
			}
		}
		if o["msg"] == "run finished" {
			if d, ok := o["duration"].(float64); !ok || d <= 0 || d > 60 {
				t.Errorf("duration %v, want seconds as a number", o["duration"])
			}
		}
		if o["msg"] == "retrying after a server error" {
			if w, ok := o["wait"].(float64); !ok || w <= 0 || w > 1 {
				t.Errorf("retry wait %v, want seconds (10ms backoff)", o["wait"])
			}
		}
	}
	if sized == 0 || !seen["wait"] || !seen["duration"] {
		t.Errorf("expected progress lines with a total (%d of %d), a retry wait (%v) and a duration (%v)", sized, progress, seen["wait"], seen["duration"])
	}
	// Text logs keep the human forms.
	r = e.mustRun(ExitOK, "crawl")
	if !regexp.MustCompile(`duration=[0-9.]+m?s`).MatchString(r.stderr) {
		t.Errorf("text summary without a human duration:\n%s", tail(r.stderr, 2))
	}
}

// TestRussianSite_NoParseWarnings: the fake Russian site and the parser
// agree on the "last updated" label, so a clean backfill has no
// parse-health warning (the count is a drift signal again).
func TestRussianSite_NoParseWarnings(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{Lang: fakesite.LangRU, N: 120, Seed: 99})
	e := newEnv(t, []siteConf{{lang: "ru", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill")
	if got := summaryField(t, r.stderr, "warnings"); got != "0" {
		t.Errorf("warnings=%s in a backfill of the fake Russian site, want 0", got)
	}
	if strings.Contains(r.stderr, "parse health") {
		t.Errorf("parse-health warnings:\n%s", tail(r.stderr, 5))
	}
	recs := e.records()
	checkArchive(t, site, recs)
	withUpdated := 0
	for _, rec := range recs {
		if rec.Updated != nil {
			withUpdated++
		}
	}
	if withUpdated == 0 {
		t.Error("no Russian record has its update time")
	}
}

// warcRecords counts the WARC records of each type in a .warc.gz file.
func warcRecords(t testing.TB, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzip: %v", path, err)
	}
	br := bufio.NewReader(zr)
	out := map[string]int{}
	for {
		line, err := br.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if typ, ok := strings.CutPrefix(strings.TrimSpace(line), "WARC-Type: "); ok {
			out[typ]++
		}
	}
	return out
}

// TestExport_OutDecidesFormat: --out a.warc.gz is one WARC file; the
// extension decides unless --format does; contradictions are errors.
func TestExport_OutDecidesFormat(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 24, Seed: 101})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	e.mustRun(ExitOK, "backfill")
	n := len(site.Docs())
	d := e.dir
	for _, args := range [][]string{
		{"--out", filepath.Join(d, "a.warc.gz")},
		{"--out", filepath.Join(d, "b.warc.gz"), "--format", "warc"},
		{"--out", filepath.Join(d, "c.WARC.GZ"), "--current-only"},
	} {
		r := e.mustRun(ExitOK, append([]string{"export"}, args...)...)
		path := args[1]
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			t.Fatalf("%v: %s is not a file (%v)", args, path, err)
		}
		if c := warcRecords(t, path); c["warcinfo"] != 1 || c["response"] != n || c["metadata"] != n {
			t.Errorf("%v: records %v, want 1 warcinfo and %d response + metadata", args, c, n)
		}
		if !strings.Contains(r.stderr, "WARC file: "+path) {
			t.Errorf("%v: stderr does not name the file:\n%s", args, r.stderr)
		}
	}
	ents, _ := os.ReadDir(d)
	for _, en := range ents {
		if strings.Contains(en.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", en.Name())
		}
	}
	// JSONL by extension, and a directory of rotated WARC files.
	e.mustRun(ExitOK, "export", "--out", filepath.Join(d, "r.jsonl.gz"))
	if f, err := os.Open(filepath.Join(d, "r.jsonl.gz")); err != nil {
		t.Error(err)
	} else {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("r.jsonl.gz is not gzip: %v", err)
		}
		b, _ := io.ReadAll(zr)
		f.Close()
		if lines := strings.Count(string(b), "\n"); lines != n || !strings.HasPrefix(string(b), `{"id":`) {
			t.Errorf("r.jsonl.gz holds %d lines, want %d JSON records", lines, n)
		}
	}
	e.mustRun(ExitOK, "export", "--format", "warc", "--out", filepath.Join(d, "warcdir"))
	files, _ := filepath.Glob(filepath.Join(d, "warcdir", "*.warc.gz"))
	if len(files) != 1 {
		t.Errorf("--format warc --out warcdir: files %v", files)
	}
	os.Mkdir(filepath.Join(d, "existing"), 0o755)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(d, "x.warc.gz"), "--format", "jsonl"}, "names a WARC file but --format is jsonl"},
		{[]string{"--out", filepath.Join(d, "x.jsonl"), "--format", "warc"}, "names a JSONL file but --format is warc"},
		{[]string{"--out", filepath.Join(d, "x.warc")}, "gzip-compressed"},
		{[]string{"--out", filepath.Join(d, "existing")}, "is a directory"},
		{[]string{"--out", filepath.Join(d, "dir") + "/"}, "is a directory"},
		{[]string{"--format", "warc"}, "--format warc needs --out"},
		{[]string{"--format", "csv"}, "jsonl, parquet or warc"},
		{[]string{"--out", filepath.Join(d, "x.warc.gz"), "--paired"}, "--paired is for JSONL"},
		{[]string{"--current-only"}, "--current-only is for WARC"},
	} {
		r := e.run(context.Background(), append([]string{"export"}, tt.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "Try:") {
			t.Errorf("export %v: exit %d, want %d saying %q\n%s", tt.args, r.code, ExitUsage, tt.want, r.stderr)
		}
	}
	for _, p := range []string{"x.warc.gz", "x.jsonl", "x.warc", "dir"} {
		if _, err := os.Stat(filepath.Join(d, p)); err == nil {
			t.Errorf("a refused export created %s", p)
		}
	}
}
