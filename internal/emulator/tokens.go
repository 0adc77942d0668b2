package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strings"
	"unicode/utf8"
)

// CacheBlockTokens is the granularity of prompt caching: cached token counts are whole blocks.
const CacheBlockTokens = 128

// ToolUsePromptTokens is what one Gemini built-in tool (search, code execution, URL context)
// adds to toolUsePromptTokenCount.
const ToolUsePromptTokens = 256

// tokenChars is the number of characters one token stands for.
const tokenChars = 4

// CountTokens returns the emulator's token count for text: one token per 4 characters
// (runes), rounded up.
func CountTokens(text string) int {
	return (utf8.RuneCountInString(text) + tokenChars - 1) / tokenChars
}

// ReplyTokens returns how many visible tokens the emulator answers a prompt of promptTokens
// with, before any max-tokens cap.
func ReplyTokens(promptTokens int) int {
	return 8 + promptTokens/2
}

// The texts replies and reasoning are cut from. Every piece is tokenChars long so that a
// reply of n tokens counts back to n tokens.
const (
	replyText     = "Okay, here is what I found for your request. The lights are on, the timer is set and the music is playing. "
	reasoningText = "The user asks for an action; check the request, pick the device and confirm briefly. "
)

// pieces returns n consecutive tokenChars-long pieces of text, wrapping around.
func pieces(text string, n int) []string {
	out := make([]string, n)
	for i := range out {
		start := (i * tokenChars) % len(text)
		p := text[start:min(start+tokenChars, len(text))]
		if len(p) < tokenChars {
			p += text[:tokenChars-len(p)]
		}
		out[i] = p
	}
	return out
}

// plan is the deterministic outcome of one generation request.
type plan struct {
	prompt    int // prompt tokens, cached ones included
	cached    int // prompt tokens read from the cache
	reasoning int // thinking tokens
	reply     int // visible output tokens
	capped    bool
}

// newPlan caps thinking first, then the reply, at maxTokens (0 means no cap).
func newPlan(prompt, cached, reasoning, maxTokens int) plan {
	p := plan{prompt: prompt, cached: cached, reasoning: reasoning, reply: ReplyTokens(prompt)}
	if maxTokens > 0 && p.reasoning+p.reply > maxTokens {
		p.capped = true
		p.reasoning = min(p.reasoning, maxTokens)
		p.reply = maxTokens - p.reasoning
	}
	return p
}

// promptCache remembers the leading-message prefixes of earlier prompts per model, to report
// cached tokens for a request that repeats one. It forgets everything when it grows past
// maxEntries, like a real cache evicting.
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

// idSource derives request and response ids from a sequence number, so that two emulators
// with the same clock answer with the same ids.
type idSource struct{ seq uint64 }

func (s *idSource) next() [32]byte {
	s.seq++
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s.seq)
	return sha256.Sum256(b[:])
}

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// groqRequestID looks like Groq's "req_01j6y8yaypebqr66bn9r72s63h".
func groqRequestID(h [32]byte) string {
	var b strings.Builder
	b.WriteString("req_01")
	for i := range 24 {
		b.WriteByte(crockford[h[i]&31])
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

// completionID looks like "chatcmpl-645691ff-34af-4d0f-a1c1-fe888f8685cc".
func completionID(h [32]byte) string {
	var b strings.Builder
	b.WriteString("chatcmpl-")
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b.WriteByte('-')
		}
		b.WriteByte(hexDigits[h[16+i]>>4])
		b.WriteByte(hexDigits[h[16+i]&15])
	}
	return b.String()
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// geminiResponseID looks like Gemini's "-hk4afOSMZKkjuMPnJWGkAk".
func geminiResponseID(h [32]byte) string {
	b := make([]byte, 23)
	for i := range b {
		b[i] = base64URL[h[i]&63]
	}
	return string(b)
}
