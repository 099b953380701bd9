package kremlin

import (
	"sync"

	"golang.org/x/net/html"
)

// arena holds the blocks of nodes and attributes of one page's tree
// (fast builder), for the next page once the tree is dropped: a page of
// the site is ~1,500 nodes, and their blocks were ~45% of the bytes a
// backfill allocated per document (go tool pprof -sample_index=alloc_space
// on a backfill's heap profile); recycled, they no longer make the
// collector run.
//
// Released blocks are cleared, so a new tree starts from zero values and
// nothing of the old page stays reachable. A tree must not be used after
// its arena is released: the page that owns it releases it (page.release)
// when its parse is over and its results are detached from the tree.
type arena struct {
	nodes, freeNodes [][]html.Node
	attrs, freeAttrs [][]html.Attribute
}

const (
	nodeBlock = 128
	attrBlock = 512
	// arenaKeep bounds the blocks an arena keeps for the next page: a rare
	// huge page's tree is left to the collector.
	arenaKeep = 64
)

var arenas = sync.Pool{New: func() any { return new(arena) }}

func newArena() *arena { return arenas.Get().(*arena) }

// nodeBlock returns a block of zero nodes.
func (ar *arena) nodeBlock() []html.Node { return take(&ar.freeNodes, &ar.nodes, nodeBlock) }

// attrBlock returns a block of zero attributes.
func (ar *arena) attrBlock() []html.Attribute { return take(&ar.freeAttrs, &ar.attrs, attrBlock) }

// take returns a free block (cleared when it was released) or a new one
// of size, and records it as handed out.
func take[T any](free, used *[][]T, size int) []T {
	var b []T
	if n := len(*free); n > 0 {
		b, *free = (*free)[n-1], (*free)[:n-1]
	} else {
		b = make([]T, size)
	}
	*used = append(*used, b)
	return b
}

// release clears the blocks handed out and keeps them for the next tree.
func (ar *arena) release() {
	if ar == nil {
		return
	}
	if len(ar.freeNodes)+len(ar.nodes) > arenaKeep || len(ar.freeAttrs)+len(ar.attrs) > arenaKeep {
		return // left to the collector
	}
	for _, b := range ar.nodes {
		clear(b)
	}
	for _, b := range ar.attrs {
		clear(b)
	}
	ar.freeNodes = append(ar.freeNodes, ar.nodes...)
	ar.freeAttrs = append(ar.freeAttrs, ar.attrs...)
	clear(ar.nodes)
	clear(ar.attrs)
	ar.nodes, ar.attrs = ar.nodes[:0], ar.attrs[:0]
	arenas.Put(ar)
}
