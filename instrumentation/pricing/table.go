package pricing

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// Table is a validated price table. It is immutable and safe for concurrent use.
type Table struct {
	prices     []Price                // file order
	notes      []string               // what reading the file would have the reader know
	byProvider map[string]*modelIndex // lookup structure
}

// modelIndex holds one provider's rows, grouped by model name or glob.
type modelIndex struct {
	exact map[string]*entry
	globs []*entry // most specific (longest) first
}

// entry is the rows of one model name or glob.
type entry struct {
	pattern, prefix string
	spans           []span // the periods of its rows: the entry is in force when one is
	tiers           [numTiers]*tierRates
}

// tierRates is an entry's rows of one service tier, by unit.
type tierRates struct {
	spans []span
	units [NumUnits][]rate
}

// span is a half-open period in Unix seconds.
type span struct{ from, to int64 }

func (s span) has(t int64) bool { return s.from <= t && t < s.to }

// rate is a row as lookups read it.
type rate struct {
	span
	minInput  int64
	perUnit   float64 // USD per unit: usd / per, as the reports' SQL computes it
	minBilled float64
	row       int // index in Table.prices
}

// Tier indexes, in the order of semconv.ServiceTiers.
const (
	tierStandard = iota
	numTiers     = 5
)

// tierIndex returns the index of a service tier name; "" is standard.
func tierIndex(tier string) (int, bool) {
	if tier == "" {
		return tierStandard, true
	}
	for i, t := range semconv.ServiceTiers {
		if t == tier {
			return i, true
		}
	}
	return 0, false
}

func unixDay(t time.Time, open int64) int64 {
	if t.IsZero() {
		return open
	}
	return t.Unix()
}

func newTable(prices []Price, notes []string) *Table {
	t := &Table{prices: prices, notes: notes, byProvider: make(map[string]*modelIndex)}
	for i := range prices {
		p := &prices[i]
		idx := t.byProvider[p.Provider]
		if idx == nil {
			idx = &modelIndex{exact: make(map[string]*entry)}
			t.byProvider[p.Provider] = idx
		}
		e := idx.exact[p.Model]
		if e == nil {
			e = &entry{pattern: p.Model, prefix: globPrefix(p.Model)}
			idx.exact[p.Model] = e // globs are moved out below
		}
		ti, _ := tierIndex(p.Tier)
		tr := e.tiers[ti]
		if tr == nil {
			tr = &tierRates{}
			e.tiers[ti] = tr
		}
		s := span{unixDay(p.EffectiveFrom, math.MinInt64), unixDay(p.EffectiveTo, math.MaxInt64)}
		e.spans = append(e.spans, s)
		tr.spans = append(tr.spans, s)
		tr.units[p.Unit] = append(tr.units[p.Unit], rate{span: s, minInput: p.MinInputTokens,
			perUnit: p.USD / p.Per, minBilled: p.MinBilled, row: i})
	}
	for _, idx := range t.byProvider {
		for name, e := range idx.exact {
			if isGlob(name) {
				idx.globs = append(idx.globs, e)
				delete(idx.exact, name)
			}
		}
		sort.Slice(idx.globs, func(i, j int) bool {
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

// Notes are what the reader of the table should know about how it was read, such as
// a file in the older layout; none for a file in the current one.
func (t *Table) Notes() []string {
	return append([]string(nil), t.notes...)
}

// find returns the entry pricing model at provider at time t: the exact name's rows
// if one is in force, else those of the longest glob that matches and has one.
func (t *Table) find(provider, model string, at int64) *entry {
	idx := t.byProvider[provider]
	if idx == nil || model == "" {
		return nil
	}
	if e := idx.exact[model]; e != nil && inForce(e.spans, at) {
		return e
	}
	for _, e := range idx.globs {
		if strings.HasPrefix(model, e.prefix) && inForce(e.spans, at) && globMatch(e.pattern, model) {
			return e
		}
	}
	return nil
}

func inForce(spans []span, at int64) bool {
	for _, s := range spans {
		if s.has(at) {
			return true
		}
	}
	return false
}

// pick returns, of rates in force at at, the one with the highest prompt-size tier
// inputTokens reaches.
func pick(rates []rate, inputTokens int64, at int64) *rate {
	var best *rate
	for i := range rates {
		r := &rates[i]
		if !r.has(at) || r.minInput > inputTokens {
			continue
		}
		if best == nil || r.minInput > best.minInput {
			best = r
		}
	}
	return best
}

// Bill is what a call costs under a table, unit by unit.
type Bill struct {
	// Status is semconv.CostPriced, semconv.CostPartiallyPriced (some billed unit
	// has no rate: see Missing) or semconv.CostUnpriced (no rate for the model, or
	// none for anything the call used): an unpriced call's cost is unknown, not 0.
	Status string
	// USD is the cost of the units priced.
	USD float64
	// Tier is the service tier whose rates priced the call; TierFallback says it is
	// standard because the table has no rates for the tier the call was served in.
	Tier         string
	TierFallback bool
	// Missing are the billed units the call used that the table has no rate for.
	Missing UnitSet
	// Quantity is the billed quantity of each unit (after min_billed), UnitUSD its cost.
	Quantity Quantities
	UnitUSD  [NumUnits]float64
}

// Bill prices a call of model at provider, served in tier ("" is standard), that
// used u, at time at:
//
//   - The model's rows are those of its exact name if any is in force at at, else
//     those of the longest glob matching it with one in force.
//   - The rows of the served tier apply if it has any in force, else the standard
//     tier's (TierFallback). An unknown tier is billed as standard, and says so.
//   - u is split into billed units (see QuantitiesOf); each is billed at its own rate,
//     else at the rate of the first of its Fallbacks the model has. Of a unit's rows,
//     the one for the highest prompt size the call's input tokens reach applies.
//   - A min_billed on the billed audio seconds raises a call's duration to it.
func (t *Table) Bill(provider, model, tier string, u *usage.Usage, at time.Time) Bill {
	b := Bill{Status: semconv.CostUnpriced}
	now := at.Unix()
	e := t.find(provider, model, now)
	if e == nil {
		return b
	}
	ti, known := tierIndex(tier)
	tr := e.tiers[ti]
	if tr == nil || !inForce(tr.spans, now) {
		tr = e.tiers[tierStandard]
		if tr == nil || !inForce(tr.spans, now) {
			return b
		}
		ti = tierStandard
		b.TierFallback = true
	}
	b.Tier = semconv.ServiceTiers[ti]
	b.TierFallback = b.TierFallback || !known

	b.Quantity = QuantitiesOf(u)
	input := max(u.InputTokens, 0)
	priced := false
	for unit := range NumUnits {
		q := b.Quantity[unit]
		if q == 0 {
			continue
		}
		r := pick(tr.units[unit], input, now)
		for _, f := range units[unit].fallbacks {
			if r != nil {
				break
			}
			r = pick(tr.units[f], input, now)
		}
		if r == nil {
			info := &units[unit]
			if !info.derived && !(info.covered && pick(tr.units[info.coveredBy], input, now) != nil) {
				b.Missing = b.Missing.Add(unit)
			}
			continue
		}
		if q < r.minBilled {
			q = r.minBilled
			b.Quantity[unit] = q
		}
		cost := q * r.perUnit
		b.UnitUSD[unit] = cost
		b.USD += cost
		priced = true
	}
	switch {
	case b.Missing == 0:
		b.Status = semconv.CostPriced
	case priced:
		b.Status = semconv.CostPartiallyPriced
	default:
		b.USD = 0
	}
	return b
}

// Cost is the USD cost of a call to model at provider at time at in the standard
// tier; ok is false unless every unit the call used is priced.
func (t *Table) Cost(provider, model string, u usage.Usage, at time.Time) (usd float64, ok bool) {
	b := t.Bill(provider, model, "", &u, at)
	return b.USD, b.Status == semconv.CostPriced
}

// Rate returns the row that prices unit of model at provider in tier for a prompt of
// inputTokens at time at: the unit's own row, without falling back to another unit
// or tier. It is how tables are compared; bills use [Table.Bill].
func (t *Table) Rate(provider, model, tier string, unit Unit, inputTokens int64, at time.Time) (Price, bool) {
	now := at.Unix()
	e := t.find(provider, model, now)
	ti, known := tierIndex(tier)
	if e == nil || !known || unit >= NumUnits || e.tiers[ti] == nil {
		return Price{}, false
	}
	r := pick(e.tiers[ti].units[unit], max(inputTokens, 0), now)
	if r == nil {
		return Price{}, false
	}
	return t.prices[r.row], true
}

// Match returns the model name or glob whose rows price model at provider at time at:
// the exact name if it has a row in force, else the longest glob matching it that has.
func (t *Table) Match(provider, model string, at time.Time) (pattern string, ok bool) {
	e := t.find(provider, model, at.Unix())
	if e == nil {
		return "", false
	}
	return e.pattern, true
}

// BillingRate returns the row that bills unit of model at provider in tier for a
// prompt of inputTokens at time at: the unit's own row, else that of the first of its
// Fallbacks with one (the returned Price's Unit says which). Unlike a bill, it does not
// fall back to the standard tier. It is how tables are compared.
func (t *Table) BillingRate(provider, model, tier string, unit Unit, inputTokens int64, at time.Time) (Price, bool) {
	if unit >= NumUnits {
		return Price{}, false
	}
	if p, ok := t.Rate(provider, model, tier, unit, inputTokens, at); ok {
		return p, true
	}
	for _, f := range units[unit].fallbacks {
		if p, ok := t.Rate(provider, model, tier, f, inputTokens, at); ok {
			return p, true
		}
	}
	return Price{}, false
}
