package pricetables

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// llProviders maps LiteLLM's litellm_provider values to gen_ai.provider.name and the
// prefix their keys carry. The provider, not the key, decides: LiteLLM files some
// gemini/ keys under Vertex AI.
var llProviders = map[string]string{
	"groq":                       semconv.ProviderGroq,
	"gemini":                     semconv.ProviderGemini,
	"vertex_ai-language-models":  semconv.ProviderVertexAI,
	"vertex_ai-embedding-models": semconv.ProviderVertexAI,
}

var llPrefixes = []string{"groq/", "gemini/", "vertex_ai/"}

// llKey is one LiteLLM price key: the unit it prices, the quantity its price is for
// (LiteLLM prices one token, one second, one character), the prompt-size tier and the
// service tier it belongs to.
type llKey struct {
	unit     pricing.Unit
	per      float64
	minInput int64
	tier     string
}

// llKeys maps LiteLLM price keys to billed units; the _above_Nk_tokens, _batches,
// _priority and _flex variants are derived from these.
var llKeys = map[string]llKey{
	"input_cost_per_token":            {pricing.InputTokens, 1, 0, ""},
	"output_cost_per_token":           {pricing.OutputTokens, 1, 0, ""},
	"cache_read_input_token_cost":     {pricing.CacheReadInputTokens, 1, 0, ""},
	"input_cost_per_audio_token":      {pricing.AudioInputTokens, 1, 0, ""},
	"output_cost_per_audio_token":     {pricing.AudioOutputTokens, 1, 0, ""},
	"output_cost_per_reasoning_token": {pricing.ReasoningOutputTokens, 1, 0, ""},
	"input_cost_per_second":           {pricing.AudioBilledSeconds, 1, 0, ""},
	"input_cost_per_character":        {pricing.InputCharacters, 1, 0, ""},
}

// llKeyOf reads a price key with its variants.
func llKeyOf(name string) (llKey, bool) {
	k, ok := llKeys[name]
	if ok {
		return k, true
	}
	base := name
	tier := ""
	for suffix, t := range map[string]string{"_batches": semconv.ServiceTierBatch, "_priority": semconv.ServiceTierPriority, "_flex": semconv.ServiceTierFlex} {
		if strings.HasSuffix(base, suffix) {
			base, tier = strings.TrimSuffix(base, suffix), t
		}
	}
	var minInput int64
	for suffix, n := range map[string]int64{"_above_128k_tokens": 128_001, "_above_200k_tokens": 200_001, "_above_272k_tokens": 272_001} {
		if strings.HasSuffix(base, suffix) {
			base, minInput = strings.TrimSuffix(base, suffix), n
		}
	}
	k, ok = llKeys[base]
	if !ok || (tier == "" && minInput == 0) {
		return llKey{}, false
	}
	k.minInput, k.tier = minInput, tier
	return k, true
}

func importLiteLLM(data []byte, opt Options) (*Imported, error) {
	var entries map[string]map[string]json.RawMessage
	if err := decodeStrict(data, &entries); err != nil {
		return nil, fmt.Errorf("read model_prices_and_context_window.json: %w", err)
	}
	im := &Imported{Names: map[string][]string{}}
	skipped := skips{}
	for _, key := range sortedKeys(entries) {
		e := entries[key]
		var llProvider string
		if err := json.Unmarshal(e["litellm_provider"], &llProvider); err != nil {
			continue // sample_spec and the like
		}
		provider, ok := llProviders[llProvider]
		if !ok {
			continue
		}
		model := key
		for _, p := range llPrefixes {
			model = strings.TrimPrefix(model, p)
		}
		if model == "" || strings.ContainsAny(model, `*?[]\`) {
			skipped.add("a model name that is not a plain name", key)
			continue
		}
		im.Names[provider] = append(im.Names[provider], model)
		for _, field := range sortedKeys(e) {
			if !strings.Contains(field, "cost") {
				continue
			}
			k, ok := llKeyOf(field)
			if !ok {
				skipped.add(field+": no unit aiusage bills", key)
				continue
			}
			var v float64
			if err := json.Unmarshal(e[field], &v); err != nil {
				skipped.add(field+": not a number", key)
				continue
			}
			// One token is quoted per million, one character per million, one second per hour.
			per, perUnit := 1e6, v*1e6
			if k.unit == pricing.AudioBilledSeconds {
				per, perUnit = 3600, v*3600
			}
			tier := k.tier
			if tier == "" {
				tier = semconv.ServiceTierStandard
			}
			im.Prices = append(im.Prices, pricing.Price{
				Provider: provider, Model: model, Tier: tier, MinInputTokens: k.minInput, Unit: k.unit,
				USD: roundUSD(perUnit), Per: per, EffectiveFrom: opt.Since, Checked: opt.Checked,
				Source: fmt.Sprintf("%s (%s)", opt.Source, key),
			})
		}
	}
	sort.SliceStable(im.Prices, func(i, j int) bool { return im.Prices[i].Provider < im.Prices[j].Provider })
	im.Prices = dedupe(im.Prices)
	im.Skipped = skipped.list()
	return im, nil
}
