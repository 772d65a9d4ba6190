// Package ttlcache remembers answers of a peer service for a short while, so that calls
// repeated within seconds (one event naming the same units as the events around it, one
// document naming the same units again and again) do not each cost a round trip. Task
// tracking's and notification's directory clients share it.
package ttlcache

import (
	"sync"
	"time"
)

// DefaultMax bounds a cache made with a max of 0; a province has a few thousand units and
// users, so this is far beyond what a day's answers hold.
const DefaultMax = 100_000

// Cache maps keys to values that expire ttl after they were put. It is safe for concurrent
// use. A ttl of 0 (or less) remembers nothing: every Get misses.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[K]entry[V]
}

type entry[V any] struct {
	value   V
	expires time.Time
}

// New returns a cache whose values live ttl by the clock now (nil: the system clock) and
// which holds at most max values (0: DefaultMax).
func New[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *Cache[K, V] {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = DefaultMax
	}
	return &Cache[K, V]{ttl: ttl, max: max, now: now, entries: map[K]entry[V]{}}
}

// Get returns the value put for k, unless its lifetime is over.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put remembers v for k for the cache's lifetime.
func (c *Cache[K, V]) Put(k K, v V) {
	c.PutAll(map[K]V{k: v})
}

// PutAll remembers every value of m. When the cache would outgrow its bound, expired values
// are dropped first and, if that is not enough, all of them: a full cache only costs round
// trips, never a wrong answer.
func (c *Cache[K, V]) PutAll(m map[K]V) {
	if c.ttl <= 0 || len(m) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries)+len(m) > c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries)+len(m) > c.max {
			clear(c.entries)
		}
	}
	for k, v := range m {
		c.entries[k] = entry[V]{value: v, expires: now.Add(c.ttl)}
	}
}

// Len returns how many values the cache holds, expired ones included until they are dropped.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
