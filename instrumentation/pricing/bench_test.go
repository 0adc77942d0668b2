package pricing_test

import (
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

var sinkUSD float64

// BenchmarkTableCost prices one call the way the transport does, against a baseline in
// the same run: one map lookup of a price by model name and the cost arithmetic.
func BenchmarkTableCost(b *testing.B) {
	table := pricing.Default()
	at := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	u := usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500}

	b.Run("baseline=map", func(b *testing.B) {
		b.ReportAllocs()
		flat := map[string]pricing.Price{}
		for _, p := range table.Prices() {
			flat[p.Model] = p
		}
		for b.Loop() {
			sinkUSD = flat["openai/gpt-oss-120b"].Cost(u)
		}
	})
	for _, c := range []struct{ name, provider, model string }{
		{"exact", "groq", "openai/gpt-oss-120b"},
		{"tiered", "gcp.gemini", "gemini-2.5-pro"},
		{"glob", "gcp.gemini", "gemini-2.0-flash-001"},
		{"unpriced", "gcp.gemini", "gemini-9-ultra"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkUSD, _ = table.Cost(c.provider, c.model, u, at)
			}
		})
	}
}
