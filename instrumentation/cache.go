package instrumentation

import "sync"

// maxCached bounds each cache; calls beyond it build their values anew.
const maxCached = 4096

// cache keeps what recurring calls share and is costly to build per call:
// the start options and name of a span, the attribute sets of a metric
// series. Most calls repeat a few keys (provider, model, server, project).
type cache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// get returns the value of k, built by build on a miss.
func (c *cache[K, V]) get(k K, build func(K) V) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = build(k)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[K]V)
	}
	if len(c.m) < maxCached {
		c.m[k] = v
	}
	c.mu.Unlock()
	return v
}
