package pricetables

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

var (
	checked = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at      = checked
)

func importFile(t testing.TB, f Format, path string) (*Imported, *pricing.Table) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := Import(f, data, Options{Checked: checked, Source: string(f) + " test"})
	if err != nil {
		t.Fatal(err)
	}
	table, err := im.Table()
	if err != nil {
		t.Fatal(err)
	}
	return im, table
}

const (
	genaiPricesFile = "testdata/genai-prices/data.json"
	litellmFile     = "testdata/litellm/model_prices_and_context_window.json"
)

// rate is USD per the unit's usual quantity (1M tokens, an hour, 1K searches).
func rate(t *testing.T, table *pricing.Table, provider, model, tier string, unit pricing.Unit, input int64, when time.Time) float64 {
	t.Helper()
	p, ok := table.Rate(provider, model, tier, unit, input, when)
	if !ok {
		return math.NaN()
	}
	return p.USD / p.Per * unit.Per()
}

func TestImportGenAIPrices(t *testing.T) {
	im, table := importFile(t, GenAIPrices, genaiPricesFile)
	for _, c := range []struct {
		provider, model string
		unit            pricing.Unit
		input           int64
		when            time.Time
		want            float64
	}{
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.InputTokens, 0, at, 0.075},
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.CacheReadInputTokens, 0, at, 0.0375},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.CacheReadInputTokens, 0, at, 0.03},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.AudioInputTokens, 0, at, 1.00},
		{semconv.ProviderVertexAI, "gemini-2.5-flash", pricing.AudioInputTokens, 0, at, 1.00},
		// Tiered prices: base up to the tier's start, the tier's price for prompts over it.
		{semconv.ProviderGemini, "gemini-2.5-pro-preview-06-05", pricing.InputTokens, 200_000, at, 1.25},
		{semconv.ProviderGemini, "gemini-2.5-pro-preview-06-05", pricing.InputTokens, 200_001, at, 2.50},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.OutputTokens, 200_001, at, 15},
		// Start-date constraints become dated rows.
		{semconv.ProviderGemini, "gemini-3.6-flash", pricing.InputTokens, 0, at, 0.75},
		{semconv.ProviderGemini, "gemini-3.6-flash", pricing.InputTokens, 0, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1.50},
		// A regex rule: ^gemini-3\.5-flash-\d.
		{semconv.ProviderGemini, "gemini-3.5-flash-001", pricing.InputTokens, 0, at, 1.50},
		{semconv.ProviderGemini, "gemini-2.5-flash-image", pricing.ImageOutputTokens, 0, at, 30},
	} {
		if got := rate(t, table, c.provider, c.model, "", c.unit, c.input, c.when); got != c.want {
			t.Errorf("%s %s %s at %d tokens on %s: %v, want %v", c.provider, c.model, c.unit, c.input, c.when.Format(time.DateOnly), got, c.want)
		}
	}
	if _, ok := table.Match(semconv.ProviderGemini, "claude-opus-4-7", at); ok {
		t.Error("Anthropic models imported for the Gemini API, which does not serve them")
	}
	if _, ok := table.Match(semconv.ProviderVertexAI, "claude-opus-4-7", at); !ok {
		t.Error("Anthropic models on Vertex AI not imported")
	}
	if _, ok := table.Match("anthropic", "claude-opus-4-7", at); ok {
		t.Error("a provider aiusage does not record was imported")
	}
	for _, p := range im.Prices {
		if p.Checked != checked || !strings.HasPrefix(p.Source, "genai-prices test (") || p.Tier != semconv.ServiceTierStandard {
			t.Fatalf("row %+v: want checked %s, the source named, standard tier", p, checked.Format(time.DateOnly))
		}
	}
	var skippedWrites bool
	for _, s := range im.Skipped {
		if strings.HasPrefix(s.Reason, "cache_write_mtok") && s.Count > 0 {
			skippedWrites = true
		}
	}
	if !skippedWrites {
		t.Errorf("Skipped = %+v; want the cache writes aiusage has no unit for", im.Skipped)
	}
	if names := strings.Join(im.Names[semconv.ProviderGroq], " "); !strings.Contains(names, "openai/gpt-oss-safeguard-20b") {
		t.Errorf("names of groq models: %s", names)
	}
}

func TestImportLiteLLM(t *testing.T) {
	im, table := importFile(t, LiteLLM, litellmFile)
	for _, c := range []struct {
		provider, model string
		unit            pricing.Unit
		input           int64
		want            float64
	}{
		{semconv.ProviderGroq, "openai/gpt-oss-20b", pricing.InputTokens, 0, 0.10},
		{semconv.ProviderGroq, "moonshotai/kimi-k2-instruct-0905", pricing.CacheReadInputTokens, 0, 0.5},
		{semconv.ProviderGroq, "whisper-large-v3", pricing.AudioBilledSeconds, 0, 0.110988}, // 3.083e-05 a second
		{semconv.ProviderGroq, "playai-tts", pricing.InputCharacters, 0, 50},
		{semconv.ProviderGemini, "gemini-2.5-pro", pricing.InputTokens, 200_001, 2.5},
		{semconv.ProviderGemini, "gemini-1.5-flash", pricing.OutputTokens, 128_001, 0.6},
		{semconv.ProviderGemini, "gemini-2.5-flash", pricing.ReasoningOutputTokens, 0, 2.5},
		// LiteLLM files this gemini/ key under Vertex AI: the provider decides.
		{semconv.ProviderVertexAI, "gemini-2.5-flash-image", pricing.InputTokens, 0, 0.3},
	} {
		if got := rate(t, table, c.provider, c.model, "", c.unit, c.input, at); got != c.want {
			t.Errorf("%s %s %s at %d tokens: %v, want %v", c.provider, c.model, c.unit, c.input, got, c.want)
		}
	}
	if _, ok := table.Match("openai", "gpt-4o-mini", at); ok {
		t.Error("a provider aiusage does not record was imported")
	}
	skips := map[string]int{}
	for _, s := range im.Skipped {
		skips[s.Reason] = s.Count
	}
	if skips["output_cost_per_image: no unit aiusage bills"] != 2 || skips["output_cost_per_second: no unit aiusage bills"] == 0 {
		t.Errorf("Skipped = %+v", im.Skipped)
	}
}

// TestImportLiteLLMTiers reads LiteLLM's service-tier variants of a price key.
func TestImportLiteLLMTiers(t *testing.T) {
	const data = `{"gemini/m": {"litellm_provider": "gemini", "input_cost_per_token": 1e-06,
	  "input_cost_per_token_batches": 5e-07, "input_cost_per_token_priority": 1.8e-06,
	  "output_cost_per_token_flex": 2e-06, "input_cost_per_token_above_200k_tokens_priority": 3.6e-06}}`
	im, err := Import(LiteLLM, []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	table, err := im.Table()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tier  string
		unit  pricing.Unit
		input int64
		want  float64
	}{
		{"standard", pricing.InputTokens, 0, 1},
		{"batch", pricing.InputTokens, 0, 0.5},
		{"priority", pricing.InputTokens, 0, 1.8},
		{"priority", pricing.InputTokens, 200_001, 3.6},
		{"flex", pricing.OutputTokens, 0, 2},
	} {
		if got := rate(t, table, semconv.ProviderGemini, "m", c.tier, c.unit, c.input, at); got != c.want {
			t.Errorf("%s %s at %d: %v, want %v", c.tier, c.unit, c.input, got, c.want)
		}
	}
}

// TestDiffAgainstThePublicTablesIsExplained is the promise of the built-in table: every
// disagreement with genai-prices and LiteLLM that a diff shows is one made on purpose.
func TestDiffAgainstThePublicTablesIsExplained(t *testing.T) {
	for _, c := range []struct {
		format Format
		path   string
	}{{GenAIPrices, genaiPricesFile}, {LiteLLM, litellmFile}} {
		im, theirs := importFile(t, c.format, c.path)
		diffs := Compare(pricing.Default(), theirs, im.Names, at)
		MarkChosen(diffs, c.format)
		var compared int
		for _, d := range diffs {
			if d.Kind == OnlyOurs {
				continue
			}
			compared++
			if d.Chosen == "" {
				t.Errorf("%s: unexplained %s: %s %s %s %d %s ours %v theirs %v (%s)", c.format, d.Kind, d.Provider, d.Model,
					d.Tier, d.MinInputTokens, d.Unit, d.Ours, d.Theirs, d.TheirSource)
			}
		}
		if compared == 0 {
			t.Errorf("%s: no disagreement at all, which the known ones say cannot be", c.format)
		}
	}
}

// TestEveryChosenRuleIsUsed keeps the chosen list honest: a rule no difference needs
// any more is one the table no longer makes.
func TestEveryChosenRuleIsUsed(t *testing.T) {
	used := map[string]bool{}
	for _, c := range []struct {
		format Format
		path   string
	}{{GenAIPrices, genaiPricesFile}, {LiteLLM, litellmFile}} {
		im, theirs := importFile(t, c.format, c.path)
		diffs := Compare(pricing.Default(), theirs, im.Names, at)
		MarkChosen(diffs, c.format)
		for _, d := range diffs {
			used[d.Chosen] = true
		}
	}
	for _, r := range ChosenRules() {
		if !used[r[4]] {
			t.Errorf("chosen.csv rule %v explains no difference", r)
		}
	}
}

func TestCompare(t *testing.T) {
	const head = "provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n"
	ours, err := pricing.Parse(strings.NewReader(head +
		"p,same,,,input_tokens,1,1M,,2025-01-01,,,ours\n" +
		"p,cheaper,,,input_tokens,1,1M,,2025-01-01,,,ours\n" +
		"p,audio,,,input_tokens,1,1M,,2025-01-01,,,ours\n" +
		"p,audio,,,audio_input_tokens,3,1M,,2025-01-01,,,ours\n" +
		"p,tiers,,,input_tokens,1,1M,,2025-01-01,,,ours\n" +
		"p,tiers,batch,,input_tokens,0.5,1M,,2025-01-01,,,ours\n" +
		"p,long,,,input_tokens,1,1M,,2025-01-01,,,ours\n" +
		"p,ours-only,,,input_tokens,1,1M,,2025-01-01,,,ours\n"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := pricing.Parse(strings.NewReader(head +
		"p,same,,,input_tokens,1,1M,,2024-01-01,,,theirs\n" +
		"p,cheaper,,,input_tokens,0.5,1M,,2024-01-01,,,theirs\n" +
		"p,audio,,,input_tokens,1,1M,,2024-01-01,,,theirs\n" +
		"p,tiers,,,input_tokens,1,1M,,2024-01-01,,,theirs\n" +
		"p,long,,,input_tokens,1,1M,,2024-01-01,,,theirs\n" +
		"p,long,,200001,input_tokens,2,1M,,2024-01-01,,,theirs\n" +
		"p,theirs-*,,,output_tokens,1,1M,,2024-01-01,,,theirs\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := Compare(ours, theirs, map[string][]string{"p": {"theirs-only"}}, at)
	var lines []string
	for _, d := range got {
		f := func(v float64) string {
			if math.IsNaN(v) {
				return "-"
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		lines = append(lines, strings.Join([]string{d.Kind, d.Model, d.Tier, strconv.FormatInt(d.MinInputTokens, 10), d.Unit, f(d.Ours), f(d.Theirs)}, " "))
	}
	want := []string{
		"differs audio standard 0 audio_input_tokens 3 1", // theirs bills audio at its input rate
		"differs cheaper standard 0 input_tokens 1 0.5",   // a different rate
		"differs long standard 200001 input_tokens 1 2",   // ours has no long-prompt tier: its base rate applies
		"only_ours ours-only  0 * - -",                    // a model theirs lacks
		"only_theirs theirs-only  0 * - -",                // a model ours lacks: our calls unpriced
		"only_ours tiers batch 0 * - -",                   // a tier theirs lacks
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Compare:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		data string
		want Format
	}{{"  [{}]", GenAIPrices}, {"\ufeff{\"a\":{}}", LiteLLM}, {"", ""}, {"x", ""}} {
		got, err := Detect([]byte(c.data))
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("Detect(%q) = %q, %v; want %q", c.data, got, err, c.want)
		}
	}
}

func TestImportErrors(t *testing.T) {
	for _, c := range []struct {
		format Format
		data   string
		want   string
	}{
		{GenAIPrices, "[\n{\"id\": \"groq\",\n \"models\": [}\n]", "genai-prices: read data.json: line 3: invalid character '}'"},
		{GenAIPrices, `{"a": 1}`, "genai-prices: read data.json: json: cannot unmarshal object"},
		{LiteLLM, "{\n\"groq/x\": [1, 2}", "litellm: read model_prices_and_context_window.json: line 2:"},
		{"csv", "", `unknown format "csv"`},
	} {
		_, err := Import(c.format, []byte(c.data), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Import(%s, %q) error = %v; want %q", c.format, c.data, err, c.want)
		}
	}
}

func TestRegexGlob(t *testing.T) {
	for _, c := range []struct{ re, want, err string }{
		{`^gemini-3\.5-flash-\d`, "gemini-3.5-flash-[0-9]*", ""},
		{`^gpt-4o$`, "gpt-4o", ""},
		{`claude.*opus`, "*claude*opus*", ""},
		{`^a.b$`, "a?b", ""},
		{`^(a|b)$`, "", "which no glob says"},
	} {
		got, err := regexGlob(c.re)
		if got != c.want || (err != nil) != (c.err != "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("regexGlob(%q) = %q, %v; want %q %q", c.re, got, err, c.want, c.err)
		}
	}
}

// FuzzImport feeds both readers anything: an error or rows a price table accepts, never a panic.
func FuzzImport(f *testing.F) {
	for _, p := range []string{genaiPricesFile, litellmFile} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 4000)])
	}
	f.Add([]byte(`[{"id":"groq","models":[{"id":"m","match":{"or":[{"equals":"a"},{"regex":"^b\\d"}]},"prices":[{"prices":{"input_mtok":{"base":1,"tiers":[{"start":10,"price":2}]}}},{"constraint":{"start_date":"2026-01-01"},"prices":{"output_mtok":3}}]}]}]`))
	f.Add([]byte(`{"groq/a":{"litellm_provider":"groq","input_cost_per_token":1e-06,"input_cost_per_token_above_200k_tokens_batches":2e-06}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := Detect(data)
		if err != nil {
			return
		}
		im, err := Import(format, data, Options{})
		if err != nil {
			return
		}
		if _, err := im.Table(); err != nil && !strings.Contains(err.Error(), "prices line") {
			t.Fatalf("rows a price table refuses without naming the line: %v", err)
		}
	})
}
