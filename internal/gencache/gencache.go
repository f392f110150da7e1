// Package gencache is a small bounded cache with two generations: lookups
// hit the current or the previous generation (a hit in the previous one
// moves the entry forward); when the current generation's cost exceeds
// the budget it becomes the previous one and the old previous one is
// dropped. It approximates least-recently-used eviction with a map lookup
// per hit and no list to maintain, and holds at most about twice its
// budget (plus what entries larger than half of it exceed that by).
package gencache

import "sync"

// Cache maps keys to values within a budget. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu       sync.Mutex
	cur, old map[K]V
	used     int
	budget   int
	cost     func(V) int
}

// New returns a cache whose generations each hold up to budget, as
// measured by cost (nil: every entry costs 1, so budget is a count).
func New[K comparable, V any](budget int, cost func(V) int) *Cache[K, V] {
	if cost == nil {
		cost = func(V) int { return 1 }
	}
	return &Cache[K, V]{cur: map[K]V{}, budget: budget, cost: cost}
}

// Get returns the value cached under k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.addLocked(k, v)
	}
	return v, ok
}

// Add caches v under k, unless k is cached in the current generation.
func (c *Cache[K, V]) Add(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(k, v)
}

// Put caches v under k, replacing what k held.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(k)
	c.addLocked(k, v)
}

// Remove drops what k holds.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(k)
}

func (c *Cache[K, V]) removeLocked(k K) {
	if old, ok := c.cur[k]; ok {
		c.used -= c.costOf(old)
		delete(c.cur, k)
	}
	delete(c.old, k)
}

func (c *Cache[K, V]) addLocked(k K, v V) {
	if _, ok := c.cur[k]; ok {
		return
	}
	c.cur[k] = v
	c.used += c.costOf(v)
	if c.used > c.budget {
		c.old, c.cur, c.used = c.cur, map[K]V{}, 0
	}
}

// costOf is v's cost, counted as at most half the budget: an entry
// larger than the budget would otherwise turn the generations over at
// each hit on it (it is moved forward from the previous one), and the
// entries used beside it would be dropped and made again each time.
func (c *Cache[K, V]) costOf(v V) int { return min(c.cost(v), max(c.budget/2, 1)) }

// Len returns the number of entries in both generations (an entry
// present in both counts twice).
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
