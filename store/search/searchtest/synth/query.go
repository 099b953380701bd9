package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/store/search/searchtest"
)

func queryMain(args []string) {
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server")
	ids := fs.Int("ids", 40000, "document IDs of the archive (as given to synth)")
	seed := fs.Int64("seed", 1, "generator seed of the archive")
	n := fs.Int("n", 200, "searches of each kind")
	fs.Parse(args)
	en, ru := searchtest.Generate(*ids, *seed)
	keys := searchtest.SpeakerKeys(en)
	r := rand.New(rand.NewPCG(7, 11))
	pick := func() fakesite.Doc {
		if r.IntN(2) == 0 {
			return en[r.IntN(len(en))]
		}
		return ru[r.IntN(len(ru))]
	}
	words := func(d fakesite.Doc) []string {
		var text []string
		for _, p := range d.Paragraphs {
			text = append(text, p.Text)
		}
		return strings.FieldsFunc(strings.Join(text, " ")+" "+d.Title, func(r rune) bool { return !unicode.IsLetter(r) })
	}
	long := func(ws []string) []string {
		var out []string
		for _, w := range ws {
			if len([]rune(w)) >= 5 {
				out = append(out, w)
			}
		}
		return out
	}
	kinds := []struct {
		name string
		make func() url.Values
	}{
		{"word", func() url.Values {
			for {
				if ws := long(words(pick())); len(ws) > 0 {
					return url.Values{"q": {ws[r.IntN(len(ws))]}}
				}
			}
		}},
		{"phrase", func() url.Values {
			for {
				d := pick()
				var ps []string
				for _, p := range d.Paragraphs {
					if len(strings.Fields(p.Text)) >= 4 {
						ps = append(ps, p.Text)
					}
				}
				if len(ps) == 0 {
					continue
				}
				ws := strings.Fields(ps[r.IntN(len(ps))])
				k := 2 + r.IntN(3)
				i := r.IntN(len(ws) - k + 1)
				phrase := strings.Trim(strings.Join(ws[i:i+k], " "), ".,:;!?")
				return url.Values{"q": {`"` + phrase + `"`}}
			}
		}},
		{"word+lang+dates", func() url.Values {
			for {
				d := pick()
				if ws := long(words(d)); len(ws) > 0 {
					y := 2000 + r.IntN(26)
					return url.Values{"q": {ws[r.IntN(len(ws))]}, "lang": {d.Lang},
						"from": {fmt.Sprintf("%d-01-01", y)}, "to": {fmt.Sprintf("%d-12-31", y+2)}}
				}
			}
		}},
		{"word+speaker", func() url.Values {
			for {
				d := en[r.IntN(len(en))]
				for _, p := range d.Paragraphs {
					if k, ok := keys[p.Speaker]; ok && p.Kind == fakesite.ParaTurn {
						if ws := long(strings.Fields(p.Text)); len(ws) > 0 {
							return url.Values{"q": {strings.Trim(ws[r.IntN(len(ws))], ".,:;!?")}, "speaker": {k}}
						}
					}
				}
			}
		}},
		{"word+tag+section", func() url.Values {
			for {
				d := pick()
				if len(d.Tags) == 0 {
					continue
				}
				t := d.Tags[r.IntN(len(d.Tags))]
				parts := strings.Split(strings.TrimPrefix(t.Href, "/catalog/"), "/")
				if ws := long(words(d)); len(ws) > 0 && len(parts) >= 2 {
					return url.Values{"q": {ws[r.IntN(len(ws))]}, "tag": {parts[0] + "/" + parts[1]}, "section": {d.Sections[0]}}
				}
			}
		}},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	fmt.Printf("%-18s %6s %8s %8s %8s %8s %10s\n", "kind", "n", "p50_ms", "p95_ms", "max_ms", "srv_p95", "avg_total")
	var all []time.Duration
	seen := map[string]bool{}
	for _, k := range kinds {
		var ds, srv []time.Duration
		var totals uint64
		for i := 0; i < *n; i++ {
			v := k.make()
			if seen[v.Encode()] { // measure searches, not the server's cache of recent results
				i--
				continue
			}
			seen[v.Encode()] = true
			t0 := time.Now()
			resp, err := client.Get(*base + "/api/search?" + v.Encode())
			if err != nil {
				fmt.Fprintln(os.Stderr, "query:", err)
				os.Exit(1)
			}
			var res struct {
				Total  uint64 `json:"total"`
				TookMS int64  `json:"took_ms"`
				Error  string `json:"error"`
			}
			err = json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
			d := time.Since(t0)
			if err != nil || resp.StatusCode != 200 {
				fmt.Fprintf(os.Stderr, "query %s: status %d %v %s\n", v.Encode(), resp.StatusCode, err, res.Error)
				os.Exit(1)
			}
			ds = append(ds, d)
			srv = append(srv, time.Duration(res.TookMS)*time.Millisecond)
			totals += res.Total
		}
		all = append(all, ds...)
		fmt.Printf("%-18s %6d %8.1f %8.1f %8.1f %8.1f %10d\n", k.name, len(ds), ms(pct(ds, 50)), ms(pct(ds, 95)), ms(pct(ds, 100)), ms(pct(srv, 95)), totals/uint64(len(ds)))
	}
	fmt.Printf("%-18s %6d %8.1f %8.1f %8.1f\n", "all", len(all), ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 100)))
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
