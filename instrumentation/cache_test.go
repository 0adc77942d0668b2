package instrumentation

import "testing"

func TestCacheBuildsOncePerKeyWithinItsBound(t *testing.T) {
	var c cache[int, int]
	builds := 0
	square := func(k int) int { builds++; return k * k }
	for range 3 {
		if got := c.get(7, square); got != 49 {
			t.Fatalf("get(7) = %d", got)
		}
	}
	if builds != 1 {
		t.Errorf("built %d times for one key", builds)
	}
	for k := range maxCached + 100 {
		if got := c.get(k, square); got != k*k {
			t.Fatalf("get(%d) = %d", k, got)
		}
	}
	if len(c.m) != maxCached {
		t.Errorf("cache holds %d values, bound %d", len(c.m), maxCached)
	}
	builds = 0
	c.get(maxCached+50, square) // beyond the bound: built anew each time
	c.get(maxCached+50, square)
	if builds != 2 {
		t.Errorf("a key beyond the bound was built %d times in 2 gets", builds)
	}
}
