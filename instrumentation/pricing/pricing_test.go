package pricing_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// near compares dollar amounts that went through float arithmetic.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}

// TestDefaultBill prices one call of each unit, tier and modality with the shipped
// table; every expected cost is worked out by hand from prices.csv in the comment.
func TestDefaultBill(t *testing.T) {
	now := day("2026-12-01")
	const (
		groq   = semconv.ProviderGroq
		gemini = semconv.ProviderGemini
		vertex = semconv.ProviderVertexAI
	)
	tests := []struct {
		name            string
		provider, model string
		tier            string
		u               usage.Usage
		at              time.Time
		want            float64
		status          string
		wantTier        string // "" = standard
		fallback        bool
		missing         string
		billedSeconds   float64
	}{
		{
			name: "groq gpt-oss-20b, the corrected row, with cached input",
			// 744 * 0.075 + 256 * 0.0375 + 500 * 0.30 = 55.8 + 9.6 + 150 per 1M
			provider: groq, model: "openai/gpt-oss-20b",
			u:    usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500},
			want: 215.4e-6, status: semconv.CostPriced,
		},
		{
			name: "groq model without a cached rate bills cached input as input",
			// 200 * 0.05 + 10 * 0.08 = 10 + 0.8 per 1M
			provider: groq, model: "llama-3.1-8b-instant",
			u:    usage.Usage{InputTokens: 200, CacheReadInputTokens: 100, OutputTokens: 10},
			want: 10.8e-6, status: semconv.CostPriced,
		},
		{
			name: "a cached gemini 2.5 flash call: implicit cache hits at 0.03, not 0.30",
			// (10000-8000) * 0.30 + 8000 * 0.03 + 500 * 2.50 = 600 + 240 + 1250 per 1M
			provider: gemini, model: "gemini-2.5-flash",
			u:    usage.Usage{InputTokens: 10_000, CacheReadInputTokens: 8000, OutputTokens: 500, ReasoningOutputTokens: 300},
			want: 2090e-6, status: semconv.CostPriced,
		},
		{
			name: "audio input to gemini 2.5 flash at 1.00, the rest of the prompt as text",
			// text 400 * 0.30 + audio 600 * 1.00 + out 100 * 2.50 = 120 + 600 + 250 per 1M
			provider: gemini, model: "gemini-2.5-flash",
			u:    usage.Usage{InputTokens: 1000, AudioInputTokens: 600, OutputTokens: 100},
			want: 970e-6, status: semconv.CostPriced,
		},
		{
			name: "cached audio at the audio cached rate, cached text at the cached rate",
			// text uncached (1000-500-(600-200)) = 100 * 0.30; text cached (500-200) = 300 * 0.03;
			// audio uncached 400 * 1.00; audio cached 200 * 0.10 = 30 + 9 + 400 + 20 per 1M
			provider: gemini, model: "gemini-2.5-flash",
			u:    usage.Usage{InputTokens: 1000, CacheReadInputTokens: 500, AudioInputTokens: 600, AudioCacheReadInputTokens: 200},
			want: 459e-6, status: semconv.CostPriced,
		},
		{
			name: "image and video input without rates of their own are billed as input",
			// 2.5 Pro bills every modality at the text rate: 3000 * 1.25 + 10 * 10 per 1M
			provider: gemini, model: "gemini-2.5-pro",
			u:    usage.Usage{InputTokens: 3000, ImageInputTokens: 1000, VideoInputTokens: 1500, DocumentInputTokens: 200, OutputTokens: 10},
			want: 3850e-6, status: semconv.CostPriced,
		},
		{
			name: "gemini 2.5 pro at exactly 200K prompt tokens is the low tier",
			// 200000 * 1.25 + 1000 * 10.00 = 250000 + 10000 per 1M
			provider: gemini, model: "gemini-2.5-pro",
			u:    usage.Usage{InputTokens: 200_000, OutputTokens: 1000},
			want: 0.26, status: semconv.CostPriced,
		},
		{
			name: "a prompt over 200K tokens bills every token of the call at the high tier",
			// (250000-50000) * 2.50 + 50000 * 0.25 + 2000 * 15.00 = 500000 + 12500 + 30000 per 1M
			provider: gemini, model: "gemini-2.5-pro",
			u:    usage.Usage{InputTokens: 250_000, CacheReadInputTokens: 50_000, OutputTokens: 2000},
			want: 0.5425, status: semconv.CostPriced,
		},
		{
			name: "a 3-second speech-to-text call is billed at Whisper's 10 s minimum",
			// 10 s * 0.111 / 3600 s
			provider: groq, model: "whisper-large-v3",
			u:    usage.Usage{AudioSeconds: 3},
			want: 10 * 0.111 / 3600, status: semconv.CostPriced, billedSeconds: 10,
		},
		{
			name: "a long speech-to-text call is billed by its duration",
			// 95.5 s * 0.04 / 3600 s
			provider: groq, model: "whisper-large-v3-turbo",
			u:    usage.Usage{AudioSeconds: 95.5},
			want: 95.5 * 0.04 / 3600, status: semconv.CostPriced, billedSeconds: 95.5,
		},
		{
			name: "text-to-speech by characters",
			// 1200 characters * 22.00 per 1M
			provider: groq, model: "canopylabs/orpheus-v1-english",
			u:    usage.Usage{InputCharacters: 1200},
			want: 26400e-6, status: semconv.CostPriced,
		},
		{
			name: "gemini text-to-speech: text in, audio tokens out",
			// 50 * 0.50 + 900 audio out * 10.00 per 1M
			provider: gemini, model: "gemini-2.5-flash-preview-tts",
			u:    usage.Usage{InputTokens: 50, OutputTokens: 900, AudioOutputTokens: 900},
			want: 9025e-6, status: semconv.CostPriced,
		},
		{
			name: "image output at its own rate",
			// 20 * 0.30 + text out 100 * 2.50 + image out 1290 * 30.00 per 1M
			provider: gemini, model: "gemini-2.5-flash-image",
			u:    usage.Usage{InputTokens: 20, OutputTokens: 1390, ImageOutputTokens: 1290},
			want: 38956e-6, status: semconv.CostPriced,
		},
		{
			name: "video output at its own rate",
			// 10 * 1.50 + video out 5000 * 17.50 per 1M
			provider: gemini, model: "gemini-omni-flash-preview",
			u:    usage.Usage{InputTokens: 10, OutputTokens: 5000, VideoOutputTokens: 5000},
			want: 87515e-6, status: semconv.CostPriced,
		},
		{
			name: "a live session: audio in and out",
			// text in 100 * 0.50 + audio in 2000 * 3.00 + text out 50 * 2.00 + audio out 1500 * 12.00 per 1M
			provider: gemini, model: "gemini-2.5-flash-native-audio-preview-09-2025",
			u:    usage.Usage{InputTokens: 2100, AudioInputTokens: 2000, OutputTokens: 1550, AudioOutputTokens: 1500},
			want: 24150e-6, status: semconv.CostPriced,
		},
		{
			name: "embeddings by tokens",
			// 5000 * 0.15 per 1M
			provider: gemini, model: "gemini-embedding-001",
			u:    usage.Usage{InputTokens: 5000},
			want: 750e-6, status: semconv.CostPriced,
		},
		{
			name: "character-billed embeddings on vertex",
			// 40000 characters * 0.025 per 1M
			provider: vertex, model: "text-embedding-005",
			u:    usage.Usage{InputCharacters: 40_000},
			want: 1000e-6, status: semconv.CostPriced,
		},
		{
			name: "gemini 2.5 grounding: one fee per grounded prompt, whatever its queries",
			// 100 * 0.30 + 10 * 2.50 per 1M + 1 grounded prompt * 35 / 1000
			provider: gemini, model: "gemini-2.5-flash",
			u:    usage.Usage{InputTokens: 100, OutputTokens: 10, WebSearchQueries: 3},
			want: 55e-6 + 0.035, status: semconv.CostPriced,
		},
		{
			name: "gemini 3 grounding: a fee per search query",
			// 100 * 0.50 + 10 * 3.00 per 1M + 3 queries * 14 / 1000
			provider: gemini, model: "gemini-3-flash-preview",
			u:    usage.Usage{InputTokens: 100, OutputTokens: 10, WebSearchQueries: 3},
			want: 80e-6 + 0.042, status: semconv.CostPriced,
		},
		{
			name: "a flex call at the flex rates",
			// (1000 * 1.50 + 100 * 9.00) * 0.5 per 1M
			provider: gemini, model: "gemini-3.5-flash", tier: semconv.ServiceTierFlex,
			u:    usage.Usage{InputTokens: 1000, OutputTokens: 100},
			want: 1200e-6, status: semconv.CostPriced, wantTier: semconv.ServiceTierFlex,
		},
		{
			name: "a batch call at the batch rates",
			// (744 * 0.075 + 256 * 0.0375 + 500 * 0.30) * 0.5 per 1M
			provider: groq, model: "openai/gpt-oss-20b", tier: semconv.ServiceTierBatch,
			u:    usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500},
			want: 107.7e-6, status: semconv.CostPriced, wantTier: semconv.ServiceTierBatch,
		},
		{
			name: "a priority call at the priority rates",
			// (1000 * 0.75 + 100 * 3.75) * 1.8 per 1M
			provider: gemini, model: "gemini-3.7-flash", tier: semconv.ServiceTierPriority,
			u:    usage.Usage{InputTokens: 1000, OutputTokens: 100},
			want: 2025e-6, status: semconv.CostPriced, wantTier: semconv.ServiceTierPriority,
		},
		{
			name: "a tier without rows falls back to standard, and says so",
			// 1000 * 0.30 + 100 * 2.50 per 1M
			provider: gemini, model: "gemini-2.5-flash", tier: semconv.ServiceTierPriority,
			u:    usage.Usage{InputTokens: 1000, OutputTokens: 100},
			want: 550e-6, status: semconv.CostPriced, fallback: true,
		},
		{
			name:     "an unknown tier is priced as standard, and says so",
			provider: gemini, model: "gemini-2.5-flash", tier: "gold",
			u:    usage.Usage{InputTokens: 1000, OutputTokens: 100},
			want: 550e-6, status: semconv.CostPriced, fallback: true,
		},
		{
			name: "introductory rate until the end of 2026",
			// 1000 * 0.75 per 1M
			provider: gemini, model: "gemini-3.7-flash",
			u: usage.Usage{InputTokens: 1000}, at: day("2026-12-31").Add(23 * time.Hour),
			want: 750e-6, status: semconv.CostPriced,
		},
		{
			name: "the dated rate from 2027",
			// 1000 * 1.50 per 1M
			provider: gemini, model: "gemini-3.7-flash",
			u: usage.Usage{InputTokens: 1000}, at: day("2027-01-01"),
			want: 1500e-6, status: semconv.CostPriced,
		},
		{
			name: "a pinned version through the glob",
			// 1e6 * 0.10 per 1M
			provider: gemini, model: "gemini-2.0-flash-001",
			u:    usage.Usage{InputTokens: 1_000_000},
			want: 0.10, status: semconv.CostPriced,
		},
		{
			name: "vertex has rows of its own",
			// 1e6 * 0.30 per 1M
			provider: vertex, model: "gemini-2.5-flash",
			u:    usage.Usage{InputTokens: 1_000_000},
			want: 0.30, status: semconv.CostPriced,
		},
		{
			name: "a unit the model has no rate for makes the call partially priced",
			// 1000 * 0.05 per 1M, the characters unknown
			provider: groq, model: "llama-3.1-8b-instant",
			u:    usage.Usage{InputTokens: 1000, InputCharacters: 500},
			want: 50e-6, status: semconv.CostPartiallyPriced, missing: "input_characters",
		},
		{
			name:     "searches on a model without a grounding rate are missing",
			provider: gemini, model: "gemini-2.0-flash-lite",
			u:    usage.Usage{InputTokens: 1000, WebSearchQueries: 2},
			want: 75e-6, status: semconv.CostPartiallyPriced, missing: "web_search_queries",
		},
		{
			name:     "nothing the call used has a rate: unpriced",
			provider: groq, model: "whisper-large-v3",
			u:      usage.Usage{InputTokens: 10, OutputTokens: 10},
			status: semconv.CostUnpriced, missing: "input_tokens,output_tokens", wantTier: semconv.ServiceTierStandard,
		},
		{
			name:     "zero usage on a priced model costs zero and is priced",
			provider: groq, model: "openai/gpt-oss-20b",
			status: semconv.CostPriced,
		},
		{name: "unknown model", provider: groq, model: "no-such-model", u: usage.Usage{InputTokens: 10}, status: semconv.CostUnpriced},
		{name: "model under another provider", provider: gemini, model: "openai/gpt-oss-120b", u: usage.Usage{InputTokens: 10}, status: semconv.CostUnpriced},
		{name: "empty model", provider: groq, status: semconv.CostUnpriced},
		{name: "before the price took effect", provider: groq, model: "openai/gpt-oss-120b", u: usage.Usage{InputTokens: 10}, at: day("2025-08-04"), status: semconv.CostUnpriced},
		{
			name:     "compound systems have no row: priced by the sub-models they report",
			provider: groq, model: "groq/compound", u: usage.Usage{InputTokens: 10}, status: semconv.CostUnpriced,
		},
	}
	table := pricing.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = now
			}
			u := tt.u
			b := table.Bill(tt.provider, tt.model, tt.tier, &u, at)
			wantTier := tt.wantTier
			if wantTier == "" && tt.status != semconv.CostUnpriced {
				wantTier = semconv.ServiceTierStandard
			}
			if b.Status != tt.status || !near(b.USD, tt.want) || b.Tier != wantTier || b.TierFallback != tt.fallback || b.Missing.String() != tt.missing {
				t.Errorf("Bill = %s $%v tier %q fallback %v missing %q;\nwant %s $%v tier %q fallback %v missing %q",
					b.Status, b.USD, b.Tier, b.TierFallback, b.Missing, tt.status, tt.want, wantTier, tt.fallback, tt.missing)
			}
			if tt.billedSeconds != 0 && b.Quantity[pricing.AudioBilledSeconds] != tt.billedSeconds {
				t.Errorf("billed seconds = %v, want %v", b.Quantity[pricing.AudioBilledSeconds], tt.billedSeconds)
			}
			var sum float64
			for _, c := range b.UnitUSD {
				sum += c
			}
			if !near(sum, b.USD) {
				t.Errorf("units add up to %v, the bill says %v", sum, b.USD)
			}
			if u != tt.u {
				t.Errorf("Bill changed the usage it was given: %+v", u)
			}
		})
	}
}

// TestQuantitiesOf splits usage into billed units so that every token is billed once.
func TestQuantitiesOf(t *testing.T) {
	tests := []struct {
		name string
		u    usage.Usage
		want map[pricing.Unit]float64 // units not listed are 0, requests aside (always 1)
	}{
		{"text only", usage.Usage{InputTokens: 100, CacheReadInputTokens: 30, OutputTokens: 50, ReasoningOutputTokens: 20},
			map[pricing.Unit]float64{pricing.InputTokens: 70, pricing.CacheReadInputTokens: 30, pricing.OutputTokens: 30, pricing.ReasoningOutputTokens: 20}},
		{"modalities are parts of the totals", usage.Usage{InputTokens: 1000, CacheReadInputTokens: 400, AudioInputTokens: 300, AudioCacheReadInputTokens: 100,
			ImageInputTokens: 200, VideoInputTokens: 100, VideoCacheReadInputTokens: 100, DocumentInputTokens: 50, OutputTokens: 500, AudioOutputTokens: 200, ImageOutputTokens: 100, VideoOutputTokens: 50},
			map[pricing.Unit]float64{pricing.InputTokens: 1000 - 400 - (200 + 200 + 0 + 50), pricing.CacheReadInputTokens: 400 - 200,
				pricing.AudioInputTokens: 200, pricing.AudioCacheReadInputTokens: 100, pricing.ImageInputTokens: 200, pricing.VideoCacheReadInputTokens: 100,
				pricing.DocumentInputTokens: 50, pricing.OutputTokens: 150, pricing.AudioOutputTokens: 200, pricing.ImageOutputTokens: 100, pricing.VideoOutputTokens: 50}},
		{"cached beyond input is cut to it", usage.Usage{InputTokens: 10, CacheReadInputTokens: 50},
			map[pricing.Unit]float64{pricing.CacheReadInputTokens: 10}},
		{"negative counts count as zero", usage.Usage{InputTokens: -10, CacheReadInputTokens: -1, OutputTokens: 3, InputCharacters: -4, WebSearchQueries: -1},
			map[pricing.Unit]float64{pricing.OutputTokens: 3}},
		{"parts above their totals bill the parts, text nothing", usage.Usage{InputTokens: 100, AudioInputTokens: 80, ImageInputTokens: 50},
			map[pricing.Unit]float64{pricing.AudioInputTokens: 80, pricing.ImageInputTokens: 50}},
		{"billed seconds from the measured ones", usage.Usage{AudioSeconds: 3.5},
			map[pricing.Unit]float64{pricing.AudioBilledSeconds: 3.5}},
		{"billed seconds as given", usage.Usage{AudioSeconds: 3.5, AudioBilledSeconds: 10},
			map[pricing.Unit]float64{pricing.AudioBilledSeconds: 10}},
		{"NaN seconds are none", usage.Usage{AudioSeconds: math.NaN()}, map[pricing.Unit]float64{}},
		{"a search is a grounded request", usage.Usage{WebSearchQueries: 4, InputCharacters: 7},
			map[pricing.Unit]float64{pricing.WebSearchQueries: 4, pricing.WebSearchRequests: 1, pricing.InputCharacters: 7}},
	}
	for _, tt := range tests {
		q := pricing.QuantitiesOf(&tt.u)
		for _, u := range pricing.Units() {
			want := tt.want[u]
			if u == pricing.Requests {
				want = 1
			}
			if q[u] != want {
				t.Errorf("%s: %s = %v, want %v", tt.name, u, q[u], want)
			}
		}
	}
}

// TestUnitNamesAreUsageUnitNames holds the price units to the usage units: one
// vocabulary, except the measured audio duration (billed as audio_billed_seconds)
// and the units that count calls.
func TestUnitNamesAreUsageUnitNames(t *testing.T) {
	usageNames := map[string]bool{}
	for _, u := range usage.Units() {
		usageNames[u.Name] = true
	}
	for _, u := range pricing.Units() {
		if u.Derived() {
			if usageNames[u.String()] {
				t.Errorf("%s counts calls but is also a usage unit", u)
			}
			continue
		}
		if !usageNames[u.String()] {
			t.Errorf("price unit %s is not a usage unit", u)
		}
		delete(usageNames, u.String())
		if got, ok := pricing.ParseUnit(u.String()); !ok || got != u {
			t.Errorf("ParseUnit(%q) = %v, %v", u, got, ok)
		}
	}
	delete(usageNames, "audio_seconds")
	for n := range usageNames {
		t.Errorf("usage unit %s is not billed by any price unit", n)
	}
}

// testTable exercises lookup precedence: exact over glob, longer glob over shorter,
// effective periods, prompt-size tiers, service tiers and falling back.
const testTable = `provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source
# comment lines are skipped
p,m-*,,,input_tokens,1,1M,,2025-01-01,,,short glob
p,m-long-*,,,input_tokens,2,1M,,2025-01-01,,,long glob
p,m-long-exact,standard,0,input_tokens,3,1M,,2025-01-01,,2026-01-01,exact
p,dated,,,input_tokens,10,1M,,2025-01-01,2025-07-01,,old price
p,dated,,,input_tokens,20,1M,,2025-07-01,,,new price
p,tiered,,0,input_tokens,1,1M,,2025-01-01,,,tier 0
p,tiered,,1000,input_tokens,2,1M,,2025-01-01,,,tier 1000
p,tiered,,5000,input_tokens,3,1M,,2025-01-01,,,tier 5000
p,tiered,,5000,input_tokens,4,1M,,2024-01-01,2025-01-01,,tier 5000 before
p,old-model,,,input_tokens,5,1M,,2024-01-01,2024-06-01,,retired exact
p,old-*,,,input_tokens,6,1M,,2024-01-01,,,glob still in force
p,tiers,standard,,input_tokens,8,1M,,2025-01-01,,,standard
p,tiers,flex,,input_tokens,4,1M,,2025-01-01,,,flex
p,tiers,batch,,input_tokens,2,1M,,2025-06-01,,,batch from June
q,m-long-exact,,,input_tokens,7,1M,,2025-01-01,,,other provider
q,openai/*,,,input_tokens,7,1M,,2025-01-01,,,slash
`

func TestRatePrecedence(t *testing.T) {
	table, err := pricing.Parse(strings.NewReader(testTable))
	if err != nil {
		t.Fatal(err)
	}
	at := day("2026-01-01")
	tests := []struct {
		provider, model, tier string
		input                 int64
		at                    time.Time
		wantSource            string // "" = no price
	}{
		{"p", "m-long-exact", "", 0, at, "exact"},
		{"p", "m-long-x", "", 0, at, "long glob"},
		{"p", "m-other", "", 0, at, "short glob"},
		{"p", "m", "", 0, at, ""},
		{"q", "m-long-exact", "", 0, at, "other provider"},
		{"q", "m-long-x", "", 0, at, ""},
		{"q", "openai/gpt-oss", "", 0, at, "slash"},
		{"p", "dated", "", 0, day("2024-12-31"), ""},
		{"p", "dated", "", 0, day("2025-01-01"), "old price"},
		{"p", "dated", "", 0, day("2025-07-01").Add(-time.Nanosecond), "old price"},
		{"p", "dated", "", 0, day("2025-07-01"), "new price"},
		{"p", "tiered", "", 0, at, "tier 0"},
		{"p", "tiered", "", -5, at, "tier 0"},
		{"p", "tiered", "", 999, at, "tier 0"},
		{"p", "tiered", "", 1000, at, "tier 1000"},
		{"p", "tiered", "", 4999, at, "tier 1000"},
		{"p", "tiered", "", 5000, at, "tier 5000"},
		{"p", "tiered", "", 5000, day("2024-06-01"), "tier 5000 before"},
		{"p", "old-model", "", 0, day("2024-03-01"), "retired exact"},
		{"p", "old-model", "", 0, day("2024-06-01"), "glob still in force"},
		{"p", "tiers", "flex", 0, at, "flex"},
		{"p", "tiers", "standard", 0, at, "standard"},
		{"p", "tiers", "", 0, at, "standard"},
		{"p", "tiers", "priority", 0, at, ""},
		{"p", "tiers", "batch", 0, day("2025-05-01"), ""},
	}
	for _, tt := range tests {
		p, ok := table.Rate(tt.provider, tt.model, tt.tier, pricing.InputTokens, tt.input, tt.at)
		if ok != (tt.wantSource != "") || p.Source != tt.wantSource {
			t.Errorf("Rate(%q, %q, %q, %d, %s) = %q, %v; want %q", tt.provider, tt.model, tt.tier, tt.input, tt.at.Format(time.RFC3339Nano), p.Source, ok, tt.wantSource)
		}
	}

	// Tiers in bills: batch before June falls back to standard.
	u := usage.Usage{InputTokens: 1_000_000}
	for _, c := range []struct {
		tier     string
		at       time.Time
		want     float64
		priced   string
		fallback bool
	}{
		{"batch", day("2025-06-01"), 2, "batch", false},
		{"batch", day("2025-05-01"), 8, "standard", true},
		{"flex", at, 4, "flex", false},
		{"provisioned", at, 8, "standard", true},
	} {
		b := table.Bill("p", "tiers", c.tier, &u, c.at)
		if b.USD != c.want || b.Tier != c.priced || b.TierFallback != c.fallback {
			t.Errorf("Bill(%s at %s) = $%v %s fallback %v; want $%v %s %v", c.tier, c.at.Format(time.DateOnly), b.USD, b.Tier, b.TierFallback, c.want, c.priced, c.fallback)
		}
	}
}

func TestParsedRowFields(t *testing.T) {
	table, err := pricing.Parse(strings.NewReader(
		"provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n" +
			" groq , a/b , flex, 7, input_tokens, 0.15, 1M, , 2025-08-05, 2026-01-01, 2026-11-30, \"page, checked\"\n" +
			"groq,c,,,audio_billed_seconds,0.111,3600,10,2025-08-05,,,\n" +
			"groq,d,batch,0,web_search_queries,14,1K,,2025-08-05,,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []pricing.Price{
		{Provider: "groq", Model: "a/b", Tier: "flex", MinInputTokens: 7, Unit: pricing.InputTokens, USD: 0.15, Per: 1e6,
			EffectiveFrom: day("2025-08-05"), EffectiveTo: day("2026-01-01"), Checked: day("2026-11-30"), Source: "page, checked"},
		{Provider: "groq", Model: "c", Tier: "standard", Unit: pricing.AudioBilledSeconds, USD: 0.111, Per: 3600, MinBilled: 10, EffectiveFrom: day("2025-08-05")},
		{Provider: "groq", Model: "d", Tier: "batch", Unit: pricing.WebSearchQueries, USD: 14, Per: 1000, EffectiveFrom: day("2025-08-05")},
	}
	got := table.Prices()
	if len(got) != len(want) {
		t.Fatalf("Prices() has %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	got[0].Model = "changed"
	if table.Prices()[0].Model != "a/b" {
		t.Error("Prices() returned the table's own slice")
	}
	if len(table.Notes()) != 0 {
		t.Errorf("notes on a table in the current layout: %q", table.Notes())
	}
}

const head = "provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n"

func TestParseErrors(t *testing.T) {
	const ok = "groq,a,,,input_tokens,1,1M,,2025-01-01,,,\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty input", "", "prices: empty"},
		{"wrong header", strings.Replace(head, "source", "src", 1), `prices line 1, column 12: header is "src", want "source"`},
		{"short header", "provider,model\n", "prices line 1: 2 columns, want 12"},
		{"short row", head + ok + "groq,b,1\n", "prices line 3: 3 columns, want 12"},
		{"bare quote", head + "groq,\"a\"b,,,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 8: extraneous or missing " in quoted-field`},
		{"not a number", head + ok + "groq,b,,,input_tokens,abc,1M,,2025-01-01,,,\n", `prices line 3, column 6 (usd): "abc" is not a number`},
		{"negative price", head + "groq,a,,,output_tokens,-2,1M,,2025-01-01,,,\n", "prices line 2, column 6 (usd): -2 is negative"},
		{"NaN price", head + "groq,a,,,input_tokens,NaN,1M,,2025-01-01,,,\n", `prices line 2, column 6 (usd): "NaN" is not a number`},
		{"infinite price", head + "groq,a,,,input_tokens,Inf,1M,,2025-01-01,,,\n", `prices line 2, column 6 (usd): "Inf" is not a number`},
		{"empty price", head + "groq,a,,,input_tokens,,1M,,2025-01-01,,,\n", "prices line 2, column 6 (usd): empty"},
		{"zero per", head + "groq,a,,,input_tokens,1,0,,2025-01-01,,,\n", `prices line 2, column 7 (per): "0" is not a quantity > 0`},
		{"bad per", head + "groq,a,,,input_tokens,1,1G,,2025-01-01,,,\n", `prices line 2, column 7 (per): "1G" is not a quantity > 0`},
		{"empty provider", head + ",a,,,input_tokens,1,1M,,2025-01-01,,,\n", "prices line 2, column 1 (provider): empty"},
		{"empty model", head + "groq,,,,input_tokens,1,1M,,2025-01-01,,,\n", "prices line 2, column 2 (model): empty"},
		{"unknown tier", head + "groq,a,gold,,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 3 (service_tier): "gold" is not a service tier (known: standard, flex, priority, batch, provisioned)`},
		{"unknown unit", head + "groq,a,,,audio_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 5 (unit): "audio_tokens" is not a billed unit (known: input_tokens, cache_read_input_tokens,`},
		{"empty unit", head + "groq,a,,,,1,1M,,2025-01-01,,,\n", "prices line 2, column 5 (unit): empty"},
		{"measured unit", head + "groq,a,,,audio_seconds,1,3600,,2025-01-01,,,\n", `prices line 2, column 5 (unit): "audio_seconds" is measured, not billed: price audio_billed_seconds`},
		{"minimum on a unit without one", head + "groq,a,,,input_tokens,1,1M,5,2025-01-01,,,\n", "prices line 2, column 8 (min_billed): input_tokens has no minimum per request"},
		{"negative minimum", head + "groq,a,,,audio_billed_seconds,1,3600,-5,2025-01-01,,,\n", "prices line 2, column 8 (min_billed): -5 is negative"},
		{"fractional tier", head + "groq,a,,1.5,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 4 (min_input_tokens): "1.5" is not a whole number >= 0`},
		{"negative tier", head + "groq,a,,-1,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 4 (min_input_tokens): "-1" is not a whole number >= 0`},
		{"missing from", head + "groq,a,,,input_tokens,1,1M,,,,,\n", "prices line 2, column 9 (effective_from): empty"},
		{"bad from", head + "groq,a,,,input_tokens,1,1M,,2025-13-01,,,\n", `prices line 2, column 9 (effective_from): "2025-13-01" is not a date`},
		{"bad to", head + "groq,a,,,input_tokens,1,1M,,2025-01-01,soon,,\n", `prices line 2, column 10 (effective_to): "soon" is not a date`},
		{"to equals from", head + "groq,a,,,input_tokens,1,1M,,2025-01-01,2025-01-01,,\n", "prices line 2, column 10 (effective_to): 2025-01-01 is not after effective_from 2025-01-01"},
		{"bad checked", head + "groq,a,,,input_tokens,1,1M,,2025-01-01,,yesterday,\n", `prices line 2, column 11 (checked): "yesterday" is not a date`},
		{"bad glob", head + "groq,gemini-[,,,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 2 (model): "gemini-[" is not a valid glob: [ without its ]`},
		{"caret set", head + "groq,gemini-[^a]*,,,input_tokens,1,1M,,2025-01-01,,,\n", `prices line 2, column 2 (model): "gemini-[^a]*" is not a valid glob`},
		{"backslash", head + `groq,gemini\*,,,input_tokens,1,1M,,2025-01-01,,,` + "\n", `is not a valid glob: a backslash is not allowed`},
		{"duplicate", head + ok + "groq,b,,,input_tokens,1,1M,,2025-01-01,,,\ngroq,a,standard,0,input_tokens,3,1M,,2025-01-01,,,\n", "prices line 4, column 9 (effective_from): duplicate of line 2"},
		{"overlap", head + ok + "groq,a,,,input_tokens,3,1M,,2025-06-01,,,\n", "prices line 3, column 9 (effective_from): effective_from..effective_to overlaps line 2 for the same provider, model, service_tier, min_input_tokens and unit"},
		{"overlap closed", head + "groq,a,,,input_tokens,1,1M,,2025-01-01,2025-07-01,,\ngroq,a,,,input_tokens,3,1M,,2024-06-01,2025-01-02,,\n", "prices line 3, column 9 (effective_from): effective_from..effective_to overlaps line 2"},
		{"legacy bad number", legacyHead + "groq,a,1,abc,,0,2025-01-01,,\n", `prices line 2, column 4 (output_usd_per_mtok): "abc" is not a number`},
		{"legacy overlap", legacyHead + "groq,a,1,2,,0,2025-01-01,,\ngroq,a,3,4,,0,2025-06-01,,\n", "prices line 3, column 9 (effective_from): effective_from..effective_to overlaps line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pricing.Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsAdjacentPeriodsAndOtherKeys(t *testing.T) {
	const in = head +
		"groq,a,,,input_tokens,1,1M,,2025-01-01,2025-07-01,,\n" +
		"groq,a,,,input_tokens,3,1M,,2025-07-01,,,\n" +
		"groq,a,,1000,input_tokens,5,1M,,2025-01-01,,,\n" +
		"groq,a,flex,,input_tokens,5,1M,,2025-01-01,,,\n" +
		"groq,a,,,output_tokens,5,1M,,2025-01-01,,,\n" +
		"gemini,a,,,input_tokens,5,1M,,2025-01-01,,,\n" +
		"any-provider,a*,,,input_tokens,5,1M,,2025-01-01,,,\n"
	table, err := pricing.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.Prices()); n != 7 {
		t.Errorf("got %d rows, want 7", n)
	}
}

const legacyHead = "provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n"

// TestLegacyLayout reads a file of the first layout as the rows it meant, and says so.
func TestLegacyLayout(t *testing.T) {
	legacy, err := pricing.Parse(strings.NewReader(legacyHead +
		"groq,openai/gpt-oss-120b,0.15,0.60,0.075,0,2025-08-05,,old\n" +
		"gcp.gemini,gemini-2.5-pro,2.50,15.00,,200001,2025-06-17,,old\n"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := pricing.Parse(strings.NewReader(head +
		"groq,openai/gpt-oss-120b,standard,0,input_tokens,0.15,1M,,2025-08-05,,,old\n" +
		"groq,openai/gpt-oss-120b,standard,0,output_tokens,0.60,1M,,2025-08-05,,,old\n" +
		"groq,openai/gpt-oss-120b,standard,0,cache_read_input_tokens,0.075,1M,,2025-08-05,,,old\n" +
		"gcp.gemini,gemini-2.5-pro,standard,200001,input_tokens,2.50,1M,,2025-06-17,,,old\n" +
		"gcp.gemini,gemini-2.5-pro,standard,200001,output_tokens,15.00,1M,,2025-06-17,,,old\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, want := legacy.Prices(), current.Prices()
	if len(got) != len(want) {
		t.Fatalf("legacy file read as %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if notes := legacy.Notes(); len(notes) != 1 || notes[0] != pricing.LegacyNote {
		t.Errorf("Notes() = %q, want the legacy note", notes)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte(testTable), 0o600); err != nil {
		t.Fatal(err)
	}
	table, err := pricing.Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := table.Rate("p", "m-long-exact", "", pricing.InputTokens, 0, day("2026-01-01")); !ok {
		t.Error("loaded table has no price for p/m-long-exact")
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte(strings.Replace(testTable, "p,dated,,,input_tokens,20,", "p,dated,,,input_tokens,x,", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pricing.Load(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `line 7, column 6 (usd): "x" is not a number`) {
		t.Errorf("Load(bad) error = %v; want it to name the file, line and column", err)
	}
	if _, err := pricing.Load(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

// TestDefaultTable holds the shipped table to what the project promises of it: every
// row names its source; every model PROVIDER-FACTS prices is priced at the figures
// given there (the 2026-12 correction of gpt-oss-20b included).
func TestDefaultTable(t *testing.T) {
	table := pricing.Default()
	for i, p := range table.Prices() {
		if p.Source == "" {
			t.Errorf("row %d (%s %s %s): no source", i, p.Provider, p.Model, p.Unit)
		}
	}
	at := day("2026-12-01")
	for _, c := range []struct {
		provider, model string
		unit            pricing.Unit
		minInput        int64
		usd             float64 // per 1M tokens, per hour of audio
	}{
		{semconv.ProviderGroq, "openai/gpt-oss-120b", pricing.InputTokens, 0, 0.15},
		{semconv.ProviderGroq, "openai/gpt-oss-120b", pricing.OutputTokens, 0, 0.60},
		{semconv.ProviderGroq, "openai/gpt-oss-120b", pricing.CacheReadInputTokens, 0, 0.075},
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.InputTokens, 0, 0.075},
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.OutputTokens, 0, 0.30},
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.CacheReadInputTokens, 0, 0.0375},
		{semconv.ProviderGroq, "llama-3.1-8b-instant", pricing.InputTokens, 0, 0.05},
		{semconv.ProviderGroq, "llama-3.1-8b-instant", pricing.OutputTokens, 0, 0.08},
		{semconv.ProviderGroq, "meta-llama/llama-4-scout-17b-16e-instruct", pricing.InputTokens, 0, 0.11},
		{semconv.ProviderGroq, "meta-llama/llama-4-scout-17b-16e-instruct", pricing.OutputTokens, 0, 0.34},
		{semconv.ProviderGroq, "llama-3.3-70b-versatile", pricing.InputTokens, 0, 0.59},
		{semconv.ProviderGroq, "whisper-large-v3", pricing.AudioBilledSeconds, 0, 0.111},
		{semconv.ProviderGroq, "whisper-large-v3-turbo", pricing.AudioBilledSeconds, 0, 0.04},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.InputTokens, 0, 0.30},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.OutputTokens, 0, 2.50},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.CacheReadInputTokens, 0, 0.03},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.AudioInputTokens, 0, 1.00},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.InputTokens, 0, 1.25},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.CacheReadInputTokens, 0, 0.125},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.InputTokens, 200_001, 2.50},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.OutputTokens, 200_001, 15.00},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.CacheReadInputTokens, 200_001, 0.25},
		{semconv.ProviderGemini, "gemini-2.0-flash", pricing.InputTokens, 0, 0.10},
		{semconv.ProviderGemini, "gemini-2.0-flash", pricing.CacheReadInputTokens, 0, 0.025},
		{semconv.ProviderGemini, "gemini-1.5-flash", pricing.InputTokens, 0, 0.075},
	} {
		p, ok := table.Rate(c.provider, c.model, "", c.unit, c.minInput, at)
		per := 1e6
		if c.unit == pricing.AudioBilledSeconds {
			per = 3600
		}
		if !ok || !near(p.USD/p.Per*per, c.usd) || p.MinInputTokens != c.minInput {
			t.Errorf("%s %s %s from %d tokens: %+v, %v; want %v", c.provider, c.model, c.unit, c.minInput, p, ok, c.usd)
		}
	}
	if p, _ := table.Rate(semconv.ProviderGroq, "whisper-large-v3", "", pricing.AudioBilledSeconds, 0, at); p.MinBilled != 10 {
		t.Errorf("whisper-large-v3 bills at least %v s, want 10", p.MinBilled)
	}
}

func TestGlobs(t *testing.T) {
	// The same cases run through DuckDB's GLOB in internal/schema (TestGlobMatchesDuckDB).
	for _, c := range GlobCases {
		table, err := pricing.Parse(strings.NewReader(head + "p," + c.Pattern + ",,,input_tokens,1,1M,,2025-01-01,,,\n"))
		if err != nil {
			t.Fatalf("pattern %q: %v", c.Pattern, err)
		}
		_, ok := table.Rate("p", c.Name, "", pricing.InputTokens, 0, day("2026-01-01"))
		if ok != c.Match {
			t.Errorf("%q matches %q: %v, want %v", c.Pattern, c.Name, ok, c.Match)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testTable)
	f.Add(head + "g,\"a,b\",flex,9223372036854775807,audio_billed_seconds,1e3,0x1p-2,10,2025-01-01,9999-12-31,2025-01-01,\n")
	f.Add(legacyHead + "g,a*,1,2,,0,2025-01-01,,\n")
	f.Add("")
	f.Add("\"")
	f.Fuzz(func(t *testing.T, in string) {
		table, err := pricing.Parse(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "prices") {
				t.Errorf("error does not start with prices: %v", err)
			}
			return
		}
		for _, p := range table.Prices() {
			if p.Provider == "" || p.Model == "" || p.USD < 0 || !(p.Per > 0) || p.MinBilled < 0 || p.Unit >= pricing.NumUnits ||
				p.MinInputTokens < 0 || (!p.EffectiveTo.IsZero() && !p.EffectiveTo.After(p.EffectiveFrom)) {
				t.Fatalf("Parse accepted an invalid row: %+v", p)
			}
			// Every row's own period, tier and prompt size must find a price for an exact name.
			if !strings.ContainsAny(p.Model, "*?[") {
				got, ok := table.Rate(p.Provider, p.Model, p.Tier, p.Unit, p.MinInputTokens, p.EffectiveFrom)
				if !ok || got.MinInputTokens < p.MinInputTokens {
					t.Fatalf("Rate of row %+v = %+v, %v", p, got, ok)
				}
				u := usage.Usage{InputTokens: 1, OutputTokens: 1, AudioSeconds: 1, InputCharacters: 1, WebSearchQueries: 1}
				if b := table.Bill(p.Provider, p.Model, p.Tier, &u, p.EffectiveFrom); b.USD < 0 || math.IsNaN(b.USD) {
					t.Fatalf("cost %v for %+v", b.USD, got)
				}
			}
		}
	})
}

// globCase is a row of testdata/globs.csv.
type globCase struct {
	Pattern, Name string
	Match         bool
}

// GlobCases are the cases of testdata/globs.csv.
var GlobCases = func() []globCase {
	f, err := os.Open("testdata/globs.csv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		panic(err)
	}
	var out []globCase
	for _, rec := range recs[1:] {
		out = append(out, globCase{rec[0], rec[1], rec[2] == "true"})
	}
	return out
}()

func TestMatchAndBillingRate(t *testing.T) {
	table := pricing.Default()
	at := day("2026-12-01")
	if m, ok := table.Match(semconv.ProviderGemini, "gemini-2.0-flash-001", at); !ok || m != "gemini-2.0-flash-0*" {
		t.Errorf("Match(gemini-2.0-flash-001) = %q, %v", m, ok)
	}
	if _, ok := table.Match(semconv.ProviderGemini, "gemini-9-ultra", at); ok {
		t.Error("Match found a row for an unknown model")
	}
	for _, c := range []struct {
		model    string
		unit     pricing.Unit
		billedAs pricing.Unit
		usd      float64
	}{
		{"gemini-2.5-flash", pricing.AudioInputTokens, pricing.AudioInputTokens, 1.00},
		{"gemini-2.5-pro", pricing.AudioInputTokens, pricing.InputTokens, 1.25},
		{"gemini-2.5-pro", pricing.AudioCacheReadInputTokens, pricing.CacheReadInputTokens, 0.125},
		{"gemini-2.5-flash", pricing.ReasoningOutputTokens, pricing.OutputTokens, 2.50},
	} {
		p, ok := table.BillingRate(semconv.ProviderGemini, c.model, "standard", c.unit, 0, at)
		if !ok || p.Unit != c.billedAs || !near(p.USD, c.usd) {
			t.Errorf("BillingRate(%s, %s) = %s %v, %v; want %s %v", c.model, c.unit, p.Unit, p.USD, ok, c.billedAs, c.usd)
		}
	}
	if _, ok := table.BillingRate(semconv.ProviderGemini, "gemini-2.5-flash", "flex", pricing.InputTokens, 0, at); ok {
		t.Error("BillingRate fell back to the standard tier")
	}
}

// TestWriteCSVRoundTrips writes the shipped table and reads it back as the same rows.
func TestWriteCSVRoundTrips(t *testing.T) {
	var buf strings.Builder
	want := pricing.Default().Prices()
	if err := pricing.WriteCSV(&buf, want); err != nil {
		t.Fatal(err)
	}
	back, err := pricing.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := back.Prices()
	if len(got) != len(want) {
		t.Fatalf("%d rows back, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
