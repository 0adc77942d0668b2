package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// CacheBlockTokens is the granularity of prompt caching: cached token counts are whole blocks.
const CacheBlockTokens = 128

// promptCache remembers the leading-message prefixes of earlier prompts per model, to report
// cached tokens for a request that repeats one. It forgets everything when it grows past
// maxCacheEntries, like a real cache evicting.
type promptCache struct {
	seen map[[32]byte]struct{}
}

const maxCacheEntries = 1 << 16

// prefixes hashes each leading run of parts, model first: key i covers parts[0..i].
type prefixes struct {
	h      hash.Hash
	keys   [][32]byte
	tokens []int // cumulative tokens of parts[0..i]
}

func newPrefixes(model string) *prefixes {
	p := &prefixes{h: sha256.New()}
	p.h.Write([]byte(model))
	p.h.Write([]byte{0})
	return p
}

// add appends one message (its role and text) to the running prefix.
func (p *prefixes) add(role, text string, tokens int) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(role)))
	p.h.Write(n[:])
	p.h.Write([]byte(role))
	binary.LittleEndian.PutUint64(n[:], uint64(len(text)))
	p.h.Write(n[:])
	p.h.Write([]byte(text))
	var key [32]byte
	p.h.Sum(key[:0])
	total := tokens
	if len(p.tokens) > 0 {
		total += p.tokens[len(p.tokens)-1]
	}
	p.keys = append(p.keys, key)
	p.tokens = append(p.tokens, total)
}

// total returns the tokens of all parts added.
func (p *prefixes) total() int {
	if len(p.tokens) == 0 {
		return 0
	}
	return p.tokens[len(p.tokens)-1]
}

// peek returns the cached tokens for p without remembering it.
func (c *promptCache) peek(p *prefixes) int {
	for i := len(p.keys) - 1; i >= 0; i-- {
		if _, ok := c.seen[p.keys[i]]; ok {
			return p.tokens[i] / CacheBlockTokens * CacheBlockTokens
		}
	}
	return 0
}

// store remembers p's prefixes.
func (c *promptCache) store(p *prefixes) {
	if c.seen == nil || len(c.seen)+len(p.keys) > maxCacheEntries {
		c.seen = make(map[[32]byte]struct{})
	}
	for _, k := range p.keys {
		c.seen[k] = struct{}{}
	}
}
