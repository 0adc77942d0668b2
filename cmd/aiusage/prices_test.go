package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/pricing"
)

func TestPricesCommand(t *testing.T) {
	db := fixtureDB(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "prices.csv")
	const table = `provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source
groq,llama-3.3-70b-versatile,,0,input_tokens,0.59,1M,,2024-12-06,2026-12-01,2026-06-01,test
groq,llama-3.3-70b-versatile,,0,input_tokens,0.49,1M,,2026-12-01,,2026-11-30,test
groq,llama-3.3-70b-versatile,batch,0,cache_read_input_tokens,0.25,1M,,2026-12-01,,2026-11-30,test
groq,whisper-large-v3,,0,audio_billed_seconds,0.111,3600,10,2024-04-01,,,test
`
	legacy := filepath.Join(dir, "legacy.csv")
	const legacyTable = `provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source
gcp.gemini,gemini-2.5-pro,2.50,15.00,,200001,2025-06-17,,test
`
	bad := filepath.Join(dir, "bad.csv")
	for name, content := range map[string]string{good: table, legacy: legacyTable, bad: strings.Replace(table, "0.49,1M", "-0.49,1M", 1)} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"negative price", []string{"prices", "load", bad, "--db", db}, 1, "", "prices line 3, column 6 (usd): -0.49 is negative"},
		{"no db", []string{"prices", "load", good}, 1, "", "--db: name the DuckDB file"},
		{"no file", []string{"prices", "load", "--db", db}, 1, "", "name the file"},
		{"missing db", []string{"prices", "load", good, "--db", filepath.Join(dir, "nope.duckdb")}, 1, "", "does not exist"},
		{"unknown", []string{"prices", "drop"}, 1, "", `unknown subcommand "drop" (known: show, load, import, diff)`},
		{"load", []string{"prices", "load", good, "--db", db}, 0, "loaded 4 prices from " + good + " into " + db + "\n", ""},
		{"show db", []string{"prices", "show", "--db", db, "--format", "csv"}, 0,
			"provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n" +
				"groq,llama-3.3-70b-versatile,batch,0,cache_read_input_tokens,0.25,1000000,,2026-12-01,,2026-11-30,test\n" +
				"groq,llama-3.3-70b-versatile,standard,0,input_tokens,0.59,1000000,,2024-12-06,2026-12-01,2026-06-01,test\n" +
				"groq,llama-3.3-70b-versatile,standard,0,input_tokens,0.49,1000000,,2026-12-01,,2026-11-30,test\n" +
				"groq,whisper-large-v3,standard,0,audio_billed_seconds,0.111,3600,10,2024-04-01,,,test\n", ""},
		{"stale rows of the db", []string{"prices", "show", "--db", db, "--stale", "90d", "--as-of", "2026-12-01", "--format", "csv"}, 0,
			"provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n" +
				"groq,llama-3.3-70b-versatile,standard,0,input_tokens,0.59,1000000,,2024-12-06,2026-12-01,2026-06-01,test\n" +
				"groq,whisper-large-v3,standard,0,audio_billed_seconds,0.111,3600,10,2024-04-01,,,test\n", ""},
		{"stale rows of a file", []string{"prices", "--file", good, "--stale", "1d", "--as-of", "2026-12-01", "--format", "markdown"}, 0,
			"| groq | llama-3.3-70b-versatile | standard | 0 | input_tokens | 0.59 | 1000000 | NULL | 2024-12-06 | 2026-12-01 | 2026-06-01 | test |\n" +
				"| groq | whisper-large-v3 | standard | 0 | audio_billed_seconds | 0.111 | 3600 | 10 | 2024-04-01 | NULL | NULL | test |\n", ""},
		{"bad stale", []string{"prices", "--stale", "soon"}, 1, "", `--stale: "soon" is not a number of days`},
		{"a file in the older layout, with a note", []string{"prices", "show", "--file", legacy, "--format", "csv"}, 0,
			"gcp.gemini,gemini-2.5-pro,standard,200001,output_tokens,15,1000000,,2025-06-17,,,test\n", "note: " + legacy + ": the file is in the older layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout %s\nstderr %s\nwant out %q err %q", code, tt.wantCode, out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}

	// The built-in table prints every row of the embedded file, as a price file that loads.
	code, out, _ := runCLI("prices", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs)-1 != len(pricing.Default().Prices()) {
		t.Errorf("built-in table: exit %d, %d rows, %v", code, len(recs)-1, err)
	}
	back, err := pricing.Parse(strings.NewReader(out))
	if err != nil || len(back.Prices()) != len(pricing.Default().Prices()) {
		t.Errorf("the csv of show does not load back: %v", err)
	}
}

const (
	genaiPricesExcerpt = "../../internal/pricetables/testdata/genai-prices/data.json"
	litellmExcerpt     = "../../internal/pricetables/testdata/litellm/model_prices_and_context_window.json"
)

func TestPricesImportAndDiff(t *testing.T) {
	dir := t.TempDir()
	imported := filepath.Join(dir, "imported.csv")
	code, out, errOut := runCLI("prices", "import", "--from", "genai-prices", genaiPricesExcerpt, "--checked", "2026-12-01", "--out", imported)
	if code != 0 || out != "" || !strings.Contains(errOut, "imported ") || !strings.Contains(errOut, "left out: cache_write_mtok") {
		t.Fatalf("import: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	table, err := pricing.Load(imported)
	if err != nil {
		t.Fatalf("the imported file does not load: %v", err)
	}
	if p, ok := table.Rate("groq", "openai/gpt-oss-20b", "", pricing.InputTokens, 0, pricing.Default().Prices()[0].EffectiveFrom.AddDate(2, 0, 0)); !ok || p.USD != 0.075 {
		t.Errorf("imported gpt-oss-20b: %+v, %v", p, ok)
	}

	// A table diffed with its own import agrees everywhere.
	code, out, errOut = runCLI("prices", "diff", genaiPricesExcerpt, "--file", imported, "--on", "2026-12-01")
	if code != 0 || !strings.Contains(errOut, "0 disagreements") {
		t.Errorf("diff with itself: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// The built-in table disagrees with LiteLLM only where it chose to.
	code, out, errOut = runCLI("prices", "diff", litellmExcerpt, "--on", "2026-12-01", "--format", "markdown")
	if code != 0 || !strings.Contains(errOut, " 0 not\n") ||
		!strings.Contains(out, "| groq | openai/gpt-oss-20b | standard | 0 | input_tokens | 1000000 | 0.075 | 0.1 | differs | LiteLLM has the launch price") {
		t.Errorf("diff with LiteLLM: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"prices", "import", genaiPricesExcerpt}, `--from: "" is not one of genai-prices, litellm`},
		{[]string{"prices", "import", "--from", "litellm", genaiPricesExcerpt}, "litellm: read model_prices_and_context_window.json: json: cannot unmarshal array"},
		{[]string{"prices", "diff", filepath.Join(dir, "missing.json")}, "read " + filepath.Join(dir, "missing.json")},
		{[]string{"prices", "diff", imported}, "neither a genai-prices data.json"},
		{[]string{"prices", "diff", litellmExcerpt, "--on", "tomorrow"}, `--on: "tomorrow" is not a date`},
	} {
		if code, _, errOut := runCLI(c.args...); code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want it to contain %q", c.args, code, errOut, c.want)
		}
	}
}
