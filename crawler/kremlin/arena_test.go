package kremlin

import (
	"encoding/json"
	"sync"
	"testing"
)

// TestArenaReuseSameOutput parses every fixture on a fresh arena, then
// again, in reverse order, each on the blocks the previous page released:
// the output must not change (a node or attribute left over from another
// page would show in it).
func TestArenaReuseSameOutput(t *testing.T) {
	fxs := loadFixtures(t)
	parse := func(fx fixture) string {
		var v any
		var err error
		if fx.mode == "listing" {
			v, err = ParseListing(fx.body, fx.url)
		} else {
			v, err = ParseDocument(fx.body, fx.url, Options{Lang: fx.lang})
		}
		b, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatal(jerr)
		}
		if err != nil {
			return "error: " + err.Error()
		}
		return string(b)
	}
	fresh := make([]string, len(fxs))
	for i, fx := range fxs {
		arenas = newArenaPool() // every parse on new blocks
		fresh[i] = parse(fx)
	}
	arenas = newArenaPool()
	for i := len(fxs) - 1; i >= 0; i-- {
		if got := parse(fxs[i]); got != fresh[i] {
			t.Errorf("%s: parsed on recycled blocks, the output differs:\n got %.300s\nwant %.300s", fxs[i].name, got, fresh[i])
		}
	}
}

// TestArenaReleaseClears checks that released blocks hold nothing of the
// page that used them.
func TestArenaReleaseClears(t *testing.T) {
	fx := loadFixtures(t)[0]
	ar := new(arena)
	if doc, _ := fastParseIn(fx.body, true, ar); doc == nil {
		t.Fatalf("%s: not parsed by the fast builder", fx.name)
	}
	if len(ar.nodes) == 0 || len(ar.attrs) == 0 {
		t.Fatalf("%s: the arena handed out %d node and %d attribute blocks", fx.name, len(ar.nodes), len(ar.attrs))
	}
	ar.release()
	if len(ar.nodes) != 0 || len(ar.freeNodes) == 0 {
		t.Fatalf("after release: %d blocks in use, %d free", len(ar.nodes), len(ar.freeNodes))
	}
	for _, b := range ar.freeNodes {
		for i := range b {
			if b[i].Type != 0 || b[i].Data != "" || b[i].Parent != nil || b[i].FirstChild != nil || b[i].NextSibling != nil || b[i].Attr != nil {
				t.Fatalf("a released node still holds %+v", b[i])
			}
		}
	}
	for _, b := range ar.freeAttrs {
		for i := range b {
			if b[i].Key != "" || b[i].Val != "" {
				t.Fatalf("a released attribute still holds %+v", b[i])
			}
		}
	}
}

// newArenaPool is an empty pool of arenas.
func newArenaPool() sync.Pool { return sync.Pool{New: func() any { return new(arena) }} }
