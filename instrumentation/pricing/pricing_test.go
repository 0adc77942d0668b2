package pricing_test

import (
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

func TestDefaultCost(t *testing.T) {
	now := day("2026-11-27")
	tests := []struct {
		name            string
		provider, model string
		u               usage.Usage
		at              time.Time
		want            float64 // computed by hand from prices.csv
		wantOK          bool
	}{
		{
			name: "groq gpt-oss-120b with cached input at the cached price",
			// 744 uncached * 0.15 + 256 cached * 0.075 + 500 out * 0.60 = 111.6 + 19.2 + 300
			provider: semconv.ProviderGroq, model: "openai/gpt-oss-120b",
			u:  usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500},
			at: now, want: 430.8e-6, wantOK: true,
		},
		{
			name: "groq model without a cached price bills cached input as input",
			// 200 in * 0.05 + 10 out * 0.08 = 10 + 0.8
			provider: semconv.ProviderGroq, model: "llama-3.1-8b-instant",
			u:  usage.Usage{InputTokens: 200, CacheReadInputTokens: 100, OutputTokens: 10},
			at: now, want: 10.8e-6, wantOK: true,
		},
		{
			name: "gemini 2.5 pro at exactly 200K prompt tokens is the low tier",
			// 200000 * 1.25 + 1000 * 10.00 = 250000 + 10000
			provider: semconv.ProviderGemini, model: "gemini-2.5-pro",
			u:  usage.Usage{InputTokens: 200_000, OutputTokens: 1000},
			at: now, want: 0.26, wantOK: true,
		},
		{
			name: "gemini 2.5 pro over 200K prompt tokens is the high tier",
			// 200001 * 2.50 + 1000 * 15.00 = 500002.5 + 15000
			provider: semconv.ProviderGemini, model: "gemini-2.5-pro",
			u:  usage.Usage{InputTokens: 200_001, OutputTokens: 1000},
			at: now, want: 0.5150025, wantOK: true,
		},
		{
			name: "gemini 2.5 flash, a million each way",
			// 1e6 * 0.30 + 1e6 * 2.50
			provider: semconv.ProviderGemini, model: "gemini-2.5-flash",
			u:  usage.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000},
			at: now, want: 2.80, wantOK: true,
		},
		{
			name: "gemini 2.0 flash pinned version through the glob",
			// 1e6 * 0.10 + 0 out
			provider: semconv.ProviderGemini, model: "gemini-2.0-flash-001",
			u:  usage.Usage{InputTokens: 1_000_000},
			at: now, want: 0.10, wantOK: true,
		},
		{
			name:     "zero tokens on a priced model costs zero and is priced",
			provider: semconv.ProviderGroq, model: "openai/gpt-oss-20b",
			at: now, want: 0, wantOK: true,
		},
		{
			name:     "before the price took effect is unpriced",
			provider: semconv.ProviderGroq, model: "openai/gpt-oss-120b",
			u:  usage.Usage{InputTokens: 10},
			at: day("2025-08-04"), wantOK: false,
		},
		{
			name:     "unknown model is unpriced",
			provider: semconv.ProviderGroq, model: "no-such-model",
			u:  usage.Usage{InputTokens: 10},
			at: now, wantOK: false,
		},
		{
			name:     "model under another provider is unpriced",
			provider: semconv.ProviderGemini, model: "openai/gpt-oss-120b",
			u:  usage.Usage{InputTokens: 10},
			at: now, wantOK: false,
		},
		{
			name:     "empty model is unpriced",
			provider: semconv.ProviderGroq, model: "",
			at: now, wantOK: false,
		},
	}
	table := pricing.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := table.Cost(tt.provider, tt.model, tt.u, tt.at)
			if ok != tt.wantOK || !near(got, tt.want) {
				t.Errorf("Cost(%q, %q, %+v) = %v, %v; want %v, %v", tt.provider, tt.model, tt.u, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// testTable exercises lookup precedence: exact over glob, longer glob over shorter,
// effective periods, tiers and falling back when the most specific rows are out of force.
const testTable = `provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source
# comment lines are skipped
p,m-*,1,0,,0,2025-01-01,,short glob
p,m-long-*,2,0,,0,2025-01-01,,long glob
p,m-long-exact,3,0,,0,2025-01-01,,exact
p,dated,10,0,,0,2025-01-01,2025-07-01,old price
p,dated,20,0,,0,2025-07-01,,new price
p,tiered,1,0,,0,2025-01-01,,tier 0
p,tiered,2,0,,1000,2025-01-01,,tier 1000
p,tiered,3,0,,5000,2025-01-01,,tier 5000
p,tiered,4,0,,5000,2024-01-01,2025-01-01,tier 5000 before
p,old-model,5,0,,0,2024-01-01,2024-06-01,retired exact
p,old-*,6,0,,0,2024-01-01,,glob still in force
q,m-long-exact,7,0,,0,2025-01-01,,other provider
`

func TestLookupPrecedence(t *testing.T) {
	table, err := pricing.Parse(strings.NewReader(testTable))
	if err != nil {
		t.Fatal(err)
	}
	at := day("2026-01-01")
	tests := []struct {
		provider, model string
		input           int64
		at              time.Time
		wantSource      string // "" = no price
	}{
		{"p", "m-long-exact", 0, at, "exact"},
		{"p", "m-long-x", 0, at, "long glob"},
		{"p", "m-other", 0, at, "short glob"},
		{"p", "m", 0, at, ""},
		{"q", "m-long-exact", 0, at, "other provider"},
		{"q", "m-long-x", 0, at, ""},
		{"p", "dated", 0, day("2024-12-31"), ""},
		{"p", "dated", 0, day("2025-01-01"), "old price"},
		{"p", "dated", 0, day("2025-07-01").Add(-time.Nanosecond), "old price"},
		{"p", "dated", 0, day("2025-07-01"), "new price"},
		{"p", "tiered", 0, at, "tier 0"},
		{"p", "tiered", -5, at, "tier 0"},
		{"p", "tiered", 999, at, "tier 0"},
		{"p", "tiered", 1000, at, "tier 1000"},
		{"p", "tiered", 4999, at, "tier 1000"},
		{"p", "tiered", 5000, at, "tier 5000"},
		{"p", "tiered", 5000, day("2024-06-01"), "tier 5000 before"},
		{"p", "old-model", 0, day("2024-03-01"), "retired exact"},
		{"p", "old-model", 0, day("2024-06-01"), "glob still in force"},
	}
	for _, tt := range tests {
		p, ok := table.Lookup(tt.provider, tt.model, tt.input, tt.at)
		if ok != (tt.wantSource != "") || p.Source != tt.wantSource {
			t.Errorf("Lookup(%q, %q, %d, %s) = %q, %v; want %q", tt.provider, tt.model, tt.input, tt.at.Format(time.RFC3339Nano), p.Source, ok, tt.wantSource)
		}
	}
}

func TestPriceCost(t *testing.T) {
	p := pricing.Price{InputPerMTok: 2, OutputPerMTok: 8, CachedInputPerMTok: 0.5, HasCachedInput: true}
	tests := []struct {
		name string
		u    usage.Usage
		want float64
	}{
		// (1000-400)*2 + 400*0.5 + 100*8 = 1200 + 200 + 800 = 2200 per 1M
		{"mixed", usage.Usage{InputTokens: 1000, CacheReadInputTokens: 400, OutputTokens: 100}, 2200e-6},
		// cached beyond input is capped at input: 10*0.5
		{"cached above input", usage.Usage{InputTokens: 10, CacheReadInputTokens: 50}, 5e-6},
		// negative counts count as zero: 3*8
		{"negative counts", usage.Usage{InputTokens: -10, CacheReadInputTokens: -1, OutputTokens: 3}, 24e-6},
	}
	for _, tt := range tests {
		if got := p.Cost(tt.u); !near(got, tt.want) {
			t.Errorf("%s: Cost(%+v) = %v, want %v", tt.name, tt.u, got, tt.want)
		}
	}
}

func TestParsedRowFields(t *testing.T) {
	table, err := pricing.Parse(strings.NewReader(
		"provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n" +
			" groq , a/b , 0.15, 0.60, 0.075, 7, 2025-08-05, 2026-01-01, \"page, checked\"\n" +
			"groq,c,1,2,,,2025-08-05,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []pricing.Price{
		{Provider: "groq", Model: "a/b", InputPerMTok: 0.15, OutputPerMTok: 0.60, CachedInputPerMTok: 0.075, HasCachedInput: true,
			MinInputTokens: 7, EffectiveFrom: day("2025-08-05"), EffectiveTo: day("2026-01-01"), Source: "page, checked"},
		{Provider: "groq", Model: "c", InputPerMTok: 1, OutputPerMTok: 2, EffectiveFrom: day("2025-08-05")},
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
}

func TestParseErrors(t *testing.T) {
	const head = "provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n"
	const ok = "groq,a,1,2,,0,2025-01-01,,\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty input", "", "prices: empty"},
		{"wrong header", strings.Replace(head, "source", "src", 1), `prices line 1: column 9 is "src", want "source"`},
		{"short header", "provider,model\n", "prices line 1: want 9 columns"},
		{"short row", head + ok + "groq,b,1\n", "prices line 3: want 9 columns"},
		{"bare quote", head + "groq,\"a\"b,1,2,,0,2025-01-01,,\n", "prices line 2, column"},
		{"not a number", head + ok + "groq,b,1,2,,0,2025-01-01,,\ngroq,c,abc,2,,0,2025-01-01,,\n", `prices line 4: input_usd_per_mtok: "abc" is not a number`},
		{"empty provider", head + ",a,1,2,,0,2025-01-01,,\n", "prices line 2: provider: empty"},
		{"empty model", head + "groq,,1,2,,0,2025-01-01,,\n", "prices line 2: model: empty"},
		{"empty input price", head + "groq,a,,2,,0,2025-01-01,,\n", "prices line 2: input_usd_per_mtok: empty"},
		{"negative output", head + "groq,a,1,-2,,0,2025-01-01,,\n", "prices line 2: output_usd_per_mtok: -2 is negative"},
		{"NaN cached", head + "groq,a,1,2,NaN,0,2025-01-01,,\n", `prices line 2: cached_input_usd_per_mtok: "NaN" is not a number`},
		{"infinite input", head + "groq,a,Inf,2,,0,2025-01-01,,\n", `prices line 2: input_usd_per_mtok: "Inf" is not a number`},
		{"negative cached", head + "groq,a,1,2,-0.1,0,2025-01-01,,\n", "prices line 2: cached_input_usd_per_mtok: -0.1 is negative"},
		{"fractional tier", head + "groq,a,1,2,,1.5,2025-01-01,,\n", `prices line 2: min_input_tokens: "1.5" is not a whole number >= 0`},
		{"negative tier", head + "groq,a,1,2,,-1,2025-01-01,,\n", `prices line 2: min_input_tokens: "-1" is not a whole number >= 0`},
		{"missing from", head + "groq,a,1,2,,0,,,\n", "prices line 2: effective_from: empty"},
		{"bad from", head + "groq,a,1,2,,0,2025-13-01,,\n", `prices line 2: effective_from: "2025-13-01" is not a date`},
		{"bad to", head + "groq,a,1,2,,0,2025-01-01,soon,\n", `prices line 2: effective_to: "soon" is not a date`},
		{"to equals from", head + "groq,a,1,2,,0,2025-01-01,2025-01-01,\n", "prices line 2: effective_to: 2025-01-01 is not after effective_from 2025-01-01"},
		{"to before from", head + "groq,a,1,2,,0,2025-01-02,2025-01-01,\n", "prices line 2: effective_to: 2025-01-01 is not after"},
		{"bad glob", head + "groq,gemini-[,1,2,,0,2025-01-01,,\n", `prices line 2: model: "gemini-[" is not a valid glob`},
		{"duplicate", head + ok + "groq,b,1,2,,0,2025-01-01,,\ngroq,a,3,4,,0,2025-01-01,,\n", "prices line 4: duplicate of line 2"},
		{"overlap", head + "groq,a,1,2,,0,2025-01-01,,\ngroq,a,3,4,,0,2025-06-01,,\n", "prices line 3: effective_from..effective_to overlaps line 2"},
		{"overlap closed", head + "groq,a,1,2,,0,2025-01-01,2025-07-01,\ngroq,a,3,4,,0,2024-06-01,2025-01-02,\n", "prices line 3: effective_from..effective_to overlaps line 2"},
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

func TestParseAcceptsAdjacentPeriodsAndOtherTiers(t *testing.T) {
	const in = "provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n" +
		"groq,a,1,2,,0,2025-01-01,2025-07-01,\n" +
		"groq,a,3,4,,0,2025-07-01,,\n" +
		"groq,a,5,6,,1000,2025-01-01,,\n" +
		"gemini,a,5,6,,0,2025-01-01,,\n" +
		"any-provider,a*,5,6,,0,2025-01-01,,\n"
	table, err := pricing.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.Prices()); n != 5 {
		t.Errorf("got %d rows, want 5", n)
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
	if _, ok := table.Lookup("p", "m-long-exact", 0, day("2026-01-01")); !ok {
		t.Error("loaded table has no price for p/m-long-exact")
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte(strings.Replace(testTable, "p,dated,20,", "p,dated,x,", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pricing.Load(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `input_usd_per_mtok: "x" is not a number`) {
		t.Errorf("Load(bad) error = %v; want it to name the file and the column", err)
	}
	if _, err := pricing.Load(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

// TestDefaultTableCoversProviderFacts checks that every model PROVIDER-FACTS prices is
// priced, so the shipped table cannot silently lose a row.
func TestDefaultTableCoversProviderFacts(t *testing.T) {
	at := day("2026-11-27")
	for _, m := range []struct{ provider, model string }{
		{semconv.ProviderGroq, "openai/gpt-oss-120b"},
		{semconv.ProviderGroq, "openai/gpt-oss-20b"},
		{semconv.ProviderGroq, "llama-3.1-8b-instant"},
		{semconv.ProviderGroq, "llama-3.3-70b-versatile"},
		{semconv.ProviderGemini, "gemini-2.5-flash"},
		{semconv.ProviderGemini, "gemini-2.5-pro"},
		{semconv.ProviderGemini, "gemini-2.0-flash"},
		{semconv.ProviderGemini, "gemini-1.5-flash"},
	} {
		if _, ok := pricing.Default().Lookup(m.provider, m.model, 0, at); !ok {
			t.Errorf("default table has no price for %s %s", m.provider, m.model)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testTable)
	f.Add("provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\ng,\"a,b\",1e3,0x1p-2,,9223372036854775807,2025-01-01,9999-12-31,\n")
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
			if p.Provider == "" || p.Model == "" || p.InputPerMTok < 0 || p.OutputPerMTok < 0 || p.CachedInputPerMTok < 0 ||
				p.MinInputTokens < 0 || (!p.EffectiveTo.IsZero() && !p.EffectiveTo.After(p.EffectiveFrom)) {
				t.Fatalf("Parse accepted an invalid row: %+v", p)
			}
			// Every row's own period and tier must find a price for an exact name.
			if !strings.ContainsAny(p.Model, `*?[\`) {
				got, ok := table.Lookup(p.Provider, p.Model, p.MinInputTokens, p.EffectiveFrom)
				if !ok || got.MinInputTokens < p.MinInputTokens {
					t.Fatalf("Lookup of row %+v = %+v, %v", p, got, ok)
				}
				if c := got.Cost(usage.Usage{InputTokens: 1, OutputTokens: 1}); c < 0 || math.IsNaN(c) {
					t.Fatalf("cost %v for %+v", c, got)
				}
			}
		}
	})
}
