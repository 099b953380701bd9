package search

import (
	"container/list"
	"fmt"
	"sync"
)

// resultCache keeps the results of the last searches (the same page
// asked again, the next page after a facet click, the start page) until
// the index changes: the key carries the index generation.
type resultCache struct {
	mu    sync.Mutex
	order *list.List // of string keys, most recent first
	m     map[string]*list.Element
}

type cached struct {
	key string
	res *Result
}

const cacheEntries = 128

func cacheKey(q Query, gen uint64) string { return fmt.Sprintf("%d\x00%#v", gen, q) }

func (c *resultCache) get(key string) (*Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cached).res, true
	}
	return nil, false
}

func (c *resultCache) put(key string, r *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.order = map[string]*list.Element{}, list.New()
	}
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = c.order.PushFront(&cached{key, r})
	for c.order.Len() > cacheEntries {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.m, e.Value.(*cached).key)
	}
}
