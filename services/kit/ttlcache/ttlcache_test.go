package ttlcache_test

import (
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/ttlcache"
)

func TestValuesLiveTheirLifetime(t *testing.T) {
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	c := ttlcache.New[string, int](time.Minute, 0, func() time.Time { return now })
	if _, ok := c.Get("a"); ok {
		t.Fatal("empty cache hit")
	}
	c.Put("a", 1)
	now = now.Add(59 * time.Second)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("within the lifetime: %v, %v; want 1, true", v, ok)
	}
	now = now.Add(time.Second)
	if _, ok := c.Get("a"); ok {
		t.Error("hit once the lifetime is over")
	}
}

func TestZeroTTLRemembersNothing(t *testing.T) {
	c := ttlcache.New[string, int](0, 0, nil)
	c.Put("a", 1)
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Errorf("a cache with ttl 0 remembered a value (len %d)", c.Len())
	}
}

func TestBoundDropsExpiredFirstThenAll(t *testing.T) {
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	c := ttlcache.New[int, bool](time.Minute, 3, func() time.Time { return now })
	c.PutAll(map[int]bool{1: true, 2: true})
	now = now.Add(time.Minute)
	c.Put(3, true)
	c.PutAll(map[int]bool{4: true}) // 1 and 2 expired: dropped, 3 kept
	if _, ok := c.Get(3); !ok || c.Len() != 2 {
		t.Errorf("after dropping expired values: len %d, 3 kept %v; want 2, true", c.Len(), ok)
	}
	c.PutAll(map[int]bool{5: true, 6: true}) // nothing expired: all dropped
	if _, ok := c.Get(3); ok || c.Len() != 2 {
		t.Errorf("over the bound with nothing expired: len %d, 3 kept %v; want 2, false", c.Len(), ok)
	}
}
