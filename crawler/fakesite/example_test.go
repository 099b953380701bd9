package fakesite_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

func Example() {
	site := fakesite.New(fakesite.Options{N: 45, Seed: 1, Sections: []string{"news", "transcripts"}})
	srv := site.Start()
	defer srv.Close()

	// a document fails twice with 503, then succeeds
	id := site.IDs("news")[0]
	path := fmt.Sprintf("/events/president/news/%d", id)
	site.ForcePath(path, fakesite.Fault{Kind: fakesite.Fault503, Form: fakesite.RetryAfterSeconds}, 2)
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("User-Agent", "example/1.0 (+https://example.org)")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After") != "")
	}
	site.WaitIdle(time.Second)
	want, _ := site.Expected(id)
	fmt.Println(site.DocFetches(id), site.DocFetchesOK(id), want.URL == "http://en.kremlin.ru"+path)
	// Output:
	// 503 true
	// 503 true
	// 200 false
	// 3 1 true
}
