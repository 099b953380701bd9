package main

// Two hosts (issue "Russian site"): en.kremlin.ru and kremlin.ru crawled
// in one run, each behind its own politeness gate (own delay, own
// robots.txt, own cool-down), with partially overlapping document IDs.

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

const (
	pairEN, pairRU, pairOverlap = 60, 50, 30
	ruDelay                     = 30 * time.Millisecond
)

// startPair starts an EN and a RU site; configure adjusts each one's
// options (o.Lang tells which).
func startPair(t testing.TB, seed int64, configure func(*fakesite.Options)) *fakesite.Pair {
	t.Helper()
	p := fakesite.StartPair(pairEN, pairRU, pairOverlap, seed, configure)
	t.Cleanup(p.Close)
	return p
}

// newPairEnv writes crawl.yaml for both sites, with delay 0 for EN and
// ruDelay for RU (per-site delay overriding the global one).
func newPairEnv(t testing.TB, p *fakesite.Pair, extra string) *env {
	t.Helper()
	e := newEnv(t, []siteConf{{lang: "en", base: p.ENServer.URL}, {lang: "ru", base: p.RUServer.URL}}, extra)
	b, err := os.ReadFile(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "base_url: "+p.ENServer.URL+"\n", "base_url: "+p.ENServer.URL+"\n    delay: 0s\n", 1)
	s = strings.Replace(s, "base_url: "+p.RUServer.URL+"\n", "base_url: "+p.RUServer.URL+"\n    delay: "+ruDelay.String()+"\n", 1)
	if err := os.WriteFile(e.cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// idSet returns the IDs of a site's documents.
func idSet(site *fakesite.Site) map[int64]bool {
	m := map[int64]bool{}
	for _, d := range site.Docs() {
		m[d.ID] = true
	}
	return m
}

func TestTwoHosts_BothLanguages(t *testing.T) {
	p := startPair(t, 61, nil)
	e := newPairEnv(t, p, "")
	start := time.Now()
	e.mustRun(ExitOK, "backfill")
	took := time.Since(start)
	p.EN.WaitIdle(time.Second)
	p.RU.WaitIdle(time.Second)

	recs := e.records()
	checkArchive(t, p.EN, recs)
	checkArchive(t, p.RU, recs)

	// Politeness per host: one request at a time, RU spaced by its own
	// delay, EN not slowed down by it, one robots.txt each.
	for _, s := range []*fakesite.Site{p.EN, p.RU} {
		if n := s.MaxInFlight(); n != 1 {
			t.Errorf("%s: %d requests in flight at once", s.Lang(), n)
		}
		if n := s.Count("/robots.txt"); n != 1 {
			t.Errorf("%s: robots.txt fetched %d times, want 1 (its own)", s.Lang(), n)
		}
		docsFetchedOnce(t, s)
	}
	if g := p.RU.MinStartGap(); g < ruDelay {
		t.Errorf("ru: smallest gap between request starts %s, want >= its delay %s", g, ruDelay)
	}
	// The site records a request's end when its handler returns, which
	// on a loaded machine (-race, packages tested in parallel) can come
	// 10 ms and more after the client has read the last byte (19 ms
	// seen against a 30 ms delay): the start gap above is the exact check.
	if g := p.RU.MinGap(); g < ruDelay/2 {
		t.Errorf("ru: smallest gap between the end of a request and the next %s, want about >= %s", g, ruDelay)
	}
	enReqs, ruReqs := p.EN.Requests(), p.RU.Requests()
	t.Logf("two hosts: %s; en %d requests (min start gap %s), ru %d requests (min start gap %s)",
		took.Round(time.Millisecond), len(enReqs), p.EN.MinStartGap(), len(ruReqs), p.RU.MinStartGap())
	// The hosts are crawled at the same time: their requests overlap in
	// time, and the run is at least as long as RU's spacing demands.
	enEnd, ruEnd := enReqs[len(enReqs)-1].End, ruReqs[len(ruReqs)-1].End
	if !enReqs[0].Start.Before(ruEnd) || !ruReqs[0].Start.Before(enEnd) {
		t.Errorf("the hosts were not crawled at the same time: en %s..%s, ru %s..%s",
			enReqs[0].Start.Format(time.StampMilli), enEnd.Format(time.StampMilli), ruReqs[0].Start.Format(time.StampMilli), ruEnd.Format(time.StampMilli))
	}
	if minRU := time.Duration(len(ruReqs)-1) * ruDelay; took < minRU {
		t.Errorf("run took %s, less than ru's %d requests × %s", took, len(ruReqs), ruDelay)
	}

	// The truth: IDs on both hosts.
	en, ru := idSet(p.EN), idSet(p.RU)
	var both, onlyEN, onlyRU []int64
	for id := range en {
		if ru[id] {
			both = append(both, id)
		} else {
			onlyEN = append(onlyEN, id)
		}
	}
	for id := range ru {
		if !en[id] {
			onlyRU = append(onlyRU, id)
		}
	}
	slices.Sort(both)
	if len(both) != pairOverlap {
		t.Fatalf("setup: %d IDs on both sites, want %d", len(both), pairOverlap)
	}

	// export --paired: one line per ID on both hosts, in ID order.
	r := e.mustRun(ExitOK, "export", "--format", "jsonl", "--paired", "--speaker-keys", "page")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(both) {
		t.Errorf("--paired wrote %d lines, want %d (IDs in both languages)", len(lines), len(both))
	}
	var gotIDs []int64
	for _, l := range lines {
		var pr struct {
			ID int64          `json:"id"`
			EN *record.Record `json:"en"`
			RU *record.Record `json:"ru"`
		}
		if err := json.Unmarshal([]byte(l), &pr); err != nil {
			t.Fatalf("--paired line does not decode: %v\n%s", err, l)
		}
		gotIDs = append(gotIDs, pr.ID)
		if pr.EN == nil || pr.RU == nil {
			t.Errorf("pair %d lacks a language: en=%v ru=%v", pr.ID, pr.EN != nil, pr.RU != nil)
			continue
		}
		if pr.EN.ID != pr.ID || pr.RU.ID != pr.ID || pr.EN.Lang != "en" || pr.RU.Lang != "ru" {
			t.Errorf("pair %d holds en/%d (%s) and ru/%d (%s)", pr.ID, pr.EN.ID, pr.EN.Lang, pr.RU.ID, pr.RU.Lang)
		}
		for _, c := range []struct {
			site *fakesite.Site
			rec  *record.Record
		}{{p.EN, pr.EN}, {p.RU, pr.RU}} {
			want, _ := c.site.Expected(pr.ID)
			if !record.SameContent(c.rec, &want) {
				t.Errorf("pair %d: %s record differs from the page", pr.ID, c.site.Lang())
			}
		}
		if pr.EN.Version != 1 || pr.RU.Version != 1 {
			t.Errorf("pair %d: versions en=%d ru=%d, want 1", pr.ID, pr.EN.Version, pr.RU.Version)
		}
	}
	if !slices.Equal(gotIDs, both) {
		t.Errorf("--paired IDs %v, want %v (in ID order)", gotIDs, both)
	}
	single := len(onlyEN) + len(onlyRU)
	if !strings.Contains(r.stderr, strconv.Itoa(single)+" IDs have only one language") {
		t.Errorf("--paired does not report the %d IDs with only one language:\n%s", single, r.stderr)
	}

	// show without --lang: both languages for a shared ID, one otherwise.
	showLangs := func(id int64) []string {
		r := e.mustRun(ExitOK, "show", strconv.FormatInt(id, 10))
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("show %d: %v\n%s", id, err, r.stdout)
		}
		var ls []string
		for l := range m {
			ls = append(ls, l)
		}
		slices.Sort(ls)
		return ls
	}
	if ls := showLangs(both[0]); !slices.Equal(ls, []string{"en", "ru"}) {
		t.Errorf("show %d (on both hosts) printed %v", both[0], ls)
	}
	if ls := showLangs(onlyEN[0]); !slices.Equal(ls, []string{"en"}) {
		t.Errorf("show %d (EN only) printed %v", onlyEN[0], ls)
	}
	if ls := showLangs(onlyRU[0]); !slices.Equal(ls, []string{"ru"}) {
		t.Errorf("show %d (RU only) printed %v", onlyRU[0], ls)
	}
	if r := e.run(context.Background(), "show", strconv.FormatInt(onlyEN[0], 10), "--lang", "ru"); r.code == ExitOK {
		t.Errorf("show --lang ru of an EN-only document: exit 0\n%s", r.stdout)
	}

	// stats counts the IDs per language set.
	st := e.statsJSON()
	if st.Both != len(both) || st.OnlyEN != len(onlyEN) || st.OnlyRU != len(onlyRU) {
		t.Errorf("stats: both=%d en-only=%d ru-only=%d; want %d, %d, %d", st.Both, st.OnlyEN, st.OnlyRU, len(both), len(onlyEN), len(onlyRU))
	}
	if st.Langs["en"].Documents != pairEN || st.Langs["ru"].Documents != pairRU {
		t.Errorf("stats: en %d ru %d documents", st.Langs["en"].Documents, st.Langs["ru"].Documents)
	}
	txt := e.mustRun(ExitOK, "stats")
	if !strings.Contains(txt.stdout, "IDs in both languages: "+strconv.Itoa(len(both))) {
		t.Errorf("stats text does not report the IDs in both languages:\n%s", txt.stdout)
	}
	if len(st.Hosts) != 2 {
		t.Errorf("stats lists %d hosts, want 2", len(st.Hosts))
	}
}

// TestTwoHosts_OneThrottled: a 403 burst on kremlin.ru stops that host
// only; en.kremlin.ru is archived completely in the same run, the run
// exits 4, and the next run crawls EN while RU waits out its cool-down.
func TestTwoHosts_OneThrottled(t *testing.T) {
	p := startPair(t, 63, func(o *fakesite.Options) {
		if o.Lang == fakesite.LangRU {
			o.Faults.Throttle = &fakesite.Throttle{Requests: 15, BlockFor: time.Hour}
		}
	})
	e := newPairEnv(t, p, "cooldown: 1h\n")
	r := e.mustRun(ExitRefused, "backfill")
	p.EN.WaitIdle(time.Second)
	p.RU.WaitIdle(time.Second)
	if !strings.Contains(r.stderr, p.RUServer.Listener.Addr().String()) {
		t.Errorf("the error does not name the refusing host:\n%s", tail(r.stderr, 4))
	}

	recs := e.records()
	checkArchive(t, p.EN, recs)
	ruArchived := 0
	for _, rec := range recs {
		if rec.Lang == "ru" {
			ruArchived++
		}
	}
	if ruArchived >= pairRU {
		t.Errorf("ru: %d documents archived despite the block", ruArchived)
	}
	ruReqs := p.RU.Requests()
	first := slices.IndexFunc(ruReqs, func(q fakesite.Request) bool { return q.Status == 403 })
	if first < 0 {
		t.Fatal("ru never throttled")
	}
	if after := len(ruReqs) - first - 1; after > 1 {
		t.Errorf("ru: %d requests after the first 403, want <= 1", after)
	}
	for _, q := range p.EN.Requests() {
		if q.Status == 403 {
			t.Errorf("en answered 403 for %s", q.Path)
		}
	}

	st := e.statsJSON()
	for _, h := range st.Hosts {
		cooling := h.CooldownUntil.After(time.Now())
		isRU := h.Host == p.RUServer.Listener.Addr().String()
		if cooling != isRU {
			t.Errorf("host %s: cooling down=%v", h.Host, cooling)
		}
	}

	// Next run: EN is crawled as usual, RU is not contacted.
	newEN := p.EN.NewDocs(5)
	p.EN.AddDocs(newEN...)
	p.EN.ResetLog()
	p.RU.ResetLog()
	r = e.mustRun(ExitRefused, "crawl")
	p.EN.WaitIdle(time.Second)
	if n := len(p.RU.Requests()); n != 0 {
		t.Errorf("ru: %d requests during its cool-down", n)
	}
	for _, d := range newEN {
		if n := p.EN.DocFetches(d.ID); n != 1 {
			t.Errorf("en: new document %d fetched %d times while ru cools down", d.ID, n)
		}
	}
	checkArchive(t, p.EN, e.records())
}
