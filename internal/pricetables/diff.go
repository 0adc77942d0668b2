package pricetables

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Kinds of Difference.
const (
	Differs    = "differs"     // both tables price the unit, at different rates
	OnlyOurs   = "only_ours"   // our table prices it, theirs does not
	OnlyTheirs = "only_theirs" // theirs prices it, ours does not: our calls would be unpriced
)

// Difference is a unit of a model on which two price tables disagree.
type Difference struct {
	Provider, Model string
	Tier            string
	MinInputTokens  int64
	// Unit is the billed unit, or "*" when a table has no rows for the model (or tier) at all.
	Unit string
	// Ours and Theirs are USD per Per units (a million tokens, an hour of audio, a
	// thousand searches), NaN when the table has no rate. A unit without a rate of its
	// own is compared at the rate that bills it (its Fallbacks).
	Ours, Theirs float64
	Per          float64
	Kind         string
	// OurSource and TheirSource are the rows' sources.
	OurSource, TheirSource string
	// Chosen is why we disagree on purpose (see the chosen list); "" when unexplained.
	Chosen string
}

// Compare lists where ours and theirs disagree on the prices in force at at, for every
// model either table names (names: per provider, the names theirs spells out; ours'
// exact names are added) of the providers theirs has rows for. Each table finds a
// model's rows by its own precedence. The standard tier is always compared; another
// tier only when both tables have rows for it (else it is reported once, kind only_*,
// unit "*"). Units are compared at each prompt-size tier either table has for them.
func Compare(ours, theirs *pricing.Table, names map[string][]string, at time.Time) []Difference {
	providers := map[string]bool{}
	for _, p := range theirs.Prices() {
		providers[p.Provider] = true
	}
	probe := map[string]map[string]bool{}
	add := func(provider, model string) {
		if !providers[provider] || strings.ContainsAny(model, "*?[") {
			return
		}
		if probe[provider] == nil {
			probe[provider] = map[string]bool{}
		}
		probe[provider][model] = true
	}
	for provider, ms := range names {
		for _, m := range ms {
			add(provider, m)
		}
	}
	for _, p := range ours.Prices() {
		add(p.Provider, p.Model)
	}
	oursRows, theirsRows := inForce(ours, at), inForce(theirs, at)

	var out []Difference
	for _, provider := range sortedKeys(probe) {
		for _, model := range sortedKeys(probe[provider]) {
			op, okO := ours.Match(provider, model, at)
			tp, okT := theirs.Match(provider, model, at)
			switch {
			case !okO && !okT:
				continue
			case !okT:
				out = append(out, modelOnly(provider, model, "", OnlyOurs, source(oursRows[entryKey{provider, op}]), ""))
				continue
			case !okO:
				out = append(out, modelOnly(provider, model, "", OnlyTheirs, "", source(theirsRows[entryKey{provider, tp}])))
				continue
			}
			o, t := oursRows[entryKey{provider, op}], theirsRows[entryKey{provider, tp}]
			for _, tier := range semconv.ServiceTiers {
				ot, tt := o.tier(tier), t.tier(tier)
				switch {
				case len(ot) == 0 && len(tt) == 0:
					continue
				case len(tt) == 0 && tier != semconv.ServiceTierStandard:
					out = append(out, modelOnly(provider, model, tier, OnlyOurs, source(ot), ""))
					continue
				case len(ot) == 0 && tier != semconv.ServiceTierStandard:
					out = append(out, modelOnly(provider, model, tier, OnlyTheirs, "", source(tt)))
					continue
				}
				out = append(out, compareTier(ours, theirs, provider, model, tier, append(ot, tt...), at)...)
			}
		}
	}
	return out
}

// compareTier compares every unit either table has a row for in one tier.
func compareTier(ours, theirs *pricing.Table, provider, model, tier string, rows []pricing.Price, at time.Time) []Difference {
	thresholds := map[pricing.Unit]map[int64]bool{}
	for _, r := range rows {
		if thresholds[r.Unit] == nil {
			thresholds[r.Unit] = map[int64]bool{0: true}
		}
		thresholds[r.Unit][r.MinInputTokens] = true
	}
	var out []Difference
	for _, unit := range pricing.Units() {
		ths := make([]int64, 0, len(thresholds[unit]))
		for th := range thresholds[unit] {
			ths = append(ths, th)
		}
		sort.Slice(ths, func(i, j int) bool { return ths[i] < ths[j] })
		for _, th := range ths {
			o, okO := ours.BillingRate(provider, model, tier, unit, th, at)
			t, okT := theirs.BillingRate(provider, model, tier, unit, th, at)
			d := Difference{Provider: provider, Model: model, Tier: tier, MinInputTokens: th, Unit: unit.String(),
				Per: unit.Per(), Ours: math.NaN(), Theirs: math.NaN()}
			if okO {
				d.Ours, d.OurSource = o.USD/o.Per*unit.Per(), o.Source
			}
			if okT {
				d.Theirs, d.TheirSource = t.USD/t.Per*unit.Per(), t.Source
			}
			switch {
			case okO && okT && same(d.Ours, d.Theirs):
				continue
			case okO && okT:
				d.Kind = Differs
			case okO:
				d.Kind = OnlyOurs
			case okT:
				d.Kind = OnlyTheirs
			default:
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

func same(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func modelOnly(provider, model, tier, kind, ourSource, theirSource string) Difference {
	return Difference{Provider: provider, Model: model, Tier: tier, Unit: "*", Kind: kind,
		Ours: math.NaN(), Theirs: math.NaN(), OurSource: ourSource, TheirSource: theirSource}
}

// entryKey names the rows of one model name or glob.
type entryKey struct{ provider, model string }

// entryRows are one entry's rows in force.
type entryRows []pricing.Price

func (e entryRows) tier(tier string) []pricing.Price {
	var out []pricing.Price
	for _, p := range e {
		if p.Tier == tier {
			out = append(out, p)
		}
	}
	return out
}

func source(rows []pricing.Price) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[0].Source
}

// inForce groups a table's rows in force at at by model name or glob.
func inForce(t *pricing.Table, at time.Time) map[entryKey]entryRows {
	out := map[entryKey]entryRows{}
	for _, p := range t.Prices() {
		if at.Before(p.EffectiveFrom) || (!p.EffectiveTo.IsZero() && !at.Before(p.EffectiveTo)) {
			continue
		}
		k := entryKey{p.Provider, p.Model}
		out[k] = append(out[k], p)
	}
	return out
}

//go:embed chosen.csv
var chosenCSV string

// chosenRule says we disagree with a table on purpose, and why.
type chosenRule struct {
	table, provider, model, unit, reason string
}

// chosenRules are the disagreements with the public tables chosen on purpose
// (chosen.csv, also listed in docs/PRICES.md).
var chosenRules = func() []chosenRule {
	r := csv.NewReader(strings.NewReader(chosenCSV))
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 || strings.Join(recs[0], ",") != "table,provider,model,unit,reason" {
		panic(fmt.Sprintf("pricetables: chosen.csv: %v", err)) // embedded; checked by the tests
	}
	out := make([]chosenRule, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		out = append(out, chosenRule{rec[0], rec[1], rec[2], rec[3], rec[4]})
	}
	return out
}()

// MarkChosen sets the Chosen reason of each difference with table that we made on
// purpose: the first rule of chosen.csv whose table, provider, model (a glob) and unit
// ("*" for any) match.
func MarkChosen(diffs []Difference, table Format) {
	for i := range diffs {
		d := &diffs[i]
		for _, r := range chosenRules {
			if (r.table == "*" || r.table == string(table)) && (r.provider == "*" || r.provider == d.Provider) &&
				globMatch(r.model, d.Model) && (r.unit == "*" || r.unit == d.Unit) {
				d.Chosen = r.reason
				break
			}
		}
	}
}

// ChosenRules returns the chosen list as table, provider, model, unit, reason rows.
func ChosenRules() [][5]string {
	out := make([][5]string, len(chosenRules))
	for i, r := range chosenRules {
		out[i] = [5]string{r.table, r.provider, r.model, r.unit, r.reason}
	}
	return out
}

// globMatch matches the chosen list's model patterns: * any run of characters.
func globMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}
