// Package pricing is the aiusage price table: USD per million tokens by provider and
// model, with prompt-size tiers and effective dates, and the cost of a call under it.
//
// The table ships embedded (prices.csv in this folder, see [Default]); an app or the CLI
// may load its own with [Parse] or [Load]. A model with no price is unpriced: [Table.Cost]
// reports ok=false rather than a cost of zero.
package pricing

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aiusage/aiusage/instrumentation/usage"
)

//go:embed prices.csv
var embedded []byte

// Price is one row of the table: what a provider charges for a model (or every model
// matching a glob) from a prompt size on, during a period.
type Price struct {
	// Provider is the gen_ai.provider.name value, e.g. "groq" or "gcp.gemini".
	Provider string
	// Model is an exact model name or a glob in path.Match syntax ("gemini-2.0-flash-0*").
	// An exact name beats a glob; a longer glob beats a shorter one.
	Model string
	// InputPerMTok and OutputPerMTok are USD per million input and output tokens.
	InputPerMTok, OutputPerMTok float64
	// CachedInputPerMTok is USD per million cached (cache-read) input tokens; it applies
	// only when HasCachedInput is set, otherwise cached input is billed as input.
	CachedInputPerMTok float64
	HasCachedInput     bool
	// MinInputTokens is the prompt size from which this tier applies; of the tiers a
	// call reaches, the one with the highest MinInputTokens wins.
	MinInputTokens int64
	// EffectiveFrom is the first instant the price is in force; EffectiveTo is the
	// first instant it no longer is (exclusive), zero while it is still in force.
	EffectiveFrom, EffectiveTo time.Time
	// Source says where the price comes from (page and date checked).
	Source string
}

// Cost is the USD price of u at p. Cached input is billed at the cached price when the
// row has one and as input otherwise. Negative counts count as zero, and cached tokens
// beyond the input count are capped at it, so bad counts never produce a negative cost.
func (p Price) Cost(u usage.Usage) float64 {
	in := max(u.InputTokens, 0)
	cached := min(max(u.CacheReadInputTokens, 0), in)
	out := max(u.OutputTokens, 0)
	cachedPrice := p.InputPerMTok
	if p.HasCachedInput {
		cachedPrice = p.CachedInputPerMTok
	}
	return (float64(in-cached)*p.InputPerMTok + float64(cached)*cachedPrice + float64(out)*p.OutputPerMTok) / 1e6
}

// active reports whether p is in force at t.
func (p *Price) active(t time.Time) bool {
	return !t.Before(p.EffectiveFrom) && (p.EffectiveTo.IsZero() || t.Before(p.EffectiveTo))
}

// Table is a validated price table. It is immutable and safe for concurrent use.
type Table struct {
	prices     []Price                // file order
	byProvider map[string]*modelIndex // lookup structure
}

// modelIndex holds one provider's rows, grouped by model or glob.
type modelIndex struct {
	exact map[string][]Price
	globs []globRows // most specific (longest) first
}

type globRows struct {
	pattern string
	prefix  string // literal text before the first meta character: a cheap first filter
	rows    []Price
}

func newTable(prices []Price) *Table {
	t := &Table{prices: prices, byProvider: make(map[string]*modelIndex)}
	type globKey struct{ provider, pattern string }
	globAt := make(map[globKey]int) // index in its provider's globs
	for _, p := range prices {
		idx := t.byProvider[p.Provider]
		if idx == nil {
			idx = &modelIndex{exact: make(map[string][]Price)}
			t.byProvider[p.Provider] = idx
		}
		if !isGlob(p.Model) {
			idx.exact[p.Model] = append(idx.exact[p.Model], p)
			continue
		}
		i, ok := globAt[globKey{p.Provider, p.Model}]
		if !ok {
			i = len(idx.globs)
			globAt[globKey{p.Provider, p.Model}] = i
			prefix := p.Model[:strings.IndexAny(p.Model, globMeta)]
			idx.globs = append(idx.globs, globRows{pattern: p.Model, prefix: prefix})
		}
		idx.globs[i].rows = append(idx.globs[i].rows, p)
	}
	for _, idx := range t.byProvider {
		sort.SliceStable(idx.globs, func(i, j int) bool {
			a, b := idx.globs[i].pattern, idx.globs[j].pattern
			if len(a) != len(b) {
				return len(a) > len(b)
			}
			return a < b // equal length: deterministic
		})
	}
	return t
}

// Prices returns a copy of the table's rows in the order they were read.
func (t *Table) Prices() []Price {
	return append([]Price(nil), t.prices...)
}

// Lookup finds the price of a call to model at provider with inputTokens of prompt at
// time at. Rows for the exact model name are tried first, then globs, longest first;
// the first of these with a row in force at at and a tier the prompt reaches wins, and
// within it the tier with the highest MinInputTokens not above inputTokens.
func (t *Table) Lookup(provider, model string, inputTokens int64, at time.Time) (Price, bool) {
	idx := t.byProvider[provider]
	if idx == nil || model == "" {
		return Price{}, false
	}
	if p, ok := pick(idx.exact[model], inputTokens, at); ok {
		return p, true
	}
	for _, g := range idx.globs {
		if !strings.HasPrefix(model, g.prefix) {
			continue
		}
		if ok, _ := path.Match(g.pattern, model); !ok {
			continue
		}
		if p, ok := pick(g.rows, inputTokens, at); ok {
			return p, true
		}
	}
	return Price{}, false
}

// pick returns, of rows in force at at, the highest tier that inputTokens reaches.
func pick(rows []Price, inputTokens int64, at time.Time) (Price, bool) {
	var best *Price
	for i := range rows {
		p := &rows[i]
		if !p.active(at) || p.MinInputTokens > max(inputTokens, 0) {
			continue
		}
		if best == nil || p.MinInputTokens > best.MinInputTokens {
			best = p
		}
	}
	if best == nil {
		return Price{}, false
	}
	return *best, true
}

// Cost is the USD cost of a call to model at provider at time at; ok is false when the
// table has no price for it (the call is unpriced, not free).
func (t *Table) Cost(provider, model string, u usage.Usage, at time.Time) (usd float64, ok bool) {
	p, ok := t.Lookup(provider, model, u.InputTokens, at)
	if !ok {
		return 0, false
	}
	return p.Cost(u), true
}

// Default returns the table embedded in the library (prices.csv).
func Default() *Table {
	return defaultTable()
}

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(bytes.NewReader(embedded))
	if err != nil {
		// The embedded file is part of the build and checked by the package tests.
		panic(fmt.Sprintf("pricing: embedded prices.csv: %v", err))
	}
	return t
})

// Load reads and validates a price table in the prices.csv format from a file.
func Load(name string) (*Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open price table: %w", err)
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// globMeta are the characters that make a model field a path.Match pattern.
const globMeta = `*?[\`

// isGlob reports whether a model field is a pattern rather than a name.
func isGlob(model string) bool {
	return strings.ContainsAny(model, globMeta)
}
