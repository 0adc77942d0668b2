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
	const table = `provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source
groq,llama-3.3-70b-versatile,0.59,0.79,,0,2024-12-06,2026-12-01,test
groq,llama-3.3-70b-versatile,0.49,0.69,0.25,0,2026-12-01,,test
gcp.gemini,gemini-2.5-pro,2.50,15.00,,200001,2025-06-17,,test
`
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte(table), 0o644)                                             //nolint:errcheck
	os.WriteFile(bad, []byte(strings.Replace(table, "0.49,0.69", "0.49,abc", 1)), 0o644) //nolint:errcheck

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"bad file", []string{"prices", "load", bad, "--db", db}, 1, "", `prices line 3: output_usd_per_mtok: "abc" is not a number`},
		{"no db", []string{"prices", "load", good}, 1, "", "--db: name the DuckDB file"},
		{"no file", []string{"prices", "load", "--db", db}, 1, "", "name the price file"},
		{"missing db", []string{"prices", "load", good, "--db", filepath.Join(dir, "nope.duckdb")}, 1, "", "does not exist"},
		{"unknown", []string{"prices", "drop"}, 1, "", `unknown subcommand "drop" (known: show, load)`},
		{"load", []string{"prices", "load", good, "--db", db}, 0, "loaded 3 prices from " + good + " into " + db + "\n", ""},
		{"show db", []string{"prices", "show", "--db", db, "--format", "csv"}, 0,
			"provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n" +
				"gcp.gemini,gemini-2.5-pro,2.5,15,,200001,2025-06-17,,test\n" +
				"groq,llama-3.3-70b-versatile,0.59,0.79,,0,2024-12-06,2026-12-01,test\n" +
				"groq,llama-3.3-70b-versatile,0.49,0.69,0.25,0,2026-12-01,,test\n", ""},
		{"show file", []string{"prices", "--file", good, "--format", "markdown"}, 0,
			"| groq | llama-3.3-70b-versatile | 0.49 | 0.69 | 0.25 | 0 | 2026-12-01 | NULL | test |\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout %s\nstderr %s\nwant out %q err %q", code, tt.wantCode, out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}

	// The built-in table prints every row of the embedded file.
	code, out, _ := runCLI("prices", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs)-1 != len(pricing.Default().Prices()) {
		t.Errorf("built-in table: exit %d, %d rows, %v", code, len(recs)-1, err)
	}
}
