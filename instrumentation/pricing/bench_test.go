package pricing_test

import (
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

var sinkBill pricing.Bill

// BenchmarkTableBill prices one call the way the instrumentation does, against a
// baseline in the same run: a map lookup of one row per unit and the arithmetic, the
// least a table of per-unit rows could cost. It must stay under 1 µs and allocate
// nothing.
func BenchmarkTableBill(b *testing.B) {
	table := pricing.Default()
	at := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	chat := usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500, ReasoningOutputTokens: 120}

	b.Run("baseline=map", func(b *testing.B) {
		b.ReportAllocs()
		type key struct {
			model string
			unit  pricing.Unit
		}
		flat := map[key]pricing.Price{}
		for _, p := range table.Prices() {
			if p.Provider == semconv.ProviderGroq && p.Tier == semconv.ServiceTierStandard {
				flat[key{p.Model, p.Unit}] = p
			}
		}
		for b.Loop() {
			var bill pricing.Bill
			q := pricing.QuantitiesOf(&chat)
			for u, n := range q {
				if n == 0 {
					continue
				}
				if p, ok := flat[key{"openai/gpt-oss-120b", pricing.Unit(u)}]; ok {
					bill.USD += p.Cost(n)
				}
			}
			sinkBill = bill
		}
	})
	for _, c := range []struct {
		name, provider, model, tier string
		u                           usage.Usage
	}{
		{"exact", semconv.ProviderGroq, "openai/gpt-oss-120b", "", chat},
		{"tiered", semconv.ProviderGemini, "gemini-2.5-pro", "", usage.Usage{InputTokens: 250_000, CacheReadInputTokens: 50_000, OutputTokens: 900}},
		{"glob", semconv.ProviderGemini, "gemini-2.0-flash-001", "", chat},
		{"modalities", semconv.ProviderGemini, "gemini-2.5-flash", "", usage.Usage{InputTokens: 3000, CacheReadInputTokens: 1000, AudioInputTokens: 2000,
			AudioCacheReadInputTokens: 500, OutputTokens: 300, ReasoningOutputTokens: 200, WebSearchQueries: 2}},
		{"flex", semconv.ProviderGemini, "gemini-3.5-flash", semconv.ServiceTierFlex, chat},
		{"tier-fallback", semconv.ProviderGemini, "gemini-2.5-flash", semconv.ServiceTierPriority, chat},
		{"speech-to-text", semconv.ProviderGroq, "whisper-large-v3", "", usage.Usage{AudioSeconds: 3}},
		{"unpriced", semconv.ProviderGemini, "gemini-9-ultra", "", chat},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkBill = table.Bill(c.provider, c.model, c.tier, &c.u, at)
			}
		})
	}
}
