package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

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
	client := &http.Client{Timeout: 30 * time.Second}
	fmt.Printf("%-18s %6s %8s %8s %8s %8s %10s\n", "kind", "n", "p50_ms", "p95_ms", "max_ms", "srv_p95", "avg_total")
	var all []time.Duration
	for _, k := range searchtest.Queries(en, ru, *n) {
		var ds, srv []time.Duration
		var totals uint64
		for _, v := range k.Queries {
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
		fmt.Printf("%-18s %6d %8.1f %8.1f %8.1f %8.1f %10d\n", k.Name, len(ds), ms(pct(ds, 50)), ms(pct(ds, 95)), ms(pct(ds, 100)), ms(pct(srv, 95)), totals/uint64(len(ds)))
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
