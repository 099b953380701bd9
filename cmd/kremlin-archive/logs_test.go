package main

// Operations (issue "operations"): machine-readable logs, no terminal
// noise when stderr is not a terminal, the Prometheus metrics file, and
// the run ledger.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// jsonLines decodes every line of s as a JSON object; it reports the lines
// that are not.
func jsonLines(s string) (objs []map[string]any, bad []string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			bad = append(bad, line)
			continue
		}
		objs = append(objs, m)
	}
	return objs, bad
}

func TestLogs_JSON(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 40, Seed: 71, Latency: 5 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill", "--log-format", "json", "--progress-interval", "30ms")
	site.WaitIdle(time.Second)

	objs, bad := jsonLines(r.stderr)
	for _, l := range bad {
		t.Errorf("stderr line is not JSON: %q", l)
	}
	var finished []map[string]any
	progress := 0
	for _, o := range objs {
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := o[k]; !ok {
				t.Errorf("log line without %q: %v", k, o)
			}
		}
		if ts, _ := o["time"].(string); ts != "" {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("time %q is not RFC 3339", ts)
			}
		}
		switch lv, _ := o["level"].(string); lv {
		case "DEBUG", "INFO", "WARN", "ERROR":
		default:
			t.Errorf("level %q", lv)
		}
		switch o["msg"] {
		case "run finished":
			finished = append(finished, o)
		case "progress":
			progress++
		}
	}
	if len(finished) != 1 {
		t.Fatalf("%d \"run finished\" lines, want exactly 1", len(finished))
	}
	f := finished[0]
	want := map[string]float64{
		"new":      float64(len(site.Docs())),
		"updated":  0,
		"failed":   0,
		"requests": float64(len(site.Requests())),
		"exit":     0,
	}
	for k, v := range want {
		got, ok := f[k].(float64)
		if !ok {
			t.Errorf("run summary: %q is %T %v, want a number", k, f[k], f[k])
		} else if got != v {
			t.Errorf("run summary: %s=%v, want %v", k, got, v)
		}
	}
	if f["status"] != "ok" || f["mode"] != "backfill" {
		t.Errorf("run summary: status=%v mode=%v", f["status"], f["mode"])
	}
	if progress == 0 {
		t.Errorf("no progress line with --progress-interval 30ms over a %s run", f["duration"])
	}

	// A run that ends with an error: the log lines stay JSON; main adds its
	// human "Error:"/"Try:" lines after them, and nothing else.
	added := site.NewDocs(1)
	site.ForcePath(docPath(added[0].Canonical(), added[0].ID), fakesite.Fault{Kind: fakesite.Fault500}, 100)
	site.AddDocs(added...)
	r = e.mustRun(ExitPartial, "crawl", "--log-format", "json")
	objs, bad = jsonLines(r.stderr)
	for _, l := range bad {
		if !strings.HasPrefix(l, "Error: ") && !strings.HasPrefix(l, "Try: ") {
			t.Errorf("stderr line of a failed JSON-logged run is neither JSON nor the final error: %q", l)
		}
	}
	t.Logf("exit 3 with --log-format json: %d JSON lines, %d plain lines (%q)", len(objs), len(bad), bad)
	n := 0
	for _, o := range objs {
		if o["msg"] == "run finished" {
			n++
			if o["exit"] != float64(ExitPartial) || o["failed"] != float64(1) || o["status"] != "partial" {
				t.Errorf("summary of the failed run: exit=%v failed=%v status=%v", o["exit"], o["failed"], o["status"])
			}
		}
	}
	if n != 1 {
		t.Errorf("%d run summaries", n)
	}
}

func TestLogs_TextNotATerminal(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 40, Seed: 73, Latency: 5 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	r := e.mustRun(ExitOK, "backfill", "--progress-interval", "30ms")
	site.WaitIdle(time.Second)
	if strings.ContainsAny(r.stderr, "\x1b\r") {
		t.Errorf("escape codes or carriage returns in a non-terminal log:\n%q", tail(r.stderr, 5))
	}
	if strings.Contains(r.stderr, "[#") || strings.Contains(r.stderr, "ETA ") {
		t.Errorf("progress bar in a non-terminal log:\n%s", tail(r.stderr, 5))
	}
	progress := 0
	logfmt := regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN|ERROR) msg=`)
	for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
		if !logfmt.MatchString(l) {
			t.Errorf("not a log line: %q", l)
		}
		if strings.Contains(l, "msg=progress") {
			progress++
			if !strings.Contains(l, " new=") || !strings.Contains(l, " rate=") || !strings.Contains(l, " requests=") {
				t.Errorf("progress line without figures: %q", l)
			}
		}
	}
	if progress == 0 {
		t.Error("no progress log line with --progress-interval 30ms")
	}
	if n := strings.Count(r.stderr, `msg="run finished"`); n != 1 {
		t.Errorf("%d run summaries in the text log", n)
	}
	// The default interval (1 minute) logs no progress in a short run.
	r = e.mustRun(ExitOK, "crawl")
	if strings.Contains(r.stderr, "msg=progress") {
		t.Errorf("progress line in a short run with the default interval")
	}
}

// promSample is one sample of a Prometheus text file.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	promSampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	promLabelRE  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$`)
)

// parseProm parses the Prometheus text exposition format strictly enough
// for a textfile collector: comments, one sample per line, a TYPE before
// each metric's samples, no metric declared twice.
func parseProm(t testing.TB, text string) []promSample {
	t.Helper()
	typed := map[string]bool{}
	var out []promSample
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			continue
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || (f[3] != "gauge" && f[3] != "counter") {
				t.Errorf("line %d: bad TYPE %q", i+1, line)
				continue
			}
			if typed[f[2]] {
				t.Errorf("line %d: metric %s declared twice", i+1, f[2])
			}
			typed[f[2]] = true
			continue
		case strings.HasPrefix(line, "#") || line == "":
			t.Errorf("line %d: unexpected %q", i+1, line)
			continue
		}
		m := promSampleRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d: not a sample: %q", i+1, line)
			continue
		}
		s := promSample{name: m[1], labels: map[string]string{}}
		if m[3] != "" {
			for _, kv := range strings.Split(m[3], ",") {
				lm := promLabelRE.FindStringSubmatch(kv)
				if lm == nil {
					t.Errorf("line %d: bad label %q", i+1, kv)
					continue
				}
				s.labels[lm[1]] = lm[2]
			}
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Errorf("line %d: value %q: %v", i+1, m[4], err)
		}
		s.value = v
		if !typed[s.name] {
			t.Errorf("line %d: sample of %s before its TYPE", i+1, s.name)
		}
		out = append(out, s)
	}
	return out
}

// promValue returns the value of the sample name{labels}.
func promValue(t testing.TB, ss []promSample, name string, labels map[string]string) float64 {
	t.Helper()
	for _, s := range ss {
		if s.name != name || len(s.labels) != len(labels) {
			continue
		}
		ok := true
		for k, v := range labels {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			return s.value
		}
	}
	t.Errorf("metric %s%v missing", name, labels)
	return -1
}

func TestLogs_MetricsFile(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 40, Seed: 75})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	dir := filepath.Join(e.dir, "textfile")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kremlin_archive.prom")
	e.mustRun(ExitOK, "backfill", "--metrics-file", path)
	site.WaitIdle(time.Second)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ss := parseProm(t, string(b))
	bf := map[string]string{"mode": "backfill"}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"kremlin_archive_documents", map[string]string{"lang": "en", "source": "live"}, float64(len(site.Docs()))},
		{"kremlin_archive_documents", map[string]string{"lang": "en", "source": "wayback"}, 0},
		{"kremlin_archive_documents", map[string]string{"lang": "ru", "source": "live"}, 0},
		{"kremlin_archive_documents", map[string]string{"lang": "ru", "source": "wayback"}, 0},
		{"kremlin_archive_last_run_exit_code", bf, 0},
		{"kremlin_archive_last_run_documents_new", bf, float64(len(site.Docs()))},
		{"kremlin_archive_last_run_documents_updated", bf, 0},
		{"kremlin_archive_last_run_fetch_failures", bf, 0},
		{"kremlin_archive_last_run_requests", bf, float64(len(site.Requests()))},
		{"kremlin_archive_pending_documents", nil, 0},
		{"kremlin_archive_failing_documents", nil, 0},
	}
	for _, c := range checks {
		if got := promValue(t, ss, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if ts := promValue(t, ss, "kremlin_archive_last_run_timestamp_seconds", bf); time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("last run timestamp %v is not now", ts)
	}
	if v := promValue(t, ss, "kremlin_archive_db_bytes", nil); v <= 0 {
		t.Errorf("db bytes %v", v)
	}

	// A failing run overwrites the file with its own figures.
	added := site.NewDocs(2)
	site.AddDocs(added...)
	site.ForcePath(docPath(added[0].Canonical(), added[0].ID), fakesite.Fault{Kind: fakesite.Fault502}, 100)
	e.mustRun(ExitPartial, "crawl", "--metrics-file", path)
	b, _ = os.ReadFile(path)
	ss = parseProm(t, string(b))
	cr := map[string]string{"mode": "crawl"}
	if v := promValue(t, ss, "kremlin_archive_last_run_exit_code", cr); v != ExitPartial {
		t.Errorf("exit code metric %v after a partial run", v)
	}
	if v := promValue(t, ss, "kremlin_archive_failing_documents", nil); v != 1 {
		t.Errorf("failing documents %v, want 1", v)
	}
	if v := promValue(t, ss, "kremlin_archive_documents", map[string]string{"lang": "en", "source": "live"}); v != float64(len(site.Docs())-1) {
		t.Errorf("documents %v, want %d", v, len(site.Docs())-1)
	}
	// Written atomically: nothing but the file in its directory.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, d := range ents {
			names = append(names, d.Name())
		}
		t.Errorf("metrics directory holds %v", names)
	}
	// The flag is for crawl and backfill only.
	if r := e.run(t.Context(), "stats", "--metrics-file", path); r.code != ExitUsage {
		t.Errorf("stats --metrics-file: exit %d", r.code)
	}
}

func TestLogs_RunsLedger(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 30, Seed: 77})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "cooldown: 1h\n")
	e.mustRun(ExitOK, "backfill")
	added := site.NewDocs(1)
	site.AddDocs(added...)
	site.ForcePath(docPath(added[0].Canonical(), added[0].ID), fakesite.Fault{Kind: fakesite.Fault500}, 100)
	e.mustRun(ExitPartial, "crawl")
	// Two 403s in a row (throttle_burst 2): the first listing page of each
	// section.
	for _, sec := range []string{"news", "transcripts"} {
		site.ForcePath("/events/president/"+sec, fakesite.Fault{Kind: fakesite.Fault403}, 1)
	}
	e.mustRun(ExitRefused, "crawl")

	runs := e.runsJSON()
	want := []struct {
		mode, status string
		exit         int
	}{{"crawl", "refused", ExitRefused}, {"crawl", "partial", ExitPartial}, {"backfill", "ok", ExitOK}}
	if len(runs) != len(want) {
		t.Fatalf("runs --json: %d runs, want %d", len(runs), len(want))
	}
	for i, w := range want {
		r := runs[i]
		if r.Mode != w.mode || r.Status != w.status || r.ExitCode != w.exit {
			t.Errorf("run %d: %s %s exit %d; want %s %s exit %d", r.ID, r.Mode, r.Status, r.ExitCode, w.mode, w.status, w.exit)
		}
		if r.End.Before(r.Start) || r.End.IsZero() {
			t.Errorf("run %d: start %s end %s", r.ID, r.Start, r.End)
		}
		if r.ID != uint64(len(want)-i) {
			t.Errorf("run IDs not newest first: %d at %d", r.ID, i)
		}
	}
	if runs[2].New != 30 || runs[2].Requests == 0 || runs[2].ListingPages == 0 {
		t.Errorf("backfill run figures: %+v", runs[2])
	}
	if runs[1].Failed != 1 || runs[1].New != 0 || runs[1].Error == "" {
		t.Errorf("partial run figures: %+v", runs[1])
	}
	if runs[0].Throttled < 1 || !strings.Contains(runs[0].Error, "cool") {
		t.Errorf("refused run figures: %+v", runs[0])
	}

	txt := e.mustRun(ExitOK, "runs")
	for _, w := range []string{"backfill", "ok", "partial", "refused"} {
		if !strings.Contains(txt.stdout, w) {
			t.Errorf("runs does not show %q:\n%s", w, txt.stdout)
		}
	}
	if !strings.Contains(txt.stdout, fmt.Sprintf("run %d: ", runs[0].ID)) {
		t.Errorf("runs does not print the error of the refused run:\n%s", txt.stdout)
	}
	one := e.mustRun(ExitOK, "runs", "--json", "-n", "1")
	if n := strings.Count(strings.TrimSpace(one.stdout), "\n") + 1; n != 1 {
		t.Errorf("runs -n 1 printed %d lines", n)
	}
}
