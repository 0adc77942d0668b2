package pricetables

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// genai-prices v2 data.json: a list of providers, each with models, each with a match
// rule and prices (one set, or a list of sets with start-date constraints).
type gpProvider struct {
	ID     string    `json:"id"`
	Models []gpModel `json:"models"`
}

type gpModel struct {
	ID            string          `json:"id"`
	Match         gpClause        `json:"match"`
	Prices        json.RawMessage `json:"prices"`
	PriceComments string          `json:"price_comments"`
	Deprecated    bool            `json:"deprecated"`
}

// gpClause is a match rule: exactly one of its fields is set.
type gpClause struct {
	Equals     *string    `json:"equals"`
	StartsWith *string    `json:"starts_with"`
	EndsWith   *string    `json:"ends_with"`
	Contains   *string    `json:"contains"`
	Regex      *string    `json:"regex"`
	Or         []gpClause `json:"or"`
	And        []gpClause `json:"and"`
}

// gpConditional is one set of prices and the constraint under which it applies.
type gpConditional struct {
	Constraint *struct {
		StartDate string `json:"start_date"`
		StartTime string `json:"start_time"`
	} `json:"constraint"`
	Prices map[string]json.RawMessage `json:"prices"`
}

// gpTiered is a price that depends on the prompt's input tokens: base until the first
// tier, then each tier's price for prompts over its start, applied to every token.
type gpTiered struct {
	Base  float64 `json:"base"`
	Tiers []struct {
		Start int64   `json:"start"`
		Price float64 `json:"price"`
	} `json:"tiers"`
}

// gpProviders maps genai-prices provider ids to the gen_ai.provider.name values whose
// rows they give. genai-prices' google covers the Gemini API and Vertex AI alike.
var gpProviders = map[string][]string{
	"groq":   {semconv.ProviderGroq},
	"google": {semconv.ProviderGemini, semconv.ProviderVertexAI},
}

// gpUnits maps genai-prices price keys to billed units and the quantity their price is for.
var gpUnits = map[string]struct {
	unit pricing.Unit
	per  float64
}{
	"input_mtok":            {pricing.InputTokens, 1e6},
	"cache_read_mtok":       {pricing.CacheReadInputTokens, 1e6},
	"output_mtok":           {pricing.OutputTokens, 1e6},
	"input_audio_mtok":      {pricing.AudioInputTokens, 1e6},
	"cache_audio_read_mtok": {pricing.AudioCacheReadInputTokens, 1e6},
	"output_audio_mtok":     {pricing.AudioOutputTokens, 1e6},
	"input_image_mtok":      {pricing.ImageInputTokens, 1e6},
	"cache_image_read_mtok": {pricing.ImageCacheReadInputTokens, 1e6},
	"output_image_mtok":     {pricing.ImageOutputTokens, 1e6},
	"input_video_mtok":      {pricing.VideoInputTokens, 1e6},
	"cache_video_read_mtok": {pricing.VideoCacheReadInputTokens, 1e6},
	"output_video_mtok":     {pricing.VideoOutputTokens, 1e6},
	"output_reasoning_mtok": {pricing.ReasoningOutputTokens, 1e6},
	"input_mchars":          {pricing.InputCharacters, 1e6},
	"audio_hours":           {pricing.AudioBilledSeconds, 3600},
	"input_audio_hours":     {pricing.AudioBilledSeconds, 3600},
	"web_searches_kcount":   {pricing.WebSearchQueries, 1000},
	"requests_kcount":       {pricing.Requests, 1000},
}

func importGenAIPrices(data []byte, opt Options) (*Imported, error) {
	var providers []gpProvider
	if err := decodeStrict(data, &providers); err != nil {
		return nil, fmt.Errorf("read data.json: %w", err)
	}
	im := &Imported{Names: map[string][]string{}}
	skipped := skips{}
	for _, prov := range providers {
		targets := gpProviders[prov.ID]
		if len(targets) == 0 {
			continue
		}
		for _, m := range prov.Models {
			where := prov.ID + " " + m.ID
			patterns, names, err := gpPatterns(m.Match)
			if err != nil {
				skipped.add("match rule: "+err.Error(), where)
				continue
			}
			periods, err := gpPeriods(m.Prices, opt.Since)
			if err != nil {
				skipped.add("prices: "+err.Error(), where)
				continue
			}
			names = append(names, m.ID)
			for _, provider := range targets {
				if provider != semconv.ProviderVertexAI && strings.HasPrefix(m.ID, "claude") {
					continue // Anthropic's models on Google are a Vertex AI offer
				}
				im.Names[provider] = append(im.Names[provider], names...)
				for _, pattern := range patterns {
					for _, per := range periods {
						for _, key := range sortedKeys(per.prices) {
							u, ok := gpUnits[key]
							if !ok {
								skipped.add(key+": no unit aiusage bills", where)
								continue
							}
							rows, err := gpRows(per.prices[key])
							if err != nil {
								skipped.add(key+": "+err.Error(), where)
								continue
							}
							for _, r := range rows {
								im.Prices = append(im.Prices, pricing.Price{
									Provider: provider, Model: pattern, Tier: semconv.ServiceTierStandard,
									MinInputTokens: r.minInput, Unit: u.unit, USD: roundUSD(r.usd), Per: u.per,
									EffectiveFrom: per.from, EffectiveTo: per.to, Checked: opt.Checked,
									Source: fmt.Sprintf("%s (%s %s)", opt.Source, prov.ID, m.ID),
								})
							}
						}
					}
				}
			}
		}
	}
	im.Prices = dedupe(im.Prices)
	im.Skipped = skipped.list()
	return im, nil
}

// gpPatterns turns a match rule into model globs (an or of clauses is several), and
// the exact names it spells out.
func gpPatterns(c gpClause) (patterns, names []string, err error) {
	switch {
	case c.Equals != nil:
		return literal(*c.Equals, "", "", []string{*c.Equals})
	case c.StartsWith != nil:
		return literal(*c.StartsWith, "", "*", nil)
	case c.EndsWith != nil:
		return literal(*c.EndsWith, "*", "", nil)
	case c.Contains != nil:
		return literal(*c.Contains, "*", "*", nil)
	case c.Regex != nil:
		g, err := regexGlob(*c.Regex)
		if err != nil {
			return nil, nil, err
		}
		return []string{g}, nil, nil
	case len(c.Or) > 0:
		for _, sub := range c.Or {
			p, n, err := gpPatterns(sub)
			if err != nil {
				return nil, nil, err
			}
			patterns, names = append(patterns, p...), append(names, n...)
		}
		return patterns, names, nil
	case len(c.And) > 0:
		return nil, nil, fmt.Errorf("an and of clauses has no glob")
	}
	return nil, nil, fmt.Errorf("empty clause")
}

func literal(s, before, after string, names []string) ([]string, []string, error) {
	if s == "" || strings.ContainsAny(s, `*?[]\`) {
		return nil, nil, fmt.Errorf("%q cannot be written as a glob", s)
	}
	return []string{before + s + after}, names, nil
}

// regexGlob writes the simple regular expressions genai-prices uses as globs: anchors,
// escaped dots, \d, .* and literal text.
func regexGlob(re string) (string, error) {
	var b strings.Builder
	anchoredStart := strings.HasPrefix(re, "^")
	re = strings.TrimPrefix(re, "^")
	anchoredEnd := strings.HasSuffix(re, "$") && !strings.HasSuffix(re, `\$`)
	re = strings.TrimSuffix(re, "$")
	if !anchoredStart {
		b.WriteByte('*')
	}
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re) && re[i+1] == 'd':
			b.WriteString("[0-9]")
			i++
		case c == '\\' && i+1 < len(re) && strings.IndexByte(".-_/:", re[i+1]) >= 0:
			b.WriteByte(re[i+1])
			i++
		case c == '.' && i+1 < len(re) && re[i+1] == '*':
			b.WriteByte('*')
			i++
		case c == '.':
			b.WriteByte('?')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_/:@", c) >= 0:
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("regex %q has %q, which no glob says", re, c)
		}
	}
	if !anchoredEnd {
		b.WriteByte('*')
	}
	return b.String(), nil
}

// gpPeriod is a set of prices and the days it applies.
type gpPeriod struct {
	from, to time.Time
	prices   map[string]json.RawMessage
}

// gpPeriods reads a model's prices: one set from since on, or a list whose later
// start-date constraints take over from their day.
func gpPeriods(raw json.RawMessage, since time.Time) ([]gpPeriod, error) {
	var single map[string]json.RawMessage
	if err := json.Unmarshal(raw, &single); err == nil {
		return []gpPeriod{{from: since, prices: single}}, nil
	}
	var list []gpConditional
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("neither prices nor a list of conditional prices")
	}
	var out []gpPeriod
	for _, c := range list {
		from := since
		if c.Constraint != nil {
			if c.Constraint.StartTime != "" {
				return nil, fmt.Errorf("time-of-day prices have no aiusage row")
			}
			d, err := time.Parse(time.DateOnly, c.Constraint.StartDate)
			if err != nil {
				return nil, fmt.Errorf("start_date %q is not a date", c.Constraint.StartDate)
			}
			from = d
		}
		out = append(out, gpPeriod{from: from, prices: c.Prices})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].from.Before(out[j].from) })
	for i := range out {
		if i+1 < len(out) {
			out[i].to = out[i+1].from
		}
		if !out[i].to.IsZero() && !out[i].to.After(out[i].from) {
			return nil, fmt.Errorf("two price sets start on %s", out[i].from.Format(time.DateOnly))
		}
	}
	return out, nil
}

// gpRow is one price of a key: at a prompt-size tier.
type gpRow struct {
	minInput int64
	usd      float64
}

// gpRows reads a price: a number, or a base with tiers for prompts over their start.
func gpRows(raw json.RawMessage) ([]gpRow, error) {
	var v float64
	if err := json.Unmarshal(raw, &v); err == nil {
		return []gpRow{{0, v}}, nil
	}
	var t gpTiered
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("neither a number nor tiered prices")
	}
	rows := []gpRow{{0, t.Base}}
	for _, tier := range t.Tiers {
		rows = append(rows, gpRow{tier.Start + 1, tier.Price}) // prompts over start
	}
	return rows, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dedupe drops rows a table repeats (two models with the same match and prices):
// the first wins, as a lookup in the source table would find it.
func dedupe(prices []pricing.Price) []pricing.Price {
	type key struct {
		provider, model, tier string
		minInput              int64
		unit                  pricing.Unit
		from                  time.Time
	}
	seen := map[key]bool{}
	out := prices[:0]
	for _, p := range prices {
		k := key{p.Provider, p.Model, p.Tier, p.MinInputTokens, p.Unit, p.EffectiveFrom}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}
